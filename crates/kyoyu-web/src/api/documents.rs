//! The forms and lists as files: `GET …/xlsx` of a report edition or an advisory (the view the
//! caller has, anonymisation included), blank 様式 under `/api/v1/forms/`, `POST …/import` of
//! a filled sheet (a draft; every problem by cell, nothing kept), and `GET /api/v1/reports.csv`
//! / `/api/v1/advisories.csv` with the list's own filters. The core decides what the caller
//! may see; these handlers only translate HTTP.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kyoyu_core::ErrorCode;
use kyoyu_core::advisories::AdvisoryView;
use kyoyu_core::documents::Download;
use kyoyu_core::reports::ReportThread;
use kyoyu_domain::policy::Actor;
use kyoyu_domain::{AdvisoryId, ReportId};
use kyoyu_forms::XLSX_TYPE;
use serde::Deserialize;
use utoipa::IntoParams;

use super::advisories::ListQuery as AdvisoryListQuery;
use super::reports::{ListQuery as ReportListQuery, file_response, id_of};
use crate::AppState;
use crate::auth::{ApiAuth, MaybeAuth};
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EditionQuery {
    /// The edition (第N報); the latest when absent.
    #[param(minimum = 1)]
    pub edition: Option<u32>,
}

/// A report edition as the Excel 様式 of 図4, as the caller sees it (anonymised where the
/// caller's view is).
#[utoipa::path(get, path = "/api/v1/reports/{id}/xlsx", tag = "documents", security((), ("bearer" = [])),
    params(("id" = String, Path), EditionQuery),
    responses((status = 200, description = "the .xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report_xlsx(
    State(state): State<AppState>,
    auth: MaybeAuth,
    Path(id): Path<String>,
    q: Result<Query<EditionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::field("edition", e.body_text()))?;
    let d = state
        .core
        .report_xlsx(&auth.actor, id_of(&id)?, q.edition)
        .await?;
    Ok(file_response(d))
}

/// An advisory as the Excel 様式 of 図7, as the caller sees it.
#[utoipa::path(get, path = "/api/v1/advisories/{id}/xlsx", tag = "documents", security((), ("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the .xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn advisory_xlsx(
    State(state): State<AppState>,
    auth: MaybeAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let d = state.core.advisory_xlsx(&auth.actor, id_of(&id)?).await?;
    Ok(file_response(d))
}

/// A blank 様式 to fill by hand: `report.xlsx` (図4) or `advisory.xlsx` (図7).
#[utoipa::path(get, path = "/api/v1/forms/{file}", tag = "documents", security(("bearer" = [])),
    params(("file" = String, Path, description = "`report.xlsx` or `advisory.xlsx`")),
    responses((status = 200, description = "the .xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn blank_form(
    State(state): State<AppState>,
    _auth: ApiAuth,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let which = file.strip_suffix(".xlsx").ok_or_else(ApiError::not_found)?;
    Ok(file_response(state.core.blank_xlsx(which)?))
}

/// A file body of one of the `accepted` media types (by prefix, case-insensitive), not
/// empty: 415 or 422 otherwise.
pub(crate) fn file_body(
    headers: &HeaderMap,
    body: &Bytes,
    accepted: &[&str],
) -> Result<(), ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !accepted.iter().any(|t| ct.starts_with(t)) {
        return Err(ApiError::new(ErrorCode::UnsupportedMediaType));
    }
    if body.is_empty() {
        return Err(ApiError::field(
            "body",
            kyoyu_domain::messages::ja("api.empty_body", &[]),
        ));
    }
    Ok(())
}

/// The body must be an .xlsx (or arbitrary bytes, as some clients send files).
fn xlsx_body(headers: &HeaderMap, body: &Bytes) -> Result<(), ApiError> {
    file_body(headers, body, &[XLSX_TYPE, "application/octet-stream"])
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Import as the next edition (続報) of this thread instead of a new report.
    #[param(pattern = "^[1-9][0-9]{0,17}$")]
    pub follow_up_of: Option<String>,
}

/// A filled 図4 sheet (the body, as
/// `application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`) becomes a draft of
/// the caller's organisation. Any problem: 422 `workbook_invalid` with every problem by cell,
/// and nothing is created.
#[utoipa::path(post, path = "/api/v1/reports/import", tag = "documents", security(("bearer" = [])),
    params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 201, description = "the draft thread", body = ReportThread), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_report(
    State(state): State<AppState>,
    auth: ApiAuth,
    q: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::field("follow_up_of", e.body_text()))?;
    xlsx_body(&headers, &body)?;
    let into = q
        .follow_up_of
        .filter(|s| !s.is_empty())
        .map(|s| id_of(&s))
        .transpose()?;
    let thread = state
        .core
        .import_report_xlsx(&auth.session, &body, into)
        .await?;
    Ok((StatusCode::CREATED, Json(thread)).into_response())
}

/// A filled 図7 sheet becomes NISC's draft advisory (NISC only).
#[utoipa::path(post, path = "/api/v1/advisories/import", tag = "documents", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 201, description = "the draft advisory", body = AdvisoryView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_advisory(
    State(state): State<AppState>,
    auth: ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    xlsx_body(&headers, &body)?;
    let view = state
        .core
        .import_advisory_xlsx(&auth.session, &body)
        .await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// The report list as CSV for Excel (UTF-8 with BOM): every thread the caller may see that
/// matches the list's filters (`cursor` and `limit` are ignored), up to 100,000 rows.
#[utoipa::path(get, path = "/api/v1/reports.csv", tag = "documents", security((), ("bearer" = [])), params(ReportListQuery),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reports_csv(
    State(state): State<AppState>,
    auth: MaybeAuth,
    query: Result<Query<ReportListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::field("query", e.body_text()))?;
    let mut filter = query.filter()?;
    filter.cursor = None;
    let d = state.core.reports_csv(&auth.actor, &filter).await?;
    Ok(file_response(d))
}

/// The advisory list as CSV for Excel, with the list's filters.
#[utoipa::path(get, path = "/api/v1/advisories.csv", tag = "documents", security((), ("bearer" = [])), params(AdvisoryListQuery),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn advisories_csv(
    State(state): State<AppState>,
    auth: MaybeAuth,
    query: Result<Query<AdvisoryListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::field("query", e.body_text()))?;
    let mut filter = query.filter()?;
    filter.cursor = None;
    let d = state.core.advisories_csv(&auth.actor, &filter).await?;
    Ok(file_response(d))
}

fn pdf_download(name: String, bytes: Vec<u8>) -> Download {
    Download {
        file_name: name,
        content_type: "application/pdf".to_owned(),
        bytes,
        zipped: false,
    }
}

/// A report edition as PDF, laid out like the printed 様式 of 図4: Japanese font embedded,
/// 令和 dates, the TLP in colour in the header and footer of every page, page numbers.
#[utoipa::path(get, path = "/api/v1/reports/{id}/pdf", tag = "documents", security((), ("bearer" = [])),
    params(("id" = String, Path), EditionQuery),
    responses((status = 200, description = "the PDF", content_type = "application/pdf"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, description = "no Chromium on this server", body = ErrorBody)))]
pub async fn report_pdf(
    State(state): State<AppState>,
    auth: MaybeAuth,
    Path(id): Path<String>,
    q: Result<Query<EditionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::field("edition", e.body_text()))?;
    let d = report_pdf_file(&state, &auth.actor, id_of(&id)?, q.edition).await?;
    Ok(file_response(d))
}

/// The PDF of a report edition as `actor` sees it (the page routes share it).
pub(crate) async fn report_pdf_file(
    state: &AppState,
    actor: &Actor,
    id: ReportId,
    edition: Option<u32>,
) -> Result<Download, ApiError> {
    let t = state.core.get_report(actor, id).await?;
    let tpl = crate::ui::reports::report_print(&t, edition).ok_or_else(ApiError::not_found)?;
    let ed = edition
        .or_else(|| t.editions.last().map(|e| e.edition))
        .unwrap_or(1);
    let number = t
        .editions
        .iter()
        .find(|e| e.edition == ed)
        .and_then(|e| e.number.clone());
    let bytes = state.pdf.pdf(&crate::pdf::page_html(&tpl)?).await?;
    state
        .core
        .record_export(actor, "report", id.0, t.tlp, "pdf")
        .await;
    let name = kyoyu_core::documents::file_name(
        number.as_deref(),
        ed,
        kyoyu_forms::report::sheet(),
        "pdf",
    );
    Ok(pdf_download(name, bytes))
}

/// An advisory as PDF, laid out like the printed 様式 of 図7.
#[utoipa::path(get, path = "/api/v1/advisories/{id}/pdf", tag = "documents", security((), ("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the PDF", content_type = "application/pdf"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, description = "no Chromium on this server", body = ErrorBody)))]
pub async fn advisory_pdf(
    State(state): State<AppState>,
    auth: MaybeAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let d = advisory_pdf_file(&state, &auth.actor, id_of(&id)?).await?;
    Ok(file_response(d))
}

/// The PDF of an advisory as `actor` sees it (the page routes share it).
pub(crate) async fn advisory_pdf_file(
    state: &AppState,
    actor: &Actor,
    id: AdvisoryId,
) -> Result<Download, ApiError> {
    let v = state.core.get_advisory(actor, id).await?;
    let tpl = crate::ui::advisories::advisory_print(state, &v);
    let bytes = state.pdf.pdf(&crate::pdf::page_html(&tpl)?).await?;
    state
        .core
        .record_export(actor, "advisory", id.0, v.tlp, "pdf")
        .await;
    let name = kyoyu_core::documents::file_name(
        v.number.as_deref(),
        v.form.edition,
        kyoyu_forms::advisory::sheet(),
        "pdf",
    );
    Ok(pdf_download(name, bytes))
}

/// An advisory's deliveries as CSV: who received it from whom, acknowledged and handled when
/// (what the caller may see of them, as on the advisory's page).
#[utoipa::path(get, path = "/api/v1/advisories/{id}/deliveries.csv", tag = "documents", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn deliveries_csv(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let d = state
        .core
        .deliveries_csv(&auth.session.actor, id_of(&id)?)
        .await?;
    Ok(file_response(d))
}

/// A report's drill results as CSV: each hop, when it arrived, how long until passed on.
#[utoipa::path(get, path = "/api/v1/reports/{id}/drill.csv", tag = "documents", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn report_drill_csv(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let d = state
        .core
        .report_drill_csv(&auth.session.actor, id_of(&id)?)
        .await?;
    Ok(file_response(d))
}

/// An advisory's drill results as CSV (NISC and the ministries its drill report is for).
#[utoipa::path(get, path = "/api/v1/advisories/{id}/drill.csv", tag = "documents", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn advisory_drill_csv(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let d = state
        .core
        .advisory_drill_csv(&auth.session, id_of(&id)?)
        .await?;
    Ok(file_response(d))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BoxCsvQuery {
    /// drafts | to_forward | sent | received (default to_forward).
    #[serde(rename = "box")]
    #[param(pattern = "^(drafts|to_forward|sent|received)$")]
    pub which: Option<String>,
}

/// A box of the caller organisation's inbox as CSV for Excel (every row, up to 100,000).
#[utoipa::path(get, path = "/api/v1/inbox.csv", tag = "documents", security(("bearer" = [])), params(BoxCsvQuery),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn inbox_csv(
    State(state): State<AppState>,
    auth: ApiAuth,
    q: Result<Query<BoxCsvQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::field("box", e.body_text()))?;
    let which = super::reports::inbox_box(q.which.as_deref())?;
    let d = state.core.inbox_csv(&auth.session, which).await?;
    Ok(file_response(d))
}

/// The threads whose promised follow-up the caller's organisation watches, as CSV.
#[utoipa::path(get, path = "/api/v1/follow-ups.csv", tag = "documents", security(("bearer" = [])),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn follow_ups_csv(
    State(state): State<AppState>,
    auth: ApiAuth,
) -> Result<Response, ApiError> {
    let d = state.core.follow_ups_csv(&auth.session).await?;
    Ok(file_response(d))
}
