//! Accounts, login, TOTP, tokens, the demo world and the audit chain, on every backend.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kyoyu_core::{Clock, Core, CoreConfig, ErrorCode, demo};
use kyoyu_domain::Role;
use kyoyu_store::TokenKind;
use kyoyu_test_support::{FixedClock, TestDb};

async fn worlds() -> Vec<(TestDb, Core, Arc<FixedClock>)> {
    let mut out = Vec::new();
    for db in TestDb::all().await {
        let clock = Arc::new(FixedClock::default());
        let core = Core::new(db.store.clone(), clock.clone(), CoreConfig::default())
            .await
            .unwrap();
        demo::ensure(&core).await.unwrap();
        out.push((db, core, clock));
    }
    out
}

const PW: &str = demo::DEMO_PASSWORD;

#[tokio::test]
async fn the_demo_world_is_complete_and_idempotent() {
    for (db, core, _) in worlds().await {
        let again = demo::ensure(&core).await.unwrap();
        assert_eq!(again, demo::DemoSummary::default(), "{}", db.label);
        let orgs = core
            .list_orgs(&kyoyu_domain::policy::Actor::System)
            .await
            .unwrap();
        assert_eq!(orgs.len(), 1 + 5 + 14 * 3 + 5, "{}", db.label);
        let mic = orgs.iter().find(|o| o.code == "mic").unwrap();
        assert!(
            mic.roles.contains(&Role::SectorMinistry)
                && mic.roles.contains(&Role::SecurityMinistry)
        );
        let op = orgs.iter().find(|o| o.code == "op-finance-1").unwrap();
        assert_eq!(op.ceptoars, ["ceptoar-finance".to_string()].into());
        // The ministry's jurisdiction comes from the reference data.
        let s = {
            let t = core
                .login("fsa-contact@demo.example", PW, None, TokenKind::Session)
                .await
                .unwrap();
            core.authenticate(&t.token).await.unwrap()
        };
        assert_eq!(
            s.actor.org().unwrap().jurisdiction,
            ["finance".to_string()].into()
        );
        assert!(s.is_contact);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn login_logout_and_token_revocation() {
    for (db, core, _) in worlds().await {
        let out = core
            .login(
                "OP-FINANCE-1-member@demo.example",
                PW,
                None,
                TokenKind::Session,
            )
            .await
            .unwrap();
        let s = core.authenticate(&out.token).await.unwrap();
        assert_eq!(s.email, "op-finance-1-member@demo.example");
        assert!(!s.is_contact);
        core.logout(&s, &out.token).await.unwrap();
        assert!(
            matches!(
                core.authenticate(&out.token).await,
                Err(ref e) if e.is(ErrorCode::Unauthenticated)
            ),
            "{}",
            db.label
        );
        assert!(matches!(
            core.authenticate("ky_forged").await,
            Err(ref e) if e.is(ErrorCode::Unauthenticated)
        ));
        db.cleanup().await;
    }
}

#[tokio::test]
async fn sessions_expire() {
    for (db, core, clock) in worlds().await {
        let out = core
            .login("nisc-contact@demo.example", PW, None, TokenKind::Session)
            .await
            .unwrap();
        clock.advance(11 * 3600);
        assert!(core.authenticate(&out.token).await.is_ok());
        clock.advance(2 * 3600);
        assert!(
            matches!(
                core.authenticate(&out.token).await,
                Err(ref e) if e.is(ErrorCode::Unauthenticated)
            ),
            "{}",
            db.label
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn totp_enrolment_then_login_needs_the_code_and_refuses_replay() {
    for (db, core, clock) in worlds().await {
        let email = "ipa-contact@demo.example";
        let out = core
            .login(email, PW, None, TokenKind::Session)
            .await
            .unwrap();
        let s = core.authenticate(&out.token).await.unwrap();
        let enrol = core.totp_begin(&s).await.unwrap();
        assert!(enrol.url.starts_with("otpauth://totp/"));
        let secret = totp_rs::Secret::Encoded(enrol.secret.clone())
            .to_bytes()
            .unwrap();
        let totp = totp_rs::TOTP::new(
            totp_rs::Algorithm::SHA1,
            6,
            1,
            30,
            secret,
            Some("kyoyu".into()),
            email.into(),
        )
        .unwrap();
        let code_at = |clock: &FixedClock| totp.generate(clock.now().timestamp() as u64);
        assert!(core.totp_enable(&s, "000000").await.is_err() || code_at(&clock) == "000000");
        core.totp_enable(&s, &code_at(&clock)).await.unwrap();

        clock.advance(60);
        let r = core.login(email, PW, None, TokenKind::Session).await;
        assert!(
            matches!(r, Err(ref e) if e.is(ErrorCode::TotpRequired)),
            "{} {r:?}",
            db.label
        );
        let code = code_at(&clock);
        core.login(email, PW, Some(&code), TokenKind::Session)
            .await
            .unwrap();
        // The same code cannot be used twice.
        let r = core.login(email, PW, Some(&code), TokenKind::Session).await;
        assert!(
            matches!(r, Err(ref e) if e.is(ErrorCode::TotpInvalid)),
            "{r:?}"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn api_tokens_are_listed_and_revocable_by_their_owner_only() {
    for (db, core, _) in worlds().await {
        let login = |e: &'static str| core.login(e, PW, None, TokenKind::Session);
        let a = core
            .authenticate(&login("jpcert-contact@demo.example").await.unwrap().token)
            .await
            .unwrap();
        let b = core
            .authenticate(&login("ipa-contact@demo.example").await.unwrap().token)
            .await
            .unwrap();
        let t = core
            .create_api_token(&a, "スクリプト", Some(30))
            .await
            .unwrap();
        let via_token = core.authenticate(&t.token).await.unwrap();
        assert_eq!(via_token.user_id, a.user_id);
        assert_eq!(core.api_tokens(&a).await.unwrap().len(), 1);
        assert!(
            matches!(
                core.revoke_api_token(&b, t.id).await,
                Err(ref e) if e.is(ErrorCode::NotFound)
            ),
            "{}",
            db.label
        );
        core.revoke_api_token(&a, t.id).await.unwrap();
        assert!(core.authenticate(&t.token).await.is_err());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_password_change_ends_other_sessions() {
    for (db, core, _) in worlds().await {
        let email = "vendor-1-member@demo.example";
        let one = core
            .login(email, PW, None, TokenKind::Session)
            .await
            .unwrap();
        let two = core
            .login(email, PW, None, TokenKind::Session)
            .await
            .unwrap();
        let s = core.authenticate(&one.token).await.unwrap();
        assert!(
            core.change_password(&s, "wrong", "a-new-long-password")
                .await
                .is_err()
        );
        assert!(core.change_password(&s, PW, "short").await.is_err());
        core.change_password(&s, PW, "a-new-long-password")
            .await
            .unwrap();
        assert!(core.authenticate(&one.token).await.is_ok());
        assert!(core.authenticate(&two.token).await.is_err(), "{}", db.label);
        assert!(
            core.login(email, "a-new-long-password", None, TokenKind::Session)
                .await
                .is_ok()
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_audit_chain_verifies_and_an_edited_row_is_named() {
    for (db, core, _) in worlds().await {
        let _ = core
            .login(
                "nisc-contact@demo.example",
                "bad-password-x",
                None,
                TokenKind::Session,
            )
            .await;
        core.login("nisc-contact@demo.example", PW, None, TokenKind::Session)
            .await
            .unwrap();
        let n = core.audit_verify().await.unwrap().unwrap();
        assert!(n > 100, "{} records", n);
        // Someone with database access edits one record.
        let mut tx = db.store.begin().await.unwrap();
        let recs = tx.audit_records(0, 1000).await.unwrap();
        let failed = recs
            .iter()
            .find(|r| r.action == "login_failed")
            .unwrap()
            .seq;
        drop(tx);
        let url = db.url.clone();
        let sql = format!("UPDATE audit_log SET action = 'login_succeeded' WHERE seq = {failed}");
        kyoyu_test_support::tamper_with_audit_log(&url, db.schema.as_deref(), &sql)
            .await
            .unwrap();
        let err = core.audit_verify().await.unwrap().unwrap_err();
        assert_eq!(
            err,
            kyoyu_domain::audit::ChainError::Edited { seq: failed },
            "{}",
            db.label
        );
        assert!(err.to_string().contains(&format!("#{failed}")));
        db.cleanup().await;
    }
}

#[tokio::test]
async fn nul_that_reaches_postgresql_is_the_callers_error_not_the_services() {
    for (db, core, _) in worlds().await {
        if db.label != "postgres" {
            // SQLite stores NUL; the HTTP layer refuses it before either database sees it.
            db.cleanup().await;
            continue;
        }
        let out = core
            .login("fsa-contact@demo.example", PW, None, TokenKind::Session)
            .await
            .unwrap();
        let s = core.authenticate(&out.token).await.unwrap();
        let r = core.create_api_token(&s, "a\u{0}b", None).await;
        assert!(
            matches!(r, Err(ref e) if e.is(ErrorCode::InvalidText)),
            "{r:?}"
        );
        assert!(core.api_tokens(&s).await.unwrap().is_empty());
        db.cleanup().await;
    }
}
