//! The service under test: this very binary started as `kyoyu serve` on a free port, timed from
//! start to `/readyz`, with its peak resident memory read from `/proc`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

pub struct Server {
    child: Child,
    log: std::path::PathBuf,
    pub base: String,
    /// Seconds from starting the process to the first `/readyz` that answered 200.
    pub ready_seconds: f64,
    pub http: reqwest::Client,
}

impl Server {
    /// Starts the service on the corpus in `data_dir` (or `database`), logging to `log`.
    /// With `list_cache` false, list pages are computed for every request.
    pub async fn start(
        data_dir: &Path,
        database: Option<&str>,
        log: &Path,
        list_cache: bool,
    ) -> anyhow::Result<Server> {
        let exe = std::env::current_exe()?;
        let mut cmd = Command::new(exe);
        cmd.arg("--data-dir").arg(data_dir);
        if let Some(db) = database {
            cmd.args(["--database", db]);
        }
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .env_remove("KYOYU_DATABASE")
            .env(
                "KYOYU_LIST_CACHE_SECONDS",
                if list_cache { "5" } else { "0" },
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(log)?));
        let started = Instant::now();
        let mut child = cmd.spawn().context("starting kyoyu serve")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if !sent && let Some(rest) = line.split("http://").nth(1) {
                    let _ = tx.send(format!("http://{}", rest.split('/').next().unwrap_or("")));
                    sent = true;
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(120))
            .context("kyoyu serve did not say where it listens")?;
        let http = reqwest::Client::new();
        loop {
            if let Ok(r) = http.get(format!("{base}/readyz")).send().await
                && r.status().is_success()
            {
                break;
            }
            if started.elapsed() > Duration::from_secs(120) {
                bail!("kyoyu serve was not ready within 120 s");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        Ok(Server {
            ready_seconds: started.elapsed().as_secs_f64(),
            child,
            log: log.to_owned(),
            base,
            http,
        })
    }

    /// Peak resident memory so far, in MiB (`VmHWM`).
    pub fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map(|kib| kib / 1024.0)
            .unwrap_or(0.0)
    }

    pub async fn login(&self, email: &str) -> anyhow::Result<String> {
        let res = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({ "email": email, "password": kyoyu_core::demo::DEMO_PASSWORD }))
            .send()
            .await?;
        let body: Value = res.json().await?;
        body["token"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("login {email}: {body}"))
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> anyhow::Result<Value> {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("POST {path}: {status} {body}");
        }
        Ok(body)
    }

    pub async fn get(&self, path: &str, token: &str) -> anyhow::Result<Value> {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("GET {path}: {status} {body}");
        }
        Ok(body)
    }

    /// How often the service logged that SQLite was busy ("database is locked"): it must not.
    pub fn locked_in_log(&self) -> u64 {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .matches("database is locked")
            .count() as u64
    }

    /// Stops the service the way an operator does (SIGTERM) and waits for it.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
