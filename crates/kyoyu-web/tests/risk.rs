//! The risk process of seed 004 through the HTTP API, on SQLite and PostgreSQL, walked as a
//! demo operator would: the simplified start without criteria and management's judgement,
//! criteria v1, an asset linked to a service, an issue from a received advisory, events by
//! cause and by result, evaluation by the cell, by magnitude alone and by likelihood alone,
//! treatment with its requirements, a residual that falls short and loops once, acceptance and
//! retention; criteria v2 flagging the risk; a new advisory that concerns the risk opening one
//! review task with one notification. Then every risk route, taken from the served OpenAPI
//! document, answers 404 to every other organisation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kyoyu_test_support::{TestApp, apps, form_for};

mod common;
use common::risk::{OP, create_risk, patch_ok};
use reqwest::StatusCode;
use serde_json::{Value, json};

const MARKER: &str = "リスク登録簿の機密マーカー";

/// A Green report of an intrusion through a vulnerability from the other electricity
/// operator, numbered by NISC.
async fn source_report(app: &TestApp) -> i64 {
    let op2 = app.login("op-electricity-2-contact@demo.example").await;
    let mut form = form_for("電力デモ事業者2", "electricity", "green");
    form["event"] = json!("intrusion");
    form["causes"] = json!(["vulnerability"]);
    let (s, t) = app
        .post(
            "/api/v1/reports",
            &op2,
            json!({ "form": form, "route": { "to": "meti" }, "submit": true }),
        )
        .await;
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
    assert_eq!(s, StatusCode::OK, "{t}");
    id
}

/// NISC publishes a Green advisory drawn from `source` to the electricity sector, and the
/// ministry passes it to op-electricity-1.
async fn advisory_reaching_op(app: &TestApp, source: i64, overview: &str) -> i64 {
    advisory_with(app, &[source], overview, json!({})).await
}

/// The same with the sources and extra form fields given (`events`, `causes`).
async fn advisory_with(app: &TestApp, sources: &[i64], overview: &str, extra: Value) -> i64 {
    let nisc = app.login("nisc-contact@demo.example").await;
    let mut f: Value =
        serde_json::from_str(include_str!("../../../fixtures/advisory-fig8.json")).unwrap();
    f.as_object_mut().unwrap().remove("_comment");
    f["recipients"] = json!([{ "ministry": "meti", "sectors": ["electricity"] }]);
    f["tlp"] = json!("green");
    f["overview"] = json!(overview);
    for (k, v) in extra.as_object().unwrap() {
        f[k] = v.clone();
    }
    let (s, a) = app
        .post(
            "/api/v1/advisories",
            &nisc,
            json!({ "form": f, "sources": sources }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let id = a["id"].as_i64().unwrap();
    let (s, a) = app
        .post(
            &format!("/api/v1/advisories/{id}/publish"),
            &nisc,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let meti = app.login("meti-contact@demo.example").await;
    let (s, a) = app
        .post(
            &format!("/api/v1/advisories/{id}/forward"),
            &meti,
            json!({ "to": ["op-electricity-1"] }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    id
}

fn kinds(risk: &Value) -> Vec<String> {
    risk["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_operator_walks_the_risk_process_of_the_handbook() {
    for app in apps().await {
        let label = app.db.label;
        let op = app.login(OP).await;
        let source = source_report(&app).await;
        let first = advisory_reaching_op(&app, source, "制御系への侵入に関する注意喚起").await;

        // The simplified start (図表4): no criteria yet.
        let (s, c) = app.get("/api/v1/risk/criteria", Some(&op)).await;
        assert_eq!(s, StatusCode::OK, "[{label}] {c}");
        assert!(c["version"].is_null(), "[{label}] {c}");
        let early = create_risk(
            &app,
            &op,
            json!({ "title": "変電所監視端末の故障", "event": "service_unavailable", "causes": ["equipment_failure"], "damage": "medium", "likelihood": "medium" }),
        )
        .await;
        assert_eq!(
            (
                early["decision"].as_str(),
                early["decision_rule"].as_str(),
                early["state"].as_str()
            ),
            (
                Some("undecided"),
                Some("no_criteria"),
                Some("awaiting_decision")
            ),
            "[{label}] {early}"
        );
        let early_id = early["id"].as_i64().unwrap();
        let (s, e) = app
            .patch(
                &format!("/api/v1/risk/risks/{early_id}"),
                &op,
                json!({ "override": { "decision": "accept", "reason": "x" } }),
            )
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("override")),
            "[{label}] no criteria to override: {e}"
        );
        let (s, e) = app
            .patch(
                &format!("/api/v1/risk/risks/{early_id}"),
                &op,
                json!({ "judgement": { "decision": "treat", "reason": " " } }),
            )
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("judgement.reason")),
            "[{label}] {e}"
        );
        let judged = patch_ok(
            &app,
            &op,
            early_id,
            json!({ "judgement": { "decision": "treat", "reason": "経営会議（12月）で対応と判断" } }),
        )
        .await;
        assert_eq!(
            (
                judged["decision"].as_str(),
                judged["decision_rule"].as_str(),
                judged["needs_reevaluation"].as_bool()
            ),
            (Some("treat"), Some("judgement"), Some(false)),
            "[{label}] {judged}"
        );

        // Criteria v1 (図表7) with both single-axis rules of 4.1.1.
        let mut matrix = json!({
            "small": { "low": "accept", "medium": "accept", "high": "accept" },
            "medium": { "low": "accept", "medium": "treat", "high": "treat" },
            "large": { "low": "accept", "medium": "treat", "high": "treat" }
        });
        let (s, v1) = app
            .post(
                "/api/v1/risk/criteria",
                &op,
                json!({
                    "evaluation": ["関係する情報資産の重要性", "法令、規制等の要求事項"],
                    "impact": ["運用障害", "評判の失墜"],
                    "acceptance": ["供給支障に至らないこと"],
                    "matrix": matrix,
                    "treat_damage_from": "large",
                    "treat_likelihood_from": "high",
                    "review_on": "2027-04-01"
                }),
            )
            .await;
        assert_eq!(
            (s, v1["version"].as_i64()),
            (StatusCode::CREATED, Some(1)),
            "[{label}] {v1}"
        );
        let (_, r) = app
            .get(&format!("/api/v1/risk/risks/{early_id}"), Some(&op))
            .await;
        assert_eq!(
            r["needs_reevaluation"], true,
            "[{label}] judged without criteria, now there are some: {r}"
        );

        // Context: an asset linked to a service with its maintenance level; an issue from the
        // advisory received.
        let (s, asset) = app
            .post(
                "/api/v1/risk/assets",
                &op,
                json!({ "name": "送配電制御システム", "kind": "information_system", "services": ["power_transmission_distribution"] }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "[{label}] {asset}");
        assert_eq!(asset["services"][0]["sector"], "electricity");
        assert!(
            asset["services"][0]["maintenance_level"]
                .as_str()
                .unwrap()
                .contains("10万キロワット"),
            "[{label}] {asset}"
        );
        let (s, e) = app
            .post(
                "/api/v1/risk/assets",
                &op,
                json!({ "name": "x", "kind": "information_system", "services": ["no_such_service"] }),
            )
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("services[0]")),
            "[{label}] {e}"
        );
        let (s, issue) = app
            .post(
                "/api/v1/risk/issues",
                &op,
                json!({ "title": "受領した注意喚起への対応", "source": "information_sharing", "advisory_id": first }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "[{label}] {issue}");
        let (s, e) = app
            .post(
                "/api/v1/risk/issues",
                &op,
                json!({ "title": "x", "source": "information_sharing", "advisory_id": 987654 }),
            )
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("advisory_id")),
            "[{label}] {e}"
        );

        // Identification and evaluation: by cause, decided by magnitude alone.
        let asset_id = asset["id"].as_i64().unwrap();
        let issue_id = issue["id"].as_i64().unwrap();
        let intrusion = create_risk(
            &app,
            &op,
            json!({
                "title": format!("制御系への侵入による供給支障 {MARKER}"),
                "asset_ids": [asset_id], "issue_ids": [issue_id],
                "approach": "cause", "event": "intrusion", "causes": ["vulnerability"],
                "consequence": "事業上の損失", "impact": "広域停電",
                "damage": "large", "likelihood": "low"
            }),
        )
        .await;
        assert_eq!(
            (
                intrusion["decision"].as_str(),
                intrusion["decision_rule"].as_str(),
                intrusion["criteria_version"].as_i64(),
                intrusion["rare_and_severe"].as_bool()
            ),
            (Some("treat"), Some("magnitude"), Some(1), Some(true)),
            "[{label}] the cell accepts, the damage alone treats: {intrusion}"
        );
        // By result, decided by likelihood alone.
        let leak = create_risk(
            &app,
            &op,
            json!({ "title": "他社事例: 顧客情報の流出", "approach": "result", "event": "information_leak", "damage": "small", "likelihood": "high", "consequence": "評判の失墜" }),
        )
        .await;
        assert_eq!(
            (leak["decision"].as_str(), leak["decision_rule"].as_str()),
            (Some("treat"), Some("likelihood")),
            "[{label}] {leak}"
        );
        let minor = create_risk(
            &app,
            &op,
            json!({ "title": "事務端末の操作誤り", "event": "other", "causes": ["user_operation_error"], "damage": "small", "likelihood": "low" }),
        )
        .await;
        assert_eq!(
            (minor["decision"].as_str(), minor["decision_rule"].as_str()),
            (Some("accept"), Some("cell")),
            "[{label}] {minor}"
        );

        // Treatment with its requirements; a residual still short of the criteria loops once.
        let id = intrusion["id"].as_i64().unwrap();
        let (s, e) = app
            .patch(
                &format!("/api/v1/risk/risks/{id}"),
                &op,
                json!({ "residual": { "damage": "small", "likelihood": "low" } }),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{label}] no treatment yet: {e}"
        );
        let r = patch_ok(
            &app,
            &op,
            id,
            json!({ "treatment": {
                "option": "modify",
                "considerations": { "severity": "広域停電", "feasibility": "既存製品で可能", "laws": "電気事業法", "cost_benefit": "費用は事業継続の観点で判断" },
                "actions": [{ "title": "制御系ネットワークの分離", "owner": "制御システム課", "due_on": "2027-03-31" }],
                "requirements": ["制御系と情報系を物理的に分離すること"]
            } }),
        )
        .await;
        assert_eq!(r["state"], "treating", "[{label}] {r}");
        // Internal monitoring: an action past its due date and not done is counted.
        let mut actions = r["treatment"]["actions"].clone();
        actions[0]["due_on"] = json!("2026-01-15");
        let r = patch_ok(&app, &op, id, json!({ "actions": actions })).await;
        assert_eq!(r["overdue_actions"], 1, "[{label}] {r}");
        actions[0]["state"] = json!("done");
        let r = patch_ok(&app, &op, id, json!({ "actions": actions })).await;
        assert_eq!(
            (
                r["overdue_actions"].as_i64(),
                r["treatment"]["actions"][0]["state"].as_str()
            ),
            (Some(0), Some("done")),
            "[{label}] {r}"
        );
        let r = patch_ok(
            &app,
            &op,
            id,
            json!({ "residual": { "damage": "medium", "likelihood": "medium" } }),
        )
        .await;
        assert_eq!(
            (
                r["state"].as_str(),
                r["rounds"].as_array().unwrap().len(),
                r["damage"].as_str()
            ),
            (Some("to_treat"), 1, Some("medium")),
            "[{label}] the residual is still to treat: one more round: {r}"
        );
        patch_ok(
            &app,
            &op,
            id,
            json!({ "treatment": { "option": "modify", "requirements": ["遠隔保守回線を閉塞すること"] } }),
        )
        .await;
        let r = patch_ok(
            &app,
            &op,
            id,
            json!({ "residual": { "damage": "small", "likelihood": "low" } }),
        )
        .await;
        assert_eq!(
            (r["state"].as_str(), r["decision"].as_str()),
            (Some("accepted"), Some("accept")),
            "[{label}] {r}"
        );

        // Retention needs acceptance and a watch date; an override needs a reason.
        let minor_id = minor["id"].as_i64().unwrap();
        let (s, e) = app
            .patch(
                &format!("/api/v1/risk/risks/{minor_id}"),
                &op,
                json!({ "treatment": { "option": "retain" } }),
            )
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("watch_on")),
            "[{label}] {e}"
        );
        let r = patch_ok(
            &app,
            &op,
            minor_id,
            json!({ "watch_on": "2027-06-30", "treatment": { "option": "retain" } }),
        )
        .await;
        assert_eq!(r["state"], "retained", "[{label}] {r}");
        let leak_id = leak["id"].as_i64().unwrap();
        let r = patch_ok(
            &app,
            &op,
            leak_id,
            json!({ "override": { "decision": "accept", "reason": "保険契約で補償済みのため経営層が受容" } }),
        )
        .await;
        assert_eq!(
            (r["decision"].as_str(), r["decision_rule"].as_str()),
            (Some("accept"), Some("override")),
            "[{label}] {r}"
        );

        // Criteria v2 flags what was judged under v1.
        matrix["small"]["high"] = json!("treat");
        let (s, v2) = app
            .post("/api/v1/risk/criteria", &op, json!({ "matrix": matrix }))
            .await;
        assert_eq!(
            (s, v2["version"].as_i64()),
            (StatusCode::CREATED, Some(2)),
            "[{label}] {v2}"
        );
        let (_, r) = app
            .get(&format!("/api/v1/risk/risks/{id}"), Some(&op))
            .await;
        assert_eq!(r["needs_reevaluation"], true, "[{label}] {r}");
        let (_, c) = app.get("/api/v1/risk/criteria", Some(&op)).await;
        assert_eq!(c["version"], 2);
        assert_eq!(c["versions"].as_array().unwrap().len(), 2);
        assert_eq!(c["risks_to_reevaluate"], 4, "[{label}] {c}");
        let r = patch_ok(&app, &op, id, json!({ "reevaluate": true })).await;
        assert_eq!(
            (
                r["needs_reevaluation"].as_bool(),
                r["criteria_version"].as_i64()
            ),
            (Some(false), Some(2)),
            "[{label}] {r}"
        );

        // A new advisory that concerns the risk opens one review task and one notification.
        let (_, before) = app.get("/api/v1/risk/reviews", Some(&op)).await;
        assert_eq!(
            before["items"].as_array().unwrap().len(),
            0,
            "[{label}] {before}"
        );
        let second = advisory_reaching_op(&app, source, "侵入事案の続報に基づく注意喚起").await;
        let (_, reviews) = app.get("/api/v1/risk/reviews", Some(&op)).await;
        let items = reviews["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "[{label}] {reviews}");
        assert_eq!(
            (
                items[0]["risk_id"].as_i64(),
                items[0]["advisory_id"].as_i64()
            ),
            (Some(id), Some(second)),
            "[{label}] {reviews}"
        );
        assert!(
            items[0]["advisory_number"]
                .as_str()
                .unwrap()
                .starts_with('T')
        );
        let (_, notes) = app.get("/api/v1/notifications", Some(&op)).await;
        let risk_notes = notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "risk_review")
            .count();
        assert_eq!(risk_notes, 1, "[{label}] {notes}");
        let mails = app
            .core
            .outbox()
            .await
            .unwrap()
            .into_iter()
            .filter(|o| o.kind == "risk_review")
            .count();
        assert_eq!(
            mails, 1,
            "[{label}] one e-mail to the operator's sharing contact"
        );
        let review_id = items[0]["id"].as_i64().unwrap();

        // The history tells the whole story.
        let (_, r) = app
            .get(&format!("/api/v1/risk/risks/{id}"), Some(&op))
            .await;
        let k = kinds(&r);
        for want in [
            "created",
            "treatment",
            "another_round",
            "residual",
            "evaluated",
            "review_opened",
        ] {
            assert!(k.iter().any(|x| x == want), "[{label}] no {want} in {k:?}");
        }

        others_get_404_on_every_risk_route(&app, id, review_id, second).await;

        let (s, closed) = app
            .post(
                &format!("/api/v1/risk/reviews/{review_id}/close"),
                &op,
                json!({ "note": "分離済みのため追加対応不要" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "[{label}] {closed}");
        let (_, open) = app.get("/api/v1/risk/reviews", Some(&op)).await;
        assert_eq!(open["items"].as_array().unwrap().len(), 0);

        // An advisory with no source reports is matched by the classification NISC gave it.
        let tagged = advisory_with(
            &app,
            &[],
            "制御系への侵入手口に関する一般的な注意喚起",
            json!({ "events": ["intrusion"] }),
        )
        .await;
        let (_, open) = app.get("/api/v1/risk/reviews", Some(&op)).await;
        let items = open["items"].as_array().unwrap();
        assert_eq!(
            (
                items.len(),
                items[0]["advisory_id"].as_i64(),
                items[0]["risk_id"].as_i64()
            ),
            (1, Some(tagged), Some(id)),
            "[{label}] {open}"
        );
        let untagged = advisory_with(&app, &[], "一般的な注意喚起", json!({})).await;
        let (_, open) = app.get("/api/v1/risk/reviews", Some(&op)).await;
        assert!(
            !open
                .to_string()
                .contains(&format!("\"advisory_id\":{untagged}")),
            "[{label}] an advisory about nothing in particular opens no review: {open}"
        );
        app.db.cleanup().await;
    }
}

/// Every route under `/api/v1/risk` in the served document, called by users of every other
/// kind of organisation: the operator's own ministry, CEPTOAR and NISC included.
async fn others_get_404_on_every_risk_route(app: &TestApp, risk: i64, review: i64, advisory: i64) {
    let label = app.db.label;
    let (_, doc) = app.get("/api/v1/openapi.json", None).await;
    let others = [
        "op-electricity-2-contact@demo.example",
        "ceptoar-electricity-contact@demo.example",
        "meti-contact@demo.example",
        "nisc-contact@demo.example",
        "outsider-contact@demo.example",
    ];
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/risk") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            let id = if path.starts_with("/api/v1/risk/reviews/") {
                review
            } else {
                risk
            };
            let url = path.replace("{id}", &id.to_string());
            // A body the route takes, so that only the owner check can refuse it.
            let body = match (method.as_str(), path.as_str()) {
                ("post", "/api/v1/risk/risks/{id}/reviews") => json!({ "advisory_id": advisory }),
                ("post", "/api/v1/risk/reviews/{id}/close") => json!({ "note": "x" }),
                ("post", "/api/v1/risk/criteria") => json!({}),
                ("post", "/api/v1/risk/assets") => {
                    json!({ "name": "x", "kind": "staff" })
                }
                ("post", "/api/v1/risk/issues") => json!({ "title": "x", "source": "audit" }),
                ("post", "/api/v1/risk/risks") => {
                    json!({ "title": "x", "event": "other", "damage": "small", "likelihood": "low" })
                }
                _ => json!({ "title": "乗っ取り" }),
            };
            for email in others {
                let token = app.login(email).await;
                let mut req = app
                    .client
                    .request(method.to_uppercase().parse().unwrap(), app.url(&url))
                    .bearer_auth(&token);
                if method != "get" {
                    req = req.json(&body);
                }
                let res = req.send().await.unwrap();
                let status = res.status();
                let text = res.text().await.unwrap();
                let what = format!("[{label}] {email} {method} {url}");
                assert!(!text.contains(MARKER), "{what}: read the register: {text}");
                if path.contains("{id}") {
                    assert_eq!(status, StatusCode::NOT_FOUND, "{what}: {text}");
                } else {
                    assert!(!status.is_server_error(), "{what}: {status}");
                }
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 12,
        "[{label}] only {checked} risk operations in the document"
    );
    // The owner's own member does see the register (the control).
    let member = app.login("op-electricity-1-member@demo.example").await;
    let (_, list) = app.get("/api/v1/risk/risks", Some(&member)).await;
    assert!(list.to_string().contains(MARKER), "[{label}] {list}");
    // A system administrator without an organisation has no register at all.
    let admin = app.login("admin@demo.example").await;
    let (s, _) = app.get("/api/v1/risk/risks", Some(&admin)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "[{label}]");
}
