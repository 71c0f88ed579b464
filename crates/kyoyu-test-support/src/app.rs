//! The black-box test harness: the real router on a real port over a fresh database with the
//! demo world, once per backend.

use std::sync::Arc;

use kyoyu_core::{Core, CoreConfig, SystemClock, demo};
use kyoyu_web::{AppState, WebConfig};

use crate::TestDb;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    pub core: Core,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn login(&self, email: &str) -> String {
        let res = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({ "email": email, "password": demo::DEMO_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "login {email}");
        res.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let res = self
            .client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn apps_with(config: WebConfig) -> Vec<TestApp> {
    apps_configured(config, CoreConfig::default()).await
}

/// A server per database with these HTTP and core settings.
pub async fn apps_configured(config: WebConfig, core_config: CoreConfig) -> Vec<TestApp> {
    let mut apps = Vec::new();
    for db in TestDb::all().await {
        let core = Core::new(db.store.clone(), Arc::new(SystemClock), core_config.clone())
            .await
            .unwrap();
        demo::ensure(&core).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(core.clone(), config.clone());
        tokio::spawn(kyoyu_web::serve(listener, state, std::future::pending()));
        apps.push(TestApp {
            base,
            client: client(),
            db,
            core,
        });
    }
    apps
}

pub async fn apps() -> Vec<TestApp> {
    apps_with(WebConfig {
        demo: true,
        ..WebConfig::default()
    })
    .await
}

impl TestApp {
    /// A second server on the same database, with its own connection pool (what a second
    /// server process sharing the database is to the database).
    pub async fn second_server(&self) -> String {
        let store = self.db.reopen().await.unwrap();
        let core = Core::new(store, Arc::new(SystemClock), CoreConfig::default())
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(kyoyu_web::serve(
            listener,
            AppState::new(core, WebConfig::default()),
            std::future::pending(),
        ));
        base
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let res = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

/// The seed's filled example (図5), as a starting point for report forms.
pub fn fixture_form() -> Value {
    let text = include_str!("../../../fixtures/report-fig5.json");
    let mut v: Value = serde_json::from_str(text).unwrap();
    v.as_object_mut().unwrap().remove("_comment");
    v
}

/// A report form from `org` (an `op-<sector>-<n>` style code) in `sector` at `tlp`.
pub fn form_for(org_name: &str, sector: &str, tlp: &str) -> Value {
    let mut f = fixture_form();
    f["sector"] = json!(sector);
    f["tlp"] = json!(tlp);
    f["operator_name"] = json!(org_name);
    f["contact"] = json!({
        "organization": org_name, "department": "情報システム部", "person": "連絡 太郎",
        "phone": "03-0000-0000", "fax": "", "email": "renraku@op.example"
    });
    f["summary"]["description"] = json!(format!(
        "・{org_name}の会員サイトが改ざんされた。\n・調査中。"
    ));
    f
}

impl TestApp {
    /// A browser-like client (cookies, no redirects) logged in through the login form.
    pub async fn ui_login(&self, email: &str) -> reqwest::Client {
        let c = client();
        let (status, _) = self.ui_login_attempt(&c, email).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "UI login {email}");
        c
    }

    /// One login through the page's form with the demo password, in browser `c` (its cookies
    /// kept): the status and the page answered.
    pub async fn ui_login_attempt(&self, c: &reqwest::Client, email: &str) -> (StatusCode, String) {
        let html = c
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let res = c
            .post(self.url("/login"))
            .form(&[
                ("email", email),
                ("password", demo::DEMO_PASSWORD),
                ("_csrf", csrf_field(&html).as_str()),
            ])
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap_or_default())
    }
}

/// The value of the hidden `_csrf` field of a page's form.
pub fn csrf_field(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}
