//! The risk pages in a real browser (headless Chromium): an operator registers an asset and two
//! risks before it has criteria, records management's judgement on one, writes criteria v1,
//! re-evaluates, treats with a requirement and accepts the residual. Screenshots of the register
//! with both heat maps, a risk's history and the management report go to `test-artifacts/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fantoccini::{Client, Locator};

mod common;
use common::browser::{
    arrived, boot, browser, chromedriver, click, log_in, shot, text_of, type_in,
};

/// The id of the risk whose page the browser shows.
async fn risk_id(c: &Client) -> String {
    let url = c.current_url().await.unwrap();
    url.path().rsplit('/').next().unwrap().to_owned()
}

async fn new_risk(c: &Client, base: &str, title: &str, damage: &str, likelihood: &str) -> String {
    c.goto(&format!("{base}/risk")).await.unwrap();
    type_in(c, "nr-title", title).await;
    click(c, "select#nr-event option[value=intrusion]").await;
    click(c, "input[name=causes][value=vulnerability]").await;
    click(c, &format!("select#nr-damage option[value={damage}]")).await;
    click(
        c,
        &format!("select#nr-likelihood option[value={likelihood}]"),
    )
    .await;
    type_in(c, "nr-consequence", "事業上の損失").await;
    if c.find(Locator::Css("input[name=asset_ids]")).await.is_ok() {
        click(c, "input[name=asset_ids]").await;
    }
    click(c, "#new-risk button[type=submit]").await;
    arrived(c, "created").await;
    risk_id(c).await
}

async fn cell_count(c: &Client, map: &str, damage: &str, likelihood: &str) -> String {
    c.find(Locator::Css(&format!(
        "#{map} g[data-damage={damage}][data-likelihood={likelihood}]"
    )))
    .await
    .unwrap()
    .attr("data-count")
    .await
    .unwrap()
    .unwrap_or_default()
}

#[tokio::test]
async fn an_operator_runs_the_risk_process_in_the_browser() {
    let Some((_driver, port)) = chromedriver() else {
        return;
    };
    let (db, base) = boot().await;
    let c = browser(port).await;
    log_in(&c, &base, "op-electricity-1-contact@demo.example").await;

    c.goto(&format!("{base}/risk")).await.unwrap();
    assert_eq!(text_of(&c, "h1").await, "リスク管理");
    assert!(text_of(&c, "#criteria-line").await.contains("未策定"));
    type_in(&c, "na-name", "送配電制御システム").await;
    click(
        &c,
        "select#na-services option[value=power_transmission_distribution]",
    )
    .await;
    click(&c, "#new-asset button[type=submit]").await;
    arrived(&c, "asset").await;
    assert!(text_of(&c, "#risk-assets").await.contains("送配電"));

    // Two risks before any criteria: both wait for management.
    let pending = new_risk(&c, &base, "保守端末経由の侵入", "medium", "medium").await;
    assert!(text_of(&c, "#risk-state").await.contains("判断待ち"));
    let main = new_risk(&c, &base, "制御系への侵入による広域停電", "large", "low").await;
    assert_ne!(pending, main);
    assert!(text_of(&c, "#rare-severe").await.contains("事業継続"));
    type_in(&c, "jd-reason", "経営会議で対応と判断").await;
    click(&c, "#form-judgement button[type=submit]").await;
    arrived(&c, "judgement").await;
    assert!(
        text_of(&c, "#risk-decision")
            .await
            .contains("経営層・有識者の判断")
    );

    // Criteria v1 (the default matrix, a review date).
    c.goto(&format!("{base}/risk/criteria")).await.unwrap();
    assert!(text_of(&c, "#no-criteria").await.contains("簡易版"));
    assert!(
        text_of(&c, "#judgements")
            .await
            .contains("経営会議で対応と判断"),
        "judgements made without criteria are kept as material for them"
    );
    type_in(&c, "cf-accept", "供給支障に至らないこと").await;
    click(&c, "select#cf-dfrom option[value=large]").await;
    click(&c, "#criteria-form button[type=submit]").await;
    arrived(&c, "criteria").await;
    assert!(text_of(&c, "#criteria-current").await.contains("v1"));
    assert!(text_of(&c, "#to-reevaluate").await.contains('2'));

    // Re-evaluate, treat with a requirement, accept the residual.
    c.goto(&format!("{base}/risk/risks/{main}")).await.unwrap();
    assert!(text_of(&c, "#needs-reevaluation").await.contains("再評価"));
    click(&c, "#reevaluate").await;
    arrived(&c, "reevaluate").await;
    assert!(text_of(&c, "#risk-decision").await.contains("v1"));
    click(&c, "#form-treatment input[name=option][value=modify]").await;
    type_in(&c, "tr-laws", "電気事業法").await;
    type_in(&c, "tr-action", "制御系ネットワークの分離").await;
    type_in(&c, "tr-req", "制御系と情報系を物理的に分離すること").await;
    click(&c, "#form-treatment button[type=submit]").await;
    arrived(&c, "treatment").await;
    assert!(text_of(&c, "#requirements").await.contains("物理的に分離"));
    click(
        &c,
        "#plan-actions select[name=action_states] option[value=in_progress]",
    )
    .await;
    click(&c, "#form-actions button[type=submit]").await;
    arrived(&c, "actions").await;
    let selected = c
        .find(Locator::Css("#plan-actions select[name=action_states]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(selected.as_deref(), Some("in_progress"));
    click(&c, "select#rs-damage option[value=small]").await;
    click(&c, "select#rs-likelihood option[value=low]").await;
    click(&c, "#form-residual button[type=submit]").await;
    arrived(&c, "residual").await;
    assert_eq!(text_of(&c, "#risk-state").await, "受容済み");
    let history = text_of(&c, "#risk-history").await;
    for step in [
        "登録・評価",
        "経営層・有識者の判断",
        "対応策の決定",
        "残留リスクの評価",
    ] {
        assert!(
            history.contains(step),
            "no {step} in the history: {history}"
        );
    }
    shot(&c, "risk-history.png").await;

    // The register with both heat maps.
    c.goto(&format!("{base}/risk")).await.unwrap();
    assert_eq!(cell_count(&c, "heat-inherent", "large", "low").await, "1");
    assert_eq!(cell_count(&c, "heat-residual", "small", "low").await, "1");
    assert_eq!(cell_count(&c, "heat-residual", "large", "low").await, "0");
    assert_eq!(
        cell_count(&c, "heat-inherent", "medium", "medium").await,
        "1"
    );
    let register = text_of(&c, "#risk-register").await;
    assert!(register.contains("要再評価"), "{register}");
    shot(&c, "risk-register.png").await;

    // The report for management puts the undecided risk first.
    click(&c, "#risk-report-link").await;
    c.wait().for_element(Locator::Id("awaiting")).await.unwrap();
    assert!(
        text_of(&c, "#awaiting")
            .await
            .contains("保守端末経由の侵入")
    );
    assert!(
        text_of(&c, "#report-requirements")
            .await
            .contains("物理的に分離")
    );
    shot(&c, "risk-report.png").await;

    c.close().await.unwrap();
    db.cleanup().await;
}
