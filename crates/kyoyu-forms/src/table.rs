//! Lists as CSV for Excel: UTF-8 with a byte-order mark (so that Excel reads Japanese
//! correctly), CRLF line ends, and every cell that a spreadsheet would run as a formula
//! (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) made inert with a leading
//! apostrophe, as OWASP advises for CSV injection.

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
