//! Saved searches on pages: a form under the search box keeps the search shown; `/search/saved`
//! lists the caller's with their new hits; opening one runs it and counts its hits as seen.

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kyoyu_core::search::SavedQuery;
use kyoyu_domain::messages::ja;
use serde::Deserialize;

use crate::AppState;
use crate::api::search::SearchParams;
use crate::auth::PageAuth;
use crate::ui::widgets::{bad_request_page, check_csrf, path_id, show_time, t_ja, urlencode};
use crate::ui::{Chrome, JA, L, core_error_page, render};

pub struct Line {
    pub id: i64,
    pub name: String,
    pub href: String,
    pub conditions: String,
    pub new_hits: String,
    pub checked: String,
}

#[derive(Template)]
#[template(path = "saved_searches.html")]
struct SavedTpl {
    l: L,
    chrome: Chrome,
    notice: Option<String>,
    lines: Vec<Line>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SaveForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    name: String,
    #[serde(flatten)]
    search: SearchParams,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PlainForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
}

/// `/search?…` for a saved query.
pub fn search_url(q: &SavedQuery) -> String {
    let pairs: Vec<String> = q
        .pairs()
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    format!("/search?{}", pairs.join("&"))
}

/// Keeps the search the form carries.
pub async fn save(
    State(state): State<AppState>,
    auth: PageAuth,
    form: Result<Form<SaveForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_request_page();
    };
    if let Err(r) = check_csrf(&auth, &form.csrf) {
        return r;
    }
    let req = match form.search.request() {
        Ok(r) => r,
        Err(e) => return crate::ui::error_page(e.status(), &e.message),
    };
    match state
        .core
        .save_search(&auth.session, &form.name, &req)
        .await
    {
        Ok(_) => Redirect::to("/search/saved?done=saved").into_response(),
        Err(e) => core_error_page(e),
    }
}

/// The caller's saved searches.
pub async fn list(State(state): State<AppState>, auth: PageAuth, done: Query<Done>) -> Response {
    let saved = match state.core.saved_searches(&auth.session).await {
        Ok(s) => s,
        Err(e) => return core_error_page(e),
    };
    let notice = match done.done.as_str() {
        "saved" => Some(t_ja("search.saved_done").to_owned()),
        "deleted" => Some(t_ja("search.saved_deleted").to_owned()),
        _ => None,
    };
    let lines = saved
        .into_iter()
        .map(|s| Line {
            href: format!("/search/saved/{}", s.id),
            conditions: s
                .query
                .pairs()
                .iter()
                .filter(|(k, _)| *k != "kind")
                .map(|(k, v)| {
                    if *k == "q" {
                        v.clone()
                    } else {
                        format!("{k}={v}")
                    }
                })
                .collect::<Vec<_>>()
                .join(" / "),
            new_hits: if s.new_hits > 0 {
                ja("search.saved_new", &[("count", &s.new_hits.to_string())])
            } else {
                String::new()
            },
            checked: s
                .checked_at
                .as_deref()
                .map(show_time)
                .unwrap_or_else(|| t_ja("search.saved_never").to_owned()),
            id: s.id,
            name: s.name,
        })
        .collect();
    let tpl = SavedTpl {
        l: JA,
        chrome: Chrome::for_session(&state, &auth.session, "search").await,
        notice,
        lines,
    };
    render(StatusCode::OK, &tpl)
}

/// Opens a saved search: its new hits count as seen, and the search runs.
pub async fn open(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
) -> Response {
    let id: i64 = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match state.core.open_saved_search(&auth.session, id).await {
        Ok(s) => Redirect::to(&search_url(&s.query)).into_response(),
        Err(e) => core_error_page(e),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
    form: Result<Form<PlainForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_request_page();
    };
    if let Err(r) = check_csrf(&auth, &form.csrf) {
        return r;
    }
    let id: i64 = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match state.core.delete_saved_search(&auth.session, id).await {
        Ok(()) => Redirect::to("/search/saved?done=deleted").into_response(),
        Err(e) => core_error_page(e),
    }
}
