//! Items as STIX 2.1 bundles: `GET /api/v1/reports/{id}/stix` (the sent editions of a thread)
//! and `GET /api/v1/advisories/{id}/stix` (a published advisory), as the caller sees them,
//! anonymisation included. The TAXII server (`crate::taxii`) serves the same objects.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use kyoyu_core::exchange::stix::MEDIA_TYPE;
use kyoyu_core::exchange::stix_file;
use serde_json::Value;
use utoipa::ToSchema;

use super::reports::{file_response, id_of};
use crate::AppState;
use crate::auth::MaybeAuth;
use crate::error::{ApiError, ErrorBody};

/// A STIX 2.1 bundle (OASIS STIX 2.1 §8): `type` is `bundle`; the objects are STIX objects
/// with kyoyu's property extension (its JSON Schema: `/taxii2/schemas/kyoyu-extension.json`).
#[derive(ToSchema)]
#[allow(dead_code)] // documents the answer; the bundle is built as JSON by the core
pub struct StixBundle {
    #[schema(pattern = "^bundle$")]
    r#type: String,
    #[schema(pattern = "^bundle--[0-9a-f-]{36}$")]
    id: String,
    #[schema(value_type = Vec<Object>)]
    objects: Vec<Value>,
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
