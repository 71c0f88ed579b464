//! Lists as CSV for Excel: UTF-8 with a byte-order mark (so that Excel reads Japanese
//! correctly), CRLF line ends, and every cell that a spreadsheet would run as a formula
//! (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) made inert with a leading
//! apostrophe, as OWASP advises for CSV injection. The same lists as an Excel sheet, every cell
//! text.

/// The byte-order mark Excel needs to read the file as UTF-8.
const BOM: &[u8] = "\u{feff}".as_bytes();

/// A cell that cannot be run as a formula.
pub fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// A CSV document: a header row and data rows, each cell made inert.
pub fn csv<R, C>(header: &[&str], rows: R) -> Result<Vec<u8>, csv::Error>
where
    R: IntoIterator<Item = C>,
    C: IntoIterator,
    C::Item: AsRef<str>,
{
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    w.write_record(header.iter().map(|h| inert(h).into_owned()))?;
    for row in rows {
        w.write_record(row.into_iter().map(|c| inert(c.as_ref()).into_owned()))?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// A list as one Excel sheet named `sheet`: the header bold and frozen with a filter, every
/// cell written as text (never a formula), the columns wide enough to read.
pub fn xlsx(
    sheet: &str,
    header: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet)?;
    let bold = Format::new().set_bold().set_background_color("D9E1F2");
    let wrap = Format::new().set_text_wrap();
    for (c, h) in header.iter().enumerate() {
        let col = u16::try_from(c).unwrap_or(u16::MAX);
        ws.write_string_with_format(0, col, *h, &bold)?;
        let widest = rows
            .iter()
            .filter_map(|r| r.get(c))
            .map(|v| v.chars().count())
            .chain([h.chars().count()])
            .max()
            .unwrap_or(8);
        // Japanese text is full width: two units a character, capped.
        ws.set_column_width(col, (widest as f64 * 2.0).clamp(6.0, 60.0))?;
    }
    for (r, row) in rows.iter().enumerate() {
        let line = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, v) in row.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            ws.write_string_with_format(line, col, v, &wrap)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    if !header.is_empty() {
        let last_col = u16::try_from(header.len() - 1).unwrap_or(u16::MAX);
        let last_row = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        ws.autofilter(0, 0, last_row, last_col)?;
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_inert_and_excel_reads_utf8() {
        let out = csv(
            &["識別番号", "概要"],
            [
                vec!["R1", "=HYPERLINK(\"http://x\")"],
                vec!["-1+2", "改ざん, \"引用\""],
            ],
        )
        .unwrap_or_default();
        assert!(out.starts_with(BOM));
        let text = String::from_utf8(out[BOM.len()..].to_vec()).unwrap_or_default();
        assert_eq!(
            text,
            "識別番号,概要\r\nR1,\"'=HYPERLINK(\"\"http://x\"\")\"\r\n'-1+2,\"改ざん, \"\"引用\"\"\"\r\n"
        );
    }
}
