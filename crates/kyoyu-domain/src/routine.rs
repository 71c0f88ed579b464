//! Routine information (seed 000 Ⅳ) and the other sharing frameworks (Ⅲ): the calendar of the
//! monthly security-update day — the second Tuesday in the United States, the following day in
//! Japan (第２水曜又は第３水曜) — the out-of-band releases an administrator records, the routine
//! sources to check, and when to use which framework. The lists live in the reference data, so
//! that an administrator edits them as they edit the sectors (`kyoyu admin reference`).

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// A source to check routinely (Ⅳ 1.1, 1.2), shown as a link with what to expect there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RoutineSource {
    pub name_ja: String,
    /// An `https://` or `http://` address.
    pub url: String,
    #[serde(default)]
    pub note_ja: String,
}

/// A sharing framework beside the action plan's (Ⅲ), with when to use it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Framework {
    pub code: String,
    pub name_ja: String,
    /// When a reporter turns to it rather than (or besides) the action plan's route.
    pub when_ja: String,
    #[serde(default)]
    pub url: String,
}

/// A security update released outside the monthly day (例外措置, out of band).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OutOfBand {
    /// The day of release in Japan (`2026-12-18`, quoted or as a TOML date).
    #[serde(deserialize_with = "date_or_toml_date")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: NaiveDate,
    pub vendor_ja: String,
    #[serde(default)]
    pub note_ja: String,
    #[serde(default)]
    pub url: String,
}

/// A date written as an administrator writes it in the reference file: `date = 2026-12-18`
/// (a TOML local date) or `"2026-12-18"` (a string, as JSON and the exported file carry it).
fn date_or_toml_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Text(String),
        Toml(toml::value::Datetime),
    }
    let text = match Written::deserialize(d)? {
        Written::Text(t) => t,
        Written::Toml(t) => t.to_string(),
    };
    text.trim()
        .parse::<NaiveDate>()
        .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a date (YYYY-MM-DD)")))
}

/// One month's security-update day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateDay {
    /// The second Tuesday, US date.
    pub us_date: NaiveDate,
    /// The day after, when it is released in Japan.
    pub japan_date: NaiveDate,
    /// Which Wednesday of the month the Japanese day is: 2 or 3.
    pub wednesday: u8,
}

/// The second Tuesday of a month (US date), or none for a month that does not exist.
pub fn second_tuesday(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Tue, 2)
}

/// The update day of a month.
pub fn update_day(year: i32, month: u32) -> Option<UpdateDay> {
    let us_date = second_tuesday(year, month)?;
    let japan_date = us_date.checked_add_signed(Duration::days(1))?;
    // The Japanese day is a Wednesday; the how-manieth one it is follows from its day of month.
    let wednesday = u8::try_from(japan_date.day().div_ceil(7)).unwrap_or(0);
    Some(UpdateDay {
        us_date,
        japan_date,
        wednesday,
    })
}

/// The update days from the month of `from` on, `months` of them, skipping none: the day of
/// the current month is included even when it has passed, so that "this month's" is shown.
pub fn update_days(from: NaiveDate, months: u32) -> Vec<UpdateDay> {
    let mut out = Vec::new();
    let (mut year, mut month) = (from.year(), from.month());
    for _ in 0..months {
        if let Some(day) = update_day(year, month) {
            out.push(day);
        }
        if month == 12 {
            year += 1;
            month = 1;
        } else {
            month += 1;
        }
    }
    out
}

/// The next update day in Japan on or after `today`.
pub fn next_update_day(today: NaiveDate) -> Option<UpdateDay> {
    update_days(today, 2)
        .into_iter()
        .find(|d| d.japan_date >= today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn the_japanese_day_is_the_wednesday_after_the_second_tuesday() {
        // December 2026 begins on a Tuesday: the second Tuesday is the 8th, Japan the 9th,
        // the second Wednesday.
        let d = update_day(2026, 12).unwrap();
        assert_eq!(d.us_date, date(2026, 12, 8));
        assert_eq!(d.japan_date, date(2026, 12, 9));
        assert_eq!(d.wednesday, 2);
        // April 2026 begins on a Wednesday: the second Tuesday is the 14th, and the day after
        // is the third Wednesday (第３水曜).
        let d = update_day(2026, 4).unwrap();
        assert_eq!(d.us_date, date(2026, 4, 14));
        assert_eq!(d.japan_date, date(2026, 4, 15));
        assert_eq!(d.wednesday, 3);
        assert_eq!(d.japan_date.weekday(), Weekday::Wed);
    }

    #[test]
    fn an_out_of_band_release_reads_as_a_toml_date_or_a_string_and_round_trips() {
        use crate::reference::{BUNDLED, ReferenceData};
        let mut text = BUNDLED.to_owned();
        text.push_str("\n[[out_of_band]]\ndate = 2026-12-18\nvendor_ja = \"ベンダー\"\n");
        let data = ReferenceData::from_toml(&text).unwrap();
        assert_eq!(data.out_of_band[0].date, date(2026, 12, 18));
        assert_eq!(ReferenceData::from_toml(&data.to_toml()).unwrap(), data);
        let json = serde_json::to_string(&data).unwrap();
        assert_eq!(ReferenceData::from_json(&json).unwrap(), data);
        let bad = text.replace("2026-12-18", "\"12月18日\"");
        assert!(ReferenceData::from_toml(&bad).is_err());
    }

    #[test]
    fn a_year_of_days_crosses_the_year_and_every_one_is_a_wednesday() {
        let days = update_days(date(2026, 12, 20), 12);
        assert_eq!(days.len(), 12);
        assert_eq!(
            days[0].japan_date,
            date(2026, 12, 9),
            "this month's, passed"
        );
        assert_eq!(days[1].japan_date, date(2027, 1, 13));
        for d in &days {
            assert_eq!(d.japan_date.weekday(), Weekday::Wed, "{d:?}");
            assert!(matches!(d.wednesday, 2 | 3), "{d:?}");
        }
        assert_eq!(
            next_update_day(date(2026, 12, 20)).map(|d| d.japan_date),
            Some(date(2027, 1, 13))
        );
        assert_eq!(
            next_update_day(date(2026, 12, 9)).map(|d| d.japan_date),
            Some(date(2026, 12, 9)),
            "the day itself is still the next"
        );
    }
}
