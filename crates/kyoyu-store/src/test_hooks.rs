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
