//! What the browser-driven tests share: chromedriver and headless Chromium (Debian's), a
//! logged-in page, screenshots into `test-artifacts/`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use kyoyu_core::{Core, CoreConfig, SystemClock, demo};
use kyoyu_test_support::TestDb;
use kyoyu_web::{AppState, WebConfig};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Driver(Child);
impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts chromedriver on a free port, or `None` when the browser is not installed.
pub fn chromedriver() -> Option<(Driver, u16)> {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but Chromium is missing: apt-get install chromium chromium-driver fonts-noto-cjk"
        );
        eprintln!("SKIPPED: the browser test needs Debian's chromium and chromium-driver packages");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Some((Driver(child), port))
}

pub async fn browser(port: u16) -> fantoccini::Client {
    // Several rustls providers are compiled in through dev-dependencies; pick one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let profile = tempfile::tempdir().unwrap().keep();
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,900", "--lang=ja", format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let caps = caps.as_object().unwrap().clone();
    for _ in 0..50 {
        if let Ok(c) = ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("could not connect to chromedriver");
}

pub async fn log_in(c: &fantoccini::Client, base: &str, email: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    if c.current_url().await.unwrap().path() != "/login" {
        // Still logged in as someone else: log out first.
        c.find(Locator::Css("header form button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait().for_element(Locator::Id("email")).await.unwrap();
    }
    c.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("kyoyu-demo-pass")
        .await
        .unwrap();
    c.find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("org-name")).await.unwrap();
}

pub async fn shot(c: &fantoccini::Client, name: &str) {
    // A tall window so that the whole page is in the picture.
    let _ = c.set_window_size(1280, 2600).await;
    let png = c.screenshot().await.unwrap();
    std::fs::write(artifacts().join(name), png).unwrap();
    let _ = c.set_window_size(1280, 900).await;
}

/// The service with the demo world on a fresh SQLite database, on a free port.
pub async fn boot() -> (TestDb, String) {
    let db = TestDb::sqlite().await.unwrap();
    let core = Core::new(
        db.store.clone(),
        Arc::new(SystemClock),
        CoreConfig::default(),
    )
    .await
    .unwrap();
    demo::ensure(&core).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(
        core,
        WebConfig {
            demo: true,
            ..WebConfig::default()
        },
    );
    tokio::spawn(kyoyu_web::serve(listener, state, std::future::pending()));
    (db, base)
}

/// Waits until the page a form posted to has loaded (the redirect carries `done=<what>`), so
/// that nothing is looked up on the page being left.
pub async fn arrived(c: &fantoccini::Client, done: &str) {
    let needle = format!("done={done}");
    for _ in 0..100 {
        let at = c
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let ready = c
            .execute("return document.readyState", vec![])
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned));
        if at.contains(&needle) && ready.as_deref() == Some("complete") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never arrived at a page with {needle}");
}

pub async fn text_of(c: &fantoccini::Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub async fn click(c: &fantoccini::Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

pub async fn type_in(c: &fantoccini::Client, id: &str, text: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("{id}: {e}"))
        .send_keys(text)
        .await
        .unwrap();
}
