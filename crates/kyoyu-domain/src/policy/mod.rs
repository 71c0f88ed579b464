//! The policy: the one place that decides who may see what, which view of a report they get,
//! and who may do what with an item. Each decision is a pure function of facts, tested against
//! hand-written tables:
//!
//! - [`scope`]: the sharing scope (情報共有範囲, 表5) — `can_see`, and `ScopeFilter`, the same
//!   rule reduced to what a database predicate needs; `admit` turns a check into a
//!   [`Visible`] value.
//! - [`view`]: which view of a report a viewer gets (the reporter's side, or the released and
//!   anonymised one) and what each view hides.
//! - [`route`]: the route of a report (図3) — who may file, send, forward, anonymise, follow
//!   up, attach — each answered with a permit the store's writes require.
//! - [`distribution`]: the flow of an advisory (図6) — drafting, publication, passing on within
//!   the TLP, receipt, inquiries, scope-change requests — likewise with permits.
//!
//! Architecture invariant: no other code decides visibility or permission. A route, export or
//! feed that filters on its own is a bug, even when it happens to be right today.

pub mod distribution;
pub mod permit;
pub mod risk;
pub mod route;
pub mod scope;
pub mod view;

use std::collections::BTreeSet;

use crate::codes::{Role, Tlp};
pub use crate::ids::{OrgId, UserId};

pub use permit::Denied;
pub use scope::{ScopeFilter, Visible, admit, can_see};
pub use view::{ReportFacts, ReportView, report_view};

/// What the policy needs to know about an organisation, resolved from the store and the
/// reference data (ministry jurisdictions are data, not code).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgFacts {
    pub id: OrgId,
    /// The organisation code (`op-finance-1`), for messages and ordering.
    pub code: String,
    /// The ministry this organisation is (a code of the reference data), if it is one.
    pub ministry: Option<String>,
    pub roles: BTreeSet<Role>,
    /// The organisation's own sectors (an operator's or a CEPTOAR's).
    pub sectors: BTreeSet<String>,
    /// Sectors under the jurisdiction of this organisation as a sector ministry.
    pub jurisdiction: BTreeSet<String>,
    /// Sectors of the CEPTOARs this organisation is a member of.
    pub ceptoar_sectors: BTreeSet<String>,
    /// The CEPTOARs this organisation is a member of.
    pub ceptoars: BTreeSet<OrgId>,
    /// Whether it is a member of at least one CEPTOAR.
    pub in_ceptoar: bool,
}

impl OrgFacts {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Who is asking. Every use case takes one; background work runs as `System`, never as
/// "skip the check".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A caller without an account: sees White only.
    Anonymous,
    User(UserActor),
    /// The service itself (notification worker, migrations, reindexing). Sees everything;
    /// never a person.
    System,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserActor {
    pub user_id: UserId,
    /// `None` only for a system administrator who belongs to no organisation.
    pub org: Option<OrgFacts>,
    /// A sharing contact (窓口) of the organisation: the need-to-know audience of Red and Amber.
    pub is_contact: bool,
    pub is_admin: bool,
}

impl Actor {
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Actor::User(u) => Some(u.user_id),
            _ => None,
        }
    }

    pub fn org(&self) -> Option<&OrgFacts> {
        match self {
            Actor::User(u) => u.org.as_ref(),
            _ => None,
        }
    }

    pub fn org_id(&self) -> Option<OrgId> {
        self.org().map(|o| o.id)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.org().is_some_and(|o| o.has(role))
    }

    pub fn is_contact(&self) -> bool {
        matches!(self, Actor::User(u) if u.is_contact)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// 情報連絡
    Report,
    /// 情報提供
    Advisory,
}

impl ItemKind {
    pub const fn code(self) -> &'static str {
        match self {
            ItemKind::Report => "report",
            ItemKind::Advisory => "advisory",
        }
    }

    pub fn from_code(code: &str) -> Option<ItemKind> {
        match code {
            "report" => Some(ItemKind::Report),
            "advisory" => Some(ItemKind::Advisory),
            _ => None,
        }
    }
}

/// How an organisation is tied to an item, beyond the TLP community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relation {
    /// On the item's route: the reporter, its CEPTOAR, the ministry, NISC; an advisory's
    /// delivery recipients.
    Route,
    /// A recipient ministry named on an advisory (情報提供先).
    Recipient,
    /// Added by name by the sender beyond the TLP audience (表5 ※1).
    Named,
    /// An analysis partner NISC shared the item with (表5 ※2).
    Partner,
}

impl Relation {
    pub const ALL: [Relation; 4] = [
        Relation::Route,
        Relation::Recipient,
        Relation::Named,
        Relation::Partner,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Relation::Route => "route",
            Relation::Recipient => "recipient",
            Relation::Named => "named",
            Relation::Partner => "partner",
        }
    }

    pub fn from_code(code: &str) -> Option<Relation> {
        Relation::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// What the policy needs to know about an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemScope {
    pub kind: ItemKind,
    pub tlp: Tlp,
    /// A report's sector; an advisory's recipient sectors: the "directly related sectors".
    pub sectors: BTreeSet<String>,
    pub orgs: BTreeSet<(OrgId, Relation)>,
    /// The user who wrote it always sees it.
    pub author: Option<UserId>,
    /// Whether the item has been released beyond its originating side (a report that reached a
    /// ministry; a published advisory). Before that only its author and the organisations
    /// related to it see it, whatever its TLP: a draft or a report still at the reporter's
    /// CEPTOAR is not shared with the TLP community.
    pub shared: bool,
}

impl ItemScope {
    pub fn related(&self, org: OrgId) -> bool {
        self.orgs.iter().any(|(id, _)| *id == org)
    }

    fn touches(&self, sectors: &BTreeSet<String>) -> bool {
        !self.sectors.is_disjoint(sectors)
    }
}

#[cfg(test)]
mod scope_tests;
