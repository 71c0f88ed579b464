//! What an attacker or a careless client tries first, on SQLite and PostgreSQL: NUL in text,
//! turning the lockout against a user, sharing one proxy address, reading cached pages,
//! `/metrics` from outside, and tokens that never expire.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kyoyu_core::{CoreConfig, demo};
use kyoyu_test_support::{TestApp, apps, apps_configured, apps_with, client, csrf_field};
use kyoyu_web::WebConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn login_status(
    app: &TestApp,
    email: &str,
    password: &str,
    xff: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": password }));
    if let Some(x) = xff {
        req = req.header("x-forwarded-for", x);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn nul_in_any_text_is_a_clear_422_and_writes_nothing() {
    for app in apps().await {
        let label = app.db.label;
        // Before login.
        let (s, body) = login_status(&app, "a\u{0}@x", "pw", None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{label} {body}");
        assert_eq!(body["error"]["code"], "invalid_text");
        assert_eq!(body["error"]["field"], "email");
        assert!(body["error"]["message"].as_str().unwrap().contains("NUL"));

        let token = app.login("op-finance-1-contact@demo.example").await;
        // A query string.
        let (s, body) = app.get("/api/v1/reports?sector=a%00", Some(&token)).await;
        assert_eq!(
            (s, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("sector")),
            "{label}"
        );
        // A path.
        let (s, _) = app.get("/api/v1/orgs/fsa%00", Some(&token)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        // A JSON body: nothing is created.
        let (_, before) = app.get("/api/v1/me/tokens", Some(&token)).await;
        let (s, body) = app
            .post(
                "/api/v1/me/tokens",
                &token,
                json!({ "name": "ci\u{0}token" }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{label} {body}");
        assert_eq!(body["error"]["field"], "name");
        let (_, after) = app.get("/api/v1/me/tokens", Some(&token)).await;
        assert_eq!(before, after, "{label}: no token was created");
        // A report form, deep inside.
        let mut form = kyoyu_test_support::form_for("金融デモ事業者1", "finance", "white");
        form["summary"] = json!("改ざん\u{0}を確認");
        let (s, body) = app
            .post(
                "/api/v1/reports",
                &token,
                json!({ "form": form, "route": { "to": "fsa" } }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{label} {body}");
        assert_eq!(body["error"]["code"], "invalid_text");
        // A page form gets a Japanese page, not JSON.
        let res = client()
            .post(app.url("/login"))
            .form(&[("email", "a\u{0}b"), ("password", "x"), ("_csrf", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        let html = res.text().await.unwrap();
        assert!(html.contains("使えない文字"), "{label}: {html}");
        // An escaped backslash before `u0000` is ordinary text.
        let (s, _) = app
            .post("/api/v1/me/tokens", &token, json!({ "name": "C:\\u0000" }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{label}");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_owners_browser_logs_in_while_an_attacker_keeps_the_account_waiting() {
    for app in apps().await {
        let label = app.db.label;
        let email = "mlit-contact@demo.example";
        // The owner logged in from this browser before: it holds a device cookie for /login.
        let browser = app.ui_login(email).await;
        let home = browser
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let res = browser
            .post(app.url("/logout"))
            .form(&[("_csrf", csrf_field(&home).as_str())])
            .send()
            .await
            .unwrap();
        assert!(res.status().is_redirection() || res.status().is_success());
        for _ in 0..5 {
            login_status(&app, email, "guess", None).await;
        }
        let (s, body) = login_status(&app, email, demo::DEMO_PASSWORD, None).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{label}");
        assert_eq!(body["error"]["code"], "account_locked");
        // A fresh browser is asked to wait, in Japanese...
        let fresh = app.ui_login_attempt(&client(), email).await;
        assert_eq!(fresh.0, StatusCode::TOO_MANY_REQUESTS, "{label}");
        assert!(fresh.1.contains("二要素認証"), "{label}: {}", fresh.1);
        // ...and the owner's browser is not.
        let (s, _) = app.ui_login_attempt(&browser, email).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{label}");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_failure_budget() {
    let web = WebConfig {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..WebConfig::default()
    };
    let core = CoreConfig {
        login_failures_per_minute: 3,
        ..CoreConfig::default()
    };
    for app in apps_configured(web, core).await {
        let label = app.db.label;
        for who in ["fsa-member", "mic-member", "nisc-member"] {
            let (s, _) = login_status(
                &app,
                &format!("{who}@demo.example"),
                "guess",
                Some("198.51.100.1"),
            )
            .await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{label}");
        }
        let (s, body) = login_status(
            &app,
            "npa-member@demo.example",
            demo::DEMO_PASSWORD,
            Some("198.51.100.1"),
        )
        .await;
        assert_eq!(
            (s, body["error"]["code"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("throttled")),
            "{label}"
        );
        // Another client behind the same proxy is not held back.
        let (s, _) = login_status(
            &app,
            "npa-member@demo.example",
            demo::DEMO_PASSWORD,
            Some("198.51.100.2"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{label}");
        // A forged header before the proxy's own entry changes nothing.
        let (s, _) = login_status(
            &app,
            "npa-member@demo.example",
            demo::DEMO_PASSWORD,
            Some("192.0.2.99, 198.51.100.1"),
        )
        .await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{label}");
        app.db.cleanup().await;
    }
    // Without a trusted proxy, the header is the client's own claim and is ignored.
    let core = CoreConfig {
        login_failures_per_minute: 3,
        ..CoreConfig::default()
    };
    for app in apps_configured(WebConfig::default(), core).await {
        for i in 1..=3 {
            login_status(
                &app,
                "fsa-member@demo.example",
                "guess",
                Some(&format!("198.51.100.{i}")),
            )
            .await;
        }
        let (s, _) = login_status(
            &app,
            "npa-member@demo.example",
            demo::DEMO_PASSWORD,
            Some("198.51.100.9"),
        )
        .await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{}", app.db.label);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn a_second_server_on_the_same_database_sees_the_same_failures() {
    for app in apps().await {
        let second = app.second_server().await;
        let email = "meti-contact@demo.example";
        for _ in 0..5 {
            login_status(&app, email, "guess", None).await;
        }
        let res = client()
            .post(format!("{second}/api/v1/auth/login"))
            .json(&json!({ "email": email, "password": demo::DEMO_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            app.db.label
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn nothing_is_cached_and_hsts_comes_with_tls() {
    for app in apps().await {
        let token = app.login("op-finance-1-contact@demo.example").await;
        let res = app
            .client
            .get(app.url("/api/v1/reports"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.headers()["cache-control"],
            "no-store",
            "{}",
            app.db.label
        );
        assert!(res.headers().get("strict-transport-security").is_none());
        let page = app.ui_login("op-finance-1-contact@demo.example").await;
        let res = page.get(app.url("/reports")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["cache-control"], "no-store");
        app.db.cleanup().await;
    }
    for app in apps_with(WebConfig {
        cookie_secure: true,
        ..WebConfig::default()
    })
    .await
    {
        let res = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert!(
            res.headers()["strict-transport-security"]
                .to_str()
                .unwrap()
                .starts_with("max-age=31536000"),
            "{}",
            app.db.label
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn metrics_answer_this_machine_or_the_token_only() {
    for app in apps().await {
        let get = |xff: Option<&'static str>| {
            let mut r = app.client.get(app.url("/metrics"));
            if let Some(x) = xff {
                r = r.header("x-forwarded-for", x);
            }
            r.send()
        };
        assert_eq!(get(None).await.unwrap().status(), StatusCode::OK);
        // Through a reverse proxy on this machine, a visitor from outside.
        assert_eq!(
            get(Some("203.0.113.5")).await.unwrap().status(),
            StatusCode::NOT_FOUND
        );
        app.db.cleanup().await;
    }
    for app in apps_with(WebConfig {
        metrics_token: Some("scrape-secret".into()),
        metrics_loopback: false,
        ..WebConfig::default()
    })
    .await
    {
        let res = app.client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let res = app
            .client
            .get(app.url("/metrics"))
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let res = app
            .client
            .get(app.url("/metrics"))
            .bearer_auth("scrape-secret")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{}", app.db.label);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("kyoyu_http_requests_total")
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn api_tokens_live_at_most_the_configured_days() {
    for app in apps().await {
        let label = app.db.label;
        let token = app.login("fsa-contact@demo.example").await;
        let (s, body) = app
            .post("/api/v1/me/tokens", &token, json!({ "name": "feed" }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{label}");
        let expires =
            chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap()).unwrap();
        let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days();
        assert!((364..=365).contains(&days), "{label}: {days}");
        let (s, body) = app
            .post(
                "/api/v1/me/tokens",
                &token,
                json!({ "name": "forever", "expires_in_days": 4000 }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("365"),
            "{body}"
        );

        // A token stored without an expiry before the limit existed, 400 days ago.
        let old = "ky_an-old-token-without-expiry";
        let created = kyoyu_store_ts(chrono::Utc::now() - chrono::Duration::days(400));
        let mut tx = app.db.store.begin().await.unwrap();
        let user = tx
            .user_by_email("fsa-contact@demo.example")
            .await
            .unwrap()
            .unwrap();
        tx.create_token(
            user.id,
            &sha256_hex(old),
            kyoyu_store::TokenKind::Api,
            "old",
            &created,
            None,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let (s, _) = app.get("/api/v1/me", Some(old)).await;
        assert_eq!(
            s,
            StatusCode::UNAUTHORIZED,
            "{label}: an unlimited old token has lapsed"
        );
        app.db.cleanup().await;
    }
}

fn kyoyu_store_ts(t: chrono::DateTime<chrono::Utc>) -> String {
    kyoyu_store::ts(t)
}

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}
