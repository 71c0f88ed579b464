//! The advisory list and the inbox of delivered advisories, with the caller's receipt and
//! handling; public without a session.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyoyu_core::advisories::AdvisoryFilter;
use kyoyu_domain::{AdvisoryId, Role};
use serde::Deserialize;

use crate::AppState;
use crate::auth::MaybePageAuth;
use crate::ui::widgets::{show_time, t_ja};
use crate::ui::{Chrome, JA, L, Visitor, core_error_page, render};

pub struct Line {
    pub id: AdvisoryId,
    pub title: String,
    pub tlp_code: String,
    pub tlp_label: String,
    pub overview: String,
    pub state: String,
    pub received: String,
    pub handled: String,
}

#[derive(Template)]
#[template(path = "advisory_list.html")]
struct ListTpl {
    l: L,
    chrome: Chrome,
    can_create: bool,
    signed_in: bool,
    delivered: bool,
    rows: Vec<Line>,
    next_url: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    delivered: bool,
    cursor: String,
}

/// The advisory list; without a session, the public list of published White advisories (what
/// a ministry links to from its website).
pub async fn list(
    State(state): State<AppState>,
    auth: MaybePageAuth,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let filter = AdvisoryFilter {
        delivered: q.delivered && auth.session.is_some(),
        cursor: q.cursor.parse().ok().map(AdvisoryId),
        ..Default::default()
    };
    let page = match state.core.list_advisories(&auth.actor(), &filter).await {
        Ok(p) => std::sync::Arc::unwrap_or_clone(p),
        Err(e) => return core_error_page(e),
    };
    let next_url = page.next_cursor.map(|c| {
        format!(
            "/advisories?{}cursor={c}",
            if filter.delivered {
                "delivered=true&"
            } else {
                ""
            }
        )
    });
    let rows = page
        .items
        .into_iter()
        .map(|a| Line {
            id: a.id,
            title: a.title,
            tlp_code: a.tlp.code().to_owned(),
            tlp_label: a.tlp.label().to_owned(),
            overview: a.overview,
            state: if a.state == "draft" {
                t_ja("advisory.state_draft")
            } else {
                t_ja("advisory.state_published")
            }
            .to_owned(),
            received: a
                .my_received_at
                .as_deref()
                .map(show_time)
                .unwrap_or_default(),
            handled: a
                .my_handled_at
                .as_deref()
                .map(show_time)
                .unwrap_or_default(),
        })
        .collect();
    let tpl = ListTpl {
        l: JA,
        chrome: Chrome::for_visitor(&state, auth.session.as_ref(), "advisories").await,
        can_create: auth.actor().has_role(Role::Nisc),
        signed_in: auth.session.is_some(),
        delivered: filter.delivered,
        rows,
        next_url,
    };
    render(StatusCode::OK, &tpl)
}
