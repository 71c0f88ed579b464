//! Small pieces every page uses: select options from the code taxonomies, times in JST,
//! durations and waits in Japanese, the ■/□ marks of the paper forms, the CSRF check and the
//! 404 page. Words come from the message catalogue.

// A page handler's natural error is the error page itself, returned at once, never stored.
#![allow(clippy::result_large_err)]

use axum::http::StatusCode;
use axum::response::Response;
use kyoyu_domain::Tlp;
use kyoyu_domain::messages::{Locale, ja, t};

use super::error_page;
use super::report_form::jst;
use crate::AppState;
use crate::auth::{PageAuth, csrf_ok};

pub fn t_ja(key: &str) -> &'static str {
    t(Locale::Ja, key)
}

pub struct Opt {
    pub code: String,
    pub label: String,
    pub help: String,
}

pub struct OptGroup {
    pub label: String,
    pub options: Vec<Opt>,
}

pub fn opts<T: Copy>(
    all: &[T],
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Vec<Opt> {
    all.iter()
        .map(|v| Opt {
            code: code(*v).to_owned(),
            label: label(*v).to_owned(),
            help: String::new(),
        })
        .collect()
}

pub fn tlp_opt(v: Tlp) -> Opt {
    Opt {
        code: v.code().to_owned(),
        label: v.label().to_owned(),
        help: v.meaning().to_owned(),
    }
}

pub fn tlp_opts() -> Vec<Opt> {
    Tlp::ALL.iter().map(|v| tlp_opt(*v)).collect()
}

/// The services of every sector that has any, grouped by sector (表3), for a select.
pub fn service_groups(state: &AppState) -> Vec<OptGroup> {
    state
        .core
        .reference()
        .sectors
        .iter()
        .filter(|s| !s.services.is_empty())
        .map(|s| OptGroup {
            label: s.name_ja.clone(),
            options: s
                .services
                .iter()
                .map(|v| Opt {
                    code: v.code.clone(),
                    label: v.name_ja.clone(),
                    help: v.sml_ja.clone(),
                })
                .collect(),
        })
        .collect()
}

pub fn sector_opts(state: &AppState) -> Vec<Opt> {
    state
        .core
        .reference()
        .sectors
        .iter()
        .map(|s| Opt {
            code: s.code.clone(),
            label: s.name_ja.clone(),
            help: String::new(),
        })
        .collect()
}

/// A stored time (RFC 3339) as the UI shows it: JST to the minute.
pub fn show_time(ts: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(ts)
        .map(|t| t.with_timezone(&jst()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| ts.to_owned())
}

/// How long since `ts` at `now`, in Japanese (「3時間経過」).
pub fn waited(ts: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(ts) else {
        return String::new();
    };
    let mins = (now - t.with_timezone(&chrono::Utc)).num_minutes().max(0);
    let text = if mins < 60 {
        ja("time.minutes", &[("n", &mins.to_string())])
    } else if mins < 48 * 60 {
        ja("time.hours", &[("n", &(mins / 60).to_string())])
    } else {
        ja("time.days", &[("n", &(mins / (24 * 60)).to_string())])
    };
    ja("report.waiting", &[("time", &text)])
}

/// A duration in Japanese (「5分12秒」), or 「未」 when it has not happened.
pub fn duration(secs: Option<i64>) -> String {
    match secs {
        None => t_ja("advisory.not_yet").to_owned(),
        Some(s) if s < 60 => ja("time.seconds", &[("s", &s.to_string())]),
        Some(s) if s < 3600 => ja(
            "time.minutes_seconds",
            &[("m", &(s / 60).to_string()), ("s", &(s % 60).to_string())],
        ),
        Some(s) => ja(
            "time.hours_minutes",
            &[
                ("h", &(s / 3600).to_string()),
                ("m", &((s % 3600) / 60).to_string()),
            ],
        ),
    }
}

/// `■label` for the chosen options, `□label` for the others, as on the paper form.
pub fn marks<T: Copy + PartialEq>(
    all: &[T],
    chosen: &[T],
    label: impl Fn(T) -> &'static str,
) -> String {
    all.iter()
        .map(|v| {
            format!(
                "{}{}",
                if chosen.contains(v) { "■" } else { "□" },
                label(*v)
            )
        })
        .collect::<Vec<_>>()
        .join("　")
}

/// 有/無 as marks on the paper form.
pub fn yes_no_marks(b: Option<bool>) -> String {
    format!(
        "{}{}　{}{}",
        if b == Some(true) { "■" } else { "□" },
        t_ja("report.yes"),
        if b == Some(false) { "■" } else { "□" },
        t_ja("report.no")
    )
}

/// 有/無, or nothing when unanswered.
pub fn yes_no(b: Option<bool>) -> String {
    match b {
        Some(true) => t_ja("report.yes").to_owned(),
        Some(false) => t_ja("report.no").to_owned(),
        None => String::new(),
    }
}

pub fn when(t: &Option<chrono::DateTime<chrono::FixedOffset>>) -> String {
    t.as_ref()
        .map(|t| t.with_timezone(&jst()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// A datetime the way the paper forms print it, in the era calendar (「令和8年11月22日 09時30分」).
pub fn print_time(t: &chrono::DateTime<chrono::FixedOffset>) -> String {
    kyoyu_domain::wareki::era_datetime(t.with_timezone(&jst()).naive_local())
}

/// 「第N報」.
pub fn edition_label(n: u32) -> String {
    ja("common.edition", &[("n", &n.to_string())])
}

/// 「【訓練】」 for an exercise.
pub fn drill_prefix(exercise: bool) -> &'static str {
    if exercise {
        t_ja("report.exercise_prefix")
    } else {
        ""
    }
}

pub fn check_csrf(auth: &PageAuth, submitted: &str) -> Result<(), Response> {
    if csrf_ok(&auth.session.csrf, submitted) {
        Ok(())
    } else {
        Err(error_page(
            StatusCode::BAD_REQUEST,
            t_ja("error.csrf_invalid"),
        ))
    }
}

pub fn not_found_page() -> Response {
    error_page(StatusCode::NOT_FOUND, t_ja("error.not_found"))
}

pub fn bad_request_page() -> Response {
    error_page(StatusCode::BAD_REQUEST, t_ja("error.bad_request"))
}

/// A path id of a page; anything else is 404.
pub fn path_id<T: std::str::FromStr>(raw: &str) -> Result<T, Response> {
    raw.parse().map_err(|_| not_found_page())
}

/// A query-string value, percent-encoded.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
