//! The drill report of a report (訓練, the vertical CEPTOAR drill, 図表9): for every
//! organisation on the route as the caller may see it, when each edition arrived and how long
//! it took to pass it on, and who never did. Built from the caller's view, so anonymisation
//! holds here too.

use std::collections::BTreeSet;

use kyoyu_domain::policy::Actor;
use kyoyu_domain::{ReportId, Role};
use kyoyu_store::OrgFilter;
use serde::Serialize;

use crate::directory::OrgRef;
use crate::{Core, Result};

/// One hop of a report's drill report.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RouteTiming {
    pub edition: u32,
    pub org: OrgRef,
    pub from: OrgRef,
    pub received_at: String,
    /// When the organisation passed the edition on (none for NISC, the end of the route).
    pub passed_on_at: Option<String>,
    pub seconds_to_pass_on: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportDrill {
    pub id: ReportId,
    pub number: Option<String>,
    pub exercise: bool,
    pub rows: Vec<RouteTiming>,
    pub never_passed_on: Vec<OrgRef>,
}

impl Core {
    pub async fn report_drill(&self, actor: &Actor, id: ReportId) -> Result<ReportDrill> {
        let (t, nisc) = {
            let mut tx = self.store.read().await?;
            let rec = tx.scoped(actor).report(id).await?;
            let t = self.thread_view(&mut tx, actor, &rec).await?;
            let nisc: BTreeSet<String> = tx
                .orgs(OrgFilter::Role(Role::Nisc))
                .await?
                .into_iter()
                .map(|o| o.code)
                .collect();
            (t, nisc)
        };
        let mut rows = Vec::new();
        let mut never = Vec::new();
        for hop in &t.route {
            let next = t
                .route
                .iter()
                .find(|h| h.edition == hop.edition && h.from.code == hop.to.code);
            let seconds = next.and_then(|n| {
                let a = chrono::DateTime::parse_from_rfc3339(&hop.at).ok()?;
                let b = chrono::DateTime::parse_from_rfc3339(&n.at).ok()?;
                Some((b - a).num_seconds())
            });
            // NISC is the end of the route: it has nothing to pass on.
            if next.is_none() && !nisc.contains(&hop.to.code) && !never.contains(&hop.to) {
                never.push(hop.to.clone());
            }
            rows.push(RouteTiming {
                edition: hop.edition,
                org: hop.to.clone(),
                from: hop.from.clone(),
                received_at: hop.at.clone(),
                passed_on_at: next.map(|n| n.at.clone()),
                seconds_to_pass_on: seconds,
            });
        }
        Ok(ReportDrill {
            id,
            number: t.number.clone(),
            exercise: t.exercise,
            rows,
            never_passed_on: never,
        })
    }
}
