//! One form as one worksheet, written and read by the same layout: column A the section,
//! B the label a person reads, C–F the value (merged), and G — hidden — the field's key, so
//! that a hand-filled copy is read by key whatever its labels or inserted rows. Drop-down
//! lists live on a hidden sheet of their own and every enumerated cell validates against
//! one. The TLP stands in colour under the title and in the header and footer of every
//! printed page.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use kyoyu_domain::Tlp;
use kyoyu_domain::messages::{Msg, ja};
use rust_xlsxwriter::{
    Color, DataValidation, ExcelDateTime, Format, FormatAlign, FormatBorder, Formula, Workbook,
    Worksheet, XlsxError,
};

use crate::cells::{CellError, cell_name, jst};

/// The hidden column holding each row's key.
const KEY_COL: u16 = 6;
/// The hidden sheet of drop-down lists.
fn lists_sheet() -> &'static str {
    kyoyu_domain::messages::t(kyoyu_domain::messages::Locale::Ja, "workbook.lists_sheet")
}
/// The check mark a check cell offers.
pub(crate) const CHECK: &str = "✓";

/// What a value cell holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Empty,
    Text(String),
    Int(i64),
    Time(DateTime<FixedOffset>),
}

impl Val {
    pub(crate) fn text(s: &str) -> Val {
        if s.is_empty() {
            Val::Empty
        } else {
            Val::Text(s.to_owned())
        }
    }

    pub(crate) fn opt_text(s: &Option<String>) -> Val {
        s.as_deref().map_or(Val::Empty, Val::text)
    }

    pub(crate) fn opt_time(t: Option<DateTime<FixedOffset>>) -> Val {
        t.map_or(Val::Empty, Val::Time)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// A section heading across the row.
    Section,
    /// One value in C–F; `list` names the drop-down it validates against.
    Field {
        list: Option<&'static str>,
        tall: bool,
    },
    /// An option with a check cell in C (its explanation, if any, in D–F).
    Check,
    /// The heading of two-value rows: the titles of C and of D–F.
    PairHeader(String, String),
    /// A row of two values: C (validated by `list`, when given) and D–F.
    Pair { list: Option<&'static str> },
}

#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub key: String,
    /// Column A: the section or group this row opens.
    pub group: String,
    /// Column B.
    pub label: String,
    pub required: bool,
    pub kind: Kind,
    pub value: Val,
    /// D–F of a pair row, the explanation of a check row.
    pub second: Val,
}

impl Line {
    pub(crate) fn section(key: &str, title: &str) -> Line {
        Line::new(key, title, Kind::Section, Val::Empty).group(title)
    }

    pub(crate) fn new(key: &str, label: &str, kind: Kind, value: Val) -> Line {
        Line {
            key: key.to_owned(),
            group: String::new(),
            label: label.to_owned(),
            required: false,
            kind,
            value,
            second: Val::Empty,
        }
    }

    pub(crate) fn field(key: &str, label: &str, value: Val) -> Line {
        Line::new(
            key,
            label,
            Kind::Field {
                list: None,
                tall: false,
            },
            value,
        )
    }

    pub(crate) fn tall(key: &str, label: &str, value: Val) -> Line {
        Line::new(
            key,
            label,
            Kind::Field {
                list: None,
                tall: true,
            },
            value,
        )
    }

    pub(crate) fn pick(key: &str, label: &str, list: &'static str, value: Val) -> Line {
        Line::new(
            key,
            label,
            Kind::Field {
                list: Some(list),
                tall: false,
            },
            value,
        )
    }

    pub(crate) fn check(key: &str, label: &str, on: bool) -> Line {
        let value = if on { Val::text(CHECK) } else { Val::Empty };
        Line::new(key, label, Kind::Check, value)
    }

    pub(crate) fn required(mut self) -> Line {
        self.required = true;
        self
    }

    pub(crate) fn group(mut self, group: &str) -> Line {
        self.group = group.to_owned();
        self
    }

    pub(crate) fn second(mut self, v: Val) -> Line {
        self.second = v;
        self
    }
}

/// A whole form sheet.
pub(crate) struct Layout {
    pub sheet: &'static str,
    pub title: String,
    pub tlp: Tlp,
    pub lines: Vec<Line>,
    /// Drop-down lists by name, each a column of the hidden sheet.
    pub lists: Vec<(&'static str, Vec<String>)>,
}

/// The TLP as the page header and the banner show it.
fn tlp_banner(tlp: Tlp) -> String {
    format!("TLP:{} — {}", tlp.code().to_ascii_uppercase(), tlp.label())
}

/// TLP 2.0 colours (CLEAR/WHITE is shown on black so it stays visible).
fn tlp_colours(tlp: Tlp) -> (u32, u32) {
    match tlp {
        Tlp::Red => (0xFF2B2B, 0x000000),
        Tlp::Amber => (0xFFC000, 0x000000),
        Tlp::Green => (0x33FF00, 0x000000),
        Tlp::White => (0x000000, 0xFFFFFF),
    }
}

struct Styles {
    title: Format,
    banner: Format,
    section: Format,
    label: Format,
    value: Format,
    time: Format,
    check: Format,
    hint: Format,
    /// Text that a spreadsheet would take for a formula when edited: kept text (`'` prefix).
    quoted: Format,
}

impl Styles {
    fn new(tlp: Tlp) -> Styles {
        let (bg, fg) = tlp_colours(tlp);
        let boxed = || {
            Format::new()
                .set_border(FormatBorder::Thin)
                .set_text_wrap()
                .set_align(FormatAlign::Top)
        };
        Styles {
            title: Format::new().set_bold().set_font_size(14),
            banner: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(bg))
                .set_font_color(Color::RGB(fg))
                .set_border(FormatBorder::Thin),
            section: boxed()
                .set_bold()
                .set_background_color(Color::RGB(0xDDE7F3)),
            label: boxed().set_background_color(Color::RGB(0xF2F2F2)),
            value: boxed(),
            time: boxed().set_num_format("yyyy/mm/dd hh:mm"),
            check: boxed().set_align(FormatAlign::Center),
            hint: boxed().set_font_color(Color::RGB(0x595959)),
            quoted: boxed().set_quote_prefix(),
        }
    }
}

fn column_letter(i: usize) -> String {
    let mut n = i + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn excel_time(t: DateTime<FixedOffset>) -> Result<ExcelDateTime, XlsxError> {
    let t = t.with_timezone(&jst());
    ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)?.and_hms(
        t.hour() as u16,
        t.minute() as u8,
        t.second(),
    )
}

fn write_val(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    v: &Val,
    s: &Styles,
    f: &Format,
) -> Result<(), XlsxError> {
    match v {
        Val::Empty => ws.write_blank(row, col, f).map(|_| ()),
        Val::Text(t) if t.starts_with(['=', '+', '-', '@']) => ws
            .write_string_with_format(row, col, t, &s.quoted)
            .map(|_| ()),
        Val::Text(t) => ws.write_string_with_format(row, col, t, f).map(|_| ()),
        Val::Int(n) => ws
            .write_number_with_format(row, col, *n as f64, f)
            .map(|_| ()),
        Val::Time(t) => ws
            .write_datetime_with_format(row, col, excel_time(*t)?, &s.time)
            .map(|_| ()),
    }
}

/// Rows a text needs at about 60 characters a row.
fn text_rows(v: &Val) -> u32 {
    match v {
        Val::Text(t) => t
            .lines()
            .map(|l| (l.chars().count() as u32).div_ceil(60).max(1))
            .sum::<u32>()
            .max(1),
        _ => 1,
    }
}

fn validation_list(lists: &[(&'static str, Vec<String>)], name: &str) -> Option<DataValidation> {
    let (i, (_, items)) = lists.iter().enumerate().find(|(_, (n, _))| *n == name)?;
    let col = column_letter(i);
    let formula = format!(
        "='{}'!${col}$1:${col}${}",
        lists_sheet(),
        items.len().max(1)
    );
    Some(
        DataValidation::new()
            .allow_list_formula(Formula::new(formula))
            .ignore_blank(true),
    )
}

/// The workbook of `layout`, as .xlsx bytes.
pub(crate) fn write(layout: &Layout) -> Result<Vec<u8>, XlsxError> {
    let s = Styles::new(layout.tlp);
    let mut wb = Workbook::new();
    {
        let ws = wb.add_worksheet();
        ws.set_name(layout.sheet)?;
        for (col, width) in [
            (0, 18.0),
            (1, 30.0),
            (2, 20.0),
            (3, 20.0),
            (4, 20.0),
            (5, 20.0),
        ] {
            ws.set_column_width(col, width)?;
        }
        ws.set_column_hidden(KEY_COL)?;
        let banner = tlp_banner(layout.tlp);
        ws.set_header(format!("&C&\"-,Bold\"{banner}"));
        ws.set_footer(format!("&L{banner}&R&P / &N"));
        ws.set_paper_size(9);
        ws.set_print_fit_to_pages(1, 0);
        ws.merge_range(0, 0, 0, 5, &layout.title, &s.title)?;
        ws.merge_range(1, 0, 1, 5, &banner, &s.banner)?;
        let check = DataValidation::new()
            .allow_list_strings(&[CHECK])?
            .ignore_blank(true);
        for (i, line) in layout.lines.iter().enumerate() {
            let row = i as u32 + 2;
            ws.write_string(row, KEY_COL, &line.key)?;
            let label = if line.required {
                format!("{} *", line.label)
            } else {
                line.label.clone()
            };
            match &line.kind {
                Kind::Section => {
                    ws.merge_range(row, 0, row, 5, &label, &s.section)?;
                    continue;
                }
                _ => {
                    ws.write_string_with_format(row, 0, &line.group, &s.label)?;
                    ws.write_string_with_format(row, 1, &label, &s.label)?;
                }
            }
            match &line.kind {
                Kind::Section => {}
                Kind::Field { list, tall } => {
                    ws.merge_range(row, 2, row, 5, "", &s.value)?;
                    write_val(ws, row, 2, &line.value, &s, &s.value)?;
                    if let Some(dv) = list.and_then(|l| validation_list(&layout.lists, l)) {
                        ws.add_data_validation(row, 2, row, 2, &dv)?;
                    }
                    if *tall {
                        ws.set_row_height(row, 15.0 * text_rows(&line.value).clamp(3, 25) as f64)?;
                    }
                }
                Kind::Check => {
                    write_val(ws, row, 2, &line.value, &s, &s.check)?;
                    ws.add_data_validation(row, 2, row, 2, &check)?;
                    ws.merge_range(row, 3, row, 5, "", &s.hint)?;
                    write_val(ws, row, 3, &line.second, &s, &s.hint)?;
                }
                Kind::PairHeader(first, second) => {
                    ws.write_string_with_format(row, 2, first, &s.label)?;
                    ws.merge_range(row, 3, row, 5, second, &s.label)?;
                }
                Kind::Pair { list } => {
                    write_val(ws, row, 2, &line.value, &s, &s.value)?;
                    if let Some(dv) = list.and_then(|l| validation_list(&layout.lists, l)) {
                        ws.add_data_validation(row, 2, row, 2, &dv)?;
                    }
                    ws.merge_range(row, 3, row, 5, "", &s.value)?;
                    write_val(ws, row, 3, &line.second, &s, &s.value)?;
                    let rows = text_rows(&line.second);
                    if rows > 1 {
                        ws.set_row_height(row, 15.0 * rows.min(25) as f64)?;
                    }
                }
            }
        }
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(lists_sheet())?;
        for (col, (_, items)) in layout.lists.iter().enumerate() {
            for (row, item) in items.iter().enumerate() {
                ws.write_string(row as u32, col as u16, item)?;
            }
        }
        ws.set_hidden(true);
    }
    wb.save_to_buffer()
}

/// A cell found by its row's key.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub cell: String,
    /// What the row's label says (for messages).
    pub label: String,
    pub data: Data,
}

impl Found {
    pub(crate) fn error(&self, message: Msg) -> CellError {
        CellError {
            cell: self.cell.clone(),
            label: self.label.clone(),
            message: message.ja(),
        }
    }
}

/// A two-value row: C and D.
#[derive(Debug, Clone)]
pub(crate) struct PairRow {
    pub first: Found,
    pub second: Found,
}

/// What a filled sheet holds, by key.
#[derive(Debug, Default)]
pub(crate) struct Filled {
    /// The value cell (C) of each keyed row.
    pub cells: BTreeMap<String, Found>,
    /// Pair rows by the key of their heading's group (e.g. `timeline`), top to bottom.
    pub pairs: BTreeMap<String, Vec<PairRow>>,
}

impl Filled {
    pub(crate) fn get(&self, key: &str) -> Option<&Found> {
        self.cells.get(key)
    }

    pub(crate) fn pairs(&self, key: &str) -> &[PairRow] {
        self.pairs.get(key).map(Vec::as_slice).unwrap_or(&[])
    }
}

fn plain(d: Option<&Data>) -> String {
    match d {
        Some(Data::String(s)) => s.trim().to_owned(),
        _ => String::new(),
    }
}

fn workbook_error(message: Msg) -> CellError {
    CellError {
        cell: String::new(),
        label: String::new(),
        message: message.ja(),
    }
}

/// Reads the sheet `sheet` of an .xlsx file by its row keys. Pair rows are rows keyed
/// `<key>`, or unkeyed rows after the `<key>.header` row (inserted by hand), up to the next
/// keyed row.
pub(crate) fn read(bytes: &[u8], sheet: &str) -> Result<Filled, CellError> {
    // calamine panics on some malformed sheets (fuzzing found an arithmetic overflow in its
    // parsing of a cell reference, `fuzz/regressions/report_xlsx/`): such a file is as
    // unreadable as any other broken one, and must not take the request down with it.
    let parsed = std::panic::catch_unwind(|| {
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
            .map_err(|_| workbook_error(Msg::new("workbook.not_xlsx")))?;
        wb.worksheet_range(sheet)
            .map_err(|_| workbook_error(Msg::new("workbook.no_sheet").arg("sheet", sheet)))
    });
    let range = match parsed {
        Ok(range) => range?,
        Err(_) => return Err(workbook_error(Msg::new("workbook.not_xlsx"))),
    };
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let at = |row: &[Data], col: u32| -> Option<Data> {
        col.checked_sub(c0)
            .and_then(|c| row.get(c as usize))
            .cloned()
    };
    let mut filled = Filled::default();
    let mut pair_group: Option<(String, String, String)> = None;
    for (i, row) in range.rows().enumerate() {
        let r = r0.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
        let key = plain(at(row, KEY_COL as u32).as_ref());
        let label = plain(at(row, 1).as_ref())
            .trim_end_matches('*')
            .trim()
            .to_owned();
        let found = |col: u32, label: &str| Found {
            cell: cell_name(r, col as u16),
            label: label.to_owned(),
            data: at(row, col).unwrap_or(Data::Empty),
        };
        if let Some(group) = key.strip_suffix(".header") {
            let first = plain(at(row, 2).as_ref());
            let second = plain(at(row, 3).as_ref());
            pair_group = Some((group.to_owned(), first, second));
            continue;
        }
        match &pair_group {
            Some((group, first, second)) if key.is_empty() || key == *group => {
                let first = found(2, &format!("{label}{}", bracket(first)));
                let second = found(3, &format!("{label}{}", bracket(second)));
                if !is_blank(&first.data) || !is_blank(&second.data) {
                    filled
                        .pairs
                        .entry(group.clone())
                        .or_default()
                        .push(PairRow { first, second });
                }
                continue;
            }
            _ => {}
        }
        if key.is_empty() {
            continue;
        }
        pair_group = None;
        filled.cells.insert(key, found(2, &label));
    }
    if filled.cells.is_empty() {
        return Err(workbook_error(
            Msg::new("workbook.not_kyoyu").arg("sheet", sheet),
        ));
    }
    Ok(filled)
}

fn bracket(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        ja("workbook.column_in_row", &[("column", s)])
    }
}

pub(crate) fn is_blank(d: &Data) -> bool {
    match d {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}
