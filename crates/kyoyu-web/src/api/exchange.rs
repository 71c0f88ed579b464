//! Items as STIX 2.1 bundles: `GET /api/v1/reports/{id}/stix` (the sent editions of a thread)
//! and `GET /api/v1/advisories/{id}/stix` (a published advisory), as the caller sees them,
//! anonymisation included. The TAXII server (`crate::taxii`) serves the same objects. And a
//! bundle in (`POST …/import-stix`): a draft report of the caller's organisation, or NISC's
//! draft advisory.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kyoyu_core::advisories::AdvisoryView;
use kyoyu_core::exchange::stix::MEDIA_TYPE;
use kyoyu_core::exchange::stix_file;
use kyoyu_core::reports::ReportThread;
use serde_json::Value;
use utoipa::ToSchema;

use super::reports::{file_response, id_of};
use crate::AppState;
use crate::auth::{ApiAuth, MaybeAuth};
use crate::error::{ApiError, ErrorBody};

/// A STIX 2.1 bundle (OASIS STIX 2.1 §8): `type` is `bundle`; the objects are STIX objects
/// with kyoyu's property extension (its JSON Schema: `/taxii2/schemas/kyoyu-extension.json`).
#[derive(ToSchema)]
#[allow(dead_code)] // documents the answer; the bundle is built as JSON by the core
pub struct StixBundle {
    #[schema(pattern = "^bundle$")]
    r#type: String,
    #[schema(pattern = "^bundle--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    id: String,
    #[schema(min_items = 1)]
    objects: Vec<StixObject>,
}

/// A STIX object: every one has a `type` and an `id` (`<type>--<UUID>`); the properties of
/// its type follow (STIX 2.1 §4–6). Unknown properties are kept.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct StixObject {
    #[schema(pattern = "^[a-z0-9][a-z0-9-]*[a-z0-9]$")]
    r#type: String,
    #[schema(
        pattern = "^[a-z0-9][a-z0-9-]*[a-z0-9]--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    )]
    id: String,
    #[schema(pattern = "^2\\.1$")]
    spec_version: Option<String>,
}

/// The bundle as a download, its content type exactly the STIX one.
pub(crate) fn bundle_response(bundle: &Value, fallback: &str) -> Response {
    let mut res = file_response(stix_file(bundle, fallback));
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    res
}

/// A report thread's sent editions as a STIX 2.1 bundle, as the caller sees them (404 when
/// the caller may not see it, or it has no sent edition).
#[utoipa::path(get, path = "/api/v1/reports/{id}/stix", tag = "documents", security((), ("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the bundle", content_type = "application/stix+json;version=2.1", body = StixBundle),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn report_stix(
    State(state): State<AppState>,
    auth: MaybeAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rid = id_of(&id)?;
    let bundle = state.core.report_stix(&auth.actor, rid).await?;
    Ok(bundle_response(&bundle, &format!("report-{id}")))
}

/// A published advisory as a STIX 2.1 bundle, as the caller sees it.
#[utoipa::path(get, path = "/api/v1/advisories/{id}/stix", tag = "documents", security((), ("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the bundle", content_type = "application/stix+json;version=2.1", body = StixBundle),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn advisory_stix(
    State(state): State<AppState>,
    auth: MaybeAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let aid = id_of(&id)?;
    let bundle = state.core.advisory_stix(&auth.actor, aid).await?;
    Ok(bundle_response(&bundle, &format!("advisory-{id}")))
}

/// The body of an import: a STIX bundle as `application/stix+json` or `application/json`.
fn bundle_body(headers: &HeaderMap, body: &Bytes) -> Result<(), ApiError> {
    super::documents::file_body(
        headers,
        body,
        &["application/stix+json", "application/json"],
    )
}

/// A STIX 2.1 bundle (as MISP, OpenCTI or kyoyu export it) becomes a draft report of the
/// caller's organisation: a kyoyu bundle as the form it carries, any other with its heading,
/// text, TLP (Red when unmarked), indicators, vulnerabilities, malware and courses of action
/// as the text. The bundle is attached to the draft. A bad bundle: 422 naming the object and
/// the property, and nothing is created.
#[utoipa::path(post, path = "/api/v1/reports/import-stix", tag = "documents", security(("bearer" = [])),
    request_body(content = StixBundle, content_type = "application/stix+json"),
    responses((status = 201, description = "the draft thread", body = ReportThread), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_report_stix(
    State(state): State<AppState>,
    auth: ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    bundle_body(&headers, &body)?;
    let thread = state.core.import_report_stix(&auth.session, &body).await?;
    Ok((StatusCode::CREATED, Json(thread)).into_response())
}

/// A STIX 2.1 bundle becomes NISC's draft advisory (NISC only): a kyoyu bundle as the form it
/// carries, any other addressed to every sector for NISC to narrow, at the bundle's TLP (Red
/// when unmarked). The bundle is attached to the draft.
#[utoipa::path(post, path = "/api/v1/advisories/import-stix", tag = "documents", security(("bearer" = [])),
    request_body(content = StixBundle, content_type = "application/stix+json"),
    responses((status = 201, description = "the draft advisory", body = AdvisoryView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_advisory_stix(
    State(state): State<AppState>,
    auth: ApiAuth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    bundle_body(&headers, &body)?;
    let view: AdvisoryView = state
        .core
        .import_advisory_stix(&auth.session, &body)
        .await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}
