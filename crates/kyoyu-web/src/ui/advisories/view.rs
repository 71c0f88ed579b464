//! The advisory page: the form in force, the scope ceiling and lint for NISC, the distribution
//! table with 受領/対応, inquiries, and the actions the distribution rules allow.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kyoyu_core::advisories::AdvisoryView;
use kyoyu_domain::advisory::by_ministry;
use kyoyu_domain::{AdvisoryId, Role};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{MaybePageAuth, PageAuth};
use crate::error::ApiError;
use crate::ui::report_form::jst;
use crate::ui::widgets::{Opt, path_id, show_time, t_ja, tlp_opt};
use crate::ui::{Chrome, JA, L, Visitor, core_error_page, render};

/// The advisory the visitor may see, or the page to answer with (404).
pub(super) async fn view_or_page(
    state: &AppState,
    auth: &impl Visitor,
    id: &str,
) -> Result<AdvisoryView, Response> {
    let id: AdvisoryId = path_id(id)?;
    state
        .core
        .get_advisory(&auth.actor(), id)
        .await
        .map_err(core_error_page)
}

#[derive(Template)]
#[template(path = "advisory_view.html")]
struct ViewTpl {
    l: L,
    chrome: Chrome,
    notice: Option<String>,
    error: Option<String>,
    is_nisc: bool,
    show_drill: bool,
    /// This server renders PDFs (headless Chromium is installed).
    pdf: bool,
    tlp: Opt,
    provided_at: String,
    recipients: String,
    severity: Option<String>,
    basis: Option<String>,
    contact: String,
    ceiling_why: Vec<String>,
    deliveries: Vec<(String, String, String, String, String, String)>,
    ministries: Vec<String>,
    v: AdvisoryView,
}

pub(super) async fn show(
    state: &AppState,
    auth: &impl Visitor,
    v: AdvisoryView,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let reference = state.core.reference();
    let recipients = by_ministry(&v.form.recipients)
        .into_iter()
        .map(|(m, secs)| {
            let name = reference
                .ministry(&m)
                .map(|x| x.name_ja.clone())
                .unwrap_or(m);
            let secs: Vec<&str> = secs.iter().map(|s| reference.sector_name(s)).collect();
            format!("{name}（{}）", secs.join("、"))
        })
        .collect::<Vec<_>>()
        .join("　");
    let c = &v.form.contact;
    let is_nisc = auth.actor().has_role(Role::Nisc);
    let deliveries = v
        .deliveries
        .iter()
        .map(|d| {
            (
                d.org.name.clone(),
                d.from.name.clone(),
                show_time(&d.delivered_at),
                d.received_at
                    .as_deref()
                    .map(show_time)
                    .unwrap_or_else(|| t_ja("advisory.not_yet").to_owned()),
                d.handled_at
                    .as_deref()
                    .map(show_time)
                    .unwrap_or_else(|| t_ja("advisory.not_yet").to_owned()),
                d.note.clone(),
            )
        })
        .collect();
    let ministries = v
        .deliveries
        .iter()
        .filter(|d| d.from.code == "nisc")
        .map(|d| d.org.code.clone())
        .collect();
    let tpl = ViewTpl {
        l: JA,
        chrome: Chrome::for_visitor(state, auth.session(), "advisories").await,
        notice,
        error,
        is_nisc,
        pdf: state.pdf.available(),
        show_drill: is_nisc
            || v.deliveries.iter().any(|d| {
                Some(&d.from.code) != Some(&"nisc".to_owned()) && d.from.code != d.org.code
            }),
        tlp: tlp_opt(v.tlp),
        provided_at: v
            .form
            .provided_at
            .with_timezone(&jst())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        recipients,
        severity: v.form.severity.map(|s| s.label().to_owned()),
        basis: v.form.basis.map(|b| b.label().to_owned()),
        contact: [&c.person, &c.phone, &c.email]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ／ "),
        ceiling_why: v
            .ceiling
            .as_ref()
            .map(|c| c.why.clone())
            .unwrap_or_default(),
        deliveries,
        ministries,
        v,
    };
    render(StatusCode::OK, &tpl)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

/// An advisory; without a session, a published White advisory (public).
pub async fn view(
    State(state): State<AppState>,
    auth: MaybePageAuth,
    Path(id): Path<String>,
    q: Result<Query<DoneQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let v = match view_or_page(&state, &auth, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let done = q.map(|Query(q)| q.done).unwrap_or_default();
    let notice = [
        "saved",
        "published",
        "forwarded",
        "acknowledged",
        "requested",
        "asked",
    ]
    .contains(&done.as_str())
    .then(|| t_ja(&format!("advisory.done_{done}")).to_owned());
    show(&state, &auth, v, notice, None).await
}

/// Runs an action and shows the advisory again: with a notice, or with the error.
pub(super) async fn after(
    state: &AppState,
    auth: &PageAuth,
    id: AdvisoryId,
    result: kyoyu_core::Result<AdvisoryView>,
    done: &str,
) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/advisories/{id}?done={done}")).into_response(),
        Err(e) => match state.core.get_advisory(&auth.session.actor, id).await {
            Ok(v) => show(state, auth, v, None, Some(ApiError::from(e).message)).await,
            Err(_) => core_error_page(e),
        },
    }
}
