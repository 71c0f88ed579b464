//! The API's JSON body extractor: a wrong content type, malformed JSON, a missing or mistyped
//! field, or an oversized body each become a clear 4xx in the API error shape, naming the field
//! path (from `serde_path_to_error`). A whole number written as `3.0` is the integer 3.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use kyoyu_core::ErrorCode;
use kyoyu_domain::messages::{Locale, fill, t};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !json {
            return Err(ApiError::new(ErrorCode::UnsupportedMediaType));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(ErrorCode::TooLarge)
            } else {
                ApiError::new(ErrorCode::BadRequest)
            }
        })?;
        parse(&bytes).map(ApiJson)
    }
}

pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Request bodies are JSON objects; anything else that parses is refused as a whole.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
    {
        return Err(ApiError::field("", t(Locale::Ja, "error.body_object")));
    }
    let mut value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            return Err(ApiError::with_message(
                ErrorCode::InvalidJson,
                fill(
                    t(Locale::Ja, "error.invalid_json"),
                    &[("detail", &e.to_string())],
                ),
            ));
        }
    };
    integral_numbers(&mut value);
    let err = match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => return Ok(v),
        Err(err) => err,
    };
    let path = err.path().to_string();
    let inner = err.into_inner();
    let detail = inner.to_string();
    if inner.is_syntax() || inner.is_eof() || inner.is_io() {
        return Err(ApiError::with_message(
            ErrorCode::InvalidJson,
            fill(t(Locale::Ja, "error.invalid_json"), &[("detail", &detail)]),
        ));
    }
    let (field, key) = match missing_field(&detail) {
        Some(f) if path == "." => (f, "error.field_required"),
        Some(f) => (format!("{path}.{f}"), "error.field_required"),
        None if path == "." => (String::new(), "error.field_invalid"),
        None => (path, "error.field_invalid"),
    };
    let shown = if field.is_empty() {
        "body".to_owned()
    } else {
        crate::error::field_label(&field)
    };
    Err(ApiError::field(
        &field,
        fill(
            t(Locale::Ja, key),
            &[("field", &shown), ("detail", &detail)],
        ),
    ))
}

/// JSON has one number type: `3.0` is the integer 3 (as JSON Schema says), so a whole number
/// written with a fraction is read as the integer it is.
fn integral_numbers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
                && f.abs() < 9_007_199_254_740_992.0
            {
                *n = serde_json::Number::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// serde reports a missing field at its parent's path; name the field itself.
fn missing_field(detail: &str) -> Option<String> {
    let rest = detail.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_owned())
}
