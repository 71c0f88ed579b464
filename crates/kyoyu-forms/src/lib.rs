//! The handbook's forms as documents people already exchange: the Excel 様式 of 図4 (情報連絡)
//! and 図7 (情報提供) out and back in — with drop-down lists, the TLP on every page, and every
//! problem of a filled sheet named by its cell — and lists as CSV for Excel.
//!
//! Pure: forms in, bytes out, and back. What a viewer may see is decided before a form gets
//! here (the core exports the view the scoped reader answered).

mod cells;
mod choices;
mod sheet;

pub mod advisory;
pub mod fuzz_entry;
pub mod report;
pub mod table;

pub use cells::CellError;

/// The content type of an .xlsx file.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Writing a workbook failed (a limit of the format, such as a text beyond 32,767 characters).
fn write_failed(e: rust_xlsxwriter::XlsxError) -> CellError {
    CellError {
        cell: String::new(),
        label: String::new(),
        message: kyoyu_domain::messages::Msg::new("workbook.write_failed")
            .arg("detail", e)
            .ja(),
    }
}
