//! `/api/v1/advisories*` and `/api/v1/scope-requests*`: advisories (情報提供). Scope, source
//! protection and delivery rules live in the core; these handlers translate HTTP.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kyoyu_core::advisories::{
    AdvisoryFilter, AdvisorySummary, AdvisoryView, AttachmentInfo, DrillReport, ScopeRequestView,
};
use kyoyu_core::reports::Page;
use kyoyu_domain::advisory::AdvisoryForm;
use kyoyu_domain::{AdvisoryId, ReportId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::reports::id_of;
use crate::api::{Items, UploadForm};
use crate::auth::{ApiAuth, MaybeAuth};
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = AdvisoryDraft)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    /// The advisory form (情報提供様式); see `fixtures/advisory-fig8.json`.
    pub form: AdvisoryForm,
    /// Ids of the reports it derives from (they set the scope ceiling).
    #[serde(default)]
    #[schema(value_type = Vec<i64>)]
    pub sources: Vec<ReportId>,
}

/// NISC drafts an advisory.
#[utoipa::path(post, operation_id = "advisories_create", path = "/api/v1/advisories", tag = "advisories", security(("bearer" = [])), request_body = Draft,
    responses((status = 201, body = AdvisoryView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiJson(req): ApiJson<Draft>,
) -> Result<Response, ApiError> {
    let v = state
        .core
        .create_advisory(&auth.session, req.form, &req.sources)
        .await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `true`: only those delivered to the caller's organisation (the inbox).
    pub delivered: Option<bool>,
    /// red | amber | green | white.
    #[param(value_type = Option<kyoyu_domain::Tlp>)]
    pub tlp: Option<String>,
    /// alert | warning | reference.
    #[param(value_type = Option<kyoyu_domain::Severity>)]
    pub severity: Option<String>,
    /// vulnerability | attack | useful.
    #[param(value_type = Option<kyoyu_domain::AdvisoryBasis>)]
    pub basis: Option<String>,
    /// draft | published.
    #[param(pattern = "^(draft|published)?$")]
    pub state: Option<String>,
    /// Only exercises (`true`) or only real advisories (`false`).
    pub exercise: Option<bool>,
    /// Free text (the advisory's texts and number).
    pub q: Option<String>,
    /// From a previous page's `next_cursor`.
    #[param(pattern = "^([1-9][0-9]{0,17})?$")]
    pub cursor: Option<String>,
    /// 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

fn code<T: std::str::FromStr>(field: &str, v: Option<String>) -> Result<Option<T>, ApiError>
where
    T::Err: std::fmt::Display,
{
    v.filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<T>().map_err(|e| {
                ApiError::field(
                    field,
                    kyoyu_domain::messages::ja(
                        "api.bad_code",
                        &[("field", field), ("detail", &e.to_string())],
                    ),
                )
            })
        })
        .transpose()
}

impl ListQuery {
    pub(crate) fn filter(self) -> Result<AdvisoryFilter, ApiError> {
        let bad =
            |f: &str, key: &'static str| ApiError::field(f, kyoyu_domain::messages::ja(key, &[]));
        let cursor = match self.cursor.filter(|c| !c.is_empty()) {
            Some(c) => Some(
                c.parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .map(AdvisoryId)
                    .ok_or_else(|| bad("cursor", "api.bad_cursor"))?,
            ),
            None => None,
        };
        let limit = match self.limit {
            Some(l) if !(1..=200).contains(&l) => return Err(bad("limit", "api.bad_limit")),
            l => l.map(|l| l as u32),
        };
        let published = match self.state.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some("published") => Some(true),
            Some("draft") => Some(false),
            Some(_) => return Err(bad("state", "api.bad_advisory_state")),
        };
        Ok(AdvisoryFilter {
            delivered: self.delivered.unwrap_or(false),
            tlp: code("tlp", self.tlp)?,
            severity: code("severity", self.severity)?,
            basis: code("basis", self.basis)?,
            published,
            exercise: self.exercise,
            q: self.q,
            cursor,
            limit,
        })
    }
}

/// Advisories the caller may see, newest first, filtered and cursor-paginated. Without a
/// token: the published White advisories — the public list a ministry can link to.
#[utoipa::path(get, operation_id = "advisories_list", path = "/api/v1/advisories", tag = "advisories", security((), ("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "`{items, next_cursor}`", body = Page<AdvisorySummary>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: MaybeAuth,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::field("query", e.body_text()))?;
    let page = state
        .core
        .list_advisories(&auth.actor, &q.filter()?)
        .await?;
    Ok(crate::api::json_bytes(page.json()))
}

/// One advisory (404 if the caller may not see it). NISC also gets the sources, the scope
/// ceiling, what the draft exceeds, the scope-change requests and the source-protection lint.
/// Without a token: a published White advisory (public), anything else 404.
#[utoipa::path(get, operation_id = "advisories_get", path = "/api/v1/advisories/{id}", tag = "advisories", security((), ("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = AdvisoryView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    auth: MaybeAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(state.core.get_advisory(&auth.actor, id_of(&id)?).await?).into_response())
}

/// NISC edits a draft.
#[utoipa::path(put, operation_id = "advisories_update", path = "/api/v1/advisories/{id}", tag = "advisories", security(("bearer" = [])), params(("id" = String, Path)), request_body = Draft,
    responses((status = 200, body = AdvisoryView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Draft>,
) -> Result<Response, ApiError> {
    Ok(Json(
        state
            .core
            .update_advisory(&auth.session, id_of(&id)?, req.form, &req.sources)
            .await?,
    )
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publish {
    /// Required when the source-protection lint finds something: why it is published anyway.
    #[serde(default)]
    pub override_reason: Option<String>,
}

/// Publish: refused (409) beyond the scope ceiling until every limiting source accepted, and
/// with lint hits unless `override_reason` is given. Assigns `T<n>` and delivers to the
/// recipient ministries.
#[utoipa::path(post, operation_id = "advisories_publish", path = "/api/v1/advisories/{id}/publish", tag = "advisories", security(("bearer" = [])), params(("id" = String, Path)), request_body = Publish,
    responses((status = 200, body = AdvisoryView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn publish(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Publish>,
) -> Result<Response, ApiError> {
    Ok(Json(
        state
            .core
            .publish_advisory(&auth.session, id_of(&id)?, req.override_reason.as_deref())
            .await?,
    )
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = AdvisoryForward)]
#[serde(deny_unknown_fields)]
pub struct Forward {
    /// Organisation codes: only those within the advisory's TLP (see `actions.forward_to`).
    pub to: Vec<String>,
}

/// A ministry forwards to CEPTOARs / operators of its sectors; a CEPTOAR to its members.
#[utoipa::path(post, operation_id = "advisories_forward", path = "/api/v1/advisories/{id}/forward", tag = "advisories", security(("bearer" = [])), params(("id" = String, Path)), request_body = Forward,
    responses((status = 200, body = AdvisoryView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn forward(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Forward>,
) -> Result<Response, ApiError> {
    Ok(Json(
        state
            .core
            .forward_advisory(&auth.session, id_of(&id)?, &req.to)
            .await?,
    )
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ack {
    /// `received` (受領) or `handled` (対応).
    pub state: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// Acknowledge receipt or handling for the caller's organisation.
#[utoipa::path(post, operation_id = "advisories_ack", path = "/api/v1/advisories/{id}/ack", tag = "advisories", security(("bearer" = [])), params(("id" = String, Path)), request_body = Ack,
    responses((status = 200, body = AdvisoryView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ack(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Ack>,
) -> Result<Response, ApiError> {
    let note = req.note.unwrap_or_default();
    Ok(Json(
        state
            .core
            .acknowledge_advisory(&auth.session, id_of(&id)?, &req.state, &note)
            .await?,
    )
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Inquiry {
    pub text: String,
    /// For NISC's answers: the ministry whose thread it answers.
    #[serde(default)]
    pub ministry: Option<String>,
}

/// A question to NISC from a ministry in scope (or NISC's answer).
#[utoipa::path(post, operation_id = "advisories_inquire", path = "/api/v1/advisories/{id}/inquiries", tag = "advisories", security(("bearer" = [])), params(("id" = String, Path)), request_body = Inquiry,
    responses((status = 200, body = AdvisoryView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn inquire(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Inquiry>,
) -> Result<Response, ApiError> {
    Ok(Json(
        state
            .core
            .inquire(
                &auth.session,
                id_of(&id)?,
                &req.text,
                req.ministry.as_deref(),
            )
            .await?,
    )
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeRequest {
    /// Why NISC needs the wider scope.
    pub reason: String,
}

/// NISC asks each limiting source's sender to accept the draft's scope.
#[utoipa::path(post, operation_id = "advisories_request_scope", path = "/api/v1/advisories/{id}/scope-requests", tag = "advisories", security(("bearer" = [])), params(("id" = String, Path)), request_body = ScopeRequest,
    responses((status = 200, body = AdvisoryView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request_scope(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ScopeRequest>,
) -> Result<Response, ApiError> {
    Ok(Json(
        state
            .core
            .request_scope_change(&auth.session, id_of(&id)?, &req.reason)
            .await?,
    )
    .into_response())
}

/// The drill report: time to receive and handle per organisation, and who never did.
#[utoipa::path(get, operation_id = "advisories_drill_report", path = "/api/v1/advisories/{id}/drill-report", tag = "advisories", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = DrillReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn drill_report(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(state.core.drill_report(&auth.session, id_of(&id)?).await?).into_response())
}

/// Scope-change requests addressed to the caller's organisation.
#[utoipa::path(get, operation_id = "advisories_scope_requests", path = "/api/v1/scope-requests", tag = "advisories", security(("bearer" = [])),
    responses((status = 200, body = Items<ScopeRequestView>), (status = 401, body = ErrorBody)))]
pub async fn scope_requests(
    State(state): State<AppState>,
    auth: ApiAuth,
) -> Result<Response, ApiError> {
    Ok(Json(Items {
        items: state.core.scope_requests(&auth.session).await?,
    })
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub accept: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// The source accepts or declines a scope-change request.
#[utoipa::path(post, operation_id = "advisories_decide", path = "/api/v1/scope-requests/{id}/decision", tag = "advisories", security(("bearer" = [])), params(("id" = String, Path)), request_body = Decision,
    responses((status = 200, body = ScopeRequestView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Decision>,
) -> Result<Response, ApiError> {
    let note = req.note.unwrap_or_default();
    Ok(Json(
        state
            .core
            .decide_scope_request(&auth.session, id_of(&id)?, req.accept, &note)
            .await?,
    )
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = AdvisoryFollowUp)]
#[serde(deny_unknown_fields)]
pub struct FollowUp {
    pub form: AdvisoryForm,
    /// Required when the source-protection lint finds something.
    #[serde(default)]
    pub override_reason: Option<String>,
}

/// NISC publishes a follow-up edition (`T<n>-<k>`): delivered again to every organisation that
/// had the advisory; receipt and handling start over.
#[utoipa::path(post, operation_id = "advisories_follow_up", path = "/api/v1/advisories/{id}/editions", tag = "advisories", security(("bearer" = [])), params(("id" = String, Path)), request_body = FollowUp,
    responses((status = 201, body = AdvisoryView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn follow_up(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<FollowUp>,
) -> Result<Response, ApiError> {
    let v = state
        .core
        .file_advisory_follow_up(
            &auth.session,
            id_of(&id)?,
            req.form,
            req.override_reason.as_deref(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// NISC attaches a document or a sample (multipart: `kind`, `file`).
#[utoipa::path(post, operation_id = "advisories_upload", path = "/api/v1/advisories/{id}/attachments", tag = "advisories", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", content = UploadForm),
    responses((status = 201, body = AttachmentInfo), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let id = id_of(&id)?;
    let (kind, name, ct, bytes) = super::reports::read_upload(&state, multipart).await?;
    let upload = kyoyu_core::reports::Upload {
        kind: &kind,
        file_name: &name,
        content_type: &ct,
        bytes: &bytes,
    };
    let a = state
        .core
        .add_advisory_attachment(&auth.session, id, upload)
        .await?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

/// Download an advisory attachment (samples only as a password-protected zip).
#[utoipa::path(get, operation_id = "advisories_download", path = "/api/v1/advisories/{id}/attachments/{aid}", tag = "advisories", security((), ("bearer" = [])),
    params(("id" = String, Path), ("aid" = String, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    auth: MaybeAuth,
    Path((id, aid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let d = state
        .core
        .download_advisory_attachment(
            &auth.actor,
            id_of(&id)?,
            id_of(&aid)?,
            &state.config.sample_zip_password,
        )
        .await?;
    Ok(super::reports::file_response(d))
}
