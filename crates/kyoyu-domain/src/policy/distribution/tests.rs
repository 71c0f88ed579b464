//! The advisory flow of 図6 as tables: who passes an advisory on to whom within its TLP, who
//! records receipt, who asks and answers, who sees which deliveries, who decides a request.

use super::*;
use crate::Tlp;
use crate::advisory::record::AdvisoryEdition;
use crate::ids::{AdvisoryId, ReportId, ScopeRequestId};
use crate::policy::{ItemKind, ItemScope, Relation, admit};

const FIXTURE: &str = include_str!("../../../../../fixtures/advisory-fig8.json");

fn org(id: i64, code: &str, roles: &[Role], sectors: &[&str]) -> OrgFacts {
    let set: BTreeSet<String> = sectors.iter().map(|s| s.to_string()).collect();
    let ministry = roles.contains(&Role::SectorMinistry);
    OrgFacts {
        id: OrgId(id),
        code: code.into(),
        roles: roles.iter().copied().collect(),
        ministry: ministry.then(|| code.to_owned()),
        jurisdiction: if ministry {
            set.clone()
        } else {
            BTreeSet::new()
        },
        sectors: if ministry { BTreeSet::new() } else { set },
        ..Default::default()
    }
}

fn member(mut o: OrgFacts, ceptoar: i64, sector: &str) -> OrgFacts {
    o.ceptoars = [OrgId(ceptoar)].into();
    o.ceptoar_sectors = [sector.to_owned()].into();
    o.in_ceptoar = true;
    o
}

fn world() -> Vec<OrgFacts> {
    vec![
        org(1, "nisc", &[Role::Nisc], &[]),
        org(2, "meti", &[Role::SectorMinistry], &["electricity", "gas"]),
        org(3, "fsa", &[Role::SectorMinistry], &["finance"]),
        org(4, "ceptoar-electricity", &[Role::Ceptoar], &["electricity"]),
        member(
            org(5, "op-electricity-1", &[Role::Operator], &["electricity"]),
            4,
            "electricity",
        ),
        org(6, "op-electricity-x", &[Role::Operator], &["electricity"]),
        org(7, "ceptoar-gas", &[Role::Ceptoar], &["gas"]),
        org(8, "vendor-1", &[Role::CyberspaceVendor], &[]),
    ]
}

fn actor(o: &OrgFacts, contact: bool) -> Actor {
    Actor::User(UserActor {
        user_id: UserId(o.id.0 * 100),
        org: Some(o.clone()),
        is_contact: contact,
        is_admin: false,
    })
}

/// Published to meti for electricity, delivered to meti only.
fn advisory(tlp: Tlp) -> AdvisoryRecord {
    let mut form: AdvisoryForm = serde_json::from_str(FIXTURE).unwrap_or_else(|e| panic!("{e}"));
    form.tlp = tlp;
    form.recipients = vec![crate::advisory::Recipient {
        ministry: "meti".into(),
        sectors: vec!["electricity".into()],
    }];
    AdvisoryRecord {
        id: AdvisoryId(9),
        number: Some(1),
        published: true,
        exercise: false,
        created_by: UserId(100),
        created_at: "t".into(),
        published_at: Some("t".into()),
        updated_at: "t".into(),
        editions: vec![AdvisoryEdition {
            edition: 1,
            form,
            published: true,
            created_at: "t".into(),
            published_at: Some("t".into()),
        }],
        sources: vec![],
        deliveries: vec![Delivery {
            org: OrgId(2),
            from: OrgId(1),
            edition: 1,
            delivered_at: "t".into(),
            received_at: None,
            handled_at: None,
            note: String::new(),
        }],
        inquiries: vec![],
        attachments: vec![],
        requests: vec![],
        scope: ItemScope {
            kind: ItemKind::Advisory,
            tlp,
            sectors: ["electricity".to_owned()].into(),
            orgs: [(OrgId(1), Relation::Route), (OrgId(2), Relation::Recipient)].into(),
            author: Some(UserId(100)),
            shared: true,
        },
    }
}

fn seen(actor: &Actor, rec: &AdvisoryRecord) -> Visible<AdvisoryRecord> {
    admit(actor, rec.scope.clone(), rec.clone()).unwrap_or_else(|| panic!("{actor:?} may see it"))
}

#[test]
fn a_ministry_passes_it_on_only_to_whom_the_tlp_admits() {
    let w = world();
    let meti = actor(&w[1], true);
    // (TLP, expected candidates of meti)
    let table: [(Tlp, &[&str]); 4] = [
        (Tlp::Red, &[]),
        (Tlp::Amber, &["ceptoar-electricity", "op-electricity-1"]),
        (Tlp::Green, &["ceptoar-electricity", "op-electricity-1"]),
        (
            Tlp::White,
            &[
                "ceptoar-electricity",
                "op-electricity-1",
                "op-electricity-x",
            ],
        ),
    ];
    for (tlp, want) in table {
        let rec = advisory(tlp);
        let v = seen(&meti, &rec);
        let got: Vec<&str> = forward_candidates(&w[1], &v, &w)
            .iter()
            .map(|o| o.code.as_str())
            .collect();
        assert_eq!(got, want, "{tlp}");
    }
    // Not a gas CEPTOAR: the advisory is for electricity only.
    let v = seen(&meti, &advisory(Tlp::White));
    let e = may_deliver(&meti, &v, &[&w[6]], &w).unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::InvalidField, Some("to[0]"))
    );
    let p = may_deliver(&meti, &v, &[&w[3], &w[4]], &w).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(p.to(), &[OrgId(4), OrgId(5)]);
}

#[test]
fn a_ceptoar_passes_it_on_to_its_members_once_it_has_it() {
    let w = world();
    let mut rec = advisory(Tlp::Amber);
    let cep = actor(&w[3], true);
    let v = seen(&cep, &rec);
    assert!(
        forward_candidates(&w[3], &v, &w).is_empty(),
        "not delivered to it yet"
    );
    rec.deliveries.push(Delivery {
        org: OrgId(4),
        from: OrgId(2),
        edition: 1,
        delivered_at: "t".into(),
        received_at: None,
        handled_at: None,
        note: String::new(),
    });
    let v = seen(&cep, &rec);
    let got: Vec<&str> = forward_candidates(&w[3], &v, &w)
        .iter()
        .map(|o| o.code.as_str())
        .collect();
    assert_eq!(got, ["op-electricity-1"]);
    assert!(may_acknowledge(&cep, &v).is_ok());
    // The CEPTOAR sees its own delivery, not NISC's to meti; NISC sees both.
    assert_eq!(visible_deliveries(&cep, &v).len(), 1);
    let nisc = actor(&w[0], true);
    assert_eq!(visible_deliveries(&nisc, &seen(&nisc, &rec)).len(), 2);
    assert_eq!(
        drill_deliveries(&cep, &v).unwrap_err().code,
        ErrorCode::Forbidden,
        "it passed nothing on"
    );
}

#[test]
fn receipt_inquiries_and_publication_follow_the_delivery() {
    let w = world();
    let rec = advisory(Tlp::Green);
    let fsa = actor(&w[2], true);
    let v = seen(&fsa, &rec);
    assert_eq!(
        may_acknowledge(&fsa, &v).unwrap_err().code,
        ErrorCode::NotDelivered
    );
    assert_eq!(
        may_inquire(&fsa, &v, None).unwrap_err().code,
        ErrorCode::Forbidden
    );
    let meti = actor(&w[1], true);
    let v = seen(&meti, &rec);
    assert_eq!(
        may_inquire(&meti, &v, None).map(|p| p.ministry()),
        Ok(OrgId(2))
    );
    let nisc = actor(&w[0], true);
    let v = seen(&nisc, &rec);
    assert_eq!(
        may_inquire(&nisc, &v, None).unwrap_err().field.as_deref(),
        Some("ministry")
    );
    assert_eq!(
        may_inquire(&nisc, &v, Some(&w[1])).map(|p| p.ministry()),
        Ok(OrgId(2))
    );
    assert_eq!(
        may_publish(&nisc, &v, &[], 0, None, &w).unwrap_err().code,
        ErrorCode::AlreadyPublished
    );
    assert_eq!(may_draft(&meti).unwrap_err().code, ErrorCode::Forbidden);
}

#[test]
fn publication_stops_at_the_ceiling_and_at_lint_hits_without_a_reason() {
    let w = world();
    let mut rec = advisory(Tlp::Green);
    rec.published = true;
    rec.published = false;
    rec.deliveries.clear();
    let nisc = actor(&w[0], true);
    let v = seen(&nisc, &rec);
    let limit = Limit {
        report_id: ReportId(3),
        number: "R1".into(),
        reason: "x".into(),
    };
    let e = may_publish(&nisc, &v, &[limit], 0, None, &w).unwrap_err();
    assert_eq!(e.code, ErrorCode::ScopeCeilingExceeded);
    assert!(e.detail.map(|d| d.ja()).unwrap_or_default().contains("R1"));
    assert_eq!(
        may_publish(&nisc, &v, &[], 2, Some("  "), &w)
            .unwrap_err()
            .code,
        ErrorCode::SourceLintHits
    );
    let p = may_publish(&nisc, &v, &[], 2, Some("公開済みの情報"), &w)
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(p.to(), &[OrgId(2)], "the recipient ministry");
    assert!(p.lint_override().is_some());
}

#[test]
fn only_a_sharing_contact_of_the_addressed_source_decides_a_request_once() {
    let w = world();
    let mut q = ScopeRequest {
        id: ScopeRequestId(1),
        advisory: AdvisoryId(9),
        report: ReportId(3),
        to_org: OrgId(5),
        wanted_tlp: Tlp::Green,
        wanted_sectors: vec![],
        reason: "r".into(),
        state: RequestState::Pending,
        requested_at: "t".into(),
        decided_at: None,
        decision_note: String::new(),
    };
    assert!(may_decide(&actor(&w[4], true), &q).is_ok());
    assert_eq!(
        may_decide(&actor(&w[4], false), &q).unwrap_err().code,
        ErrorCode::Forbidden
    );
    assert_eq!(
        may_decide(&actor(&w[3], true), &q).unwrap_err().code,
        ErrorCode::NotFound
    );
    assert!(sees_request(&actor(&w[0], true), &q));
    assert!(!sees_request(&actor(&w[3], true), &q));
    q.state = RequestState::Accepted;
    assert_eq!(
        may_decide(&actor(&w[4], true), &q).unwrap_err().code,
        ErrorCode::AlreadyDecided
    );
}
