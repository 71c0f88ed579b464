//! The lists inside one item as CSV: an advisory's deliveries (who received it from whom,
//! acknowledged and handled when), and the drill results of an exercise — each as the caller
//! sees the item, through the same use case as its page.

use kyoyu_domain::messages::ja;
use kyoyu_domain::policy::Actor;
use kyoyu_domain::{AdvisoryId, ReportId};

use super::Download;
use super::csv::{csv, jst};
use crate::auth::Session;
use crate::{Core, Result};

fn l(key: &'static str) -> String {
    ja(key, &[])
}

fn seconds(s: Option<i64>) -> String {
    s.map(|s| s.to_string()).unwrap_or_default()
}

fn label(item: &str, number: Option<&str>, id: i64) -> String {
    format!(
        "{item}_{}",
        number.map_or_else(|| id.to_string(), str::to_owned)
    )
}

impl Core {
    /// Who an advisory was delivered to, by whom, and when each acknowledged and handled it.
    pub async fn deliveries_csv(&self, actor: &Actor, id: AdvisoryId) -> Result<Download> {
        let v = self.get_advisory(actor, id).await?;
        let rows = v
            .deliveries
            .iter()
            .map(|d| {
                vec![
                    d.org.name.clone(),
                    d.from.name.clone(),
                    jst(&d.delivered_at),
                    d.received_at.as_deref().map(jst).unwrap_or_default(),
                    d.handled_at.as_deref().map(jst).unwrap_or_default(),
                    d.note.clone(),
                ]
            })
            .collect();
        let header = [
            "advisory.org",
            "report.from",
            "advisory.delivered",
            "advisory.received",
            "advisory.handled",
            "advisory.note",
        ]
        .map(l);
        let name = label(&l("csv.deliveries_file"), v.number.as_deref(), id.0);
        csv(&name, &header, rows)
    }

    /// The drill of a report: each hop, when it arrived and how long until it was passed on.
    pub async fn report_drill_csv(&self, actor: &Actor, id: ReportId) -> Result<Download> {
        let d = self.report_drill(actor, id).await?;
        let rows = d
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.edition.to_string(),
                    r.org.name.clone(),
                    r.from.name.clone(),
                    jst(&r.received_at),
                    r.passed_on_at.as_deref().map(jst).unwrap_or_default(),
                    seconds(r.seconds_to_pass_on),
                ]
            })
            .collect();
        let header = [
            "report.edition",
            "advisory.org",
            "report.from",
            "report.received_at",
            "csv.passed_on_at",
            "csv.seconds_to_pass_on",
        ]
        .map(l);
        let name = label(&l("csv.drill_file"), d.number.as_deref(), id.0);
        csv(&name, &header, rows)
    }

    /// The drill of an advisory: each delivery and how long until it was received and handled.
    pub async fn advisory_drill_csv(&self, s: &Session, id: AdvisoryId) -> Result<Download> {
        let d = self.drill_report(s, id).await?;
        let rows = d
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.org.name.clone(),
                    r.from.name.clone(),
                    jst(&r.delivered_at),
                    seconds(r.seconds_to_receive),
                    seconds(r.seconds_to_handle),
                ]
            })
            .collect();
        let header = [
            "advisory.org",
            "report.from",
            "advisory.delivered",
            "csv.seconds_to_receive",
            "csv.seconds_to_handle",
        ]
        .map(l);
        let name = label(&l("csv.drill_file"), d.number.as_deref(), id.0);
        csv(&name, &header, rows)
    }
}
