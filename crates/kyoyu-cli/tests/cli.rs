//! The `kyoyu` binary as a user runs it: `serve --demo` answers on a real port, `audit verify`
//! passes on an intact log and names an edited record, configuration is strict. SQLite always;
//! PostgreSQL (a database of its own) when `KYOYU_TEST_PG` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

mod common;
use common::*;

#[tokio::test]
async fn serve_demo_answers_health_and_a_demo_login_then_audit_verify_catches_an_edit() {
    for (dir, db, pg) in backends().await {
        let (mut child, base) = serve(dir.path(), db.as_deref());
        let client = reqwest::Client::new();
        let health: Value = client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(health["status"], "ok");
        let res = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({ "email": "op-finance-1-contact@demo.example", "password": "kyoyu-demo-pass" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let _ = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({ "email": "op-finance-1-contact@demo.example", "password": "wrong-password" }))
            .send()
            .await
            .unwrap();
        // SIGTERM: a graceful stop.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let status = wait(&mut child, Duration::from_secs(20));
        assert!(
            status.is_some_and(|s| s.success()),
            "serve did not stop cleanly: {status:?}"
        );

        // Starting again with --demo is idempotent.
        let (mut again, base) = serve(dir.path(), db.as_deref());
        let orgs = client.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(orgs.status(), 200);
        let _ = again.kill();
        let _ = again.wait();

        let out = kyoyu(dir.path(), db.as_deref())
            .args(["audit", "verify"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("検証に成功"));

        // Edit one audit record behind the service's back.
        let url = db
            .clone()
            .unwrap_or_else(|| format!("sqlite:{}", dir.path().join("kyoyu.db").display()));
        let seq = edit_a_failed_login(&url).await;
        let out = kyoyu(dir.path(), db.as_deref())
            .args(["audit", "verify"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("#{seq}")),
            "the edited record is named: {err}"
        );
        if let Some(pg) = pg {
            pg.drop_db().await;
        }
    }
}

async fn edit_a_failed_login(url: &str) -> i64 {
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let row =
        sqlx::query("SELECT seq FROM audit_log WHERE action = 'login_failed' ORDER BY seq LIMIT 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    let seq: i64 = row.try_get("seq").unwrap();
    conn.close().await.unwrap();
    let sql = format!("UPDATE audit_log SET detail = '{{}}' WHERE seq = {seq}");
    kyoyu_test_support::tamper_with_audit_log(url, None, &sql)
        .await
        .unwrap();
    seq
}

#[test]
fn demo_mode_refuses_a_public_address() {
    let dir = tempfile::tempdir().unwrap();
    let out = kyoyu(dir.path(), None)
        .args(["serve", "--demo", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--demo-public"));
}

/// A database kyoyu creates in a fresh data directory is in WAL mode (long readers must not
/// block commits), read back by an independent connection after the process has exited.
#[tokio::test]
async fn a_fresh_data_dir_gets_a_sqlite_database_in_wal_mode() {
    use sqlx::{Connection, Row};
    let dir = tempfile::tempdir().unwrap();
    let out = kyoyu(dir.path(), None).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}", dir.path().join("kyoyu.db").display());
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    let mode: String = sqlx::query("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(mode.to_lowercase(), "wal");
    conn.close().await.unwrap();
}

#[test]
fn an_unknown_key_in_kyoyu_toml_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kyoyu.toml"), "listn = \"127.0.0.1:9\"\n").unwrap();
    let out = kyoyu(dir.path(), None).arg("migrate").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("listn"));
}

#[test]
fn admin_commands_create_an_organisation_a_user_and_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: &str| {
        let mut child = kyoyu(dir.path(), None)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(
        &[
            "admin",
            "org",
            "add",
            "--code",
            "ceptoar-water",
            "--name-ja",
            "水道セプター",
            "--role",
            "ceptoar",
            "--sector",
            "water",
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        &[
            "admin",
            "org",
            "add",
            "--code",
            "city-water",
            "--name-ja",
            "市水道局",
            "--role",
            "operator",
            "--sector",
            "water",
            "--ceptoar",
            "ceptoar-water",
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        &[
            "admin",
            "org",
            "add",
            "--code",
            "bad",
            "--name-ja",
            "x",
            "--sector",
            "ports",
        ],
        "",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ports"));
    let out = run(
        &[
            "admin",
            "user",
            "add",
            "--email",
            "kakari@city.example",
            "--org",
            "city-water",
            "--contact",
        ],
        "a-long-enough-password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        &[
            "admin",
            "token",
            "add",
            "--email",
            "kakari@city.example",
            "--name",
            "script",
        ],
        "",
    );
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .starts_with("ky_")
    );
    let out = run(&["admin", "org", "list"], "");
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(
        list.contains("city-water\t市水道局\toperator\twater"),
        "{list}"
    );

    // Reference data: export, edit (a later plan adds 港湾), import, and it is in force.
    let out = run(&["admin", "reference", "export"], "");
    let mut toml_text = String::from_utf8(out.stdout).unwrap();
    toml_text.push_str("\n[[sectors]]\ncode = \"port\"\nname_ja = \"港湾\"\nname_en = \"Ports\"\nministry = \"mlit\"\n");
    let file = dir.path().join("ref.toml");
    std::fs::write(&file, toml_text).unwrap();
    let out = run(
        &["admin", "reference", "import", file.to_str().unwrap()],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        &[
            "admin",
            "org",
            "add",
            "--code",
            "port-op",
            "--name-ja",
            "港湾事業者",
            "--role",
            "operator",
            "--sector",
            "port",
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["audit", "verify"], "");
    assert!(out.status.success());
}

/// Two `kyoyu serve` processes on one database number reports concurrently, each report
/// submitted at the process its sender did not log in at: 1..N, no gap, no duplicate (SQLite
/// file and, with `KYOYU_TEST_PG`, PostgreSQL).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_server_processes_number_reports_without_gaps_or_duplicates() {
    for (dir, db, pg) in backends().await {
        let (mut first, a) = serve(dir.path(), db.as_deref());
        let (mut second, b) = serve(dir.path(), db.as_deref());
        let client = reqwest::Client::new();
        let fixture: Value =
            serde_json::from_str(include_str!("../../../fixtures/report-fig5.json")).unwrap();
        let n = 20;
        let mut tasks = Vec::new();
        for i in 0..n {
            // Logged in at one process, submitting at the other: sessions hold on every one.
            let (login_at, base) = if i % 2 == 0 {
                (b.clone(), a.clone())
            } else {
                (a.clone(), b.clone())
            };
            let (client, mut form) = (client.clone(), fixture.clone());
            let (ministry, sector) = [
                ("fsa", "finance"),
                ("meti", "electricity"),
                ("mhlw", "water"),
                ("mlit", "railway"),
            ][i % 4];
            form["sector"] = json!(sector);
            tasks.push(tokio::spawn(async move {
                let login: Value = client
                    .post(format!("{login_at}/api/v1/auth/login"))
                    .json(&json!({ "email": format!("{ministry}-member@demo.example"), "password": "kyoyu-demo-pass" }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let token = login["token"].as_str().unwrap().to_owned();
                let res = client
                    .post(format!("{base}/api/v1/reports"))
                    .bearer_auth(token)
                    .json(&json!({ "form": form, "route": { "to": "nisc" }, "submit": true }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
                let t: Value = res.json().await.unwrap();
                t["number"].as_str().unwrap().trim_start_matches('R').parse::<u64>().unwrap()
            }));
        }
        let mut numbers = Vec::new();
        for t in tasks {
            numbers.push(t.await.unwrap());
        }
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=n as u64).collect::<Vec<_>>(), "{db:?}");
        for child in [&mut first, &mut second] {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(pg) = pg {
            pg.drop_db().await;
        }
    }
}

/// Two `kyoyu serve` processes on one database both run the notification worker: every
/// e-mail of the outbox arrives exactly once at a real SMTP server (aiosmtpd).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_server_processes_send_each_notification_once() {
    for (dir, db, pg) in backends().await {
        let mail = dir.path().join("mail");
        let Some((mut smtp, port)) = start_smtp(&mail) else {
            return;
        };
        std::fs::write(
            dir.path().join("kyoyu.toml"),
            format!(
                "smtp_url = \"smtp://127.0.0.1:{port}\"\nbase_url = \"https://kyoyu.example\"\n"
            ),
        )
        .unwrap();
        let (mut first, a) = serve(dir.path(), db.as_deref());
        let (mut second, b) = serve(dir.path(), db.as_deref());
        let client = reqwest::Client::new();
        let fixture: Value =
            serde_json::from_str(include_str!("../../../fixtures/report-fig5.json")).unwrap();
        let mut tasks = Vec::new();
        for i in 0..8 {
            let base = if i % 2 == 0 { a.clone() } else { b.clone() };
            let (client, form) = (client.clone(), fixture.clone());
            tasks.push(tokio::spawn(async move {
                let login: Value = client
                    .post(format!("{base}/api/v1/auth/login"))
                    .json(&json!({ "email": "fsa-member@demo.example", "password": "kyoyu-demo-pass" }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let res = client
                    .post(format!("{base}/api/v1/reports"))
                    .bearer_auth(login["token"].as_str().unwrap())
                    .json(&json!({ "form": form, "route": { "to": "nisc" }, "submit": true }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        // Every report: "received" to nisc, "numbered" to fsa and nisc; sharing contacts only.
        let expected = 8 * 3;
        let count = || {
            std::fs::read_dir(mail.join("new"))
                .map(|d| d.count())
                .unwrap_or(0)
        };
        for _ in 0..150 {
            if count() >= expected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let mut ids = std::collections::BTreeSet::new();
        for e in std::fs::read_dir(mail.join("new")).unwrap() {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            let id = text
                .lines()
                .find(|l| l.starts_with("Message-ID:"))
                .unwrap()
                .to_owned();
            assert!(ids.insert(id.clone()), "{id} arrived twice");
        }
        assert_eq!(ids.len(), expected, "{db:?}");
        for child in [&mut first, &mut second, &mut smtp] {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(pg) = pg {
            pg.drop_db().await;
        }
    }
}
