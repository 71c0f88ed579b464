//! Notifications against a real SMTP server (aiosmtpd, started by the test on loopback) and a
//! local webhook receiver: every event yields exactly one message per recipient — also when a
//! worker stops mid-batch and another takes over, and with two workers on one database — and no
//! message carries the content of an Amber report. Needs Python with `aiosmtpd`
//! (`KYOYU_TEST_PYTHON`, default `python3`); skipped without it, except under `CI=true`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use kyoyu_core::notify::{NotifyConfig, Worker, sign};
use kyoyu_core::{Core, CoreConfig, SystemClock, demo};
use kyoyu_test_support::TestDb;
use kyoyu_test_support::{TestApp, form_for};
use kyoyu_web::{AppState, WebConfig};
use reqwest::StatusCode;
use serde_json::json;

struct Smtp {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python() -> String {
    std::env::var("KYOYU_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Starts aiosmtpd writing into a Maildir, or `None` when it is not installed.
fn smtp_server() -> Option<Smtp> {
    let ok = Command::new(python())
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but Python's aiosmtpd is missing (set KYOYU_TEST_PYTHON)"
        );
        eprintln!("SKIPPED: notification tests need Python with aiosmtpd (pip install aiosmtpd)");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(python())
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(dir.path().join("mail"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(Smtp { child, port, dir });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("aiosmtpd did not start");
}

/// A received e-mail, decoded: (to, subject, message-id, body).
fn mails(smtp: &Smtp) -> Vec<(String, String, String, String)> {
    use mailparse::MailHeaderMap;
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(smtp.dir.path().join("mail").join(sub)) else {
            continue;
        };
        for e in entries {
            let raw = std::fs::read(e.unwrap().path()).unwrap();
            let mail = mailparse::parse_mail(&raw).unwrap();
            let h = |name: &str| mail.headers.get_first_value(name).unwrap_or_default();
            out.push((
                h("To"),
                h("Subject"),
                h("Message-ID"),
                mail.get_body().unwrap(),
            ));
        }
    }
    out
}

type Calls = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A webhook receiver; with `hang_first`, the first call never answers (the sender is killed
/// while waiting, so that call must count as not delivered).
async fn webhook_receiver(hang_first: bool) -> (String, Calls) {
    let calls: Calls = Arc::default();
    let c = calls.clone();
    let hung = Arc::new(std::sync::atomic::AtomicBool::new(!hang_first));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (c, hung) = (c.clone(), hung.clone());
            async move {
                if !hung.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                c.lock().unwrap().push((headers, body));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, calls)
}

const SECRET: &str = "a-webhook-secret-of-some-length";
const CONFIDENTIAL: &str = "極秘の侵入経路XYZ";

fn config(port: u16, batch: i64) -> CoreConfig {
    CoreConfig {
        notify: NotifyConfig {
            smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
            from: "kyoyu@kyoyu.example".into(),
            base_url: "https://kyoyu.example".into(),
            batch,
            claim_secs: 1,
            ..NotifyConfig::default()
        },
        ..CoreConfig::default()
    }
}

async fn app_on(db: TestDb, core: Core) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(kyoyu_web::serve(
        listener,
        AppState::new(core.clone(), WebConfig::default()),
        std::future::pending(),
    ));
    TestApp {
        base,
        client: kyoyu_test_support::client(),
        db,
        core,
    }
}

/// An anonymised Amber report with confidential text, all the way to NISC.
async fn report_flow(app: &TestApp) {
    let op = app.login("op-finance-1-contact@demo.example").await;
    let mut form = form_for("金融デモ事業者1", "finance", "amber");
    form["summary"]["description"] = json!(CONFIDENTIAL);
    let (s, t) = app.post("/api/v1/reports", &op, json!({ "form": form, "route": { "to": "ceptoar-finance", "anonymize": true }, "submit": true })).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_i64().unwrap();
    let cep = app.login("ceptoar-finance-contact@demo.example").await;
    assert_eq!(
        app.post(
            &format!("/api/v1/reports/{id}/forward"),
            &cep,
            json!({ "to": "fsa" })
        )
        .await
        .0,
        StatusCode::OK
    );
    let fsa = app.login("fsa-contact@demo.example").await;
    assert_eq!(
        app.post(
            &format!("/api/v1/reports/{id}/forward"),
            &fsa,
            json!({ "to": "nisc" })
        )
        .await
        .0,
        StatusCode::OK
    );
}

async fn drain(worker: &Worker) {
    for _ in 0..200 {
        if worker.run_once().await.unwrap() == 0 {
            return;
        }
    }
}

fn check(smtp: &Smtp, calls: &Calls, outbox: &[kyoyu_store::OutboxRow]) {
    let emails: Vec<_> = outbox.iter().filter(|o| o.channel == "email").collect();
    let hooks: Vec<_> = outbox.iter().filter(|o| o.channel == "webhook").collect();
    assert!(outbox.iter().all(|o| o.status == "sent"), "{outbox:?}");
    // Exactly one message per outbox row: no loss, no duplicate.
    let got = mails(smtp);
    let mut per_id: BTreeMap<String, usize> = BTreeMap::new();
    for (_, _, id, _) in &got {
        *per_id.entry(id.clone()).or_default() += 1;
    }
    assert_eq!(got.len(), emails.len(), "{per_id:?}");
    assert!(per_id.values().all(|n| *n == 1), "{per_id:?}");
    for o in &emails {
        assert!(
            per_id.contains_key(&format!("<outbox-{}@kyoyu>", o.id)),
            "outbox {} never arrived",
            o.id
        );
    }
    // Who: the sharing contacts of each notified organisation.
    let to: Vec<&str> = got.iter().map(|m| m.0.as_str()).collect();
    for who in [
        "ceptoar-finance-contact@demo.example",
        "fsa-contact@demo.example",
        "nisc-contact@demo.example",
        "op-finance-1-contact@demo.example",
    ] {
        assert!(to.contains(&who), "{who} got nothing: {to:?}");
    }
    assert!(
        !to.iter().any(|t| t.contains("-member@")),
        "ordinary members get no mail: {to:?}"
    );
    // What: never the Amber content, never the reporter past the CEPTOAR.
    for (to, subject, _, text) in &got {
        for secret in [CONFIDENTIAL, "金融デモ事業者1"] {
            assert!(
                !text.contains(secret) && !subject.contains(secret),
                "{secret} reached {to}: {subject}\n{text}"
            );
        }
        assert!(subject.starts_with("[kyoyu] 情報連絡"), "{subject}");
        assert!(
            text.contains("https://kyoyu.example/reports/") && text.contains("TLP: Amber"),
            "{text}"
        );
    }
    // Webhooks: one call per row, each correctly signed.
    let calls = calls.lock().unwrap();
    assert_eq!(calls.len(), hooks.len());
    for (headers, body) in calls.iter() {
        let ts: i64 = headers["x-kyoyu-timestamp"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            headers["x-kyoyu-signature"].to_str().unwrap(),
            sign(SECRET, ts, body)
        );
        assert!(!body.contains(CONFIDENTIAL));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_is_mailed_once_even_when_a_worker_stops_mid_batch() {
    let Some(smtp) = smtp_server() else { return };
    for db in TestDb::all().await {
        let core = Core::new(
            db.store.clone(),
            Arc::new(SystemClock),
            config(smtp.port, 3),
        )
        .await
        .unwrap();
        demo::ensure(&core).await.unwrap();
        let (hook, calls) = webhook_receiver(true).await;
        core.add_webhook(
            &kyoyu_domain::policy::Actor::System,
            "ceptoar-finance",
            &hook,
            SECRET,
        )
        .await
        .unwrap();
        let before = mails(&smtp).len();
        assert_eq!(before, 0);
        let app = app_on(db, core.clone()).await;
        report_flow(&app).await;
        let outbox = core.outbox().await.unwrap();
        assert!(outbox.len() >= 6, "{outbox:?}");
        // A worker claims a batch of three, mails the first, and is killed while the webhook
        // call (the second) waits for an answer. Another worker takes over once the claim lapses.
        let first = Worker::new(core.clone()).unwrap();
        let killed = tokio::spawn(async move { first.run_once().await });
        tokio::time::sleep(Duration::from_millis(800)).await;
        killed.abort();
        assert!(
            killed.await.is_err(),
            "the first worker was still busy when killed"
        );
        let sent_before = core
            .outbox()
            .await
            .unwrap()
            .iter()
            .filter(|o| o.status == "sent")
            .count();
        assert_eq!(
            sent_before, 1,
            "only the first message was delivered before the kill"
        );
        tokio::time::sleep(Duration::from_millis(1100)).await;
        drain(&Worker::new(core.clone()).unwrap()).await;
        check(&smtp, &calls, &core.outbox().await.unwrap());
        // Clean the mailbox for the next backend.
        let _ = std::fs::remove_dir_all(smtp.dir.path().join("mail/new"));
        let _ = std::fs::create_dir_all(smtp.dir.path().join("mail/new"));
        app.db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_one_database_send_each_message_once() {
    let Some(smtp) = smtp_server() else { return };
    for db in TestDb::all().await {
        let core = Core::new(
            db.store.clone(),
            Arc::new(SystemClock),
            config(smtp.port, 2),
        )
        .await
        .unwrap();
        demo::ensure(&core).await.unwrap();
        let other = Core::new(
            db.reopen().await.unwrap(),
            Arc::new(SystemClock),
            config(smtp.port, 2),
        )
        .await
        .unwrap();
        let (hook, calls) = webhook_receiver(false).await;
        core.add_webhook(
            &kyoyu_domain::policy::Actor::System,
            "ceptoar-finance",
            &hook,
            SECRET,
        )
        .await
        .unwrap();
        let app = app_on(db, core.clone()).await;
        report_flow(&app).await;
        let (a, b) = (
            Worker::new(core.clone()).unwrap(),
            Worker::new(other).unwrap(),
        );
        tokio::join!(drain(&a), drain(&b));
        check(&smtp, &calls, &core.outbox().await.unwrap());
        let _ = std::fs::remove_dir_all(smtp.dir.path().join("mail/new"));
        let _ = std::fs::create_dir_all(smtp.dir.path().join("mail/new"));
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_outbox_is_written_with_the_event_and_not_without_it() {
    for db in TestDb::all().await {
        let core = Core::new(
            db.store.clone(),
            Arc::new(SystemClock),
            CoreConfig::default(),
        )
        .await
        .unwrap();
        demo::ensure(&core).await.unwrap();
        let app = app_on(db, core.clone()).await;
        // A refused forward (wrong target) leaves no notification behind.
        let op = app.login("op-water-1-contact@demo.example").await;
        let (_, t) = app.post("/api/v1/reports", &op, json!({ "form": form_for("水道", "water", "green"), "route": { "to": "mhlw" }, "submit": true })).await;
        let n = core.outbox().await.unwrap().len();
        assert_eq!(n, 1, "mhlw's contact is told of the report");
        let mhlw = app.login("mhlw-contact@demo.example").await;
        let id = t["id"].as_i64().unwrap();
        assert_eq!(
            app.post(
                &format!("/api/v1/reports/{id}/forward"),
                &mhlw,
                json!({ "to": "fsa" })
            )
            .await
            .0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(core.outbox().await.unwrap().len(), n);
        // Muting an event: no more mail for it.
        let (s, _) = app
            .post(
                "/api/v1/me/notification-settings",
                &mhlw,
                json!({ "enabled": ["report_numbered"] }),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (_, t2) = app.post("/api/v1/reports", &op, json!({ "form": form_for("水道", "water", "green"), "route": { "to": "mhlw" }, "submit": true })).await;
        assert!(t2["id"].is_i64());
        assert_eq!(
            core.outbox().await.unwrap().len(),
            n,
            "report_received is muted"
        );
        app.db.cleanup().await;
    }
}
