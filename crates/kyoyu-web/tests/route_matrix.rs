//! The route matrix: every operation of the API, taken from the served OpenAPI document (which
//! is generated from the router's own registrations, not a hand list), called anonymously and
//! as users of organisations that may not see a given Amber report and a draft advisory. A new
//! route cannot ship unguarded: anonymous callers get 401 (or, on the public White routes, no
//! trace of the items); unrelated users get the same answer for the real item as for one that
//! does not exist, never a success, and never the items' text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kyoyu_test_support::{TestApp, apps, form_for};
use reqwest::StatusCode;
use serde_json::{Value, json};

const MARKER: &str = "経路行列の機密マーカー";
const MISSING: i64 = 987_654_321;

async fn amber_report(app: &TestApp) -> i64 {
    let op = app.login("op-electricity-1-contact@demo.example").await;
    let mut form = form_for("電力デモ事業者1", "electricity", "amber");
    form["summary"]["description"] = json!(MARKER);
    let (s, t) = app
        .post(
            "/api/v1/reports",
            &op,
            json!({ "form": form, "route": { "to": "meti" }, "submit": true }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_i64().unwrap();
    let meti = app.login("meti-contact@demo.example").await;
    let (s, t) = app
        .post(
            &format!("/api/v1/reports/{id}/forward"),
            &meti,
            json!({ "to": "nisc" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    id
}

async fn draft_advisory(app: &TestApp) -> i64 {
    let nisc = app.login("nisc-contact@demo.example").await;
    let mut f: Value =
        serde_json::from_str(include_str!("../../../fixtures/advisory-fig8.json")).unwrap();
    f.as_object_mut().unwrap().remove("_comment");
    f["recipients"] = json!([{ "ministry": "meti", "sectors": ["electricity"] }]);
    f["tlp"] = json!("amber");
    f["overview"] = json!(MARKER);
    let (s, a) = app
        .post("/api/v1/advisories", &nisc, json!({ "form": f }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    a["id"].as_i64().unwrap()
}

/// The path with its parameters filled: `{id}` is the report or the advisory (or `missing`).
fn fill(path: &str, report: i64, advisory: i64, missing: bool) -> String {
    // The caller's own tokens are not the items under test.
    let id = if missing || path.starts_with("/api/v1/me/") {
        MISSING
    } else if path.starts_with("/api/v1/advisories") {
        advisory
    } else {
        report
    };
    path.replace("{id}", &id.to_string())
        .replace("{aid}", "1")
        .replace("{code}", "fsa")
        .replace("{file}", "report.xlsx")
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, String) {
    let mut req = app
        .client
        .request(method.to_uppercase().parse().unwrap(), app.url(path));
    if method != "get" && method != "delete" {
        req = req.json(&json!({}));
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    (res.status(), res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn every_api_route_refuses_callers_who_may_not_see_the_item() {
    for app in apps().await {
        let label = app.db.label;
        let report = amber_report(&app).await;
        let advisory = draft_advisory(&app).await;
        // The control: those who may see the items do read the marker through the API.
        let meti = app.login("meti-contact@demo.example").await;
        let (_, body) = call(
            &app,
            "get",
            &format!("/api/v1/reports/{report}"),
            Some(&meti),
        )
        .await;
        assert!(
            body.contains(MARKER),
            "[{label}] the ministry cannot read the report"
        );
        let nisc = app.login("nisc-contact@demo.example").await;
        let (_, body) = call(
            &app,
            "get",
            &format!("/api/v1/advisories/{advisory}"),
            Some(&nisc),
        )
        .await;
        assert!(
            body.contains(MARKER),
            "[{label}] NISC cannot read its draft"
        );
        let (_, doc) = app.get("/api/v1/openapi.json", None).await;
        let outsiders = [
            app.login("outsider-contact@demo.example").await,
            app.login("op-finance-1-contact@demo.example").await,
        ];
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if path == "/api/v1/auth/login" || path == "/api/v1/auth/logout" {
                    continue;
                }
                let public = op["security"].as_array().is_some_and(|s| {
                    s.iter()
                        .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
                });
                let what = format!("[{label}] {method} {path}");
                let real = fill(path, report, advisory, false);
                let (s, body) = call(&app, method, &real, None).await;
                assert!(
                    !body.contains(MARKER),
                    "{what}: anonymous caller read the item"
                );
                if public {
                    assert!(!s.is_server_error(), "{what}: {s}");
                    if path.contains("{id}") {
                        assert!(!s.is_success(), "{what}: anonymous {s}");
                    }
                } else {
                    assert_eq!(s, StatusCode::UNAUTHORIZED, "{what}: anonymous");
                }
                for token in &outsiders {
                    let (s, body) = call(&app, method, &real, Some(token)).await;
                    assert!(
                        !body.contains(MARKER),
                        "{what}: an unrelated user read the item"
                    );
                    assert!(!s.is_server_error(), "{what}: {s} {body}");
                    if path.contains("{id}") {
                        assert!(!s.is_success(), "{what}: unrelated user got {s}");
                        let (missing, _) = call(
                            &app,
                            method,
                            &fill(path, report, advisory, true),
                            Some(token),
                        )
                        .await;
                        assert_eq!(
                            s, missing,
                            "{what}: the real item answers differently from a missing one"
                        );
                    }
                }
                checked += 1;
            }
        }
        assert!(checked > 40, "only {checked} operations in the document");
        app.db.cleanup().await;
    }
}
