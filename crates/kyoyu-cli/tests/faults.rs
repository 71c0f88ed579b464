//! The database failing under a running `kyoyu serve`, with real faults: PostgreSQL cut off by a
//! loopback TCP proxy the test owns (the machine's shared server is never stopped), SQLite on a
//! small file system of the test's own that fills up, and that is read-only at a start. Requests fail cleanly
//! with 503 `unavailable` within a bound — never a 500 — `/readyz` says so, nothing
//! acknowledged is lost or damaged, and service resumes by itself when the fault ends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

const FIXTURE: &str = include_str!("../../../fixtures/report-fig5.json");
/// The longest a request may take while the database is away (the pool waits 10 s).
const BOUND: Duration = Duration::from_secs(15);

/// A TCP proxy on loopback to PostgreSQL that the test can cut (every connection dropped, new
/// ones closed at once) and restore.
struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    generation: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let (tx, _) = tokio::sync::watch::channel(0u64);
        let generation = Arc::new(tx);
        let (c, g) = (cut.clone(), generation.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                if c.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let mut cut_signal = g.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut_signal.changed() => {}
                    }
                });
            }
        });
        Proxy {
            port,
            cut,
            generation,
        }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// Submits one report; answers its status, how long it took and, when acknowledged, its id.
async fn submit(client: &reqwest::Client, base: &str, token: &str, summary: &str) -> Outcome {
    let mut form: Value = serde_json::from_str(FIXTURE).unwrap();
    form["sector"] = json!("finance");
    form["summary"]["description"] = json!(summary);
    let start = Instant::now();
    let res = client
        .post(format!("{base}/api/v1/reports"))
        .bearer_auth(token)
        .json(&json!({ "form": form, "route": { "to": "nisc" }, "submit": true }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if status != 201 {
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "unavailable", "{body}");
    }
    (
        status,
        start.elapsed(),
        (status == 201).then(|| id_text(&body["id"])),
    )
}

async fn ready(client: &reqwest::Client, base: &str) -> u16 {
    client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Waits until `/readyz` answers `want`, at most `within`.
async fn await_ready(client: &reqwest::Client, base: &str, want: u16, within: Duration) {
    let start = Instant::now();
    loop {
        let got = ready(client, base).await;
        if got == want {
            return;
        }
        assert!(start.elapsed() < within, "/readyz still {got}, not {want}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// One submit: its status, how long it took, and the id when acknowledged.
type Outcome = (u16, Duration, Option<String>);

/// Clients that submit until stopped, each outcome kept.
struct Load {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<Vec<Outcome>>>,
}

impl Load {
    fn start(client: &reqwest::Client, base: &str, token: &str, clients: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = (0..clients)
            .map(|w| {
                let (client, base, token, stop) = (
                    client.clone(),
                    base.to_owned(),
                    token.to_owned(),
                    stop.clone(),
                );
                tokio::spawn(async move {
                    let mut out = Vec::new();
                    let mut i = 0;
                    while !stop.load(Ordering::SeqCst) {
                        let r =
                            submit(&client, &base, &token, &format!("障害中の報告 {w}-{i}")).await;
                        if r.0 != 201 {
                            // A client backs off after a refusal, as a real one does.
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                        out.push(r);
                        i += 1;
                    }
                    out
                })
            })
            .collect();
        Load { stop, tasks }
    }

    async fn finish(self) -> Vec<Outcome> {
        self.stop.store(true, Ordering::SeqCst);
        let mut out = Vec::new();
        for t in self.tasks {
            out.extend(t.await.unwrap());
        }
        out
    }
}

/// Every acknowledged report reads back with its number; numbers are unique.
async fn all_acknowledged_are_there(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    outcomes: &[Outcome],
) {
    let mut numbers = std::collections::BTreeSet::new();
    for id in outcomes.iter().filter_map(|o| o.2.as_ref()) {
        let res = client
            .get(format!("{base}/api/v1/reports/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "acknowledged report {id} is lost");
        let t: Value = res.json().await.unwrap();
        let number = t["number"].as_str().unwrap().to_owned();
        assert!(numbers.insert(number.clone()), "{number} given twice");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_cut_off_under_load_answers_503_then_resumes_by_itself() {
    let Some((pg, url)) = PgDb::create().await else {
        assert!(
            std::env::var("CI").is_err(),
            "CI runs the PostgreSQL fault test: set KYOYU_TEST_PG"
        );
        eprintln!("SKIPPED: needs KYOYU_TEST_PG");
        return;
    };
    let upstream = reqwest::Url::parse(&url).unwrap();
    let proxy = Proxy::start(format!(
        "{}:{}",
        upstream.host_str().unwrap(),
        upstream.port().unwrap_or(5432)
    ))
    .await;
    let mut via_proxy = upstream.clone();
    via_proxy.set_host(Some("127.0.0.1")).unwrap();
    via_proxy.set_port(Some(proxy.port)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base) = serve(dir.path(), Some(via_proxy.as_str()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let token = login(&client, &base, "fsa-contact@demo.example").await;
    assert_eq!(ready(&client, &base).await, 200);

    let load = Load::start(&client, &base, &token, 4);
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.cut();
    // The load balancer hears "not ready" quickly.
    let cut_at = Instant::now();
    await_ready(&client, &base, 503, Duration::from_secs(5)).await;
    // A while longer than the pool waits, so that waiting requests time out.
    tokio::time::sleep(Duration::from_secs(12).saturating_sub(cut_at.elapsed())).await;
    let (status, took, _) = submit(&client, &base, &token, "切断中の報告").await;
    assert_eq!(status, 503, "a write while PostgreSQL is away");
    assert!(took < BOUND, "answered after {took:?}");
    proxy.restore();
    await_ready(&client, &base, 200, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let outcomes = load.finish().await;
    let (status, _, _) = submit(&client, &base, &token, "復旧後の報告").await;
    assert_eq!(status, 201, "service resumes by itself");

    let refused = outcomes.iter().filter(|o| o.0 == 503).count();
    let acked = outcomes.iter().filter(|o| o.0 == 201).count();
    assert!(
        refused > 0 && acked > 0,
        "{refused} refused, {acked} acknowledged"
    );
    let slowest = outcomes.iter().map(|o| o.1).max().unwrap();
    assert!(slowest < BOUND, "a request took {slowest:?}");
    all_acknowledged_are_there(&client, &base, &token, &outcomes).await;
    let _ = child.kill();
    let _ = child.wait();
    let out = kyoyu(dir.path(), Some(&url))
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    pg.drop_db().await;
}

/// A tmpfs of the test's own, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    fn remount(&self, how: &str) {
        let s = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{how}")])
            .arg(self.dir.path())
            .status()
            .unwrap();
        assert!(s.success(), "remount {how}");
    }

    /// Fills the file system to the last byte with a file of its own.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let filler = self.dir.path().join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let small = [0u8; 512];
        while f.write_all(&small).is_ok() {}
        let _ = f.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// `kyoyu serve` on a read-only data directory: its base URL when it listens, else what it
/// said on standard error when it exited.
fn start_read_only(data: &std::path::Path) -> Result<(Running, String), String> {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;
    let mut child = Running(
        kyoyu(data, None)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(at) = line.find("http://") {
            let rest = &line[at + "http://".len()..];
            let base = format!("http://{}", rest.split('/').next().unwrap());
            std::thread::spawn(move || for _ in lines {});
            std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
            return Ok((child, base));
        }
    }
    let mut text = String::new();
    stderr.read_to_string(&mut text).unwrap();
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "exited without serving, and without an error: {text}"
    );
    Err(text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_with_its_disk_full_or_read_only_answers_503_and_recovers() {
    let Some(disk) = SmallDisk::mount("48m") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI runs the disk-full test: it needs to mount a tmpfs"
        );
        eprintln!("SKIPPED: mounting a tmpfs needs root");
        return;
    };
    let data = disk.path().join("data");
    let (mut child, base) = serve(&data, None);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let token = login(&client, &base, "fsa-contact@demo.example").await;
    let (status, _, first) = submit(&client, &base, &token, "満杯前の報告").await;
    assert_eq!(status, 201);
    let mut outcomes = vec![(status, Duration::ZERO, first)];

    // Full: writes are refused cleanly, reads go on.
    let filler = disk.fill();
    let load = Load::start(&client, &base, &token, 2);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let full = load.finish().await;
    assert!(
        full.iter().any(|o| o.0 == 503),
        "no write was refused on a full disk"
    );
    outcomes.extend(full);
    let list = client
        .get(format!("{base}/api/v1/reports"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200, "reads go on while the disk is full");

    // Space returns: writes resume by themselves.
    std::fs::remove_file(filler).unwrap();
    let (status, _, id) = submit(&client, &base, &token, "空きが戻った後の報告").await;
    assert_eq!(status, 201, "writes resume when space returns");
    outcomes.push((status, Duration::ZERO, id));

    // Read-only (remounted so while the service is stopped — Linux refuses it under files
    // open for writing): kyoyu starts and serves what it has, and every write is refused
    // cleanly; with the file system writable again, writes resume.
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    assert!(wait(&mut child, Duration::from_secs(20)).is_some_and(|s| s.success()));
    disk.remount("ro");
    // SQLite opens the file read-only if it can (the WAL index still there) or not at all.
    match start_read_only(&data) {
        Ok((read_only, ro_base)) => {
            let (status, took, _) = submit(&client, &ro_base, &token, "読み取り専用中の報告").await;
            assert_eq!(status, 503, "a write on a read-only file system");
            assert!(took < BOUND);
            drop(read_only);
        }
        Err(stderr) => assert!(
            stderr.contains("データベース") && !stderr.contains("panicked"),
            "{stderr}"
        ),
    }
    disk.remount("rw");
    let (again, base) = serve(&data, None);
    child = again;
    let token = login(&client, &base, "fsa-contact@demo.example").await;
    let (status, _, id) = submit(&client, &base, &token, "書き込み可能に戻った後の報告").await;
    assert_eq!(
        status, 201,
        "writes resume when the file system is writable again"
    );
    outcomes.push((status, Duration::ZERO, id));

    all_acknowledged_are_there(&client, &base, &token, &outcomes).await;
    let _ = child.kill();
    let _ = child.wait();
    let out = kyoyu(&data, None)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let mut conn =
        sqlx::AnyConnection::connect(&format!("sqlite://{}", data.join("kyoyu.db").display()))
            .await
            .unwrap();
    let check: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(check, "ok");
}
