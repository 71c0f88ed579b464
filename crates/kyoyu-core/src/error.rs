//! The use-case error vocabulary. The web layer renders each variant twice (JSON for the API,
//! a Japanese page for the UI) from one match; nothing here knows about HTTP.

use kyoyu_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Client input that fails validation; `field` is the API field path.
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    #[error("login required")]
    Unauthenticated,
    #[error("wrong e-mail or password")]
    LoginFailed,
    #[error("TOTP code required")]
    TotpRequired,
    #[error("wrong TOTP code")]
    TotpInvalid,
    #[error("account locked")]
    Locked,
    #[error("forbidden")]
    Forbidden,
    /// Missing, or not visible to the caller (never distinguished).
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    pub fn invalid(field: &str, message: impl Into<String>) -> CoreError {
        CoreError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => CoreError::Conflict(what),
            StoreError::NotFound(_) => CoreError::NotFound,
            other => CoreError::Internal(other.to_string()),
        }
    }
}
