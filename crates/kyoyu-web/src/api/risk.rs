//! The risk process of seed 004 under `/api/v1/risk`: the caller's own organisation's
//! criteria, assets, issues, risks and review tasks. Anyone else — NISC, the organisation's
//! ministry and CEPTOAR included — gets 404 for every item, as for one that does not exist.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kyoyu_core::risk::{
    Asset, CriteriaVersion, CriteriaView, ImportSummary, Issue, NewAsset, NewIssue, NewRisk,
    RegisterDocument, ReviewView, RiskLibrary, RiskPatch, RiskView,
};
use kyoyu_domain::AdvisoryId;
use kyoyu_domain::risk::Criteria;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::Items;
use crate::api::reports::id_of;
use crate::auth::ApiAuth;
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;

/// The criteria in force, their number, and every earlier version.
#[utoipa::path(get, operation_id = "risk_criteria", path = "/api/v1/risk/criteria", tag = "risk", security(("bearer" = [])),
    responses((status = 200, body = CriteriaView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn criteria(State(state): State<AppState>, auth: ApiAuth) -> Result<Response, ApiError> {
    Ok(Json(state.core.risk_criteria(&auth.session).await?).into_response())
}

/// A new version of the criteria (図表7); every risk judged under an older one is flagged
/// `needs_reevaluation`.
#[utoipa::path(post, operation_id = "risk_add_criteria", path = "/api/v1/risk/criteria", tag = "risk", security(("bearer" = [])), request_body = Criteria,
    responses((status = 201, body = CriteriaVersion), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_criteria(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiJson(req): ApiJson<Criteria>,
) -> Result<Response, ApiError> {
    let v = state.core.add_risk_criteria(&auth.session, req).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// The assets to protect (図表5) with the services they support.
#[utoipa::path(get, operation_id = "risk_assets", path = "/api/v1/risk/assets", tag = "risk", security(("bearer" = [])),
    responses((status = 200, body = Items<Asset>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn assets(State(state): State<AppState>, auth: ApiAuth) -> Result<Response, ApiError> {
    let items = state.core.risk_assets(&auth.session).await?;
    Ok(Json(Items { items }).into_response())
}

/// A new asset linked to services of the reference data (図表6).
#[utoipa::path(post, operation_id = "risk_add_asset", path = "/api/v1/risk/assets", tag = "risk", security(("bearer" = [])), request_body = NewAsset,
    responses((status = 201, body = Asset), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_asset(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiJson(req): ApiJson<NewAsset>,
) -> Result<Response, ApiError> {
    let v = state.core.add_risk_asset(&auth.session, req).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// The issues (課題) and where each came from.
#[utoipa::path(get, operation_id = "risk_issues", path = "/api/v1/risk/issues", tag = "risk", security(("bearer" = [])),
    responses((status = 200, body = Items<Issue>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn issues(State(state): State<AppState>, auth: ApiAuth) -> Result<Response, ApiError> {
    let items = state.core.risk_issues(&auth.session).await?;
    Ok(Json(Items { items }).into_response())
}

/// A new issue from information sharing (a received advisory or a report), an audit, an
/// IT-environment change or an exercise (1.3).
#[utoipa::path(post, operation_id = "risk_add_issue", path = "/api/v1/risk/issues", tag = "risk", security(("bearer" = [])), request_body = NewIssue,
    responses((status = 201, body = Issue), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_issue(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiJson(req): ApiJson<NewIssue>,
) -> Result<Response, ApiError> {
    let v = state.core.add_risk_issue(&auth.session, req).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// The register: every risk of the caller's organisation, newest first.
#[utoipa::path(get, operation_id = "risk_list", path = "/api/v1/risk/risks", tag = "risk", security(("bearer" = [])),
    responses((status = 200, body = Items<RiskView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, auth: ApiAuth) -> Result<Response, ApiError> {
    let items = state.core.risks(&auth.session).await?;
    Ok(Json(Items { items }).into_response())
}

/// A new risk, evaluated at once against the criteria in force (or left `undecided` for
/// management's judgement where there are none).
#[utoipa::path(post, operation_id = "risk_create", path = "/api/v1/risk/risks", tag = "risk", security(("bearer" = [])), request_body = NewRisk,
    responses((status = 201, body = RiskView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiJson(req): ApiJson<NewRisk>,
) -> Result<Response, ApiError> {
    let v = state.core.create_risk(&auth.session, req).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// One risk with its history of evaluations and decisions.
#[utoipa::path(get, operation_id = "risk_get", path = "/api/v1/risk/risks/{id}", tag = "risk", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = RiskView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: i64 = id_of(&id)?;
    Ok(Json(state.core.risk(&auth.session, id).await?).into_response())
}

/// Changes a risk: edits, a new analysis (re-evaluated), `reevaluate`, a `judgement` where
/// there are no criteria, an `override` with its reason, the `treatment` and its plan, and the
/// `residual` level (still short of the criteria, the risk goes round once more).
#[utoipa::path(patch, operation_id = "risk_update", path = "/api/v1/risk/risks/{id}", tag = "risk", security(("bearer" = [])), params(("id" = String, Path)), request_body = RiskPatch,
    responses((status = 200, body = RiskView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RiskPatch>,
) -> Result<Response, ApiError> {
    let id: i64 = id_of(&id)?;
    Ok(Json(state.core.update_risk(&auth.session, id, req).await?).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkAdvisory {
    /// An advisory the caller sees.
    pub advisory_id: AdvisoryId,
}

/// Links an advisory the caller sees to the risk: a review task opens.
#[utoipa::path(post, operation_id = "risk_link_advisory", path = "/api/v1/risk/risks/{id}/reviews", tag = "risk", security(("bearer" = [])), params(("id" = String, Path)), request_body = LinkAdvisory,
    responses((status = 201, body = ReviewView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn link_advisory(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<LinkAdvisory>,
) -> Result<Response, ApiError> {
    let id: i64 = id_of(&id)?;
    let v = state
        .core
        .link_risk_advisory(&auth.session, id, req.advisory_id)
        .await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewsQuery {
    /// Closed tasks too.
    #[serde(default)]
    pub all: bool,
}

/// Review tasks: opened by an advisory that reached the organisation and concerns a risk, or
/// by a user linking one. Open ones only unless `all=true`.
#[utoipa::path(get, operation_id = "risk_reviews", path = "/api/v1/risk/reviews", tag = "risk", security(("bearer" = [])), params(ReviewsQuery),
    responses((status = 200, body = Items<ReviewView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reviews(
    State(state): State<AppState>,
    auth: ApiAuth,
    Query(q): Query<ReviewsQuery>,
) -> Result<Response, ApiError> {
    let items = state.core.risk_reviews(&auth.session, q.all).await?;
    Ok(Json(Items { items }).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseReview {
    /// What the review found and did.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub note: String,
}

/// Closes an open review task with a note.
#[utoipa::path(post, operation_id = "risk_close_review", path = "/api/v1/risk/reviews/{id}/close", tag = "risk", security(("bearer" = [])), params(("id" = String, Path)), request_body = CloseReview,
    responses((status = 200, body = ReviewView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn close_review(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CloseReview>,
) -> Result<Response, ApiError> {
    let id: i64 = id_of(&id)?;
    let v = state
        .core
        .close_risk_review(&auth.session, id, &req.note)
        .await?;
    Ok(Json(v).into_response())
}

/// The whole register as one document (`kyoyu-risk-register/1`): criteria versions, assets,
/// issues and risks, to move to another kyoyu or keep as a copy.
#[utoipa::path(get, operation_id = "risk_export", path = "/api/v1/risk/export", tag = "risk", security(("bearer" = [])),
    responses((status = 200, body = RegisterDocument), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export(State(state): State<AppState>, auth: ApiAuth) -> Result<Response, ApiError> {
    Ok(Json(state.core.export_risk_register(&auth.session).await?).into_response())
}

/// Adds a register document to the caller's organisation's register, all or nothing: ids and
/// criteria versions are numbered anew; links to advisories or reports the caller does not
/// see here are dropped and counted.
#[utoipa::path(post, operation_id = "risk_import", path = "/api/v1/risk/import", tag = "risk", security(("bearer" = [])), request_body = RegisterDocument,
    responses((status = 201, body = ImportSummary), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiJson(req): ApiJson<RegisterDocument>,
) -> Result<Response, ApiError> {
    let v = state.core.import_risk_register(&auth.session, req).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// The starter library: the causes as threat categories and event templates from the seeds.
#[utoipa::path(get, operation_id = "risk_library", path = "/api/v1/risk/library", tag = "risk", security(("bearer" = [])),
    responses((status = 200, body = RiskLibrary), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn library(State(state): State<AppState>, auth: ApiAuth) -> Result<Response, ApiError> {
    Ok(Json(state.core.risk_library(&auth.session)?).into_response())
}
