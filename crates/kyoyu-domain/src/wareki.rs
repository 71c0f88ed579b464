//! Dates in the Japanese era calendar (和暦), as the printed forms carry them: 令和元年5月20日.
//! The first year of an era is 元年; dates before 昭和 are left in the Western calendar.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Offset, Timelike};

use crate::messages::ja;

/// The eras, newest first: the catalogue key of the name, and the first day.
const ERAS: [(&str, i32, u32, u32); 3] = [
    ("wareki.reiwa", 2019, 5, 1),
    ("wareki.heisei", 1989, 1, 8),
    ("wareki.showa", 1926, 12, 25),
];

/// The first year of the current era (令和) in the Western calendar, for reading dates back.
pub const REIWA_FIRST_YEAR: i32 = 2019;

/// `令和元年5月20日`.
pub fn era_date(d: NaiveDate) -> String {
    let (month, day) = (d.month().to_string(), d.day().to_string());
    for (key, y, m, first) in ERAS {
        if NaiveDate::from_ymd_opt(y, m, first).is_some_and(|start| d >= start) {
            let n = d.year() - y + 1;
            let year = if n == 1 {
                ja("wareki.gannen", &[])
            } else {
                n.to_string()
            };
            let era = ja(key, &[]);
            return ja(
                "wareki.date",
                &[
                    ("era", &era),
                    ("year", &year),
                    ("month", &month),
                    ("day", &day),
                ],
            );
        }
    }
    let year = d.year().to_string();
    ja(
        "wareki.date",
        &[
            ("era", ""),
            ("year", &year),
            ("month", &month),
            ("day", &day),
        ],
    )
}

/// `令和元年5月20日 13時05分`.
pub fn era_datetime(t: NaiveDateTime) -> String {
    ja(
        "wareki.datetime",
        &[
            ("date", &era_date(t.date())),
            ("hour", &format!("{:02}", t.hour())),
            ("minute", &format!("{:02}", t.minute())),
        ],
    )
}

/// Japan Standard Time, in which months and fiscal years are counted.
pub fn jst() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(9 * 3600).unwrap_or(chrono::Utc.fix())
}

/// The month (`2026-04`) of an instant, in Japan.
pub fn month_jst(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&jst()).format("%Y-%m").to_string()
}

/// The Japanese fiscal year (年度, April to March) of an instant in Japan: 2026 for
/// 2026-04-01 to 2027-03-31.
pub fn fiscal_year(t: chrono::DateTime<chrono::Utc>) -> i32 {
    let local = t.with_timezone(&jst());
    if local.month() >= 4 {
        local.year()
    } else {
        local.year() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn eras_begin_on_their_first_day_with_gannen() {
        assert_eq!(era_date(d(2019, 5, 20)), "令和元年5月20日");
        assert_eq!(era_date(d(2019, 5, 1)), "令和元年5月1日");
        assert_eq!(era_date(d(2019, 4, 30)), "平成31年4月30日");
        assert_eq!(era_date(d(2026, 12, 2)), "令和8年12月2日");
        assert_eq!(era_date(d(1989, 1, 8)), "平成元年1月8日");
        assert_eq!(era_date(d(1989, 1, 7)), "昭和64年1月7日");
        assert_eq!(era_date(d(1900, 1, 1)), "1900年1月1日");
    }

    #[test]
    fn times_are_to_the_minute() {
        let t = d(2019, 5, 20).and_hms_opt(9, 5, 59).unwrap_or_default();
        assert_eq!(era_datetime(t), "令和元年5月20日 09時05分");
    }

    #[test]
    fn fiscal_years_turn_on_the_first_of_april_in_japan() {
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        assert_eq!(fiscal_year(at("2026-03-31T14:59:59Z")), 2025);
        assert_eq!(fiscal_year(at("2026-03-31T15:00:00Z")), 2026);
        assert_eq!(month_jst(at("2026-03-31T15:00:00Z")), "2026-04");
        assert_eq!(fiscal_year(at("2027-03-31T10:00:00+09:00")), 2026);
        assert_eq!(fiscal_year(at("2026-12-31T23:00:00Z")), 2026);
    }
}
