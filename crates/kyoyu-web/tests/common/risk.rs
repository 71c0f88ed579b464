//! What the risk tests share: the demo operator whose register they walk, and calls that must
//! succeed.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kyoyu_test_support::TestApp;
use reqwest::StatusCode;
use serde_json::Value;

pub const OP: &str = "op-electricity-1-contact@demo.example";

pub async fn patch_ok(app: &TestApp, token: &str, risk: i64, body: Value) -> Value {
    let (s, r) = app
        .patch(&format!("/api/v1/risk/risks/{risk}"), token, body)
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

pub async fn create_risk(app: &TestApp, token: &str, body: Value) -> Value {
    let (s, r) = app.post("/api/v1/risk/risks", token, body).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    r
}
