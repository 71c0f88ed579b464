//! Saved searches that notify, on SQLite and PostgreSQL: the first check only records what
//! exists; a later check e-mails the owner (through the outbox) about new items it may see —
//! and only those: a matching report outside the owner's scope announces nothing; a hit is
//! announced once; opening the search counts its hits as seen; another user cannot open,
//! delete or be told about someone else's search.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kyoyu_core::search::{SearchKind, SearchRequest};
use kyoyu_core::{Core, CoreConfig, ErrorCode, Session, demo};
use kyoyu_domain::report::ReportForm;
use kyoyu_store::TokenKind;
use kyoyu_test_support::{FixedClock, TestDb, form_for};

async fn session(core: &Core, who: &str) -> Session {
    let login = core
        .login(
            &format!("{who}@demo.example"),
            demo::DEMO_PASSWORD,
            None,
            TokenKind::Session,
        )
        .await
        .unwrap();
    core.authenticate(&login.token).await.unwrap()
}

/// Files an Amber report of `op` (`op-<sector>-1`) straight to its ministry, naming the word.
async fn file(core: &Core, op: &Session, org: &str, sector: &str, ministry: &str) {
    let mut form = form_for(org, sector, "amber");
    form["summary"]["description"] =
        serde_json::json!("・VPN装置の脆弱性を悪用した侵入を確認した。");
    let form: ReportForm = serde_json::from_value(form).unwrap();
    core.create_report(op, form, Some(ministry), false, true)
        .await
        .unwrap();
}

fn mails_to<'a>(outbox: &'a [kyoyu_store::OutboxRow], to: &str) -> Vec<&'a kyoyu_store::OutboxRow> {
    outbox
        .iter()
        .filter(|o| o.kind == "saved_search" && o.address == to)
        .collect()
}

#[tokio::test]
async fn a_saved_search_announces_new_hits_in_scope_once() {
    for db in TestDb::all().await {
        let clock = Arc::new(FixedClock::at(1_780_000_000));
        let core = Core::new(db.store.clone(), clock.clone(), CoreConfig::default())
            .await
            .unwrap();
        demo::ensure(&core).await.unwrap();
        let fsa = session(&core, "fsa-contact").await;
        let fin = session(&core, "op-finance-1-contact").await;
        let ele = session(&core, "op-electricity-1-contact").await;
        file(&core, &fin, "金融デモ事業者1", "finance", "fsa").await;

        let req = SearchRequest {
            q: Some("ＶＰＮ装置 侵入".into()),
            kind: SearchKind::Reports,
            ..Default::default()
        };
        let id = core.save_search(&fsa, "VPN侵入", &req).await.unwrap();
        let every = chrono::Duration::minutes(5);
        // First check: a baseline, nothing announced.
        assert_eq!(core.check_saved_searches(every).await.unwrap(), 0);
        let mut outbox = core.outbox().await.unwrap();
        assert!(mails_to(&outbox, "fsa-contact@demo.example").is_empty());
        assert_eq!(core.saved_searches(&fsa).await.unwrap()[0].new_hits, 0);

        // A new matching report in FSA's sector, and one FSA may not see (electricity, Amber).
        clock.advance(600);
        file(&core, &fin, "金融デモ事業者1", "finance", "fsa").await;
        file(&core, &ele, "電力デモ事業者1", "electricity", "meti").await;
        assert_eq!(core.check_saved_searches(every).await.unwrap(), 1);
        outbox = core.outbox().await.unwrap();
        let mails = mails_to(&outbox, "fsa-contact@demo.example");
        assert_eq!(mails.len(), 1, "{outbox:?}");
        assert!(mails[0].subject.contains("VPN侵入"), "{}", mails[0].subject);
        assert!(
            mails[0].body.contains("1件"),
            "only the one FSA may see: {}",
            mails[0].body
        );
        assert!(
            !mails[0].body.contains("金融デモ事業者1"),
            "never the content"
        );
        assert_eq!(core.saved_searches(&fsa).await.unwrap()[0].new_hits, 1);

        // Checked again: not due yet; later, nothing new is nothing announced.
        assert_eq!(core.check_saved_searches(every).await.unwrap(), 0);
        clock.advance(600);
        assert_eq!(core.check_saved_searches(every).await.unwrap(), 0);
        let again = core.outbox().await.unwrap();
        assert_eq!(mails_to(&again, "fsa-contact@demo.example").len(), 1);

        // Someone else's search is not there for them; the owner's opening counts as seen.
        let e = core.open_saved_search(&ele, id).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        assert_eq!(
            core.delete_saved_search(&ele, id).await.unwrap_err().code,
            ErrorCode::NotFound
        );
        let opened = core.open_saved_search(&fsa, id).await.unwrap();
        assert_eq!(opened.query.q.as_deref(), Some("ＶＰＮ装置 侵入"));
        assert_eq!(core.saved_searches(&fsa).await.unwrap()[0].new_hits, 0);

        // A search that cannot be run is refused when saved.
        let bad = SearchRequest {
            q: Some("侵".into()),
            ..Default::default()
        };
        let e = core.save_search(&fsa, "x", &bad).await.unwrap_err();
        assert_eq!(e.field.as_deref(), Some("q"));
        let e = core.save_search(&fsa, " ", &req).await.unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));
        core.delete_saved_search(&fsa, id).await.unwrap();
        assert!(core.saved_searches(&fsa).await.unwrap().is_empty());
        db.cleanup().await;
    }
}
