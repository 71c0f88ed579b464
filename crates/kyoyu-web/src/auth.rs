//! Credentials to sessions: bearer tokens for the API, an HttpOnly cookie (with CSRF tokens in
//! every form) for the web UI. (Failed logins are counted by the core's login guard.)

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use kyoyu_core::{CoreError, ErrorCode, Session};
use kyoyu_domain::policy::Actor;
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "kyoyu_session";
pub const LOGIN_CSRF_COOKIE: &str = "kyoyu_login_csrf";
/// A browser the account logged in from before: it still logs in while the account waits
/// out a guessing attack (see the core's `login_guard`). Sent only to `/login`.
pub const DEVICE_COOKIE: &str = "kyoyu_device";

/// An API caller authenticated by `Authorization: Bearer <token>`.
pub struct ApiAuth {
    pub session: Session,
    pub token: String,
}

fn bearer(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or_else(CoreError::unauthenticated)?;
        let session = state.core.authenticate(&token).await?;
        Ok(ApiAuth { session, token })
    }
}

/// A caller of a route that also answers without an account (White items are public): a
/// bearer token makes it that user (a wrong token is still a 401); no token, an anonymous
/// caller.
pub struct MaybeAuth {
    pub actor: Actor,
}

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match bearer(parts) {
            Some(token) => Ok(MaybeAuth {
                actor: state.core.authenticate(&token).await?.actor,
            }),
            None => Ok(MaybeAuth {
                actor: Actor::Anonymous,
            }),
        }
    }
}

/// A page visitor who may or may not be signed in (public pages of White items).
pub struct MaybePageAuth {
    pub session: Option<Session>,
}

impl FromRequestParts<AppState> for MaybePageAuth {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
            return Ok(MaybePageAuth { session: None });
        };
        match state.core.authenticate(&token).await {
            Ok(session) => Ok(MaybePageAuth {
                session: Some(session),
            }),
            Err(e) if e.is(ErrorCode::Unauthenticated) => Ok(MaybePageAuth { session: None }),
            Err(e) => Err(crate::ui::core_error_page(e)),
        }
    }
}

/// A web-UI user authenticated by the session cookie; anyone else is sent to the login page.
pub struct PageAuth {
    pub session: Session,
    pub token: String,
}

impl FromRequestParts<AppState> for PageAuth {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned());
        let to_login = || Redirect::to("/login").into_response();
        let Some(token) = token else {
            return Err(to_login());
        };
        match state.core.authenticate(&token).await {
            Ok(session) => Ok(PageAuth { session, token }),
            Err(e) if e.is(ErrorCode::Unauthenticated) => Err(to_login()),
            Err(e) => Err(crate::ui::core_error_page(e)),
        }
    }
}

/// Constant-time comparison of a submitted CSRF token with the expected one.
pub fn csrf_ok(expected: &str, submitted: &str) -> bool {
    secret_matches(expected, submitted)
}

/// Constant-time comparison of a presented secret with the configured one (never equal to
/// an empty one).
pub fn secret_matches(expected: &str, submitted: &str) -> bool {
    !expected.is_empty() && expected.as_bytes().ct_eq(submitted.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_comparison() {
        assert!(csrf_ok("abc", "abc"));
        assert!(!csrf_ok("abc", "abd"));
        assert!(!csrf_ok("", ""));
    }
}
