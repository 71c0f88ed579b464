//! The one place text input is checked before any route reads it: a NUL character (U+0000) in
//! the path, the query string, a JSON body or a posted form is refused with `invalid_text`
//! (422) on both databases alike. PostgreSQL cannot store NUL in text and SQLite would keep it
//! invisibly, so nothing that holds one gets further. Multipart bodies are left to their
//! handlers (their files are bytes; their text parts reach the store, whose refusal of NUL
//! the core turns into the same error).

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kyoyu_core::ErrorCode;
use percent_encoding::percent_decode;

use crate::AppState;
use crate::error::ApiError;

pub async fn reject_nul(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/") || req.uri().path().starts_with("/taxii");
    let refuse = |field: &str| -> Response {
        if is_api {
            ApiError::with_field(ErrorCode::InvalidText, field).into_response()
        } else {
            crate::ui::error_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                kyoyu_domain::messages::t(kyoyu_domain::messages::Locale::Ja, "error.invalid_text"),
            )
        }
    };
    if percent_decode(req.uri().path().as_bytes()).any(|b| b == 0) {
        return refuse("path");
    }
    if let Some(q) = req.uri().query()
        && let Some(name) = urlencoded_nul(q.as_bytes())
    {
        return refuse(&name);
    }
    let kind = body_kind(&req);
    if kind == BodyKind::Other {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, state.config.max_json_bytes).await {
        Ok(b) => b,
        Err(_) => {
            return if is_api {
                ApiError::new(ErrorCode::TooLarge).into_response()
            } else {
                crate::ui::error_page(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    kyoyu_domain::messages::t(
                        kyoyu_domain::messages::Locale::Ja,
                        "error.too_large",
                    ),
                )
            };
        }
    };
    let found = match kind {
        BodyKind::Json => json_nul(&bytes),
        BodyKind::Form => urlencoded_nul(&bytes),
        BodyKind::Other => None,
    };
    if let Some(field) = found {
        return refuse(&field);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Json,
    Form,
    Other,
}

fn body_kind(req: &Request) -> BodyKind {
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match mime.as_str() {
        "application/json" => BodyKind::Json,
        "application/x-www-form-urlencoded" => BodyKind::Form,
        _ => BodyKind::Other,
    }
}

/// The name of the first `name=value` pair whose name or value decodes to a NUL.
fn urlencoded_nul(bytes: &[u8]) -> Option<String> {
    let has_nul = |s: &[u8]| s.contains(&0) || percent_decode(s).any(|b| b == 0);
    bytes.split(|b| *b == b'&').find_map(|pair| {
        has_nul(pair).then(|| {
            let name = pair.split(|b| *b == b'=').next().unwrap_or_default();
            let name: Vec<u8> = percent_decode(name).filter(|b| *b != 0).collect();
            String::from_utf8_lossy(&name).replace('+', " ")
        })
    })
}

/// The path (`form.title`, `to[2]`) of the first string of a JSON body that holds a NUL. The
/// bytes are scanned first (JSON can only carry NUL as the escape `\u0000`); only a body that
/// has one is parsed to find where.
fn json_nul(bytes: &Bytes) -> Option<String> {
    if !has_nul_escape(bytes) && !bytes.contains(&0) {
        return None;
    }
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        // Malformed JSON is the extractor's to explain.
        Err(_) => return None,
    };
    Some(nul_path(&value, String::new()).unwrap_or_default())
}

/// A `\u0000` escape that is not itself an escaped backslash followed by text.
fn has_nul_escape(bytes: &[u8]) -> bool {
    let mut backslashes = 0usize;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\\' {
            backslashes += 1;
            continue;
        }
        if *b == b'u' && backslashes % 2 == 1 && bytes.get(i + 1..i + 5) == Some(b"0000") {
            return true;
        }
        backslashes = 0;
    }
    false
}

fn nul_path(value: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0').then_some(at),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_path(v, format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            if k.contains('\0') {
                Some(here.replace('\0', ""))
            } else {
                nul_path(v, here)
            }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_escapes_are_found_and_escaped_backslashes_are_not() {
        assert!(has_nul_escape(br#"{"a":"x\u0000"}"#));
        assert!(has_nul_escape(br#"{"a":"x\\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"a":"x\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"a":"x\u00001"}"#.split_at(5).0));
        assert!(!has_nul_escape(br#"{"a":"\u3000"}"#));
    }

    #[test]
    fn the_path_of_the_string_with_nul_is_named() {
        let body = Bytes::from_static(br#"{"form":{"title":"ok","causes":["a","b\u0000"]}}"#);
        assert_eq!(json_nul(&body).as_deref(), Some("form.causes[1]"));
        let body = Bytes::from_static(br#"{"email":"a\u0000@x","password":"p"}"#);
        assert_eq!(json_nul(&body).as_deref(), Some("email"));
        let body = Bytes::from_static(br#"{"email":"a\\u0000@x"}"#);
        assert_eq!(json_nul(&body), None);
    }

    #[test]
    fn form_and_query_pairs_with_nul_are_named() {
        assert_eq!(
            urlencoded_nul(b"sector=a%00&tlp=red").as_deref(),
            Some("sector")
        );
        assert_eq!(urlencoded_nul(b"q=%2500&x=1"), None);
        assert_eq!(urlencoded_nul(b"q=%E6%94%B9"), None);
    }
}
