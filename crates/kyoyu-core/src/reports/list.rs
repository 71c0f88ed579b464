//! Lists of threads: the report list with its filters, the inbox boxes, follow-up tracking
//! and notifications. Each is one query of the store's read model through the scoped reader —
//! the view of each thread the caller gets, filtered in SQL, `limit + 1` rows a page — so the
//! cost of a page does not grow with the number of reports.

use kyoyu_domain::messages::{Locale, t};
use kyoyu_domain::{Cause, EventClass, ReportId, Severity, Tlp};
use kyoyu_store::{ListPage, NotificationRow, ReportBox, ReportListQuery, ReportListRow};
use serde::Serialize;

use crate::auth::Session;
use crate::directory::OrgRef;
use crate::{Core, CoreError, Result};
use kyoyu_domain::policy::Actor;

/// One line of a list.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportSummary {
    pub id: ReportId,
    pub number: Option<String>,
    pub sector: String,
    pub sector_name: String,
    pub tlp: Tlp,
    pub severity: Option<Severity>,
    pub event: Option<EventClass>,
    pub title: String,
    pub operator_name: Option<String>,
    pub originator: OrgRef,
    pub edition: u32,
    pub state: String,
    pub anonymized: bool,
    pub follow_up_expected: bool,
    pub waiting_since: Option<String>,
    pub updated_at: String,
}

/// Filters of the report list (all optional).
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub sector: Option<String>,
    pub tlp: Option<Tlp>,
    pub severity: Option<Severity>,
    pub event: Option<EventClass>,
    pub cause: Option<Cause>,
    /// Free text, matched against what the caller may see of the form.
    pub q: Option<String>,
    /// Reported at or after.
    pub from: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub to: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub cursor: Option<ReportId>,
    pub limit: Option<u32>,
}

/// Which inbox box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxBox {
    Drafts,
    ToForward,
    Sent,
    Received,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// The page as JSON, made once: a page replayed from the cache is not serialised again.
    #[serde(skip)]
    json: std::sync::OnceLock<Vec<u8>>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, next_cursor: Option<String>) -> Page<T> {
        Page {
            items,
            next_cursor,
            json: std::sync::OnceLock::new(),
        }
    }
}

impl<T: Serialize> Page<T> {
    /// `{items, next_cursor}` as JSON.
    pub fn json(&self) -> &[u8] {
        self.json
            .get_or_init(|| serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec()))
    }
}

impl Core {
    pub(crate) fn summary(&self, r: ReportListRow) -> ReportSummary {
        let reference = self.reference();
        let title = if !r.title.is_empty() {
            r.title
        } else if let Some(e) = r.event {
            e.label().to_owned()
        } else {
            t(Locale::Ja, "report.no_overview").to_owned()
        };
        ReportSummary {
            id: r.id,
            number: r.number,
            sector_name: reference.sector_name(&r.sector).to_owned(),
            sector: r.sector,
            tlp: r.tlp,
            severity: r.severity,
            event: r.event,
            title: format!("{}{title}", Self::drill_prefix(r.exercise)),
            operator_name: r.operator_name,
            originator: OrgRef {
                code: r.originator_code,
                name: r.originator_name,
            },
            edition: r.edition,
            state: r.state,
            anonymized: r.anonymized,
            follow_up_expected: r.follow_up_expected,
            waiting_since: r.waiting_since,
            updated_at: r.updated_at,
        }
    }

    fn page(&self, p: ListPage<ReportListRow>) -> Page<ReportSummary> {
        Page::new(
            p.items.into_iter().map(|r| self.summary(r)).collect(),
            p.next,
        )
    }

    /// Threads the caller may see, newest first, filtered and cursor-paginated.
    pub async fn list_reports(
        &self,
        actor: &Actor,
        filter: &ReportFilter,
    ) -> Result<std::sync::Arc<Page<ReportSummary>>> {
        let utc = |t: chrono::DateTime<chrono::FixedOffset>| t.with_timezone(&chrono::Utc);
        let q = ReportListQuery {
            sector: filter.sector.clone(),
            tlp: filter.tlp,
            severity: filter.severity,
            event: filter.event,
            cause: filter.cause,
            q: self.text_query("q", filter.q.as_deref()).await?,
            from: filter.from.map(utc),
            to: filter.to.map(utc),
            inbox: None,
            before: filter.cursor,
            limit: filter.limit.unwrap_or(50).clamp(1, 200),
        };
        self.cached_page(format!("reports|{actor:?}|{q:?}"), || async {
            let mut tx = self.store.read().await?;
            Ok(self.page(tx.scoped(actor).reports(&q).await?))
        })
        .await
    }

    /// A box of the caller organisation's inbox, newest first.
    pub async fn inbox(
        &self,
        s: &Session,
        which: InboxBox,
        cursor: Option<ReportId>,
        limit: Option<u32>,
    ) -> Result<std::sync::Arc<Page<ReportSummary>>> {
        s.org_id.ok_or_else(CoreError::forbidden)?;
        let q = ReportListQuery {
            inbox: Some(match which {
                InboxBox::Drafts => ReportBox::Drafts,
                InboxBox::ToForward => ReportBox::ToForward,
                InboxBox::Sent => ReportBox::Sent,
                InboxBox::Received => ReportBox::Received,
            }),
            before: cursor,
            limit: limit.unwrap_or(100).clamp(1, 200),
            ..Default::default()
        };
        let actor = &s.actor;
        self.cached_page(format!("reports|{actor:?}|{q:?}"), || async {
            let mut tx = self.store.read().await?;
            Ok(self.page(tx.scoped(actor).reports(&q).await?))
        })
        .await
    }

    /// Threads whose latest edition promises a follow-up that the caller's organisation watches
    /// (its own side's; as a sector ministry, those of its sectors), longest waiting first.
    pub async fn follow_ups(
        &self,
        s: &Session,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<std::sync::Arc<Page<ReportSummary>>> {
        s.org_id.ok_or_else(CoreError::forbidden)?;
        let actor = &s.actor;
        let limit = limit.unwrap_or(100).clamp(1, 200);
        self.cached_page(
            format!("follow_ups|{actor:?}|{cursor:?}|{limit}"),
            || async {
                let mut tx = self.store.read().await?;
                let p = tx.scoped(actor).follow_ups(cursor, limit).await?;
                Ok(self.page(p))
            },
        )
        .await
    }

    /// The caller organisation's notifications about items it may see.
    pub async fn notifications(&self, s: &Session) -> Result<Vec<NotificationRow>> {
        s.org_id.ok_or_else(CoreError::forbidden)?;
        let mut tx = self.store.read().await?;
        Ok(tx.scoped(&s.actor).notifications(100).await?)
    }
}
