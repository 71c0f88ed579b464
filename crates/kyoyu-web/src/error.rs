//! One error vocabulary, rendered twice: JSON `{"error": {code, message, field?}}` for the API
//! and a Japanese page for the UI. The code is the domain's `ErrorCode`; its HTTP status is
//! decided in one `match` here ([`status_of`]); its text comes from the message catalogue. A
//! client's mistake is never a 500; a 500 says nothing internal and its cause is logged once.

use axum::Json;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kyoyu_core::{CoreError, ErrorCode};
use kyoyu_domain::messages::{Locale, Msg, fill, t};
use serde::Serialize;
use utoipa::ToSchema;

/// The error body of every non-2xx API response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code listed in API.md, e.g. `invalid_field`, `not_found`,
    /// `scope_ceiling_exceeded`. Clients branch on it.
    pub code: String,
    /// A message a person can read (Japanese).
    pub message: String,
    /// The API field path the error is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `workbook_invalid`: every problem of the uploaded form, by cell.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<CellProblem>,
}

/// One problem of an uploaded form.
#[derive(Debug, Serialize, ToSchema)]
pub struct CellProblem {
    /// The cell, e.g. `C23`; empty for the file as a whole.
    pub cell: String,
    /// The row's label as the sheet shows it.
    pub label: String,
    /// What is wrong, in Japanese.
    pub message: String,
}

/// The HTTP status of every error code: the one place that decides it.
pub fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode::*;
    match code {
        BadRequest | InvalidJson | CsrfInvalid => StatusCode::BAD_REQUEST,
        InvalidField | InvalidText | WorkbookInvalid | RouteNotAllowed | AnonymizeNotAllowed
        | TlpWidened | SectorFixed => StatusCode::UNPROCESSABLE_ENTITY,
        TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Unauthenticated | LoginFailed | TotpRequired | TotpInvalid => StatusCode::UNAUTHORIZED,
        AccountLocked | Throttled => StatusCode::TOO_MANY_REQUESTS,
        Forbidden => StatusCode::FORBIDDEN,
        NotFound => StatusCode::NOT_FOUND,
        NothingToForward
        | DraftExists
        | NoDraft
        | FirstEditionNotSent
        | AlreadyPublished
        | NotPublished
        | NotDelivered
        | ScopeCeilingExceeded
        | SourceLintHits
        | ScopeRequestNotNeeded
        | AlreadyDecided
        | TotpAlreadyEnabled
        | TotpNotEnabled
        | AlreadyExists => StatusCode::CONFLICT,
        Internal => StatusCode::INTERNAL_SERVER_ERROR,
        PdfUnavailable | Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    pub problems: Vec<kyoyu_forms::CellError>,
}

impl ApiError {
    /// An error with the code's own text.
    pub fn new(code: ErrorCode) -> ApiError {
        ApiError {
            code,
            message: t(Locale::Ja, &code.message_key()).to_owned(),
            field: None,
            problems: Vec::new(),
        }
    }

    /// An error with a message of its own.
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            field: None,
            problems: Vec::new(),
        }
    }

    /// A field of the request is wrong (`invalid_field`).
    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            code: ErrorCode::InvalidField,
            message: message.into(),
            field: Some(field.to_owned()),
            problems: Vec::new(),
        }
    }

    /// An error of `code`, with its own text, about the request field `field`.
    pub fn with_field(code: ErrorCode, field: &str) -> ApiError {
        ApiError {
            field: Some(field.to_owned()),
            ..ApiError::new(code)
        }
    }

    pub fn not_found() -> ApiError {
        ApiError::new(ErrorCode::NotFound)
    }

    pub fn status(&self) -> StatusCode {
        status_of(self.code)
    }
}

/// The label of an API field for messages, or the path itself.
pub(crate) fn field_label(field: &str) -> String {
    let label_of = |f: &str| {
        let key = format!("field.{f}");
        let label = t(Locale::Ja, &key);
        (label != key).then(|| label.to_owned())
    };
    // A place inside a document (`bundle.objects[2].pattern`) takes the document's name.
    let whole = field.split(['.', '[']).next().unwrap_or(field);
    match label_of(field).or_else(|| label_of(whole)) {
        Some(label) => format!("{label}（{field}）"),
        None => field.to_owned(),
    }
}

fn detail_text(d: &Option<Msg>) -> Option<String> {
    d.as_ref().map(|m| m.render(Locale::Ja))
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        if e.code == ErrorCode::Internal {
            tracing::error!(error = %e, "internal error");
            return ApiError::new(ErrorCode::Internal);
        }
        let base = t(Locale::Ja, &e.code.message_key());
        let message = match (&e.field, detail_text(&e.detail)) {
            (Some(field), Some(detail)) => fill(
                t(Locale::Ja, "error.field_invalid"),
                &[("field", &field_label(field)), ("detail", &detail)],
            ),
            (None, Some(detail)) => fill(
                t(Locale::Ja, "error.with_detail"),
                &[("message", base), ("detail", &detail)],
            ),
            (_, None) => base.to_owned(),
        };
        ApiError {
            code: e.code,
            message,
            field: e.field,
            problems: e.problems,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.code().to_owned(),
                message: self.message,
                field: self.field,
                errors: self
                    .problems
                    .into_iter()
                    .map(|p| CellProblem {
                        cell: p.cell,
                        label: p.label,
                        message: p.message,
                    })
                    .collect(),
            },
        };
        let mut res = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        res
    }
}

/// Unknown paths: JSON under `/api`, a Japanese page elsewhere.
pub async fn fallback(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") || req.uri().path().starts_with("/taxii2/") {
        ApiError::not_found().into_response()
    } else {
        crate::ui::error_page(StatusCode::NOT_FOUND, t(Locale::Ja, "error.not_found"))
    }
}

/// Makes sure every error under `/api` has the JSON error shape, also the ones produced by the
/// framework (method not allowed, bad path parameters), and that they are never empty.
pub async fn json_errors_for_api(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    if !is_api || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return res;
    }
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::TooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::Throttled,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::BadRequest,
    };
    let mut out = ApiError::new(code).into_response();
    // Keep the framework's status where the code's own differs (a 400 from a bad path stays
    // 400; `bad_request` is 400 anyway).
    *out.status_mut() = status;
    if let Some(allow) = res.headers().get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}

/// A panic becomes a plain 500 that reveals nothing; the panic itself is logged.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    tracing::error!(panic = %detail, "request handler panicked");
    ApiError::new(ErrorCode::Internal).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_status_and_a_japanese_text() {
        for c in ErrorCode::ALL {
            let e = ApiError::new(*c);
            assert!(
                e.status().is_client_error() || e.status().is_server_error(),
                "{c}"
            );
            assert_ne!(e.message, c.message_key(), "{c} has no text");
        }
        assert_eq!(
            status_of(ErrorCode::ScopeCeilingExceeded),
            StatusCode::CONFLICT
        );
        assert_eq!(
            status_of(ErrorCode::RouteNotAllowed),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            status_of(ErrorCode::AccountLocked),
            StatusCode::TOO_MANY_REQUESTS
        );
    }

    /// API.md lists every code, so that clients know what to branch on.
    #[test]
    fn api_md_lists_every_code() {
        let doc = include_str!("../../../docs/API.md");
        for c in ErrorCode::ALL {
            assert!(
                doc.contains(&format!("`{}`", c.code())),
                "API docs lack {c}"
            );
        }
    }
}
