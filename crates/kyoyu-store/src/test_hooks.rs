//! Raw access to the sharing-scope facts, for the property test that the SQL predicate agrees
//! with `policy::can_see` on random worlds (items of every shape, which no use case makes).
//! Compiled only with the `test-hooks` feature, which only `kyoyu-test-support` turns on.

use kyoyu_domain::ItemId;
use kyoyu_domain::policy::{ItemScope, ScopeFilter};
use sqlx::Row;

use crate::scope::{ITEMS, NewScopeItem, push_predicate};
use crate::sql::Sql;
use crate::{Result, Tx};

impl Tx {
    pub async fn hook_create_scope_item(&mut self, item: &NewScopeItem) -> Result<ItemId> {
        self.create_scope_item(item).await
    }

    pub async fn hook_scope_item(&mut self, id: ItemId) -> Result<Option<ItemScope>> {
        self.scope_item(id).await
    }

    /// The ids of the items the filter may see, newest first.
    pub async fn hook_visible_item_ids(&mut self, filter: &ScopeFilter) -> Result<Vec<ItemId>> {
        let mut sql = Sql::new("SELECT i.id FROM scope_items i WHERE ");
        push_predicate(&mut sql, &ITEMS, filter);
        sql.push(" ORDER BY i.id DESC");
        let rows = sql.query().fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| Ok(ItemId(r.try_get::<i64, _>("id")?)))
            .collect()
    }
}

/// Which list query to explain.
#[derive(Debug, Clone)]
pub enum ListQuery {
    Reports(crate::ReportListQuery),
    FollowUps,
    Advisories(crate::AdvisoryListQuery),
}

impl Tx {
    /// The database's plan of a list query as `actor` would run it, one line per step
    /// (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL).
    pub async fn hook_explain(
        &mut self,
        actor: &kyoyu_domain::policy::Actor,
        q: &ListQuery,
    ) -> Result<Vec<String>> {
        let sql = {
            let scoped = self.scoped(actor);
            match q {
                ListQuery::Reports(r) => scoped.reports_sql(r),
                ListQuery::FollowUps => Some(scoped.follow_ups_sql(None, 50)?),
                ListQuery::Advisories(a) => Some(scoped.advisories_sql(a)),
            }
        };
        let Some(mut sql) = sql else {
            return Ok(Vec::new());
        };
        let prefix = match self.backend() {
            crate::Backend::Sqlite => "EXPLAIN QUERY PLAN ",
            crate::Backend::Postgres => "EXPLAIN ",
        };
        sql.text = format!("{prefix}{}", sql.text);
        let rows = sql.query().fetch_all(self.conn()).await?;
        let mut out = Vec::new();
        for r in &rows {
            let line = match self.backend() {
                crate::Backend::Sqlite => r.try_get::<String, _>("detail")?,
                crate::Backend::Postgres => r.try_get::<String, _>(0)?,
            };
            out.push(line);
        }
        Ok(out)
    }

    /// Every read-model row, as text, sorted: to compare the maintained read model with a
    /// rebuild.
    pub async fn hook_read_model(&mut self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for (table, order) in [
            ("report_list", "row_id"),
            ("report_list_causes", "cause, row_id"),
            ("report_search", "row_id"),
            ("report_boxes", "org_id, box, report_id"),
            ("advisory_list", "advisory_id"),
            ("advisory_search", "advisory_id"),
        ] {
            let sql = format!("SELECT * FROM {table} ORDER BY {order}");
            for r in sqlx::query(&sql).fetch_all(self.conn()).await? {
                let mut cells = vec![table.to_owned()];
                for i in 0..r.len() {
                    let cell = r
                        .try_get::<Option<i64>, _>(i)
                        .map(|v| format!("{v:?}"))
                        .or_else(|_| r.try_get::<Option<String>, _>(i).map(|v| format!("{v:?}")))?;
                    cells.push(cell);
                }
                out.push(cells.join("|"));
            }
        }
        Ok(out)
    }
}

impl Tx {
    /// Runs a statement in this transaction (planner settings for EXPLAIN tests, ANALYZE).
    pub async fn hook_execute(&mut self, sql: &str) -> Result<()> {
        sqlx::query(sql).execute(self.conn()).await?;
        Ok(())
    }
}
