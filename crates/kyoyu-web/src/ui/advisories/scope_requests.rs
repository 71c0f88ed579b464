//! A source's inbox of scope-change requests, and its decision.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use kyoyu_domain::ScopeRequestId;
use serde::Deserialize;

use super::form::FormResult;
use crate::AppState;
use crate::auth::PageAuth;
use crate::ui::widgets::{bad_request_page, check_csrf, path_id};
use crate::ui::{Chrome, JA, L, core_error_page, render};

#[derive(Template)]
#[template(path = "scope_requests.html")]
struct RequestsTpl {
    l: L,
    chrome: Chrome,
    rows: Vec<kyoyu_core::advisories::ScopeRequestView>,
}

pub async fn scope_requests(State(state): State<AppState>, auth: PageAuth) -> Response {
    let rows = match state.core.scope_requests(&auth.session).await {
        Ok(r) => r,
        Err(e) => return core_error_page(e),
    };
    render(
        StatusCode::OK,
        &RequestsTpl {
            l: JA,
            chrome: Chrome::for_session(&state, &auth.session, "advisories").await,
            rows,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionInput {
    #[serde(rename = "_csrf")]
    csrf: String,
    accept: String,
    note: String,
}

pub async fn decide(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
    form: FormResult<DecisionInput>,
) -> Response {
    let Ok(Form(f)) = form else {
        return bad_request_page();
    };
    if let Err(r) = check_csrf(&auth, &f.csrf) {
        return r;
    }
    let id: ScopeRequestId = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match state
        .core
        .decide_scope_request(&auth.session, id, f.accept == "yes", &f.note)
        .await
    {
        Ok(_) => Redirect::to("/scope-requests").into_response(),
        Err(e) => core_error_page(e),
    }
}
