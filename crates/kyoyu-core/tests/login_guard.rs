//! The login guard on every backend: a guessing attack slows the guesser and never locks the
//! owner out; unknown accounts answer exactly like known ones; failures, not logins, count
//! per client address.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::IpAddr;
use std::sync::Arc;

use kyoyu_core::{Clock, Core, CoreConfig, CoreError, ErrorCode, LoginClient, LoginOutcome, demo};
use kyoyu_store::TokenKind;
use kyoyu_test_support::{FixedClock, TestDb};

const PW: &str = demo::DEMO_PASSWORD;

async fn worlds(config: CoreConfig) -> Vec<(TestDb, Core, Arc<FixedClock>)> {
    let mut out = Vec::new();
    for db in TestDb::all().await {
        let clock = Arc::new(FixedClock::default());
        let core = Core::new(db.store.clone(), clock.clone(), config.clone())
            .await
            .unwrap();
        demo::ensure(&core).await.unwrap();
        out.push((db, core, clock));
    }
    out
}

fn from(ip: &str) -> LoginClient {
    LoginClient {
        address: Some(ip.parse::<IpAddr>().unwrap()),
        ..LoginClient::default()
    }
}

async fn try_login(
    core: &Core,
    email: &str,
    password: &str,
    totp: Option<&str>,
    client: &LoginClient,
) -> Result<LoginOutcome, CoreError> {
    core.login_from(email, password, totp, TokenKind::Session, client)
        .await
}

fn code(r: &Result<LoginOutcome, CoreError>) -> Option<ErrorCode> {
    r.as_ref().err().map(|e| e.code)
}

#[tokio::test]
async fn guessing_makes_new_clients_wait_longer_each_time_but_the_owners_browser_gets_in() {
    for (db, core, clock) in worlds(CoreConfig::default()).await {
        let email = "meti-member@demo.example";
        // The owner logged in from this browser last week and kept its device cookie.
        let browser = LoginClient {
            remember_device: true,
            ..from("192.0.2.10")
        };
        let first = try_login(&core, email, PW, None, &browser).await.unwrap();
        let device = first
            .device
            .clone()
            .expect("a device cookie on first login");
        let owner = LoginClient {
            device: Some(device),
            remember_device: true,
            ..from("192.0.2.10")
        };

        // The attacker guesses from several addresses.
        for i in 1..5 {
            let r = try_login(
                &core,
                email,
                "guess",
                None,
                &from(&format!("198.51.100.{i}")),
            )
            .await;
            assert_eq!(
                code(&r),
                Some(ErrorCode::LoginFailed),
                "{} guess {i}",
                db.label
            );
        }
        let r = try_login(&core, email, "guess", None, &from("198.51.100.5")).await;
        assert_eq!(code(&r), Some(ErrorCode::AccountLocked), "{}", db.label);
        // While the account waits, even the right password from a new client is refused...
        let r = try_login(&core, email, PW, None, &from("198.51.100.6")).await;
        assert_eq!(code(&r), Some(ErrorCode::AccountLocked), "{}", db.label);
        // ...but the owner's browser gets in, and has no new cookie to store.
        let ok = try_login(&core, email, PW, None, &owner).await.unwrap();
        assert!(ok.device.is_none(), "{}", db.label);
        // A successful login ends the run of failures.
        let r = try_login(&core, email, "guess", None, &from("198.51.100.7")).await;
        assert_eq!(code(&r), Some(ErrorCode::LoginFailed), "{}", db.label);

        // The owner was told once, by e-mail, when the waiting began.
        let mails: Vec<_> = core
            .outbox()
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.kind == "login_guard")
            .collect();
        assert_eq!(mails.len(), 1, "{}", db.label);
        assert_eq!(mails[0].address, email);
        assert!(mails[0].body.contains("二要素認証"), "{}", mails[0].body);

        // A longer attack: the wait doubles with each failure past the limit.
        for _ in 0..4 {
            try_login(&core, email, "guess", None, &from("198.51.100.8"))
                .await
                .ok();
        }
        clock.advance(61);
        let r = try_login(&core, email, "guess", None, &from("198.51.100.9")).await;
        assert_eq!(code(&r), Some(ErrorCode::AccountLocked), "{}", db.label);
        clock.advance(61);
        let r = try_login(&core, email, PW, None, &from("198.51.100.9")).await;
        assert_eq!(
            code(&r),
            Some(ErrorCode::AccountLocked),
            "{}: the second wait is two minutes",
            db.label
        );
        clock.advance(61);
        try_login(&core, email, PW, None, &from("198.51.100.9"))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "{}: after the wait the right password works: {e:?}",
                    db.label
                )
            });
        db.cleanup().await;
    }
}

#[tokio::test]
async fn an_unknown_address_answers_exactly_like_an_account_under_attack() {
    for (db, core, _) in worlds(CoreConfig::default()).await {
        for email in ["mlit-member@demo.example", "nobody-here@demo.example"] {
            let answers: Vec<_> = futures_answers(&core, email).await;
            assert_eq!(
                answers,
                vec![
                    Some(ErrorCode::LoginFailed),
                    Some(ErrorCode::LoginFailed),
                    Some(ErrorCode::LoginFailed),
                    Some(ErrorCode::LoginFailed),
                    Some(ErrorCode::AccountLocked),
                    Some(ErrorCode::AccountLocked),
                ],
                "{} {email}",
                db.label
            );
        }
        // Nobody is mailed about an address that has no account.
        let mails = core.outbox().await.unwrap();
        assert!(
            mails
                .iter()
                .all(|m| m.kind != "login_guard" || m.address == "mlit-member@demo.example"),
            "{}",
            db.label
        );
        db.cleanup().await;
    }
}

async fn futures_answers(core: &Core, email: &str) -> Vec<Option<ErrorCode>> {
    let mut out = Vec::new();
    for i in 0..6 {
        let r = try_login(core, email, "guess", None, &from(&format!("203.0.113.{i}"))).await;
        out.push(code(&r));
    }
    out
}

#[tokio::test]
async fn the_right_password_with_a_totp_code_gets_in_while_the_account_waits() {
    for (db, core, clock) in worlds(CoreConfig::default()).await {
        let email = "ipa-member@demo.example";
        let s = core
            .authenticate(
                &core
                    .login(email, PW, None, TokenKind::Session)
                    .await
                    .unwrap()
                    .token,
            )
            .await
            .unwrap();
        let enrol = core.totp_begin(&s).await.unwrap();
        let totp = totp_rs::TOTP::new(
            totp_rs::Algorithm::SHA1,
            6,
            1,
            30,
            totp_rs::Secret::Encoded(enrol.secret.clone())
                .to_bytes()
                .unwrap(),
            Some("kyoyu".into()),
            email.into(),
        )
        .unwrap();
        let code_now = |clock: &FixedClock| totp.generate(clock.now().timestamp() as u64);
        core.totp_enable(&s, &code_now(&clock)).await.unwrap();
        clock.advance(60);

        for _ in 0..5 {
            try_login(&core, email, "guess", None, &from("198.51.100.1"))
                .await
                .ok();
        }
        // Without the code, the right password is refused like any guess.
        let r = try_login(&core, email, PW, None, &from("192.0.2.20")).await;
        assert_eq!(code(&r), Some(ErrorCode::AccountLocked), "{}", db.label);
        let r = try_login(
            &core,
            email,
            PW,
            Some(&code_now(&clock)),
            &from("192.0.2.20"),
        )
        .await;
        assert!(r.is_ok(), "{}: {r:?}", db.label);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn an_address_is_refused_after_its_failures_and_logins_never_count() {
    let config = CoreConfig {
        login_failures_per_minute: 3,
        ..CoreConfig::default()
    };
    for (db, core, clock) in worlds(config).await {
        let proxy_user = from("192.0.2.30");
        // A whole office behind one address logs in all day.
        for _ in 0..10 {
            try_login(&core, "mhlw-member@demo.example", PW, None, &proxy_user)
                .await
                .unwrap();
        }
        // One address spraying guesses over many accounts.
        let sprayer = from("198.51.100.66");
        for who in ["fsa-member", "mic-member", "nisc-member"] {
            let r = try_login(
                &core,
                &format!("{who}@demo.example"),
                "guess",
                None,
                &sprayer,
            )
            .await;
            assert_eq!(code(&r), Some(ErrorCode::LoginFailed), "{}", db.label);
        }
        let r = try_login(&core, "npa-member@demo.example", PW, None, &sprayer).await;
        assert_eq!(code(&r), Some(ErrorCode::Throttled), "{}", db.label);
        // Others are not affected, and the address may try again after the minute.
        try_login(&core, "npa-member@demo.example", PW, None, &proxy_user)
            .await
            .unwrap();
        clock.advance(61);
        try_login(&core, "npa-member@demo.example", PW, None, &sprayer)
            .await
            .unwrap();
        db.cleanup().await;
    }
}
