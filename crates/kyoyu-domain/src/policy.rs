//! The sharing-scope policy (情報共有範囲, 表5): the one place that decides whether an actor may
//! see an item. `can_see` is the rule; `ScopeFilter` is the same rule reduced to the facts a
//! database predicate needs, so that lists, searches, exports and feeds filter in the store. A
//! property test in the store crate checks that both agree on random worlds.
//!
//! Architecture invariant: no other code decides visibility. A route, export or feed that
//! filters on its own is a bug, even when it happens to be right today.

use std::collections::BTreeSet;

use crate::codes::{Role, Tlp};

pub type OrgId = i64;
pub type UserId = i64;

/// What the policy needs to know about an organisation, resolved from the store and the
/// reference data (ministry jurisdictions are data, not code).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgFacts {
    pub id: OrgId,
    pub roles: BTreeSet<Role>,
    /// The organisation's own sectors (an operator's or a CEPTOAR's).
    pub sectors: BTreeSet<String>,
    /// Sectors under the jurisdiction of this organisation as a sector ministry.
    pub jurisdiction: BTreeSet<String>,
    /// Sectors of the CEPTOARs this organisation is a member of.
    pub ceptoar_sectors: BTreeSet<String>,
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
    /// The service itself (notification worker, migrations). Sees everything; never a person.
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

    pub fn has_role(&self, role: Role) -> bool {
        self.org().is_some_and(|o| o.has(role))
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
    fn related(&self, org: OrgId) -> bool {
        self.orgs.iter().any(|(id, _)| *id == org)
    }

    fn touches(&self, sectors: &BTreeSet<String>) -> bool {
        !self.sectors.is_disjoint(sectors)
    }
}

/// The roles whose organisations form the Green audience of a report (表5, 情報連絡).
const GREEN_REPORT_ROLES: [Role; 9] = [
    Role::Nisc,
    Role::SectorMinistry,
    Role::IncidentResponseMinistry,
    Role::SecurityMinistry,
    Role::DisasterMinistry,
    Role::SecurityAgency,
    Role::EventOrg,
    Role::CyberspaceVendor,
    Role::Ceptoar,
];

/// The roles whose organisations form the Green audience of an advisory (表5, 情報提供).
const GREEN_ADVISORY_ROLES: [Role; 3] = [Role::Nisc, Role::SectorMinistry, Role::Ceptoar];

fn operator_in_ceptoar(org: &OrgFacts) -> bool {
    org.has(Role::Operator) && org.in_ceptoar
}

/// May `actor` see `item`? The table of DOMAIN.md §5.
pub fn can_see(actor: &Actor, item: &ItemScope) -> bool {
    let user = match actor {
        Actor::System => return true,
        Actor::Anonymous => return item.shared && item.tlp == Tlp::White,
        Actor::User(user) => user,
    };
    if (item.shared && item.tlp == Tlp::White) || item.author == Some(user.user_id) {
        return true;
    }
    let Some(org) = &user.org else { return false };
    let related = item.related(org.id);
    if !item.shared {
        return related && (user.is_contact || item.tlp >= Tlp::Green);
    }
    match (item.tlp, item.kind) {
        (Tlp::White, _) => true,
        (Tlp::Green, ItemKind::Report) => {
            related || GREEN_REPORT_ROLES.iter().any(|r| org.has(*r)) || operator_in_ceptoar(org)
        }
        (Tlp::Green, ItemKind::Advisory) => {
            related || GREEN_ADVISORY_ROLES.iter().any(|r| org.has(*r)) || operator_in_ceptoar(org)
        }
        // Amber and Red are need-to-know: sharing contacts only.
        _ if !user.is_contact => false,
        (Tlp::Amber, ItemKind::Report) => {
            related
                || org.has(Role::Nisc)
                || (org.has(Role::SectorMinistry) && item.touches(&org.jurisdiction))
                || (org.has(Role::Ceptoar) && item.touches(&org.sectors))
                || (org.has(Role::Operator) && item.touches(&org.ceptoar_sectors))
        }
        (Tlp::Amber, ItemKind::Advisory) => {
            related
                || org.has(Role::Nisc)
                || (org.has(Role::Ceptoar) && item.touches(&org.sectors))
                || (org.has(Role::Operator) && item.touches(&org.ceptoar_sectors))
        }
        (Tlp::Red, _) => related || org.has(Role::Nisc),
    }
}

/// The policy reduced to the facts about the actor that a database predicate needs. The store
/// turns this into one SQL condition over items, their sectors and their related organisations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeFilter {
    /// The system actor: no restriction.
    pub everything: bool,
    pub user_id: Option<UserId>,
    pub org_id: Option<OrgId>,
    pub is_contact: bool,
    pub green_reports: bool,
    pub green_advisories: bool,
    /// NISC sees every Red and Amber item of the framework.
    pub all_red_amber: bool,
    /// Sectors whose Amber reports the actor's organisation is in the audience of.
    pub amber_report_sectors: BTreeSet<String>,
    /// Sectors whose Amber advisories the actor's organisation is in the audience of.
    pub amber_advisory_sectors: BTreeSet<String>,
}

impl ScopeFilter {
    pub fn of(actor: &Actor) -> ScopeFilter {
        let user = match actor {
            Actor::System => {
                return ScopeFilter {
                    everything: true,
                    ..Default::default()
                };
            }
            Actor::Anonymous => return ScopeFilter::default(),
            Actor::User(user) => user,
        };
        let mut f = ScopeFilter {
            user_id: Some(user.user_id),
            is_contact: user.is_contact,
            ..Default::default()
        };
        let Some(org) = &user.org else { return f };
        f.org_id = Some(org.id);
        f.green_reports =
            GREEN_REPORT_ROLES.iter().any(|r| org.has(*r)) || operator_in_ceptoar(org);
        f.green_advisories =
            GREEN_ADVISORY_ROLES.iter().any(|r| org.has(*r)) || operator_in_ceptoar(org);
        f.all_red_amber = org.has(Role::Nisc);
        if org.has(Role::SectorMinistry) {
            f.amber_report_sectors
                .extend(org.jurisdiction.iter().cloned());
        }
        if org.has(Role::Ceptoar) {
            f.amber_report_sectors.extend(org.sectors.iter().cloned());
            f.amber_advisory_sectors.extend(org.sectors.iter().cloned());
        }
        if org.has(Role::Operator) {
            f.amber_report_sectors
                .extend(org.ceptoar_sectors.iter().cloned());
            f.amber_advisory_sectors
                .extend(org.ceptoar_sectors.iter().cloned());
        }
        f
    }
}

/// How much of a report thread a viewer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportView {
    /// Every edition version, with the reporter's identity: the reporter's organisation, the
    /// author, and the CEPTOAR the reporter sent it to.
    Full,
    /// Only versions released past the reporter's CEPTOAR; for an anonymised report these are
    /// the anonymised ones, and the route shows the CEPTOAR as the sender.
    Released,
}

/// What the anonymisation rule needs to know about a report thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFacts {
    pub origin_org: OrgId,
    pub author: Option<UserId>,
    /// The CEPTOAR the reporter sent the report to, if it went through one.
    pub ceptoar: Option<OrgId>,
}

/// Which view of a report `actor` gets (call only for actors `can_see` admits).
pub fn report_view(actor: &Actor, facts: &ReportFacts) -> ReportView {
    match actor {
        Actor::System => ReportView::Full,
        Actor::Anonymous => ReportView::Released,
        Actor::User(u) => {
            let org = u.org.as_ref().map(|o| o.id);
            if facts.author == Some(u.user_id)
                || org == Some(facts.origin_org)
                || (org.is_some() && org == facts.ceptoar)
            {
                ReportView::Full
            } else {
                ReportView::Released
            }
        }
    }
}

#[cfg(test)]
mod tests;
