//! Lists as CSV for Excel (UTF-8 with BOM, formulas made inert): every row of the list the
//! caller asked for — with its filters, walked page by page through the same scoped list as
//! the page and the API — up to `MAX_ROWS`.

use kyoyu_domain::messages::ja;
use kyoyu_domain::policy::Actor;
use kyoyu_domain::{AdvisoryId, ReportId};
use kyoyu_forms::table;

use super::Download;
use crate::advisories::AdvisoryFilter;
use crate::reports::ReportFilter;
use crate::{Core, CoreError, Result};

/// The most rows one CSV holds (a narrower filter gives the rest).
pub const MAX_ROWS: usize = 100_000;

fn l(key: &'static str) -> String {
    ja(key, &[])
}

fn yes_no(b: bool) -> String {
    l(if b { "report.yes" } else { "report.no" })
}

/// RFC 3339 as JST to the minute, as the pages show times.
pub(super) fn jst(ts: &str) -> String {
    let zone = chrono::FixedOffset::east_opt(9 * 3600);
    match (chrono::DateTime::parse_from_rfc3339(ts), zone) {
        (Ok(t), Some(z)) => t.with_timezone(&z).format("%Y/%m/%d %H:%M").to_string(),
        _ => ts.to_owned(),
    }
}

pub(super) fn csv(name: &str, header: &[String], rows: Vec<Vec<String>>) -> Result<Download> {
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let bytes = table::csv(&header, rows).map_err(CoreError::internal)?;
    Ok(Download {
        file_name: format!("{name}.csv"),
        content_type: "text/csv; charset=utf-8".to_owned(),
        bytes,
        zipped: false,
    })
}

impl Core {
    /// The report list as CSV: every thread the caller may see that matches `filter`.
    pub async fn reports_csv(&self, actor: &Actor, filter: &ReportFilter) -> Result<Download> {
        let mut f = filter.clone();
        f.limit = Some(200);
        let mut rows = Vec::new();
        loop {
            let page = self.list_reports(actor, &f).await?;
            for r in &page.items {
                rows.push(vec![
                    r.number.clone().unwrap_or_default(),
                    r.edition.to_string(),
                    if r.state == "draft" {
                        l("csv.state_draft")
                    } else {
                        l("csv.state_sent")
                    },
                    r.sector_name.clone(),
                    r.tlp.label().to_owned(),
                    r.severity.map(|s| s.label().to_owned()).unwrap_or_default(),
                    r.event.map(|e| e.label().to_owned()).unwrap_or_default(),
                    r.title.clone(),
                    r.operator_name.clone().unwrap_or_default(),
                    r.originator.name.clone(),
                    yes_no(r.anonymized),
                    yes_no(r.follow_up_expected),
                    jst(&r.updated_at),
                ]);
            }
            match page
                .next_cursor
                .as_deref()
                .and_then(|c| c.parse::<i64>().ok())
            {
                Some(next) if rows.len() < MAX_ROWS => f.cursor = Some(ReportId(next)),
                _ => break,
            }
        }
        rows.truncate(MAX_ROWS);
        let header = [
            "report.number",
            "report.edition",
            "advisory.state",
            "report.sector",
            "report.tlp",
            "report.severity",
            "report.event",
            "report.overview",
            "report.operator_name",
            "report.originator",
            "report.anonymized",
            "csv.follow_up_expected",
            "report.updated_at",
        ]
        .map(l);
        csv(&l("csv.reports_file"), &header, rows)
    }

    /// The advisory list as CSV: every advisory the caller may see that matches `filter`.
    pub async fn advisories_csv(&self, actor: &Actor, filter: &AdvisoryFilter) -> Result<Download> {
        let mut f = filter.clone();
        f.limit = Some(200);
        let mut rows = Vec::new();
        loop {
            let page = self.list_advisories(actor, &f).await?;
            for a in &page.items {
                rows.push(vec![
                    a.number.clone().unwrap_or_default(),
                    if a.state == "draft" {
                        l("advisory.state_draft")
                    } else {
                        l("advisory.state_published")
                    },
                    a.tlp.label().to_owned(),
                    a.severity.map(|s| s.label().to_owned()).unwrap_or_default(),
                    a.title.clone(),
                    a.overview.clone(),
                    a.published_at.as_deref().map(jst).unwrap_or_default(),
                    a.my_received_at.as_deref().map(jst).unwrap_or_default(),
                    a.my_handled_at.as_deref().map(jst).unwrap_or_default(),
                ]);
            }
            match page
                .next_cursor
                .as_deref()
                .and_then(|c| c.parse::<i64>().ok())
            {
                Some(next) if rows.len() < MAX_ROWS => f.cursor = Some(AdvisoryId(next)),
                _ => break,
            }
        }
        rows.truncate(MAX_ROWS);
        let header = [
            "advisory_field.number",
            "advisory.state",
            "advisory_field.tlp",
            "advisory_field.severity",
            "csv.title",
            "advisory.overview",
            "csv.published_at",
            "advisory.received",
            "advisory.handled",
        ]
        .map(l);
        csv(&l("csv.advisories_file"), &header, rows)
    }
}
