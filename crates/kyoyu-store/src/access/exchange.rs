//! The feeds other tools poll (TAXII collections): the items the actor may see, in the order
//! they last changed as the actor's view shows them, each page one query of the read model
//! joined with the scope predicate, resumed after `(changed at, row)`.

use sqlx::Row;

use super::Scoped;
use crate::Result;
use crate::scope::{ADVISORY_LIST, REPORT_LIST, push_predicate, push_view_choice};
use crate::sql::Sql;
use kyoyu_domain::policy::view::ViewChoice;
use kyoyu_domain::{AdvisoryId, ReportId};

/// Where a feed page starts: after this change time (the store's time text) and, at the same
/// time, after this row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedCursor {
    pub after: Option<String>,
    pub row: i64,
}

/// One item of a feed: what it is and when the actor's view of it last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedItem<Id> {
    pub id: Id,
    pub changed_at: String,
    pub row: i64,
}

fn push_after(sql: &mut Sql, changed: &str, row: &str, c: &FeedCursor) {
    if let Some(after) = &c.after {
        sql.push(&format!(" AND ({changed} > "))
            .bind_text(after)
            .push(&format!(" OR ({changed} = "))
            .bind_text(after)
            .push(&format!(" AND {row} > "))
            .bind_i64(c.row)
            .push("))");
    }
}

impl Scoped<'_> {
    /// Threads with at least one sent edition in the actor's view, oldest change first.
    pub async fn report_feed(
        &mut self,
        from: &FeedCursor,
        limit: u32,
    ) -> Result<Vec<FeedItem<ReportId>>> {
        let mut sql = Sql::new(
            "SELECT l.report_id, l.row_id, l.updated_at FROM report_list l WHERE l.sent = 1 AND ",
        );
        push_view_choice(&mut sql, &ViewChoice::of(self.actor));
        sql.push(" AND ");
        push_predicate(&mut sql, &REPORT_LIST, &self.filter);
        push_after(&mut sql, "l.updated_at", "l.row_id", from);
        sql.push(" ORDER BY l.updated_at, l.row_id LIMIT ")
            .bind_i64(i64::from(limit.clamp(1, 1000)));
        let rows = sql.query().fetch_all(self.tx.conn()).await?;
        rows.iter()
            .map(|r| {
                Ok(FeedItem {
                    id: ReportId(r.try_get("report_id")?),
                    changed_at: r.try_get("updated_at")?,
                    row: r.try_get("row_id")?,
                })
            })
            .collect()
    }

    /// Published advisories the actor may see, oldest change first.
    pub async fn advisory_feed(
        &mut self,
        from: &FeedCursor,
        limit: u32,
    ) -> Result<Vec<FeedItem<AdvisoryId>>> {
        let mut sql = Sql::new(
            "SELECT a.advisory_id, a.updated_at FROM advisory_list a WHERE a.state = 'published' AND ",
        );
        push_predicate(&mut sql, &ADVISORY_LIST, &self.filter);
        push_after(&mut sql, "a.updated_at", "a.advisory_id", from);
        sql.push(" ORDER BY a.updated_at, a.advisory_id LIMIT ")
            .bind_i64(i64::from(limit.clamp(1, 1000)));
        let rows = sql.query().fetch_all(self.tx.conn()).await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("advisory_id")?;
                Ok(FeedItem {
                    id: AdvisoryId(id),
                    changed_at: r.try_get("updated_at")?,
                    row: id,
                })
            })
            .collect()
    }
}
