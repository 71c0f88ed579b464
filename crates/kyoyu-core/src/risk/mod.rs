//! The risk process of seed 004 for the caller's own organisation: criteria (versioned),
//! assets, issues, risks with their evaluation, treatment and residual loop, and review tasks
//! that received advisories open. Every call starts from `policy::risk::risk_owner`, and the
//! store binds every statement to that organisation: anyone else gets `NotFound`.

mod assets;
mod criteria;
mod export;
mod library;
mod patch;
mod records;
mod reviews;
mod risks;
mod transfer;

use kyoyu_domain::messages::Msg;
use kyoyu_domain::policy::risk::{RiskOwner, risk_owner};

pub use export::requirements;
pub use library::{RiskLibrary, Threat};
pub use records::{
    Action, Asset, AssetService, Considerations, CriteriaVersion, CriteriaView, EvaluationRecord,
    HistoryEntry, Issue, Level, NewAsset, NewIssue, NewRisk, Residual, ReviewView, RiskPatch,
    RiskView, Round, TreatmentPlan, TreatmentRequest, Verdict,
};
pub use transfer::{AssetEntry, FORMAT, ImportSummary, RegisterDocument, RiskEntry};

use crate::auth::Session;
use crate::{CoreError, Result};

/// The longest a title may be, and any other text of the register.
const MAX_TITLE: usize = 200;
const MAX_TEXT: usize = 4000;
/// The most entries a list of a record (actions, requirements, links) holds.
const MAX_LIST: usize = 100;

fn owner(s: &Session) -> Result<RiskOwner> {
    Ok(risk_owner(&s.actor)?)
}

/// A required one-line text: trimmed, 1 to `MAX_TITLE` characters.
fn title(field: &str, v: &str) -> Result<String> {
    let t = v.trim();
    let n = t.chars().count();
    if n == 0 {
        return Err(CoreError::invalid(field, Msg::new("invalid.text_required")));
    }
    if n > MAX_TITLE {
        return Err(CoreError::invalid(
            field,
            Msg::new("invalid.too_long").arg("max", MAX_TITLE),
        ));
    }
    Ok(t.to_owned())
}

/// An optional longer text: trimmed, at most `MAX_TEXT` characters.
fn text(field: &str, v: &str) -> Result<String> {
    let t = v.trim();
    if t.chars().count() > MAX_TEXT {
        return Err(CoreError::invalid(
            field,
            Msg::new("invalid.too_long").arg("max", MAX_TEXT),
        ));
    }
    Ok(t.to_owned())
}

fn list_len<T>(field: &str, v: &[T]) -> Result<()> {
    if v.len() > MAX_LIST {
        return Err(CoreError::invalid(
            field,
            Msg::new("invalid.too_many").arg("max", MAX_LIST),
        ));
    }
    Ok(())
}

fn corrupt(e: serde_json::Error) -> CoreError {
    CoreError::internal(format!("stored risk record: {e}"))
}

/// A frequency within what the schema documents.
fn frequency(field: &str, v: Option<u32>) -> Result<Option<u32>> {
    use kyoyu_domain::risk::criteria::MAX_FREQUENCY;
    match v {
        Some(f) if f > MAX_FREQUENCY => Err(CoreError::invalid(
            field,
            Msg::new("invalid.between")
                .arg("min", 0)
                .arg("max", MAX_FREQUENCY),
        )),
        v => Ok(v),
    }
}
