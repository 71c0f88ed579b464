//! The parsers of outside input as the fuzzers drive them (`fuzz/`), one function per target,
//! each taking arbitrary bytes the way the service takes them — a request body, a query, an
//! uploaded workbook, an administrator's reference file — parsing and then validating what
//! parsed. None may panic; `tests/fuzz_regressions.rs` replays every input the fuzzers ever
//! found here, so a fixed crash stays fixed.

use std::sync::OnceLock;

use kyoyu_domain::advisory::AdvisoryForm;
use kyoyu_domain::reference::ReferenceData;
use kyoyu_domain::report::ReportForm;
use kyoyu_domain::search::Query;

fn reference() -> &'static ReferenceData {
    static REFERENCE: OnceLock<ReferenceData> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        ReferenceData::bundled().unwrap_or_else(|e| unreachable!("the bundled reference data: {e}"))
    })
}

/// `POST /api/v1/reports`' `form`: JSON, then the form's own rules.
pub fn report_form_json(data: &[u8]) {
    if let Ok(form) = serde_json::from_slice::<ReportForm>(data) {
        let _ = form.validate(reference());
    }
}

/// `POST /api/v1/advisories`' `form`.
pub fn advisory_form_json(data: &[u8]) {
    if let Ok(form) = serde_json::from_slice::<AdvisoryForm>(data) {
        let _ = form.validate(reference());
    }
}

/// The `q` of `/search` and the lists.
pub fn search_query(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Query::parse(text);
    }
}

/// An uploaded 図4 workbook (zip bombs and hostile names included).
pub fn report_xlsx(data: &[u8]) {
    if let Ok(form) = crate::report::import(data, reference()) {
        let _ = form.validate(reference());
    }
}

/// An uploaded 図7 workbook.
pub fn advisory_xlsx(data: &[u8]) {
    if let Ok(form) = crate::advisory::import(data, reference()) {
        let _ = form.validate(reference());
    }
}

/// `kyoyu admin reference import FILE`.
pub fn reference_toml(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ReferenceData::from_toml(text);
    }
}
