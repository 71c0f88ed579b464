//! The statistics page: a fiscal year, a period and a dimension to choose; two charts (reports
//! per period, and per value of the dimension) drawn as SVG, each with its numbers as CSV; the
//! table with hidden small cells marked; median times; advisories and their receipt.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyoyu_core::stats::{MedianHours, Shown, StatDimension, Statistics, StatsRequest, StatsTable};
use kyoyu_domain::messages::ja;
use kyoyu_domain::stats::Period;
use serde::Deserialize;

use crate::AppState;
use crate::auth::MaybePageAuth;
use crate::ui::chart::{Bar, bars};
use crate::ui::documents::answer;
use crate::ui::widgets::{t_ja, urlencode};
use crate::ui::{Chrome, JA, L, Visitor, core_error_page, render};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StatsParams {
    pub fiscal_year: String,
    pub period: String,
    pub dimension: String,
    pub sector: String,
    /// For the CSV: `matrix`, `periods` or `breakdown`.
    pub table: String,
}

impl StatsParams {
    /// The request the page shows; unknown values fall back to the defaults. Without a
    /// fiscal year the page shows `latest` (`all` asks for every year).
    pub fn request(&self, latest: Option<i32>) -> StatsRequest {
        let year = self.fiscal_year.trim();
        StatsRequest {
            period: Period::from_code(&self.period).unwrap_or(Period::Month),
            dimension: StatDimension::from_code(&self.dimension),
            fiscal_year: match year {
                "" => latest,
                "all" => None,
                y => y.parse().ok(),
            },
            sector: Some(self.sector.trim().to_owned()).filter(|s| !s.is_empty()),
        }
    }

    fn csv(&self, table: &str) -> String {
        format!(
            "/statistics/export.csv?fiscal_year={}&period={}&dimension={}&sector={}&table={table}",
            urlencode(&self.fiscal_year),
            urlencode(&self.period),
            urlencode(&self.dimension),
            urlencode(&self.sector)
        )
    }
}

#[derive(Template)]
#[template(path = "statistics.html")]
struct StatsTpl {
    l: L,
    chrome: Chrome,
    scope_note: String,
    hidden_note: String,
    years: Vec<(String, String, bool)>,
    all_years: bool,
    periods: Vec<(String, String, bool)>,
    dimensions: Vec<(String, String, bool)>,
    periods_title: String,
    periods_chart: String,
    breakdown_title: String,
    breakdown_chart: String,
    table_title: String,
    columns: Vec<String>,
    rows: Vec<(String, Vec<String>, String)>,
    column_totals: Vec<String>,
    total: String,
    csv_matrix: String,
    csv_periods: String,
    csv_breakdown: String,
    occurred_to_reported: String,
    reported_to_numbered: String,
    advisories_total: String,
    advisory_bases: Vec<(String, String)>,
    deliveries: String,
    to_receipt: String,
    to_handling: String,
}

fn shown(c: &Shown) -> String {
    match c.count {
        Some(n) => n.to_string(),
        None => t_ja("stats.hidden").to_owned(),
    }
}

fn hours(m: &MedianHours) -> String {
    match m.hours {
        Some(h) => ja(
            "stats.median_hours",
            &[("hours", &format!("{h:.1}")), ("n", &m.n.to_string())],
        ),
        None => ja("stats.median_none", &[("n", &m.n.to_string())]),
    }
}

fn rate(part: u64, all: u64) -> String {
    if all == 0 {
        return "—".to_owned();
    }
    format!("{part}／{all}（{:.0}%）", part as f64 * 100.0 / all as f64)
}

fn dimension_label(d: StatDimension) -> String {
    t_ja(&format!("stats.dimension_{}", d.code())).to_owned()
}

fn page(s: &Statistics) -> (Vec<(String, String, bool)>, String, String) {
    let dim = StatDimension::from_code(s.dimension).unwrap_or(StatDimension::Sector);
    let dims = StatDimension::ALL
        .iter()
        .filter(|d| **d != StatDimension::Total)
        .map(|d| (d.code().to_owned(), dimension_label(*d), *d == dim))
        .collect();
    let period = Period::from_code(s.period).unwrap_or_default();
    let year = match s.fiscal_year {
        Some(y) => ja("search.fiscal_year", &[("year", &y.to_string())]),
        None => t_ja("stats.all_years").to_owned(),
    };
    (
        dims,
        ja(
            "stats.periods_title",
            &[("period", &period.label()), ("year", &year)],
        ),
        ja(
            "stats.breakdown_title",
            &[("dimension", &dimension_label(dim)), ("year", &year)],
        ),
    )
}

pub async fn statistics(
    State(state): State<AppState>,
    auth: MaybePageAuth,
    q: Result<Query<StatsParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let p = q.map(|Query(q)| q).unwrap_or_default();
    let actor = auth.actor();
    let latest = match state.core.fiscal_years(&actor).await {
        Ok(y) => y.first().copied(),
        Err(e) => return core_error_page(e),
    };
    let s = match state.core.statistics(&actor, &p.request(latest)).await {
        Ok(s) => s,
        Err(e) => return core_error_page(e),
    };
    let hidden = t_ja("stats.hidden");
    let (dimensions, periods_title, breakdown_title) = page(&s);
    let period_bars: Vec<Bar> = s
        .rows
        .iter()
        .map(|r| Bar {
            label: r.label.clone(),
            value: r.total.count,
        })
        .collect();
    let breakdown_bars: Vec<Bar> = s
        .columns
        .iter()
        .zip(&s.column_totals)
        .map(|(c, n)| Bar {
            label: c.label.clone(),
            value: n.count,
        })
        .collect();
    let period = Period::from_code(s.period).unwrap_or_default();
    let tpl = StatsTpl {
        l: JA,
        chrome: Chrome::for_visitor(&state, auth.session.as_ref(), "statistics").await,
        scope_note: t_ja(if auth.session.is_some() {
            "stats.scope_note"
        } else {
            "stats.scope_note_public"
        })
        .to_owned(),
        hidden_note: ja(
            "stats.hidden_note",
            &[("mark", hidden), ("threshold", &s.threshold.to_string())],
        ),
        years: s
            .fiscal_years
            .iter()
            .map(|y| {
                (
                    y.to_string(),
                    ja("search.fiscal_year", &[("year", &y.to_string())]),
                    s.fiscal_year == Some(*y),
                )
            })
            .collect(),
        all_years: s.fiscal_year.is_none(),
        periods: Period::ALL
            .iter()
            .map(|x| (x.code().to_owned(), x.label(), *x == period))
            .collect(),
        dimensions,
        periods_chart: bars("chart-periods", &periods_title, &period_bars, hidden),
        breakdown_chart: if breakdown_bars.is_empty() {
            String::new()
        } else {
            bars("chart-breakdown", &breakdown_title, &breakdown_bars, hidden)
        },
        periods_title,
        breakdown_title,
        table_title: t_ja("stats.table").to_owned(),
        columns: s.columns.iter().map(|c| c.label.clone()).collect(),
        rows: s
            .rows
            .iter()
            .map(|r| {
                (
                    r.label.clone(),
                    r.cells.iter().map(shown).collect(),
                    shown(&r.total),
                )
            })
            .collect(),
        column_totals: s.column_totals.iter().map(shown).collect(),
        total: shown(&s.total),
        csv_matrix: p.csv("matrix"),
        csv_periods: p.csv("periods"),
        csv_breakdown: p.csv("breakdown"),
        occurred_to_reported: hours(&s.occurred_to_reported),
        reported_to_numbered: hours(&s.reported_to_numbered),
        advisories_total: s.advisories.total.to_string(),
        advisory_bases: s
            .advisories
            .by_basis
            .iter()
            .map(|(_, label, n)| (format!("　{label}"), n.to_string()))
            .collect(),
        deliveries: s.advisories.deliveries.to_string(),
        to_receipt: format!(
            "{} {}",
            rate(s.advisories.received, s.advisories.deliveries),
            hours(&s.advisories.to_receipt)
        ),
        to_handling: format!(
            "{} {}",
            rate(s.advisories.handled, s.advisories.deliveries),
            hours(&s.advisories.to_handling)
        ),
    };
    render(StatusCode::OK, &tpl)
}

/// The numbers of the table or of one chart as CSV.
pub async fn statistics_csv(
    State(state): State<AppState>,
    auth: MaybePageAuth,
    q: Result<Query<StatsParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let p = q.map(|Query(q)| q).unwrap_or_default();
    let table = StatsTable::from_code(&p.table).unwrap_or(StatsTable::Matrix);
    let actor = auth.actor();
    let latest = match state.core.fiscal_years(&actor).await {
        Ok(y) => y.first().copied(),
        Err(e) => return core_error_page(e),
    };
    answer(
        state
            .core
            .statistics_csv(&actor, &p.request(latest), table)
            .await,
    )
}
