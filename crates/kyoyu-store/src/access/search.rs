//! Search through the scoped reader: a ranked page of hits, their total and the facet counts
//! — every one a query of the read model with the same conditions as the list (the view
//! choice and the scope predicate of `scope.rs`) and the text predicate of `text.rs`. A count
//! is a disclosure too, so nothing here counts a row the list would not show.

use kyoyu_domain::policy::view::ViewChoice;
use kyoyu_domain::search::Query;
use kyoyu_domain::{AdvisoryBasis, Cause, EventClass, Severity, Tlp};
use sqlx::Row;

use super::text::{ADVISORY_TEXT, REPORT_TEXT, TextIndex, push_matches, push_score};
use super::{
    ADVISORY_ROW_COLS, AdvisoryListRow, REPORT_ROW_COLS, ReportListRow, Scoped, advisory_row_from,
    report_row_from,
};
use crate::Result;
use crate::scope::{ADVISORY_LIST, REPORT_LIST, push_predicate, push_tlp_is, push_view_choice};
use crate::sql::Sql;

/// The conditions a search narrows its hits by, beside the text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SearchFilters {
    pub sector: Option<String>,
    pub tlp: Option<Tlp>,
    pub severity: Option<Severity>,
    pub event: Option<EventClass>,
    pub cause: Option<Cause>,
    pub basis: Option<AdvisoryBasis>,
    /// `draft` or `sent` (reports), `draft` or `published` (advisories).
    pub state: Option<String>,
    /// The Japanese fiscal year (April to March) reported or published in.
    pub fiscal_year: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SearchQuery {
    /// `None`: every item the filters leave, newest first.
    pub text: Option<Query>,
    pub filters: SearchFilters,
    pub offset: u32,
    pub limit: u32,
    /// Whether to count the hits by facet as well.
    pub facets: bool,
    /// Newest first instead of best first.
    pub newest: bool,
}

/// How many hits have each value of one facet (values without hits are left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facet {
    /// `sector`, `event`, `cause`, `severity`, `tlp`, `basis`, `fiscal_year`, `state`.
    pub name: &'static str,
    pub counts: Vec<(String, u64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage<T> {
    /// Every hit, not only this page's.
    pub total: u64,
    pub hits: Vec<T>,
    pub facets: Vec<Facet>,
}

/// A thread found: its list row and the text its view shows (for the snippet).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportHit {
    pub row: ReportListRow,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdvisoryHit {
    pub row: AdvisoryListRow,
    pub body: String,
}

/// The facets of reports: name, and the column of `hits` (see [`REPORT_HITS`]).
const REPORT_FACETS: &[(&str, &str)] = &[
    ("sector", "sector"),
    ("event", "event"),
    ("severity", "severity"),
    ("tlp", "shown_tlp"),
    ("fiscal_year", "fy"),
    ("state", "state"),
];

/// The columns of a report hit that the total and the facets group by.
const REPORT_HITS: &str = "WITH hits AS MATERIALIZED (SELECT l.row_id AS k, l.sector, l.event, l.severity, l.shown_tlp, CAST(l.fiscal_year AS TEXT) AS fy, l.state FROM report_list l";

const ADVISORY_FACETS: &[(&str, &str)] = &[
    ("severity", "severity"),
    ("tlp", "shown_tlp"),
    ("basis", "basis"),
    ("fiscal_year", "fy"),
    ("state", "state"),
];

const ADVISORY_HITS: &str = "WITH hits AS MATERIALIZED (SELECT a.advisory_id AS k, a.severity, a.shown_tlp, a.basis, CAST(a.fiscal_year AS TEXT) AS fy, a.state FROM advisory_list a";

impl Scoped<'_> {
    /// ` WHERE …`: the threads the actor may see, in its view, that `q` finds.
    fn push_report_where(&self, sql: &mut Sql, q: &SearchQuery) {
        sql.push(" WHERE ");
        push_view_choice(sql, &ViewChoice::of(self.actor));
        sql.push(" AND ");
        push_predicate(sql, &REPORT_LIST, &self.filter);
        let f = &q.filters;
        if let Some(s) = &f.sector {
            sql.push(" AND l.sector = ").bind_text(s);
        }
        if let Some(t) = f.tlp {
            push_tlp_is(sql, "l.shown_tlp", t);
        }
        if let Some(s) = f.severity {
            sql.push(" AND l.severity = ").bind_text(s.code());
        }
        if let Some(e) = f.event {
            sql.push(" AND l.event = ").bind_text(e.code());
        }
        if let Some(c) = f.cause {
            sql.push(" AND EXISTS (SELECT 1 FROM report_list_causes rc WHERE rc.cause = ")
                .bind_text(c.code())
                .push(" AND rc.row_id = l.row_id)");
        }
        if let Some(s) = &f.state {
            sql.push(" AND l.state = ").bind_text(s);
        }
        if let Some(y) = f.fiscal_year {
            sql.push(" AND l.fiscal_year = ").bind_i64(i64::from(y));
        }
        if let Some(text) = &q.text {
            push_matches(sql, self.tx.backend(), &REPORT_TEXT, text);
        }
    }

    /// ` WHERE …`: the advisories the actor may see that `q` finds.
    fn push_advisory_where(&self, sql: &mut Sql, q: &SearchQuery) {
        sql.push(" WHERE ");
        push_predicate(sql, &ADVISORY_LIST, &self.filter);
        let f = &q.filters;
        if let Some(t) = f.tlp {
            push_tlp_is(sql, "a.shown_tlp", t);
        }
        if let Some(s) = f.severity {
            sql.push(" AND a.severity = ").bind_text(s.code());
        }
        if let Some(b) = f.basis {
            sql.push(" AND a.basis = ").bind_text(b.code());
        }
        if let Some(s) = &f.state {
            sql.push(" AND a.state = ").bind_text(s);
        }
        if let Some(y) = f.fiscal_year {
            sql.push(" AND a.fiscal_year = ").bind_i64(i64::from(y));
        }
        if let Some(text) = &q.text {
            push_matches(sql, self.tx.backend(), &ADVISORY_TEXT, text);
        }
    }

    fn push_order(&self, sql: &mut Sql, ix: &TextIndex, q: &SearchQuery) {
        sql.push(" ORDER BY ");
        if let Some(text) = q.text.as_ref().filter(|_| !q.newest) {
            push_score(sql, self.tx.backend(), ix, text);
            sql.push(" DESC, ");
        }
        sql.push(&format!("{} DESC LIMIT ", ix.key))
            .bind_i64(i64::from(q.limit.clamp(1, 500)))
            .push(" OFFSET ")
            .bind_i64(i64::from(q.offset));
    }

    /// The total and, if asked, the facet counts, from one statement: the hits are found
    /// once (`hits`, materialised) and grouped by each facet.
    async fn totals(
        &mut self,
        mut sql: Sql,
        facets: &[(&'static str, &str)],
        causes: bool,
    ) -> Result<(u64, Vec<Facet>)> {
        sql.push(") SELECT '' AS f, NULL AS v, COUNT(*) AS n FROM hits");
        for (name, col) in facets {
            sql.push(&format!(
                " UNION ALL SELECT '{name}', {col}, COUNT(*) FROM hits GROUP BY {col}"
            ));
        }
        if causes {
            sql.push(" UNION ALL SELECT 'cause', c.cause, COUNT(*) FROM hits JOIN report_list_causes c ON c.row_id = hits.k GROUP BY c.cause");
        }
        let mut total = 0;
        let mut by_name: Vec<Facet> = facets
            .iter()
            .map(|(name, _)| *name)
            .chain(causes.then_some("cause"))
            .map(|name| Facet {
                name,
                counts: Vec::new(),
            })
            .collect();
        for r in sql.query().fetch_all(self.tx.conn()).await? {
            let f: String = r.try_get("f")?;
            let n = r.try_get::<i64, _>("n")?.max(0) as u64;
            match by_name.iter_mut().find(|x| x.name == f) {
                Some(facet) => {
                    if let Some(v) = r.try_get::<Option<String>, _>("v")? {
                        facet.counts.push((v, n));
                    }
                }
                None => total = n,
            }
        }
        for f in &mut by_name {
            f.counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        }
        // The causes third, after the event class, as the page lists them.
        if let Some(at) = by_name.iter().position(|f| f.name == "cause") {
            let cause = by_name.remove(at);
            by_name.insert(2.min(by_name.len()), cause);
        }
        Ok((total, by_name))
    }

    /// The threads the actor may see that `q` finds, best first, in the view it gets of each.
    pub async fn search_reports(&mut self, q: &SearchQuery) -> Result<SearchPage<ReportHit>> {
        let mut sql = Sql::new(&format!(
            "SELECT {REPORT_ROW_COLS}, s.body AS search_body FROM report_list l JOIN report_search s ON s.row_id = l.row_id LEFT JOIN orgs o ON o.id = l.originator_org_id"
        ));
        self.push_report_where(&mut sql, q);
        self.push_order(&mut sql, &REPORT_TEXT, q);
        let rows = sql.query().fetch_all(self.tx.conn()).await?;
        let hits = rows
            .iter()
            .map(|r| {
                Ok(ReportHit {
                    row: report_row_from(r)?,
                    body: r.try_get("search_body")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut sql = Sql::new(REPORT_HITS);
        self.push_report_where(&mut sql, q);
        let facets: &[(&str, &str)] = if q.facets { REPORT_FACETS } else { &[] };
        let (total, facets) = self.totals(sql, facets, q.facets).await?;
        Ok(SearchPage {
            total,
            hits,
            facets,
        })
    }

    /// The advisories the actor may see that `q` finds, best first.
    pub async fn search_advisories(&mut self, q: &SearchQuery) -> Result<SearchPage<AdvisoryHit>> {
        let org = self.actor.org_id().map_or(-1, |o| o.0);
        let mut sql = Sql::new(&format!(
            "SELECT {ADVISORY_ROW_COLS}, s.body AS search_body FROM advisory_list a JOIN advisory_search s ON s.advisory_id = a.advisory_id LEFT JOIN advisory_deliveries d ON d.advisory_id = a.advisory_id AND d.org_id = "
        ));
        sql.bind_i64(org);
        self.push_advisory_where(&mut sql, q);
        self.push_order(&mut sql, &ADVISORY_TEXT, q);
        let rows = sql.query().fetch_all(self.tx.conn()).await?;
        let hits = rows
            .iter()
            .map(|r| {
                Ok(AdvisoryHit {
                    row: advisory_row_from(r)?,
                    body: r.try_get("search_body")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut sql = Sql::new(ADVISORY_HITS);
        self.push_advisory_where(&mut sql, q);
        let facets: &[(&str, &str)] = if q.facets { ADVISORY_FACETS } else { &[] };
        let (total, facets) = self.totals(sql, facets, false).await?;
        Ok(SearchPage {
            total,
            hits,
            facets,
        })
    }
}
