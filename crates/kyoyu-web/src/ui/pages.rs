//! Login, logout, home and the organisation directory.

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use kyoyu_core::{LoginClient, TokenKind};
use kyoyu_domain::messages::{Locale, t};
use rand::RngCore;
use serde::Deserialize;

use super::{Chrome, JA, L, core_error_page, error_page, render};
use crate::AppState;
use crate::auth::{DEVICE_COOKIE, LOGIN_CSRF_COOKIE, PageAuth, SESSION_COOKIE, csrf_ok};
use crate::client::ClientAddr;
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTpl {
    l: L,
    chrome: Chrome,
    csrf: String,
    email: String,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    bye: Option<String>,
}

fn random_hex() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    path: &'static str,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.cookie_secure)
        .path(path)
        .build()
}

fn login_form(
    state: &AppState,
    jar: CookieJar,
    status: StatusCode,
    email: String,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let csrf = random_hex();
    let jar = jar.add(cookie(state, LOGIN_CSRF_COOKIE, csrf.clone(), "/login"));
    let tpl = LoginTpl {
        l: JA,
        chrome: Chrome::anonymous(state),
        csrf,
        email,
        error,
        notice,
    };
    (jar, render(status, &tpl)).into_response()
}

pub async fn login_page(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<LoginQuery>,
) -> Response {
    if let Some(token) = jar.get(SESSION_COOKIE)
        && state.core.authenticate(token.value()).await.is_ok()
    {
        return Redirect::to("/").into_response();
    }
    let notice = q.bye.map(|_| t(Locale::Ja, "login.logged_out").to_owned());
    login_form(&state, jar, StatusCode::OK, String::new(), None, notice)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

pub async fn login_submit(
    State(state): State<AppState>,
    client: ClientAddr,
    jar: CookieJar,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return login_form(
            &state,
            jar,
            StatusCode::BAD_REQUEST,
            String::new(),
            Some(t(Locale::Ja, "error.bad_request").into()),
            None,
        );
    };
    let expected = jar
        .get(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if !csrf_ok(&expected, &form.csrf) {
        return login_form(
            &state,
            jar,
            StatusCode::BAD_REQUEST,
            form.email,
            Some(t(Locale::Ja, "error.csrf").into()),
            None,
        );
    }
    let totp = Some(form.totp.as_str()).filter(|c| !c.trim().is_empty());
    let login_client = LoginClient {
        address: Some(client.ip),
        device: jar.get(DEVICE_COOKIE).map(|c| c.value().to_owned()),
        remember_device: true,
    };
    match state
        .core
        .login_from(
            &form.email,
            &form.password,
            totp,
            TokenKind::Session,
            &login_client,
        )
        .await
    {
        Ok(out) => {
            let mut jar = jar
                .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/login").build())
                .add(cookie(&state, SESSION_COOKIE, out.token, "/"));
            if let Some(device) = out.device {
                let mut c = cookie(&state, DEVICE_COOKIE, device, "/login");
                c.set_max_age(cookie::time::Duration::days(400));
                c.set_same_site(SameSite::Strict);
                jar = jar.add(c);
            }
            (jar, Redirect::to("/")).into_response()
        }
        Err(e) => {
            let api = ApiError::from(e);
            login_form(
                &state,
                jar,
                api.status(),
                form.email,
                Some(api.message),
                None,
            )
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    pub csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    auth: PageAuth,
    jar: CookieJar,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let submitted = form.map(|Form(f)| f.csrf).unwrap_or_default();
    if !csrf_ok(&auth.session.csrf, &submitted) {
        return error_page(StatusCode::BAD_REQUEST, t(Locale::Ja, "error.csrf"));
    }
    if let Err(e) = state.core.logout(&auth.session, &auth.token).await {
        return core_error_page(e);
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/").build());
    (jar, Redirect::to("/login?bye=1")).into_response()
}

pub struct OrgCard {
    pub name: String,
    pub code: String,
    pub roles: Vec<String>,
    pub sectors: Vec<String>,
    pub jurisdiction: Vec<String>,
    pub ceptoars: Vec<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTpl {
    l: L,
    chrome: Chrome,
    welcome: String,
    org: Option<OrgCard>,
    is_contact: bool,
    is_admin: bool,
    must_enrol_totp: bool,
    /// The next monthly security-update day in Japan (定例情報).
    next_update: String,
    /// What waits for the visitor's organisation (none without one).
    workbench: Option<Vec<WorkLine>>,
}

/// One line of the workbench: what waits, how many, and where to deal with it.
pub struct WorkLine {
    pub id: &'static str,
    pub label: &'static str,
    pub count: String,
    pub note: String,
    pub href: &'static str,
}

fn work_lines(w: &kyoyu_core::workbench::Workbench) -> Vec<WorkLine> {
    use kyoyu_core::workbench::Tally;
    let count = |t: Tally| {
        if t.more {
            format!("{}+", t.count)
        } else {
            t.count.to_string()
        }
    };
    let line = |id, tally: Tally, href| WorkLine {
        id,
        label: t(Locale::Ja, &format!("workbench.{id}")),
        count: count(tally),
        note: String::new(),
        href,
    };
    let mut lines = vec![
        line("to_forward", w.to_forward, "/inbox?box=to_forward"),
        line("scope_requests", w.scope_requests, "/scope-requests"),
        line(
            "to_acknowledge",
            w.to_acknowledge,
            "/advisories?delivered=true",
        ),
        line("to_handle", w.to_handle, "/advisories?delivered=true"),
        line("follow_ups", w.follow_ups, "/follow-ups"),
    ];
    if let Some(f) = lines.iter_mut().find(|l| l.id == "follow_ups")
        && !w.follow_ups_overdue.is_zero()
    {
        f.note = kyoyu_domain::messages::fill(
            t(Locale::Ja, "workbench.overdue"),
            &[("n", &count(w.follow_ups_overdue))],
        );
    }
    lines.retain(|l| l.count != "0");
    lines
}

pub async fn home(State(state): State<AppState>, auth: PageAuth) -> Response {
    let s = &auth.session;
    let reference = state.core.reference();
    let org = match s.org_id {
        Some(id) => match state.core.org(&s.actor, id).await {
            Ok(o) => Some(OrgCard {
                name: o.name_ja,
                code: o.code,
                roles: o.roles.iter().map(|r| r.label().to_owned()).collect(),
                sectors: o
                    .sectors
                    .iter()
                    .map(|c| reference.sector_name(c).to_owned())
                    .collect(),
                jurisdiction: s
                    .actor
                    .org()
                    .map(|f| {
                        f.jurisdiction
                            .iter()
                            .map(|c| reference.sector_name(c).to_owned())
                            .collect()
                    })
                    .unwrap_or_default(),
                ceptoars: o.ceptoars.into_iter().collect(),
            }),
            Err(e) => return core_error_page(e),
        },
        None => None,
    };
    let chrome = Chrome::for_session(&state, s, "home").await;
    let tpl = HomeTpl {
        l: JA,
        welcome: kyoyu_domain::messages::fill(t(Locale::Ja, "home.welcome"), &[("name", &s.name)]),
        org,
        is_contact: s.is_contact,
        is_admin: s.is_admin,
        must_enrol_totp: s.must_enrol_totp,
        next_update: crate::ui::routine::next_update_line(state.core.today_jst()),
        workbench: chrome.work.as_ref().map(work_lines),
        chrome,
    };
    render(StatusCode::OK, &tpl)
}

pub struct OrgLine {
    pub code: String,
    pub name: String,
    pub roles: String,
    pub sectors: String,
}

#[derive(Template)]
#[template(path = "orgs.html")]
struct OrgsTpl {
    l: L,
    chrome: Chrome,
    orgs: Vec<OrgLine>,
}

pub async fn orgs(State(state): State<AppState>, auth: PageAuth) -> Response {
    let reference = state.core.reference();
    let orgs = match state.core.list_orgs(&auth.session.actor).await {
        Ok(o) => o,
        Err(e) => return core_error_page(e),
    };
    let orgs = orgs
        .into_iter()
        .map(|o| OrgLine {
            roles: o
                .roles
                .iter()
                .map(|r| r.label())
                .collect::<Vec<_>>()
                .join("、"),
            sectors: o
                .sectors
                .iter()
                .map(|c| reference.sector_name(c))
                .collect::<Vec<_>>()
                .join("、"),
            code: o.code,
            name: o.name_ja,
        })
        .collect();
    let tpl = OrgsTpl {
        l: JA,
        chrome: Chrome::for_session(&state, &auth.session, "orgs").await,
        orgs,
    };
    render(StatusCode::OK, &tpl)
}
