//! The store conformance suite: every test runs on SQLite, and on PostgreSQL when
//! `KYOYU_TEST_PG` holds a URL (CI sets it). The property test that the scope predicate and the
//! policy function agree on random worlds is in `tests/scope_predicate.rs`; the read model's own
//! property tests are in the core crate, where whole threads are built through the use cases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kyoyu_domain::reference::ReferenceData;
use kyoyu_domain::{Role, UserId};
use kyoyu_store::{NewAudit, NewOrg, Store, StoreError};
use kyoyu_test_support::TestDb;

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

fn audit_record(action: &str, target: &str, user: Option<UserId>) -> NewAudit {
    NewAudit {
        at: AT.into(),
        actor_user: user,
        actor_org: None,
        action: action.into(),
        target: target.into(),
        detail: serde_json::json!({}),
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
        tx.audit(&audit_record("x", "y", None)).await.unwrap();
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
                tx.audit(&audit_record("test", &format!("t:{i}"), Some(UserId(i))))
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
            tx.audit(&audit_record("x", "y", None))
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

/// Writers that share a commit (SQLite's group commit) must not share a fate: of many
/// concurrent writers, some committing, some abandoning their work, some failing on a
/// constraint half-way, exactly the committed ones' work is there — each whole — and every
/// committer was told the truth.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_keep_exactly_their_own_committed_work() {
    for db in TestDb::all().await {
        {
            let mut tx = db.store.begin().await.unwrap();
            tx.create_org(&org("taken", &[], &[], None)).await.unwrap();
            tx.commit().await.unwrap();
        }
        let mut tasks = Vec::new();
        for i in 0..60 {
            let store: Store = db.store.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                let code = format!("w{i}");
                tx.create_org(&org(&code, &[Role::Operator], &["finance"], None))
                    .await
                    .unwrap();
                tx.audit(&audit_record("w", &code, None)).await.unwrap();
                match i % 3 {
                    0 => {
                        tx.commit().await.unwrap();
                        Some(code)
                    }
                    1 => {
                        // Abandoned after writing (an error elsewhere, or the request went away).
                        tokio::task::yield_now().await;
                        drop(tx);
                        None
                    }
                    _ => {
                        // A unique violation half-way: the caller gives up on the transaction.
                        let err = tx.create_org(&org("taken", &[], &[], None)).await;
                        assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
                        None
                    }
                }
            }));
        }
        let mut committed = std::collections::BTreeSet::new();
        for t in tasks {
            if let Some(code) = t.await.unwrap() {
                committed.insert(code);
            }
        }
        let mut tx = db.store.read().await.unwrap();
        let present: std::collections::BTreeSet<String> = tx
            .list_orgs()
            .await
            .unwrap()
            .into_iter()
            .map(|o| {
                assert!(
                    o.code == "taken" || o.roles.contains(&Role::Operator),
                    "{o:?}"
                );
                o.code
            })
            .filter(|c| c != "taken")
            .collect();
        assert_eq!(present, committed, "{}", db.label);
        let (head, hash) = tx.audit_head().await.unwrap();
        let records = tx.audit_records(0, 1000).await.unwrap();
        assert_eq!(head as usize, committed.len(), "{}", db.label);
        assert_eq!(
            kyoyu_domain::audit::verify(&records, Some((head, &hash))),
            Ok(committed.len() as u64),
            "{}",
            db.label
        );
        drop(tx);
        db.cleanup().await;
    }
}
