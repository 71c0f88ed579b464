//! The advisory list: one query of the read model through the scoped reader, newest first,
//! filtered and cursor-paginated; with `delivered`, those delivered to the caller's
//! organisation, with its receipt and handling.

use kyoyu_domain::policy::Actor;
use kyoyu_domain::{AdvisoryBasis, AdvisoryId, Severity, Tlp};
use kyoyu_store::{AdvisoryListQuery, AdvisoryListRow};
use serde::Serialize;

use crate::reports::Page;
use crate::{Core, Result};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdvisorySummary {
    pub id: AdvisoryId,
    pub number: Option<String>,
    pub title: String,
    pub tlp: Tlp,
    pub state: &'static str,
    pub exercise: bool,
    pub severity: Option<Severity>,
    pub overview: String,
    pub published_at: Option<String>,
    pub my_received_at: Option<String>,
    pub my_handled_at: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AdvisoryFilter {
    pub delivered: bool,
    pub tlp: Option<Tlp>,
    pub severity: Option<Severity>,
    pub basis: Option<AdvisoryBasis>,
    pub published: Option<bool>,
    pub exercise: Option<bool>,
    pub q: Option<String>,
    pub cursor: Option<AdvisoryId>,
    pub limit: Option<u32>,
}

impl Core {
    /// The list line of an advisory row.
    pub(crate) fn advisory_summary(r: AdvisoryListRow) -> AdvisorySummary {
        AdvisorySummary {
            title: format!(
                "{}{}",
                Self::drill_prefix(r.exercise),
                r.number
                    .clone()
                    .unwrap_or_else(|| kyoyu_domain::messages::ja("advisory.draft_label", &[]))
            ),
            id: r.id,
            number: r.number,
            tlp: r.tlp,
            state: if r.published { "published" } else { "draft" },
            exercise: r.exercise,
            severity: r.severity,
            overview: r.overview,
            published_at: r.published_at,
            my_received_at: r.my_received_at,
            my_handled_at: r.my_handled_at,
        }
    }

    /// Advisories the caller may see, newest first.
    pub async fn list_advisories(
        &self,
        actor: &Actor,
        f: &AdvisoryFilter,
    ) -> Result<std::sync::Arc<Page<AdvisorySummary>>> {
        let q = AdvisoryListQuery {
            delivered: f.delivered,
            tlp: f.tlp,
            severity: f.severity,
            basis: f.basis,
            published: f.published,
            exercise: f.exercise,
            q: self.text_query("q", f.q.as_deref()).await?,
            before: f.cursor,
            limit: f.limit.unwrap_or(50).clamp(1, 200),
        };
        self.cached_page(format!("advisories|{actor:?}|{q:?}"), || async {
            let mut tx = self.store.read().await?;
            let page = tx.scoped(actor).advisories(&q).await?;
            Ok(Page::new(
                page.items.into_iter().map(Self::advisory_summary).collect(),
                page.next,
            ))
        })
        .await
    }
}
