//! A real browser (Debian's headless Chromium, driven through chromedriver) logs a demo user in
//! through the login form and reaches the home page; screenshots go to `test-artifacts/`.
//! Without Chromium the test says so and passes, except under `CI=true`, where a missing browser
//! is a failure (CI installs it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fantoccini::Locator;

mod common;
use common::browser::{arrived, artifacts, boot, browser, chromedriver, log_in, shot, text_of};

#[tokio::test]
async fn a_demo_user_logs_in_with_a_real_browser() {
    let Some((_driver, port)) = chromedriver() else {
        return;
    };
    let (db, base) = boot().await;

    let c = browser(port).await;
    c.goto(&format!("{base}/")).await.unwrap();
    // Not logged in: the browser lands on the login page.
    assert!(c.current_url().await.unwrap().path().ends_with("/login"));
    let title = c
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(title, "ログイン");
    c.screenshot()
        .await
        .map(|png| std::fs::write(artifacts().join("login.png"), png))
        .unwrap()
        .unwrap();

    // Keyboard use: the e-mail field has focus first, labels are attached to their fields.
    let label_for = c
        .find(Locator::Css("label[for=email]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(label_for, "メールアドレス");
    c.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("op-finance-1-contact@demo.example")
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
    let org = c
        .find(Locator::Id("org-name"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(org, "金融デモ事業者1");
    let body = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("重要インフラ事業者等") && body.contains("金融"),
        "{body}"
    );
    c.screenshot()
        .await
        .map(|png| std::fs::write(artifacts().join("home.png"), png))
        .unwrap()
        .unwrap();

    c.goto(&format!("{base}/account")).await.unwrap();
    c.find(Locator::Css("#totp-heading ~ form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css(".qr svg")).await.unwrap();
    c.screenshot()
        .await
        .map(|png| std::fs::write(artifacts().join("account-totp.png"), png))
        .unwrap()
        .unwrap();

    c.find(Locator::Css("header form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();
    let notice = c
        .find(Locator::Css("p.notice"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(notice, "ログアウトしました。");
    c.close().await.unwrap();
    db.cleanup().await;
}

#[tokio::test]
async fn a_report_is_filed_anonymised_forwarded_numbered_and_followed_up_in_the_browser() {
    let Some((_driver, port)) = chromedriver() else {
        return;
    };
    let (db, base) = boot().await;
    let c = browser(port).await;

    // The operator files 第1報 via its CEPTOAR, asking for anonymisation.
    log_in(&c, &base, "op-finance-1-contact@demo.example").await;
    c.goto(&format!("{base}/reports/new")).await.unwrap();
    assert_eq!(text_of(&c, "h1").await, "情報連絡を作成");
    // The contact is prefilled from the account; the rest is what the operator knows now.
    c.find(Locator::Css("input[name=event][value=intrusion]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("input[name=causes][value=vulnerability]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("input[name=severity][value=warning]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("input[name=tlp][value=amber]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("description"))
        .await
        .unwrap()
        .send_keys("金融デモ事業者1の会員サイトに不正アクセス。調査中。")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=outlook][value=investigating]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("select#to option[value=ceptoar-finance]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("input[name=anonymize]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    shot(&c, "report-form.png").await;
    c.find(Locator::Id("send"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrived(&c, "sent").await;
    c.wait()
        .for_element(Locator::Id("report-number"))
        .await
        .unwrap();
    let url = c.current_url().await.unwrap();
    let thread_path = url.path().to_owned();
    assert!(text_of(&c, "main").await.contains("送信しました"));

    // The CEPTOAR forwards it to the ministry; anonymisation is forced by the request.
    log_in(&c, &base, "ceptoar-finance-contact@demo.example").await;
    c.goto(&format!("{base}/inbox")).await.unwrap();
    c.find(Locator::Css("table.reports a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("forward")).await.unwrap();
    assert_eq!(
        c.find(Locator::Id("fwd-anon"))
            .await
            .unwrap()
            .prop("checked")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    c.find(Locator::Id("forward"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrived(&c, "forwarded").await;
    c.wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();

    // The ministry sees the anonymised report and forwards it to NISC: R1 appears.
    log_in(&c, &base, "fsa-contact@demo.example").await;
    c.goto(&format!("{base}/inbox")).await.unwrap();
    c.find(Locator::Css("table.reports a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("forward")).await.unwrap();
    let page = text_of(&c, "main").await;
    assert!(
        !page.contains("金融デモ事業者1"),
        "the ministry must not see the reporter: {page}"
    );
    assert!(page.contains("金融セプター事務局（デモ）"));
    c.find(Locator::Id("forward"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrived(&c, "forwarded").await;
    c.wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();
    assert_eq!(text_of(&c, "#report-number").await, "R1");
    shot(&c, "report-thread-ministry.png").await;

    // The operator files 第2報 and sees R1-2.
    log_in(&c, &base, "op-finance-1-contact@demo.example").await;
    c.goto(&format!("{base}{thread_path}")).await.unwrap();
    assert_eq!(text_of(&c, "#report-number").await, "R1");
    c.find(Locator::Id("follow-up"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("send")).await.unwrap();
    c.find(Locator::Css("input[name=system_status][value=recovered]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("input[name=outlook][value=closed]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("send"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrived(&c, "sent").await;
    c.wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();
    let number2 = text_of(&c, "#ed-2 .number").await;
    assert_eq!(number2, "R1-2");
    assert!(
        text_of(&c, "#ed-2 ~ .diff, .edition .diff")
            .await
            .contains("今後の見通し")
    );
    shot(&c, "report-thread.png").await;
    c.goto(&format!("{base}{thread_path}/print")).await.unwrap();
    assert!(text_of(&c, "main").await.contains("■"));
    shot(&c, "report-print.png").await;
    c.close().await.unwrap();
    db.cleanup().await;
}

async fn api_login(base: &str, email: &str) -> String {
    let v: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": email, "password": "kyoyu-demo-pass" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_advisory_is_published_forwarded_and_acknowledged_in_the_browser() {
    let Some((_driver, port)) = chromedriver() else {
        return;
    };
    let (db, base) = boot().await;
    // The source: an Amber report from op-electricity-1, through meti to NISC (R1).
    let http = reqwest::Client::new();
    let mut form: serde_json::Value =
        serde_json::from_str(include_str!("../../../fixtures/report-fig5.json")).unwrap();
    form["sector"] = serde_json::json!("electricity");
    form["tlp"] = serde_json::json!("amber");
    let op = api_login(&base, "op-electricity-1-contact@demo.example").await;
    let t: serde_json::Value = http
        .post(format!("{base}/api/v1/reports"))
        .bearer_auth(&op)
        .json(&serde_json::json!({ "form": form, "route": { "to": "meti" }, "submit": true }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let meti = api_login(&base, "meti-contact@demo.example").await;
    let res = http
        .post(format!("{base}/api/v1/reports/{}/forward", t["id"]))
        .bearer_auth(&meti)
        .json(&serde_json::json!({ "to": "nisc" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let c = browser(port).await;
    log_in(&c, &base, "nisc-contact@demo.example").await;
    c.goto(&format!("{base}/advisories/new")).await.unwrap();
    c.find(Locator::Css("input[name=sectors][value=electricity]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("input[name=tlp][value=amber]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("input[name=basis][value=attack]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("exercise"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("overview"))
        .await
        .unwrap()
        .send_keys("制御系ネットワークへの不審な通信が確認されています。")
        .await
        .unwrap();
    c.find(Locator::Id("countermeasures"))
        .await
        .unwrap()
        .send_keys("通信ログを確認し、該当する宛先を遮断してください。")
        .await
        .unwrap();
    c.find(Locator::Id("sources"))
        .await
        .unwrap()
        .send_keys("R1")
        .await
        .unwrap();
    shot(&c, "advisory-form.png").await;
    c.find(Locator::Id("save"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrived(&c, "saved").await;
    c.wait().for_element(Locator::Id("publish")).await.unwrap();
    assert!(text_of(&c, "main").await.contains("情報源の共有範囲内です"));
    c.find(Locator::Id("publish"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Publishing asks for confirmation first.
    assert!(
        c.get_alert_text()
            .await
            .unwrap()
            .contains("公開後は取り消せません")
    );
    c.accept_alert().await.unwrap();
    arrived(&c, "published").await;
    c.wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();
    assert_eq!(text_of(&c, "#advisory-number").await, "T1");
    assert_eq!(text_of(&c, "#advisory-title").await, "【訓練】情報提供 T1");

    // meti receives, acknowledges, and forwards within the TLP.
    log_in(&c, &base, "meti-contact@demo.example").await;
    c.goto(&format!("{base}/advisories?delivered=true"))
        .await
        .unwrap();
    c.find(Locator::Css("table.advisories a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("receive")).await.unwrap();
    c.find(Locator::Id("receive"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrived(&c, "acknowledged").await;
    c.wait()
        .for_element(Locator::Id("advisory-forward"))
        .await
        .unwrap();
    c.find(Locator::Id("advisory-forward"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrived(&c, "forwarded").await;
    c.wait()
        .for_element(Locator::Id("distribution"))
        .await
        .unwrap();
    let table = text_of(&c, "#distribution").await;
    assert!(table.contains("電力セプター事務局（デモ）"), "{table}");
    shot(&c, "advisory-distribution.png").await;

    // An operator handles it with a note.
    log_in(&c, &base, "op-electricity-1-contact@demo.example").await;
    c.goto(&format!("{base}/advisories?delivered=true"))
        .await
        .unwrap();
    c.find(Locator::Css("table.advisories a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("handle")).await.unwrap();
    c.find(Locator::Id("handle-note"))
        .await
        .unwrap()
        .send_keys("ログを確認、該当通信なし。")
        .await
        .unwrap();
    c.find(Locator::Id("handle"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrived(&c, "acknowledged").await;
    c.wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();

    // NISC's drill report shows every organisation and who has not acknowledged yet.
    log_in(&c, &base, "nisc-contact@demo.example").await;
    c.goto(&format!("{base}/advisories")).await.unwrap();
    c.find(Locator::Css("table.advisories a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("drill-link"))
        .await
        .unwrap();
    c.find(Locator::Id("drill-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("drill")).await.unwrap();
    let drill = text_of(&c, "main").await;
    assert!(
        drill.contains("【訓練】")
            && drill.contains("電力デモ事業者1")
            && drill.contains("経済産業省"),
        "{drill}"
    );
    shot(&c, "advisory-drill.png").await;
    c.close().await.unwrap();
    db.cleanup().await;
}
