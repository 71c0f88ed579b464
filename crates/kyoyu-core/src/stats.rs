//! Statistics of what the caller may see: reports by period (month, quarter, Japanese fiscal
//! year) and one dimension (sector, event class, cause, severity, basis, deviation), the
//! median times from occurrence to first report and from first report to NISC's number,
//! and advisories by basis with the receipt and handling of their deliveries. Exercises are
//! left out. The store counts through the scoped reader; this use case arranges the table
//! and hides small cells.
//!
//! **Small cells.** A count of fewer than `stats_min_cell` threads could point at a reporter
//! (one report from a small sector in a month), so it is not shown (`Cell::Suppressed`) —
//! unless the caller originated or passed on every one of them (the route knows them). A row or column whose total is shown and
//! that holds exactly one hidden cell would give it away by subtraction, so the smallest
//! other cell of that row or column is hidden too (an empty one when no other has a count,
//! the total itself when the line has no other cell), until no such row or column is left.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use kyoyu_domain::messages::{Locale, ja, t};
use kyoyu_domain::policy::Actor;
use kyoyu_domain::stats::{Cell, Period, median};
use kyoyu_domain::{AdvisoryBasis, Cause, EventClass, ReportBasis, Severity};
pub use kyoyu_store::StatDimension;
use kyoyu_store::{CountRow, StatsFilter};
use serde::Serialize;

use crate::{Core, Result};

/// What statistics are asked for.
#[derive(Debug, Clone, Default)]
pub struct StatsRequest {
    pub period: Period,
    pub dimension: Option<StatDimension>,
    pub fiscal_year: Option<i32>,
    pub sector: Option<String>,
}

/// A count as shown: `count` is absent when it is hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shown {
    pub count: Option<u64>,
    pub suppressed: bool,
}

impl From<Cell> for Shown {
    fn from(c: Cell) -> Shown {
        Shown {
            count: c.count(),
            suppressed: c == Cell::Suppressed,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Column {
    /// The dimension's code (`finance`, `intrusion`, …; `none` for not given).
    pub key: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatRow {
    /// `2026-05`, `2026-Q1` or `2026`.
    pub period: String,
    pub label: String,
    /// One per column.
    pub cells: Vec<Shown>,
    pub total: Shown,
}

/// A median time in hours, over `n` threads (absent below the threshold).
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MedianHours {
    pub hours: Option<f64>,
    pub n: u64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdvisoryStats {
    /// Published advisories by basis over the period: `(basis code, label, count)`.
    pub by_basis: Vec<(String, String, u64)>,
    pub total: u64,
    /// Deliveries the caller sees, how many were received (受領) and handled (対応).
    pub deliveries: u64,
    pub received: u64,
    pub handled: u64,
    pub to_receipt: MedianHours,
    pub to_handling: MedianHours,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Statistics {
    pub period: &'static str,
    pub dimension: &'static str,
    pub fiscal_year: Option<i32>,
    pub sector: Option<String>,
    /// Cells of fewer threads than this that the caller does not know are hidden.
    pub threshold: u64,
    pub columns: Vec<Column>,
    /// Oldest first.
    pub rows: Vec<StatRow>,
    pub column_totals: Vec<Shown>,
    pub total: Shown,
    /// From occurrence to the first report, and from the first report to NISC's number.
    pub occurred_to_reported: MedianHours,
    pub reported_to_numbered: MedianHours,
    pub advisories: AdvisoryStats,
    /// The fiscal years that have any report the caller may see, newest first.
    pub fiscal_years: Vec<i32>,
}

fn parse(ts: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(ts)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The median of the times from `a` to `b` that both exist and do not run backwards.
fn median_hours(
    pairs: impl Iterator<Item = (Option<String>, Option<String>)>,
    threshold: u64,
) -> MedianHours {
    let mut secs: Vec<i64> = pairs
        .filter_map(|(a, b)| Some((parse(&a?)?, parse(&b?)?)))
        .map(|(a, b)| (b - a).num_seconds())
        .filter(|s| *s >= 0)
        .collect();
    let n = secs.len() as u64;
    let hours = if n >= threshold.max(1) {
        median(&mut secs).map(|s| (s as f64 / 360.0).round() / 10.0)
    } else {
        None
    };
    MedianHours { hours, n }
}

/// The fiscal years that months fall in, newest first.
fn years_of(months: &[CountRow]) -> Vec<i32> {
    months
        .iter()
        .filter_map(|m| Period::FiscalYear.of_month(&m.month)?.parse().ok())
        .collect::<BTreeSet<i32>>()
        .into_iter()
        .rev()
        .collect()
}

/// The label of a dimension value.
fn key_label(core: &Core, dim: StatDimension, key: &str) -> String {
    let or_code = |l: Option<&'static str>| l.map_or_else(|| key.to_owned(), str::to_owned);
    match dim {
        StatDimension::Total => t(Locale::Ja, "stats.total").to_owned(),
        StatDimension::Sector => core.reference().sector_name(key).to_owned(),
        StatDimension::Event => or_code(EventClass::from_code(key).map(EventClass::label)),
        StatDimension::Cause => or_code(Cause::from_code(key).map(Cause::label)),
        StatDimension::Severity => or_code(Severity::from_code(key).map(Severity::label)),
        StatDimension::Basis => or_code(ReportBasis::from_code(key).map(ReportBasis::label)),
        StatDimension::Deviation => t(Locale::Ja, &format!("stats.deviation_{key}")).to_owned(),
    }
}

/// In a line (a row or a column) whose total is shown and that holds exactly one hidden cell,
/// the cell to hide beside it: the smallest other positive count, else an empty cell (the
/// two hidden cells then add up to what the total says, in a split nobody can tell), else
/// `None` — there is no other cell, and the total itself must go.
fn complement(line: &[(usize, usize)], cells: &[Vec<Cell>]) -> Option<Option<(usize, usize)>> {
    let hidden = line
        .iter()
        .filter(|(r, c)| cells[*r][*c] == Cell::Suppressed)
        .count();
    if hidden != 1 {
        return None;
    }
    let positive = line
        .iter()
        .filter_map(|(r, c)| match cells[*r][*c] {
            Cell::Count(n) if n > 0 => Some((n, *r, *c)),
            _ => None,
        })
        .min()
        .map(|(_, r, c)| (r, c));
    let empty = line
        .iter()
        .find(|(r, c)| cells[*r][*c] == Cell::Count(0))
        .copied();
    Some(positive.or(empty))
}

/// Makes one line safe once: hides its complement, or its total; whether anything changed.
fn settle(line: &[(usize, usize)], cells: &mut [Vec<Cell>], total: &mut Cell) -> bool {
    if *total == Cell::Suppressed {
        return false;
    }
    match complement(line, cells) {
        Some(Some((r, c))) => cells[r][c] = Cell::Suppressed,
        Some(None) => *total = Cell::Suppressed,
        None => return false,
    }
    true
}

/// Hides, in rows and columns whose total is shown, a second cell wherever exactly one is
/// hidden — or the total, when the line has no other cell — until none is left (see the
/// module's notes).
fn suppress_secondary(cells: &mut [Vec<Cell>], row_totals: &mut [Cell], col_totals: &mut [Cell]) {
    loop {
        let mut changed = false;
        let cols = cells.first().map_or(0, Vec::len);
        let rows = cells.len();
        for (r, total) in row_totals.iter_mut().enumerate() {
            let line: Vec<(usize, usize)> = (0..cols).map(|c| (r, c)).collect();
            changed |= settle(&line, cells, total);
        }
        for (c, total) in col_totals.iter_mut().enumerate() {
            let line: Vec<(usize, usize)> = (0..rows).map(|r| (r, c)).collect();
            changed |= settle(&line, cells, total);
        }
        if !changed {
            return;
        }
    }
}

impl Core {
    /// The fiscal years with any report `actor` may see, newest first.
    pub async fn fiscal_years(&self, actor: &Actor) -> Result<Vec<i32>> {
        let mut tx = self.store.read().await?;
        let months = tx
            .scoped(actor)
            .report_counts(&StatsFilter::default(), StatDimension::Total)
            .await?;
        Ok(years_of(&months))
    }

    /// Statistics over what `actor` may see.
    pub async fn statistics(&self, actor: &Actor, r: &StatsRequest) -> Result<Statistics> {
        let threshold = self.config.stats_min_cell.max(1);
        let dim = r.dimension.unwrap_or(StatDimension::Sector);
        let filter = StatsFilter {
            fiscal_year: r.fiscal_year,
            sector: r.sector.clone(),
        };
        let mut tx = self.store.read().await?;
        let mut scoped = tx.scoped(actor);
        let cube = scoped.report_counts(&filter, dim).await?;
        let totals = scoped.report_counts(&filter, StatDimension::Total).await?;
        let years = scoped
            .report_counts(&StatsFilter::default(), StatDimension::Total)
            .await?;
        let timings = scoped.report_timings(&filter).await?;
        let advisory_counts = scoped.advisory_counts(&filter).await?;
        let deliveries = scoped.delivery_timings(&filter).await?;
        drop(scoped);
        drop(tx);

        // (period, key) → (count, known); the period totals from their own query (a thread
        // with two causes counts once there).
        let period_of = |m: &str| r.period.of_month(m);
        let mut matrix: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
        let mut keys = BTreeSet::new();
        for row in &cube {
            let Some(p) = period_of(&row.month) else {
                continue;
            };
            let key = row.key.clone().unwrap_or_else(|| "none".into());
            keys.insert(key.clone());
            let e = matrix.entry((p, key)).or_default();
            e.0 += row.count;
            e.1 += row.known;
        }
        let mut by_period: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let add = |rows: &[CountRow], into: &mut BTreeMap<String, (u64, u64)>| {
            for row in rows {
                if let Some(p) = period_of(&row.month) {
                    let e = into.entry(p).or_default();
                    e.0 += row.count;
                    e.1 += row.known;
                }
            }
        };
        add(&totals, &mut by_period);
        let periods: Vec<String> = by_period.keys().cloned().collect();
        let keys: Vec<String> = keys.into_iter().collect();
        let mut cells: Vec<Vec<Cell>> = periods
            .iter()
            .map(|p| {
                keys.iter()
                    .map(|k| {
                        let (n, known) = matrix
                            .get(&(p.clone(), k.clone()))
                            .copied()
                            .unwrap_or_default();
                        Cell::of(n, known, threshold)
                    })
                    .collect()
            })
            .collect();
        let mut row_totals: Vec<Cell> = periods
            .iter()
            .map(|p| {
                let (n, known) = by_period[p];
                Cell::of(n, known, threshold)
            })
            .collect();
        let mut col_totals: Vec<Cell> = keys
            .iter()
            .map(|k| {
                let (n, known) = matrix
                    .iter()
                    .filter(|((_, key), _)| key == k)
                    .fold((0, 0), |acc, (_, v)| (acc.0 + v.0, acc.1 + v.1));
                Cell::of(n, known, threshold)
            })
            .collect();
        if dim != StatDimension::Total {
            suppress_secondary(&mut cells, &mut row_totals, &mut col_totals);
        }
        let (all, known) = by_period
            .values()
            .fold((0, 0), |acc, v| (acc.0 + v.0, acc.1 + v.1));
        let rows = periods
            .iter()
            .zip(cells)
            .zip(&row_totals)
            .map(|((p, cells), total)| StatRow {
                label: r.period.key_label(p),
                period: p.clone(),
                cells: cells.into_iter().map(Shown::from).collect(),
                total: (*total).into(),
            })
            .collect();
        let columns = keys
            .iter()
            .map(|k| Column {
                label: if k == "none" {
                    t(Locale::Ja, "stats.not_given").to_owned()
                } else {
                    key_label(self, dim, k)
                },
                key: k.clone(),
            })
            .collect();

        let fiscal_years = years_of(&years);

        let mut by_basis: BTreeMap<String, u64> = BTreeMap::new();
        for a in &advisory_counts {
            *by_basis
                .entry(a.basis.clone().unwrap_or_else(|| "none".into()))
                .or_default() += a.count;
        }
        let advisories = AdvisoryStats {
            total: by_basis.values().sum(),
            by_basis: by_basis
                .into_iter()
                .map(|(k, n)| {
                    let label = AdvisoryBasis::from_code(&k).map_or_else(
                        || t(Locale::Ja, "stats.not_given").to_owned(),
                        |b| b.label().to_owned(),
                    );
                    (k, label, n)
                })
                .collect(),
            deliveries: deliveries.len() as u64,
            received: deliveries
                .iter()
                .filter(|d| d.received_at.is_some())
                .count() as u64,
            handled: deliveries.iter().filter(|d| d.handled_at.is_some()).count() as u64,
            to_receipt: median_hours(
                deliveries
                    .iter()
                    .map(|d| (Some(d.delivered_at.clone()), d.received_at.clone())),
                1,
            ),
            to_handling: median_hours(
                deliveries
                    .iter()
                    .map(|d| (Some(d.delivered_at.clone()), d.handled_at.clone())),
                1,
            ),
        };
        Ok(Statistics {
            period: r.period.code(),
            dimension: dim.code(),
            fiscal_year: r.fiscal_year,
            sector: r.sector.clone(),
            threshold,
            columns,
            rows,
            column_totals: col_totals.into_iter().map(Shown::from).collect(),
            total: Cell::of(all, known, threshold).into(),
            occurred_to_reported: median_hours(
                timings
                    .iter()
                    .map(|t| (t.occurred_at.clone(), t.reported_at.clone())),
                threshold,
            ),
            reported_to_numbered: median_hours(
                timings
                    .iter()
                    .map(|t| (t.reported_at.clone(), t.numbered_at.clone())),
                threshold,
            ),
            advisories,
            fiscal_years,
        })
    }
}

/// Which numbers of the statistics a CSV holds: the table, or the figures of one chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsTable {
    /// Periods × the dimension's values, with totals.
    Matrix,
    /// The total of each period (the period chart).
    Periods,
    /// The total of each value of the dimension (the breakdown chart).
    Breakdown,
}

impl StatsTable {
    pub fn from_code(code: &str) -> Option<StatsTable> {
        match code {
            "matrix" => Some(StatsTable::Matrix),
            "periods" => Some(StatsTable::Periods),
            "breakdown" => Some(StatsTable::Breakdown),
            _ => None,
        }
    }
}

/// A count as a CSV cell: the number, or the mark of a hidden one.
fn cell_text(c: &Shown) -> String {
    match c.count {
        Some(n) => n.to_string(),
        None => t(Locale::Ja, "stats.hidden").to_owned(),
    }
}

impl Core {
    /// The statistics' numbers as CSV for Excel, hidden cells as the page shows them.
    pub async fn statistics_csv(
        &self,
        actor: &Actor,
        r: &StatsRequest,
        table: StatsTable,
    ) -> Result<crate::documents::Download> {
        let s = self.statistics(actor, r).await?;
        let period = ja("stats.period_column", &[]);
        let total = ja("stats.total", &[]);
        let (header, rows): (Vec<String>, Vec<Vec<String>>) = match table {
            StatsTable::Matrix => (
                std::iter::once(period)
                    .chain(s.columns.iter().map(|c| c.label.clone()))
                    .chain(std::iter::once(total.clone()))
                    .collect(),
                s.rows
                    .iter()
                    .map(|row| {
                        std::iter::once(row.label.clone())
                            .chain(row.cells.iter().map(cell_text))
                            .chain(std::iter::once(cell_text(&row.total)))
                            .collect()
                    })
                    .chain(std::iter::once(
                        std::iter::once(total)
                            .chain(s.column_totals.iter().map(cell_text))
                            .chain(std::iter::once(cell_text(&s.total)))
                            .collect(),
                    ))
                    .collect(),
            ),
            StatsTable::Periods => (
                vec![period, total],
                s.rows
                    .iter()
                    .map(|row| vec![row.label.clone(), cell_text(&row.total)])
                    .collect(),
            ),
            StatsTable::Breakdown => (
                vec![ja("stats.value_column", &[]), total],
                s.columns
                    .iter()
                    .zip(&s.column_totals)
                    .map(|(c, n)| vec![c.label.clone(), cell_text(n)])
                    .collect(),
            ),
        };
        crate::documents::csv::csv(&format!("kyoyu-statistics-{}", s.dimension), &header, rows)
    }
}
