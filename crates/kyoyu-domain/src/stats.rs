//! Statistics, the pure part: the facts one view of a thread contributes (when it was first
//! reported and numbered, its basis, a service-maintenance-level deviation), the periods
//! counts are kept by (month, quarter and fiscal year, in Japan), medians, and the
//! suppression of small cells that could point at a reporter.

use chrono::{DateTime, Utc};

use crate::codes::ReportBasis;
use crate::messages::{Locale, ja, t};
use crate::report::thread::Presented;

/// What a view of a thread adds to the statistics beyond its list row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatFacts {
    /// The first edition's first version as shown: when it says it was reported, and when
    /// the incident occurred.
    pub first_reported_at: Option<DateTime<Utc>>,
    pub first_occurred_at: Option<DateTime<Utc>>,
    /// When the thread reached NISC and was numbered, if the view shows the number: the last
    /// hop of the first edition (NISC is the end of every route).
    pub numbered_at: Option<DateTime<Utc>>,
    /// Of the form in force.
    pub basis: Option<ReportBasis>,
    pub sml_deviation: Option<bool>,
}

fn parse(ts: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(ts)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub fn stat_facts(p: &Presented) -> StatFacts {
    let utc = |t: DateTime<chrono::FixedOffset>| t.with_timezone(&Utc);
    let first = p.editions.first().and_then(|e| e.versions.first());
    let current = p.editions.last().and_then(|e| e.latest());
    let numbered_at = if p.number.is_some() {
        p.route
            .iter()
            .filter(|h| h.edition == 1)
            .filter_map(|h| parse(&h.at))
            .max()
    } else {
        None
    };
    StatFacts {
        first_reported_at: first.map(|v| utc(v.form.reported_at)),
        first_occurred_at: first
            .and_then(|v| v.form.summary.as_ref())
            .and_then(|s| s.occurred_at)
            .map(utc),
        numbered_at,
        basis: current.and_then(|v| v.form.basis),
        sml_deviation: current
            .and_then(|v| v.form.impact.as_ref())
            .and_then(|i| i.sml_deviation),
    }
}

/// The periods counts are kept by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Period {
    Month,
    Quarter,
    #[default]
    FiscalYear,
}

impl Period {
    pub const ALL: [Period; 3] = [Period::Month, Period::Quarter, Period::FiscalYear];

    pub const fn code(self) -> &'static str {
        match self {
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::FiscalYear => "fiscal_year",
        }
    }

    pub fn from_code(code: &str) -> Option<Period> {
        Period::ALL.into_iter().find(|p| p.code() == code)
    }

    pub fn label(self) -> String {
        t(Locale::Ja, &format!("stats.period.{}", self.code())).to_owned()
    }

    /// The period a month (`2026-05`, in Japan) falls in: `2026-05`, the fiscal quarter
    /// `2026-Q1` (April to June is the first of fiscal year 2026), or `2026`. `None` for text
    /// that is not a month.
    pub fn of_month(self, month: &str) -> Option<String> {
        let (y, m) = month.split_once('-')?;
        let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
        if !(1..=12).contains(&m) {
            return None;
        }
        let fy = if m >= 4 { y } else { y - 1 };
        Some(match self {
            Period::Month => format!("{y:04}-{m:02}"),
            Period::Quarter => format!("{fy:04}-Q{}", (m + 8) % 12 / 3 + 1),
            Period::FiscalYear => format!("{fy:04}"),
        })
    }

    /// The label of a period key: 2026年5月, 2026年度第1四半期, 2026年度.
    pub fn key_label(self, key: &str) -> String {
        match self {
            Period::Month => match key.split_once('-') {
                Some((y, m)) => ja(
                    "stats.month",
                    &[("year", y), ("month", m.trim_start_matches('0'))],
                ),
                None => key.to_owned(),
            },
            Period::Quarter => match key.split_once("-Q") {
                Some((y, q)) => ja("stats.quarter", &[("year", y), ("quarter", q)]),
                None => key.to_owned(),
            },
            Period::FiscalYear => ja("search.fiscal_year", &[("year", key)]),
        }
    }
}

/// The median of `values` (the lower middle of an even count); `None` when empty.
pub fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(values[(values.len() - 1) / 2])
}

/// A count as a viewer may read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cell {
    Count(u64),
    /// Fewer items than the threshold, not all of them on the viewer's route: the count
    /// could point at a reporter, so it is not shown.
    Suppressed,
}

impl Cell {
    /// `count` items, of which the viewer originated or passed on `known` (and so knows
    /// anyway): hidden when there are fewer than `threshold` and the viewer does not know
    /// them all.
    pub fn of(count: u64, known: u64, threshold: u64) -> Cell {
        if count > 0 && count < threshold && known < count {
            Cell::Suppressed
        } else {
            Cell::Count(count)
        }
    }

    pub fn count(self) -> Option<u64> {
        match self {
            Cell::Count(n) => Some(n),
            Cell::Suppressed => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_and_years_are_the_fiscal_ones() {
        let q = |m: &str| Period::Quarter.of_month(m).unwrap();
        assert_eq!(q("2026-04"), "2026-Q1");
        assert_eq!(q("2026-06"), "2026-Q1");
        assert_eq!(q("2026-07"), "2026-Q2");
        assert_eq!(q("2026-12"), "2026-Q3");
        assert_eq!(q("2027-01"), "2026-Q4");
        assert_eq!(q("2027-03"), "2026-Q4");
        assert_eq!(Period::FiscalYear.of_month("2027-03").unwrap(), "2026");
        assert_eq!(Period::Month.of_month("2027-3").unwrap(), "2027-03");
        assert_eq!(Period::Month.of_month("2027-13"), None);
        assert_eq!(Period::Month.of_month(""), None);
    }

    #[test]
    fn a_small_cell_is_hidden_unless_the_viewer_knows_every_item_in_it() {
        assert_eq!(Cell::of(0, 0, 3), Cell::Count(0));
        assert_eq!(Cell::of(1, 0, 3), Cell::Suppressed);
        assert_eq!(Cell::of(2, 0, 3), Cell::Suppressed);
        assert_eq!(Cell::of(3, 0, 3), Cell::Count(3));
        assert_eq!(
            Cell::of(2, 2, 3),
            Cell::Count(2),
            "the route knows them all"
        );
        assert_eq!(Cell::of(2, 1, 3), Cell::Suppressed);
        assert_eq!(
            Cell::of(5, 1, 3),
            Cell::Count(5),
            "five are not a small cell"
        );
        assert_eq!(
            Cell::of(1, 0, 1),
            Cell::Count(1),
            "a threshold of 1 hides nothing"
        );
    }

    #[test]
    fn medians_take_the_lower_middle() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5]), Some(5));
        assert_eq!(median(&mut [9, 1, 5]), Some(5));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2));
    }
}
