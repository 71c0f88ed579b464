//! Lists as CSV for Excel (UTF-8 with BOM, formulas made inert): every row of the list the
//! caller asked for — with its filters, walked page by page through the same scoped list as
//! the page and the API — up to `MAX_ROWS`.

use kyoyu_domain::messages::ja;
use kyoyu_domain::policy::Actor;
use kyoyu_domain::{AdvisoryId, ReportId};
use kyoyu_forms::table;

use std::future::Future;
use std::sync::Arc;

use super::Download;
use crate::advisories::AdvisoryFilter;
use crate::auth::Session;
use crate::reports::{InboxBox, Page, ReportFilter, ReportSummary};
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
pub(crate) fn jst(ts: &str) -> String {
    let zone = chrono::FixedOffset::east_opt(9 * 3600);
    match (chrono::DateTime::parse_from_rfc3339(ts), zone) {
        (Ok(t), Some(z)) => t.with_timezone(&z).format("%Y/%m/%d %H:%M").to_string(),
        _ => ts.to_owned(),
    }
}

pub(crate) fn csv(name: &str, header: &[String], rows: Vec<Vec<String>>) -> Result<Download> {
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let bytes = table::csv(&header, rows).map_err(CoreError::internal)?;
    Ok(Download {
        file_name: format!("{name}.csv"),
        content_type: "text/csv; charset=utf-8".to_owned(),
        bytes,
        zipped: false,
    })
}

/// The columns of a report list.
const REPORT_COLUMNS: [&str; 13] = [
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
];

fn report_row(r: &ReportSummary) -> Vec<String> {
    vec![
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
    ]
}

/// Every item of a paged list, page after page from `fetch(cursor)`, up to `MAX_ROWS`.
async fn all_pages<T: Clone, F, Fut>(mut fetch: F) -> Result<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Arc<Page<T>>>>,
{
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = fetch(cursor.take()).await?;
        out.extend(page.items.iter().cloned());
        match &page.next_cursor {
            Some(c) if out.len() < MAX_ROWS => cursor = Some(c.clone()),
            _ => break,
        }
    }
    out.truncate(MAX_ROWS);
    Ok(out)
}

fn id_cursor(c: Option<String>) -> Option<i64> {
    c.and_then(|c| c.parse().ok())
}

fn reports(name: &str, items: &[ReportSummary]) -> Result<Download> {
    let header = REPORT_COLUMNS.map(l);
    csv(name, &header, items.iter().map(report_row).collect())
}

impl Core {
    /// The report list as CSV: every thread the caller may see that matches `filter`.
    pub async fn reports_csv(&self, actor: &Actor, filter: &ReportFilter) -> Result<Download> {
        let items = all_pages(|c| {
            let f = ReportFilter {
                cursor: id_cursor(c).map(ReportId),
                limit: Some(200),
                ..filter.clone()
            };
            async move { self.list_reports(actor, &f).await }
        })
        .await?;
        reports(&l("csv.reports_file"), &items)
    }

    /// A box of the caller organisation's inbox as CSV.
    pub async fn inbox_csv(&self, s: &Session, which: InboxBox) -> Result<Download> {
        let items = all_pages(|c| async move {
            self.inbox(s, which, id_cursor(c).map(ReportId), Some(200))
                .await
        })
        .await?;
        reports(&l("csv.inbox_file"), &items)
    }

    /// The threads whose promised follow-up the caller's organisation watches, as CSV.
    pub async fn follow_ups_csv(&self, s: &Session) -> Result<Download> {
        let items =
            all_pages(|c| async move { self.follow_ups(s, c.as_deref(), Some(200)).await }).await?;
        reports(&l("csv.follow_ups_file"), &items)
    }

    /// The advisory list as CSV: every advisory the caller may see that matches `filter`.
    pub async fn advisories_csv(&self, actor: &Actor, filter: &AdvisoryFilter) -> Result<Download> {
        let items = all_pages(|c| {
            let f = AdvisoryFilter {
                cursor: id_cursor(c).map(AdvisoryId),
                limit: Some(200),
                ..filter.clone()
            };
            async move { self.list_advisories(actor, &f).await }
        })
        .await?;
        let rows = items
            .iter()
            .map(|a| {
                vec![
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
                ]
            })
            .collect();
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
