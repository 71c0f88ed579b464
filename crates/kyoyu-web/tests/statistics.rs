//! Statistics through the HTTP API, the page and a real browser: the counts as JSON with bad
//! parameters refused, the page with its SVG charts and their CSVs, and screenshots of the
//! page in colour and printed to PDF, rendered in grey (`test-artifacts/statistics*.png`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use fantoccini::Locator;
use kyoyu_core::{Core, CoreConfig, SystemClock};
use kyoyu_test_support::{TestDb, apps};
use kyoyu_web::{AppState, WebConfig};
use reqwest::StatusCode;

mod common;
use common::browser::{artifacts, browser, chromedriver, log_in, shot};

const FSA: &str = "fsa-contact@demo.example";
const NISC: &str = "nisc-contact@demo.example";

#[tokio::test]
async fn statistics_come_as_json_as_a_page_with_charts_and_as_csv() {
    for app in apps().await {
        app.core.generate(300, 5).await.unwrap();
        let fsa = app.login(FSA).await;
        let nisc = app.login(NISC).await;
        let (s, mine) = app
            .get(
                "/api/v1/statistics?period=fiscal_year&dimension=sector",
                Some(&fsa),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{mine}");
        let (_, all) = app
            .get(
                "/api/v1/statistics?period=fiscal_year&dimension=sector",
                Some(&nisc),
            )
            .await;
        let total = |v: &serde_json::Value| v["total"]["count"].as_u64();
        assert!(
            total(&all).unwrap() > total(&mine).unwrap_or(0),
            "NISC sees the national picture"
        );
        assert!(!all["rows"].as_array().unwrap().is_empty());
        assert!(all["fiscal_years"].as_array().unwrap().len() >= 2);
        let (_, anon) = app
            .get(
                "/api/v1/statistics?period=fiscal_year&dimension=sector",
                None,
            )
            .await;
        assert!(total(&anon).unwrap_or(0) < total(&all).unwrap());
        for bad in ["period=week", "dimension=colour"] {
            let (s, v) = app
                .get(&format!("/api/v1/statistics?{bad}"), Some(&nisc))
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {v}");
            assert_eq!(v["error"]["field"], bad.split('=').next().unwrap());
        }

        let ui = app.ui_login(NISC).await;
        let html = ui
            .get(app.url("/statistics?period=quarter&dimension=event"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(html.matches("<svg").count(), 2, "two charts");
        assert!(html.contains("四半期ごとの報告件数"), "{html}");
        assert!(html.contains("事象分類別の報告件数"));
        assert!(html.contains("id=\"stats-table\""));
        let csv_link = "/statistics/export.csv?fiscal_year=&#38;period=quarter&#38;dimension=event&#38;sector=&#38;table=periods";
        assert!(html.contains(csv_link), "{html}");
        let res = ui
            .get(app.url(&csv_link.replace("&#38;", "&")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let bytes = res.bytes().await.unwrap();
        assert!(bytes.starts_with(b"\xef\xbb\xbf"), "UTF-8 with BOM");
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(text.starts_with("期間,合計\r\n"), "{text}");
        assert!(text.contains("年度第"), "{text}");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_statistics_page_in_a_browser_in_colour_and_printed_in_grey() {
    let Some((_driver, port)) = chromedriver() else {
        return;
    };
    let db = TestDb::sqlite().await.unwrap();
    let core = Core::new(
        db.store.clone(),
        Arc::new(SystemClock),
        CoreConfig::default(),
    )
    .await
    .unwrap();
    core.generate(1_500, 9).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(core, WebConfig::default());
    tokio::spawn(kyoyu_web::serve(listener, state, std::future::pending()));

    let c = browser(port).await;
    log_in(&c, &base, NISC).await;
    c.goto(&format!("{base}/statistics?period=month&dimension=sector"))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("chart-periods"))
        .await
        .unwrap();
    let bars = c
        .find_all(Locator::Css("#chart-breakdown rect"))
        .await
        .unwrap();
    assert!(bars.len() >= 10, "a bar per sector: {}", bars.len());
    shot(&c, "statistics.png").await;
    // Printed: to PDF, then rendered in grey as paper would show it.
    let pdf = c
        .print(fantoccini::wd::PrintConfiguration::default())
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let dir = artifacts();
    std::fs::write(dir.join("statistics.pdf"), &pdf).unwrap();
    let out = std::process::Command::new("pdftoppm")
        .args(["-gray", "-r", "70", "-png", "-f", "1", "-l", "2"])
        .arg(dir.join("statistics.pdf"))
        .arg(dir.join("statistics-print-grey"))
        .status()
        .unwrap();
    assert!(
        out.success(),
        "pdftoppm (poppler-utils) renders the printed page"
    );
    let text = std::process::Command::new("pdftotext")
        .arg(dir.join("statistics.pdf"))
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("月ごとの報告件数"), "{text}");
    assert!(text.contains("分野別の報告件数"), "{text}");
    c.close().await.unwrap();
    db.cleanup().await;
}
