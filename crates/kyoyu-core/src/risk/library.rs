//! The starter library as the API gives it: the 17 causes of seed 000 表1 as threat
//! categories (with their groups and the table's explanations) and the event templates.

use kyoyu_domain::risk::library::{EventTemplate, event_templates};
use kyoyu_domain::{Cause, CauseGroup};
use serde::Serialize;

use super::owner;
use crate::auth::Session;
use crate::{Core, Result};

/// A threat category: one of the causes.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Threat {
    pub code: Cause,
    pub group: CauseGroup,
    pub label: String,
    pub help: String,
}

/// `GET /api/v1/risk/library`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskLibrary {
    pub threats: Vec<Threat>,
    pub events: Vec<EventTemplate>,
}

impl Core {
    pub fn risk_library(&self, s: &Session) -> Result<RiskLibrary> {
        owner(s)?;
        Ok(RiskLibrary {
            threats: Cause::ALL
                .iter()
                .map(|c| Threat {
                    code: *c,
                    group: c.group(),
                    label: c.label().to_owned(),
                    help: c.help().to_owned(),
                })
                .collect(),
            events: event_templates().to_vec(),
        })
    }
}
