//! The forms as files through the HTTP API, on SQLite and PostgreSQL: a report edition out as
//! the Excel 様式 and back in as a draft; a sheet with problems refused by cell with nothing
//! kept; exports only for those who may see the item; the advisory form in as NISC's draft;
//! lists as CSV for Excel with formulas made inert.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kyoyu_test_support::{TestApp, apps, fixture_form, form_for};
use reqwest::StatusCode;
use serde_json::{Value, json};

const OP: &str = "op-finance-1-contact@demo.example";
const OTHER_OP: &str = "op-electricity-1-contact@demo.example";
const NISC: &str = "nisc-contact@demo.example";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn get_bytes(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, String, Vec<u8>) {
    let mut req = app.client.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, ct, res.bytes().await.unwrap().to_vec())
}

async fn import(app: &TestApp, path: &str, token: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", XLSX)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn drafts(app: &TestApp, token: &str) -> usize {
    let (_, page) = app.get("/api/v1/inbox?box=drafts", Some(token)).await;
    page["items"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn a_report_goes_out_as_the_excel_form_and_comes_back_as_a_draft() {
    for app in apps().await {
        let op = app.login(OP).await;
        let form = form_for("金融デモ事業者1", "finance", "amber");
        let (s, t) = app
            .post(
                "/api/v1/reports",
                &op,
                json!({ "form": form, "route": { "to": "fsa" }, "submit": true }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let id = t["id"].as_i64().unwrap();

        let (s, ct, bytes) =
            get_bytes(&app, &format!("/api/v1/reports/{id}/xlsx"), Some(&op)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(ct, XLSX);
        assert!(bytes.starts_with(b"PK"));

        let before = drafts(&app, &op).await;
        let (s, draft) = import(&app, "/api/v1/reports/import", &op, bytes.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{draft}");
        assert_ne!(draft["id"], id, "a new thread");
        assert_eq!(draft["editions"][0]["state"], "draft");
        let mut back = draft["editions"][0]["versions"][0]["form"].clone();
        back["number"] = Value::Null;
        assert_eq!(
            back, form,
            "[{}] the form comes back unchanged",
            app.db.label
        );
        assert_eq!(drafts(&app, &op).await, before + 1);

        // As the next edition of the first thread.
        let (s, ed2) = import(
            &app,
            &format!("/api/v1/reports/import?follow_up_of={id}"),
            &op,
            bytes,
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{ed2}");
        assert_eq!(ed2["id"], id);
        assert_eq!(ed2["editions"][1]["edition"], 2);
        assert_eq!(ed2["editions"][1]["state"], "draft");

        // Editions by number; one that does not exist is 404.
        let (s, _, _) = get_bytes(
            &app,
            &format!("/api/v1/reports/{id}/xlsx?edition=1"),
            Some(&op),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _, _) = get_bytes(
            &app,
            &format!("/api/v1/reports/{id}/xlsx?edition=9"),
            Some(&op),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn a_sheet_with_problems_is_refused_by_cell_and_nothing_is_kept() {
    for app in apps().await {
        let op = app.login(OP).await;
        let before = drafts(&app, &op).await;
        // Not a spreadsheet at all.
        let (s, e) = import(&app, "/api/v1/reports/import", &op, b"hello".to_vec()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["code"], "workbook_invalid");
        assert!(
            e["error"]["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("Excel")
        );
        // The blank form, sent as it is: each required field by its cell.
        let (s, _, blank) = get_bytes(&app, "/api/v1/forms/report.xlsx", Some(&op)).await;
        assert_eq!(s, StatusCode::OK);
        let (s, e) = import(&app, "/api/v1/reports/import", &op, blank).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        let errors = e["error"]["errors"].as_array().unwrap();
        assert!(errors.len() >= 3, "{e}");
        for err in errors {
            let cell = err["cell"].as_str().unwrap();
            assert!(cell.starts_with('C'), "addressed by cell: {err}");
        }
        assert!(
            errors.iter().any(
                |e| e["label"] == "担当者名" && e["message"].as_str().unwrap().contains("必須")
            ),
            "{e}"
        );
        // Wrong media type, empty body.
        let res = app
            .client
            .post(app.url("/api/v1/reports/import"))
            .bearer_auth(&op)
            .header("content-type", "text/plain")
            .body("x")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let (s, e) = import(&app, "/api/v1/reports/import", &op, Vec::new()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(drafts(&app, &op).await, before, "nothing was created");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn only_those_who_may_see_an_item_can_export_it() {
    for app in apps().await {
        let op = app.login(OP).await;
        let (s, t) = app
            .post(
                "/api/v1/reports",
                &op,
                json!({ "form": form_for("金融デモ事業者1", "finance", "amber"), "route": { "to": "fsa" }, "submit": true }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let id = t["id"].as_i64().unwrap();
        let other = app.login(OTHER_OP).await;
        for path in [
            format!("/api/v1/reports/{id}/xlsx"),
            format!("/api/v1/reports/{id}/xlsx?edition=1"),
        ] {
            let (s, ct, _) = get_bytes(&app, &path, Some(&other)).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
            assert!(ct.starts_with("application/json"));
            let (s, _, _) = get_bytes(&app, &path, None).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "anonymous {path}");
        }
        // The other operator's CSV does not list it.
        let (s, _, csv) = get_bytes(&app, "/api/v1/reports.csv", Some(&other)).await;
        assert_eq!(s, StatusCode::OK);
        assert!(!String::from_utf8_lossy(&csv).contains("金融デモ事業者1"));
        // A blank form needs a login.
        let (s, _, _) = get_bytes(&app, "/api/v1/forms/report.xlsx", None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, _, _) = get_bytes(&app, "/api/v1/forms/nothing.xlsx", Some(&op)).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn nisc_takes_in_the_advisory_form_as_a_draft_and_others_may_not() {
    for app in apps().await {
        let nisc = app.login(NISC).await;
        let (s, _, blank) = get_bytes(&app, "/api/v1/forms/advisory.xlsx", Some(&nisc)).await;
        assert_eq!(s, StatusCode::OK);
        assert!(blank.starts_with(b"PK"));
        let mut fig8: Value =
            serde_json::from_str(include_str!("../../../fixtures/advisory-fig8.json")).unwrap();
        fig8.as_object_mut().unwrap().remove("_comment");
        let (s, adv) = app
            .post("/api/v1/advisories", &nisc, json!({ "form": fig8 }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{adv}");
        let id = adv["id"].as_i64().unwrap();
        let (s, _, bytes) =
            get_bytes(&app, &format!("/api/v1/advisories/{id}/xlsx"), Some(&nisc)).await;
        assert_eq!(s, StatusCode::OK);
        let (s, draft) = import(&app, "/api/v1/advisories/import", &nisc, bytes.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{draft}");
        assert_ne!(draft["id"], id);
        assert_eq!(draft["state"], "draft");
        let mut back = draft["form"].clone();
        back["number"] = Value::Null;
        assert_eq!(back, fig8, "[{}]", app.db.label);
        let op = app.login(OP).await;
        let (s, e) = import(&app, "/api/v1/advisories/import", &op, bytes).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
        // A draft is NISC's own: nobody else can export it.
        let (s, _, _) = get_bytes(&app, &format!("/api/v1/advisories/{id}/xlsx"), Some(&op)).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn lists_come_as_csv_for_excel_with_formulas_made_inert() {
    for app in apps().await {
        let op = app.login(OP).await;
        let mut form = fixture_form();
        form["summary"]["description"] = json!("=HYPERLINK(\"http://evil.example\",\"開く\")");
        form["operator_name"] = json!("@SUM(1+1)");
        let (s, t) = app
            .post(
                "/api/v1/reports",
                &op,
                json!({ "form": form, "route": { "to": "fsa" }, "submit": true }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let (s, ct, bytes) = get_bytes(&app, "/api/v1/reports.csv", Some(&op)).await;
        assert_eq!(s, StatusCode::OK);
        assert!(ct.starts_with("text/csv"), "{ct}");
        assert!(bytes.starts_with("\u{feff}".as_bytes()), "UTF-8 with BOM");
        let text = String::from_utf8(bytes).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        assert!(
            header.contains("識別番号") && header.contains("分野名"),
            "{header}"
        );
        let row = lines.next().unwrap();
        assert!(row.contains("金融"), "{row}");
        assert!(row.contains("'@SUM(1+1)"), "{row}");
        assert!(!row.contains(",=") && !row.contains(",@"), "{row}");
        // The list's filters apply.
        let (_, _, none) = get_bytes(&app, "/api/v1/reports.csv?tlp=red", Some(&op)).await;
        assert_eq!(
            String::from_utf8(none).unwrap().lines().count(),
            1,
            "header only"
        );
        let (s, _, _) = get_bytes(&app, "/api/v1/reports.csv?tlp=purple", Some(&op)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        // The inbox boxes and the follow-up watch list too.
        let (s, _, sent) = get_bytes(&app, "/api/v1/inbox.csv?box=sent", Some(&op)).await;
        assert_eq!(s, StatusCode::OK);
        let sent = String::from_utf8(sent).unwrap();
        assert_eq!(sent.lines().count(), 2, "{sent}");
        assert!(sent.contains("'@SUM(1+1)"), "{sent}");
        let (s, _, _) = get_bytes(&app, "/api/v1/inbox.csv?box=nonsense", Some(&op)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (s, _, fu) = get_bytes(&app, "/api/v1/follow-ups.csv", Some(&op)).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            String::from_utf8(fu)
                .unwrap()
                .starts_with("\u{feff}識別番号")
        );
        let (s, _, adv) = get_bytes(&app, "/api/v1/advisories.csv", Some(&op)).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            String::from_utf8(adv)
                .unwrap()
                .lines()
                .next()
                .unwrap()
                .contains("識別番号")
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_pages_offer_the_files_and_take_a_filled_sheet_with_the_sessions_csrf_token() {
    for app in apps().await {
        let op = app.login(OP).await;
        let (_, t) = app
            .post(
                "/api/v1/reports",
                &op,
                json!({ "form": form_for("金融デモ事業者1", "finance", "green"), "route": { "to": "fsa" }, "submit": true }),
            )
            .await;
        let id = t["id"].as_i64().unwrap();
        let ui = app.ui_login(OP).await;
        let page = ui
            .get(app.url(&format!("/reports/{id}")))
            .send()
            .await
            .unwrap();
        let html = page.text().await.unwrap();
        assert!(
            html.contains(&format!("/reports/{id}/export.xlsx")),
            "the thread offers the Excel form"
        );
        let res = ui
            .get(app.url(&format!("/reports/{id}/export.xlsx")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], XLSX);
        let xlsx = res.bytes().await.unwrap().to_vec();
        let list = ui
            .get(app.url("/reports?tlp=green"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let link = list
            .split("id=\"export-csv\"")
            .next()
            .and_then(|before| before.rsplit("href=\"").next())
            .unwrap_or_default();
        assert!(
            link.starts_with("/reports/export.csv?") && link.contains("tlp=green"),
            "the list offers its CSV with its filters: {link}"
        );
        let res = ui
            .get(app.url("/reports/export.csv?tlp=green"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.unwrap().contains("金融"));

        let new = ui
            .get(app.url("/reports/new"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(new.contains("id=\"import-xlsx\"") && new.contains("/forms/report.xlsx"));
        let marker = "name=\"_csrf\" value=\"";
        let start = new.find(marker).unwrap() + marker.len();
        let csrf = new[start..].split('"').next().unwrap().to_owned();
        let form = |token: &str, bytes: Vec<u8>| {
            reqwest::multipart::Form::new()
                .text("_csrf", token.to_owned())
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes).file_name("様式.xlsx"),
                )
        };
        let before = drafts(&app, &op).await;
        let res = ui
            .post(app.url("/reports/import"))
            .multipart(form("forged", xlsx.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        // A blank sheet: the page lists the problems by cell.
        let blank = ui
            .get(app.url("/forms/report.xlsx"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec();
        let res = ui
            .post(app.url("/reports/import"))
            .multipart(form(&csrf, blank))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let text = res.text().await.unwrap();
        assert!(
            text.contains("class=\"problems\"") && text.contains("担当者名"),
            "{text}"
        );
        assert_eq!(drafts(&app, &op).await, before, "nothing kept");
        let res = ui
            .post(app.url("/reports/import"))
            .multipart(form(&csrf, xlsx))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.ends_with("?done=imported"), "{to}");
        let page = ui
            .get(app.url(&to))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("Excel様式から下書きを作成しました"));
        assert_eq!(drafts(&app, &op).await, before + 1);
        app.db.cleanup().await;
    }
}
