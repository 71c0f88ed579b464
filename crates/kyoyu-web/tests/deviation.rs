//! The service-maintenance-level deviation check (表3, ⑥): an operator names the affected
//! service and its figures; kyoyu suggests 有/無 with the rule, refuses an answer against the
//! suggestion without a reason, and the ministry sees the suggestion beside the answer — through
//! the API on both backends, the HTML form without a browser, and in headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fantoccini::Locator;
use kyoyu_test_support::{apps, csrf_field, form_for};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod common;
use common::browser::{
    arrived, boot, browser, chromedriver, click, log_in, shot, text_of, type_in,
};

const OP: &str = "op-info_comm-1-contact@demo.example";
const MIC: &str = "mic-contact@demo.example";

fn telecom_form(answer: bool, users: u64, minutes: u64, reason: Option<&str>) -> Value {
    let mut form = form_for("情報通信デモ事業者1", "info_comm", "amber");
    form["impact"] = json!({
        "sml_deviation": answer,
        "service": "telecom_service",
        "figures": { "affected_users": users, "duration_minutes": minutes },
        "system_status": "stopped",
    });
    if let Some(r) = reason {
        form["impact"]["sml_reason"] = json!(r);
    }
    form
}

fn file(form: Value) -> Value {
    json!({ "form": form, "route": { "to": "mic" }, "submit": true })
}

#[tokio::test]
async fn the_ministry_sees_the_suggestion_beside_the_answer() {
    for app in apps().await {
        let op = app.login(OP).await;
        let (_, before) = app.get("/api/v1/reports", Some(&op)).await;
        let before = before["items"].as_array().unwrap().len();

        // 45,000 users for 3 hours is past 30,000 users and 2 hours: answering 無 needs a reason.
        let (s, e) = app
            .post(
                "/api/v1/reports",
                &op,
                file(telecom_form(false, 45_000, 180, None)),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {e}",
            app.db.label
        );
        assert_eq!(e["error"]["field"], "form.impact.sml_reason", "{e}");
        let message = e["error"]["message"].as_str().unwrap();
        assert!(message.contains("逸脱「有」"), "{message}");
        assert!(message.contains("30,000人以上"), "{message}");
        let (_, after) = app.get("/api/v1/reports", Some(&op)).await;
        assert_eq!(
            after["items"].as_array().unwrap().len(),
            before,
            "nothing filed"
        );

        // A service of another sector is named as such.
        let mut wrong = telecom_form(true, 45_000, 180, None);
        wrong["impact"]["service"] = json!("bank_deposits");
        let (s, e) = app.post("/api/v1/reports", &op, file(wrong)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["field"], "form.impact.service", "{e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains("情報通信"),
            "{e}"
        );

        // A figure past the documented maximum is refused, not stored.
        let (s, e) = app
            .post(
                "/api/v1/reports",
                &op,
                file(telecom_form(true, 1_000_000_001, 180, None)),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(
            e["error"]["field"], "form.impact.figures.affected_users",
            "{e}"
        );

        // With a reason the answer stands, and the ministry reads both.
        let (s, thread) = app
            .post(
                "/api/v1/reports",
                &op,
                file(telecom_form(
                    false,
                    45_000,
                    180,
                    Some("影響は一部の付加サービスに限られ、基本役務は継続していたため"),
                )),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{thread}");
        let id = thread["id"].as_i64().unwrap();
        let mic = app.login(MIC).await;
        let (s, thread) = app.get(&format!("/api/v1/reports/{id}"), Some(&mic)).await;
        assert_eq!(s, StatusCode::OK, "{thread}");
        let version = &thread["editions"][0]["versions"][0];
        assert_eq!(version["form"]["impact"]["sml_deviation"], false);
        let check = &version["sml_check"];
        assert_eq!(check["service"], "telecom_service", "{version}");
        assert_eq!(check["assessment"]["result"], "deviates");
        assert_eq!(check["suggested"], true);
        assert_eq!(check["agrees"], false);
        assert!(
            check["rule"]
                .as_str()
                .unwrap()
                .contains("継続時間が120分以上"),
            "{check}"
        );
        assert_eq!(
            version["form"]["impact"]["sml_reason"],
            "影響は一部の付加サービスに限られ、基本役務は継続していたため"
        );

        // A follow-up with the figures that decide nothing yet: no suggestion, no reason needed.
        let mut follow = telecom_form(true, 45_000, 180, None);
        follow["edition"] = json!(2);
        follow["impact"]["figures"] = json!({ "affected_users": 45_000 });
        let (s, t) = app
            .post(
                &format!("/api/v1/reports/{id}/editions"),
                &op,
                json!({ "form": follow, "submit": true }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let (_, thread) = app.get(&format!("/api/v1/reports/{id}"), Some(&mic)).await;
        let check = &thread["editions"][1]["versions"][0]["sml_check"];
        assert_eq!(check["assessment"]["result"], "unknown", "{check}");
        assert_eq!(check["assessment"]["missing"], json!(["duration_minutes"]));
        assert_eq!(check["suggested"], Value::Null);

        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_html_form_judges_without_saving() {
    for app in apps().await {
        let c = app.ui_login(OP).await;
        let page = c
            .get(app.url("/reports/new"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("影響を受けた重要インフラサービス"));
        assert!(
            !page.contains("id=\"sml-suggestion\""),
            "no judgement before figures"
        );
        // 表4's definitions are at the severity choice.
        assert!(page.contains("直ちに対応について検討することが推奨される情報"));
        let csrf = csrf_field(&page);
        let posted = [
            ("_csrf", csrf.as_str()),
            ("reported_at", "2026-12-01T09:00"),
            ("contact_organization", "情報通信デモ事業者1"),
            ("contact_person", "連絡 太郎"),
            ("contact_email", "taro@op.example"),
            ("tlp", "amber"),
            ("has_attachment", "no"),
            ("sector", "info_comm"),
            ("impact_service", "telecom_service"),
            ("fig_affected_users", "４５，０００"),
            ("fig_duration_minutes", "180"),
            ("action", "assess"),
        ];
        let res = c
            .post(app.url("/reports/new"))
            .form(&posted)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let page = res.text().await.unwrap();
        assert!(page.contains("id=\"sml-suggestion\""), "{page}");
        assert!(page.contains("逸脱「有」と判定しました"));
        assert!(page.contains("value=\"45000\"") || page.contains("value=\"４５，０００\""));
        let token = app.login(OP).await;
        let (_, list) = app.get("/api/v1/reports", Some(&token)).await;
        assert_eq!(
            list["items"].as_array().unwrap().len(),
            0,
            "judging saves nothing"
        );

        // A figure that is not a number is named by its label.
        let mut bad = posted.to_vec();
        bad.retain(|(k, _)| *k != "action");
        bad.push(("fig_duration_minutes", "三時間"));
        bad.retain(|(k, v)| !(*k == "fig_duration_minutes" && *v == "180"));
        bad.push(("action", "send"));
        let res = c
            .post(app.url("/reports/new"))
            .form(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = res.text().await.unwrap();
        assert!(
            page.contains("継続時間: 数値は0以上の整数で記入してください。"),
            "{page}"
        );
        assert!(
            !page.contains("impact.figures"),
            "no field path on the page"
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn an_operator_is_told_the_deviation_and_the_ministry_reads_it() {
    let Some((_driver, port)) = chromedriver() else {
        return;
    };
    let (db, base) = boot().await;
    let c = browser(port).await;
    log_in(&c, &base, OP).await;
    c.goto(&format!("{base}/reports/new")).await.unwrap();
    click(&c, "select#sector option[value=info_comm]").await;
    type_in(&c, "description", "・通信設備の故障により広域で通話が不通").await;
    click(&c, "select#impact_service option[value=telecom_service]").await;
    type_in(&c, "fig_affected_users", "45000").await;
    type_in(&c, "fig_duration_minutes", "180").await;
    click(&c, "#sml-assess").await;
    c.wait()
        .for_element(Locator::Id("sml-suggestion"))
        .await
        .unwrap();
    let suggestion = text_of(&c, "#sml-suggestion").await;
    assert!(
        suggestion.contains("逸脱「有」と判定しました"),
        "{suggestion}"
    );
    assert!(suggestion.contains("30,000人以上"), "{suggestion}");
    // The figures survived the round trip.
    let users = c
        .find(Locator::Id("fig_affected_users"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(users.as_deref(), Some("45000"));
    let png = c
        .find(Locator::Id("sml-check"))
        .await
        .unwrap()
        .screenshot()
        .await
        .unwrap();
    std::fs::write(
        common::browser::artifacts().join("deviation-check.png"),
        png,
    )
    .unwrap();
    click(&c, "input[name=sml_deviation][value=yes]").await;
    click(&c, "select#to option[value=mic]").await;
    click(&c, "#send").await;
    arrived(&c, "sent").await;
    let url = c.current_url().await.unwrap();
    let id = url.path().rsplit('/').next().unwrap().to_owned();

    log_in(&c, &base, MIC).await;
    c.goto(&format!("{base}/reports/{id}")).await.unwrap();
    let body = text_of(&c, "main").await;
    assert!(body.contains("kyoyu の判定"), "{body}");
    assert!(body.contains("逸脱「有」と判定しました"), "{body}");
    assert!(body.contains("回答は判定と一致しています"), "{body}");
    assert!(body.contains("影響を受けた利用者数 45,000人"), "{body}");
    assert!(!body.contains("telecom_service"), "no raw code on the page");
    shot(&c, "deviation-ministry.png").await;
    let _ = c.close().await;
    drop(db);
}
