//! One error vocabulary, rendered twice: JSON `{"error": {code, message, field?}}` for the API
//! and a Japanese page for the UI, each from a single match over `CoreError`. A client's
//! mistake is never a 500; a 500 says nothing internal and its cause is logged once.

use axum::Json;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kyoyu_core::CoreError;
use kyoyu_domain::messages::{Locale, fill, t};
use serde::Serialize;
use utoipa::ToSchema;

/// The error body of every non-2xx API response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code, e.g. `invalid_field`, `not_found`.
    pub code: String,
    /// A message a person can read (Japanese).
    pub message: String,
    /// The API field path the error is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn field(status: StatusCode, field: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: "invalid_field",
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    pub fn not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            t(Locale::Ja, "error.not_found"),
        )
    }
}

/// The label of an API field for messages, or the path itself.
pub(crate) fn field_label(field: &str) -> String {
    let key = format!("field.{field}");
    let label = t(Locale::Ja, &key);
    if label == key {
        field.to_owned()
    } else {
        format!("{label}（{field}）")
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        let m = |key: &str| t(Locale::Ja, key).to_owned();
        match e {
            CoreError::Invalid { field, message } => ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                &field,
                fill(
                    t(Locale::Ja, "error.field_invalid"),
                    &[("field", &field_label(&field)), ("detail", &message)],
                ),
            ),
            CoreError::Unauthenticated => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                m("error.unauthorized"),
            ),
            CoreError::LoginFailed => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "login_failed",
                m("error.login_failed"),
            ),
            CoreError::TotpRequired => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "totp_required",
                m("error.totp_required"),
            ),
            CoreError::TotpInvalid => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "totp_invalid",
                m("error.totp_invalid"),
            ),
            CoreError::Locked => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "account_locked",
                m("error.locked"),
            ),
            CoreError::Forbidden => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", m("error.forbidden"))
            }
            CoreError::NotFound => ApiError::not_found(),
            CoreError::Conflict(what) => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                fill(t(Locale::Ja, "error.conflict"), &[("detail", &what)]),
            ),
            CoreError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    m("error.internal"),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                field: self.field,
            },
        };
        let mut res = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
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
    let (code, key) = match status {
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "error.method_not_allowed"),
        StatusCode::NOT_FOUND => ("not_found", "error.not_found"),
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "error.too_large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported_media_type", "error.unsupported_media_type")
        }
        StatusCode::TOO_MANY_REQUESTS => ("throttled", "error.throttled"),
        s if s.is_server_error() => ("internal", "error.internal"),
        _ => ("bad_request", "error.bad_request"),
    };
    let mut out = ApiError::new(status, code, t(Locale::Ja, key)).into_response();
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
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        t(Locale::Ja, "error.internal"),
    )
    .into_response()
}
