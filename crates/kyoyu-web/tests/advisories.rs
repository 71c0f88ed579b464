//! Advisories through the HTTP API, on SQLite and PostgreSQL: drafting from an Amber report,
//! the scope ceiling and the source's consent, the source-protection lint, publication as T1,
//! distribution down the route within the TLP, acknowledgements, inquiries and the drill report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kyoyu_test_support::{TestApp, apps, form_for};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn amber_report_from_op_electricity_1(app: &TestApp) -> i64 {
    let op = app.login("op-electricity-1-contact@demo.example").await;
    let (s, t) = app.post("/api/v1/reports", &op, json!({ "form": form_for("電力デモ事業者1", "electricity", "amber"), "route": { "to": "meti" }, "submit": true })).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_i64().unwrap();
    let meti = app.login("meti-contact@demo.example").await;
    let (s, t) = app
        .post(
            &format!("/api/v1/reports/{id}/forward"),
            &meti,
            json!({ "to": "nisc" }),
        )
        .await;
    assert_eq!((s, t["number"].as_str()), (StatusCode::OK, Some("R1")));
    id
}

fn advisory_form(tlp: &str, overview: &str) -> Value {
    let mut f: Value =
        serde_json::from_str(include_str!("../../../fixtures/advisory-fig8.json")).unwrap();
    f.as_object_mut().unwrap().remove("_comment");
    f["recipients"] = json!([{ "ministry": "meti", "sectors": ["electricity"] }]);
    f["tlp"] = json!(tlp);
    f["overview"] = json!(overview);
    f["exercise"] = json!(true);
    f
}

#[tokio::test]
async fn an_advisory_is_drafted_under_the_ceiling_published_distributed_and_acknowledged() {
    for app in apps().await {
        let report = amber_report_from_op_electricity_1(&app).await;
        let nisc = app.login("nisc-contact@demo.example").await;
        let planted =
            "電力デモ事業者1の制御系サーバで不審な通信を検知。同様の構成の事業者は確認を。";
        let (s, adv) = app
            .post(
                "/api/v1/advisories",
                &nisc,
                json!({ "form": advisory_form("green", planted), "sources": [report] }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{adv}");
        let id = adv["id"].as_i64().unwrap();
        assert_eq!(adv["title"], "【訓練】情報提供（下書き）");
        // The ceiling: an Amber source blocks a Green publication.
        assert_eq!(adv["ceiling"]["tlp"], "amber");
        assert_eq!(adv["limits"][0]["number"], "R1");
        let (s, e) = app
            .post(
                &format!("/api/v1/advisories/{id}/publish"),
                &nisc,
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains("R1"),
            "{e}"
        );

        // NISC asks the source; the reporter accepts in its scope-request inbox.
        let (s, adv) = app
            .post(
                &format!("/api/v1/advisories/{id}/scope-requests"),
                &nisc,
                json!({ "reason": "他分野の事業者にも同種の攻撃が予想されるため" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{adv}");
        assert_eq!(adv["scope_requests"][0]["state"], "pending");
        let op = app.login("op-electricity-1-contact@demo.example").await;
        let (_, inbox) = app.get("/api/v1/scope-requests", Some(&op)).await;
        let rid = inbox["items"][0]["id"].as_i64().unwrap();
        assert_eq!(inbox["items"][0]["wanted_tlp"], "green");
        let member = app.login("op-electricity-1-member@demo.example").await;
        let (s, _) = app
            .post(
                &format!("/api/v1/scope-requests/{rid}/decision"),
                &member,
                json!({ "accept": true }),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "only a sharing contact decides");
        let other = app.login("op-gas-1-contact@demo.example").await;
        let (s, _) = app
            .post(
                &format!("/api/v1/scope-requests/{rid}/decision"),
                &other,
                json!({ "accept": true }),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, d) = app
            .post(
                &format!("/api/v1/scope-requests/{rid}/decision"),
                &op,
                json!({ "accept": true, "note": "社名を出さなければ可" }),
            )
            .await;
        assert_eq!(
            (s, d["state"].as_str()),
            (StatusCode::OK, Some("accepted")),
            "{d}"
        );

        // The lint flags the reporter's name planted in the text, and in an attachment's name.
        let upload = reqwest::multipart::Form::new()
            .text("kind", "document")
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"%PDF-1.4 ...".to_vec())
                    .file_name("電力デモ事業者1_調査報告.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            );
        let res = app
            .client
            .post(app.url(&format!("/api/v1/advisories/{id}/attachments")))
            .bearer_auth(&nisc)
            .multipart(upload)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let (_, adv) = app
            .get(&format!("/api/v1/advisories/{id}"), Some(&nisc))
            .await;
        assert!(
            adv["lint"]
                .as_array()
                .unwrap()
                .iter()
                .any(|h| h["field"] == "attachments"),
            "{}",
            adv["lint"]
        );
        assert_eq!(adv["limits"], json!([]));
        let hits = adv["lint"].as_array().unwrap();
        assert!(
            hits.iter()
                .any(|h| h["needle"] == "電力デモ事業者1" && h["field"] == "overview"),
            "{hits:?}"
        );
        let (s, e) = app
            .post(
                &format!("/api/v1/advisories/{id}/publish"),
                &nisc,
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        // Publishing anyway needs a written reason (audited).
        let (s, adv) = app
            .post(
                &format!("/api/v1/advisories/{id}/publish"),
                &nisc,
                json!({ "override_reason": "訓練のため確認済み" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{adv}");
        assert_eq!(adv["number"], "T1");
        assert_eq!(adv["title"], "【訓練】情報提供 T1");

        // meti forwards to its CEPTOAR; only organisations inside the TLP are offered.
        let meti = app.login("meti-contact@demo.example").await;
        let (_, list) = app
            .get("/api/v1/advisories?delivered=true", Some(&meti))
            .await;
        assert_eq!(list["items"][0]["id"], id);
        let (_, adv) = app
            .get(&format!("/api/v1/advisories/{id}"), Some(&meti))
            .await;
        assert!(adv.get("sources").is_none(), "sources are NISC's only");
        let offered: Vec<&str> = adv["actions"]["forward_to"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["code"].as_str().unwrap())
            .collect();
        assert!(offered.contains(&"ceptoar-electricity"), "{offered:?}");
        assert!(!offered.contains(&"ceptoar-finance"), "{offered:?}");
        let (s, _) = app
            .post(
                &format!("/api/v1/advisories/{id}/forward"),
                &meti,
                json!({ "to": ["op-finance-1"] }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (s, _) = app
            .post(
                &format!("/api/v1/advisories/{id}/forward"),
                &meti,
                json!({ "to": ["ceptoar-electricity"] }),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let cep = app.login("ceptoar-electricity-contact@demo.example").await;
        let (_, adv) = app
            .get(&format!("/api/v1/advisories/{id}"), Some(&cep))
            .await;
        let offered: Vec<&str> = adv["actions"]["forward_to"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["code"].as_str().unwrap())
            .collect();
        assert_eq!(offered, ["op-electricity-1", "op-electricity-2"]);
        let (s, _) = app
            .post(
                &format!("/api/v1/advisories/{id}/forward"),
                &cep,
                json!({ "to": offered }),
            )
            .await;
        assert_eq!(s, StatusCode::OK);

        // Inquiries: the ministry in scope may ask; a CEPTOAR may not.
        let (s, _) = app
            .post(
                &format!("/api/v1/advisories/{id}/inquiries"),
                &meti,
                json!({ "text": "対象のバージョン範囲を教えてください。" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = app
            .post(
                &format!("/api/v1/advisories/{id}/inquiries"),
                &cep,
                json!({ "text": "質問" }),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, adv) = app
            .post(
                &format!("/api/v1/advisories/{id}/inquiries"),
                &nisc,
                json!({ "text": "v1.0〜v1.4 です。", "ministry": "meti" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(adv["inquiries"].as_array().unwrap().len(), 2);

        // Each acknowledges: 受領, then 対応 with a note.
        for who in [
            "meti",
            "ceptoar-electricity",
            "op-electricity-1",
            "op-electricity-2",
        ] {
            let token = app.login(&format!("{who}-contact@demo.example")).await;
            let (s, _) = app
                .post(
                    &format!("/api/v1/advisories/{id}/ack"),
                    &token,
                    json!({ "state": "received" }),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{who}");
            let (s, adv) = app
                .post(
                    &format!("/api/v1/advisories/{id}/ack"),
                    &token,
                    json!({ "state": "handled", "note": "確認済み" }),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{who}");
            let mine = adv["deliveries"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["org"]["code"] == who)
                .unwrap()
                .clone();
            assert!(
                mine["received_at"].is_string() && mine["handled_at"].is_string(),
                "{mine}"
            );
        }
        let (s, drill) = app
            .get(
                &format!("/api/v1/advisories/{id}/drill-report"),
                Some(&nisc),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(drill["rows"].as_array().unwrap().len(), 4, "{drill}");
        for row in drill["rows"].as_array().unwrap() {
            assert!(
                row["seconds_to_receive"].is_i64() && row["seconds_to_handle"].is_i64(),
                "{row}"
            );
        }
        assert_eq!(drill["never_received"], json!([]));
        // The same as CSV for Excel: a header and one line per delivery, with the seconds.
        let csv = app
            .client
            .get(app.url(&format!("/api/v1/advisories/{id}/drill.csv")))
            .bearer_auth(&nisc)
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), StatusCode::OK);
        let csv = csv.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 5, "{csv}");
        assert!(lines[0].contains("受領までの秒数"), "{csv}");
        for (line, row) in lines[1..].iter().zip(drill["rows"].as_array().unwrap()) {
            assert!(
                line.starts_with(row["org"]["name"].as_str().unwrap()),
                "{line}"
            );
            assert!(
                line.ends_with(&row["seconds_to_handle"].to_string()),
                "{line}"
            );
        }
        let deliveries = app
            .client
            .get(app.url(&format!("/api/v1/advisories/{id}/deliveries.csv")))
            .bearer_auth(&nisc)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(deliveries.lines().count(), 5, "{deliveries}");
        // The CEPTOAR's distribution table shows what it delivered.
        let (_, cep_drill) = app
            .get(&format!("/api/v1/advisories/{id}/drill-report"), Some(&cep))
            .await;
        assert_eq!(cep_drill["rows"].as_array().unwrap().len(), 2);

        // A follow-up (続報): T1-2, delivered again, receipt starts over; it cannot widen the TLP.
        let mut next = adv_form_from(&app, id, &nisc).await;
        next["countermeasures"] = json!("修正版が公開されました。適用してください。");
        next["tlp"] = json!("white");
        let (s, e) = app
            .post(
                &format!("/api/v1/advisories/{id}/editions"),
                &nisc,
                json!({ "form": next, "override_reason": "訓練" }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        next["tlp"] = json!("green");
        let (s, adv) = app
            .post(
                &format!("/api/v1/advisories/{id}/editions"),
                &nisc,
                json!({ "form": next, "override_reason": "訓練" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{adv}");
        assert_eq!(adv["number"], "T1-2");
        assert_eq!(adv["editions"].as_array().unwrap().len(), 2);
        assert!(
            adv["deliveries"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["received_at"].is_null()),
            "receipt starts over"
        );
        let (_, n) = app.get("/api/v1/notifications", Some(&meti)).await;
        assert!(
            n["items"][0]["message"].as_str().unwrap().contains("T1-2"),
            "{n}"
        );

        // Recipients can download the attachment; it is a document, served as it is.
        let aid = adv["attachments"][0]["id"].as_i64().unwrap();
        let res = app
            .client
            .get(app.url(&format!("/api/v1/advisories/{id}/attachments/{aid}")))
            .bearer_auth(&meti)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment;")
        );

        // Outside the audience: 404.
        let outsider = app.login("outsider-contact@demo.example").await;
        assert_eq!(
            app.get(&format!("/api/v1/advisories/{id}"), Some(&outsider))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn only_nisc_drafts_and_drafts_stay_with_nisc() {
    for app in apps().await {
        let meti = app.login("meti-contact@demo.example").await;
        let (s, _) = app
            .post(
                "/api/v1/advisories",
                &meti,
                json!({ "form": advisory_form("white", "x") }),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let nisc = app.login("nisc-contact@demo.example").await;
        let (s, adv) = app
            .post(
                "/api/v1/advisories",
                &nisc,
                json!({ "form": advisory_form("white", "公開情報") }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let id = adv["id"].as_i64().unwrap();
        assert_eq!(
            app.get(&format!("/api/v1/advisories/{id}"), Some(&meti))
                .await
                .0,
            StatusCode::NOT_FOUND,
            "a draft is not shared, even White"
        );
        let mut bad = advisory_form("white", "x");
        bad["recipients"] = json!([{ "ministry": "fsa", "sectors": ["electricity"] }]);
        let (s, e) = app
            .post("/api/v1/advisories", &nisc, json!({ "form": bad }))
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("form.recipients[0].sectors[0]")
            ),
            "{e}"
        );
        let fixture: Value =
            serde_json::from_str(include_str!("../../../fixtures/advisory-fig8.json")).unwrap();
        let (s, e) = app
            .post("/api/v1/advisories", &nisc, json!({ "form": fixture }))
            .await;
        assert_eq!(
            s,
            StatusCode::CREATED,
            "the seed's example is accepted as it is: {e}"
        );
        app.db.cleanup().await;
    }
}

async fn adv_form_from(app: &TestApp, id: i64, token: &str) -> Value {
    let (_, adv) = app
        .get(&format!("/api/v1/advisories/{id}"), Some(token))
        .await;
    let mut form = adv["form"].clone();
    form["number"] = Value::Null;
    form
}

/// DOMAIN.md §5: White is for anyone, also without an account — a published White advisory
/// is readable anonymously through the API and on its page, and is in the anonymous list; a
/// White draft and a published Green advisory are not.
#[tokio::test]
async fn a_published_white_advisory_is_public_and_nothing_else_is() {
    for app in apps().await {
        let nisc = app.login("nisc-contact@demo.example").await;
        let mut ids = Vec::new();
        for (tlp, publish) in [("white", true), ("green", true), ("white", false)] {
            let (s, adv) = app
                .post(
                    "/api/v1/advisories",
                    &nisc,
                    json!({ "form": advisory_form(tlp, "公開情報の確認") }),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{adv}");
            let id = adv["id"].as_i64().unwrap();
            if publish {
                let (s, adv) = app
                    .post(
                        &format!("/api/v1/advisories/{id}/publish"),
                        &nisc,
                        json!({ "override_reason": "公開テスト" }),
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{adv}");
            }
            ids.push(id);
        }
        let (white, green, draft) = (ids[0], ids[1], ids[2]);
        let (s, adv) = app.get(&format!("/api/v1/advisories/{white}"), None).await;
        assert_eq!(s, StatusCode::OK, "[{}] {adv}", app.db.label);
        assert_eq!(adv["tlp"], "white");
        for id in [green, draft] {
            let (s, _) = app.get(&format!("/api/v1/advisories/{id}"), None).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "[{}] advisory {id}", app.db.label);
        }
        let (s, list) = app.get("/api/v1/advisories", None).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let listed: Vec<i64> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect();
        assert_eq!(listed, vec![white], "[{}] anonymous list", app.db.label);
        // The public page a ministry would link from its website.
        let page = kyoyu_test_support::client()
            .get(app.url(&format!("/advisories/{white}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains("公開情報の確認"), "{html}");
        let page = kyoyu_test_support::client()
            .get(app.url(&format!("/advisories/{green}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::NOT_FOUND);
        app.db.cleanup().await;
    }
}
