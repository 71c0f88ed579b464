//! 通知: the in-app notifications of the caller's organisation (the API's
//! `GET /api/v1/notifications`), newest first, each with a link to its item.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kyoyu_domain::ItemId;

use crate::AppState;
use crate::auth::PageAuth;
use crate::ui::widgets::show_time;
use crate::ui::{Chrome, JA, L, core_error_page, render};

pub struct NotificationLine {
    pub at: String,
    pub message: String,
    pub link: Option<String>,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsTpl {
    l: L,
    chrome: Chrome,
    lines: Vec<NotificationLine>,
}

/// Where a notification of `kind` about `item` leads.
fn link(kind: &str, item: Option<ItemId>) -> Option<String> {
    let id = item?.0;
    Some(if kind.starts_with("report_") {
        format!("/reports/{id}")
    } else if kind.starts_with("risk_") {
        "/risk".to_owned()
    } else {
        format!("/advisories/{id}")
    })
}

pub async fn page(State(state): State<AppState>, auth: PageAuth) -> Response {
    let rows = if auth.session.org_id.is_some() {
        match state.core.notifications(&auth.session).await {
            Ok(rows) => rows,
            Err(e) => return core_error_page(e),
        }
    } else {
        Vec::new()
    };
    let lines = rows
        .into_iter()
        .map(|n| NotificationLine {
            at: show_time(&n.created_at),
            link: link(&n.kind, n.item_id),
            message: n.message,
        })
        .collect();
    let tpl = NotificationsTpl {
        l: JA,
        chrome: Chrome::for_session(&state, &auth.session, "notifications").await,
        lines,
    };
    render(StatusCode::OK, &tpl)
}
