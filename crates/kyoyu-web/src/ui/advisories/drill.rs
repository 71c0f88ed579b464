//! The drill report page of an advisory (訓練): time to receive and to handle, per delivery.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyoyu_domain::AdvisoryId;

use crate::AppState;
use crate::auth::PageAuth;
use crate::ui::widgets::{drill_prefix, duration, path_id, show_time, t_ja};
use crate::ui::{Chrome, JA, L, core_error_page, render};

#[derive(Template)]
#[template(path = "advisory_drill.html")]
struct DrillTpl {
    l: L,
    chrome: Chrome,
    id: AdvisoryId,
    heading: String,
    rows: Vec<(String, String, String, String, String)>,
    never_received: String,
    never_handled: String,
}

pub async fn drill(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
) -> Response {
    let id: AdvisoryId = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let r = match state.core.drill_report(&auth.session, id).await {
        Ok(r) => r,
        Err(e) => return core_error_page(e),
    };
    let tpl = DrillTpl {
        l: JA,
        chrome: Chrome::for_session(&state, &auth.session, "advisories").await,
        id,
        heading: format!(
            "{}{} {}",
            drill_prefix(r.exercise),
            t_ja("advisory.drill_report"),
            r.number.clone().unwrap_or_default()
        ),
        rows: r
            .rows
            .iter()
            .map(|x| {
                (
                    x.org.name.clone(),
                    x.from.name.clone(),
                    show_time(&x.delivered_at),
                    duration(x.seconds_to_receive),
                    duration(x.seconds_to_handle),
                )
            })
            .collect(),
        never_received: r
            .never_received
            .iter()
            .map(|o| o.name.clone())
            .collect::<Vec<_>>()
            .join("、"),
        never_handled: r
            .never_handled
            .iter()
            .map(|o| o.name.clone())
            .collect::<Vec<_>>()
            .join("、"),
    };
    render(StatusCode::OK, &tpl)
}
