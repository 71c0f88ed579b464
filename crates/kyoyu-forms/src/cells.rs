//! Reading one cell as what the form expects — text, a number, a datetime, 有/無, a choice
//! from a list, a check mark — and saying in Japanese, by cell, what is wrong with it.

use calamine::Data;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use kyoyu_domain::messages::Msg;

use crate::sheet::{CHECK, Found, is_blank};

/// A problem with one cell: 「C23 ②原因: 'XYZ' は選択肢にありません」.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CellError {
    /// The cell's address (`C23`); empty for a problem with the whole file.
    pub cell: String,
    /// The row's label as the sheet shows it.
    pub label: String,
    pub message: String,
}

impl std::fmt::Display for CellError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.cell.is_empty(), self.label.is_empty()) {
            (true, _) => f.write_str(&self.message),
            (false, true) => write!(f, "{} {}", self.cell, self.message),
            (false, false) => write!(f, "{} {}: {}", self.cell, self.label, self.message),
        }
    }
}

/// Japan Standard Time, in which the sheets show times.
pub(crate) fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).unwrap_or_else(|| chrono::Offset::fix(&chrono::Utc))
}

/// `C23` for the zero-based row 22, column 2.
pub(crate) fn cell_name(row: u32, col: u16) -> String {
    let mut n = u32::from(col) + 1;
    let mut letters = Vec::new();
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        String::from_utf8_lossy(&letters),
        u64::from(row) + 1
    )
}

/// Collects the problems of a sheet while it is read.
#[derive(Debug, Default)]
pub(crate) struct Problems(pub Vec<CellError>);

impl Problems {
    pub(crate) fn push(&mut self, e: CellError) {
        self.0.push(e);
    }
}

/// What a cell shows, as text ("" when empty).
pub(crate) fn text(f: Option<&Found>) -> String {
    let Some(f) = f else {
        return String::new();
    };
    match &f.data {
        Data::String(s) => s.replace("\r\n", "\n"),
        Data::Int(n) => n.to_string(),
        Data::Float(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", *x as i64),
        Data::Float(x) => x.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(d) => {
            let (y, mo, da, h, mi, s, _) = d.to_ymd_hms_milli();
            format!("{y:04}/{mo:02}/{da:02} {h:02}:{mi:02}:{s:02}")
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

/// Optional text: `None` when the cell is empty.
pub(crate) fn opt_text(f: Option<&Found>) -> Option<String> {
    let t = text(f);
    if t.trim().is_empty() { None } else { Some(t) }
}

fn trimmed(f: &Found) -> String {
    text(Some(f)).trim().to_owned()
}

pub(crate) fn int(f: Option<&Found>, p: &mut Problems) -> Option<i64> {
    let f = f?;
    match &f.data {
        Data::Int(n) => Some(*n),
        Data::Float(x) if x.fract() == 0.0 => Some(*x as i64),
        d if is_blank(d) => None,
        _ => {
            let t = trimmed(f);
            let digits: String = t
                .trim_start_matches('第')
                .trim_end_matches('報')
                .chars()
                .map(|c| match c {
                    '０'..='９' => {
                        char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c)
                    }
                    c => c,
                })
                .collect();
            match digits.trim().parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    p.push(f.error(Msg::new("workbook.bad_number").arg("value", &t)));
                    None
                }
            }
        }
    }
}

/// The edition (第N報): a whole number from 1; 1 when empty.
pub(crate) fn edition(f: Option<&Found>, p: &mut Problems) -> u32 {
    match int(f, p) {
        Some(n) if (1..=i64::from(u32::MAX)).contains(&n) => n as u32,
        Some(_) => {
            if let Some(f) = f {
                p.push(f.error(Msg::new("invalid.edition_min")));
            }
            1
        }
        None => 1,
    }
}

/// A required cell left empty: the form's own "required" error, on its cell.
pub(crate) fn missing(f: Option<&Found>, label: &str, p: &mut Problems) {
    if let Some(f) = f
        && is_blank(&f.data)
    {
        p.push(f.error(Msg::new("invalid.required").arg("field", label)));
    }
}

/// A datetime: an Excel date cell (read as JST), or text such as `2019/05/20 13:00`,
/// `2019-05-20T13:00:00+09:00`, `2019年5月20日 13時00分` or `令和元年5月20日 13:00`.
pub(crate) fn time(f: Option<&Found>, p: &mut Problems) -> Option<DateTime<FixedOffset>> {
    let f = f?;
    let naive = match &f.data {
        d if is_blank(d) => return None,
        Data::DateTime(d) => {
            let (y, mo, da, h, mi, s, _) = d.to_ymd_hms_milli();
            NaiveDate::from_ymd_opt(y as i32, mo as u32, da as u32)
                .and_then(|d| d.and_hms_opt(h as u32, mi as u32, s as u32))
        }
        Data::Float(x) => serial(*x),
        Data::Int(n) => serial(*n as f64),
        _ => {
            let t = trimmed(f);
            if let Ok(t) = DateTime::parse_from_rfc3339(&t) {
                return Some(t);
            }
            parse_local(&t)
        }
    };
    match naive.and_then(|n| jst().from_local_datetime(&n).single()) {
        Some(t) => Some(t),
        None => {
            p.push(f.error(Msg::new("workbook.bad_datetime").arg("value", trimmed(f))));
            None
        }
    }
}

/// An Excel serial date (1900 system) as a local time.
fn serial(x: f64) -> Option<NaiveDateTime> {
    if !(1.0..2_958_466.0).contains(&x) {
        return None;
    }
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let secs = (x * 86_400.0).round() as i64;
    base.checked_add_signed(chrono::Duration::seconds(secs))
}

/// Local date-times as people type them.
fn parse_local(t: &str) -> Option<NaiveDateTime> {
    let t = to_ascii_digits(t);
    let t = reiwa_to_gregorian(&t).unwrap_or(t);
    let t = t
        .replace(['年', '月'], "/")
        .replace('日', " ")
        .replace('時', ":")
        .replace('分', "")
        .replace('T', " ");
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    for fmt in [
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(&t, fmt) {
            return Some(n);
        }
    }
    for fmt in ["%Y/%m/%d", "%Y-%m-%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(t.trim(), fmt) {
            return Some(d.and_time(NaiveTime::MIN));
        }
    }
    None
}

fn to_ascii_digits(t: &str) -> String {
    t.chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '／' => '/',
            '：' => ':',
            '－' => '-',
            '　' => ' ',
            c => c,
        })
        .collect()
}

/// `令和N年…` (元年 = 1) as `YYYY/…`.
fn reiwa_to_gregorian(t: &str) -> Option<String> {
    let rest = t.strip_prefix(word("wareki.reiwa"))?;
    let (n, rest) = rest.split_once('年')?;
    let n: i32 = if n.trim() == word("wareki.gannen") {
        1
    } else {
        n.trim().parse().ok()?
    };
    // The year as `YYYY/`, which `parse_local` reads as it reads `YYYY年`; a year past any
    // calendar is no date (and no overflow).
    let year = (kyoyu_domain::wareki::REIWA_FIRST_YEAR - 1).checked_add(n)?;
    Some(format!("{year}/{rest}"))
}

fn word(key: &str) -> &'static str {
    kyoyu_domain::messages::t(kyoyu_domain::messages::Locale::Ja, key)
}

/// Whether `t` is one of the words (space-separated) of the catalogue entry `key`.
fn one_of(t: &str, key: &str) -> bool {
    word(key).split_whitespace().any(|w| w == t)
}

/// 有/無 (also はい/いいえ, あり/なし, TRUE/FALSE).
pub(crate) fn yes_no(f: Option<&Found>, p: &mut Problems) -> Option<bool> {
    let f = f?;
    if let Data::Bool(b) = f.data {
        return Some(b);
    }
    let t = trimmed(f);
    match t.as_str() {
        "" => None,
        t if one_of(t, "workbook.yes_words") => Some(true),
        t if one_of(t, "workbook.no_words") => Some(false),
        _ => {
            p.push(f.error(Msg::new("workbook.bad_yes_no").arg("value", &t)));
            None
        }
    }
}

/// Whether a check cell is checked.
pub(crate) fn checked(f: Option<&Found>, p: &mut Problems) -> bool {
    let Some(f) = f else {
        return false;
    };
    let t = trimmed(f);
    match t.as_str() {
        "" | "□" | "☐" => false,
        CHECK => true,
        t if one_of(t, "workbook.check_words") => true,
        _ => {
            p.push(f.error(Msg::new("workbook.bad_check").arg("value", &t)));
            false
        }
    }
}

/// One option of a list: the value, the label the list shows, and other spellings accepted.
pub(crate) struct Choice<T> {
    pub value: T,
    pub label: String,
    pub aliases: Vec<String>,
}

fn squash(s: &str) -> String {
    to_ascii_digits(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

/// The option a cell names (by its label or one of its aliases).
pub(crate) fn pick<T: Copy>(
    f: Option<&Found>,
    choices: &[Choice<T>],
    p: &mut Problems,
) -> Option<T> {
    let f = f?;
    let t = trimmed(f);
    if t.is_empty() {
        return None;
    }
    let want = squash(&t);
    let hit = choices
        .iter()
        .find(|c| squash(&c.label) == want || c.aliases.iter().any(|a| squash(a) == want));
    match hit {
        Some(c) => Some(c.value),
        None => {
            let labels: Vec<&str> = choices.iter().map(|c| c.label.as_str()).collect();
            p.push(
                f.error(
                    Msg::new("workbook.not_in_list")
                        .arg("value", &t)
                        .arg("choices", labels.join("、")),
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_type_datetimes_in_several_ways() {
        let want = NaiveDate::from_ymd_opt(2019, 5, 20).and_then(|d| d.and_hms_opt(13, 0, 0));
        for t in [
            "2019/05/20 13:00",
            "2019-05-20 13:00:00",
            "２０１９／０５／２０　１３：００",
            "2019年5月20日 13時00分",
            "令和元年5月20日 13時00分",
        ] {
            assert_eq!(parse_local(t), want, "{t}");
        }
        assert_eq!(
            parse_local("令和8年12月2日"),
            NaiveDate::from_ymd_opt(2026, 12, 2).and_then(|d| d.and_hms_opt(0, 0, 0))
        );
        assert_eq!(parse_local("きのう"), None);
        assert_eq!(cell_name(22, 2), "C23");
        assert_eq!(cell_name(0, 26), "AA1");
    }

    #[test]
    fn years_and_cells_past_any_calendar_or_sheet_are_no_panic() {
        // Found by fuzzing: a 令和 year near i32::MAX overflowed the era arithmetic.
        assert_eq!(parse_local("令和2147483647年1月1日 10:00"), None);
        assert_eq!(parse_local("令和-2147483648年1月1日"), None);
        assert_eq!(cell_name(u32::MAX, u16::MAX), "CRXP4294967296");
    }
}
