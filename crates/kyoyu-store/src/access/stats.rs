//! Statistics through the scoped reader: counts of the threads the actor may see (in the view
//! it gets of each), grouped in SQL by month and one dimension, and the times medians are
//! taken of. Exercises and threads never sent are left out. Each count comes with how many of
//! its threads the actor's organisation originated or passed on — what it knows anyway —
//! so that the caller can hide the small cells that could point at a reporter.

use kyoyu_domain::policy::distribution::DeliveryFilter;
use kyoyu_domain::policy::view::ViewChoice;
use sqlx::Row;

use super::Scoped;
use crate::Result;
use crate::scope::{
    ADVISORY_LIST, REPORT_LIST, push_delivery_filter, push_predicate, push_view_choice,
};
use crate::sql::Sql;

/// What the statistics cover.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct StatsFilter {
    pub fiscal_year: Option<i32>,
    pub sector: Option<String>,
}

/// What threads are counted by, beside their month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatDimension {
    /// No breakdown: one count per month.
    Total,
    Sector,
    Event,
    Cause,
    Severity,
    Basis,
    /// サービス維持レベルの逸脱 (`true`, `false`).
    Deviation,
}

impl StatDimension {
    pub const ALL: [StatDimension; 7] = [
        StatDimension::Total,
        StatDimension::Sector,
        StatDimension::Event,
        StatDimension::Cause,
        StatDimension::Severity,
        StatDimension::Basis,
        StatDimension::Deviation,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            StatDimension::Total => "total",
            StatDimension::Sector => "sector",
            StatDimension::Event => "event",
            StatDimension::Cause => "cause",
            StatDimension::Severity => "severity",
            StatDimension::Basis => "basis",
            StatDimension::Deviation => "deviation",
        }
    }

    pub fn from_code(code: &str) -> Option<StatDimension> {
        StatDimension::ALL.into_iter().find(|d| d.code() == code)
    }

    fn column(self) -> &'static str {
        match self {
            StatDimension::Total => "NULL",
            StatDimension::Sector => "l.sector",
            StatDimension::Event => "l.event",
            StatDimension::Cause => "c.cause",
            StatDimension::Severity => "l.severity",
            StatDimension::Basis => "l.basis",
            StatDimension::Deviation => {
                "CASE l.sml_deviation WHEN 1 THEN 'true' WHEN 0 THEN 'false' END"
            }
        }
    }
}

/// Threads of one month and one value of the dimension (`None`: not given on the form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRow {
    /// `2026-05`, in Japan.
    pub month: String,
    pub key: Option<String>,
    pub count: u64,
    /// How many of them the actor's organisation originated or passed on.
    pub known: u64,
}

/// The times of one thread, as its view shows them (store time text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    pub occurred_at: Option<String>,
    pub reported_at: Option<String>,
    pub numbered_at: Option<String>,
}

impl Scoped<'_> {
    /// ` WHERE …` of every statistic: what the actor may see, in its view, sent, no exercise.
    fn push_stats_where(&self, sql: &mut Sql, f: &StatsFilter) {
        sql.push(" WHERE ");
        push_view_choice(sql, &ViewChoice::of(self.actor));
        sql.push(" AND ");
        push_predicate(sql, &REPORT_LIST, &self.filter);
        sql.push(" AND l.exercise = 0 AND l.sent = 1");
        if let Some(y) = f.fiscal_year {
            sql.push(" AND l.fiscal_year = ").bind_i64(i64::from(y));
        }
        if let Some(s) = &f.sector {
            sql.push(" AND l.sector = ").bind_text(s);
        }
    }

    /// Counts by month and `dim`.
    pub async fn report_counts(
        &mut self,
        f: &StatsFilter,
        dim: StatDimension,
    ) -> Result<Vec<CountRow>> {
        let col = dim.column();
        let mut sql = Sql::new(&format!(
            "SELECT l.reported_month AS m, {col} AS k, COUNT(*) AS n, SUM(CASE WHEN "
        ));
        match self.actor.org_id() {
            Some(org) => {
                sql.push("l.origin_org_id = ")
                    .bind_i64(org.0)
                    .push(" OR EXISTS (SELECT 1 FROM report_boxes b WHERE b.org_id = ")
                    .bind_i64(org.0)
                    .push(" AND b.box IN ('received', 'sent') AND b.report_id = l.report_id)");
            }
            None => {
                sql.push("1 = 0");
            }
        }
        sql.push(" THEN 1 ELSE 0 END) AS known FROM report_list l");
        if dim == StatDimension::Cause {
            sql.push(" JOIN report_list_causes c ON c.row_id = l.row_id");
        }
        self.push_stats_where(&mut sql, f);
        sql.push(" GROUP BY l.reported_month");
        if dim != StatDimension::Total {
            sql.push(&format!(", {col}"));
        }
        let rows = sql.query().fetch_all(self.tx.conn()).await?;
        rows.iter()
            .map(|r| {
                Ok(CountRow {
                    month: r.try_get("m")?,
                    key: r.try_get("k")?,
                    count: r.try_get::<i64, _>("n")?.max(0) as u64,
                    known: r.try_get::<i64, _>("known")?.max(0) as u64,
                })
            })
            .collect()
    }

    /// The times of every thread counted, for medians.
    pub async fn report_timings(&mut self, f: &StatsFilter) -> Result<Vec<Timing>> {
        let mut sql = Sql::new(
            "SELECT l.first_occurred_at, l.first_reported_at, l.numbered_at FROM report_list l",
        );
        self.push_stats_where(&mut sql, f);
        let rows = sql.query().fetch_all(self.tx.conn()).await?;
        rows.iter()
            .map(|r| {
                Ok(Timing {
                    occurred_at: r.try_get("first_occurred_at")?,
                    reported_at: r.try_get("first_reported_at")?,
                    numbered_at: r.try_get("numbered_at")?,
                })
            })
            .collect()
    }
}

/// Published advisories of one month and basis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryCountRow {
    pub month: String,
    pub basis: Option<String>,
    pub count: u64,
}

/// One delivery the actor sees, of a published advisory it may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryTiming {
    pub delivered_at: String,
    pub received_at: Option<String>,
    pub handled_at: Option<String>,
}

impl Scoped<'_> {
    fn push_advisory_stats_where(&self, sql: &mut Sql, f: &StatsFilter) {
        sql.push(" WHERE ");
        push_predicate(sql, &ADVISORY_LIST, &self.filter);
        sql.push(" AND a.exercise = 0 AND a.state = 'published'");
        if let Some(y) = f.fiscal_year {
            sql.push(" AND a.fiscal_year = ").bind_i64(i64::from(y));
        }
    }

    /// Published advisories by month and basis.
    pub async fn advisory_counts(&mut self, f: &StatsFilter) -> Result<Vec<AdvisoryCountRow>> {
        let mut sql = Sql::new(
            "SELECT a.published_month AS m, a.basis AS k, COUNT(*) AS n FROM advisory_list a",
        );
        self.push_advisory_stats_where(&mut sql, f);
        sql.push(" GROUP BY a.published_month, a.basis");
        let rows = sql.query().fetch_all(self.tx.conn()).await?;
        rows.iter()
            .map(|r| {
                Ok(AdvisoryCountRow {
                    month: r.try_get::<Option<String>, _>("m")?.unwrap_or_default(),
                    basis: r.try_get("k")?,
                    count: r.try_get::<i64, _>("n")?.max(0) as u64,
                })
            })
            .collect()
    }

    /// The deliveries the actor sees (`DeliveryFilter`) of the advisories counted.
    pub async fn delivery_timings(&mut self, f: &StatsFilter) -> Result<Vec<DeliveryTiming>> {
        let mut sql = Sql::new(
            "SELECT d.delivered_at, d.received_at, d.handled_at FROM advisory_list a JOIN advisory_deliveries d ON d.advisory_id = a.advisory_id",
        );
        self.push_advisory_stats_where(&mut sql, f);
        push_delivery_filter(&mut sql, &DeliveryFilter::of(self.actor));
        let rows = sql.query().fetch_all(self.tx.conn()).await?;
        rows.iter()
            .map(|r| {
                Ok(DeliveryTiming {
                    delivered_at: r.try_get("delivered_at")?,
                    received_at: r.try_get("received_at")?,
                    handled_at: r.try_get("handled_at")?,
                })
            })
            .collect()
    }
}
