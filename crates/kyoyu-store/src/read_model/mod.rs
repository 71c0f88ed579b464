//! The read model: for every view of every item, the presented summary as rows with typed
//! columns (see `migrations/*/0007_read_model.sql`). The rows come from
//! `kyoyu_domain::report::thread::present` — the same function the thread page uses — so a
//! list can never show what the page would hide. `Tx::commit` refreshes every item the
//! transaction changed; `reindex` rebuilds everything from the editions.

pub(crate) mod insert;

use kyoyu_domain::advisory::record::AdvisoryRecord;
use kyoyu_domain::policy::view::ReportView;
use kyoyu_domain::report::thread::EditionState;
use kyoyu_domain::report::thread::{ReportRecord, present};
use kyoyu_domain::search::body::{advisory_body, report_body};
use kyoyu_domain::search::fold;
use kyoyu_domain::stats::stat_facts;
use kyoyu_domain::wareki::{fiscal_year, month_jst};
use kyoyu_domain::{AdvisoryId, Cause, ReportId};
use sqlx::Row;

use crate::sql::Arg;
use crate::sql::Sql;
use crate::{Backend, Result, Tx, ts};
use insert::{defer_rows, insert_rows};

/// The version of the rules that build the rows. Raise it when the rows change meaning: a
/// server finding an older version rebuilds the read model on start.
pub const READ_MODEL_VERSION: i64 = 3;

/// The number of a view in a row id: `row_id = report_id * 4 + view_number`.
pub(crate) fn view_number(v: ReportView) -> i64 {
    match v {
        ReportView::Own => 0,
        ReportView::Full => 1,
        ReportView::Released => 2,
    }
}

pub(crate) fn row_id(report: ReportId, v: ReportView) -> i64 {
    report.0 * 4 + view_number(v)
}

const LIST_COLS: &[&str] = &[
    "row_id",
    "report_id",
    "view",
    "scope_tlp",
    "shared",
    "author_user_id",
    "origin_org_id",
    "ceptoar_org_id",
    "sector",
    "number",
    "edition",
    "state",
    "shown_tlp",
    "severity",
    "event",
    "title",
    "operator_name",
    "originator_org_id",
    "anonymized",
    "exercise",
    "follow_up_expected",
    "waiting_since",
    "has_draft",
    "reported_at",
    "occurred_at",
    "discovered_at",
    "updated_at",
    "reported_month",
    "fiscal_year",
    "sent",
    "basis",
    "sml_deviation",
    "first_occurred_at",
    "first_reported_at",
    "numbered_at",
];

/// The columns of `report_search` and `advisory_search` (after the key).
const SEARCH_COLS: [&str; 2] = ["body", "folded"];

fn search_cols(key: &'static str) -> [&'static str; 3] {
    [key, SEARCH_COLS[0], SEARCH_COLS[1]]
}

fn i(v: i64) -> Arg {
    Arg::I64(v)
}

fn b(v: bool) -> Arg {
    Arg::I64(i64::from(v))
}

fn t(v: &str) -> Arg {
    Arg::Text(v.to_owned())
}

fn ot(v: Option<&str>) -> Arg {
    v.map_or(Arg::NullText, t)
}

/// Every read-model row of one report thread.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct ReportRows {
    pub list: Vec<Vec<Arg>>,
    pub causes: Vec<Vec<Arg>>,
    pub search: Vec<Vec<Arg>>,
    pub boxes: Vec<Vec<Arg>>,
}

/// The rows of `rec`: one list row (with its causes and search text) per view that shows any
/// edition, and the inbox boxes of every organisation on the route.
pub(crate) fn report_rows(rec: &ReportRecord) -> ReportRows {
    let mut out = ReportRows::default();
    for view in ReportView::ALL {
        let p = present(view, rec);
        let Some(s) = p.summary() else {
            continue;
        };
        let facts = stat_facts(&p);
        let rid = row_id(rec.id, view);
        out.list.push(vec![
            i(rid),
            i(rec.id.0),
            t(view.code()),
            t(rec.scope.tlp.code()),
            b(rec.scope.shared),
            rec.scope.author.map_or(Arg::NullI64, |u| i(u.0)),
            i(rec.origin_org.0),
            rec.ceptoar.map_or(Arg::NullI64, |c| i(c.0)),
            t(&rec.sector),
            ot(s.number.as_deref()),
            i(i64::from(s.edition)),
            t(s.state.code()),
            t(s.tlp.code()),
            ot(s.severity.map(|x| x.code())),
            ot(s.event.map(|x| x.code())),
            t(&s.title),
            ot(s.operator_name.as_deref()),
            i(s.originator.0),
            b(s.anonymized),
            b(s.exercise),
            b(s.follow_up_expected),
            ot(s.waiting_since.as_deref()),
            b(s.has_draft),
            t(&ts(s.reported_at)),
            ot(s.occurred_at.map(ts).as_deref()),
            ot(s.discovered_at.map(ts).as_deref()),
            t(&s.updated_at),
            t(&month_jst(s.reported_at)),
            i(i64::from(fiscal_year(s.reported_at))),
            b(p.editions.iter().any(|e| e.state == EditionState::Sent)),
            ot(facts.basis.map(|x| x.code())),
            facts.sml_deviation.map_or(Arg::NullI64, b),
            ot(facts.first_occurred_at.map(ts).as_deref()),
            ot(facts.first_reported_at.map(ts).as_deref()),
            ot(facts.numbered_at.map(ts).as_deref()),
        ]);
        for c in &s.causes {
            out.causes.push(vec![t(c.code()), i(rid)]);
        }
        let body = report_body(&p);
        let folded = fold(&body);
        out.search.push(vec![i(rid), t(&body), t(&folded)]);
    }
    let mut boxes = std::collections::BTreeSet::new();
    for h in &rec.hops {
        boxes.insert((h.to.0, "received"));
        boxes.insert((h.from.0, "sent"));
        if !h.forwarded {
            boxes.insert((h.to.0, "to_forward"));
        }
    }
    for v in rec.versions.iter().filter(|v| !v.sent) {
        boxes.insert((v.author_org.0, "drafts"));
    }
    for (org, name) in boxes {
        out.boxes.push(vec![i(org), t(name), i(rec.id.0)]);
    }
    out
}

/// Writes the rows of many threads at once (the caller deleted what they replace).
/// The statements that insert `rows`, moving their values.
pub(crate) fn report_rows_sql(backend: crate::Backend, rows: Vec<ReportRows>) -> Vec<Sql> {
    let (mut list, mut causes, mut search, mut boxes) = (vec![], vec![], vec![], vec![]);
    for r in rows {
        list.extend(r.list);
        causes.extend(r.causes);
        search.extend(r.search);
        boxes.extend(r.boxes);
    }
    let mut out = insert::insert_sql_owned(backend, "report_list", LIST_COLS, list);
    out.extend(insert::insert_sql_owned(
        backend,
        "report_list_causes",
        &["cause", "row_id"],
        causes,
    ));
    out.extend(insert::insert_sql_owned(
        backend,
        "report_search",
        &search_cols("row_id"),
        search,
    ));
    out.extend(insert::insert_sql_owned(
        backend,
        "report_boxes",
        &["org_id", "box", "report_id"],
        boxes,
    ));
    out
}

pub(crate) async fn write_report_rows(tx: &mut Tx, rows: &[ReportRows]) -> Result<()> {
    let collect = |f: fn(&ReportRows) -> &Vec<Vec<Arg>>| -> Vec<Vec<Arg>> {
        rows.iter().flat_map(|r| f(r).iter().cloned()).collect()
    };
    insert_rows(tx, "report_list", LIST_COLS, &collect(|r| &r.list)).await?;
    insert_rows(
        tx,
        "report_list_causes",
        &["cause", "row_id"],
        &collect(|r| &r.causes),
    )
    .await?;
    insert_rows(
        tx,
        "report_search",
        &search_cols("row_id"),
        &collect(|r| &r.search),
    )
    .await?;
    insert_rows(
        tx,
        "report_boxes",
        &["org_id", "box", "report_id"],
        &collect(|r| &r.boxes),
    )
    .await?;
    Ok(())
}

/// Replaces one thread's rows at the end of the transaction: nothing in it reads them.
fn defer_report_rows(tx: &mut Tx, id: ReportId, rows: Option<&ReportRows>) {
    let (lo, hi) = (id.0 * 4, id.0 * 4 + 3);
    let backend = tx.backend();
    // The causes' key is (cause, row_id): naming every cause lets the delete use it.
    let causes: Vec<String> = Cause::ALL.iter().map(|c| c.code().to_owned()).collect();
    let mut sql = Sql::bulk("DELETE FROM report_list_causes WHERE cause IN ", backend);
    sql.bind_list(&causes)
        .push(" AND row_id BETWEEN ")
        .bind_i64(lo)
        .push(" AND ")
        .bind_i64(hi);
    tx.defer(sql);
    for table in ["report_search", "report_list"] {
        let mut sql = Sql::bulk(
            &format!("DELETE FROM {table} WHERE row_id BETWEEN "),
            backend,
        );
        sql.bind_i64(lo).push(" AND ").bind_i64(hi);
        tx.defer(sql);
    }
    let mut sql = Sql::bulk("DELETE FROM report_boxes WHERE report_id = ", backend);
    sql.bind_i64(id.0);
    tx.defer(sql);
    if let Some(r) = rows {
        defer_rows(tx, "report_list", LIST_COLS, &r.list);
        defer_rows(tx, "report_list_causes", &["cause", "row_id"], &r.causes);
        defer_rows(tx, "report_search", &search_cols("row_id"), &r.search);
        defer_rows(
            tx,
            "report_boxes",
            &["org_id", "box", "report_id"],
            &r.boxes,
        );
    }
}

/// Rebuilds one thread's rows from its editions, in the caller's transaction.
pub(crate) async fn refresh_report(tx: &mut Tx, id: ReportId) -> Result<()> {
    if tx.backend() == Backend::Postgres {
        // Two processes changing one thread refresh it one after the other, each reading what
        // the other committed (READ COMMITTED takes a new snapshot per statement).
        sqlx::query("SELECT id FROM reports WHERE id = $1 FOR UPDATE")
            .bind(id.0)
            .execute(tx.conn())
            .await?;
    }
    let rows = tx.load_report(id).await?.map(|rec| report_rows(&rec));
    defer_report_rows(tx, id, rows.as_ref());
    Ok(())
}

const ADVISORY_COLS: &[&str] = &[
    "advisory_id",
    "scope_tlp",
    "shared",
    "author_user_id",
    "number",
    "edition",
    "state",
    "shown_tlp",
    "severity",
    "basis",
    "exercise",
    "overview",
    "published_at",
    "updated_at",
    "fiscal_year",
    "published_month",
];

/// The rows of an advisory: its list row and its search text.
pub(crate) struct AdvisoryRows {
    list: Vec<Arg>,
    search: Vec<Arg>,
}

/// The rows of an advisory that has an edition.
pub(crate) fn advisory_rows(rec: &AdvisoryRecord) -> Option<AdvisoryRows> {
    let e = rec.current()?;
    let f = &e.form;
    let number = rec.number_text();
    let published_at = e.published_at.as_deref().or(rec.published_at.as_deref());
    let published = published_at
        .and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok())
        .map(|p| p.with_timezone(&chrono::Utc));
    let year = published.map(|p| i64::from(fiscal_year(p)));
    let body = advisory_body(rec);
    let folded = fold(&body);
    let list = vec![
        i(rec.id.0),
        t(rec.scope.tlp.code()),
        b(rec.scope.shared),
        rec.scope.author.map_or(Arg::NullI64, |u| i(u.0)),
        ot(number.as_deref()),
        i(i64::from(e.edition)),
        t(if rec.published { "published" } else { "draft" }),
        t(rec.scope.tlp.code()),
        ot(f.severity.map(|s| s.code())),
        ot(f.basis.map(|x| x.code())),
        b(rec.exercise),
        t(&f.overview.chars().take(80).collect::<String>()),
        ot(published_at),
        t(&rec.updated_at),
        year.map_or(Arg::NullI64, i),
        ot(published.map(month_jst).as_deref()),
    ];
    Some(AdvisoryRows {
        list,
        search: vec![i(rec.id.0), t(&body), t(&folded)],
    })
}

pub(crate) async fn write_advisory_rows(tx: &mut Tx, rows: &[AdvisoryRows]) -> Result<()> {
    let list: Vec<_> = rows.iter().map(|r| r.list.clone()).collect();
    let search: Vec<_> = rows.iter().map(|r| r.search.clone()).collect();
    insert_rows(tx, "advisory_list", ADVISORY_COLS, &list).await?;
    insert_rows(tx, "advisory_search", &search_cols("advisory_id"), &search).await
}

pub(crate) async fn refresh_advisory(tx: &mut Tx, id: AdvisoryId) -> Result<()> {
    if tx.backend() == Backend::Postgres {
        sqlx::query("SELECT id FROM advisories WHERE id = $1 FOR UPDATE")
            .bind(id.0)
            .execute(tx.conn())
            .await?;
    }
    let rows = tx.load_advisory(id).await?.as_ref().and_then(advisory_rows);
    for table in ["advisory_search", "advisory_list"] {
        let mut sql = Sql::bulk(
            &format!("DELETE FROM {table} WHERE advisory_id = "),
            tx.backend(),
        );
        sql.bind_i64(id.0);
        tx.defer(sql);
    }
    if let Some(r) = rows {
        defer_rows(tx, "advisory_list", ADVISORY_COLS, &[r.list]);
        defer_rows(
            tx,
            "advisory_search",
            &search_cols("advisory_id"),
            &[r.search],
        );
    }
    Ok(())
}

impl Tx {
    /// Which version of the rules built the read model (0: never built).
    pub async fn read_model_version(&mut self) -> Result<i64> {
        let row = sqlx::query("SELECT version FROM read_model_state WHERE id = 1")
            .fetch_one(self.conn())
            .await?;
        Ok(row.try_get("version")?)
    }

    /// Rebuilds the whole read model from the editions (`kyoyu admin reindex`, and on the
    /// first start of a binary with newer rules). Returns how many items it rebuilt.
    pub async fn reindex(&mut self) -> Result<u64> {
        for table in [
            "report_list_causes",
            "report_search",
            "report_boxes",
            "report_list",
            "advisory_search",
            "advisory_list",
        ] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(self.conn())
                .await?;
        }
        let mut n = 0u64;
        let mut after = 0i64;
        loop {
            let ids: Vec<i64> =
                sqlx::query("SELECT id FROM reports WHERE id > $1 ORDER BY id LIMIT 500")
                    .bind(after)
                    .fetch_all(self.conn())
                    .await?
                    .iter()
                    .map(|r| r.try_get("id"))
                    .collect::<std::result::Result<_, _>>()?;
            let Some(last) = ids.last().copied() else {
                break;
            };
            let mut rows = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(rec) = self.load_report(ReportId(id)).await? {
                    rows.push(report_rows(&rec));
                    n += 1;
                }
            }
            write_report_rows(self, &rows).await?;
            after = last;
        }
        let ids: Vec<i64> = sqlx::query("SELECT id FROM advisories ORDER BY id")
            .fetch_all(self.conn())
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<std::result::Result<_, _>>()?;
        let mut rows = Vec::new();
        for id in ids {
            if let Some(rec) = self.load_advisory(AdvisoryId(id)).await?
                && let Some(row) = advisory_rows(&rec)
            {
                rows.push(row);
                n += 1;
            }
        }
        write_advisory_rows(self, &rows).await?;
        sqlx::query("UPDATE read_model_state SET version = $1 WHERE id = 1")
            .bind(READ_MODEL_VERSION)
            .execute(self.conn())
            .await?;
        self.dirty_reports.clear();
        self.dirty_advisories.clear();
        Ok(n)
    }
}
