//! The drop-down lists of the forms, from the code taxonomies and the reference data, and the
//! options each list accepts back (its label, and also the stable code).

use kyoyu_domain::codes::{
    AdvisoryBasis, Outlook, PressState, ReportBasis, Severity, SystemStatus, Tlp,
};
use kyoyu_domain::messages::ja;
use kyoyu_domain::reference::ReferenceData;

use crate::cells::Choice;

pub(crate) const YES_NO: &str = "yes_no";
pub(crate) const TLP: &str = "tlp";
pub(crate) const SEVERITY: &str = "severity";
pub(crate) const REPORT_BASIS: &str = "report_basis";
pub(crate) const ADVISORY_BASIS: &str = "advisory_basis";
pub(crate) const SECTOR: &str = "sector";
pub(crate) const MINISTRY: &str = "ministry";
pub(crate) const SYSTEM_STATUS: &str = "system_status";
pub(crate) const OUTLOOK: &str = "outlook";
pub(crate) const PRESS: &str = "press";

/// The options of a code taxonomy: label shown, code accepted too.
pub(crate) fn of<T: Copy>(
    all: &[T],
    label: fn(T) -> &'static str,
    code: fn(T) -> &'static str,
) -> Vec<Choice<T>> {
    all.iter()
        .map(|v| Choice {
            value: *v,
            label: label(*v).to_owned(),
            aliases: vec![code(*v).to_owned()],
        })
        .collect()
}

/// TLP: its label, its code, `TLP:GREEN`, and CLEAR for White (TLP 2.0).
pub(crate) fn tlp() -> Vec<Choice<Tlp>> {
    let mut out = of(Tlp::ALL, Tlp::label, Tlp::code);
    for c in &mut out {
        let upper = c.value.code().to_ascii_uppercase();
        c.aliases.push(format!("TLP:{upper}"));
        if c.value == Tlp::White {
            c.aliases
                .extend(["clear".to_owned(), "TLP:CLEAR".to_owned()]);
        }
    }
    out
}

/// Sectors by their Japanese name (or code); the value is the code.
pub(crate) fn sectors(reference: &ReferenceData) -> Vec<Choice<&str>> {
    reference
        .sectors
        .iter()
        .map(|s| Choice {
            value: s.code.as_str(),
            label: s.name_ja.clone(),
            aliases: vec![s.code.clone()],
        })
        .collect()
}

/// Ministries by their Japanese name (or code); the value is the code.
pub(crate) fn ministries(reference: &ReferenceData) -> Vec<Choice<&str>> {
    reference
        .ministries
        .iter()
        .map(|m| Choice {
            value: m.code.as_str(),
            label: m.name_ja.clone(),
            aliases: vec![m.code.clone()],
        })
        .collect()
}

fn labels<T: Copy>(all: &[T], label: fn(T) -> &'static str) -> Vec<String> {
    all.iter().map(|v| label(*v).to_owned()).collect()
}

/// The lists of the hidden sheet, by name.
pub(crate) struct Lists;

impl Lists {
    fn common(reference: &ReferenceData) -> Vec<(&'static str, Vec<String>)> {
        vec![
            (YES_NO, vec![ja("report.yes", &[]), ja("report.no", &[])]),
            (TLP, labels(Tlp::ALL, Tlp::label)),
            (SEVERITY, labels(Severity::ALL, Severity::label)),
            (
                SECTOR,
                reference
                    .sectors
                    .iter()
                    .map(|s| s.name_ja.clone())
                    .collect(),
            ),
        ]
    }

    pub(crate) fn report(reference: &ReferenceData) -> Vec<(&'static str, Vec<String>)> {
        let mut lists = Self::common(reference);
        lists.extend([
            (REPORT_BASIS, labels(ReportBasis::ALL, ReportBasis::label)),
            (
                SYSTEM_STATUS,
                labels(SystemStatus::ALL, SystemStatus::label),
            ),
            (OUTLOOK, labels(Outlook::ALL, Outlook::label)),
            (PRESS, labels(PressState::ALL, PressState::label)),
        ]);
        lists
    }

    pub(crate) fn advisory(reference: &ReferenceData) -> Vec<(&'static str, Vec<String>)> {
        let mut lists = Self::common(reference);
        lists.extend([
            (
                ADVISORY_BASIS,
                labels(AdvisoryBasis::ALL, AdvisoryBasis::label),
            ),
            (
                MINISTRY,
                reference
                    .ministries
                    .iter()
                    .map(|m| m.name_ja.clone())
                    .collect(),
            ),
        ]);
        lists
    }
}
