//! Search through the HTTP API and the search page, on SQLite and PostgreSQL: a report is
//! found by a full-width, differently spelt query with its match marked; nobody outside its
//! scope finds or counts it; a query too short is refused in Japanese, on the page too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kyoyu_test_support::{TestApp, apps, csrf_field, form_for};
use reqwest::StatusCode;
use serde_json::{Value, json};

const OP: &str = "op-finance-1-contact@demo.example";
const OTHER_OP: &str = "op-electricity-1-contact@demo.example";
const FSA: &str = "fsa-contact@demo.example";

/// Files an Amber report (its sector and route only) to the ministry whose description names the VPN appliance.
async fn file_report(app: &TestApp) -> i64 {
    let op = app.login(OP).await;
    let mut form = form_for("金融デモ事業者1", "finance", "amber");
    form["summary"]["description"] = json!(
        "・監視センターのアラートで、ＶＰＮ装置の設定ファイルの改竄を確認した。\n・外部からの接続を遮断した。"
    );
    let (s, t) = app
        .post(
            "/api/v1/reports",
            &op,
            json!({ "form": form, "route": { "to": "fsa" }, "submit": true }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["id"].as_i64().unwrap()
}

fn ids(v: &Value) -> Vec<i64> {
    v["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

fn facet(v: &Value, name: &str) -> Vec<(String, u64)> {
    v["facets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"] == name)
        .flat_map(|f| f["values"].as_array().unwrap().clone())
        .map(|x| {
            (
                x["value"].as_str().unwrap().to_owned(),
                x["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_report_is_found_by_a_variant_spelling_and_only_by_those_who_may_see_it() {
    for app in apps().await {
        let id = file_report(&app).await;
        // Half-width VPN for full-width ＶＰＮ, 改ざん for 改竄 (a default synonym).
        let q = "/api/v1/search?q=vpn%20%E6%94%B9%E3%81%96%E3%82%93";
        for who in [OP, FSA] {
            let token = app.login(who).await;
            let (s, v) = app.get(q, Some(&token)).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            assert_eq!(ids(&v), vec![id], "{who}: {v}");
            assert_eq!(v["total"], 1);
            assert_eq!(facet(&v, "sector"), vec![("finance".to_owned(), 1)]);
            assert_eq!(facet(&v, "tlp"), vec![("amber".to_owned(), 1)]);
            let marked: Vec<&str> = v["reports"][0]["snippet"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["hit"] == true)
                .map(|s| s["text"].as_str().unwrap())
                .collect();
            assert_eq!(marked, vec!["ＶＰＮ", "改竄"], "{v}");
        }
        // Another sector's operator and an anonymous caller neither find nor count it.
        let other = app.login(OTHER_OP).await;
        for token in [Some(other.as_str()), None] {
            let (s, v) = app.get(q, token).await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(v["total"], 0, "{v}");
            assert!(facet(&v, "sector").is_empty(), "{v}");
        }
        // Narrowed by a facet, and excluded by NOT.
        let fsa = app.login(FSA).await;
        let (_, v) = app
            .get("/api/v1/search?q=vpn&sector=electricity", Some(&fsa))
            .await;
        assert_eq!(v["total"], 0);
        let (_, v) = app
            .get("/api/v1/search?q=vpn%20-%E9%81%AE%E6%96%AD", Some(&fsa))
            .await;
        assert_eq!(v["total"], 0, "-遮断 excludes it: {v}");
        // A one-character word and a bad kind are refused, naming the parameter.
        let (s, v) = app.get("/api/v1/search?q=%E6%94%B9", Some(&fsa)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["code"], "invalid_field");
        assert_eq!(v["error"]["field"], "q");
        assert!(
            v["error"]["message"].as_str().unwrap().contains("「改」"),
            "{v}"
        );
        let (s, v) = app.get("/api/v1/search?kind=people", Some(&fsa)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["error"]["field"], "kind");
        // The list's free text takes the same language.
        let (_, v) = app
            .get("/api/v1/reports?q=%EF%BD%96%EF%BD%90%EF%BD%8E", Some(&fsa))
            .await;
        assert_eq!(v["items"].as_array().unwrap().len(), 1, "ｖｐｎ: {v}");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_search_page_marks_matches_and_explains_a_refused_query() {
    for app in apps().await {
        let id = file_report(&app).await;
        let ui = app.ui_login(FSA).await;
        let res = ui
            .get(app.url("/search?q=VPN%E8%A3%85%E7%BD%AE"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.unwrap();
        assert!(html.contains("<mark>ＶＰＮ装置</mark>"), "{html}");
        assert!(html.contains(&format!("href=\"/reports/{id}\"")));
        assert!(html.contains("1件"));
        assert!(html.contains("金融"), "the sector facet");
        // The facet link narrows, and offers to clear it.
        assert!(html.contains("sector=finance"), "{html}");
        let html = ui
            .get(app.url("/search?q=VPN&sector=finance"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("class=\"facet-clear\""), "{html}");
        let res = ui.get(app.url("/search?q=%E6%94%B9")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text().await.unwrap();
        assert!(html.contains("検索語は2文字以上"), "{html}");
        assert!(!html.contains("invalid_field"), "no raw code on a page");
        app.db.cleanup().await;
    }
}

/// The value of the first hidden CSRF field of a page.

#[tokio::test]
async fn a_search_is_saved_listed_opened_and_deleted_from_the_pages() {
    for app in apps().await {
        file_report(&app).await;
        let ui = app.ui_login(FSA).await;
        let html = ui
            .get(app.url("/search?q=VPN&sector=finance"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("id=\"save-search\""), "{html}");
        let csrf = csrf_field(&html);
        // Without the session's token nothing is saved.
        let res = ui
            .post(app.url("/search/save"))
            .form(&[("_csrf", "forged"), ("name", "x"), ("q", "VPN")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let res = ui
            .post(app.url("/search/save"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("name", "金融のVPN"),
                ("q", "VPN"),
                ("kind", "reports"),
                ("sector", "finance"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let list = ui
            .get(app.url("/search/saved?done=saved"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(list.contains("金融のVPN"), "{list}");
        assert!(list.contains("検索条件を保存しました"));
        let start = list.find("href=\"/search/saved/").unwrap() + "href=\"/search/saved/".len();
        let id: String = list[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let res = ui
            .get(app.url(&format!("/search/saved/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(to, "/search?kind=reports&q=VPN&sector=finance");
        // Another user does not reach it.
        let other = app.ui_login(OP).await;
        let res = other
            .get(app.url(&format!("/search/saved/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let res = ui
            .post(app.url(&format!("/search/saved/{id}/delete")))
            .form(&[("_csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let list = ui
            .get(app.url("/search/saved"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!list.contains("金融のVPN"));
        app.db.cleanup().await;
    }
}
