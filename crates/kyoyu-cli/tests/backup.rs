//! `kyoyu backup` while the service takes reports, then `kyoyu restore` of that file in a fresh
//! place: every report acknowledged before the backup began is there with its content, the
//! numbering has no gap (one snapshot, nothing half-written), the attachment's bytes are equal
//! and the audit chain verifies. A damaged file or an occupied target is refused and changes
//! nothing. SQLite always; PostgreSQL (databases of the test's own) with `KYOYU_TEST_PG`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use serde_json::{Value, json};

const FIXTURE: &str = include_str!("../../../fixtures/report-fig5.json");
const SAMPLE: &[u8] = b"%PDF-1.4 kyoyu backup test \x00\x01\x02 bytes that must survive";

/// Creates a report whose summary is `summary`, sent to NISC when `submit`.
async fn create(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    summary: &str,
    submit: bool,
) -> reqwest::Response {
    let mut form: Value = serde_json::from_str(FIXTURE).unwrap();
    form["sector"] = json!("finance");
    form["summary"]["description"] = json!(summary);
    client
        .post(format!("{base}/api/v1/reports"))
        .bearer_auth(token)
        .json(&json!({ "form": form, "route": { "to": "nisc" }, "submit": submit }))
        .send()
        .await
        .unwrap()
}

fn run(cmd: &mut std::process::Command) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The first number after `label` in `text` ("報告 12 件" → 12).
fn figure(text: &str, label: &str) -> u64 {
    let rest = text
        .split(label)
        .nth(1)
        .unwrap_or_else(|| panic!("{label}: {text}"));
    rest.trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{label}: {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_under_load_restores_whole_elsewhere() {
    for (dir, db, pg) in backends().await {
        let (mut child, base) = serve(dir.path(), db.as_deref());
        let client = reqwest::Client::new();
        let token = login(&client, &base, "fsa-contact@demo.example").await;

        // A report with an attachment, before the backup.
        let res = create(&client, &base, &token, "添付つきの報告", true).await;
        assert_eq!(res.status(), 201);
        let draft: Value = res.json().await.unwrap();
        let first = id_text(&draft["id"]);
        let part = reqwest::multipart::Part::bytes(SAMPLE.to_vec())
            .file_name("別紙.pdf")
            .mime_str("application/pdf")
            .unwrap();
        let form = reqwest::multipart::Form::new()
            .text("kind", "document")
            .part("file", part);
        let res = client
            .post(format!("{base}/api/v1/reports/{first}/attachments"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let attachment: Value = res.json().await.unwrap();
        // Four clients submit until told to stop; each acknowledged report is remembered with
        // whether the backup had started yet.
        let backup_started = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let mut load = Vec::new();
        for w in 0..4 {
            let (client, base, token) = (client.clone(), base.clone(), token.clone());
            let (started, stop) = (backup_started.clone(), stop.clone());
            load.push(tokio::spawn(async move {
                let mut acked = Vec::new();
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let summary = format!("負荷中の報告 {w}-{i}");
                    let res = create(&client, &base, &token, &summary, true).await;
                    assert_eq!(res.status(), 201);
                    // Acknowledged before the backup began: it must be in the backup.
                    let before = !started.load(Ordering::SeqCst);
                    let t: Value = res.json().await.unwrap();
                    acked.push((id_text(&t["id"]), summary, before));
                    i += 1;
                }
                acked
            }));
        }
        tokio::time::sleep(Duration::from_millis(700)).await;

        let out = dir.path().join("kyoyu-backup.tar");
        backup_started.store(true, Ordering::SeqCst);
        let (data_dir, db_arg, out_arg) = (dir.path().to_owned(), db.clone(), out.clone());
        let (ok, stdout, stderr) = tokio::task::spawn_blocking(move || {
            run(kyoyu(&data_dir, db_arg.as_deref())
                .arg("backup")
                .arg(&out_arg))
        })
        .await
        .unwrap();
        assert!(ok, "backup failed: {stderr}");
        assert!(stdout.contains("バックアップを作成しました"), "{stdout}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop.store(true, Ordering::SeqCst);
        let mut acked = Vec::new();
        for t in load {
            acked.extend(t.await.unwrap());
        }
        let before = acked.iter().filter(|(_, _, b)| *b).count();
        assert!(before > 0, "the load ran before the backup");
        let _ = child.kill();
        let _ = child.wait();

        // Never overwrites an existing backup.
        let (data_dir, db_arg, out_arg) = (dir.path().to_owned(), db.clone(), out.clone());
        let (ok, _, stderr) = tokio::task::spawn_blocking(move || {
            run(kyoyu(&data_dir, db_arg.as_deref())
                .arg("backup")
                .arg(&out_arg))
        })
        .await
        .unwrap();
        assert!(!ok && stderr.contains("既にあります"), "{stderr}");

        // A damaged copy is refused and creates nothing.
        let damaged = dir.path().join("damaged.tar");
        let mut bytes = std::fs::read(&out).unwrap();
        let at = bytes.len() - 2048;
        bytes[at] ^= 0x55;
        std::fs::write(&damaged, bytes).unwrap();
        let (elsewhere, other_db, other_pg) = fresh_target(pg.is_some()).await;
        let (ok, _, stderr) = run(kyoyu(elsewhere.path(), other_db.as_deref())
            .arg("restore")
            .arg(&damaged));
        assert!(!ok && stderr.contains("壊れています"), "{stderr}");
        assert!(!has_reports(elsewhere.path(), other_db.as_deref()).await);

        // The intact file restores into the fresh place.
        let (ok, restored, stderr) = run(kyoyu(elsewhere.path(), other_db.as_deref())
            .arg("restore")
            .arg(&out));
        assert!(ok, "restore failed: {stderr}");
        assert!(restored.contains("連鎖を確認しました"), "{restored}");
        let n = figure(&restored, "報告");
        assert!(
            n as usize > before && n as usize <= acked.len() + 1,
            "{n} reports restored; {before} were acknowledged before the backup, {} in all",
            acked.len() + 1
        );

        // A second restore over it needs --force and leaves it as it is.
        let (ok, _, stderr) = run(kyoyu(elsewhere.path(), other_db.as_deref())
            .arg("restore")
            .arg(&out));
        assert!(!ok && stderr.contains("--force"), "{stderr}");

        let (ok, verify, stderr) =
            run(kyoyu(elsewhere.path(), other_db.as_deref()).args(["audit", "verify"]));
        assert!(ok && verify.contains("検証に成功"), "{stderr}");

        let (mut again, base) = serve(elsewhere.path(), other_db.as_deref());
        let token = login(&client, &base, "fsa-contact@demo.example").await;
        let thread: Value = client
            .get(format!("{base}/api/v1/reports/{first}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(thread.to_string().contains("添付つきの報告"), "{thread}");
        let aid = id_text(&attachment["id"]);
        let file = client
            .get(format!("{base}/api/v1/reports/{first}/attachments/{aid}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(file.status(), 200);
        assert_eq!(file.bytes().await.unwrap().as_ref(), SAMPLE);

        let mut numbers = Vec::new();
        for (id, summary, was_before) in &acked {
            let res = client
                .get(format!("{base}/api/v1/reports/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            match res.status().as_u16() {
                200 => {
                    let t: Value = res.json().await.unwrap();
                    assert!(t.to_string().contains(summary.as_str()), "{id}: {t}");
                    numbers.push(
                        t["number"]
                            .as_str()
                            .unwrap()
                            .trim_start_matches('R')
                            .parse::<u64>()
                            .unwrap(),
                    );
                }
                404 => assert!(!was_before, "{id}, acknowledged before the backup, is lost"),
                s => panic!("{id}: {s}"),
            }
        }
        numbers.push(1);
        numbers.sort_unstable();
        assert_eq!(
            numbers,
            (1..=n).collect::<Vec<_>>(),
            "one snapshot: no gap, no extra"
        );
        let _ = again.kill();
        let _ = again.wait();
        if let Some(pg) = pg {
            pg.drop_db().await;
        }
        if let Some(pg) = other_pg {
            pg.drop_db().await;
        }
    }
}

/// An empty place to restore into: a data directory, and a database of its own on PostgreSQL.
async fn fresh_target(postgres: bool) -> (tempfile::TempDir, Option<String>, Option<PgDb>) {
    let dir = tempfile::tempdir().unwrap();
    if postgres {
        let (pg, url) = PgDb::create().await.unwrap();
        (dir, Some(url), Some(pg))
    } else {
        (dir, None, None)
    }
}

async fn has_reports(dir: &std::path::Path, db: Option<&str>) -> bool {
    use sqlx::{Connection, Row};
    let url = match db {
        Some(url) => url.to_owned(),
        None => {
            let file = dir.join("kyoyu.db");
            if !file.exists() {
                return false;
            }
            format!("sqlite://{}", file.display())
        }
    };
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    let sql = if db.is_some() {
        "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = 'reports'"
    } else {
        "SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'reports'"
    };
    let n: i64 = sqlx::query(sql)
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    n > 0
}

/// `--encrypt-to` an age recipient: the file shows nothing of its contents, cannot be restored
/// without the identity or with another one (and then nothing is created), and restores whole
/// with the right one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_backup_restores_only_with_its_identity() {
    use age::secrecy::ExposeSecret;
    const MARKER: &str = "暗号化バックアップの機密マーカー";
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base) = serve(dir.path(), None);
    let client = reqwest::Client::new();
    let token = login(&client, &base, "fsa-contact@demo.example").await;
    let res = create(&client, &base, &token, MARKER, true).await;
    assert_eq!(res.status(), 201);
    let id = id_text(&res.json::<Value>().await.unwrap()["id"]);
    let _ = child.kill();
    let _ = child.wait();

    let identity = age::x25519::Identity::generate();
    let key = dir.path().join("backup-key.txt");
    std::fs::write(&key, format!("{}\n", identity.to_string().expose_secret())).unwrap();
    let other = dir.path().join("other-key.txt");
    std::fs::write(
        &other,
        format!(
            "{}\n",
            age::x25519::Identity::generate()
                .to_string()
                .expose_secret()
        ),
    )
    .unwrap();
    let out = dir.path().join("kyoyu.tar.age");
    let (ok, _, stderr) = run(kyoyu(dir.path(), None)
        .arg("backup")
        .arg(&out)
        .arg("--encrypt-to")
        .arg(identity.to_public().to_string()));
    assert!(ok, "{stderr}");
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1"));
    for plain in [MARKER.as_bytes(), b"SQLite format 3", b"manifest.json"] {
        assert!(
            !bytes.windows(plain.len()).any(|w| w == plain),
            "the encrypted file shows {}",
            String::from_utf8_lossy(plain)
        );
    }
    // The age command (Debian's `age`, the reference implementation) reads it with the key.
    match std::process::Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&key)
        .arg(&out)
        .output()
    {
        Ok(plain) => {
            assert!(
                plain.status.success(),
                "{}",
                String::from_utf8_lossy(&plain.stderr)
            );
            let mut tar = tar::Archive::new(plain.stdout.as_slice());
            let names: Vec<String> = tar
                .entries()
                .unwrap()
                .map(|e| e.unwrap().path().unwrap().display().to_string())
                .collect();
            assert_eq!(names, ["manifest.json", "database.sqlite"]);
        }
        Err(_) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but the age command is missing"
            );
            eprintln!("SKIPPED: the age command (apt-get install age)");
        }
    }
    let (ok, _, stderr) = run(kyoyu(dir.path(), None)
        .arg("backup")
        .arg(dir.path().join("x.tar"))
        .args(["--encrypt-to", "age1notakey"]));
    assert!(!ok && stderr.contains("age1notakey"), "{stderr}");
    assert!(!dir.path().join("x.tar").exists());

    let elsewhere = tempfile::tempdir().unwrap();
    let restore = |extra: &[&std::path::Path]| {
        let mut cmd = kyoyu(elsewhere.path(), None);
        cmd.arg("restore").arg(&out);
        if let Some(k) = extra.first() {
            cmd.arg("--identity").arg(k);
        }
        run(&mut cmd)
    };
    let (ok, _, stderr) = restore(&[]);
    assert!(!ok && stderr.contains("--identity"), "{stderr}");
    let (ok, _, stderr) = restore(&[&other]);
    assert!(!ok && stderr.contains("復号できません"), "{stderr}");
    assert!(
        !elsewhere.path().join("kyoyu.db").exists(),
        "nothing is created"
    );
    let (ok, restored, stderr) = restore(&[&key]);
    assert!(ok && restored.contains("連鎖を確認しました"), "{stderr}");

    let (_again, base) = serve(elsewhere.path(), None);
    let token = login(&client, &base, "fsa-contact@demo.example").await;
    let thread = client
        .get(format!("{base}/api/v1/reports/{id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(thread.contains(MARKER), "{thread}");
}
