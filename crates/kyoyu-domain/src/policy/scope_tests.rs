//! The table of DOMAIN.md §5, written out by hand: every role × TLP × same/other sector ×
//! sharing contact/ordinary member, for reports and for advisories. The expectations are data,
//! not a second copy of the rule.

use super::*;

/// `A` all users, whatever the sector; `C` sharing contacts, whatever the sector; `S` sharing
/// contacts of organisations in the item's sector only; `-` nobody.
#[derive(Clone, Copy, Debug)]
enum Who {
    A,
    C,
    S,
    N,
}
use Who::*;

/// One organisation shape: its roles, whether it is a CEPTOAR member, whether it is related to
/// the item (on the route / a recipient), and the expected audience for [Red, Amber, Green, White].
struct Row {
    name: &'static str,
    roles: &'static [Role],
    in_ceptoar: bool,
    related: Option<Relation>,
    report: [Who; 4],
    advisory: [Who; 4],
}

const ROWS: &[Row] = &[
    Row {
        name: "nisc",
        roles: &[Role::Nisc],
        in_ceptoar: false,
        related: None,
        report: [C, C, A, A],
        advisory: [C, C, A, A],
    },
    Row {
        name: "sector ministry",
        roles: &[Role::SectorMinistry],
        in_ceptoar: false,
        related: None,
        report: [N, S, A, A],
        advisory: [N, N, A, A],
    },
    Row {
        name: "recipient ministry",
        roles: &[Role::SectorMinistry],
        in_ceptoar: false,
        related: Some(Relation::Recipient),
        report: [C, C, A, A],
        advisory: [C, C, A, A],
    },
    Row {
        name: "ceptoar",
        roles: &[Role::Ceptoar],
        in_ceptoar: false,
        related: None,
        report: [N, S, A, A],
        advisory: [N, S, A, A],
    },
    Row {
        name: "operator in a ceptoar",
        roles: &[Role::Operator],
        in_ceptoar: true,
        related: None,
        report: [N, S, A, A],
        advisory: [N, S, A, A],
    },
    Row {
        name: "operator outside ceptoars",
        roles: &[Role::Operator],
        in_ceptoar: false,
        related: None,
        report: [N, N, N, A],
        advisory: [N, N, N, A],
    },
    Row {
        name: "incident response ministry",
        roles: &[Role::IncidentResponseMinistry],
        in_ceptoar: false,
        related: None,
        report: [N, N, A, A],
        advisory: [N, N, N, A],
    },
    Row {
        name: "security ministry",
        roles: &[Role::SecurityMinistry],
        in_ceptoar: false,
        related: None,
        report: [N, N, A, A],
        advisory: [N, N, N, A],
    },
    Row {
        name: "disaster ministry",
        roles: &[Role::DisasterMinistry],
        in_ceptoar: false,
        related: None,
        report: [N, N, A, A],
        advisory: [N, N, N, A],
    },
    Row {
        name: "security agency",
        roles: &[Role::SecurityAgency],
        in_ceptoar: false,
        related: None,
        report: [N, N, A, A],
        advisory: [N, N, N, A],
    },
    Row {
        name: "analysis partner",
        roles: &[Role::SecurityAgency],
        in_ceptoar: false,
        related: Some(Relation::Partner),
        report: [C, C, A, A],
        advisory: [C, C, A, A],
    },
    Row {
        name: "event org",
        roles: &[Role::EventOrg],
        in_ceptoar: false,
        related: None,
        report: [N, N, A, A],
        advisory: [N, N, N, A],
    },
    Row {
        name: "cyberspace vendor",
        roles: &[Role::CyberspaceVendor],
        in_ceptoar: false,
        related: None,
        report: [N, N, A, A],
        advisory: [N, N, N, A],
    },
    Row {
        name: "ceptoar council",
        roles: &[Role::CeptoarCouncil],
        in_ceptoar: false,
        related: None,
        report: [N, N, N, A],
        advisory: [N, N, N, A],
    },
    Row {
        name: "no role",
        roles: &[],
        in_ceptoar: false,
        related: None,
        report: [N, N, N, A],
        advisory: [N, N, N, A],
    },
    Row {
        name: "named addition with no role",
        roles: &[],
        in_ceptoar: false,
        related: Some(Relation::Named),
        report: [C, C, A, A],
        advisory: [C, C, A, A],
    },
    Row {
        name: "operator on the route",
        roles: &[Role::Operator],
        in_ceptoar: false,
        related: Some(Relation::Route),
        report: [C, C, A, A],
        advisory: [C, C, A, A],
    },
];

const ITEM_SECTOR: &str = "finance";
const OTHER_SECTOR: &str = "electricity";
const ORG: OrgId = OrgId(7);

fn org(row: &Row, same_sector: bool) -> OrgFacts {
    let sector = if same_sector {
        ITEM_SECTOR
    } else {
        OTHER_SECTOR
    };
    let set: BTreeSet<String> = [sector.to_owned()].into();
    OrgFacts {
        id: ORG,
        roles: row.roles.iter().copied().collect(),
        sectors: set.clone(),
        jurisdiction: if row.roles.contains(&Role::SectorMinistry) {
            set.clone()
        } else {
            BTreeSet::new()
        },
        ceptoar_sectors: if row.in_ceptoar { set } else { BTreeSet::new() },
        in_ceptoar: row.in_ceptoar,
        ..Default::default()
    }
}

fn item(kind: ItemKind, tlp: Tlp, related: Option<Relation>) -> ItemScope {
    ItemScope {
        kind,
        tlp,
        sectors: [ITEM_SECTOR.to_owned()].into(),
        orgs: related
            .map(|r| (ORG, r))
            .into_iter()
            .chain([(OrgId(99), Relation::Route)])
            .collect(),
        author: Some(UserId(1000)),
        shared: true,
    }
}

fn expected(who: Who, same_sector: bool, contact: bool) -> bool {
    match who {
        A => true,
        C => contact,
        S => contact && same_sector,
        N => false,
    }
}

#[test]
fn the_tlp_table_of_domain_5() {
    let mut checked = 0;
    for row in ROWS {
        for (kind, table) in [
            (ItemKind::Report, row.report),
            (ItemKind::Advisory, row.advisory),
        ] {
            for (tlp, who) in Tlp::ALL.iter().zip(table) {
                for same_sector in [true, false] {
                    for contact in [true, false] {
                        let actor = Actor::User(UserActor {
                            user_id: UserId(1),
                            org: Some(org(row, same_sector)),
                            is_contact: contact,
                            is_admin: false,
                        });
                        let item = item(kind, *tlp, row.related);
                        assert_eq!(
                            can_see(&actor, &item),
                            expected(who, same_sector, contact),
                            "{} / {kind:?} / {tlp} / same sector {same_sector} / contact {contact}",
                            row.name
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, ROWS.len() * 2 * 4 * 2 * 2);
}

#[test]
fn anonymous_callers_see_white_only() {
    for kind in [ItemKind::Report, ItemKind::Advisory] {
        for tlp in Tlp::ALL {
            let visible = can_see(&Actor::Anonymous, &item(kind, *tlp, None));
            assert_eq!(visible, *tlp == Tlp::White, "{kind:?} {tlp}");
        }
    }
}

#[test]
fn the_author_always_sees_their_own_item_even_as_an_ordinary_member() {
    let actor = Actor::User(UserActor {
        user_id: UserId(1000),
        org: None,
        is_contact: false,
        is_admin: false,
    });
    for tlp in Tlp::ALL {
        assert!(
            can_see(&actor, &item(ItemKind::Report, *tlp, None)),
            "{tlp}"
        );
    }
}

#[test]
fn an_administrator_gets_no_extra_visibility() {
    let actor = Actor::User(UserActor {
        user_id: UserId(1),
        org: None,
        is_contact: true,
        is_admin: true,
    });
    for tlp in [Tlp::Red, Tlp::Amber, Tlp::Green] {
        assert!(
            !can_see(&actor, &item(ItemKind::Report, tlp, None)),
            "{tlp}"
        );
    }
}

#[test]
fn the_system_actor_sees_everything() {
    for tlp in Tlp::ALL {
        assert!(can_see(
            &Actor::System,
            &item(ItemKind::Advisory, *tlp, None)
        ));
    }
}

#[test]
fn an_unreleased_item_is_seen_only_by_its_author_and_related_organisations() {
    let nisc = OrgFacts {
        id: OrgId(1),
        roles: [Role::Nisc].into(),
        ..Default::default()
    };
    let cep = OrgFacts {
        id: ORG,
        roles: [Role::Ceptoar].into(),
        ..Default::default()
    };
    let user = |org: OrgFacts, contact| {
        Actor::User(UserActor {
            user_id: UserId(5),
            org: Some(org),
            is_contact: contact,
            is_admin: false,
        })
    };
    for tlp in Tlp::ALL {
        let mut it = item(ItemKind::Report, *tlp, Some(Relation::Route));
        it.shared = false;
        assert!(!can_see(&Actor::Anonymous, &it), "{tlp}");
        assert!(
            !can_see(&user(nisc.clone(), true), &it),
            "NISC before release, {tlp}"
        );
        assert!(
            can_see(&user(cep.clone(), true), &it),
            "the CEPTOAR holding it, {tlp}"
        );
        assert_eq!(
            can_see(&user(cep.clone(), false), &it),
            *tlp >= Tlp::Green,
            "{tlp}"
        );
        it.shared = true;
        assert!(
            can_see(&user(nisc.clone(), true), &it),
            "NISC after release, {tlp}"
        );
    }
}
