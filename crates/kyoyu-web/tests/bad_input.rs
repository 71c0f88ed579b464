//! Bad input through the real router on a real port, on SQLite and (with `KYOYU_TEST_PG`)
//! PostgreSQL: every mistake a client can make gets a clear 4xx JSON error naming the field,
//! and nothing a client sends yields a 500.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kyoyu_test_support::apps;
use serde_json::Value;

/// One bad request and what a client must get back.
struct Bad {
    method: &'static str,
    path: &'static str,
    content_type: Option<&'static str>,
    body: String,
    auth: bool,
    status: u16,
    code: &'static str,
    field: Option<&'static str>,
}

fn bad(
    method: &'static str,
    path: &'static str,
    body: &str,
    status: u16,
    code: &'static str,
    field: Option<&'static str>,
) -> Bad {
    Bad {
        method,
        path,
        content_type: Some("application/json"),
        body: body.to_owned(),
        auth: false,
        status,
        code,
        field,
    }
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_json_error_naming_the_field() {
    let login = "/api/v1/auth/login";
    let tokens = "/api/v1/me/tokens";
    let mut cases = vec![
        bad("POST", login, "{", 400, "invalid_json", None),
        bad("POST", login, "", 400, "invalid_json", None),
        bad("POST", login, "[1,2]", 422, "invalid_field", Some("")),
        bad(
            "POST",
            login,
            r#"{"email":"a@b.example"}"#,
            422,
            "invalid_field",
            Some("password"),
        ),
        bad(
            "POST",
            login,
            r#"{"email":7,"password":"x"}"#,
            422,
            "invalid_field",
            Some("email"),
        ),
        bad(
            "POST",
            login,
            r#"{"email":"a@b.example","password":"x","admin":true}"#,
            422,
            "invalid_field",
            Some("admin"),
        ),
        bad(
            "POST",
            login,
            r#"{"email":"a@b.example","password":"x"}"#,
            401,
            "login_failed",
            None,
        ),
        bad(
            "POST",
            login,
            &format!(r#"{{"email":"{}","password":"x"}}"#, "a".repeat(300)),
            422,
            "invalid_field",
            Some("email"),
        ),
        bad(
            "POST",
            login,
            &format!(
                r#"{{"email":"x","password":"{}"}}"#,
                "a".repeat(2 * 1024 * 1024)
            ),
            413,
            "too_large",
            None,
        ),
        Bad {
            content_type: Some("text/plain"),
            ..bad("POST", login, "{}", 415, "unsupported_media_type", None)
        },
        Bad {
            content_type: None,
            ..bad("POST", login, "{}", 415, "unsupported_media_type", None)
        },
        bad("GET", "/api/v1/me", "", 401, "unauthenticated", None),
        bad("GET", "/api/v1/nothing-here", "", 404, "not_found", None),
        bad(
            "DELETE",
            "/api/v1/orgs",
            "",
            405,
            "method_not_allowed",
            None,
        ),
        Bad {
            auth: true,
            ..bad(
                "POST",
                tokens,
                r#"{"name":""}"#,
                422,
                "invalid_field",
                Some("name"),
            )
        },
        Bad {
            auth: true,
            ..bad(
                "POST",
                tokens,
                r#"{"name":"x","expires_in_days":0}"#,
                422,
                "invalid_field",
                Some("expires_in_days"),
            )
        },
        Bad {
            auth: true,
            ..bad(
                "POST",
                tokens,
                r#"{"name":"x","expires_in_days":"soon"}"#,
                422,
                "invalid_field",
                Some("expires_in_days"),
            )
        },
        Bad {
            auth: true,
            ..bad(
                "DELETE",
                "/api/v1/me/tokens/abc",
                "",
                404,
                "not_found",
                None,
            )
        },
        Bad {
            auth: true,
            ..bad(
                "DELETE",
                "/api/v1/me/tokens/99999999999999999999999",
                "",
                404,
                "not_found",
                None,
            )
        },
        Bad {
            auth: true,
            ..bad("GET", "/api/v1/orgs/%ff", "", 400, "bad_request", None)
        },
        Bad {
            auth: true,
            ..bad(
                "GET",
                "/api/v1/orgs/%00%ff",
                "",
                422,
                "invalid_text",
                Some("path"),
            )
        },
    ];
    cases.push(Bad {
        auth: false,
        ..bad("GET", "/api/v1/orgs", "", 401, "unauthenticated", None)
    });
    for app in apps().await {
        let token = app.login("vendor-1-contact@demo.example").await;
        for c in &cases {
            let mut req = app
                .client
                .request(c.method.parse().unwrap(), app.url(c.path))
                .body(c.body.clone());
            if let Some(ct) = c.content_type {
                req = req.header("content-type", ct);
            }
            if c.auth {
                req = req.bearer_auth(&token);
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            let what = format!(
                "[{}] {} {} {:.60}: {body}",
                app.db.label, c.method, c.path, c.body
            );
            assert_eq!(status, c.status, "{what}");
            assert_eq!(body["error"]["code"], c.code, "{what}");
            assert!(
                !body["error"]["message"].as_str().unwrap_or("").is_empty(),
                "{what}"
            );
            if let Some(field) = c.field {
                assert_eq!(body["error"]["field"], field, "{what}");
            }
        }
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn nothing_a_client_sends_yields_a_500() {
    let garbage = [
        "",
        "{",
        "null",
        "[]",
        "\"x\"",
        "1e999",
        "{\"email\":null}",
        "{\"name\":[{}]}",
        "\u{0}\u{1}",
        "{\"email\":\"\u{202e}@x.example\",\"password\":\"\"}",
        "{\"totp\":12345678901234567890}",
    ];
    for app in apps().await {
        let token = app.login("op-gas-2-member@demo.example").await;
        let doc: Value = app
            .client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let paths: Vec<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
        let mut sent = 0;
        for path in &paths {
            for filler in ["1", "-1", "x", "%E2%80%AE", "999999999999999999999"] {
                let concrete = path
                    .replace("{id}", filler)
                    .replace("{code}", filler)
                    .replace("{aid}", filler);
                for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
                    for body in garbage {
                        for auth in [false, true] {
                            let mut req = app
                                .client
                                .request(method.parse().unwrap(), app.url(&concrete))
                                .header("content-type", "application/json")
                                .body(body.to_owned());
                            if auth {
                                req = req.bearer_auth(&token);
                            }
                            let res = req.send().await.unwrap();
                            let status = res.status();
                            assert!(
                                status.as_u16() < 500,
                                "[{}] {method} {concrete} {body:?} → {status}",
                                app.db.label
                            );
                            if !status.is_success() {
                                let v: Value = res.json().await.unwrap_or(Value::Null);
                                assert!(
                                    v["error"]["code"].is_string(),
                                    "{method} {concrete} → {status} without the error shape"
                                );
                            }
                            sent += 1;
                        }
                    }
                }
            }
        }
        assert!(sent > 500, "only {sent} requests sent");
        app.db.cleanup().await;
    }
}
