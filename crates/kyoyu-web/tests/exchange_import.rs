//! STIX 2.1 bundles in, on SQLite and PostgreSQL: a bundle kyoyu exported comes back as an
//! equivalent draft; a bundle as MISP exports it becomes a draft whose text holds its
//! indicators and vulnerabilities, with the bundle itself attached (nothing it held is lost);
//! a bad bundle is refused naming the object and the property, and creates nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kyoyu_test_support::{TestApp, apps, csrf_field, form_for};
use reqwest::StatusCode;
use serde_json::{Value, json};

const OP: &str = "op-electricity-1-contact@demo.example";
const NISC: &str = "nisc-contact@demo.example";

async fn import(app: &TestApp, path: &str, token: &str, body: &Value) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/stix+json;version=2.1")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn bundle(app: &TestApp, path: &str, token: &str) -> Value {
    let res = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn without(mut form: Value, keys: &[&str]) -> Value {
    for k in keys {
        form.as_object_mut().unwrap().remove(*k);
    }
    form
}

/// A bundle as MISP's STIX 2.1 export writes one event: a report, an indicator, a
/// vulnerability, TLP 1.0 markings and MISP's own properties and objects.
fn misp_bundle() -> Value {
    json!({
        "type": "bundle",
        "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
        "objects": [
            {"type": "identity", "spec_version": "2.1", "id": "identity--1d0092c5-5f74-4287-9642-33f4c354e56d",
             "created": "2026-04-01T00:00:00.000Z", "modified": "2026-04-01T00:00:00.000Z",
             "name": "JPCERT/CC (MISP)", "identity_class": "organization"},
            {"type": "report", "spec_version": "2.1", "id": "report--5d0092c5-5f74-4287-9642-33f4c354e56d",
             "created_by_ref": "identity--1d0092c5-5f74-4287-9642-33f4c354e56d",
             "created": "2026-04-01T00:00:00.000Z", "modified": "2026-04-01T00:00:00.000Z",
             "name": "VPN 装置を狙う攻撃キャンペーン", "description": "複数の組織で侵入の痕跡。",
             "published": "2026-04-01T00:00:00Z", "report_types": ["threat-report"],
             "object_refs": ["indicator--6d0092c5-5f74-4287-9642-33f4c354e56d", "vulnerability--7d0092c5-5f74-4287-9642-33f4c354e56d"],
             "object_marking_refs": ["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"],
             "x_misp_event_uuid": "5d0092c5-5f74-4287-9642-33f4c354e56d"},
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--6d0092c5-5f74-4287-9642-33f4c354e56d",
             "created": "2026-04-01T00:00:00.000Z", "modified": "2026-04-01T00:00:00.000Z",
             "pattern": "[ipv4-addr:value = '198.51.100.77']", "pattern_type": "stix",
             "valid_from": "2026-04-01T00:00:00Z", "labels": ["misp:category=\"Network activity\""]},
            {"type": "vulnerability", "spec_version": "2.1", "id": "vulnerability--7d0092c5-5f74-4287-9642-33f4c354e56d",
             "created": "2026-04-01T00:00:00.000Z", "modified": "2026-04-01T00:00:00.000Z", "name": "CVE-2024-3400"},
            {"type": "x-misp-object", "spec_version": "2.1", "id": "x-misp-object--8d0092c5-5f74-4287-9642-33f4c354e56d",
             "created": "2026-04-01T00:00:00.000Z", "modified": "2026-04-01T00:00:00.000Z",
             "x_misp_name": "victim", "x_misp_attributes": [{"type": "text", "value": "kept as it came"}]}
        ]
    })
}

#[tokio::test]
async fn a_kyoyu_bundle_comes_back_as_an_equivalent_draft() {
    for app in apps().await {
        // A report of the operator, sent to its ministry; exported in the operator's own view.
        let op = app.login(OP).await;
        let mut form = form_for("電力デモ事業者1", "electricity", "green");
        form["summary"]["description"] = json!("制御系の端末で不審な通信（203.0.113.9）。");
        let (s, t) = app
            .post(
                "/api/v1/reports",
                &op,
                json!({ "form": form, "route": { "to": "meti" }, "submit": true }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let id = t["id"].as_i64().unwrap();
        let original = t["editions"][0]["versions"][0]["form"].clone();
        let b = bundle(&app, &format!("/api/v1/reports/{id}/stix"), &op).await;
        let (s, draft) = import(&app, "/api/v1/reports/import-stix", &op, &b).await;
        assert_eq!(s, StatusCode::CREATED, "{draft}");
        assert_ne!(draft["id"], id);
        assert_eq!(draft["editions"][0]["state"], "draft");
        let back = draft["editions"][0]["versions"][0]["form"].clone();
        assert_eq!(
            without(back, &["number", "edition"]),
            without(original, &["number", "edition"])
        );
        assert_eq!(draft["attachments"][0]["file_name"], "stix-bundle.json");

        // An advisory of NISC, exported and imported again.
        let nisc = app.login(NISC).await;
        let mut f: Value =
            serde_json::from_str(include_str!("../../../fixtures/advisory-fig8.json")).unwrap();
        f.as_object_mut().unwrap().remove("_comment");
        f["recipients"] = json!([{ "ministry": "meti", "sectors": ["electricity"] }]);
        f["tlp"] = json!("green");
        let (s, a) = app
            .post("/api/v1/advisories", &nisc, json!({ "form": f }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        let aid = a["id"].as_i64().unwrap();
        let (s, a) = app
            .post(
                &format!("/api/v1/advisories/{aid}/publish"),
                &nisc,
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{a}");
        let b = bundle(&app, &format!("/api/v1/advisories/{aid}/stix"), &nisc).await;
        let (s, draft) = import(&app, "/api/v1/advisories/import-stix", &nisc, &b).await;
        assert_eq!(s, StatusCode::CREATED, "{draft}");
        assert_eq!(draft["state"], "draft");
        assert_eq!(
            without(draft["form"].clone(), &["number", "edition"]),
            without(a["form"].clone(), &["number", "edition"])
        );
        // Advisories are NISC's: an operator cannot import one.
        let (s, _) = import(&app, "/api/v1/advisories/import-stix", &op, &b).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn a_misp_bundle_becomes_a_draft_that_keeps_everything() {
    for app in apps().await {
        let op = app.login(OP).await;
        let (s, draft) = import(&app, "/api/v1/reports/import-stix", &op, &misp_bundle()).await;
        assert_eq!(s, StatusCode::CREATED, "{draft}");
        let form = &draft["editions"][0]["versions"][0]["form"];
        assert_eq!(form["tlp"], "amber", "MISP's TLP:AMBER (1.0) marking");
        assert_eq!(form["sector"], "electricity", "the importer's sector");
        assert_eq!(form["contact"]["organization"], "電力デモ事業者1");
        let text = form["summary"]["description"].as_str().unwrap();
        for needle in [
            "VPN 装置を狙う攻撃キャンペーン",
            "複数の組織で侵入の痕跡。",
            "[ipv4-addr:value = '198.51.100.77']",
            "CVE-2024-3400",
        ] {
            assert!(text.contains(needle), "{needle} not in {text}");
        }
        // The bundle as it came, MISP's own objects and properties included.
        let a = &draft["attachments"][0];
        assert_eq!(a["file_name"], "stix-bundle.json");
        let res = app
            .client
            .get(app.url(&format!(
                "/api/v1/reports/{}/attachments/{}",
                draft["id"], a["id"]
            )))
            .bearer_auth(&op)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let kept: Value = res.json().await.unwrap();
        assert_eq!(kept, misp_bundle());

        // NISC takes the same bundle as a draft advisory addressed to every sector.
        let nisc = app.login(NISC).await;
        let (s, adv) = import(
            &app,
            "/api/v1/advisories/import-stix",
            &nisc,
            &misp_bundle(),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{adv}");
        assert_eq!(adv["form"]["tlp"], "amber");
        assert!(
            adv["form"]["target"]
                .as_str()
                .unwrap()
                .contains("CVE-2024-3400")
        );
        assert!(
            adv["form"]["other"]
                .as_str()
                .unwrap()
                .contains("198.51.100.77")
        );
        let sectors: usize = adv["form"]["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["sectors"].as_array().unwrap().len())
            .sum();
        assert!(sectors >= 14, "every sector of the action plan: {adv}");
    }
}

async fn drafts(app: &TestApp, token: &str) -> usize {
    app.get("/api/v1/inbox?box=drafts", Some(token)).await.1["items"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_bad_bundle_names_the_object_and_property_and_creates_nothing() {
    for app in apps().await {
        let op = app.login(OP).await;
        let before = drafts(&app, &op).await;
        let mut no_pattern = misp_bundle();
        no_pattern["objects"][2]
            .as_object_mut()
            .unwrap()
            .remove("pattern");
        let mut bad_time = misp_bundle();
        bad_time["objects"][1]["published"] = json!("先週");
        let mut bad_form = misp_bundle();
        bad_form["objects"][1]["extensions"] = json!({
            "extension-definition--6a0f2c1e-5b3d-4c7a-9e21-8d4f0b7c3a15":
                { "extension_type": "property-extension", "item": "report_edition", "edition": 1, "form": { "tlp": "purple" } }
        });
        for (body, field, names) in [
            (
                no_pattern,
                "bundle.objects[2].pattern",
                "indicator--6d0092c5-5f74-4287-9642-33f4c354e56d",
            ),
            (
                bad_time,
                "bundle.objects[1].published",
                "report--5d0092c5-5f74-4287-9642-33f4c354e56d",
            ),
            (
                bad_form,
                "bundle.objects[1].extensions.extension-definition--6a0f2c1e-5b3d-4c7a-9e21-8d4f0b7c3a15.form",
                "report--5d0092c5-5f74-4287-9642-33f4c354e56d",
            ),
            (
                json!({"type": "report", "id": "x"}),
                "bundle.type",
                "bundle",
            ),
        ] {
            let (s, e) = import(&app, "/api/v1/reports/import-stix", &op, &body).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
            assert_eq!(e["error"]["field"], field, "{e}");
            assert!(
                e["error"]["message"].as_str().unwrap().contains(names),
                "{e}"
            );
        }
        let res = app
            .client
            .post(app.url("/api/v1/reports/import-stix"))
            .bearer_auth(&op)
            .header("content-type", "application/stix+json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = app
            .client
            .post(app.url("/api/v1/reports/import-stix"))
            .bearer_auth(&op)
            .header("content-type", "text/plain")
            .body(misp_bundle().to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(drafts(&app, &op).await, before, "nothing was created");
    }
}

#[tokio::test]
async fn a_bundle_is_taken_in_from_the_new_report_page() {
    for app in apps().await {
        let ui = app.ui_login(OP).await;
        let page = ui
            .get(app.url("/reports/new"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("STIX 2.1 バンドル"),
            "the page says it takes bundles"
        );
        let csrf = csrf_field(&page);
        let form = |bytes: Vec<u8>| {
            reqwest::multipart::Form::new()
                .text("_csrf", csrf.clone())
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes)
                        .file_name("misp-event.json")
                        .mime_str("application/json")
                        .unwrap(),
                )
        };
        let op = app.login(OP).await;
        let before = drafts(&app, &op).await;
        let mut bad = misp_bundle();
        bad["objects"][2].as_object_mut().unwrap().remove("pattern");
        let res = ui
            .post(app.url("/reports/import"))
            .multipart(form(bad.to_string().into_bytes()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let text = res.text().await.unwrap();
        assert!(
            text.contains("indicator--6d0092c5-5f74-4287-9642-33f4c354e56d")
                && text.contains("pattern"),
            "the page names the object and the property: {text}"
        );
        assert_eq!(drafts(&app, &op).await, before, "nothing kept");
        let res = ui
            .post(app.url("/reports/import"))
            .multipart(form(misp_bundle().to_string().into_bytes()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.ends_with("?done=imported_stix"), "{to}");
        let page = ui
            .get(app.url(&to))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("STIX バンドルから下書きを作成しました"),
            "{page}"
        );
        assert!(page.contains("VPN 装置を狙う攻撃キャンペーン"));
        assert_eq!(drafts(&app, &op).await, before + 1);
    }
}
