//! Search: reports and advisories found by free text and facets, over exactly what the caller
//! may see. The store answers hits, totals and facet counts through the scoped reader; this
//! use case parses the query, widens it by the synonym list, and dresses the answer for a
//! person (labels, highlighted snippets).

mod saved;
mod synonyms;

pub use saved::{SavedQuery, SavedSearch};

use kyoyu_domain::messages::{Locale, ja, t};
use kyoyu_domain::policy::Actor;
use kyoyu_domain::search::{Segment, snippet};
use kyoyu_domain::{AdvisoryBasis, Cause, EventClass, Severity, Tlp};
pub use kyoyu_store::SearchFilters;
use kyoyu_store::{Facet, SearchQuery};
use serde::Serialize;

use crate::advisories::AdvisorySummary;
use crate::reports::ReportSummary;
use crate::{Core, Result};

/// How many characters of text a snippet shows.
const SNIPPET_CHARS: usize = 120;

/// Reports or advisories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    #[default]
    Reports,
    Advisories,
}

impl SearchKind {
    pub fn from_code(code: &str) -> Option<SearchKind> {
        match code {
            "reports" => Some(SearchKind::Reports),
            "advisories" => Some(SearchKind::Advisories),
            _ => None,
        }
    }

    pub const fn code(self) -> &'static str {
        match self {
            SearchKind::Reports => "reports",
            SearchKind::Advisories => "advisories",
        }
    }
}

/// A search as asked (every part optional).
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: Option<String>,
    pub kind: SearchKind,
    pub filters: SearchFilters,
    /// The page, from 1.
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// One value of a facet: how many hits have it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FacetValue {
    pub value: String,
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FacetShown {
    /// `sector`, `event`, `cause`, `severity`, `tlp`, `basis`, `fiscal_year`, `state`.
    pub name: &'static str,
    pub label: &'static str,
    pub values: Vec<FacetValue>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportFound {
    #[serde(flatten)]
    pub summary: ReportSummary,
    pub snippet: Vec<Segment>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdvisoryFound {
    #[serde(flatten)]
    pub summary: AdvisorySummary,
    pub snippet: Vec<Segment>,
}

/// A page of results, best first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchResults {
    pub kind: SearchKind,
    /// Hits of `kind` in all.
    pub total: u64,
    /// Hits of the other kind, for the tab beside.
    pub other_total: u64,
    pub page: u32,
    pub per_page: u32,
    /// Filled for `kind = reports`.
    pub reports: Vec<ReportFound>,
    /// Filled for `kind = advisories`.
    pub advisories: Vec<AdvisoryFound>,
    pub facets: Vec<FacetShown>,
}

impl Core {
    /// Reports or advisories the caller may see that the query finds, ranked, with the facet
    /// counts of every hit and the total of the other kind.
    pub async fn search(&self, actor: &Actor, r: &SearchRequest) -> Result<SearchResults> {
        let text = self.text_query("q", r.q.as_deref()).await?;
        let per_page = r.per_page.unwrap_or(20).clamp(1, 100);
        let page = r.page.unwrap_or(1).clamp(1, 10_000);
        let q = SearchQuery {
            text: text.clone(),
            filters: r.filters.clone(),
            offset: (page - 1) * per_page,
            limit: per_page,
            facets: true,
            newest: false,
        };
        // The other kind's total under the filters both kinds share.
        let other = SearchQuery {
            filters: SearchFilters {
                tlp: r.filters.tlp,
                severity: r.filters.severity,
                fiscal_year: r.filters.fiscal_year,
                ..Default::default()
            },
            limit: 1,
            facets: false,
            ..q.clone()
        };
        let mut tx = self.store.read().await?;
        let mut scoped = tx.scoped(actor);
        let snip = |body: &str| match &text {
            Some(t) => snippet(body, t, SNIPPET_CHARS),
            None => Vec::new(),
        };
        let mut out = SearchResults {
            kind: r.kind,
            total: 0,
            other_total: 0,
            page,
            per_page,
            reports: Vec::new(),
            advisories: Vec::new(),
            facets: Vec::new(),
        };
        let facets = match r.kind {
            SearchKind::Reports => {
                let found = scoped.search_reports(&q).await?;
                out.other_total = scoped.search_advisories(&other).await?.total;
                out.total = found.total;
                out.reports = found
                    .hits
                    .into_iter()
                    .map(|h| ReportFound {
                        snippet: snip(&h.body),
                        summary: self.summary(h.row),
                    })
                    .collect();
                found.facets
            }
            SearchKind::Advisories => {
                let found = scoped.search_advisories(&q).await?;
                out.other_total = scoped.search_reports(&other).await?.total;
                out.total = found.total;
                out.advisories = found
                    .hits
                    .into_iter()
                    .map(|h| AdvisoryFound {
                        snippet: snip(&h.body),
                        summary: Self::advisory_summary(h.row),
                    })
                    .collect();
                found.facets
            }
        };
        out.facets = facets.into_iter().map(|f| self.facet_shown(f)).collect();
        Ok(out)
    }

    fn facet_shown(&self, f: Facet) -> FacetShown {
        let reference = self.reference();
        let label = |value: &str| -> String {
            let code = |l: Option<&'static str>| l.unwrap_or_default().to_owned();
            match f.name {
                "sector" => reference.sector_name(value).to_owned(),
                "event" => code(EventClass::from_code(value).map(EventClass::label)),
                "cause" => code(Cause::from_code(value).map(Cause::label)),
                "severity" => code(Severity::from_code(value).map(Severity::label)),
                "basis" => code(AdvisoryBasis::from_code(value).map(AdvisoryBasis::label)),
                "tlp" => code(value.parse::<Tlp>().ok().map(Tlp::label)),
                "fiscal_year" => ja("search.fiscal_year", &[("year", value)]),
                _ => t(Locale::Ja, &format!("search.state.{value}")).to_owned(),
            }
        };
        FacetShown {
            name: f.name,
            label: t(Locale::Ja, &format!("search.facet.{}", f.name)),
            values: f
                .counts
                .into_iter()
                .map(|(value, count)| FacetValue {
                    label: label(&value),
                    value,
                    count,
                })
                .collect(),
        }
    }
}
