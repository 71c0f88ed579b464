//! The account page: password change, TOTP enrolment with a QR code, API tokens. Every form
//! carries the session's CSRF token; results come back with post/redirect/get, except a new
//! API token, which is shown once in the response and never put in a URL.

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use kyoyu_domain::messages::{Locale, fill, t};
use qrcode::QrCode;
use qrcode::render::svg;
use serde::Deserialize;

use super::{Chrome, JA, L, core_error_page, error_page, render};
use crate::AppState;
use crate::auth::{PageAuth, csrf_ok};
use crate::error::ApiError;

pub struct Enrolment {
    pub secret: String,
    pub qr_svg: String,
}

pub struct TokenLine {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountTpl {
    l: L,
    chrome: Chrome,
    notice: Option<String>,
    error: Option<String>,
    new_token: Option<String>,
    totp_enabled: bool,
    enrolment: Option<Enrolment>,
    tokens: Vec<TokenLine>,
    min_password_len: usize,
    pw_hint: String,
    notifications: Vec<(String, String, bool)>,
    /// The TAXII discovery URL and, per collection the user may read, title and URL.
    taxii_discovery: String,
    taxii: Vec<(String, String)>,
    /// The MISP feed URL.
    misp_feed: String,
}

#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

/// A time as the UI shows it: JST, to the minute.
fn jst(ts: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(ts) {
        Ok(t) => t
            .with_timezone(
                &chrono::FixedOffset::east_opt(9 * 3600)
                    .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).unwrap_or(*t.offset())),
            )
            .format("%Y-%m-%d %H:%M (JST)")
            .to_string(),
        Err(_) => ts.to_owned(),
    }
}

async fn show(
    state: &AppState,
    auth: &PageAuth,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    new_token: Option<String>,
) -> Response {
    let s = &auth.session;
    let enrolment = match state.core.totp_pending(s).await {
        Ok(Some(e)) => {
            let qr_svg = QrCode::new(e.url.as_bytes())
                .map(|c| {
                    c.render::<svg::Color<'_>>()
                        .min_dimensions(200, 200)
                        .build()
                })
                .unwrap_or_default();
            Some(Enrolment {
                secret: e.secret,
                qr_svg,
            })
        }
        Ok(None) => None,
        Err(e) => return core_error_page(e),
    };
    let tokens = match state.core.api_tokens(s).await {
        Ok(t) => t,
        Err(e) => return core_error_page(e),
    };
    let never = t(Locale::Ja, "account.never");
    let tokens = tokens
        .into_iter()
        .map(|tk| TokenLine {
            id: tk.id,
            name: tk.name,
            created_at: jst(&tk.created_at),
            expires_at: tk
                .expires_at
                .as_deref()
                .map(jst)
                .unwrap_or_else(|| never.to_owned()),
            last_used_at: tk
                .last_used_at
                .as_deref()
                .map(jst)
                .unwrap_or_else(|| never.to_owned()),
        })
        .collect();
    let notifications = match state.core.notification_settings(s).await {
        Ok(n) => n,
        Err(e) => return core_error_page(e),
    };
    let min = state.core.config().min_password_len;
    let base = state
        .core
        .config()
        .notify
        .base_url
        .trim_end_matches('/')
        .to_owned();
    let tpl = AccountTpl {
        l: JA,
        chrome: Chrome::for_session(state, s, "account").await,
        notice,
        error,
        new_token,
        totp_enabled: s.totp_enabled,
        enrolment,
        tokens,
        min_password_len: min,
        pw_hint: fill(
            t(Locale::Ja, "error.password_too_short"),
            &[("min", &min.to_string())],
        ),
        notifications,
        taxii_discovery: format!("{base}/taxii2/"),
        misp_feed: format!("{base}/misp/feed/"),
        taxii: state
            .core
            .taxii_collections(&s.actor)
            .into_iter()
            .map(|c| {
                (
                    t(Locale::Ja, &format!("taxii.collection_{}", c.code())).to_owned(),
                    format!("{base}/taxii2/api/collections/{}/", c.id()),
                )
            })
            .collect(),
    };
    render(status, &tpl)
}

pub async fn page(
    State(state): State<AppState>,
    auth: PageAuth,
    Query(q): Query<Done>,
) -> Response {
    let allowed = [
        "password_changed",
        "totp_enabled_now",
        "totp_disabled_now",
        "token_revoked",
    ];
    let notice = q
        .done
        .filter(|d| allowed.contains(&d.as_str()))
        .map(|d| t(Locale::Ja, &format!("account.{d}")).to_owned());
    show(&state, &auth, StatusCode::OK, notice, None, None).await
}

fn done(what: &str) -> Response {
    axum::response::IntoResponse::into_response(Redirect::to(&format!("/account?done={what}")))
}

/// Checks the CSRF token of a posted form, or answers with the error page.
// A response is the natural error of a form handler; it is returned at once, never stored.
#[allow(clippy::result_large_err)]
fn check<T: HasCsrf>(auth: &PageAuth, form: Result<Form<T>, FormRejection>) -> Result<T, Response> {
    let Ok(Form(form)) = form else {
        return Err(error_page(
            StatusCode::BAD_REQUEST,
            t(Locale::Ja, "error.bad_request"),
        ));
    };
    if !csrf_ok(&auth.session.csrf, form.csrf()) {
        return Err(error_page(
            StatusCode::BAD_REQUEST,
            t(Locale::Ja, "error.csrf"),
        ));
    }
    Ok(form)
}

pub trait HasCsrf {
    fn csrf(&self) -> &str;
}

macro_rules! form {
    ($name:ident { $($field:ident),* }) => {
        #[derive(Deserialize)]
        pub struct $name {
            #[serde(default, rename = "_csrf")]
            csrf: String,
            $( #[serde(default)] $field: String, )*
        }
        impl HasCsrf for $name {
            fn csrf(&self) -> &str { &self.csrf }
        }
    };
}

form!(PasswordForm {
    current_password,
    new_password
});
form!(CodeForm { code });
form!(TokenForm {
    name,
    expires_in_days
});
form!(PlainForm {});

async fn failed(state: &AppState, auth: &PageAuth, e: kyoyu_core::CoreError) -> Response {
    let api = ApiError::from(e);
    if api.status().is_server_error() {
        return super::error_page(api.status(), &api.message);
    }
    show(state, auth, api.status(), None, Some(api.message), None).await
}

pub async fn password(
    State(state): State<AppState>,
    auth: PageAuth,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Response {
    let f = match check(&auth, form) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state
        .core
        .change_password(&auth.session, &f.current_password, &f.new_password)
        .await
    {
        Ok(()) => done("password_changed"),
        Err(e) => failed(&state, &auth, e).await,
    }
}

pub async fn totp_begin(
    State(state): State<AppState>,
    auth: PageAuth,
    form: Result<Form<PlainForm>, FormRejection>,
) -> Response {
    if let Err(r) = check(&auth, form) {
        return r;
    }
    match state.core.totp_begin(&auth.session).await {
        Ok(_) => axum::response::IntoResponse::into_response(Redirect::to("/account#totp-heading")),
        Err(e) => failed(&state, &auth, e).await,
    }
}

pub async fn totp_enable(
    State(state): State<AppState>,
    auth: PageAuth,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let f = match check(&auth, form) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.core.totp_enable(&auth.session, &f.code).await {
        Ok(()) => done("totp_enabled_now"),
        Err(e) => failed(&state, &auth, e).await,
    }
}

pub async fn totp_disable(
    State(state): State<AppState>,
    auth: PageAuth,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let f = match check(&auth, form) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match state.core.totp_disable(&auth.session, &f.code).await {
        Ok(()) => done("totp_disabled_now"),
        Err(e) => failed(&state, &auth, e).await,
    }
}

pub async fn create_token(
    State(state): State<AppState>,
    auth: PageAuth,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let f = match check(&auth, form) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let days = match f.expires_in_days.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(d) => Some(d),
            Err(_) => {
                return failed(
                    &state,
                    &auth,
                    kyoyu_core::CoreError::invalid(
                        "expires_in_days",
                        kyoyu_domain::messages::Msg::new("invalid.token_days"),
                    ),
                )
                .await;
            }
        },
    };
    match state
        .core
        .create_api_token(&auth.session, &f.name, days)
        .await
    {
        Ok(tok) => {
            show(
                &state,
                &auth,
                StatusCode::CREATED,
                None,
                None,
                Some(tok.token),
            )
            .await
        }
        Err(e) => failed(&state, &auth, e).await,
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
    form: Result<Form<PlainForm>, FormRejection>,
) -> Response {
    if let Err(r) = check(&auth, form) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(StatusCode::NOT_FOUND, t(Locale::Ja, "error.not_found"));
    };
    match state.core.revoke_api_token(&auth.session, id).await {
        Ok(()) => done("token_revoked"),
        Err(e) => failed(&state, &auth, e).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NotifForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    enabled: Vec<String>,
}

pub async fn notifications(
    State(state): State<AppState>,
    auth: PageAuth,
    form: Result<axum_extra::extract::Form<NotifForm>, axum_extra::extract::FormRejection>,
) -> Response {
    let Ok(axum_extra::extract::Form(f)) = form else {
        return error_page(StatusCode::BAD_REQUEST, t(Locale::Ja, "error.bad_request"));
    };
    if !csrf_ok(&auth.session.csrf, &f.csrf) {
        return error_page(StatusCode::BAD_REQUEST, t(Locale::Ja, "error.csrf"));
    }
    match state
        .core
        .set_notification_settings(&auth.session, &f.enabled)
        .await
    {
        Ok(()) => done("notif_saved"),
        Err(e) => failed(&state, &auth, e).await,
    }
}
