//! The property test that the scope predicate and the policy function agree on random worlds,
//! on SQLite and (with `KYOYU_TEST_PG`) PostgreSQL. Items of every shape are written through
//! the store's test hooks (no use case makes them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeSet, HashMap};

use kyoyu_domain::policy::{self, Actor, ItemKind, ItemScope, Relation, ScopeFilter, UserActor};
use kyoyu_domain::reference::ReferenceData;
use kyoyu_domain::{ItemId, OrgId, Role, Tlp};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use kyoyu_store::{NewOrg, NewScopeItem, NewUser, Store, StoreError};
use kyoyu_test_support::TestDb;

const AT: &str = "2026-11-22T00:00:00.000000Z";

fn org(code: &str, roles: &[Role], sectors: &[&str], ministry: Option<&str>) -> NewOrg {
    NewOrg {
        code: code.into(),
        name_ja: format!("{code} org"),
        name_en: String::new(),
        roles: roles.iter().copied().collect(),
        sectors: sectors.iter().map(|s| s.to_string()).collect(),
        ministry: ministry.map(Into::into),
        at: AT.into(),
    }
}

fn user(org_id: Option<OrgId>, email: &str, contact: bool) -> NewUser {
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
    let mut items: HashMap<ItemId, ItemScope> = HashMap::new();
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
        let id = tx.hook_create_scope_item(&new).await.map_err(e)?;
        let scope = ItemScope {
            kind: new.kind,
            tlp: new.tlp,
            sectors: new.sectors,
            orgs: new.orgs,
            author: new.author,
            shared: new.shared,
        };
        // What the store gives back for one item is what went in.
        let stored = tx.hook_scope_item(id).await.map_err(e)?;
        if stored.as_ref() != Some(&scope) {
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
        let mut from_db: Vec<ItemId> = tx
            .hook_visible_item_ids(&filter)
            .await
            .map_err(e)?
            .into_iter()
            .filter(|id| items.contains_key(id))
            .collect();
        from_db.sort_unstable();
        let mut from_fn: Vec<ItemId> = items
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
