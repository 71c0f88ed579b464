//! STIX 2.1 and TAXII 2.1 with the OASIS peers, on SQLite and PostgreSQL: every bundle a
//! caller can export validates with `stix2-validator --strict` (kyoyu's extension schema given
//! to it) and parses with `stix2`; an anonymised report leaves no trace of its reporter in any
//! bundle or TAXII page; `taxii2-client` pages through each collection and receives only what
//! its caller may see. The peers come from `KYOYU_TEST_PYTHON` (CI installs them); the MISP feed
//! is in `misp_feed.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod exchange_peers;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use exchange_peers::{
    FSA, METI, NISC, objects_of, peer, published_advisory, python, schemas, stix,
};
use kyoyu_test_support::{TestApp, apps, form_for};
use reqwest::StatusCode;
use serde_json::{Value, json};

const OP: &str = "op-finance-1-contact@demo.example";
const CEP: &str = "ceptoar-finance-contact@demo.example";

/// What the anonymised reporter wrote about itself (the anonymisation crawl's needles).
const SECRETS: [&str; 6] = [
    "op-finance-1",
    "金融デモ事業者1",
    "renraku@op.example",
    "連絡 太郎",
    "03-0000-0000",
    "情報システム部",
];

/// An anonymised Amber report of op-finance-1 through ceptoar-finance and fsa to NISC, with a
/// sample and indicators in its text, and a follow-up. Returns its id.
async fn anonymised_report(app: &TestApp) -> i64 {
    let op = app.login(OP).await;
    let mut form = form_for("金融デモ事業者1", "finance", "amber");
    form["summary"]["description"] =
        json!("不審な通信を検知。C2 は 198.51.100.7 と evil-cdn[.]example、CVE-2024-3400 を悪用。");
    let (s, t) = app
        .post(
            "/api/v1/reports",
            &op,
            json!({ "form": form, "route": { "to": "ceptoar-finance", "anonymize": true }, "submit": true }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_i64().unwrap();
    let sample = reqwest::multipart::Form::new().text("kind", "sample").part(
        "file",
        reqwest::multipart::Part::bytes(b"MZ not really".to_vec())
            .file_name("金融デモ事業者1_検体.bin")
            .mime_str("application/octet-stream")
            .unwrap(),
    );
    let res = app
        .client
        .post(app.url(&format!("/api/v1/reports/{id}/attachments")))
        .bearer_auth(&op)
        .multipart(sample)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let cep = app.login(CEP).await;
    let fsa = app.login(FSA).await;
    for (who, to, anonymize) in [(&cep, "fsa", true), (&fsa, "nisc", false)] {
        let (s, t) = app
            .post(
                &format!("/api/v1/reports/{id}/forward"),
                who,
                json!({ "to": to, "anonymize": anonymize }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{t}");
    }
    let mut second = form_for("金融デモ事業者1", "finance", "amber");
    second["summary"]["description"] =
        json!("続報: 通信先に hxxp://evil-cdn.example/drop.php を追加。");
    let (s, t) = app
        .post(
            &format!("/api/v1/reports/{id}/editions"),
            &op,
            json!({ "form": second, "submit": true }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let (s, t) = app
        .post(
            &format!("/api/v1/reports/{id}/forward"),
            &cep,
            json!({ "to": "fsa", "anonymize": true }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    id
}

#[tokio::test]
async fn every_bundle_validates_with_the_oasis_tools_and_hides_the_reporter() {
    let Some(py) = python() else { return };
    for app in apps().await {
        let report = anonymised_report(&app).await;
        let amber = published_advisory(&app, "fsa", "finance", "amber").await;
        let white = published_advisory(&app, "meti", "electricity", "white").await;
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for (who, released) in [(OP, false), (CEP, false), (FSA, true), (NISC, true)] {
            let token = app.login(who).await;
            for path in [
                format!("/api/v1/reports/{report}/stix"),
                format!("/api/v1/advisories/{amber}/stix"),
                format!("/api/v1/advisories/{white}/stix"),
            ] {
                let (s, text) = stix(&app, &path, &token).await;
                if path.contains("advisories") && who == OP {
                    // The operator receives advisories only once delivered to it.
                    if s != StatusCode::OK {
                        continue;
                    }
                }
                assert_eq!(s, StatusCode::OK, "{who} {path}: {text}");
                if released {
                    for secret in SECRETS {
                        assert!(!text.contains(secret), "{who} {path} shows {secret}");
                    }
                }
                // The same edition exports as the same objects.
                assert_eq!(stix(&app, &path, &token).await.1, text, "{path}");
                let file = dir.path().join(format!("{}-{}.json", files.len(), who));
                std::fs::write(&file, &text).unwrap();
                files.push(file);
            }
        }
        // The released view: the anonymising CEPTOAR is the originator, TLP 2.0 markings by
        // their official ids, Amber with the statement of its audience, the number carried.
        let fsa = app.login(FSA).await;
        let objects = objects_of(
            &stix(&app, &format!("/api/v1/reports/{report}/stix"), &fsa)
                .await
                .1,
        );
        let kinds: BTreeSet<&str> = objects
            .iter()
            .map(|o| o["type"].as_str().unwrap())
            .collect();
        for k in [
            "incident",
            "report",
            "identity",
            "marking-definition",
            "extension-definition",
            "file",
            "ipv4-addr",
            "domain-name",
            "url",
            "vulnerability",
        ] {
            assert!(kinds.contains(k), "no {k} in {kinds:?}");
        }
        let incident = objects.iter().find(|o| o["type"] == "incident").unwrap();
        let creator = objects
            .iter()
            .find(|o| o["id"] == incident["created_by_ref"])
            .unwrap();
        assert_eq!(creator["name"], "金融セプター事務局（デモ）");
        assert!(
            incident["object_marking_refs"]
                .as_array()
                .unwrap()
                .contains(&json!(
                    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
                )),
            "{incident}"
        );
        let statement = objects
            .iter()
            .find(|o| o["definition_type"] == "statement")
            .unwrap();
        assert!(
            statement["definition"]["statement"]
                .as_str()
                .unwrap()
                .contains("金融"),
            "{statement}"
        );
        let numbers: Vec<&str> = objects
            .iter()
            .filter(|o| o["type"] == "report")
            .filter_map(|o| o["external_references"][0]["external_id"].as_str())
            .collect();
        assert_eq!(numbers, vec!["R1", "R1-2"]);
        // The pages: a download beside the Excel and PDF ones, and the URLs to give a TAXII
        // client on the account page.
        let ui = app.ui_login(FSA).await;
        let page = ui
            .get(app.url(&format!("/reports/{report}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(&format!("/reports/{report}/export.stix.json")));
        let res = ui
            .get(app.url(&format!("/reports/{report}/export.stix.json")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("R1-2.stix.json")
        );
        let account = ui
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(account.contains("/taxii2/</code>"), "{account}");
        assert!(account.contains("/misp/feed/</code>"), "{account}");
        assert!(account.contains("/taxii2/api/collections/2b7f0c5e-8a1d-4f3b-9c6e-1d2a3b4c5d6e/"));
        // Somebody who may not see it gets a 404, as on its page.
        let meti = app.login(METI).await;
        assert_eq!(
            stix(&app, &format!("/api/v1/reports/{report}/stix"), &meti)
                .await
                .0,
            StatusCode::NOT_FOUND
        );

        let summary = check_bundles(&py, &files);
        assert!(
            summary["objects"].as_u64().unwrap() >= files.len() as u64 * 5,
            "{summary}"
        );
    }
}

fn check_bundles(py: &str, files: &[PathBuf]) -> Value {
    let out = Command::new(py)
        .arg(peer("stix_check.py"))
        .arg(schemas())
        .args(files)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("stix2-validator --strict: {stdout}");
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(summary["errors"], 0);
    assert_eq!(summary["warnings"], 0);
    summary
}

#[tokio::test]
async fn every_bundle_of_a_generated_corpus_validates() {
    let Some(py) = python() else { return };
    for app in apps().await {
        app.core.generate(60, 7).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        let mut sent = 0;
        for who in [NISC, FSA, CEP, "op-electricity-1-contact@demo.example"] {
            let token = app.login(who).await;
            let (_, reports) = app.get("/api/v1/reports?limit=200", Some(&token)).await;
            let (_, advisories) = app.get("/api/v1/advisories?limit=200", Some(&token)).await;
            let paths = reports["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| format!("/api/v1/reports/{}/stix", r["id"]))
                .chain(
                    advisories["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| format!("/api/v1/advisories/{}/stix", a["id"])),
                );
            for path in paths {
                let (s, text) = stix(&app, &path, &token).await;
                // Drafts and unpublished advisories have nothing to exchange yet.
                if s == StatusCode::NOT_FOUND {
                    continue;
                }
                assert_eq!(s, StatusCode::OK, "{who} {path}: {text}");
                sent += 1;
                let file = dir.path().join(format!("{}.json", files.len()));
                std::fs::write(&file, &text).unwrap();
                files.push(file);
            }
        }
        assert!(sent > 60, "only {sent} bundles");
        let summary = check_bundles(&py, &files);
        assert!(summary["objects"].as_u64().unwrap() > sent * 5, "{summary}");
    }
}

/// Runs the client beside the server (which answers on this test's runtime).
async fn walk(py: &str, app: &TestApp, token: Option<&str>, page: usize) -> Value {
    let out = tokio::process::Command::new(py)
        .arg(peer("taxii_walk.py"))
        .arg(app.url("/taxii2/"))
        .arg(token.unwrap_or("-"))
        .arg(page.to_string())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "taxii2-client failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ids(walked: &Value, alias: &str) -> BTreeSet<String> {
    walked["collections"][alias]["objects"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|i| i.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn taxii2_client_pages_through_only_what_its_caller_may_see() {
    let Some(py) = python() else { return };
    for app in apps().await {
        let report = anonymised_report(&app).await;
        let amber = published_advisory(&app, "fsa", "finance", "amber").await;
        let white = published_advisory(&app, "meti", "electricity", "white").await;
        let fsa = app.login(FSA).await;
        let meti = app.login(METI).await;
        let incident_of = |text: &str| {
            objects_of(text)
                .into_iter()
                .find(|o| o["type"] == "incident")
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let report_of = |text: &str| {
            objects_of(text)
                .into_iter()
                .find(|o| o["type"] == "report")
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let incident = incident_of(
            &stix(&app, &format!("/api/v1/reports/{report}/stix"), &fsa)
                .await
                .1,
        );
        let amber_id = report_of(
            &stix(&app, &format!("/api/v1/advisories/{amber}/stix"), &fsa)
                .await
                .1,
        );
        let white_id = report_of(
            &stix(&app, &format!("/api/v1/advisories/{white}/stix"), &fsa)
                .await
                .1,
        );

        // The finance ministry: its sector's report and advisory, in pages of 3.
        let walked = walk(&py, &app, Some(&fsa), 3).await;
        let reports = ids(&walked, "reports");
        let advisories = ids(&walked, "advisories");
        assert!(reports.contains(&incident), "{walked}");
        assert!(
            advisories.contains(&amber_id) && advisories.contains(&white_id),
            "{walked}"
        );
        for alias in ["reports", "advisories", "public"] {
            let c = &walked["collections"][alias];
            assert_eq!(c["can_read"], true);
            assert_eq!(
                c["manifest"],
                c["objects"].as_array().unwrap().len(),
                "{alias}: {c}"
            );
            assert_eq!(
                c["after_newest"], 0,
                "{alias}: nothing is newer than the newest"
            );
            if c["objects"].as_array().unwrap().len() > 3 {
                assert!(c["pages"].as_u64().unwrap() > 1, "{alias}: {c}");
            }
            if let Some(first) = c["objects"][0].as_str() {
                assert!(
                    c["get_object"].as_array().unwrap().contains(&json!(first)),
                    "{alias}: {c}"
                );
            }
        }
        let text = walked.to_string();
        for secret in SECRETS {
            assert!(!text.contains(secret), "the TAXII pages show {secret}");
        }

        // The electricity ministry: nothing of finance's Amber report or advisory.
        let walked = walk(&py, &app, Some(&meti), 3).await;
        assert!(!ids(&walked, "reports").contains(&incident), "{walked}");
        assert!(!ids(&walked, "advisories").contains(&amber_id), "{walked}");
        assert!(ids(&walked, "advisories").contains(&white_id), "{walked}");

        // Anonymous: the public collection only, White only.
        let walked = walk(&py, &app, None, 3).await;
        let aliases: Vec<&String> = walked["collections"].as_object().unwrap().keys().collect();
        assert_eq!(aliases, vec!["public"]);
        let public = ids(&walked, "public");
        assert!(
            public.contains(&white_id) && !public.contains(&amber_id),
            "{walked}"
        );

        // A wrong token is refused, never taken for an anonymous caller.
        let res = app
            .client
            .get(app.url("/taxii2/api/collections/"))
            .basic_auth("kyoyu", Some("not-a-token"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            res.headers()["content-type"],
            "application/taxii+json;version=2.1"
        );
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["http_status"], "401");
        // A collection of signed-in callers asked anonymously, and a bad `next`.
        let res = app
            .client
            .get(app.url("/taxii2/api/collections/2b7f0c5e-8a1d-4f3b-9c6e-1d2a3b4c5d6e/objects/"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let res = app
            .client
            .get(app.url(
                "/taxii2/api/collections/2b7f0c5e-8a1d-4f3b-9c6e-1d2a3b4c5d6e/objects/?next=garbage",
            ))
            .bearer_auth(&fsa)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let body: Value = res.json().await.unwrap();
        assert!(
            body["description"].as_str().unwrap().contains("next"),
            "{body}"
        );
    }
}
