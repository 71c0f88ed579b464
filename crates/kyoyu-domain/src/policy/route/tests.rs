//! The route of 図3 as a table: for each sender and recipient, whether the first edition may go
//! there, whether it leaves the reporter's side, and who may pass it on, anonymise it, follow
//! up and attach.

use super::*;
use crate::Tlp;
use crate::ids::{ReportId, UserId, VersionId};
use crate::policy::{ItemKind, ItemScope, Relation, UserActor, admit};
use crate::report::thread::{HopRecord, VersionRecord};

const FIXTURE: &str = include_str!("../../../../../fixtures/report-fig5.json");

fn org(id: i64, code: &str, roles: &[Role], sectors: &[&str]) -> OrgFacts {
    let set = sectors.iter().map(|s| s.to_string()).collect();
    OrgFacts {
        id: OrgId(id),
        code: code.into(),
        roles: roles.iter().copied().collect(),
        jurisdiction: if roles.contains(&Role::SectorMinistry) {
            set
        } else {
            Default::default()
        },
        sectors: if roles.contains(&Role::SectorMinistry) {
            Default::default()
        } else {
            sectors.iter().map(|s| s.to_string()).collect()
        },
        ..Default::default()
    }
}

fn dir() -> Vec<OrgFacts> {
    let mut op1 = org(5, "op-finance-1", &[Role::Operator], &["finance"]);
    op1.ceptoars = [OrgId(4)].into();
    op1.in_ceptoar = true;
    vec![
        org(1, "nisc", &[Role::Nisc], &[]),
        org(2, "fsa", &[Role::SectorMinistry], &["finance"]),
        org(3, "meti", &[Role::SectorMinistry], &["electricity"]),
        org(4, "ceptoar-finance", &[Role::Ceptoar], &["finance"]),
        op1,
        org(6, "op-finance-2", &[Role::Operator], &["finance"]),
        org(7, "outsider", &[], &[]),
    ]
}

fn actor(o: &OrgFacts) -> Actor {
    Actor::User(UserActor {
        user_id: UserId(o.id.0 * 100),
        org: Some(o.clone()),
        is_contact: true,
        is_admin: false,
    })
}

fn form(basis_legal: bool) -> ReportForm {
    let mut f: ReportForm = serde_json::from_str(FIXTURE).unwrap_or_else(|e| panic!("{e}"));
    f.sector = "finance".into();
    f.number = None;
    f.basis = basis_legal.then_some(ReportBasis::Legal);
    f.tlp = Tlp::Amber;
    f
}

#[test]
fn who_may_send_a_first_edition_where() {
    let d = dir();
    let o = |id: i64| {
        d.iter()
            .find(|x| x.id == OrgId(id))
            .unwrap_or_else(|| panic!("{id}"))
    };
    // (sender, recipient, legal, allowed, released on arrival, end of route)
    let table = [
        (5, 2, false, true, true, false),   // operator → its ministry
        (5, 4, false, true, false, false),  // operator → its CEPTOAR: stays on its side
        (5, 4, true, false, false, false),  // legally mandated: not via the CEPTOAR
        (5, 3, false, false, false, false), // not the finance ministry
        (5, 1, false, false, false, false), // not straight to NISC
        (6, 4, false, false, false, false), // not a member of that CEPTOAR
        (4, 2, false, true, true, false),   // CEPTOAR → ministry
        (2, 1, false, true, true, true),    // ministry → NISC
        (7, 2, false, false, false, false), // no role: may not file at all
    ];
    for (from, to, legal, allowed, release, end) in table {
        let got = may_file(
            &actor(o(from)),
            &form(legal),
            Some(o(to)),
            false,
            true,
            vec![],
            &d,
        );
        assert_eq!(got.is_ok(), allowed, "{from} → {to} legal {legal}: {got:?}");
        if let Ok(p) = got {
            let send = p.send().unwrap_or_else(|| panic!("sent"));
            assert_eq!(send.hop().release(), release, "{from} → {to}");
            assert_eq!(send.hop().end_of_route(), end, "{from} → {to}");
            assert_eq!(send.ceptoar(), (to == 4).then_some(OrgId(4)));
        }
    }
    let denied = may_file(
        &actor(o(7)),
        &form(false),
        Some(o(2)),
        false,
        true,
        vec![],
        &d,
    );
    assert_eq!(denied.map(|_| ()).unwrap_err().code, ErrorCode::Forbidden);
    let legal = may_file(
        &actor(o(5)),
        &form(true),
        Some(o(4)),
        false,
        true,
        vec![],
        &d,
    );
    assert_eq!(legal.unwrap_err().code, ErrorCode::RouteNotAllowed);
}

#[test]
fn anonymisation_can_be_asked_only_of_a_ceptoar() {
    let d = dir();
    let (op, cep, fsa) = (&d[4], &d[3], &d[1]);
    let p = may_file(&actor(op), &form(false), Some(cep), true, true, vec![], &d)
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(p.send().is_some_and(|s| s.anonymize()));
    let e = may_file(&actor(op), &form(false), Some(fsa), true, true, vec![], &d).unwrap_err();
    assert_eq!(e.code, ErrorCode::AnonymizeNotAllowed);
    // A draft needs no recipient; sending does.
    assert!(may_file(&actor(op), &form(false), None, false, false, vec![], &d).is_ok());
    let e = may_file(&actor(op), &form(false), None, false, true, vec![], &d).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("route.to"));
}

fn version(id: i64, edition: u32, sent: bool, released: bool, author_org: i64) -> VersionRecord {
    VersionRecord {
        id: VersionId(id),
        edition,
        version: 1,
        form: form(false),
        sent,
        released,
        anonymized: false,
        author_user: UserId(500),
        author_org: OrgId(author_org),
        created_at: "2026-11-22T00:00:00.000000Z".into(),
        sent_at: sent.then(|| "2026-11-22T00:00:00.000000Z".into()),
    }
}

fn hop(id: i64, version: i64, from: i64, to: i64, forwarded: bool) -> HopRecord {
    HopRecord {
        id,
        version: VersionId(version),
        edition: 1,
        from: OrgId(from),
        to: OrgId(to),
        by_user: UserId(1),
        at: "2026-11-22T00:00:00.000000Z".into(),
        anonymized: false,
        tlp: Tlp::Amber,
        forwarded,
    }
}

/// op-finance-1 sent edition 1 to its CEPTOAR, asking for anonymisation.
fn at_the_ceptoar() -> ReportRecord {
    ReportRecord {
        id: ReportId(10),
        number: None,
        sector: "finance".into(),
        origin_org: OrgId(5),
        origin_user: UserId(500),
        ceptoar: Some(OrgId(4)),
        anonymize_requested: true,
        created_at: "2026-11-22T00:00:00.000000Z".into(),
        updated_at: "2026-11-22T00:00:00.000000Z".into(),
        versions: vec![version(1, 1, true, false, 5)],
        hops: vec![hop(1, 1, 5, 4, false)],
        attachments: vec![],
        scope: ItemScope {
            kind: ItemKind::Report,
            tlp: Tlp::Amber,
            sectors: ["finance".to_owned()].into(),
            orgs: [(OrgId(5), Relation::Route), (OrgId(4), Relation::Route)].into(),
            author: Some(UserId(500)),
            shared: false,
        },
    }
}

#[test]
fn the_ceptoar_passes_it_on_anonymised_and_only_it_may() {
    let d = dir();
    let rec = at_the_ceptoar();
    let (cep, fsa, meti, op) = (&d[3], &d[1], &d[2], &d[4]);
    let seen = admit(&actor(cep), rec.scope.clone(), rec.clone()).unwrap_or_else(|| panic!());
    let p =
        may_forward(&actor(cep), &seen, fsa, None, None, &d).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(p.anonymize(), "the reporter asked for it");
    assert!(p.hop().release());
    assert_eq!(p.received(), VersionId(1));
    let e = may_forward(&actor(cep), &seen, meti, None, None, &d).unwrap_err();
    assert_eq!(e.code, ErrorCode::RouteNotAllowed);
    let a = actions(&actor(cep), &seen, &d);
    assert_eq!(a.forward_to, vec![OrgId(2)]);
    assert!(a.anonymize_required);
    // The reporter has nothing waiting; it may follow up and attach.
    let mine = admit(&actor(op), rec.scope.clone(), rec.clone()).unwrap_or_else(|| panic!());
    let e = may_forward(&actor(op), &mine, fsa, None, None, &d).unwrap_err();
    assert_eq!(e.code, ErrorCode::NothingToForward);
    let f = may_follow_up(&actor(op), &mine, &form(false), true, &d)
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(f.edition(), 2);
    assert_eq!(
        f.hop().map(|h| (h.to(), h.release())),
        Some((OrgId(4), false))
    );
    assert!(may_attach(&actor(op), &mine).is_ok());
    assert!(may_attach(&actor(cep), &seen).is_ok());
}

#[test]
fn a_correction_may_narrow_the_scope_but_not_widen_it_or_change_the_sector() {
    let d = dir();
    let rec = at_the_ceptoar();
    let cep = &d[3];
    let seen = admit(&actor(cep), rec.scope.clone(), rec.clone()).unwrap_or_else(|| panic!());
    let mut wider = form(false);
    wider.tlp = Tlp::Green;
    let e = may_forward(&actor(cep), &seen, &d[1], None, Some(&wider), &d).unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::TlpWidened, Some("form.tlp"))
    );
    let mut other = form(false);
    other.sector = "gas".into();
    let e = may_forward(&actor(cep), &seen, &d[1], None, Some(&other), &d).unwrap_err();
    assert_eq!(e.code, ErrorCode::SectorFixed);
    let mut narrower = form(false);
    narrower.tlp = Tlp::Red;
    assert!(may_forward(&actor(cep), &seen, &d[1], None, Some(&narrower), &d).is_ok());
}

#[test]
fn only_the_reporters_ceptoar_may_anonymise_and_only_the_origin_follows_up() {
    let d = dir();
    let mut rec = at_the_ceptoar();
    // Now at fsa, from the CEPTOAR.
    rec.hops[0].forwarded = true;
    rec.hops.push(hop(2, 1, 4, 2, false));
    rec.scope.orgs.insert((OrgId(2), Relation::Route));
    rec.scope.shared = true;
    let fsa = &d[1];
    let seen = admit(&actor(fsa), rec.scope.clone(), rec.clone()).unwrap_or_else(|| panic!());
    let e = may_forward(&actor(fsa), &seen, &d[0], Some(true), None, &d).unwrap_err();
    assert_eq!(e.code, ErrorCode::AnonymizeNotAllowed);
    let p =
        may_forward(&actor(fsa), &seen, &d[0], None, None, &d).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(p.hop().end_of_route());
    let e = may_follow_up(&actor(fsa), &seen, &form(false), true, &d).unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
}

#[test]
fn drafts_belong_to_the_organisation_that_writes_them() {
    let d = dir();
    let mut rec = at_the_ceptoar();
    rec.versions.push(version(2, 2, false, false, 5));
    let op = &d[4];
    let mine = admit(&actor(op), rec.scope.clone(), rec.clone()).unwrap_or_else(|| panic!());
    let e = may_follow_up(&actor(op), &mine, &form(false), false, &d).unwrap_err();
    assert_eq!(e.code, ErrorCode::DraftExists);
    let p =
        may_submit_draft(&actor(op), &mine, None, false, &d).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!((p.edition(), p.hop().map(|h| h.to())), (2, Some(OrgId(4))));
    let cep = &d[3];
    let seen = admit(&actor(cep), rec.scope.clone(), rec.clone()).unwrap_or_else(|| panic!());
    let e = may_edit_draft(&actor(cep), &seen, &form(false)).unwrap_err();
    assert_eq!(e.code, ErrorCode::NoDraft);
}
