//! The workbench: what waits for each organisation is on its home page and as menu badges —
//! a report to forward at the CEPTOAR and then at the ministry, an advisory to acknowledge and
//! then to handle — and gone once dealt with; the notification page links each notice to its
//! item. Counts come from the lists the caller may read, on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kyoyu_test_support::{TestApp, apps, form_for};

mod common;
use reqwest::StatusCode;
use serde_json::{Value, json};

const OP: &str = "op-finance-1-contact@demo.example";
const CEP: &str = "ceptoar-finance-contact@demo.example";
const FSA: &str = "fsa-contact@demo.example";
const NISC: &str = "nisc-contact@demo.example";
const OTHER: &str = "op-gas-1-contact@demo.example";

async fn home(app: &TestApp, who: &str) -> String {
    let c = app.ui_login(who).await;
    let res = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

/// The count on a workbench line, or none when the line is absent.
fn line(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"work-{id}\""))?;
    let rest = &html[at..];
    let start = rest.find("<strong class=\"count\">")? + "<strong class=\"count\">".len();
    let end = rest[start..].find("</strong>")?;
    Some(rest[start..start + end].to_owned())
}

fn badge(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"badge-{id}\""))?;
    let rest = &html[at..];
    let start = rest.find("</span>")? + "</span>".len();
    let end = rest[start..].find("</span>")?;
    Some(rest[start..start + end].to_owned())
}

#[tokio::test]
async fn what_waits_is_on_the_home_page_and_in_the_menu_until_it_is_done() {
    for app in apps().await {
        let label = app.db.label;
        let op = app.login(OP).await;
        let mut form = form_for("金融デモ事業者1", "finance", "amber");
        form["outlook"] = json!("investigating");
        let body = json!({ "form": form, "route": { "to": "ceptoar-finance" }, "submit": true });
        let (s, thread) = app.post("/api/v1/reports", &op, body).await;
        assert_eq!(s, StatusCode::CREATED, "{thread}");
        let id = thread["id"].as_i64().unwrap();

        let page = home(&app, CEP).await;
        assert_eq!(line(&page, "to_forward").as_deref(), Some("1"), "[{label}]");
        assert_eq!(badge(&page, "inbox").as_deref(), Some("1"), "[{label}]");
        assert!(page.contains("href=\"/inbox?box=to_forward\""));
        // Nothing waits for an operator of another sector, and it sees no count of it.
        let other = home(&app, OTHER).await;
        assert_eq!(line(&other, "to_forward"), None);
        assert_eq!(badge(&other, "inbox"), None);
        assert!(other.contains("id=\"workbench-none\""), "[{label}]");

        let cep = app.login(CEP).await;
        let (s, _) = app
            .post(
                &format!("/api/v1/reports/{id}/forward"),
                &cep,
                json!({ "to": "fsa" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let page = home(&app, CEP).await;
        assert_eq!(
            line(&page, "to_forward"),
            None,
            "forwarded: no longer waits"
        );
        assert_eq!(badge(&page, "inbox"), None);
        let page = home(&app, FSA).await;
        assert_eq!(line(&page, "to_forward").as_deref(), Some("1"));
        // The reporter waits for its own follow-up (調査中: more will follow).
        let page = home(&app, OP).await;
        assert_eq!(line(&page, "follow_ups").as_deref(), Some("1"), "[{label}]");

        // The ministry's notifications link to the report it received.
        let c = app.ui_login(FSA).await;
        let res = c.get(app.url("/notifications")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.unwrap();
        assert!(html.contains(&format!("href=\"/reports/{id}\"")), "{html}");

        // An advisory published to the ministry waits for its 受領, then for 対応.
        let nisc = app.login(NISC).await;
        let mut f: Value =
            serde_json::from_str(include_str!("../../../fixtures/advisory-fig8.json")).unwrap();
        f.as_object_mut().unwrap().remove("_comment");
        f["recipients"] = json!([{ "ministry": "fsa", "sectors": ["finance"] }]);
        let (s, adv) = app
            .post("/api/v1/advisories", &nisc, json!({ "form": f }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{adv}");
        let aid = adv["id"].as_i64().unwrap();
        let (s, adv) = app
            .post(
                &format!("/api/v1/advisories/{aid}/publish"),
                &nisc,
                json!({ "override_reason": "ワークベンチの試験" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{adv}");
        let page = home(&app, FSA).await;
        assert_eq!(
            line(&page, "to_acknowledge").as_deref(),
            Some("1"),
            "[{label}]"
        );
        assert_eq!(badge(&page, "advisories").as_deref(), Some("1"));
        let fsa = app.login(FSA).await;
        let (s, _) = app
            .post(
                &format!("/api/v1/advisories/{aid}/ack"),
                &fsa,
                json!({ "state": "received" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let page = home(&app, FSA).await;
        assert_eq!(line(&page, "to_acknowledge"), None);
        assert_eq!(line(&page, "to_handle").as_deref(), Some("1"));
        assert_eq!(badge(&page, "advisories"), None);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_api_answers_the_same_counts() {
    for app in apps().await {
        let op = app.login(OP).await;
        let body = json!({ "form": form_for("金融デモ事業者1", "finance", "amber"), "route": { "to": "ceptoar-finance" }, "submit": true });
        let (s, _) = app.post("/api/v1/reports", &op, body).await;
        assert_eq!(s, StatusCode::CREATED);
        let cep = app.login(CEP).await;
        let (s, w) = app.get("/api/v1/me/workbench", Some(&cep)).await;
        assert_eq!(s, StatusCode::OK, "{w}");
        assert_eq!(w["to_forward"], json!({ "count": 1, "more": false }));
        assert_eq!(w["to_acknowledge"]["count"], 0);
        assert_eq!(
            app.get("/api/v1/me/workbench", None).await.0,
            StatusCode::UNAUTHORIZED
        );
        app.db.cleanup().await;
    }
}

/// The page's width beyond the window, in CSS pixels (0 when nothing scrolls sideways).
async fn overflow(c: &fantoccini::Client) -> i64 {
    c.execute(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
        vec![],
    )
    .await
    .unwrap()
    .as_i64()
    .unwrap()
}

#[tokio::test]
async fn every_role_sees_its_workbench_at_desk_and_phone_width() {
    use common::browser::{artifacts, boot, browser, chromedriver, log_in};
    let Some((_driver, port)) = chromedriver() else {
        return;
    };
    let (db, base) = boot().await;
    // Something waits at the CEPTOAR: a report from its member.
    let http = kyoyu_test_support::client();
    let token = api_token(&http, &base, OP).await;
    let res = http
        .post(format!("{base}/api/v1/reports"))
        .bearer_auth(&token)
        .json(&json!({ "form": form_for("金融デモ事業者1", "finance", "amber"), "route": { "to": "ceptoar-finance" }, "submit": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    let c = browser(port).await;
    for (who, name) in [
        (OP, "operator"),
        (CEP, "ceptoar"),
        (FSA, "ministry"),
        (NISC, "nisc"),
        ("op-finance-2-contact@demo.example", "operator-2"),
        ("outsider-contact@demo.example", "outsider"),
    ] {
        log_in(&c, &base, who).await;
        for (w, h) in [(1366, 900), (390, 844)] {
            c.set_window_size(w, h).await.unwrap();
            c.goto(&format!("{base}/")).await.unwrap();
            assert_eq!(overflow(&c).await, 0, "{name} at {w} px scrolls sideways");
            let png = c.screenshot().await.unwrap();
            std::fs::write(artifacts().join(format!("workbench-{name}-{w}.png")), png).unwrap();
        }
        if name == "ceptoar" {
            let text = c
                .find(fantoccini::Locator::Id("workbench"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(text.contains("転送を待つ情報連絡"), "{text}");
        }
        c.set_window_size(1280, 900).await.unwrap();
    }
    let _ = c.close().await;
    drop(db);
}

/// Logs in over the API of a booted server.
async fn api_token(http: &reqwest::Client, base: &str, email: &str) -> String {
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": "kyoyu-demo-pass" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["token"].as_str().unwrap().to_owned()
}

async fn api_post(http: &reqwest::Client, url: String, token: &str, body: Value) -> Value {
    let res = http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    res.json().await.unwrap()
}

#[tokio::test]
async fn nisc_starts_an_advisory_from_a_report_confirms_publishing_and_a_form_is_sent_once() {
    use common::browser::{boot, browser, chromedriver, log_in, text_of};
    use fantoccini::Locator;
    let Some((_driver, port)) = chromedriver() else {
        return;
    };
    let (db, base) = boot().await;
    let http = kyoyu_test_support::client();
    let op = api_token(&http, &base, OP).await;
    let thread = api_post(
        &http,
        format!("{base}/api/v1/reports"),
        &op,
        json!({ "form": form_for("金融デモ事業者1", "finance", "amber"), "route": { "to": "fsa" }, "submit": true }),
    )
    .await;
    let id = thread["id"].as_i64().unwrap();
    let fsa = api_token(&http, &base, FSA).await;
    api_post(
        &http,
        format!("{base}/api/v1/reports/{id}/forward"),
        &fsa,
        json!({ "to": "nisc" }),
    )
    .await;

    let c = browser(port).await;
    log_in(&c, &base, NISC).await;
    c.goto(&format!("{base}/reports/{id}")).await.unwrap();
    c.find(Locator::Id("advise-from"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let sources = c
        .wait()
        .for_element(Locator::Id("sources"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(sources.as_deref(), Some("R1"), "the report is the source");

    // A draft with that source: its page links the report, and publishing asks first.
    let nisc = api_token(&http, &base, NISC).await;
    let mut f: Value =
        serde_json::from_str(include_str!("../../../fixtures/advisory-fig8.json")).unwrap();
    f.as_object_mut().unwrap().remove("_comment");
    f["recipients"] = json!([{ "ministry": "fsa", "sectors": ["finance"] }]);
    f["tlp"] = json!("amber");
    let adv = api_post(
        &http,
        format!("{base}/api/v1/advisories"),
        &nisc,
        json!({ "form": f, "sources": [id] }),
    )
    .await;
    let aid = adv["id"].as_i64().unwrap();
    c.goto(&format!("{base}/advisories/{aid}")).await.unwrap();
    let link = c.find(Locator::Css("#advisory-sources a")).await.unwrap();
    assert_eq!(link.text().await.unwrap(), "R1");
    assert_eq!(
        link.attr("href").await.unwrap().as_deref(),
        Some(format!("/reports/{id}").as_str())
    );
    assert!(
        c.find(Locator::Css("#publish[disabled]")).await.is_err(),
        "the source's scope allows publishing"
    );
    {
        c.find(Locator::Id("publish"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert!(c.get_alert_text().await.unwrap().contains("公開"));
        c.dismiss_alert().await.unwrap();
        assert!(
            text_of(&c, "#advisory-number").await.starts_with("未公開"),
            "declined: nothing published"
        );
        c.find(Locator::Id("publish"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.accept_alert().await.unwrap();
        c.wait()
            .for_element(Locator::Css("p.notice, p.error"))
            .await
            .unwrap();
        assert_eq!(text_of(&c, "#advisory-number").await, "T1");
    }

    // A form is sent once: of two submits in a row, the page's script lets the first through
    // and stops the second (a listener on window, which runs last, reads what it decided and
    // then keeps the browser from leaving the page).
    log_in(&c, &base, "op-electricity-1-contact@demo.example").await;
    c.goto(&format!("{base}/risk")).await.unwrap();
    c.find(Locator::Id("na-name"))
        .await
        .unwrap()
        .send_keys("二重送信の試験資産")
        .await
        .unwrap();
    let seen = c
        .execute(
            "const f = document.getElementById('new-asset'); const seen = [];
             window.addEventListener('submit', e => { seen.push(e.defaultPrevented); e.preventDefault(); });
             f.requestSubmit(); f.requestSubmit();
             return seen;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(seen, json!([false, true]), "the second submit is stopped");
    let _ = c.close().await;
    drop(db);
}
