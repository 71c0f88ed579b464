//! `GET /api/v1/statistics`: counts of the reports the caller may see by period and one
//! dimension, median times, and advisories with their receipt.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use kyoyu_core::stats::{StatDimension, StatsRequest};
use kyoyu_domain::messages::ja;
use kyoyu_domain::stats::Period;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::MaybeAuth;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// month (default) | quarter | fiscal_year: the Japanese fiscal year runs April–March.
    #[param(pattern = "^\\s*(month|quarter|fiscal_year)?\\s*$")]
    pub period: Option<String>,
    /// sector (default) | event | cause | severity | basis | deviation | total.
    #[param(pattern = "^\\s*(sector|event|cause|severity|basis|deviation|total)?\\s*$")]
    pub dimension: Option<String>,
    /// Only this fiscal year (e.g. 2026).
    pub fiscal_year: Option<i32>,
    /// Only this sector.
    pub sector: Option<String>,
}

impl StatsQuery {
    fn request(self) -> Result<StatsRequest, ApiError> {
        let given = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let period = match given(self.period) {
            None => Period::Month,
            Some(p) => Period::from_code(&p)
                .ok_or_else(|| ApiError::field("period", ja("api.bad_stats_period", &[])))?,
        };
        let dimension =
            match given(self.dimension) {
                None => None,
                Some(d) => Some(StatDimension::from_code(&d).ok_or_else(|| {
                    ApiError::field("dimension", ja("api.bad_stats_dimension", &[]))
                })?),
            };
        Ok(StatsRequest {
            period,
            dimension,
            fiscal_year: self.fiscal_year,
            sector: given(self.sector),
        })
    }
}

/// Counts of the reports the caller may see (exercises and unsent drafts left out), in the
/// view it gets of each, by period and `dimension`: `{columns, rows: [{period, label, cells,
/// total}], column_totals, total, occurred_to_reported, reported_to_numbered, advisories,
/// fiscal_years, threshold}`. A cell of fewer than `threshold` threads the caller neither
/// originated nor passed on is `{"count": null, "suppressed": true}`, and so is a second cell
/// of a row or column that would give it away. Without a token: public reports only.
#[utoipa::path(get, path = "/api/v1/statistics", tag = "search", security((), ("bearer" = [])), params(StatsQuery),
    responses((status = 200, description = "the counts", body = kyoyu_core::stats::Statistics),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn statistics(
    State(state): State<AppState>,
    auth: MaybeAuth,
    query: Result<Query<StatsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::field("query", e.body_text()))?;
    let s = state.core.statistics(&auth.actor, &q.request()?).await?;
    Ok(Json(s).into_response())
}
