//! What the exchange tests share: the Python peers (`KYOYU_TEST_PYTHON`; CI installs them),
//! the demo users, an advisory published by NISC and a STIX download.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use kyoyu_test_support::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const FSA: &str = "fsa-contact@demo.example";
pub const METI: &str = "meti-contact@demo.example";
pub const NISC: &str = "nisc-contact@demo.example";

pub fn python() -> Option<String> {
    let py = std::env::var("KYOYU_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let ok = Command::new(&py)
        .args(["-c", "import stix2validator, stix2, taxii2client, pymisp"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but stix2-validator, stix2, taxii2-client or pymisp is missing (set KYOYU_TEST_PYTHON)"
        );
        eprintln!("SKIPPED: needs Python with stix2-validator, stix2, taxii2-client and pymisp");
        return None;
    }
    Some(py)
}

pub fn peer(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(name)
}

pub fn schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kyoyu-core/stix/schemas")
}

/// A published advisory of NISC to `sector` (under `ministry`) at `tlp`. Returns its id.
pub async fn published_advisory(app: &TestApp, ministry: &str, sector: &str, tlp: &str) -> i64 {
    let nisc = app.login(NISC).await;
    let mut f: Value =
        serde_json::from_str(include_str!("../../../../fixtures/advisory-fig8.json")).unwrap();
    f.as_object_mut().unwrap().remove("_comment");
    f["recipients"] = json!([{ "ministry": ministry, "sectors": [sector] }]);
    f["tlp"] = json!(tlp);
    f["overview"] =
        json!("VPN 装置の脆弱性 CVE-2024-3400 を悪用する攻撃を確認。攻撃元 203.0.113.50。");
    let (s, a) = app
        .post("/api/v1/advisories", &nisc, json!({ "form": f }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let id = a["id"].as_i64().unwrap();
    let (s, a) = app
        .post(
            &format!("/api/v1/advisories/{id}/publish"),
            &nisc,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    id
}

pub async fn stix(app: &TestApp, path: &str, token: &str) -> (StatusCode, String) {
    let res = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status();
    if status == StatusCode::OK {
        assert_eq!(
            res.headers()["content-type"],
            "application/stix+json;version=2.1"
        );
    }
    (status, res.text().await.unwrap())
}

pub fn objects_of(text: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(text).unwrap();
    assert_eq!(v["type"], "bundle");
    v["objects"].as_array().unwrap().clone()
}
