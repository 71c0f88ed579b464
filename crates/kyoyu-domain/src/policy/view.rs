//! Which view of a report a viewer gets, and what each view hides (匿名化, DOMAIN.md §5). The
//! reporter's side — its organisation, the author, and the CEPTOAR it reported to — sees the
//! full thread; everyone else sees only what was released past that CEPTOAR, and for an
//! anonymised report the anonymised versions only, with the CEPTOAR as the originator. Drafts
//! are seen by the organisation that writes them (always the originating one) and nobody else.
//!
//! `report::thread::present` applies these rules to a stored thread; the store applies
//! [`ViewChoice`] in SQL so that lists pick the same view a single read would.

use std::collections::BTreeSet;

use super::{Actor, OrgId, UserId};
use crate::codes::Role;

/// How much of a report thread a viewer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportView {
    /// The originating organisation: every sent version with the reporter's identity, and its
    /// own drafts.
    Own,
    /// The author (wherever they are now) and the CEPTOAR the reporter sent it to: every sent
    /// version with the reporter's identity; no drafts.
    Full,
    /// Everyone else: only versions released past the reporter's CEPTOAR; for an anonymised
    /// report these are the anonymised ones, and the route shows the CEPTOAR as the sender.
    Released,
}

impl ReportView {
    pub const ALL: [ReportView; 3] = [ReportView::Own, ReportView::Full, ReportView::Released];

    /// The stable code the read model keeps.
    pub const fn code(self) -> &'static str {
        match self {
            ReportView::Own => "own",
            ReportView::Full => "full",
            ReportView::Released => "released",
        }
    }

    pub fn from_code(code: &str) -> Option<ReportView> {
        ReportView::ALL.into_iter().find(|v| v.code() == code)
    }

    /// What the API calls it: the reporter's side sees the `full` report, everyone else the
    /// `released` one (drafts are an organisation's own business, not a separate view).
    pub const fn public_code(self) -> &'static str {
        match self {
            ReportView::Own | ReportView::Full => "full",
            ReportView::Released => "released",
        }
    }

    /// Whether the view shows the reporter's identity (names of authors, the reporter's hop).
    pub const fn is_full(self) -> bool {
        !matches!(self, ReportView::Released)
    }
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
        Actor::System => ReportView::Own,
        Actor::Anonymous => ReportView::Released,
        Actor::User(u) => {
            let org = u.org.as_ref().map(|o| o.id);
            if org == Some(facts.origin_org) {
                ReportView::Own
            } else if facts.author == Some(u.user_id) || (org.is_some() && org == facts.ceptoar) {
                ReportView::Full
            } else {
                ReportView::Released
            }
        }
    }
}

/// [`report_view`] reduced to what a query needs: compare a thread's origin, author and
/// CEPTOAR columns with these and pick the row of the view the actor gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewChoice {
    everything: bool,
    user: Option<UserId>,
    org: Option<OrgId>,
}

impl ViewChoice {
    pub fn of(actor: &Actor) -> ViewChoice {
        ViewChoice {
            everything: matches!(actor, Actor::System),
            user: actor.user_id(),
            org: actor.org_id(),
        }
    }

    /// The system actor gets the originating side's view of everything.
    pub fn everything(&self) -> bool {
        self.everything
    }

    pub fn user(&self) -> Option<UserId> {
        self.user
    }

    pub fn org(&self) -> Option<OrgId> {
        self.org
    }
}

/// Facts of one stored version, for [`shows_version`].
#[derive(Debug, Clone, Copy)]
pub struct VersionFacts {
    pub sent: bool,
    pub released: bool,
    pub author_org: OrgId,
}

/// Whether `view` shows a version of a thread that `origin` started.
pub fn shows_version(view: ReportView, v: VersionFacts, origin: OrgId) -> bool {
    match view {
        ReportView::Own => v.sent || v.author_org == origin,
        ReportView::Full => v.sent,
        ReportView::Released => v.sent && v.released,
    }
}

/// Whether `view` shows a hop of the route: the released view shows only hops of released
/// versions, and for an anonymised report not the hop from the reporter to its CEPTOAR.
pub fn shows_hop(
    view: ReportView,
    anonymized: bool,
    hop_from: OrgId,
    origin: OrgId,
    version_released: bool,
) -> bool {
    view.is_full() || (version_released && !(anonymized && hop_from == origin))
}

/// Who the thread says it comes from: past the CEPTOAR of an anonymised report, the CEPTOAR.
pub fn originator(
    view: ReportView,
    anonymized: bool,
    origin: OrgId,
    ceptoar: Option<OrgId>,
) -> OrgId {
    match (view, anonymized, ceptoar) {
        (ReportView::Released, true, Some(c)) => c,
        _ => origin,
    }
}

/// Whether `view` lists an attachment of an edition (`edition_released`: some version of the
/// edition left the reporter's side).
pub fn shows_attachment(view: ReportView, edition_released: bool) -> bool {
    view.is_full() || edition_released
}

/// Whether attachment names and uploaders are hidden: the released view of an anonymised
/// report renames files `別紙N.ext` and shows the originator as the reporter's uploads' source.
pub fn hides_attachment_names(view: ReportView, anonymized: bool) -> bool {
    !view.is_full() && anonymized
}

/// Who watches a thread's follow-ups (続報, 図4 ⑧): the reporter's side, the sector ministries
/// with jurisdiction over its sector, and NISC once the thread has reached it (it is numbered).
pub fn watches_follow_up(actor: &Actor, view: ReportView, sector: &str, numbered: bool) -> bool {
    let watch = FollowUpWatch::of(actor);
    view.is_full() || watch.ministry_sectors.contains(sector) || (watch.nisc && numbered)
}

/// [`watches_follow_up`] reduced to what a query needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowUpWatch {
    ministry_sectors: BTreeSet<String>,
    nisc: bool,
}

impl FollowUpWatch {
    pub fn of(actor: &Actor) -> FollowUpWatch {
        let ministry_sectors = actor
            .org()
            .filter(|o| o.has(Role::SectorMinistry))
            .map(|o| o.jurisdiction.clone())
            .unwrap_or_default();
        FollowUpWatch {
            ministry_sectors,
            nisc: actor.org().is_some_and(|o| o.has(Role::Nisc)),
        }
    }

    /// Sectors whose threads the actor watches as their ministry, whatever view it has.
    pub fn ministry_sectors(&self) -> &BTreeSet<String> {
        &self.ministry_sectors
    }

    /// Whether the actor watches every thread that has reached NISC (NISC itself).
    pub fn numbered(&self) -> bool {
        self.nisc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{OrgFacts, UserActor};

    fn user(org: i64, user_id: i64) -> Actor {
        Actor::User(UserActor {
            user_id: UserId(user_id),
            org: Some(OrgFacts {
                id: OrgId(org),
                ..Default::default()
            }),
            is_contact: true,
            is_admin: false,
        })
    }

    const FACTS: ReportFacts = ReportFacts {
        origin_org: OrgId(10),
        author: Some(UserId(100)),
        ceptoar: Some(OrgId(20)),
    };

    #[test]
    fn the_reporter_side_sees_the_full_report_everyone_else_the_released_one() {
        assert_eq!(report_view(&user(10, 101), &FACTS), ReportView::Own);
        assert_eq!(report_view(&user(20, 201), &FACTS), ReportView::Full);
        assert_eq!(
            report_view(&user(30, 100), &FACTS),
            ReportView::Full,
            "the author, now elsewhere"
        );
        assert_eq!(report_view(&user(30, 301), &FACTS), ReportView::Released);
        assert_eq!(report_view(&Actor::Anonymous, &FACTS), ReportView::Released);
        assert_eq!(report_view(&Actor::System, &FACTS), ReportView::Own);
        assert_eq!(ReportView::Own.public_code(), "full");
    }

    /// (view, sent, released, written by the origin) → shown.
    #[test]
    fn which_versions_each_view_shows() {
        let origin = OrgId(10);
        let table = [
            (ReportView::Own, false, false, true, true),
            (ReportView::Own, false, false, false, false),
            (ReportView::Own, true, false, false, true),
            (ReportView::Full, false, false, true, false),
            (ReportView::Full, true, false, true, true),
            (ReportView::Released, true, false, true, false),
            (ReportView::Released, true, true, false, true),
            (ReportView::Released, false, true, true, false),
        ];
        for (view, sent, released, by_origin, shown) in table {
            let v = VersionFacts {
                sent,
                released,
                author_org: if by_origin { origin } else { OrgId(20) },
            };
            assert_eq!(
                shows_version(view, v, origin),
                shown,
                "{view:?} sent {sent} released {released} by origin {by_origin}"
            );
        }
    }

    #[test]
    fn the_released_view_of_an_anonymised_report_hides_the_reporter() {
        let (origin, cep) = (OrgId(10), Some(OrgId(20)));
        assert!(!shows_hop(ReportView::Released, true, origin, origin, true));
        assert!(shows_hop(ReportView::Released, false, origin, origin, true));
        assert!(!shows_hop(
            ReportView::Released,
            false,
            OrgId(20),
            origin,
            false
        ));
        assert!(shows_hop(ReportView::Full, true, origin, origin, false));
        assert_eq!(
            originator(ReportView::Released, true, origin, cep),
            OrgId(20)
        );
        assert_eq!(originator(ReportView::Released, false, origin, cep), origin);
        assert_eq!(originator(ReportView::Full, true, origin, cep), origin);
        assert!(hides_attachment_names(ReportView::Released, true));
        assert!(!hides_attachment_names(ReportView::Released, false));
        assert!(!hides_attachment_names(ReportView::Own, true));
        assert!(!shows_attachment(ReportView::Released, false));
        assert!(shows_attachment(ReportView::Full, false));
    }

    #[test]
    fn the_reporter_side_the_sector_ministry_and_nisc_watch_follow_ups() {
        let ministry = Actor::User(UserActor {
            user_id: UserId(1),
            org: Some(OrgFacts {
                id: OrgId(3),
                roles: [Role::SectorMinistry].into(),
                jurisdiction: ["finance".to_owned()].into(),
                ..Default::default()
            }),
            is_contact: true,
            is_admin: false,
        });
        assert!(watches_follow_up(
            &ministry,
            ReportView::Released,
            "finance",
            false
        ));
        assert!(!watches_follow_up(
            &ministry,
            ReportView::Released,
            "gas",
            true
        ));
        assert!(watches_follow_up(
            &user(5, 5),
            ReportView::Own,
            "gas",
            false
        ));
        assert!(!watches_follow_up(
            &user(5, 5),
            ReportView::Released,
            "gas",
            true
        ));
        let nisc = Actor::User(UserActor {
            user_id: UserId(2),
            org: Some(OrgFacts {
                id: OrgId(1),
                roles: [Role::Nisc].into(),
                ..Default::default()
            }),
            is_contact: true,
            is_admin: false,
        });
        // NISC waits for the 続報 of every thread that reached it, and only of those.
        assert!(watches_follow_up(&nisc, ReportView::Released, "gas", true));
        assert!(!watches_follow_up(
            &nisc,
            ReportView::Released,
            "gas",
            false
        ));
    }
}
