//! The documents from the pages: a thread's or an advisory's Excel 様式 and PDF, blank forms,
//! the report list as CSV, and a filled 図4 sheet or a STIX 2.1 bundle uploaded from the
//! new-report page (a draft; any problem is shown — by cell, or by object and property — and
//! nothing is kept). The same core use cases and PDF
//! renderer as the API; errors are Japanese pages.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use kyoyu_domain::{AdvisoryId, ReportId};
use serde::Deserialize;

use crate::AppState;
use crate::api::documents::{advisory_pdf_file, report_pdf_file};
use crate::api::exchange::bundle_response;
use crate::api::reports::file_response;
use crate::auth::{MaybePageAuth, PageAuth};
use crate::error::ApiError;
use crate::ui::reports::{BoxQuery, ListQuery};
use crate::ui::widgets::path_id;
use crate::ui::{Visitor, core_error_page};

#[derive(Debug, Default, Deserialize)]
pub struct EditionQuery {
    #[serde(default)]
    edition: Option<u32>,
}

/// The file, or the Japanese page of what went wrong.
pub(crate) fn answer(r: kyoyu_core::Result<kyoyu_core::documents::Download>) -> Response {
    match r {
        Ok(d) => file_response(d),
        Err(e) => core_error_page(e),
    }
}

fn api_error_page(e: ApiError) -> Response {
    let details = e.problems.iter().map(|p| p.to_string()).collect();
    crate::ui::error_page_with(e.status(), &e.message, details)
}

pub async fn report_xlsx(
    State(state): State<AppState>,
    auth: MaybePageAuth,
    Path(id): Path<String>,
    q: Result<Query<EditionQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let id: ReportId = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let edition = q.ok().and_then(|Query(q)| q.edition);
    answer(state.core.report_xlsx(&auth.actor(), id, edition).await)
}

pub async fn report_pdf(
    State(state): State<AppState>,
    auth: MaybePageAuth,
    Path(id): Path<String>,
    q: Result<Query<EditionQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let id: ReportId = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let edition = q.ok().and_then(|Query(q)| q.edition);
    match report_pdf_file(&state, &auth.actor(), id, edition).await {
        Ok(d) => file_response(d),
        Err(e) => api_error_page(e),
    }
}

/// A thread's sent editions as a STIX 2.1 bundle, as the visitor sees them.
pub async fn report_stix(
    State(state): State<AppState>,
    auth: MaybePageAuth,
    Path(id): Path<String>,
) -> Response {
    let rid: ReportId = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match state.core.report_stix(&auth.actor(), rid).await {
        Ok(b) => bundle_response(&b, &format!("report-{id}")),
        Err(e) => core_error_page(e),
    }
}

/// A published advisory as a STIX 2.1 bundle, as the visitor sees it.
pub async fn advisory_stix(
    State(state): State<AppState>,
    auth: MaybePageAuth,
    Path(id): Path<String>,
) -> Response {
    let aid: AdvisoryId = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match state.core.advisory_stix(&auth.actor(), aid).await {
        Ok(b) => bundle_response(&b, &format!("advisory-{id}")),
        Err(e) => core_error_page(e),
    }
}

pub async fn advisory_xlsx(
    State(state): State<AppState>,
    auth: MaybePageAuth,
    Path(id): Path<String>,
) -> Response {
    let id: AdvisoryId = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    answer(state.core.advisory_xlsx(&auth.actor(), id).await)
}

pub async fn advisory_pdf(
    State(state): State<AppState>,
    auth: MaybePageAuth,
    Path(id): Path<String>,
) -> Response {
    let id: AdvisoryId = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match advisory_pdf_file(&state, &auth.actor(), id).await {
        Ok(d) => file_response(d),
        Err(e) => api_error_page(e),
    }
}

/// A blank 様式: `/forms/report.xlsx` or `/forms/advisory.xlsx`.
pub async fn blank_form(
    State(state): State<AppState>,
    _auth: PageAuth,
    Path(file): Path<String>,
) -> Response {
    let which = file.strip_suffix(".xlsx").unwrap_or("");
    match state.core.blank_xlsx(which) {
        Ok(d) => file_response(d),
        Err(e) => core_error_page(e),
    }
}

/// The report list as CSV, with the list page's filters.
pub async fn reports_csv(
    State(state): State<AppState>,
    auth: MaybePageAuth,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let mut filter = q.filter();
    filter.cursor = None;
    answer(state.core.reports_csv(&auth.actor(), &filter).await)
}

/// A filled 図4 sheet uploaded from the new-report page becomes a draft; its page follows.
pub async fn import_report(
    State(state): State<AppState>,
    auth: PageAuth,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let (_, name, content_type, bytes) =
        match crate::ui::page_upload(&state, &auth, multipart).await {
            Ok(u) => u,
            Err(r) => return r,
        };
    // A STIX bundle (MISP's or OpenCTI's export) by its name or type; else the Excel 様式.
    let stix = name.to_ascii_lowercase().ends_with(".json") || content_type.contains("json");
    let imported = if stix {
        state.core.import_report_stix(&auth.session, &bytes).await
    } else {
        state
            .core
            .import_report_xlsx(&auth.session, &bytes, None)
            .await
    };
    match imported {
        Ok(t) => Redirect::to(&format!(
            "/reports/{}?done={}",
            t.id,
            if stix { "imported_stix" } else { "imported" }
        ))
        .into_response(),
        Err(e) => core_error_page(e),
    }
}

pub async fn deliveries_csv(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
) -> Response {
    let id: AdvisoryId = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    answer(state.core.deliveries_csv(&auth.session.actor, id).await)
}

pub async fn report_drill_csv(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
) -> Response {
    let id: ReportId = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    answer(state.core.report_drill_csv(&auth.session.actor, id).await)
}

pub async fn advisory_drill_csv(
    State(state): State<AppState>,
    auth: PageAuth,
    Path(id): Path<String>,
) -> Response {
    let id: AdvisoryId = match path_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    answer(state.core.advisory_drill_csv(&auth.session, id).await)
}

/// A box of the inbox as CSV.
pub async fn inbox_csv(
    State(state): State<AppState>,
    auth: PageAuth,
    q: Result<Query<BoxQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let which =
        match crate::api::reports::inbox_box(Some(q.which.as_str()).filter(|w| !w.is_empty())) {
            Ok(w) => w,
            Err(e) => return api_error_page(e),
        };
    answer(state.core.inbox_csv(&auth.session, which).await)
}

/// The follow-up watch list as CSV.
pub async fn follow_ups_csv(State(state): State<AppState>, auth: PageAuth) -> Response {
    answer(state.core.follow_ups_csv(&auth.session).await)
}
