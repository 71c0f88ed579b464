//! The served OpenAPI document: version 3.1, every route of the router in it, every body typed
//! and every operation named once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kyoyu_test_support::apps;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_every_route() {
    for app in apps().await {
        let (s, doc) = app.get("/api/v1/openapi.json", None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3.1"),
            "{}",
            doc["openapi"]
        );
        for (path, method) in [
            ("/api/v1/auth/login", "post"),
            ("/api/v1/auth/logout", "post"),
            ("/api/v1/me", "get"),
            ("/api/v1/me/tokens", "get"),
            ("/api/v1/me/tokens", "post"),
            ("/api/v1/me/tokens/{id}", "delete"),
            ("/api/v1/orgs", "get"),
            ("/api/v1/orgs/{code}", "get"),
            ("/api/v1/sectors", "get"),
        ] {
            assert!(
                doc["paths"][path][method].is_object(),
                "{method} {path} missing"
            );
        }
        assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
        app.db.cleanup().await;
    }
}

/// A generated client gets what the API really takes and gives: query parameters in the query,
/// one name per operation, and every JSON body (sent or answered) a schema with its fields.
#[tokio::test]
async fn the_openapi_document_types_every_body_and_names_every_operation_once() {
    for app in apps().await {
        let (_, doc) = app.get("/api/v1/openapi.json", None).await;
        check_contract(&doc);
        app.db.cleanup().await;
    }
}

fn check_contract(doc: &Value) {
    let resolve = |schema: &Value| -> Value {
        match schema["$ref"].as_str() {
            Some(r) => doc["components"]["schemas"][r.rsplit('/').next().unwrap()].clone(),
            None => schema.clone(),
        }
    };
    let typed = |schema: &Value| {
        let s = resolve(schema);
        s["properties"].is_object() || s["items"].is_object() || s["type"] == "array"
    };
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap().to_owned();
            assert!(ids.insert(id.clone()), "operationId {id} twice");
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap();
                if p["in"] == "path" {
                    assert!(
                        path.contains(&format!("{{{name}}}")),
                        "{method} {path}: {name} is no path segment"
                    );
                }
            }
            for (ct, c) in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                if ct.contains("json") || ct.contains("multipart") {
                    assert!(
                        typed(&c["schema"]),
                        "{method} {path}: untyped {ct} request body"
                    );
                }
            }
            for (status, r) in op["responses"].as_object().unwrap() {
                assert!(
                    status.parse::<u16>().is_ok(),
                    "{method} {path}: status {status}"
                );
                if let Some(c) = r["content"]["application/json"].as_object() {
                    assert!(
                        typed(&c["schema"]),
                        "{method} {path}: untyped {status} answer"
                    );
                }
                if status.starts_with('2') {
                    continue;
                }
                assert!(
                    r["content"]["application/json"]["schema"]["$ref"]
                        .as_str()
                        .is_some_and(|s| s.ends_with("/ErrorBody")),
                    "{method} {path}: {status} is not the error body"
                );
            }
            assert!(
                op["responses"]["422"].is_object(),
                "{method} {path}: 422 undocumented"
            );
        }
    }
    // The report form, with its enumerations.
    let form = &doc["components"]["schemas"]["ReportForm"];
    assert!(form["properties"]["tlp"].is_object(), "{form}");
    let tlp = resolve(&form["properties"]["tlp"]);
    assert_eq!(
        tlp["enum"],
        json!(["red", "amber", "green", "white"]),
        "{tlp}"
    );
}
