//! The drill report page of a report (訓練): per hop, when it arrived and how long until it
//! was passed on.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyoyu_domain::ReportId;

use crate::AppState;
use crate::auth::PageAuth;
use crate::ui::widgets::{drill_prefix, duration, path_id, show_time, t_ja};
use crate::ui::{Chrome, JA, L, core_error_page, render};

#[derive(Template)]
#[template(path = "report_drill.html")]
struct DrillTpl {
    l: L,
    chrome: Chrome,
    id: ReportId,
    heading: String,
    rows: Vec<(u32, String, String, String, String)>,
    never: String,
}

pub async fn drill(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
) -> Response {
    let id: ReportId = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let d = match state.core.report_drill(&auth.session.actor, id).await {
        Ok(d) => d,
        Err(e) => return core_error_page(e),
    };
    let tpl = DrillTpl {
        l: JA,
        chrome: Chrome::for_session(&state, &auth.session, "reports").await,
        id,
        heading: format!(
            "{}{} {}",
            drill_prefix(d.exercise),
            t_ja("report.drill"),
            d.number.clone().unwrap_or_default()
        ),
        rows: d
            .rows
            .iter()
            .map(|r| {
                (
                    r.edition,
                    r.org.name.clone(),
                    r.from.name.clone(),
                    show_time(&r.received_at),
                    duration(r.seconds_to_pass_on),
                )
            })
            .collect(),
        never: d
            .never_passed_on
            .iter()
            .map(|o| o.name.clone())
            .collect::<Vec<_>>()
            .join("、"),
    };
    render(StatusCode::OK, &tpl)
}
