//! The store conformance suite: every test runs on SQLite, and on PostgreSQL when
//! `KYOYU_TEST_PG` holds a URL (CI sets it). Includes the property test that the scope predicate
//! and the policy function agree on random worlds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeSet, HashMap};

use kyoyu_domain::policy::{self, Actor, ItemKind, ItemScope, Relation, ScopeFilter, UserActor};
use kyoyu_domain::reference::ReferenceData;
use kyoyu_domain::{Role, Tlp};
use kyoyu_store::testing::TestDb;
use kyoyu_store::{NewAudit, NewOrg, NewScopeItem, NewUser, Store, StoreError};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const AT: &str = "2026-11-22T00:00:00.000000Z";

fn org(code: &str, roles: &[Role], sectors: &[&str], ministry: Option<&str>) -> NewOrg {
    NewOrg {
        code: code.into(),
        name_ja: format!("{code} 組織"),
        name_en: String::new(),
        roles: roles.iter().copied().collect(),
        sectors: sectors.iter().map(|s| s.to_string()).collect(),
        ministry: ministry.map(Into::into),
        at: AT.into(),
    }
}

fn user(org_id: Option<i64>, email: &str, contact: bool) -> NewUser {
    NewUser {
        org_id,
        email: email.into(),
        name: email.into(),
        password_hash: "x".into(),
        is_contact: contact,
        is_admin: false,
        at: AT.into(),
    }
}

#[tokio::test]
async fn migrations_are_idempotent_and_ping_answers() {
    for db in TestDb::all().await {
        db.store.migrate().await.unwrap();
        db.store.migrate().await.unwrap();
        db.store.ping().await.unwrap();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn organisations_round_trip_with_roles_sectors_and_membership() {
    let reference = ReferenceData::bundled().unwrap();
    for db in TestDb::all().await {
        let mut tx = db.store.begin().await.unwrap();
        let fsa = tx
            .create_org(&org("fsa", &[Role::SectorMinistry], &[], Some("fsa")))
            .await
            .unwrap();
        let cep = tx
            .create_org(&org(
                "ceptoar-finance",
                &[Role::Ceptoar],
                &["finance"],
                None,
            ))
            .await
            .unwrap();
        let op = tx
            .create_org(&org("op-finance-1", &[Role::Operator], &["finance"], None))
            .await
            .unwrap();
        tx.add_ceptoar_member(cep, op).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.store.begin().await.unwrap();
        let dup = tx.create_org(&org("fsa", &[], &[], None)).await;
        assert!(
            matches!(dup, Err(StoreError::Conflict(_))),
            "{}: {dup:?}",
            db.label
        );
        drop(tx);

        let mut tx = db.store.read().await.unwrap();
        let facts = tx.org_facts(fsa, &reference).await.unwrap();
        assert_eq!(
            facts.jurisdiction,
            ["finance".to_string()].into(),
            "{}",
            db.label
        );
        let facts = tx.org_facts(op, &reference).await.unwrap();
        assert!(facts.in_ceptoar);
        assert_eq!(facts.ceptoar_sectors, ["finance".to_string()].into());
        let orgs = tx.list_orgs().await.unwrap();
        let codes: Vec<_> = orgs.iter().map(|o| o.code.as_str()).collect();
        assert_eq!(codes, ["ceptoar-finance", "fsa", "op-finance-1"]);
        assert_eq!(orgs[2].ceptoars, ["ceptoar-finance".to_string()].into());
        drop(tx);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_rolled_back_transaction_leaves_nothing() {
    for db in TestDb::all().await {
        let mut tx = db.store.begin().await.unwrap();
        tx.create_org(&org("temp", &[], &[], None)).await.unwrap();
        tx.audit(NewAudit {
            at: AT,
            actor_user: None,
            actor_org: None,
            action: "x",
            target: "y",
            detail: serde_json::json!({}),
        })
        .await
        .unwrap();
        drop(tx);
        let mut tx = db.store.read().await.unwrap();
        assert!(
            tx.org_id_by_code("temp").await.unwrap().is_none(),
            "{}",
            db.label
        );
        assert_eq!(tx.audit_head().await.unwrap().0, 0, "{}", db.label);
        drop(tx);
        db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn counters_are_unique_and_gapless_under_concurrency() {
    for db in TestDb::all().await {
        let mut tasks = Vec::new();
        for i in 0..40 {
            let store: Store = db.store.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                let n = tx.next_counter("R").await.unwrap();
                if i % 7 == 0 {
                    // A rolled-back taker must not leave a gap.
                    drop(tx);
                    return None;
                }
                tx.commit().await.unwrap();
                Some(n)
            }));
        }
        let mut got: Vec<i64> = Vec::new();
        for t in tasks {
            if let Some(n) = t.await.unwrap() {
                got.push(n);
            }
        }
        got.sort_unstable();
        let expected: Vec<i64> = (1..=got.len() as i64).collect();
        assert_eq!(got, expected, "{}", db.label);
        db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_audit_chain_holds_under_concurrent_appends() {
    for db in TestDb::all().await {
        let mut tasks = Vec::new();
        for i in 0..30 {
            let store = db.store.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                tx.audit(NewAudit {
                    at: AT,
                    actor_user: Some(i),
                    actor_org: None,
                    action: "test",
                    target: &format!("t:{i}"),
                    detail: serde_json::json!({ "i": i }),
                })
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let mut tx = db.store.read().await.unwrap();
        let (head, hash) = tx.audit_head().await.unwrap();
        let records = tx.audit_records(0, 1000).await.unwrap();
        assert_eq!(head, 30);
        assert_eq!(
            kyoyu_domain::audit::verify(&records, Some((head, &hash))),
            Ok(30),
            "{}",
            db.label
        );
        drop(tx);
        db.cleanup().await;
    }
}

// ---------------------------------------------------------------------------------------------
// The property test: predicate and function agree on random worlds.

const SECTORS: [&str; 4] = ["finance", "electricity", "gas", "medical"];
const MINISTRIES: [&str; 3] = ["fsa", "meti", "mhlw"];

#[derive(Debug, Clone)]
struct WOrg {
    roles: BTreeSet<Role>,
    sectors: BTreeSet<&'static str>,
    ministry: Option<&'static str>,
}

#[derive(Debug, Clone)]
struct WUser {
    org: Option<usize>,
    contact: bool,
}

#[derive(Debug, Clone)]
struct WItem {
    shared: bool,
    kind: ItemKind,
    tlp: Tlp,
    author: Option<usize>,
    sectors: BTreeSet<&'static str>,
    orgs: BTreeSet<(usize, Relation)>,
}

#[derive(Debug, Clone)]
struct World {
    orgs: Vec<WOrg>,
    memberships: BTreeSet<(usize, usize)>,
    users: Vec<WUser>,
    items: Vec<WItem>,
}

fn subset<T: Clone + Ord + std::fmt::Debug + 'static>(
    all: &'static [T],
) -> impl Strategy<Value = BTreeSet<T>> {
    proptest::sample::subsequence(all, 0..=all.len()).prop_map(|v| v.into_iter().collect())
}

fn world_org() -> impl Strategy<Value = WOrg> {
    (
        subset(Role::ALL),
        subset(&SECTORS),
        proptest::option::of(proptest::sample::select(&MINISTRIES[..])),
    )
        .prop_map(|(roles, sectors, ministry)| WOrg {
            roles,
            sectors,
            ministry,
        })
}

fn world() -> impl Strategy<Value = World> {
    (1usize..9).prop_flat_map(move |n_orgs| {
        let orgs = proptest::collection::vec(world_org(), n_orgs);
        let memberships = proptest::collection::btree_set((0..n_orgs, 0..n_orgs), 0..n_orgs * 2);
        let users = proptest::collection::vec(
            (proptest::option::weighted(0.9, 0..n_orgs), any::<bool>())
                .prop_map(|(org, contact)| WUser { org, contact }),
            1..12,
        );
        (orgs, memberships, users).prop_flat_map(move |(orgs, memberships, users)| {
            let n_users = users.len();
            let relation = proptest::sample::select(&Relation::ALL[..]);
            let item = (
                proptest::bool::weighted(0.8),
                prop_oneof![Just(ItemKind::Report), Just(ItemKind::Advisory)],
                proptest::sample::select(Tlp::ALL),
                proptest::option::weighted(0.3, 0..n_users),
                subset(&SECTORS),
                proptest::collection::btree_set((0..n_orgs, relation), 0..3),
            )
                .prop_map(|(shared, kind, tlp, author, sectors, orgs)| WItem {
                    shared,
                    kind,
                    tlp,
                    author,
                    sectors,
                    orgs,
                });
            proptest::collection::vec(item, 1..16).prop_map(move |items| World {
                orgs: orgs.clone(),
                memberships: memberships.clone(),
                users: users.clone(),
                items,
            })
        })
    })
}

/// Stores the world (codes made unique by `run`), then checks, for every user and for an
/// anonymous caller, that the items the predicate returns are exactly those `can_see` allows.
async fn check_world(
    store: &Store,
    reference: &ReferenceData,
    run: usize,
    w: &World,
) -> Result<(), String> {
    let e = |e: StoreError| e.to_string();
    let mut tx = store.begin().await.map_err(e)?;
    let mut org_ids = Vec::new();
    for (i, o) in w.orgs.iter().enumerate() {
        let roles: Vec<Role> = o.roles.iter().copied().collect();
        let sectors: Vec<&str> = o.sectors.iter().copied().collect();
        org_ids.push(
            tx.create_org(&org(&format!("o{run}-{i}"), &roles, &sectors, o.ministry))
                .await
                .map_err(e)?,
        );
    }
    for (c, m) in &w.memberships {
        tx.add_ceptoar_member(org_ids[*c], org_ids[*m])
            .await
            .map_err(e)?;
    }
    let mut user_ids = Vec::new();
    for (i, u) in w.users.iter().enumerate() {
        let org = u.org.map(|o| org_ids[o]);
        user_ids.push(
            tx.create_user(&user(org, &format!("u{run}-{i}@t.example"), u.contact))
                .await
                .map_err(e)?,
        );
    }
    let mut items: HashMap<i64, ItemScope> = HashMap::new();
    for it in &w.items {
        let new = NewScopeItem {
            kind: it.kind,
            tlp: it.tlp,
            author: it.author.map(|u| user_ids[u]),
            sectors: it.sectors.iter().map(|s| s.to_string()).collect(),
            orgs: it.orgs.iter().map(|(o, r)| (org_ids[*o], *r)).collect(),
            shared: it.shared,
            at: AT.into(),
        };
        let id = tx.create_scope_item(&new).await.map_err(e)?;
        let scope = ItemScope {
            kind: new.kind,
            tlp: new.tlp,
            sectors: new.sectors,
            orgs: new.orgs,
            author: new.author,
            shared: new.shared,
        };
        // What the store gives back for one item is what went in.
        let stored = tx.scope_item(id).await.map_err(e)?;
        if stored != scope {
            return Err(format!(
                "item {id} stored as {stored:?}, expected {scope:?}"
            ));
        }
        items.insert(id, scope);
    }
    let mut actors = vec![Actor::Anonymous];
    for (i, u) in w.users.iter().enumerate() {
        let org = match u.org {
            Some(o) => Some(tx.org_facts(org_ids[o], reference).await.map_err(e)?),
            None => None,
        };
        actors.push(Actor::User(UserActor {
            user_id: user_ids[i],
            org,
            is_contact: u.contact,
            is_admin: false,
        }));
    }
    for actor in &actors {
        let filter = ScopeFilter::of(actor);
        let mut from_db: Vec<i64> = tx
            .visible_item_ids(&filter, None)
            .await
            .map_err(e)?
            .into_iter()
            .filter(|id| items.contains_key(id))
            .collect();
        from_db.sort_unstable();
        let mut from_fn: Vec<i64> = items
            .iter()
            .filter(|(_, it)| policy::can_see(actor, it))
            .map(|(id, _)| *id)
            .collect();
        from_fn.sort_unstable();
        if from_db != from_fn {
            return Err(format!(
                "actor {actor:?}\n predicate: {from_db:?}\n function:  {from_fn:?}"
            ));
        }
    }
    tx.commit().await.map_err(e)?;
    Ok(())
}

#[test]
fn scope_predicate_agrees_with_the_policy_function_on_random_worlds() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let reference = ReferenceData::bundled().unwrap();
    let dbs = rt.block_on(TestDb::all());
    for db in dbs {
        let cases = if db.label == "sqlite" { 96 } else { 48 };
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let run = std::cell::Cell::new(0usize);
        let result = runner.run(&world(), |w| {
            run.set(run.get() + 1);
            rt.block_on(check_world(&db.store, &reference, run.get(), &w))
                .map_err(|msg| TestCaseError::fail(format!("[{}] {msg}", db.label)))
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        rt.block_on(db.cleanup());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_sqlite_file_take_turns_writing() {
    let db = TestDb::sqlite().await.unwrap();
    let other = db.reopen().await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = if i % 2 == 0 {
            db.store.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.map_err(|e| format!("begin: {e}"))?;
            // Read first, then write: the transaction must already hold the write lock.
            tx.list_orgs().await.map_err(|e| format!("read: {e}"))?;
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            let n = tx
                .next_counter("R")
                .await
                .map_err(|e| format!("counter: {e}"))?;
            tx.audit(NewAudit {
                at: AT,
                actor_user: None,
                actor_org: None,
                action: "x",
                target: "y",
                detail: serde_json::json!({}),
            })
            .await
            .map_err(|e| format!("audit: {e}"))?;
            tx.commit().await.map_err(|e| format!("commit: {e}"))?;
            Ok::<i64, String>(n)
        }));
    }
    let mut got = Vec::new();
    for t in tasks {
        got.push(t.await.unwrap().unwrap());
    }
    got.sort_unstable();
    assert_eq!(got, (1..=40).collect::<Vec<i64>>());
}
