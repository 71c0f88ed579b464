//! What the binary's tests share: running `kyoyu` on a data directory, `serve --demo` on a
//! free port, and a PostgreSQL database of a test's own.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_kyoyu");

pub fn kyoyu(data_dir: &std::path::Path, db: Option<&str>) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--data-dir").arg(data_dir);
    if let Some(db) = db {
        c.arg("--database").arg(db);
    }
    c.env_remove("KYOYU_DATABASE")
        .env_remove("KYOYU_LISTEN")
        .env("RUST_LOG", "warn");
    c
}

/// A child process killed when dropped, so that a failing test leaves no server behind
/// (which would also hold the test's output pipe open).
pub struct Running(pub Child);

impl std::ops::Deref for Running {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An id as the API writes it (a number or a string), as text for a path.
pub fn id_text(v: &serde_json::Value) -> String {
    v.as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| v.to_string())
}

/// Starts `kyoyu serve --demo` on a free port; returns the child and its base URL.
pub fn serve(data_dir: &std::path::Path, db: Option<&str>) -> (Running, String) {
    serve_with(data_dir, db, &["--demo"])
}

/// Starts `kyoyu serve` with `args` on a free port; returns the child and its base URL
/// (`http://…` or, when serving TLS, `https://…`).
pub fn serve_with(
    data_dir: &std::path::Path,
    db: Option<&str>,
    args: &[&str],
) -> (Running, String) {
    let mut child = kyoyu(data_dir, db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("kyoyu exited before listening")
            .unwrap();
        if let Some(at) = line.find("https://").or_else(|| line.find("http://")) {
            let (scheme, rest) = line[at..].split_once("://").unwrap();
            break format!("{scheme}://{}", rest.split('/').next().unwrap());
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (Running(child), base)
}

pub struct PgDb {
    pub admin_url: String,
    pub name: String,
}

impl PgDb {
    /// A fresh database of its own on the test server, or `None` without `KYOYU_TEST_PG`.
    pub async fn create() -> Option<(PgDb, String)> {
        use sqlx::Connection;
        let url = std::env::var("KYOYU_TEST_PG")
            .ok()
            .filter(|u| !u.is_empty())?;
        sqlx::any::install_default_drivers();
        let name = format!(
            "kyoyu_cli_{}",
            std::process::id() as u64 * 1000 + rand_suffix()
        );
        let mut conn = sqlx::AnyConnection::connect(&url)
            .await
            .expect("KYOYU_TEST_PG is set but PostgreSQL is unreachable");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let db_url = match url.rfind('/') {
            Some(i) => format!("{}/{name}", &url[..i]),
            None => panic!("unexpected KYOYU_TEST_PG {url}"),
        };
        Some((
            PgDb {
                admin_url: url,
                name,
            },
            db_url,
        ))
    }

    pub async fn drop_db(self) {
        use sqlx::Connection;
        if let Ok(mut conn) = sqlx::AnyConnection::connect(&self.admin_url).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await;
        }
    }
}

/// Distinct between the databases one test process creates, and between processes.
pub fn rand_suffix() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    (nanos % 100) * 10 + NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst) % 10
}

pub async fn backends() -> Vec<(tempfile::TempDir, Option<String>, Option<PgDb>)> {
    let mut out = vec![(tempfile::tempdir().unwrap(), None, None)];
    if let Some((pg, url)) = PgDb::create().await {
        out.push((tempfile::tempdir().unwrap(), Some(url), Some(pg)));
    }
    out
}

pub fn wait(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let start = std::time::Instant::now();
    while start.elapsed() < timeout {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    None
}

/// A real SMTP server (Python's aiosmtpd) on a free loopback port, delivering into the mailbox
/// directory `mail`; `None` (after saying so) where aiosmtpd is missing outside CI.
pub fn start_smtp(mail: &std::path::Path) -> Option<(Running, u16)> {
    let python = std::env::var("KYOYU_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    if !Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but Python's aiosmtpd is missing"
        );
        eprintln!("SKIPPED: needs Python with aiosmtpd");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let smtp = Command::new(&python)
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(mail)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Some((Running(smtp), port))
}

/// Logs a demo user in through the API; their bearer token.
pub async fn login(client: &reqwest::Client, base: &str, email: &str) -> String {
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": email, "password": "kyoyu-demo-pass" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["token"].as_str().unwrap().to_owned()
}
