//! `/api/v1/reports*`, `/api/v1/inbox`, `/api/v1/follow-ups`, `/api/v1/notifications`: incident
//! reports (情報連絡). Every read goes through the core, which applies the sharing scope and
//! the anonymisation view; these handlers only translate HTTP.

use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kyoyu_core::ErrorCode;
use kyoyu_core::reports::{
    AttachmentView, InboxBox, Page, ReportDrill, ReportFilter, ReportSummary, ReportThread, Upload,
};
use kyoyu_domain::ReportId;
use kyoyu_domain::report::ReportForm;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::{Items, UploadForm};
use crate::auth::{ApiAuth, MaybeAuth};
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;

/// A path id: anything that is not a positive integer names nothing (404).
pub fn id_of<T: From<i64>>(raw: &str) -> Result<T, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(T::from)
        .ok_or_else(ApiError::not_found)
}

fn ja(key: &'static str, args: &[(&str, &str)]) -> String {
    kyoyu_domain::messages::ja(key, args)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The recipient organisation's code (the sector ministry, or the operator's CEPTOAR).
    pub to: Option<String>,
    /// Ask the CEPTOAR to anonymise the report before it goes further.
    #[serde(default)]
    pub anonymize: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReport {
    /// The report form (情報連絡様式); see `shared/fixtures/report-fig5.json`.
    pub form: ReportForm,
    #[serde(default)]
    pub route: Option<Route>,
    /// `false` keeps a draft.
    #[serde(default)]
    pub submit: bool,
}

/// File a report (第1報): sent along the route at once, or kept as a draft.
#[utoipa::path(post, operation_id = "reports_create", path = "/api/v1/reports", tag = "reports", security(("bearer" = [])), request_body = CreateReport,
    responses((status = 201, description = "the thread", body = ReportThread), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiJson(req): ApiJson<CreateReport>,
) -> Result<Response, ApiError> {
    let (to, anonymize) = req
        .route
        .map(|r| (r.to, r.anonymize))
        .unwrap_or((None, false));
    let thread = state
        .core
        .create_report(
            &auth.session,
            req.form,
            to.as_deref(),
            anonymize,
            req.submit,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(thread)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Sector code.
    pub sector: Option<String>,
    /// red | amber | green | white.
    #[param(value_type = Option<kyoyu_domain::Tlp>)]
    pub tlp: Option<String>,
    /// alert | warning | reference.
    #[param(value_type = Option<kyoyu_domain::Severity>)]
    pub severity: Option<String>,
    /// Event class code.
    #[param(value_type = Option<kyoyu_domain::EventClass>)]
    pub event: Option<String>,
    /// Cause code.
    #[param(value_type = Option<kyoyu_domain::Cause>)]
    pub cause: Option<String>,
    /// Free text (matched against what the caller may see).
    pub q: Option<String>,
    /// Reported at or after (RFC 3339).
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Reported at or before (RFC 3339).
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// From a previous page's `next_cursor`.
    #[param(pattern = "^([1-9][0-9]{0,17})?$")]
    pub cursor: Option<String>,
    /// 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

pub(crate) fn code<T: std::str::FromStr>(
    field: &str,
    v: Option<String>,
) -> Result<Option<T>, ApiError>
where
    T::Err: std::fmt::Display,
{
    v.filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<T>().map_err(|e| {
                ApiError::field(
                    field,
                    ja(
                        "api.bad_code",
                        &[("field", field), ("detail", &e.to_string())],
                    ),
                )
            })
        })
        .transpose()
}

fn time(
    field: &str,
    v: Option<String>,
) -> Result<Option<chrono::DateTime<chrono::FixedOffset>>, ApiError> {
    v.filter(|s| !s.is_empty())
        .map(|s| {
            chrono::DateTime::parse_from_rfc3339(&s)
                .map_err(|_| ApiError::field(field, ja("api.bad_time", &[("field", field)])))
        })
        .transpose()
}

impl ListQuery {
    pub(crate) fn filter(self) -> Result<ReportFilter, ApiError> {
        let cursor = match self.cursor.filter(|c| !c.is_empty()) {
            Some(c) => Some(
                c.parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .map(ReportId)
                    .ok_or_else(|| ApiError::field("cursor", ja("api.bad_cursor", &[])))?,
            ),
            None => None,
        };
        if let Some(l) = self.limit
            && !(1..=200).contains(&l)
        {
            return Err(ApiError::field("limit", ja("api.bad_limit", &[])));
        }
        Ok(ReportFilter {
            sector: self.sector.filter(|s| !s.is_empty()),
            tlp: code("tlp", self.tlp)?,
            severity: code("severity", self.severity)?,
            event: code("event", self.event)?,
            cause: code("cause", self.cause)?,
            q: self.q,
            from: time("from", self.from)?,
            to: time("to", self.to)?,
            cursor,
            limit: self.limit.map(|l| l as u32),
        })
    }
}

/// The threads the caller may see, newest first, cursor-paginated. Without a token: the
/// released White reports (public, DOMAIN.md §5).
#[utoipa::path(get, operation_id = "reports_list", path = "/api/v1/reports", tag = "reports", security((), ("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "`{items, next_cursor}`", body = Page<ReportSummary>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: MaybeAuth,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::field("query", e.body_text()))?;
    let page = state
        .core
        .list_reports(&auth.actor, &query.filter()?)
        .await?;
    Ok(crate::api::json_bytes(page.json()))
}

/// One thread with the editions the caller may see (404 if the caller may not see it).
/// Without a token: a released White report (public), anything else 404.
#[utoipa::path(get, operation_id = "reports_get", path = "/api/v1/reports/{id}", tag = "reports", security((), ("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ReportThread), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    auth: MaybeAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let thread = state.core.get_report(&auth.actor, id_of(&id)?).await?;
    Ok(Json(thread).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ReportFollowUp)]
#[serde(deny_unknown_fields)]
pub struct FollowUp {
    pub form: ReportForm,
    #[serde(default)]
    pub submit: bool,
}

/// File a follow-up (続報) from the originating organisation.
#[utoipa::path(post, operation_id = "reports_follow_up", path = "/api/v1/reports/{id}/editions", tag = "reports", security(("bearer" = [])), params(("id" = String, Path)), request_body = FollowUp,
    responses((status = 201, body = ReportThread), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn follow_up(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<FollowUp>,
) -> Result<Response, ApiError> {
    let thread = state
        .core
        .file_follow_up(&auth.session, id_of(&id)?, req.form, req.submit)
        .await?;
    Ok((StatusCode::CREATED, Json(thread)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ReportForward)]
#[serde(deny_unknown_fields)]
pub struct Forward {
    /// The next organisation on the route (CEPTOAR → ministry, ministry → NISC).
    pub to: String,
    /// Anonymise (only the reporter's CEPTOAR).
    #[serde(default)]
    pub anonymize: Option<bool>,
    /// A completed or corrected form: a new version of the edition.
    #[serde(default)]
    pub form: Option<ReportForm>,
}

/// Pass the edition waiting in the caller's inbox on along the route. Reaching NISC assigns the
/// report number (`R<n>`) on first receipt.
#[utoipa::path(post, operation_id = "reports_forward", path = "/api/v1/reports/{id}/forward", tag = "reports", security(("bearer" = [])), params(("id" = String, Path)), request_body = Forward,
    responses((status = 200, body = ReportThread), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn forward(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Forward>,
) -> Result<Response, ApiError> {
    let thread = state
        .core
        .forward_report(&auth.session, id_of(&id)?, &req.to, req.anonymize, req.form)
        .await?;
    Ok(Json(thread).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ReportDraft)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    pub form: ReportForm,
}

/// Save the caller's draft.
#[utoipa::path(put, operation_id = "reports_save_draft", path = "/api/v1/reports/{id}/draft", tag = "reports", security(("bearer" = [])), params(("id" = String, Path)), request_body = Draft,
    responses((status = 200, body = ReportThread), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_draft(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Draft>,
) -> Result<Response, ApiError> {
    let thread = state
        .core
        .update_draft(&auth.session, id_of(&id)?, req.form)
        .await?;
    Ok(Json(thread).into_response())
}

/// Send the caller's draft (the first edition needs `to`).
#[utoipa::path(post, operation_id = "reports_submit", path = "/api/v1/reports/{id}/submit", tag = "reports", security(("bearer" = [])), params(("id" = String, Path)), request_body = Route,
    responses((status = 200, body = ReportThread), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Route>,
) -> Result<Response, ApiError> {
    let thread = state
        .core
        .submit_draft(&auth.session, id_of(&id)?, req.to.as_deref(), req.anonymize)
        .await?;
    Ok(Json(thread).into_response())
}

/// Attach a document (別紙) or a sample (検体) to the latest edition: multipart with `kind`
/// (`document` | `sample`) and `file`. Larger than the configured limit (default 20 MiB): 413.
#[utoipa::path(post, operation_id = "reports_upload", path = "/api/v1/reports/{id}/attachments", tag = "reports", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", content = UploadForm),
    responses((status = 201, body = AttachmentView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let id = id_of(&id)?;
    let (kind, name, ct, bytes) = read_upload(&state, multipart).await?;
    let view = state
        .core
        .add_attachment(
            &auth.session,
            id,
            Upload {
                kind: &kind,
                file_name: &name,
                content_type: &ct,
                bytes: &bytes,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Reads a multipart upload: `kind` and `file` (name, content type, bytes), within the limit.
pub async fn read_upload(
    state: &AppState,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(String, String, String, Vec<u8>), ApiError> {
    let mut multipart = multipart.map_err(|e| {
        ApiError::with_message(
            ErrorCode::UnsupportedMediaType,
            ja("api.multipart_required", &[("detail", &e.body_text())]),
        )
    })?;
    let mut kind = None;
    let mut file: Option<(String, String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(e)),
        };
        match field.name() {
            Some("kind") => kind = Some(field.text().await.map_err(multipart_error)?),
            Some("file") => {
                let name = field.file_name().unwrap_or("attachment.bin").to_owned();
                let ct = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                let bytes = field.bytes().await.map_err(multipart_error)?;
                file = Some((name, ct, bytes.to_vec()));
            }
            other => {
                let name = other.unwrap_or("").to_owned();
                return Err(ApiError::field(
                    "multipart",
                    ja("api.unknown_part", &[("name", &name)]),
                ));
            }
        }
    }
    let kind = kind.ok_or_else(|| ApiError::field("kind", ja("api.kind_required", &[])))?;
    let (name, ct, bytes) =
        file.ok_or_else(|| ApiError::field("file", ja("api.file_required", &[])))?;
    if bytes.len() > state.config.max_attachment_bytes {
        return Err(too_large());
    }
    Ok((kind.trim().to_owned(), name, ct, bytes))
}

fn too_large() -> ApiError {
    ApiError::new(ErrorCode::TooLarge)
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        ApiError::with_message(
            ErrorCode::BadRequest,
            ja("api.multipart_unreadable", &[("detail", &e.body_text())]),
        )
    }
}

/// `Content-Disposition: attachment` with an ASCII fallback and the UTF-8 name (RFC 6266/5987).
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.as_bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(b) {
            encoded.push(*b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Download an attachment. Samples come only inside an AES-256 password-protected zip (the
/// password is the deployment's; by default `infected`).
#[utoipa::path(get, operation_id = "reports_download", path = "/api/v1/reports/{id}/attachments/{aid}", tag = "reports", security((), ("bearer" = [])),
    params(("id" = String, Path), ("aid" = String, Path)),
    responses((status = 200, description = "the file (samples as a zip)", content_type = "application/octet-stream"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    auth: MaybeAuth,
    Path((id, aid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let d = state
        .core
        .download_attachment(
            &auth.actor,
            id_of(&id)?,
            id_of(&aid)?,
            &state.config.sample_zip_password,
        )
        .await?;
    Ok(file_response(d))
}

pub fn file_response(d: kyoyu_core::reports::Download) -> Response {
    let mut res = Response::new(Body::from(d.bytes));
    let h = res.headers_mut();
    if let Ok(v) = header::HeaderValue::from_str(&d.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = header::HeaderValue::from_str(&content_disposition(&d.file_name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// drafts | to_forward | sent | received (default to_forward).
    #[serde(rename = "box")]
    #[param(pattern = "^(drafts|to_forward|sent|received)$")]
    pub which: Option<String>,
    /// From a previous page's `next_cursor`.
    #[param(pattern = "^([1-9][0-9]{0,17})?$")]
    pub cursor: Option<String>,
    /// 1–200 (default 100).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// From a previous page's `next_cursor`.
    #[param(pattern = "^([^\\u0000|]*\\|[1-9][0-9]{0,17})?$")]
    pub cursor: Option<String>,
    /// 1–200 (default 100).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

fn limit_of(limit: Option<i64>) -> Result<Option<u32>, ApiError> {
    match limit {
        Some(l) if !(1..=200).contains(&l) => {
            Err(ApiError::field("limit", ja("api.bad_limit", &[])))
        }
        l => Ok(l.map(|l| l as u32)),
    }
}

/// A follow-up page's cursor is `<waiting since>|<row>`, as `next_cursor` gave it.
fn follow_up_cursor(c: Option<&str>) -> Result<Option<&str>, ApiError> {
    match c.filter(|c| !c.is_empty()) {
        Some(c)
            if c.rsplit_once('|')
                .and_then(|(_, row)| row.parse::<i64>().ok())
                .is_some_and(|n| n > 0) =>
        {
            Ok(Some(c))
        }
        Some(_) => Err(ApiError::field("cursor", ja("api.bad_cursor", &[]))),
        None => Ok(None),
    }
}

fn report_cursor(c: Option<&str>) -> Result<Option<ReportId>, ApiError> {
    match c.filter(|c| !c.is_empty()) {
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(|n| Some(ReportId(n)))
            .ok_or_else(|| ApiError::field("cursor", ja("api.bad_cursor", &[]))),
        None => Ok(None),
    }
}

pub fn inbox_box(raw: Option<&str>) -> Result<InboxBox, ApiError> {
    match raw.unwrap_or("to_forward") {
        "drafts" => Ok(InboxBox::Drafts),
        "to_forward" => Ok(InboxBox::ToForward),
        "sent" => Ok(InboxBox::Sent),
        "received" => Ok(InboxBox::Received),
        _ => Err(ApiError::field("box", ja("api.bad_box", &[]))),
    }
}

/// The caller organisation's inbox.
#[utoipa::path(get, operation_id = "reports_inbox", path = "/api/v1/inbox", tag = "reports", security(("bearer" = [])), params(InboxQuery),
    responses((status = 200, body = Page<ReportSummary>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn inbox(
    State(state): State<AppState>,
    auth: ApiAuth,
    query: Result<Query<InboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::field("query", e.body_text()))?;
    let page = state
        .core
        .inbox(
            &auth.session,
            inbox_box(query.which.as_deref())?,
            report_cursor(query.cursor.as_deref())?,
            limit_of(query.limit)?,
        )
        .await?;
    Ok(crate::api::json_bytes(page.json()))
}

/// Reports whose latest edition promises a follow-up, longest waiting first.
#[utoipa::path(get, operation_id = "reports_follow_ups", path = "/api/v1/follow-ups", tag = "reports", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<ReportSummary>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn follow_ups(
    State(state): State<AppState>,
    auth: ApiAuth,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::field("query", e.body_text()))?;
    let page = state
        .core
        .follow_ups(
            &auth.session,
            follow_up_cursor(query.cursor.as_deref())?,
            limit_of(query.limit)?,
        )
        .await?;
    Ok(crate::api::json_bytes(page.json()))
}

/// One in-app notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    /// What happened (`report_received`, `advisory_published`, …).
    pub kind: String,
    /// The report or advisory it is about.
    pub report_id: Option<kyoyu_domain::ItemId>,
    /// What a person reads (Japanese).
    pub message: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// In-app notifications of the caller's organisation.
#[utoipa::path(get, operation_id = "reports_notifications", path = "/api/v1/notifications", tag = "reports", security(("bearer" = [])),
    responses((status = 200, body = Items<NotificationView>), (status = 401, body = ErrorBody)))]
pub async fn notifications(
    State(state): State<AppState>,
    auth: ApiAuth,
) -> Result<Response, ApiError> {
    let items = state
        .core
        .notifications(&auth.session)
        .await?
        .into_iter()
        .map(|n| NotificationView {
            id: n.id,
            kind: n.kind,
            report_id: n.item_id,
            message: n.message,
            created_at: n.created_at,
        })
        .collect();
    Ok(Json(Items { items }).into_response())
}

/// The drill report of a report: when each organisation on the route received each edition and
/// how long it took to pass it on (as the caller may see the route).
#[utoipa::path(get, operation_id = "reports_drill_report", path = "/api/v1/reports/{id}/drill-report", tag = "reports", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ReportDrill), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn drill_report(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(
        state
            .core
            .report_drill(&auth.session.actor, id_of(&id)?)
            .await?,
    )
    .into_response())
}
