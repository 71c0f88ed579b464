//! The one way to read shared items: `tx.scoped(&actor)`. Single reads answer a
//! [`Visible`] value only when `policy::can_see` admits the actor (otherwise `NotFound`, which
//! callers answer with 404); lists, inbox boxes, follow-ups, notifications and downloads are
//! one SQL query each, joined with the scope predicate and the view choice of `scope.rs`, and
//! read `LIMIT page + 1` rows of the read model. Nothing else in the store's public API reads
//! an item (the architecture test checks it).

use chrono::{DateTime, Utc};
use kyoyu_domain::advisory::record::{AdvisoryRecord, ScopeRequest};
use kyoyu_domain::policy::distribution::sees_request;
use kyoyu_domain::policy::view::{FollowUpWatch, ViewChoice};
use kyoyu_domain::policy::{Actor, ScopeFilter, Visible, admit, report_view};
use kyoyu_domain::report::thread::{AttachmentShown, ReportRecord, present};
use kyoyu_domain::search::Query;
use kyoyu_domain::{
    AdvisoryBasis, AdvisoryId, AttachmentId, Cause, EventClass, ItemId, ReportId, ScopeRequestId,
    Severity, Tlp,
};
use sqlx::Row;
use sqlx::any::AnyRow;
use text::{ADVISORY_TEXT, REPORT_TEXT, push_matches};

use crate::items::advisories::{REQUEST_COLS, request_from};
use crate::items::{flag, json, parse_code};
use crate::notifications::NotificationRow;
use crate::scope::{
    ADVISORY_LIST, ITEMS, REPORT_LIST, push_follow_up_watch, push_predicate, push_tlp_is,
    push_view_choice,
};
use crate::sql::Sql;
use crate::{Result, StoreError, Tx, ts};

mod exchange;
mod search;
mod stats;
mod text;

pub use exchange::{FeedCursor, FeedItem};
pub use search::{AdvisoryHit, Facet, ReportHit, SearchFilters, SearchPage, SearchQuery};
pub use stats::{AdvisoryCountRow, CountRow, DeliveryTiming, StatDimension, StatsFilter, Timing};

/// A page of a list, newest first; pass `next` back to get the following page.
#[derive(Debug, Clone, PartialEq)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// An inbox box of the caller's organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportBox {
    /// Editions received and not yet passed on.
    ToForward,
    Received,
    Sent,
    Drafts,
}

impl ReportBox {
    pub const fn code(self) -> &'static str {
        match self {
            ReportBox::ToForward => "to_forward",
            ReportBox::Received => "received",
            ReportBox::Sent => "sent",
            ReportBox::Drafts => "drafts",
        }
    }
}

/// What a report list asks for, beyond what the caller may see. Every filter applies to the
/// view of each thread the caller gets.
#[derive(Debug, Clone, Default)]
pub struct ReportListQuery {
    pub sector: Option<String>,
    pub tlp: Option<Tlp>,
    pub severity: Option<Severity>,
    pub event: Option<EventClass>,
    pub cause: Option<Cause>,
    /// Free text, matched against the text the view shows (and the number).
    pub q: Option<Query>,
    /// Reported at or after / at or before.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// One box of the caller organisation's inbox.
    pub inbox: Option<ReportBox>,
    /// Only threads older than this one (the cursor).
    pub before: Option<ReportId>,
    pub limit: u32,
}

/// One line of a report list: the summary of the view the caller gets.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportListRow {
    pub id: ReportId,
    /// `own`, `full` or `released`.
    pub view: String,
    pub number: Option<String>,
    pub sector: String,
    pub tlp: Tlp,
    pub severity: Option<Severity>,
    pub event: Option<EventClass>,
    pub title: String,
    pub operator_name: Option<String>,
    pub originator_code: String,
    pub originator_name: String,
    pub edition: u32,
    /// `draft` or `sent`.
    pub state: String,
    pub anonymized: bool,
    pub exercise: bool,
    pub follow_up_expected: bool,
    pub waiting_since: Option<String>,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default)]
pub struct AdvisoryListQuery {
    /// Only those delivered to the caller's organisation.
    pub delivered: bool,
    pub tlp: Option<Tlp>,
    pub severity: Option<Severity>,
    pub basis: Option<AdvisoryBasis>,
    /// `draft` or `published`.
    pub published: Option<bool>,
    pub exercise: Option<bool>,
    pub q: Option<Query>,
    pub before: Option<AdvisoryId>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdvisoryListRow {
    pub id: AdvisoryId,
    pub number: Option<String>,
    pub edition: u32,
    pub published: bool,
    pub tlp: Tlp,
    pub severity: Option<Severity>,
    pub basis: Option<AdvisoryBasis>,
    pub exercise: bool,
    pub overview: String,
    pub published_at: Option<String>,
    pub updated_at: String,
    /// Receipt and handling by the caller's organisation, if it was delivered to it.
    pub my_received_at: Option<String>,
    pub my_handled_at: Option<String>,
}

/// A scope-change request as its addressee sees it: what is asked, about which of its
/// reports, and the overview of the draft it would feed.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestWithContext {
    pub request: ScopeRequest,
    pub report_number: String,
    pub advisory_overview: String,
}

/// The actor's reader over a transaction.
pub struct Scoped<'a> {
    tx: &'a mut Tx,
    actor: &'a Actor,
    filter: ScopeFilter,
}

impl Tx {
    /// Reads shared items as `actor` may.
    pub fn scoped<'a>(&'a mut self, actor: &'a Actor) -> Scoped<'a> {
        Scoped {
            filter: ScopeFilter::of(actor),
            tx: self,
            actor,
        }
    }
}

fn report_row_from(r: &AnyRow) -> Result<ReportListRow> {
    let tlp: String = r.try_get("shown_tlp")?;
    Ok(ReportListRow {
        id: ReportId(r.try_get("report_id")?),
        view: r.try_get("view")?,
        number: r.try_get("number")?,
        sector: r.try_get("sector")?,
        tlp: parse_code("tlp", &tlp, |c| c.parse().ok())?,
        severity: r
            .try_get::<Option<String>, _>("severity")?
            .map(|c| parse_code("severity", &c, Severity::from_code))
            .transpose()?,
        event: r
            .try_get::<Option<String>, _>("event")?
            .map(|c| parse_code("event", &c, EventClass::from_code))
            .transpose()?,
        title: r.try_get("title")?,
        operator_name: r.try_get("operator_name")?,
        originator_code: r
            .try_get::<Option<String>, _>("o_code")?
            .unwrap_or_default(),
        originator_name: r
            .try_get::<Option<String>, _>("o_name")?
            .unwrap_or_default(),
        edition: r.try_get::<i64, _>("edition")? as u32,
        state: r.try_get("state")?,
        anonymized: flag(r, "anonymized")?,
        exercise: flag(r, "exercise")?,
        follow_up_expected: flag(r, "follow_up_expected")?,
        waiting_since: r.try_get("waiting_since")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn advisory_row_from(r: &AnyRow) -> Result<AdvisoryListRow> {
    let tlp: String = r.try_get("shown_tlp")?;
    Ok(AdvisoryListRow {
        id: AdvisoryId(r.try_get("advisory_id")?),
        number: r.try_get("number")?,
        edition: r.try_get::<i64, _>("edition")? as u32,
        published: r.try_get::<String, _>("state")? == "published",
        tlp: parse_code("tlp", &tlp, |c| c.parse().ok())?,
        severity: r
            .try_get::<Option<String>, _>("severity")?
            .map(|c| parse_code("severity", &c, Severity::from_code))
            .transpose()?,
        basis: r
            .try_get::<Option<String>, _>("basis")?
            .map(|c| parse_code("basis", &c, AdvisoryBasis::from_code))
            .transpose()?,
        exercise: flag(r, "exercise")?,
        overview: r.try_get("overview")?,
        published_at: r.try_get("published_at")?,
        updated_at: r.try_get("updated_at")?,
        my_received_at: r.try_get("received_at")?,
        my_handled_at: r.try_get("handled_at")?,
    })
}

const ADVISORY_ROW_COLS: &str = "a.advisory_id, a.number, a.edition, a.state, a.shown_tlp, a.severity, a.basis, a.exercise, a.overview, a.published_at, a.updated_at, d.received_at, d.handled_at";

const REPORT_ROW_COLS: &str = "l.row_id, l.report_id, l.view, l.number, l.sector, l.shown_tlp, l.severity, l.event, l.title, l.operator_name, l.edition, l.state, l.anonymized, l.exercise, l.follow_up_expected, l.waiting_since, l.updated_at, o.code AS o_code, o.name_ja AS o_name";

impl Scoped<'_> {
    pub fn actor(&self) -> &Actor {
        self.actor
    }

    /// One thread, if the actor may see it.
    pub async fn report(&mut self, id: ReportId) -> Result<Visible<ReportRecord>> {
        let rec = self
            .tx
            .load_report(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("report {id}")))?;
        let scope = rec.scope.clone();
        admit(self.actor, scope, rec).ok_or_else(|| StoreError::NotFound(format!("report {id}")))
    }

    /// One advisory, if the actor may see it.
    pub async fn advisory(&mut self, id: AdvisoryId) -> Result<Visible<AdvisoryRecord>> {
        let rec = self
            .tx
            .load_advisory(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("advisory {id}")))?;
        let scope = rec.scope.clone();
        admit(self.actor, scope, rec).ok_or_else(|| StoreError::NotFound(format!("advisory {id}")))
    }

    /// An attachment of a thread as the actor's view shows it, with its contents; `NotFound`
    /// for one the view does not show (an unreleased edition's, for instance).
    pub async fn report_attachment(
        &mut self,
        rec: &Visible<ReportRecord>,
        aid: AttachmentId,
    ) -> Result<(AttachmentShown, Vec<u8>)> {
        let view = report_view(self.actor, &rec.get().facts());
        let shown = present(view, rec.get())
            .attachments
            .into_iter()
            .find(|a| a.id == aid)
            .ok_or_else(|| StoreError::NotFound(format!("attachment {aid}")))?;
        let bytes = self.tx.blob(&shown.sha256).await?;
        Ok((shown, bytes))
    }

    /// The contents of an attachment of an advisory the actor may see.
    pub async fn advisory_attachment(
        &mut self,
        rec: &Visible<AdvisoryRecord>,
        aid: AttachmentId,
    ) -> Result<Vec<u8>> {
        let a = rec
            .get()
            .attachments
            .iter()
            .find(|a| a.id == aid)
            .ok_or_else(|| StoreError::NotFound(format!("attachment {aid}")))?;
        self.tx.blob(&a.sha256).await
    }

    /// The query of a page of [`Scoped::reports`], or `None` when it cannot match anything
    /// (an inbox box for a caller without an organisation).
    pub(crate) fn reports_sql(&self, q: &ReportListQuery) -> Option<Sql> {
        let limit = q.limit.clamp(1, 500);
        let mut sql = Sql::new(&format!("SELECT {REPORT_ROW_COLS} FROM "));
        // The driver: the index whose order is the list's order.
        let order = if let Some(b) = q.inbox {
            let org = self.actor.org_id()?;
            sql.push("report_boxes bx CROSS JOIN report_list l LEFT JOIN orgs o ON o.id = l.originator_org_id WHERE bx.org_id = ")
                .bind_i64(org.0)
                .push(" AND bx.box = ")
                .bind_text(b.code())
                .push(" AND l.row_id BETWEEN bx.report_id * 4 AND bx.report_id * 4 + 3");
            if let Some(before) = q.before {
                sql.push(" AND bx.report_id < ").bind_i64(before.0);
            }
            "bx.report_id DESC"
        } else if let Some(cause) = q.cause {
            sql.push("report_list_causes c CROSS JOIN report_list l LEFT JOIN orgs o ON o.id = l.originator_org_id WHERE c.cause = ")
                .bind_text(cause.code())
                .push(" AND l.row_id = c.row_id");
            if let Some(before) = q.before {
                sql.push(" AND c.row_id < ").bind_i64(before.0 * 4);
            }
            "c.row_id DESC"
        } else {
            sql.push("report_list l LEFT JOIN orgs o ON o.id = l.originator_org_id WHERE 1 = 1");
            if let Some(before) = q.before {
                sql.push(" AND l.row_id < ").bind_i64(before.0 * 4);
            }
            "l.row_id DESC"
        };
        sql.push(" AND ");
        push_view_choice(&mut sql, &ViewChoice::of(self.actor));
        sql.push(" AND ");
        push_predicate(&mut sql, &REPORT_LIST, &self.filter);
        push_report_filters(&mut sql, self.tx.backend(), q);
        sql.push(&format!(" ORDER BY {order} LIMIT "))
            .bind_i64(i64::from(limit) + 1);
        Some(sql)
    }

    /// A page of the threads the actor may see, newest first, in the view it gets of each.
    pub async fn reports(&mut self, q: &ReportListQuery) -> Result<ListPage<ReportListRow>> {
        let limit = q.limit.clamp(1, 500) as usize;
        let Some(sql) = self.reports_sql(q) else {
            return Ok(ListPage {
                items: Vec::new(),
                next: None,
            });
        };
        let rows = sql.query().fetch_all(self.tx.conn()).await?;
        let mut items = rows
            .iter()
            .map(report_row_from)
            .collect::<Result<Vec<_>>>()?;
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|r| r.id.to_string())
        } else {
            None
        };
        Ok(ListPage { items, next })
    }

    /// The query of a page of [`Scoped::follow_ups`].
    pub(crate) fn follow_ups_sql(&self, after: Option<&str>, limit: u32) -> Result<Sql> {
        let limit = limit.clamp(1, 500);
        let mut sql = Sql::new(&format!(
            "SELECT {REPORT_ROW_COLS} FROM report_list l LEFT JOIN orgs o ON o.id = l.originator_org_id WHERE l.follow_up_expected = 1 AND "
        ));
        push_view_choice(&mut sql, &ViewChoice::of(self.actor));
        sql.push(" AND ");
        push_predicate(&mut sql, &REPORT_LIST, &self.filter);
        sql.push(" AND ");
        push_follow_up_watch(&mut sql, &FollowUpWatch::of(self.actor));
        if let Some((since, row)) = after.and_then(|c| c.rsplit_once('|')) {
            let row: i64 = row
                .parse()
                .map_err(|_| StoreError::NotFound("cursor".into()))?;
            sql.push(" AND (l.waiting_since > ")
                .bind_text(since)
                .push(" OR (l.waiting_since = ")
                .bind_text(since)
                .push(" AND l.row_id > ")
                .bind_i64(row)
                .push("))");
        }
        sql.push(" ORDER BY l.waiting_since, l.row_id LIMIT ")
            .bind_i64(i64::from(limit) + 1);
        Ok(sql)
    }

    /// Threads whose latest edition promises a follow-up (続報) that the actor watches — its
    /// own side's, and as a sector ministry those of its sectors — longest waiting first.
    pub async fn follow_ups(
        &mut self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<ListPage<ReportListRow>> {
        let limit = limit.clamp(1, 500);
        let sql = self.follow_ups_sql(after, limit)?;
        let rows = sql.query().fetch_all(self.tx.conn()).await?;
        let mut cursor = None;
        let mut items = Vec::new();
        for (n, r) in rows.iter().enumerate() {
            if n == limit as usize {
                break;
            }
            let row_id: i64 = r.try_get("row_id")?;
            let item = report_row_from(r)?;
            cursor = Some(format!(
                "{}|{row_id}",
                item.waiting_since.clone().unwrap_or_default()
            ));
            items.push(item);
        }
        let next = if rows.len() > limit as usize {
            cursor
        } else {
            None
        };
        Ok(ListPage { items, next })
    }

    /// The query of a page of [`Scoped::advisories`].
    pub(crate) fn advisories_sql(&self, q: &AdvisoryListQuery) -> Sql {
        let limit = q.limit.clamp(1, 500);
        let org = self.actor.org_id().map_or(-1, |o| o.0);
        let mut sql = Sql::new(&format!("SELECT {ADVISORY_ROW_COLS} FROM "));
        let order = if q.delivered {
            sql.push("advisory_deliveries d CROSS JOIN advisory_list a WHERE d.org_id = ")
                .bind_i64(org)
                .push(" AND a.advisory_id = d.advisory_id");
            if let Some(b) = q.before {
                sql.push(" AND d.advisory_id < ").bind_i64(b.0);
            }
            "d.advisory_id DESC"
        } else {
            sql.push("advisory_list a LEFT JOIN advisory_deliveries d ON d.advisory_id = a.advisory_id AND d.org_id = ")
                .bind_i64(org)
                .push(" WHERE 1 = 1");
            if let Some(b) = q.before {
                sql.push(" AND a.advisory_id < ").bind_i64(b.0);
            }
            "a.advisory_id DESC"
        };
        sql.push(" AND ");
        push_predicate(&mut sql, &ADVISORY_LIST, &self.filter);
        if let Some(t) = q.tlp {
            push_tlp_is(&mut sql, "a.shown_tlp", t);
        }
        if let Some(s) = q.severity {
            sql.push(" AND a.severity = ").bind_text(s.code());
        }
        if let Some(b) = q.basis {
            sql.push(" AND a.basis = ").bind_text(b.code());
        }
        if let Some(p) = q.published {
            sql.push(" AND a.state = ")
                .bind_text(if p { "published" } else { "draft" });
        }
        if let Some(e) = q.exercise {
            sql.push(" AND a.exercise = ").bind_i64(i64::from(e));
        }
        if let Some(text) = &q.q {
            push_matches(&mut sql, self.tx.backend(), &ADVISORY_TEXT, text);
        }
        sql.push(&format!(" ORDER BY {order} LIMIT "))
            .bind_i64(i64::from(limit) + 1);
        sql
    }

    /// A page of the advisories the actor may see, newest first.
    pub async fn advisories(&mut self, q: &AdvisoryListQuery) -> Result<ListPage<AdvisoryListRow>> {
        let limit = q.limit.clamp(1, 500);
        let sql = self.advisories_sql(q);
        let rows = sql.query().fetch_all(self.tx.conn()).await?;
        let mut items = rows
            .iter()
            .map(advisory_row_from)
            .collect::<Result<Vec<_>>>()?;
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|r| r.id.to_string())
        } else {
            None
        };
        Ok(ListPage { items, next })
    }

    /// The notifications of the actor's organisation about items it may (still) see.
    pub async fn notifications(&mut self, limit: u32) -> Result<Vec<NotificationRow>> {
        let Some(org) = self.actor.org_id() else {
            return Ok(Vec::new());
        };
        let mut sql = Sql::new(
            "SELECT n.id, n.kind, n.item_id, n.message, n.created_at FROM notifications n LEFT JOIN scope_items i ON i.id = n.item_id WHERE n.org_id = ",
        );
        sql.bind_i64(org.0).push(" AND (n.item_id IS NULL OR ");
        push_predicate(&mut sql, &ITEMS, &self.filter);
        sql.push(") ORDER BY n.id DESC LIMIT ")
            .bind_i64(i64::from(limit.clamp(1, 500)));
        let rows = sql.query().fetch_all(self.tx.conn()).await?;
        rows.iter()
            .map(|r| {
                Ok(NotificationRow {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    item_id: r.try_get::<Option<i64>, _>("item_id")?.map(ItemId),
                    message: r.try_get("message")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Requests addressed to the actor's organisation, newest first, each with the context
    /// its sender needs to judge it (the one deliberate disclosure outside `can_see`; see
    /// `policy::distribution::sees_request`).
    pub async fn scope_requests_to_me(&mut self) -> Result<Vec<RequestWithContext>> {
        let Some(org) = self.actor.org_id() else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {REQUEST_COLS} FROM scope_requests WHERE to_org_id = $1 ORDER BY id DESC"
        );
        let requests = sqlx::query(&sql)
            .bind(org.0)
            .fetch_all(self.tx.conn())
            .await?
            .iter()
            .map(request_from)
            .collect::<Result<Vec<_>>>()?;
        let mut out = Vec::new();
        for r in requests {
            out.push(self.with_context(r).await?);
        }
        Ok(out)
    }

    /// One request, to its addressee or NISC.
    pub async fn scope_request(&mut self, id: ScopeRequestId) -> Result<RequestWithContext> {
        let sql = format!("SELECT {REQUEST_COLS} FROM scope_requests WHERE id = $1");
        let request = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(self.tx.conn())
            .await?
            .as_ref()
            .map(request_from)
            .transpose()?
            .filter(|r| sees_request(self.actor, r))
            .ok_or_else(|| StoreError::NotFound(format!("scope request {id}")))?;
        self.with_context(request).await
    }

    async fn with_context(&mut self, request: ScopeRequest) -> Result<RequestWithContext> {
        let number: Option<i64> = sqlx::query("SELECT number FROM reports WHERE id = $1")
            .bind(request.report.0)
            .fetch_optional(self.tx.conn())
            .await?
            .map(|r| r.try_get("number"))
            .transpose()?
            .flatten();
        let overview = match sqlx::query(
            "SELECT form FROM advisory_editions WHERE advisory_id = $1 ORDER BY edition DESC LIMIT 1",
        )
        .bind(request.advisory.0)
        .fetch_optional(self.tx.conn())
        .await?
        {
            Some(r) => {
                json::<kyoyu_domain::advisory::AdvisoryForm>("advisory form", &r.try_get::<String, _>("form")?)?
                    .overview
            }
            None => String::new(),
        };
        Ok(RequestWithContext {
            report_number: number
                .map(|n| format!("R{n}"))
                .unwrap_or_else(|| format!("#{}", request.report)),
            advisory_overview: overview,
            request,
        })
    }
}

fn push_report_filters(sql: &mut Sql, backend: crate::Backend, q: &ReportListQuery) {
    if let Some(s) = &q.sector {
        sql.push(" AND l.sector = ").bind_text(s);
    }
    if let Some(t) = q.tlp {
        push_tlp_is(sql, "l.shown_tlp", t);
    }
    if let Some(s) = q.severity {
        sql.push(" AND l.severity = ").bind_text(s.code());
    }
    if let Some(e) = q.event {
        sql.push(" AND l.event = ").bind_text(e.code());
    }
    if let Some(f) = q.from {
        sql.push(" AND l.reported_at >= ").bind_text(&ts(f));
    }
    if let Some(t) = q.to {
        sql.push(" AND l.reported_at <= ").bind_text(&ts(t));
    }
    if let Some(text) = &q.q {
        push_matches(sql, backend, &REPORT_TEXT, text);
    }
}
