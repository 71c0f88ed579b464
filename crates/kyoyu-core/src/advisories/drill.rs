//! The drill report of an advisory (訓練): for every organisation on the route, time to
//! receive and to handle, and who never did. NISC sees every delivery; a forwarder those it
//! made.

use kyoyu_domain::AdvisoryId;
use kyoyu_domain::policy::distribution::drill_deliveries;
use serde::Serialize;

use crate::auth::Session;
use crate::directory::{OrgRef, Refs};
use crate::{Core, Result};

/// One line of the drill report.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DrillRow {
    pub org: OrgRef,
    pub from: OrgRef,
    pub delivered_at: String,
    pub seconds_to_receive: Option<i64>,
    pub seconds_to_handle: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DrillReport {
    pub advisory_id: AdvisoryId,
    pub number: Option<String>,
    pub exercise: bool,
    pub rows: Vec<DrillRow>,
    /// Organisations that never acknowledged receipt.
    pub never_received: Vec<OrgRef>,
    pub never_handled: Vec<OrgRef>,
}

fn secs(from: &str, to: &Option<String>) -> Option<i64> {
    let a = chrono::DateTime::parse_from_rfc3339(from).ok()?;
    let b = chrono::DateTime::parse_from_rfc3339(to.as_deref()?).ok()?;
    Some((b - a).num_seconds())
}

impl Core {
    pub async fn drill_report(&self, s: &Session, id: AdvisoryId) -> Result<DrillReport> {
        let mut tx = self.store.read().await?;
        let rec = tx.scoped(&s.actor).advisory(id).await?;
        let rows = drill_deliveries(&s.actor, &rec)?;
        let refs = Refs::load(&mut tx, rows.iter().flat_map(|d| [d.org, d.from])).await?;
        Ok(DrillReport {
            advisory_id: id,
            number: kyoyu_domain::advisory::edition_number(rec.get().number, 1),
            exercise: rec.get().exercise,
            never_received: rows
                .iter()
                .filter(|d| d.received_at.is_none())
                .map(|d| refs.get(d.org))
                .collect(),
            never_handled: rows
                .iter()
                .filter(|d| d.handled_at.is_none())
                .map(|d| refs.get(d.org))
                .collect(),
            rows: rows
                .iter()
                .map(|d| DrillRow {
                    org: refs.get(d.org),
                    from: refs.get(d.from),
                    delivered_at: d.delivered_at.clone(),
                    seconds_to_receive: secs(&d.delivered_at, &d.received_at),
                    seconds_to_handle: secs(&d.delivered_at, &d.handled_at),
                })
                .collect(),
        })
    }
}
