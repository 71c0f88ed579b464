//! The MISP feed under `/misp/feed/`: `manifest.json`, `<uuid>.json` per event and
//! `hashes.csv`, as MISP fetches a feed it subscribes to. A MISP instance sends an API token of
//! kyoyu as `Authorization: Bearer <token>` (MISP's feed setting "Headers"); without one the
//! feed holds the published White advisories. What it holds is decided by the core's scoped
//! reader, like every other read.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::auth::MaybeAuth;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/misp/feed/manifest.json", get(manifest))
        .route("/misp/feed/hashes.csv", get(hashes))
        .route("/misp/feed/{file}", get(event))
}

fn json(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

async fn manifest(State(state): State<AppState>, auth: MaybeAuth) -> Result<Response, ApiError> {
    let feed = state.core.misp_feed(&auth.actor).await?;
    Ok(json(feed.manifest.to_string()))
}

async fn hashes(State(state): State<AppState>, auth: MaybeAuth) -> Result<Response, ApiError> {
    let feed = state.core.misp_feed(&auth.actor).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        )],
        feed.hashes_csv(),
    )
        .into_response())
}

async fn event(
    State(state): State<AppState>,
    auth: MaybeAuth,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let uuid = file.strip_suffix(".json").ok_or_else(ApiError::not_found)?;
    let feed = state.core.misp_feed(&auth.actor).await?;
    let event = feed.event(uuid).ok_or_else(ApiError::not_found)?;
    Ok(json(event.to_string()))
}
