//! The sharing-scope rule as a query predicate: `ScopeFilter` (derived from the actor by the
//! domain policy) becomes one SQL condition over `scope_items` and its sector and organisation
//! rows, so that lists, counts, searches, exports and feeds filter in the database. The property
//! test in `tests/` checks that it agrees with `kyoyu_domain::policy::can_see`.

use std::collections::BTreeSet;

use kyoyu_domain::Tlp;
use kyoyu_domain::policy::{ItemKind, ItemScope, OrgId, Relation, ScopeFilter, UserId};
use sqlx::Row;

use crate::sql::Sql;
use crate::{Result, StoreError, Tx};

/// Appends `(…)`: true exactly for the rows of `scope_items` aliased `alias` that the filter
/// may see.
pub fn push_predicate(sql: &mut Sql, alias: &str, f: &ScopeFilter) {
    if f.everything {
        sql.push("(1 = 1)");
        return;
    }
    let a = alias;
    sql.push(&format!("(({a}.shared = 1 AND {a}.tlp = 'white')"));
    if let Some(user) = f.user_id {
        sql.push(&format!(" OR {a}.author_user_id = "))
            .bind_i64(user);
    }
    if let Some(org) = f.org_id {
        // Related organisations (route, recipients, named additions, partners), released or not.
        sql.push(&format!(
            " OR (EXISTS (SELECT 1 FROM scope_item_orgs so WHERE so.item_id = {a}.id AND so.org_id = "
        ))
        .bind_i64(org)
        .push(")");
        if f.is_contact {
            sql.push(")");
        } else {
            sql.push(&format!(" AND {a}.tlp IN ('green', 'white'))"));
        }
        // The TLP community, once released.
        let mut kinds = Vec::new();
        if f.green_reports {
            kinds.push("'report'");
        }
        if f.green_advisories {
            kinds.push("'advisory'");
        }
        if !kinds.is_empty() {
            sql.push(&format!(
                " OR ({a}.shared = 1 AND {a}.tlp = 'green' AND {a}.kind IN ({}))",
                kinds.join(", ")
            ));
        }
        if f.is_contact {
            if f.all_red_amber {
                sql.push(&format!(
                    " OR ({a}.shared = 1 AND {a}.tlp IN ('red', 'amber'))"
                ));
            }
            for (kind, sectors) in [
                ("report", &f.amber_report_sectors),
                ("advisory", &f.amber_advisory_sectors),
            ] {
                if sectors.is_empty() {
                    continue;
                }
                sql.push(&format!(
                    " OR ({a}.shared = 1 AND {a}.tlp = 'amber' AND {a}.kind = '{kind}' AND EXISTS (SELECT 1 FROM scope_item_sectors ss WHERE ss.item_id = {a}.id AND ss.sector IN "
                ))
                .bind_list(sectors)
                .push("))");
            }
        }
    }
    sql.push(")");
}

/// The facts of a new shareable item.
#[derive(Debug, Clone)]
pub struct NewScopeItem {
    pub kind: ItemKind,
    pub tlp: Tlp,
    pub author: Option<UserId>,
    pub sectors: BTreeSet<String>,
    pub orgs: BTreeSet<(OrgId, Relation)>,
    /// Released beyond the originating side (see `ItemScope::shared`).
    pub shared: bool,
    pub at: String,
}

fn kind_from(code: &str) -> Result<ItemKind> {
    match code {
        "report" => Ok(ItemKind::Report),
        "advisory" => Ok(ItemKind::Advisory),
        other => Err(StoreError::Corrupt(format!("unknown item kind `{other}`"))),
    }
}

fn relation_from(code: &str) -> Result<Relation> {
    Relation::ALL
        .into_iter()
        .find(|r| r.code() == code)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown relation `{code}`")))
}

impl Tx {
    pub async fn create_scope_item(&mut self, item: &NewScopeItem) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO scope_items (kind, tlp, author_user_id, created_at, shared) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(item.kind.code())
        .bind(item.tlp.code())
        .bind(item.author)
        .bind(&item.at)
        .bind(i64::from(item.shared))
        .fetch_one(self.conn())
        .await?;
        let id: i64 = row.try_get("id")?;
        for s in &item.sectors {
            self.add_scope_sector(id, s).await?;
        }
        for (org, rel) in &item.orgs {
            self.add_scope_org(id, *org, *rel).await?;
        }
        Ok(id)
    }

    pub async fn add_scope_sector(&mut self, item: i64, sector: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO scope_item_sectors (item_id, sector) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(item)
        .bind(sector)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn add_scope_org(&mut self, item: i64, org: OrgId, rel: Relation) -> Result<()> {
        sqlx::query(
            "INSERT INTO scope_item_orgs (item_id, org_id, relation) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(item)
        .bind(org)
        .bind(rel.code())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Marks an item released beyond its originating side.
    pub async fn set_scope_shared(&mut self, item: i64) -> Result<()> {
        sqlx::query("UPDATE scope_items SET shared = 1 WHERE id = $1")
            .bind(item)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Narrows (never widens: callers check with the policy) an item's TLP.
    pub async fn set_scope_tlp(&mut self, item: i64, tlp: Tlp) -> Result<()> {
        sqlx::query("UPDATE scope_items SET tlp = $1 WHERE id = $2")
            .bind(tlp.code())
            .bind(item)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// The facts of one item, for `can_see` on single reads.
    pub async fn scope_item(&mut self, id: i64) -> Result<ItemScope> {
        let row =
            sqlx::query("SELECT kind, tlp, author_user_id, shared FROM scope_items WHERE id = $1")
                .bind(id)
                .fetch_optional(self.conn())
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("item {id}")))?;
        let kind = kind_from(&row.try_get::<String, _>("kind")?)?;
        let tlp_code: String = row.try_get("tlp")?;
        let tlp = tlp_code
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("tlp `{tlp_code}`")))?;
        let author: Option<i64> = row.try_get("author_user_id")?;
        let shared = row.try_get::<i64, _>("shared")? != 0;
        let sectors = sqlx::query("SELECT sector FROM scope_item_sectors WHERE item_id = $1")
            .bind(id)
            .fetch_all(self.conn())
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("sector"))
            .collect::<std::result::Result<BTreeSet<_>, _>>()?;
        let mut orgs = BTreeSet::new();
        for r in sqlx::query("SELECT org_id, relation FROM scope_item_orgs WHERE item_id = $1")
            .bind(id)
            .fetch_all(self.conn())
            .await?
        {
            orgs.insert((
                r.try_get("org_id")?,
                relation_from(&r.try_get::<String, _>("relation")?)?,
            ));
        }
        Ok(ItemScope {
            kind,
            tlp,
            sectors,
            orgs,
            author,
            shared,
        })
    }

    /// The ids of the items the filter may see, optionally of one kind, newest first.
    pub async fn visible_item_ids(
        &mut self,
        filter: &ScopeFilter,
        kind: Option<ItemKind>,
    ) -> Result<Vec<i64>> {
        let mut sql = Sql::new("SELECT i.id FROM scope_items i WHERE ");
        push_predicate(&mut sql, "i", filter);
        if let Some(kind) = kind {
            sql.push(" AND i.kind = ").bind_text(kind.code());
        }
        sql.push(" ORDER BY i.id DESC");
        let rows = sql.query().fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>("id").map_err(StoreError::from))
            .collect()
    }

    /// How many items of a kind the filter may see (counts go through the predicate too).
    pub async fn count_visible(&mut self, filter: &ScopeFilter, kind: ItemKind) -> Result<i64> {
        let mut sql = Sql::new("SELECT COUNT(*) AS n FROM scope_items i WHERE ");
        push_predicate(&mut sql, "i", filter);
        sql.push(" AND i.kind = ").bind_text(kind.code());
        let row = sql.query().fetch_one(self.conn()).await?;
        Ok(row.try_get("n")?)
    }
}
