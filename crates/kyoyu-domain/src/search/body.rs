//! What a search looks in: the searchable text of one view of a thread, or of an advisory,
//! as shown (the store keeps it for snippets and indexes it folded).

use crate::advisory::record::AdvisoryRecord;
use crate::report::thread::Presented;

/// Each text once, in order, one per line.
fn join<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut seen = std::collections::BTreeSet::new();
    let mut out: Vec<&str> = Vec::new();
    for t in texts {
        let t = t.trim();
        if !t.is_empty() && seen.insert(t) {
            out.push(t);
        }
    }
    out.join("\n")
}

/// Every text of every version of every edition a view shows (the form, its timeline rows)
/// and the names of the attachments it shows. Only what the view shows is here: past the
/// CEPTOAR an anonymised thread shows only its anonymised versions, so nobody there finds it
/// by a word anonymisation removed, while the CEPTOAR (which sees the reporter's version too)
/// does.
pub fn report_body(p: &Presented) -> String {
    let forms = p
        .editions
        .iter()
        .flat_map(|e| e.versions.iter())
        .map(|v| &v.form);
    let texts: Vec<&str> = forms
        .flat_map(|f| f.texts().into_iter().map(|(_, t)| t))
        .chain(p.attachments.iter().map(|a| a.file_name.as_str()))
        .collect();
    join(texts)
}

/// Every text of every edition of an advisory, and its attachments' names.
pub fn advisory_body(rec: &AdvisoryRecord) -> String {
    let texts: Vec<&str> = rec
        .editions
        .iter()
        .flat_map(|e| e.form.texts().into_iter().map(|(_, t)| t))
        .chain(rec.attachments.iter().map(|a| a.file_name.as_str()))
        .collect();
    join(texts)
}
