//! Who may touch an organisation's risk data (seed 004): its own users, and nobody else — not
//! NISC, not its ministry, not its CEPTOAR, not a system administrator without an organisation.
//! The store's risk reads and writes take a [`RiskOwner`], which only [`risk_owner`] makes, and
//! bind every statement to its organisation: a risk route cannot forget the check.

use super::{Actor, Denied};
use crate::error::ErrorCode;
use crate::ids::{OrgId, UserId};

/// Proof that the caller acts for the organisation that owns the risk data it reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskOwner {
    org: OrgId,
    user: UserId,
}

impl RiskOwner {
    pub fn org(&self) -> OrgId {
        self.org
    }

    /// The person acting (recorded in the risk's history).
    pub fn user(&self) -> UserId {
        self.user
    }
}

/// The caller's own organisation's risk data; `NotFound` for anyone without an organisation,
/// so that a risk route answers exactly as for a risk that does not exist.
pub fn risk_owner(actor: &Actor) -> Result<RiskOwner, Denied> {
    match actor {
        Actor::User(u) => match &u.org {
            Some(org) => Ok(RiskOwner {
                org: org.id,
                user: u.user_id,
            }),
            None => Err(Denied::new(ErrorCode::NotFound)),
        },
        Actor::Anonymous | Actor::System => Err(Denied::new(ErrorCode::NotFound)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::UserActor;

    #[test]
    fn only_a_member_of_an_organisation_owns_risk_data() {
        let admin = Actor::User(UserActor {
            user_id: UserId(1),
            org: None,
            is_contact: false,
            is_admin: true,
        });
        assert_eq!(risk_owner(&admin).unwrap_err().code, ErrorCode::NotFound);
        assert!(risk_owner(&Actor::Anonymous).is_err());
        assert!(risk_owner(&Actor::System).is_err());
    }
}
