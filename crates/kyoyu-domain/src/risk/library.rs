//! The starter library (seed 004 Ⅱ.2.1; the causes of seed 000 表1 as threat categories): event
//! templates a new register starts from. Shipped as data (`data/risk_library.toml`).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::Approach;
use crate::{Cause, EventClass};

const LIBRARY: &str = include_str!("../../data/risk_library.toml");

/// One event template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EventTemplate {
    pub code: String,
    pub approach: Approach,
    pub title: String,
    pub event: EventClass,
    pub causes: Vec<Cause>,
    pub consequence: String,
    /// Where in the seeds the example comes from.
    pub origin: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    event: Vec<EventTemplate>,
}

/// Every template, in the order the library lists them. The bundled file is checked by the
/// tests; a broken one would give an empty library, never a panic.
pub fn event_templates() -> &'static [EventTemplate] {
    static ALL: OnceLock<Vec<EventTemplate>> = OnceLock::new();
    ALL.get_or_init(|| {
        toml::from_str::<File>(LIBRARY)
            .map(|f| f.event)
            .unwrap_or_default()
    })
}

pub fn event_template(code: &str) -> Option<&'static EventTemplate> {
    event_templates().iter().find(|t| t.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_library_reads_and_names_each_template_once() {
        let file: File = toml::from_str(LIBRARY).expect("risk_library.toml");
        assert!(file.event.len() >= 10);
        let mut codes: Vec<_> = file.event.iter().map(|t| t.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), file.event.len());
        assert_eq!(
            event_template("insider_leak").map(|t| t.event),
            Some(EventClass::InformationLeak)
        );
        assert!(
            file.event.iter().any(|t| t.approach == Approach::Result),
            "events by result too"
        );
    }
}
