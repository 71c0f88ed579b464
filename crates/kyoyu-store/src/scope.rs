//! The sharing-scope rule as SQL: `ScopeFilter` (made from the actor by the domain policy)
//! becomes one condition over an item's row, and `ViewChoice` becomes the choice of the
//! read-model row of the view the actor gets. Lists, counts, searches, exports and feeds filter
//! in the database through these; the property tests check that they agree with
//! `kyoyu_domain::policy::{can_see, report_view}`. No other store file compares TLPs.
//!
//! The same rule runs over three tables with the same facts: `scope_items` (every item), and
//! the read model's `report_list` and `advisory_list` (which copy the facts onto each row).

use std::collections::BTreeSet;

use kyoyu_domain::policy::view::{FollowUpWatch, ViewChoice};
use kyoyu_domain::policy::{ItemKind, ItemScope, Relation, ScopeFilter};
use kyoyu_domain::{ItemId, OrgId, Tlp, UserId};
use sqlx::Row;

use crate::sql::Sql;
use crate::{Result, StoreError, Tx};

/// Where a table keeps the scope facts of the item of each row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    /// The item id column.
    pub id: &'static str,
    /// The kind column, or the one kind every row has.
    pub kind: KindOf,
    pub tlp: &'static str,
    pub shared: &'static str,
    pub author: &'static str,
    /// A column holding the item's one sector, or `None` to look in `scope_item_sectors`.
    pub sector: Option<&'static str>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum KindOf {
    Column(&'static str),
    Fixed(ItemKind),
}

/// `scope_items` aliased `i`.
pub(crate) const ITEMS: Layout = Layout {
    id: "i.id",
    kind: KindOf::Column("i.kind"),
    tlp: "i.tlp",
    shared: "i.shared",
    author: "i.author_user_id",
    sector: None,
};

/// The report read model aliased `l`.
pub(crate) const REPORT_LIST: Layout = Layout {
    id: "l.report_id",
    kind: KindOf::Fixed(ItemKind::Report),
    tlp: "l.scope_tlp",
    shared: "l.shared",
    author: "l.author_user_id",
    sector: Some("l.sector"),
};

/// The advisory read model aliased `a`.
pub(crate) const ADVISORY_LIST: Layout = Layout {
    id: "a.advisory_id",
    kind: KindOf::Fixed(ItemKind::Advisory),
    tlp: "a.scope_tlp",
    shared: "a.shared",
    author: "a.author_user_id",
    sector: None,
};

/// ` AND <kind> IN (…)` for a table with a kind column; empty for a table of one kind that is
/// among `kinds`; `None` when no row of the table can be of those kinds.
fn kinds_sql(layout: &Layout, kinds: &[ItemKind]) -> Option<String> {
    if kinds.is_empty() {
        return None;
    }
    match layout.kind {
        KindOf::Fixed(k) => kinds.contains(&k).then(String::new),
        KindOf::Column(col) => Some(format!(
            " AND {col} IN ({})",
            kinds
                .iter()
                .map(|k| format!("'{}'", k.code()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Appends `(…)`: true exactly for the rows the filter may see. Cheap column tests come first
/// (both databases stop at the first true arm); the sector and related-organisation tests are
/// scalar subqueries probing `scope_item_sectors` / `scope_item_orgs` by primary key, which
/// neither planner turns into a scan of the whole table (PostgreSQL makes an `EXISTS` under
/// `OR` a hashed subplan that reads every row of the table on every query).
pub(crate) fn push_predicate(sql: &mut Sql, layout: &Layout, f: &ScopeFilter) {
    if f.everything() {
        sql.push("(1 = 1)");
        return;
    }
    let Layout {
        id,
        tlp,
        shared,
        author,
        ..
    } = *layout;
    sql.push(&format!("(({shared} = 1 AND {tlp} = 'white')"));
    if let Some(org) = f.org_id() {
        // The TLP community, once released.
        let green: Vec<ItemKind> = [ItemKind::Report, ItemKind::Advisory]
            .into_iter()
            .filter(|k| f.green(*k))
            .collect();
        if let Some(kinds) = kinds_sql(layout, &green) {
            sql.push(&format!(" OR ({shared} = 1 AND {tlp} = 'green'{kinds})"));
        }
        if f.is_contact() {
            if f.all_red_amber() {
                sql.push(&format!(" OR ({shared} = 1 AND {tlp} IN ('red', 'amber'))"));
            }
            for kind in [ItemKind::Report, ItemKind::Advisory] {
                let sectors = f.amber_sectors(kind);
                let Some(kinds) = kinds_sql(layout, &[kind]).filter(|_| !sectors.is_empty()) else {
                    continue;
                };
                sql.push(&format!(
                    " OR ({shared} = 1 AND {tlp} = 'amber'{kinds} AND "
                ));
                match layout.sector {
                    Some(col) => {
                        sql.push(&format!("{col} IN ")).bind_list(sectors);
                    }
                    None => {
                        sql.push(&format!(
                            "(SELECT ss.item_id FROM scope_item_sectors ss WHERE ss.item_id = {id} AND ss.sector IN "
                        ))
                        .bind_list(sectors)
                        .push(" LIMIT 1) IS NOT NULL");
                    }
                }
                sql.push(")");
            }
        }
        if let Some(user) = f.user_id() {
            sql.push(&format!(" OR {author} = ")).bind_i64(user.0);
        }
        // Related organisations (route, recipients, named additions, partners), released or
        // not; members read only Green and White through a relation.
        sql.push(&format!(
            " OR ((SELECT so.org_id FROM scope_item_orgs so WHERE so.item_id = {id} AND so.org_id = "
        ))
        .bind_i64(org.0)
        .push(" LIMIT 1) IS NOT NULL");
        if !f.is_contact() {
            sql.push(&format!(" AND {tlp} IN ('green', 'white')"));
        }
        sql.push(")");
    } else if let Some(user) = f.user_id() {
        sql.push(&format!(" OR {author} = ")).bind_i64(user.0);
    }
    sql.push(")");
}

/// Appends `(…)`: true for the read-model row of the view the actor gets of its thread (see
/// `policy::view::report_view`): `own` for the originating organisation, `full` for the author
/// and the reporter's CEPTOAR, `released` for everyone else.
pub(crate) fn push_view_choice(sql: &mut Sql, v: &ViewChoice) {
    if v.everything() {
        sql.push("(l.view = 'own')");
        return;
    }
    // Ids are positive: -1 matches nothing, for callers without an organisation or account.
    let org = v.org().map_or(-1, |o| o.0);
    let user = v.user().map_or(-1, |u| u.0);
    // The rule of `policy::view::report_view` — the originating organisation gets its own view,
    // the author and the CEPTOAR the full one, everyone else the released one — written as
    // three exclusive branches rather than as `l.view = CASE … END`: PostgreSQL estimates each
    // branch from the column statistics, while it guesses an equality with a CASE to keep one
    // row in 200, and with that guess it reads every row of a filter's index and sorts them
    // instead of walking the index newest first. The author and CEPTOAR columns may be NULL,
    // which never equals: COALESCE to 0, an id no row has and no caller has (-1 for none).
    sql.push("((l.view = 'own' AND l.origin_org_id = ")
        .bind_i64(org)
        .push(") OR (l.view = 'full' AND l.origin_org_id <> ")
        .bind_i64(org)
        .push(" AND (l.author_user_id = ")
        .bind_i64(user)
        .push(" OR l.ceptoar_org_id = ")
        .bind_i64(org)
        .push(")) OR (l.view = 'released' AND l.origin_org_id <> ")
        .bind_i64(org)
        .push(" AND COALESCE(l.author_user_id, 0) <> ")
        .bind_i64(user)
        .push(" AND COALESCE(l.ceptoar_org_id, 0) <> ")
        .bind_i64(org)
        .push("))");
}

/// Appends `(…)`: true for report rows whose follow-ups the actor watches (see
/// `policy::view::watches_follow_up`); call after the view choice.
pub(crate) fn push_follow_up_watch(sql: &mut Sql, w: &FollowUpWatch) {
    sql.push("(l.view IN ('own', 'full')");
    if !w.ministry_sectors().is_empty() {
        sql.push(" OR l.sector IN ").bind_list(w.ministry_sectors());
    }
    if w.numbered() {
        sql.push(" OR l.number IS NOT NULL");
    }
    sql.push(")");
}

/// Appends a comparison of a shown-TLP column with a requested TLP (a list filter, not a
/// visibility rule; it lives here so that every TLP comparison in SQL is in one file).
/// ` AND …`: the deliveries (`d`, `advisory_deliveries`) that
/// `policy::distribution::DeliveryFilter` admits — NISC every one, others their own and those
/// they made.
pub(crate) fn push_delivery_filter(
    sql: &mut Sql,
    f: &kyoyu_domain::policy::distribution::DeliveryFilter,
) {
    if f.all {
        return;
    }
    let org = f.org.map_or(-1, |o| o.0);
    sql.push(" AND (d.org_id = ")
        .bind_i64(org)
        .push(" OR d.from_org_id = ")
        .bind_i64(org)
        .push(")");
}

pub(crate) fn push_tlp_is(sql: &mut Sql, column: &str, tlp: Tlp) {
    sql.push(&format!(" AND {column} = ")).bind_text(tlp.code());
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

impl Tx {
    pub(crate) async fn create_scope_item(&mut self, item: &NewScopeItem) -> Result<ItemId> {
        let row = sqlx::query(
            "INSERT INTO scope_items (kind, tlp, author_user_id, created_at, shared) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(item.kind.code())
        .bind(item.tlp.code())
        .bind(item.author.map(|u| u.0))
        .bind(&item.at)
        .bind(i64::from(item.shared))
        .fetch_one(self.conn())
        .await?;
        let id = ItemId(row.try_get("id")?);
        for s in &item.sectors {
            self.add_scope_sector(id, s).await?;
        }
        for (org, rel) in &item.orgs {
            self.add_scope_org(id, *org, *rel).await?;
        }
        Ok(id)
    }

    pub(crate) async fn add_scope_sector(&mut self, item: ItemId, sector: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO scope_item_sectors (item_id, sector) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(item.0)
        .bind(sector)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub(crate) async fn add_scope_org(
        &mut self,
        item: ItemId,
        org: OrgId,
        rel: Relation,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO scope_item_orgs (item_id, org_id, relation) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(item.0)
        .bind(org.0)
        .bind(rel.code())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Marks an item released beyond its originating side.
    pub(crate) async fn set_scope_shared(&mut self, item: ItemId) -> Result<()> {
        sqlx::query("UPDATE scope_items SET shared = 1 WHERE id = $1")
            .bind(item.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Sets an item's TLP (callers only narrow it once anything was sent: the policy checks).
    pub(crate) async fn set_scope_tlp(&mut self, item: ItemId, tlp: Tlp) -> Result<()> {
        sqlx::query("UPDATE scope_items SET tlp = $1 WHERE id = $2")
            .bind(tlp.code())
            .bind(item.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// The item's TLP becomes the narrower of what it was and `tlp` (a sent edition can only
    /// narrow the scope; widening needs the source's consent).
    pub(crate) async fn narrow_scope_tlp(&mut self, item: ItemId, tlp: Tlp) -> Result<()> {
        if let Some(scope) = self.scope_item(item).await?
            && tlp < scope.tlp
        {
            self.set_scope_tlp(item, tlp).await?;
        }
        Ok(())
    }

    /// The facts of one item, for `can_see` on single reads; `None` when there is no such item.
    pub(crate) async fn scope_item(&mut self, id: ItemId) -> Result<Option<ItemScope>> {
        // One statement: the item (kind 0), its sectors (1) and its organisations (2).
        let rows = sqlx::query(
            "SELECT CAST(0 AS BIGINT) AS k, kind AS a, tlp AS b, author_user_id AS n, shared AS m \
             FROM scope_items WHERE id = $1 \
             UNION ALL SELECT 1, sector, NULL, NULL, NULL FROM scope_item_sectors WHERE item_id = $2 \
             UNION ALL SELECT 2, relation, NULL, org_id, NULL FROM scope_item_orgs WHERE item_id = $3",
        )
        .bind(id.0)
        .bind(id.0)
        .bind(id.0)
        .fetch_all(self.conn())
        .await?;
        let mut item = None;
        let mut sectors = BTreeSet::new();
        let mut orgs = BTreeSet::new();
        for row in &rows {
            let a: String = row.try_get("a")?;
            match row.try_get::<i64, _>("k")? {
                0 => {
                    let kind = ItemKind::from_code(&a)
                        .ok_or_else(|| StoreError::Corrupt(format!("unknown item kind `{a}`")))?;
                    let tlp_code: String = row.try_get("b")?;
                    let tlp = tlp_code
                        .parse()
                        .map_err(|_| StoreError::Corrupt(format!("tlp `{tlp_code}`")))?;
                    let author: Option<i64> = row.try_get("n")?;
                    let shared = row.try_get::<i64, _>("m")? != 0;
                    item = Some((kind, tlp, author, shared));
                }
                1 => {
                    sectors.insert(a);
                }
                _ => {
                    orgs.insert((
                        OrgId(row.try_get("n")?),
                        Relation::from_code(&a).ok_or_else(|| {
                            StoreError::Corrupt(format!("unknown relation `{a}`"))
                        })?,
                    ));
                }
            }
        }
        Ok(item.map(|(kind, tlp, author, shared)| ItemScope {
            kind,
            tlp,
            sectors,
            orgs,
            author: author.map(UserId),
            shared,
        }))
    }
}
