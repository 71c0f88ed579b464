//! Black-box tests of the HTTP surface: the real router on a real port, over a fresh database
//! with the demo world, on SQLite and (with `KYOYU_TEST_PG`) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kyoyu_core::demo;
use kyoyu_test_support::{apps, csrf_field};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn health_readiness_and_metrics() {
    for app in apps().await {
        let (s, body) = app.get("/healthz", None).await;
        assert_eq!((s, body["status"].as_str()), (StatusCode::OK, Some("ok")));
        let (s, body) = app.get("/readyz", None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body["database"], app.db.label);
        let text = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            text.contains(
                r#"kyoyu_http_requests_total{method="GET",route="/healthz",status="200"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains("kyoyu_http_request_duration_seconds_bucket"),
            "{text}"
        );
        assert!(text.contains("kyoyu_db_pool_connections"), "{text}");
        assert!(text.contains("kyoyu_build_info{version="), "{text}");
        // The Grafana dashboard of deploy/ queries only metrics the service exposes.
        let dashboard = include_str!("../../../deploy/grafana/kyoyu.json");
        let mut queried = 0;
        for (i, _) in dashboard.match_indices("kyoyu_") {
            let name: String = dashboard[i..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            queried += 1;
            assert!(text.contains(&name), "the dashboard queries {name}: {text}");
        }
        assert!(queried >= 5, "the dashboard queries {queried} metrics");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn a_demo_user_logs_in_through_the_api_and_sees_their_organisation() {
    for app in apps().await {
        let token = app.login("op-finance-1-contact@demo.example").await;
        let (s, me) = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(me["org"]["code"], "op-finance-1");
        assert_eq!(me["org"]["roles"], json!(["operator"]));
        assert_eq!(me["org"]["ceptoars"], json!(["ceptoar-finance"]));
        assert_eq!(me["is_contact"], true);

        let (s, orgs) = app.get("/api/v1/orgs", Some(&token)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(orgs.as_array().unwrap().len(), 53);
        let (s, fsa) = app.get("/api/v1/orgs/fsa", Some(&token)).await;
        assert_eq!(
            (s, fsa["name_ja"].as_str()),
            (StatusCode::OK, Some("金融庁"))
        );
        let (s, sectors) = app.get("/api/v1/sectors", Some(&token)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(sectors.as_array().unwrap().len(), 14);

        let (s, fsa_me) = app
            .get(
                "/api/v1/me",
                Some(&app.login("fsa-contact@demo.example").await),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(fsa_me["jurisdiction"], json!(["finance"]));
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn logout_revokes_the_token() {
    for app in apps().await {
        let token = app.login("nisc-member@demo.example").await;
        let res = app
            .client
            .post(app.url("/api/v1/auth/logout"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let (s, body) = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["code"], "unauthenticated");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn api_tokens_work_as_bearer_tokens_until_revoked() {
    for app in apps().await {
        let session = app.login("jpcert-contact@demo.example").await;
        // A name longer than the contract's 100 characters is refused as sent, even when
        // trimming its outer spaces would bring it within (schemathesis found this).
        let long = format!("\u{c}{}", "a".repeat(100));
        let (s, _) = app
            .post("/api/v1/me/tokens", &session, json!({ "name": long }))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let res = app
            .client
            .post(app.url("/api/v1/me/tokens"))
            .bearer_auth(&session)
            .json(&json!({ "name": "MISP連携", "expires_in_days": 30 }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let created: Value = res.json().await.unwrap();
        let api_token = created["token"].as_str().unwrap();
        let (s, me) = app.get("/api/v1/me", Some(api_token)).await;
        assert_eq!(
            (s, me["email"].as_str()),
            (StatusCode::OK, Some("jpcert-contact@demo.example"))
        );
        let (_, list) = app.get("/api/v1/me/tokens", Some(&session)).await;
        assert_eq!(list[0]["name"], "MISP連携");
        assert!(
            list[0].get("token").is_none(),
            "the token itself is never listed"
        );
        let id = created["id"].as_i64().unwrap();
        // Another user cannot revoke it: it does not exist for them.
        let other = app.login("ipa-contact@demo.example").await;
        let res = app
            .client
            .delete(app.url(&format!("/api/v1/me/tokens/{id}")))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let res = app
            .client
            .delete(app.url(&format!("/api/v1/me/tokens/{id}")))
            .bearer_auth(&session)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            app.get("/api/v1/me", Some(api_token)).await.0,
            StatusCode::UNAUTHORIZED
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn a_demo_user_logs_in_through_the_web_ui() {
    for app in apps().await {
        let page = app.client.get(app.url("/login")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(
            html.contains("<html lang=\"ja\">") && html.contains("ログイン"),
            "{html}"
        );
        assert!(html.contains("デモモード"), "the demo banner is shown");
        let csrf = csrf_field(&html);

        // Without the CSRF token the form is refused.
        let form = [
            ("email", "op-finance-1-contact@demo.example"),
            ("password", demo::DEMO_PASSWORD),
            ("_csrf", "forged"),
        ];
        let res = app
            .client
            .post(app.url("/login"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let html = res.text().await.unwrap();

        // A wrong password shows a Japanese error and keeps the e-mail.
        let csrf2 = csrf_field(&html);
        let form = [
            ("email", "op-finance-1-contact@demo.example"),
            ("password", "nope"),
            ("_csrf", csrf2.as_str()),
        ];
        let res = app
            .client
            .post(app.url("/login"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let html = res.text().await.unwrap();
        assert!(
            html.contains("メールアドレスまたはパスワードが正しくありません"),
            "{html}"
        );
        assert!(html.contains("value=\"op-finance-1-contact@demo.example\""));
        let _ = csrf;

        let csrf3 = csrf_field(&html);
        let form = [
            ("email", "op-finance-1-contact@demo.example"),
            ("password", demo::DEMO_PASSWORD),
            ("_csrf", csrf3.as_str()),
        ];
        let res = app
            .client
            .post(app.url("/login"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            cookie.contains("kyoyu_session=")
                && cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );

        let home = app
            .client
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(home.contains("金融デモ事業者1"), "{home}");
        assert!(
            home.contains("重要インフラ事業者等"),
            "roles are shown in Japanese"
        );
        assert!(home.contains("ceptoar-finance"));
        for external in [
            "src=\"http",
            "href=\"http",
            "src=\"//",
            "href=\"//",
            "@import",
        ] {
            assert!(
                !home.contains(external),
                "the page loads something from elsewhere: {external}"
            );
        }

        let account = app
            .client
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_field(&account);
        // A state-changing form without the session's CSRF token is refused.
        let res = app
            .client
            .post(app.url("/account/tokens"))
            .form(&[("name", "x"), ("_csrf", "bad")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let res = app
            .client
            .post(app.url("/account/tokens"))
            .form(&[
                ("name", "連携用"),
                ("expires_in_days", "30"),
                ("_csrf", &csrf),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let html = res.text().await.unwrap();
        assert!(
            html.contains("id=\"new-token\" class=\"secret\">ky_"),
            "the new token is shown once"
        );
        assert!(html.contains("連携用"));

        // TOTP enrolment shows a QR code and the secret.
        let res = app
            .client
            .post(app.url("/account/totp/begin"))
            .form(&[("_csrf", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let html = app
            .client
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("<svg") && html.contains("id=\"totp-secret\""),
            "{html}"
        );

        let res = app
            .client
            .post(app.url("/logout"))
            .form(&[("_csrf", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let res = app.client.get(app.url("/")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()["location"], "/login");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn pages_carry_security_headers_and_the_stylesheet_is_embedded() {
    for app in apps().await {
        let res = app.client.get(app.url("/login")).send().await.unwrap();
        for h in [
            "content-security-policy",
            "x-content-type-options",
            "x-frame-options",
        ] {
            assert!(res.headers().contains_key(h), "{h}");
        }
        let css = app
            .client
            .get(app.url("/static/kyoyu.css"))
            .send()
            .await
            .unwrap();
        assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
        assert!(css.text().await.unwrap().contains("--tlp-amber"));
        let res = app
            .client
            .get(app.url("/no-such-page"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(res.text().await.unwrap().contains("見つかりません"));
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn a_user_chooses_which_events_are_mailed_on_the_account_page() {
    for app in apps().await {
        let ui = app.ui_login("fsa-contact@demo.example").await;
        let html = ui
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("通知メール") && html.contains("識別番号の付与"),
            "{html}"
        );
        let csrf = csrf_field(&html);
        let res = ui
            .post(app.url("/account/notifications"))
            .body(format!(
                "_csrf={csrf}&enabled=report_numbered&enabled=inquiry"
            ))
            .header("content-type", "application/x-www-form-urlencoded")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let token = app.login("fsa-contact@demo.example").await;
        let (_, settings) = app
            .get("/api/v1/me/notification-settings", Some(&token))
            .await;
        let on: Vec<&str> = settings
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["email"] == true)
            .map(|s| s["event"].as_str().unwrap())
            .collect();
        assert_eq!(on, ["report_numbered", "inquiry"]);
        app.db.cleanup().await;
    }
}
