//! Routine information (seed 000 Ⅳ) and the other frameworks (Ⅲ): the security-update calendar
//! an operator reads on its home page and on 定例情報, the out-of-band releases and sources an
//! administrator keeps in the reference data, and the frameworks offered on the report form.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Datelike, NaiveDate, Weekday};
use kyoyu_domain::policy::Actor;
use kyoyu_test_support::apps;
use reqwest::StatusCode;

const OP: &str = "op-electricity-1-contact@demo.example";

async fn page(c: &reqwest::Client, url: String) -> (StatusCode, String) {
    let res = c.get(url).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn an_operator_reads_the_update_calendar_sources_and_frameworks() {
    for app in apps().await {
        let token = app.login(OP).await;
        let (s, routine) = app.get("/api/v1/routine", Some(&token)).await;
        assert_eq!(s, StatusCode::OK, "{routine}");
        let days = routine["update_days"].as_array().unwrap();
        assert_eq!(days.len(), 12);
        let today = app.core.today_jst();
        for d in days {
            let us: NaiveDate = d["us_date"].as_str().unwrap().parse().unwrap();
            let jp: NaiveDate = d["japan_date"].as_str().unwrap().parse().unwrap();
            assert_eq!(us.weekday(), Weekday::Tue, "{d}");
            assert!((8..=14).contains(&us.day()), "the second Tuesday: {d}");
            assert_eq!(jp, us.succ_opt().unwrap(), "the day after in Japan: {d}");
            assert!(matches!(d["wednesday"].as_u64(), Some(2 | 3)), "{d}");
        }
        let first: NaiveDate = days[0]["japan_date"].as_str().unwrap().parse().unwrap();
        assert_eq!((first.year(), first.month()), (today.year(), today.month()));
        let urls: Vec<&str> = routine["sources"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["url"].as_str())
            .collect();
        assert!(urls.contains(&"https://www.jpcert.or.jp/at/"), "{urls:?}");
        assert!(urls.contains(&"https://jvn.jp/"), "{urls:?}");
        let codes: Vec<&str> = routine["frameworks"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["code"].as_str())
            .collect();
        assert_eq!(codes, ["cs_coordination", "council", "cista", "j_csip"]);
        assert_eq!(
            app.get("/api/v1/routine", None).await.0,
            StatusCode::UNAUTHORIZED
        );

        // The services of a sector say which figures the deviation check needs.
        let (_, sectors) = app.get("/api/v1/sectors", Some(&token)).await;
        let power = sectors
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["code"] == "electricity")
            .unwrap();
        assert_eq!(
            power["services"][0]["figures"],
            serde_json::json!(["supply_loss_kw", "duration_minutes"])
        );

        let c = app.ui_login(OP).await;
        let (s, home) = page(&c, app.url("/")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            home.contains("次の定例セキュリティ更新日（日本）"),
            "{home}"
        );
        assert!(home.contains("（水）"));
        let (s, html) = page(&c, app.url("/routine")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("id=\"update-days\""));
        assert!(html.contains("第2水曜") || html.contains("第3水曜"));
        assert!(
            html.contains("aria-current=\"date\""),
            "the next day is marked"
        );
        assert!(html.contains("サイバーセキュリティ協議会"));
        assert!(html.contains("href=\"https://www.jpcert.or.jp/at/\""));
        assert!(html.contains("id=\"out-of-band-none\""));
        let (_, form) = page(&c, app.url("/reports/new")).await;
        assert!(form.contains("id=\"framework-guidance\""));
        assert!(
            form.contains("情報インシデント状態"),
            "when to use the council"
        );

        // An administrator records an out-of-band release: the page shows it; a script address
        // is refused and changes nothing.
        let mut reference = app.core.reference_toml();
        reference.push_str(&format!(
            "\n[[out_of_band]]\ndate = {today}\nvendor_ja = \"マイクロソフト\"\nnote_ja = \"定例外のセキュリティ更新（テスト）\"\nurl = \"https://example.com/oob\"\n"
        ));
        app.core
            .replace_reference(&Actor::System, &reference)
            .await
            .unwrap();
        let (_, html) = page(&c, app.url("/routine")).await;
        assert!(
            html.contains("定例外のセキュリティ更新（テスト）"),
            "{html}"
        );
        assert!(html.contains("href=\"https://example.com/oob\""));
        let bad = reference.replace("https://example.com/oob", "javascript:alert(1)");
        assert!(
            app.core
                .replace_reference(&Actor::System, &bad)
                .await
                .is_err()
        );
        let (_, html) = page(&c, app.url("/routine")).await;
        assert!(!html.contains("javascript:"));
        assert!(html.contains("href=\"https://example.com/oob\""));
        app.db.cleanup().await;
    }
}
