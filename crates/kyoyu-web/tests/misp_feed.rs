//! The MISP feed with PyMISP, on SQLite and PostgreSQL: every event of the manifest, loaded
//! as a `pymisp.MISPEvent`, is what PyMISP's own feed writer makes of it (manifest entry and
//! hashes, field by field), and the feed holds only what the token's organisation may see.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod exchange_peers;

use exchange_peers::{FSA, METI, objects_of, peer, published_advisory, python, stix};
use kyoyu_test_support::{TestApp, apps};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn misp(py: &str, app: &TestApp, token: Option<&str>) -> Value {
    let out = tokio::process::Command::new(py)
        .arg(peer("misp_check.py"))
        .arg(app.url("/misp/feed/"))
        .arg(token.unwrap_or("-"))
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "the MISP feed is not what PyMISP would write: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn a_misp_feed_holds_only_what_the_tokens_organisation_may_see() {
    let Some(py) = python() else { return };
    for app in apps().await {
        let amber = published_advisory(&app, "fsa", "finance", "amber").await;
        let white = published_advisory(&app, "meti", "electricity", "white").await;
        let fsa = app.login(FSA).await;
        let meti = app.login(METI).await;
        let uuid_of = |text: &str| {
            objects_of(text)
                .into_iter()
                .find(|o| o["type"] == "report")
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .rsplit_once("--")
                .unwrap()
                .1
                .to_owned()
        };
        let amber_uuid = uuid_of(
            &stix(&app, &format!("/api/v1/advisories/{amber}/stix"), &fsa)
                .await
                .1,
        );
        let white_uuid = uuid_of(
            &stix(&app, &format!("/api/v1/advisories/{white}/stix"), &fsa)
                .await
                .1,
        );

        let feed = misp(&py, &app, Some(&fsa)).await;
        let event = &feed["events"][&amber_uuid];
        assert_eq!(event["distribution"], 1, "Amber: this community: {feed}");
        assert!(
            event["tags"]
                .as_array()
                .unwrap()
                .contains(&json!("tlp:amber")),
            "{feed}"
        );
        assert!(
            event["tags"]
                .as_array()
                .unwrap()
                .contains(&json!("kyoyu:number=\"T1\"")),
            "{feed}"
        );
        let values: Vec<&str> = event["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            values.contains(&"203.0.113.50") && values.contains(&"CVE-2024-3400"),
            "{feed}"
        );
        assert_eq!(feed["events"][&white_uuid]["distribution"], 3);
        assert!(
            feed["events"][&white_uuid]["tags"]
                .as_array()
                .unwrap()
                .contains(&json!("tlp:clear"))
        );

        // Another sector's ministry: the White advisory, not finance's Amber one.
        let feed = misp(&py, &app, Some(&meti)).await;
        assert!(feed["events"].get(&amber_uuid).is_none(), "{feed}");
        assert!(feed["events"].get(&white_uuid).is_some(), "{feed}");
        // Without a token: White only.
        let feed = misp(&py, &app, None).await;
        let uuids: Vec<&String> = feed["events"].as_object().unwrap().keys().collect();
        assert_eq!(uuids, vec![&white_uuid]);
        // An event outside the caller's scope is not there at all.
        let res = app
            .client
            .get(app.url(&format!("/misp/feed/{amber_uuid}.json")))
            .bearer_auth(&meti)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
}
