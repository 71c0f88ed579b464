//! The route matrix of the web UI: every page and form action, taken from the table the router
//! is built from (`kyoyu_web::ui_paths`, not a hand list), called anonymously and in the
//! browsers of users whose organisations may not see an Amber report and a draft advisory.
//! Anonymous callers are sent to the login page (or refused); unrelated users get for the real
//! item the same answer as for one that does not exist — a refusal, never the item's text. The
//! methods the table names are exactly the ones the router answers, so the matrix misses none.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kyoyu_test_support::{TestApp, apps, client, csrf_field, form_for};
use reqwest::StatusCode;
use serde_json::{Value, json};

const MARKER: &str = "画面経路行列の機密マーカー";
const MISSING: i64 = 987_654_321;
/// Pages anyone may open: the login form, the style sheet, the blank official forms.
const PUBLIC: &[&str] = &["/login", "/static/kyoyu.css", "/forms/{file}"];

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
    t["id"].as_i64().unwrap()
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

fn fill(path: &str, report: i64, advisory: i64, missing: bool) -> String {
    let id = if missing {
        MISSING
    } else if path.starts_with("/advisories") {
        advisory
    } else {
        report
    };
    path.replace("{id}", &id.to_string())
        .replace("{aid}", "1")
        .replace("{file}", "report.xlsx")
}

/// One request in browser `c`: a POST carries the CSRF token `csrf` (when there is one).
async fn call(
    app: &TestApp,
    c: &reqwest::Client,
    method: &str,
    path: &str,
    csrf: Option<&str>,
) -> (StatusCode, Option<String>, String) {
    let mut req = c.request(method.parse().unwrap(), app.url(path));
    if method == "POST" {
        req = req.form(&[("_csrf", csrf.unwrap_or(""))]);
    }
    let res = req.send().await.unwrap();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    (res.status(), location, res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn every_ui_route_refuses_callers_who_may_not_see_the_item() {
    let routes = kyoyu_web::ui_paths();
    assert!(routes.len() > 50, "only {} UI routes", routes.len());
    for app in apps().await {
        let label = app.db.label;
        let report = amber_report(&app).await;
        let advisory = draft_advisory(&app).await;
        // The control: those who may see the items read the marker on their pages.
        let meti = app.ui_login("meti-contact@demo.example").await;
        let (_, _, page) = call(&app, &meti, "GET", &format!("/reports/{report}"), None).await;
        assert!(
            page.contains(MARKER),
            "[{label}] the ministry cannot read the report"
        );

        let mut outsiders = Vec::new();
        for email in [
            "outsider-contact@demo.example",
            "op-finance-1-contact@demo.example",
        ] {
            let c = app.ui_login(email).await;
            let (_, _, account) = call(&app, &c, "GET", "/account", None).await;
            let csrf = csrf_field(&account);
            outsiders.push((email, c, csrf));
        }
        let mut checked = 0;
        for (path, methods) in &routes {
            // The table names every method the router answers for the path, and no other.
            for method in ["GET", "POST"] {
                if !methods.contains(&method) {
                    let (s, _, _) = call(
                        &app,
                        &client(),
                        method,
                        &fill(path, report, advisory, false),
                        None,
                    )
                    .await;
                    assert_eq!(
                        s,
                        StatusCode::METHOD_NOT_ALLOWED,
                        "[{label}] {method} {path}"
                    );
                }
            }
            for method in methods.iter().copied() {
                let what = format!("[{label}] {method} {path}");
                let real = fill(path, report, advisory, false);
                let (s, location, body) = call(&app, &client(), method, &real, None).await;
                assert!(
                    !body.contains(MARKER),
                    "{what}: an anonymous caller read the item"
                );
                assert!(!s.is_server_error(), "{what}: anonymous {s}");
                // An item an anonymous caller may not see: a page sends them to log in, a file
                // of released White items answers what it answers for a missing item. The
                // lists of released White items (their CSV) are public, without the Amber one.
                if !PUBLIC.contains(path) && (path.contains("{id}") || method == "POST") {
                    assert!(!s.is_success(), "{what}: anonymous {s}");
                }
                if !PUBLIC.contains(path) && method == "GET" {
                    let to_login = s == StatusCode::SEE_OTHER
                        && location.as_deref().is_some_and(|l| l.starts_with("/login"));
                    let no_trace = path.contains("{id}") && s == StatusCode::NOT_FOUND;
                    let public_list = !path.contains("{id}") && s == StatusCode::OK;
                    assert!(
                        to_login || no_trace || public_list,
                        "{what}: anonymous {s} {location:?}"
                    );
                }
                // Logging in and out are the session itself, not an item.
                if *path == "/login" || *path == "/logout" {
                    checked += 1;
                    continue;
                }
                for (email, c, csrf) in &outsiders {
                    let (s, _, body) = call(&app, c, method, &real, Some(csrf)).await;
                    assert!(!body.contains(MARKER), "{what}: {email} read the item");
                    assert!(!s.is_server_error(), "{what}: {email} {s}");
                    if path.contains("{id}") {
                        assert!(s.is_client_error(), "{what}: {email} got {s}");
                        let missing = fill(path, report, advisory, true);
                        let (m, _, _) = call(&app, c, method, &missing, Some(csrf)).await;
                        assert_eq!(
                            s, m,
                            "{what}: {email} — the real item answers differently from a missing one"
                        );
                    }
                }
                checked += 1;
            }
        }
        assert!(checked > 60, "only {checked} route methods checked");
        app.db.cleanup().await;
    }
}
