//! What every route answers because of the layers in front of it, written into the OpenAPI
//! document once instead of by hand on each route:
//!
//! - every route runs behind the text guard: NUL (U+0000) in any string is `invalid_text`
//!   (422), so every plain string schema says it holds no NUL, and every operation documents
//!   422;
//! - every route with a body reads it through the same extractors: a body that is not JSON is
//!   400 (`invalid_json`, `bad_request`), the wrong media type 415, too large 413.

use serde_json::{Value, json};

/// A string schema that cannot hold NUL (ECMA-262 and Python regular expressions alike).
pub const NO_NUL: &str = "^[^\\u0000]*$";

/// The served document: the generated one with the shared answers added, and the limits this
/// server is configured with.
pub fn finish(doc: Value, core: &kyoyu_core::Core) -> Value {
    let sectors = core
        .reference()
        .sectors
        .iter()
        .map(|s| s.code.clone())
        .collect();
    finish_with(doc, core.config().max_token_days, sectors)
}

fn finish_with(mut doc: Value, max_token_days: i64, sectors: Vec<String>) -> Value {
    // A form's sector is one of the reference data's.
    for form in ["ReportForm"] {
        if let Some(sector) =
            doc.pointer_mut(&format!("/components/schemas/{form}/properties/sector"))
        {
            sector["enum"] = json!(sectors);
        }
    }
    if let Some(days) =
        doc.pointer_mut("/components/schemas/CreateTokenRequest/properties/expires_in_days")
    {
        days["minimum"] = json!(1);
        days["maximum"] = json!(max_token_days.max(1));
    }
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, op) in item.iter_mut() {
                if !["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                    continue;
                }
                add_shared_answers(op);
            }
        }
    }
    // 情報連絡元: a phone number or an e-mail address, one of them at least.
    if let Some(contact) = doc.pointer_mut("/components/schemas/Contact") {
        let given = |field: &str| json!({ "required": [field], "properties": { field: { "pattern": "\\S" } } });
        contact["anyOf"] = json!([given("phone"), given("email")]);
    }
    forbid_nul(&mut doc);
    empty_means_absent(&mut doc);
    doc
}

/// A date-time or code query parameter left empty (as a form sends it) is no filter.
fn empty_means_absent(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for op in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|i| i.values_mut())
    {
        for p in op
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            let s = &p["schema"];
            let coded = |s: &Value| s.get("enum").is_some() || s.get("$ref").is_some();
            let exact = s["format"] == "date-time"
                || coded(s)
                || s["oneOf"].as_array().is_some_and(|v| v.iter().any(coded));
            if p["in"] == "query" && exact {
                let exact = p["schema"].take();
                p["schema"] = json!({ "anyOf": [exact, { "type": "string", "maxLength": 0 }] });
            }
        }
    }
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } }
    })
}

fn add_shared_answers(op: &mut Value) {
    let has_body = op.get("requestBody").is_some();
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| error_response(description));
    };
    add(
        "422",
        "a field, the query or the path is not allowed (`invalid_field`), or text holds NUL (`invalid_text`)",
    );
    add(
        "503",
        "the database cannot be reached or cannot write for now (`unavailable`); nothing was written, try again later",
    );
    if has_body {
        add(
            "400",
            "the body could not be read (`invalid_json`, `bad_request`)",
        );
        add("413", "the body is larger than the limit (`too_large`)");
        add(
            "415",
            "the body is not of a type the route takes (`unsupported_media_type`)",
        );
    }
}

/// Every plain string schema (no enumeration, format or pattern of its own) holds no NUL.
fn forbid_nul(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let is_string = match map.get("type") {
                Some(Value::String(t)) => t == "string",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                _ => false,
            };
            if is_string
                && !map.contains_key("enum")
                && !map.contains_key("format")
                && !map.contains_key("pattern")
            {
                map.insert("pattern".to_owned(), Value::String(NO_NUL.to_owned()));
            }
            for (key, child) in map.iter_mut() {
                // Examples are data, not schemas.
                if key != "example" && key != "examples" {
                    forbid_nul(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(forbid_nul),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_get_the_no_nul_pattern_and_bodies_their_shared_answers() {
        let doc = json!({
            "paths": { "/x": { "post": {
                "requestBody": { "content": {} },
                "responses": { "200": { "description": "ok" } },
                "parameters": [{ "name": "q", "in": "query", "schema": { "type": "string" } }]
            }, "get": { "responses": {} } } },
            "components": { "schemas": { "A": { "type": "object", "properties": {
                "s": { "type": ["string", "null"] },
                "e": { "type": "string", "enum": ["a"] },
                "d": { "type": "string", "format": "date-time" }
            } } } }
        });
        let out = finish_with(doc, 365, vec!["finance".into()]);
        let post = &out["paths"]["/x"]["post"];
        for status in ["400", "413", "415", "422"] {
            assert!(post["responses"][status].is_object(), "{status}");
        }
        assert!(out["paths"]["/x"]["get"]["responses"]["422"].is_object());
        assert!(out["paths"]["/x"]["get"]["responses"]["415"].is_null());
        assert_eq!(post["parameters"][0]["schema"]["pattern"], NO_NUL);
        let a = &out["components"]["schemas"]["A"]["properties"];
        assert_eq!(a["s"]["pattern"], NO_NUL);
        assert!(a["e"]["pattern"].is_null() && a["d"]["pattern"].is_null());
    }
}
