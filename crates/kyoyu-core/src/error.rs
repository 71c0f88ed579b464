//! The use-case error: a stable [`ErrorCode`], the field it is about, what to tell the person
//! (a catalogue message), and for internal failures the cause chain, which is logged once and
//! never shown. The web layer renders it twice (JSON for the API, a Japanese page for the UI)
//! from the code; nothing here knows about HTTP.

use kyoyu_domain::ErrorCode;
use kyoyu_domain::messages::{Locale, Msg, t};
use kyoyu_domain::policy::Denied;
use kyoyu_store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreError {
    pub code: ErrorCode,
    /// The API field path the error is about, when there is one.
    pub field: Option<String>,
    /// What to tell the person beyond the code's own text.
    pub detail: Option<Msg>,
    /// For `Internal`: what failed, with its causes (for the log only).
    pub cause: Option<String>,
    /// For `WorkbookInvalid`: each problem of the uploaded form, by cell.
    pub problems: Vec<kyoyu_forms::CellError>,
}

/// What a person reads (the CLI prints it; logs carry it with the code): the detail if
/// there is one, else the code's own text; for an internal error, its cause.
impl std::fmt::Display for CoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.detail {
            Some(d) => write!(f, "{}", d.ja())?,
            None => write!(f, "{}", t(Locale::Ja, &self.code.message_key()))?,
        }
        if let Some(field) = &self.field {
            write!(f, " [{field}]")?;
        }
        write!(f, " ({})", self.code)?;
        if let Some(c) = &self.cause {
            write!(f, ": {c}")?;
        }
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CoreError {}

impl CoreError {
    pub fn new(code: ErrorCode) -> CoreError {
        CoreError {
            code,
            field: None,
            detail: None,
            cause: None,
            problems: Vec::new(),
        }
    }

    /// An uploaded form has problems, each named by its cell (`workbook_invalid`).
    pub fn workbook(problems: Vec<kyoyu_forms::CellError>) -> CoreError {
        CoreError {
            problems,
            ..CoreError::new(ErrorCode::WorkbookInvalid)
        }
    }

    /// A field of the request is wrong (`invalid_field`).
    pub fn invalid(field: impl Into<String>, detail: Msg) -> CoreError {
        CoreError {
            code: ErrorCode::InvalidField,
            field: Some(field.into()),
            detail: Some(detail),
            cause: None,
            problems: Vec::new(),
        }
    }

    pub fn with_detail(code: ErrorCode, detail: Msg) -> CoreError {
        CoreError {
            detail: Some(detail),
            ..CoreError::new(code)
        }
    }

    /// The service failed; `cause` goes to the log.
    pub fn internal(cause: impl std::fmt::Display) -> CoreError {
        CoreError {
            cause: Some(cause.to_string()),
            ..CoreError::new(ErrorCode::Internal)
        }
    }

    pub fn not_found() -> CoreError {
        CoreError::new(ErrorCode::NotFound)
    }

    pub fn forbidden() -> CoreError {
        CoreError::new(ErrorCode::Forbidden)
    }

    pub fn unauthenticated() -> CoreError {
        CoreError::new(ErrorCode::Unauthenticated)
    }

    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == code
    }
}

/// An error and its sources, outermost first.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        out.push_str(": ");
        out.push_str(&s.to_string());
        next = s.source();
    }
    out
}

impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => CoreError {
                cause: Some(e.to_string()),
                ..CoreError::new(ErrorCode::AlreadyExists)
            },
            StoreError::NotFound(_) => CoreError::not_found(),
            // The last line behind the HTTP layer's text guard: PostgreSQL refuses NUL in
            // text (22021) and characters it cannot convert (22P05); that is the caller's
            // input, never the service's failure. The transaction is dropped, so nothing of
            // the request was written.
            e if e.is_invalid_text() => CoreError::new(ErrorCode::InvalidText),
            // The database is unreachable or cannot write for now: the client may retry, and
            // the cause is logged.
            e if e.is_unavailable() => CoreError {
                cause: Some(chain(&e)),
                ..CoreError::new(ErrorCode::Unavailable)
            },
            other => CoreError::internal(chain(&other)),
        }
    }
}

impl From<Denied> for CoreError {
    fn from(d: Denied) -> Self {
        CoreError {
            code: d.code,
            field: d.field,
            detail: d.detail,
            cause: None,
            problems: Vec::new(),
        }
    }
}
