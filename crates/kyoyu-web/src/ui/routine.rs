//! 定例情報 (seed 000 Ⅳ, Ⅲ): the monthly security-update days for the coming year with the
//! out-of-band releases an administrator recorded, the routine sources as links, and the other
//! sharing frameworks with when to use which. The lists come from the reference data.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use kyoyu_domain::messages::fill;
use kyoyu_domain::routine::{Framework, RoutineSource, update_days};

use crate::AppState;
use crate::auth::PageAuth;
use crate::ui::widgets::t_ja;
use crate::ui::{Chrome, JA, L, render};

/// How many months of update days the page shows.
const MONTHS: u32 = 12;

pub struct DayLine {
    pub month: String,
    pub japan: String,
    pub us: String,
    pub wednesday: String,
    pub passed: bool,
    pub next: bool,
}

pub struct OutOfBandLine {
    pub date: String,
    pub vendor: String,
    pub note: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "routine.html")]
struct RoutineTpl {
    l: L,
    chrome: Chrome,
    days: Vec<DayLine>,
    out_of_band: Vec<OutOfBandLine>,
    sources: Vec<RoutineSource>,
    frameworks: Vec<Framework>,
}

/// 「2026年12月9日（水）」.
pub fn long_date(d: NaiveDate) -> String {
    let weekday = t_ja(&format!("weekday.{}", d.weekday().num_days_from_monday()));
    fill(
        t_ja("routine.date"),
        &[
            ("y", &d.year().to_string()),
            ("m", &d.month().to_string()),
            ("d", &d.day().to_string()),
            ("w", weekday),
        ],
    )
}

/// The line of the home page: 「次のセキュリティ更新日（日本）: 2026年12月9日（水）」.
pub fn next_update_line(today: NaiveDate) -> String {
    kyoyu_domain::routine::next_update_day(today)
        .map(|d| {
            fill(
                t_ja("routine.next_line"),
                &[("date", &long_date(d.japan_date))],
            )
        })
        .unwrap_or_default()
}

pub async fn page(State(state): State<AppState>, auth: PageAuth) -> Response {
    let reference = state.core.reference();
    let today = state.core.today_jst();
    let next = kyoyu_domain::routine::next_update_day(today).map(|d| d.japan_date);
    let days = update_days(today, MONTHS)
        .into_iter()
        .map(|d| DayLine {
            month: fill(
                t_ja("routine.month"),
                &[
                    ("y", &d.japan_date.year().to_string()),
                    ("m", &d.japan_date.month().to_string()),
                ],
            ),
            japan: long_date(d.japan_date),
            us: long_date(d.us_date),
            wednesday: fill(
                t_ja("routine.nth_wednesday"),
                &[("n", &d.wednesday.to_string())],
            ),
            passed: d.japan_date < today,
            next: Some(d.japan_date) == next,
        })
        .collect();
    // The out-of-band releases of the last year, newest first.
    let since = today
        .checked_sub_signed(chrono::Duration::days(366))
        .unwrap_or(today);
    let mut out_of_band: Vec<_> = reference
        .out_of_band
        .iter()
        .filter(|o| o.date >= since)
        .collect();
    out_of_band.sort_by_key(|o| std::cmp::Reverse(o.date));
    let out_of_band = out_of_band
        .into_iter()
        .map(|o| OutOfBandLine {
            date: long_date(o.date),
            vendor: o.vendor_ja.clone(),
            note: o.note_ja.clone(),
            url: o.url.clone(),
        })
        .collect();
    let tpl = RoutineTpl {
        l: JA,
        chrome: Chrome::for_session(&state, &auth.session, "routine").await,
        days,
        out_of_band,
        sources: reference.routine_sources.clone(),
        frameworks: reference.frameworks.clone(),
    };
    render(StatusCode::OK, &tpl)
}
