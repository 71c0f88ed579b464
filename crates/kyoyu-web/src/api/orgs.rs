//! `/api/v1/orgs`, `/api/v1/sectors` and `/api/v1/routine`: the organisation directory and the
//! reference data.

use axum::Json;
use axum::extract::{Path, State};
use kyoyu_core::OrgRow;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiError, ErrorBody};
use kyoyu_domain::reference::Metric;
use kyoyu_domain::routine::{Framework, OutOfBand, RoutineSource, UpdateDay};

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgView {
    #[schema(example = "op-finance-1")]
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    /// Role codes (DOMAIN.md §1).
    pub roles: Vec<String>,
    /// Sector codes.
    pub sectors: Vec<String>,
    /// Codes of the CEPTOARs it is a member of.
    pub ceptoars: Vec<String>,
}

impl From<OrgRow> for OrgView {
    fn from(o: OrgRow) -> Self {
        OrgView {
            code: o.code,
            name_ja: o.name_ja,
            name_en: o.name_en,
            roles: o.roles.iter().map(|r| r.code().to_owned()).collect(),
            sectors: o.sectors.into_iter().collect(),
            ceptoars: o.ceptoars.into_iter().collect(),
        }
    }
}

/// Every organisation: codes, names, roles, sectors.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", security(("bearer" = [])),
    responses((status = 200, body = Vec<OrgView>), (status = 401, body = ErrorBody)))]
pub async fn list_orgs(
    State(state): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Vec<OrgView>>, ApiError> {
    let orgs = state.core.list_orgs(&auth.session.actor).await?;
    Ok(Json(orgs.into_iter().map(OrgView::from).collect()))
}

/// One organisation by code.
#[utoipa::path(get, path = "/api/v1/orgs/{code}", tag = "orgs", security(("bearer" = [])),
    params(("code" = String, Path, description = "organisation code")),
    responses((status = 200, body = OrgView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_org(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(code): Path<String>,
) -> Result<Json<OrgView>, ApiError> {
    let orgs = state.core.list_orgs(&auth.session.actor).await?;
    orgs.into_iter()
        .find(|o| o.code == code)
        .map(|o| Json(OrgView::from(o)))
        .ok_or_else(ApiError::not_found)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SectorView {
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    /// The code of the ministry with jurisdiction.
    pub ministry: String,
    pub subsectors: Vec<String>,
    /// Service codes with their service-maintenance level text.
    pub services: Vec<ServiceView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceView {
    pub code: String,
    pub name_ja: String,
    pub sml_ja: String,
    /// Whether the level has machine-checkable thresholds.
    pub quantitative: bool,
    /// The figures its thresholds are stated in (`impact.figures` of a report).
    pub figures: Vec<Metric>,
    /// Equipment with a rule of its own (`impact.figures.equipment`).
    pub equipment: Vec<String>,
}

/// Routine information (seed 000 Ⅳ) and the other sharing frameworks (Ⅲ).
#[derive(Debug, Serialize, ToSchema)]
pub struct RoutineView {
    /// The monthly security-update days from this month on, for a year.
    pub update_days: Vec<UpdateDay>,
    /// Security updates released outside the monthly day, as an administrator recorded them.
    pub out_of_band: Vec<OutOfBand>,
    pub sources: Vec<RoutineSource>,
    pub frameworks: Vec<Framework>,
}

/// The update days for the coming year, out-of-band releases, routine sources and frameworks.
#[utoipa::path(get, path = "/api/v1/routine", tag = "orgs", security(("bearer" = [])),
    responses((status = 200, body = RoutineView), (status = 401, body = ErrorBody)))]
pub async fn routine(State(state): State<AppState>, _auth: ApiAuth) -> Json<RoutineView> {
    let reference = state.core.reference();
    let today = state.core.today_jst();
    Json(RoutineView {
        update_days: kyoyu_domain::routine::update_days(today, 12),
        out_of_band: reference.out_of_band.clone(),
        sources: reference.routine_sources.clone(),
        frameworks: reference.frameworks.clone(),
    })
}

/// The sectors of the reference data in force, with their services.
#[utoipa::path(get, path = "/api/v1/sectors", tag = "orgs", security(("bearer" = [])),
    responses((status = 200, body = Vec<SectorView>), (status = 401, body = ErrorBody)))]
pub async fn list_sectors(State(state): State<AppState>, _auth: ApiAuth) -> Json<Vec<SectorView>> {
    let reference = state.core.reference();
    Json(
        reference
            .sectors
            .iter()
            .map(|s| SectorView {
                code: s.code.clone(),
                name_ja: s.name_ja.clone(),
                name_en: s.name_en.clone(),
                ministry: s.ministry.clone(),
                subsectors: s.subsectors.iter().map(|x| x.code.clone()).collect(),
                services: s
                    .services
                    .iter()
                    .map(|v| ServiceView {
                        code: v.code.clone(),
                        name_ja: v.name_ja.clone(),
                        sml_ja: v.sml_ja.clone(),
                        quantitative: !v.sml_rules.is_empty(),
                        figures: {
                            let mut m: Vec<Metric> = Vec::new();
                            for c in v.sml_rules.iter().flat_map(|r| &r.conditions) {
                                if !m.contains(&c.metric) {
                                    m.push(c.metric);
                                }
                            }
                            m
                        },
                        equipment: v.qualifiers().into_iter().map(str::to_owned).collect(),
                    })
                    .collect(),
            })
            .collect(),
    )
}
