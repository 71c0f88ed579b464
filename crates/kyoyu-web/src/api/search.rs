//! `GET /api/v1/search`: reports or advisories found by free text and facets, over what the
//! caller may see.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use kyoyu_core::search::{SearchFilters, SearchKind, SearchRequest, SearchResults};
use kyoyu_domain::messages::ja;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::api::reports::code;
use crate::auth::MaybeAuth;
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query: words (all must occur), `"a phrase"`, `a OR b`, `-word`; a word of two
    /// characters or more; an item number (`R12`) finds that item.
    pub q: Option<String>,
    /// reports (default) | advisories.
    #[param(pattern = "^(reports|advisories)?$")]
    pub kind: Option<String>,
    /// Sector code.
    pub sector: Option<String>,
    /// red | amber | green | white.
    #[param(value_type = Option<kyoyu_domain::Tlp>)]
    pub tlp: Option<String>,
    /// alert | warning | reference.
    #[param(value_type = Option<kyoyu_domain::Severity>)]
    pub severity: Option<String>,
    /// Event class code (reports).
    #[param(value_type = Option<kyoyu_domain::EventClass>)]
    pub event: Option<String>,
    /// Cause code (reports).
    #[param(value_type = Option<kyoyu_domain::Cause>)]
    pub cause: Option<String>,
    /// Basis code (advisories).
    #[param(value_type = Option<kyoyu_domain::AdvisoryBasis>)]
    pub basis: Option<String>,
    /// draft | sent (reports) | published (advisories).
    #[param(pattern = "^(draft|sent|published)?$")]
    pub state: Option<String>,
    /// The Japanese fiscal year (April–March), e.g. 2026.
    #[param(pattern = "^\\s*((19|[2-9][0-9])[0-9]{2})?\\s*$")]
    pub fiscal_year: Option<String>,
    /// From 1.
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<i64>,
    /// 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

fn given(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl SearchParams {
    pub(crate) fn request(self) -> Result<SearchRequest, ApiError> {
        let kind = match given(self.kind) {
            None => SearchKind::Reports,
            Some(k) => SearchKind::from_code(&k)
                .ok_or_else(|| ApiError::field("kind", ja("api.bad_search_kind", &[])))?,
        };
        let state = given(self.state);
        if state
            .as_deref()
            .is_some_and(|s| !matches!(s, "draft" | "sent" | "published"))
        {
            return Err(ApiError::field("state", ja("api.bad_search_state", &[])));
        }
        let fiscal_year = match given(self.fiscal_year) {
            None => None,
            Some(y) => Some(
                y.parse::<i32>()
                    .ok()
                    .filter(|y| (1900..=9999).contains(y))
                    .ok_or_else(|| {
                        ApiError::field("fiscal_year", ja("api.bad_fiscal_year", &[]))
                    })?,
            ),
        };
        let page = |field: &str, v: Option<i64>, max: i64| match v {
            None => Ok(None),
            Some(n) if (1..=max).contains(&n) => Ok(Some(n as u32)),
            Some(_) => Err(ApiError::field(field, ja("api.bad_page", &[]))),
        };
        Ok(SearchRequest {
            q: self.q,
            kind,
            filters: SearchFilters {
                sector: given(self.sector),
                tlp: code("tlp", self.tlp)?,
                severity: code("severity", self.severity)?,
                event: code("event", self.event)?,
                cause: code("cause", self.cause)?,
                basis: code("basis", self.basis)?,
                state,
                fiscal_year,
            },
            page: page("page", self.page, 10_000)?,
            per_page: page("per_page", self.per_page, 100)?,
        })
    }
}

/// Reports (or advisories) the caller may see that the query finds, best first: `{kind,
/// total, other_total, page, per_page, reports | advisories, facets}`. Each hit carries the
/// list line and a `snippet` of `{text, hit}` pieces. Facet counts are over every hit, and
/// count only what the caller may see. Without a token: public (White) items only.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", security((), ("bearer" = [])), params(SearchParams),
    responses((status = 200, description = "the hits, their total and facets", body = SearchResults),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    auth: MaybeAuth,
    query: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = query.map_err(|e| ApiError::field("query", e.body_text()))?;
    let found = state.core.search(&auth.actor, &params.request()?).await?;
    Ok(Json(found).into_response())
}
