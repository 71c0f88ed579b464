//! The stable error codes every failure answers with. API clients branch on the code; a person
//! reads the Japanese text the catalogue keeps under `error.<code>`. The HTTP status of each
//! code is decided in one place in the web layer. API.md lists every code.

macro_rules! error_codes {
    ($($(#[$meta:meta])* $variant:ident = $code:literal,)+) => {
        /// Why a request failed, as a client can branch on it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $($(#[$meta])* $variant),+ }

        impl ErrorCode {
            /// Every code, in the order API.md lists them.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The stable `snake_case` code of the API's error body.
            pub const fn code(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code),+ }
            }
        }
    };
}

error_codes! {
    // --- the request itself ---
    /// The request could not be read (a broken multipart body, a bad path).
    BadRequest = "bad_request",
    /// The body is not well-formed JSON.
    InvalidJson = "invalid_json",
    /// A field is missing or has a value that is not allowed; `field` names it.
    InvalidField = "invalid_field",
    /// Text holds a character that cannot be stored (NUL, U+0000); `field` names where.
    InvalidText = "invalid_text",
    /// An uploaded form (an .xlsx of a 様式) has problems; `errors` names each by its cell.
    WorkbookInvalid = "workbook_invalid",
    /// A page form was posted without the session's CSRF token.
    CsrfInvalid = "csrf_invalid",
    /// The body is larger than the limit.
    TooLarge = "too_large",
    /// The body is not of a type the route takes.
    UnsupportedMediaType = "unsupported_media_type",
    /// The route does not take this method.
    MethodNotAllowed = "method_not_allowed",
    // --- who is asking ---
    /// No valid session or API token.
    Unauthenticated = "unauthenticated",
    /// Wrong e-mail address or password.
    LoginFailed = "login_failed",
    /// The account has TOTP enabled; the code is missing.
    TotpRequired = "totp_required",
    /// The TOTP code is wrong or was used already.
    TotpInvalid = "totp_invalid",
    /// Too many failed logins: the account is locked for a while.
    AccountLocked = "account_locked",
    /// Too many login attempts from one address.
    Throttled = "throttled",
    /// The caller may see the item but not do this with it.
    Forbidden = "forbidden",
    /// No such item, or one the caller may not see (never distinguished).
    NotFound = "not_found",
    // --- the workflow ---
    /// The route chosen for a report is not one its sender may use (図3).
    RouteNotAllowed = "route_not_allowed",
    /// Only the CEPTOAR a report came to from its reporter may anonymise it.
    AnonymizeNotAllowed = "anonymize_not_allowed",
    /// A sharing scope may only be narrowed, never widened, without the source's consent.
    TlpWidened = "tlp_widened",
    /// A thread's sector is fixed by its first edition.
    SectorFixed = "sector_fixed",
    /// Nothing of the report waits at the caller's organisation to be passed on.
    NothingToForward = "nothing_to_forward",
    /// An unsent draft exists: send or edit it first.
    DraftExists = "draft_exists",
    /// There is no draft to edit or send.
    NoDraft = "no_draft",
    /// The first edition has not been sent yet.
    FirstEditionNotSent = "first_edition_not_sent",
    /// The advisory is published already.
    AlreadyPublished = "already_published",
    /// The advisory is not published yet.
    NotPublished = "not_published",
    /// The advisory was not delivered to the caller's organisation.
    NotDelivered = "not_delivered",
    /// The advisory would reach beyond what its source reports allow (scope ceiling).
    ScopeCeilingExceeded = "scope_ceiling_exceeded",
    /// The advisory's text names a source; fix it or publish with a written reason.
    SourceLintHits = "source_lint_hits",
    /// The draft stays within its sources' scope: no request is needed.
    ScopeRequestNotNeeded = "scope_request_not_needed",
    /// The scope-change request was answered already.
    AlreadyDecided = "already_decided",
    /// TOTP is already enabled for the account.
    TotpAlreadyEnabled = "totp_already_enabled",
    /// TOTP is not enabled, or no enrolment is pending.
    TotpNotEnabled = "totp_not_enabled",
    /// Something with this name or code exists already.
    AlreadyExists = "already_exists",
    // --- the service ---
    /// The service failed; nothing the client sent caused it. The cause is in the log.
    Internal = "internal",
    /// PDF output needs headless Chromium, which this installation does not have.
    PdfUnavailable = "pdf_unavailable",
    /// The database cannot be reached (or cannot write: disk full, read-only) for now;
    /// nothing of the request was written. Try again later.
    Unavailable = "unavailable",
}

impl ErrorCode {
    /// The catalogue key of the Japanese text.
    pub fn message_key(self) -> String {
        format!("error.{}", self.code())
    }

    pub fn from_code(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.code() == code)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{Locale, has};

    #[test]
    fn every_code_is_unique_and_has_its_japanese_text() {
        let mut seen = std::collections::BTreeSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.code()), "duplicate code {c}");
            assert!(has(Locale::Ja, &c.message_key()), "no text for {c}");
            assert_eq!(ErrorCode::from_code(c.code()), Some(*c));
        }
    }
}
