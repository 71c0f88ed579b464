//! The sharing scope (情報共有範囲, 表5): `can_see` is the rule; `ScopeFilter` is the same rule
//! reduced to the facts about the actor that a database predicate needs, so that lists,
//! searches, exports and feeds filter in the store. A property test in the store crate checks
//! that both agree on random worlds. `admit` is the only way to get a [`Visible`] value.

use std::collections::BTreeSet;

use super::{Actor, ItemKind, ItemScope, OrgFacts, OrgId, UserId};
use crate::codes::{Role, Tlp};

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

/// A value the actor may see: the only way to obtain one is [`admit`], which checks
/// [`can_see`]. The store's scoped reader answers with these; nothing else hands out items.
#[derive(Debug, Clone)]
pub struct Visible<T> {
    value: T,
    scope: ItemScope,
}

impl<T> Visible<T> {
    pub fn get(&self) -> &T {
        &self.value
    }

    /// The scope facts the check was made on.
    pub fn scope(&self) -> &ItemScope {
        &self.scope
    }

    pub fn into_inner(self) -> T {
        self.value
    }

    /// The same check, carried over to a value derived from the admitted one.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Visible<U> {
        Visible {
            value: f(self.value),
            scope: self.scope,
        }
    }
}

/// `value` as a [`Visible`] if `actor` may see the item `scope` describes; `None` otherwise
/// (which callers answer with 404, never 403).
pub fn admit<T>(actor: &Actor, scope: ItemScope, value: T) -> Option<Visible<T>> {
    can_see(actor, &scope).then_some(Visible { value, scope })
}

/// The policy reduced to the facts about the actor that a database predicate needs. Only
/// [`ScopeFilter::of`] makes one; the store reads it and turns it into one SQL condition over
/// items, their sectors and their related organisations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeFilter {
    everything: bool,
    user_id: Option<UserId>,
    org_id: Option<OrgId>,
    is_contact: bool,
    green_reports: bool,
    green_advisories: bool,
    all_red_amber: bool,
    amber_report_sectors: BTreeSet<String>,
    amber_advisory_sectors: BTreeSet<String>,
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

    /// The system actor: no restriction.
    pub fn everything(&self) -> bool {
        self.everything
    }

    /// The author rule: a user always sees what they wrote.
    pub fn user_id(&self) -> Option<UserId> {
        self.user_id
    }

    /// The related-organisation rule (route, recipients, named additions, partners).
    pub fn org_id(&self) -> Option<OrgId> {
        self.org_id
    }

    /// Red and Amber are need-to-know: only sharing contacts read them.
    pub fn is_contact(&self) -> bool {
        self.is_contact
    }

    /// In the Green community of items of `kind`.
    pub fn green(&self, kind: ItemKind) -> bool {
        match kind {
            ItemKind::Report => self.green_reports,
            ItemKind::Advisory => self.green_advisories,
        }
    }

    /// NISC sees every released Red and Amber item of the framework.
    pub fn all_red_amber(&self) -> bool {
        self.all_red_amber
    }

    /// Sectors whose released Amber items of `kind` the actor's organisation may read.
    pub fn amber_sectors(&self, kind: ItemKind) -> &BTreeSet<String> {
        match kind {
            ItemKind::Report => &self.amber_report_sectors,
            ItemKind::Advisory => &self.amber_advisory_sectors,
        }
    }
}
