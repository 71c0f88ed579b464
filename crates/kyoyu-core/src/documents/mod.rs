//! The forms and lists as documents people exchange by e-mail and print: the Excel 様式 of a
//! report edition or an advisory (and blank ones to fill by hand), a filled sheet taken in as a
//! draft, and lists as CSV. Every export starts from what the scoped reader answered for the
//! caller — the same view, anonymisation included, as the page — and is recorded in the audit
//! log like a read; an import goes through the same use case as a form sent from the page.

pub(crate) mod csv;
mod item_csv;
mod xlsx;

pub use crate::reports::Download;

/// `R1-2_第2報_情報連絡様式.xlsx` (catalogue `documents.file_name`): the number when there is
/// one, the edition, the form.
pub fn file_name(number: Option<&str>, edition: u32, form: &str, ext: &str) -> String {
    let number = number
        .filter(|n| !n.is_empty())
        .map(|n| format!("{n}_"))
        .unwrap_or_default();
    kyoyu_domain::messages::ja(
        "documents.file_name",
        &[
            ("number", &number),
            ("edition", &edition.to_string()),
            ("form", form),
            ("ext", ext),
        ],
    )
}
