//! Where a risk stands in the process (図表2) and the derived facts a person decides from:
//! its suggested priority (4.1.2) and the footnote-11 flag.

use super::{Damage, Likelihood, RiskDecision, Treatment};
use crate::codes::code_enum;

code_enum!(
    /// The step a risk waits at: a decision by management or experts (no criteria decided
    /// it), a choice of treatment, the residual re-evaluation of a chosen treatment, or none
    /// (accepted, or retained and watched).
    RiskState, "risk_state" {
        AwaitingDecision = "awaiting_decision",
        ToTreat = "to_treat",
        Treating = "treating",
        Accepted = "accepted",
        Retained = "retained",
    }
);

code_enum!(
    /// The order of treatment (4.1.2).
    Priority, "risk_priority" {
        High = "high",
        Medium = "medium",
        Low = "low",
    }
);

/// The state that follows from a risk's current decision and treatment.
pub fn state_of(decision: RiskDecision, treatment: Option<Treatment>) -> RiskState {
    match (decision, treatment) {
        (RiskDecision::Undecided, _) => RiskState::AwaitingDecision,
        (RiskDecision::Accept, Some(Treatment::Retain)) => RiskState::Retained,
        (RiskDecision::Accept, _) => RiskState::Accepted,
        (RiskDecision::Treat, None) => RiskState::ToTreat,
        (RiskDecision::Treat, Some(_)) => RiskState::Treating,
    }
}

/// The priority suggested by the level (4.1.2); the user may set another.
pub fn priority_of(damage: Damage, likelihood: Likelihood) -> Priority {
    match damage.rank() + likelihood.rank() {
        3.. => Priority::High,
        2 => Priority::Medium,
        _ => Priority::Low,
    }
}

/// Footnote 11: a risk of the greatest damage and the least likelihood is not to be decided by
/// cost-benefit alone but from business continuity.
pub fn rare_and_severe(damage: Damage, likelihood: Likelihood) -> bool {
    damage == Damage::Large && likelihood == Likelihood::Low
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_follows_the_level() {
        assert_eq!(priority_of(Damage::Large, Likelihood::High), Priority::High);
        assert_eq!(
            priority_of(Damage::Large, Likelihood::Low),
            Priority::Medium
        );
        assert_eq!(
            priority_of(Damage::Small, Likelihood::Medium),
            Priority::Low
        );
        assert!(rare_and_severe(Damage::Large, Likelihood::Low));
        assert!(!rare_and_severe(Damage::Large, Likelihood::Medium));
    }

    #[test]
    fn the_state_follows_decision_and_treatment() {
        assert_eq!(
            state_of(RiskDecision::Treat, Some(Treatment::Modify)),
            RiskState::Treating
        );
        assert_eq!(
            state_of(RiskDecision::Accept, Some(Treatment::Retain)),
            RiskState::Retained
        );
        assert_eq!(
            state_of(RiskDecision::Undecided, None),
            RiskState::AwaitingDecision
        );
    }
}
