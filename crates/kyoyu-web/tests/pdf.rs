//! The forms as PDF, rendered by headless Chromium and checked with poppler's tools (pdfinfo,
//! pdftotext, pdffonts, pdftoppm — none of them ours): Japanese text that extracts back (not
//! boxes), the embedded Japanese font (IPAex Gothic), the field labels, 令和 dates, the TLP on every page, and
//! an HTML payload printed as inert text. Page 1 of each form goes to `test-artifacts/`.
//! Without Chromium or poppler the test says so and passes, except under `CI=true`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use kyoyu_test_support::{apps, fixture_form, form_for};
use reqwest::StatusCode;
use serde_json::{Value, json};

const FSA: &str = "fsa-contact@demo.example";
const NISC: &str = "nisc-contact@demo.example";
const PAYLOAD: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>";

fn tools_present() -> bool {
    let ok = |cmd: &str, arg: &str| Command::new(cmd).arg(arg).output().is_ok();
    let present = ok("chromium", "--version") && ok("pdftotext", "-v") && ok("pdffonts", "-v");
    if !present {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but chromium or poppler-utils is missing"
        );
        eprintln!("SKIPPED: PDF tests need chromium and poppler-utils");
    }
    present
}

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pages(pdf: &Path) -> usize {
    let info = run("pdfinfo", &[pdf.to_str().unwrap()]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap()
}

/// Checks a PDF the way its reader would, and leaves page 1 as a PNG.
fn check(pdf: &Path, name: &str, labels: &[&str], tlp: &str) -> String {
    std::fs::copy(pdf, artifacts().join(format!("{name}.pdf"))).unwrap();
    let p = pdf.to_str().unwrap();
    let n = pages(pdf);
    for page in 1..=n {
        let text = run(
            "pdftotext",
            &["-f", &page.to_string(), "-l", &page.to_string(), p, "-"],
        );
        assert!(
            text.contains(tlp),
            "{name}: page {page} of {n} lacks {tlp}:\n{text}"
        );
        let squeezed: String = text.chars().filter(|c| *c != ' ').collect();
        assert!(
            squeezed.contains(&format!("{page}/{n}")),
            "{name}: page {page} lacks its number:\n{text}"
        );
    }
    let text = run("pdftotext", &[p, "-"]);
    for label in labels {
        assert!(text.contains(label), "{name}: no {label} in\n{text}");
    }
    let fonts = run("pdffonts", &[p]);
    assert!(
        fonts.lines().any(|l| l.contains("IPAexGothic")
            && l.contains("CID TrueType")
            && l.contains(" yes ")),
        "{name}: the Japanese font is not embedded:\n{fonts}"
    );
    let png = artifacts().join(name);
    run(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "70",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            p,
            png.to_str().unwrap(),
        ],
    );
    text
}

#[tokio::test]
async fn the_forms_print_as_pdf_in_japanese_with_the_tlp_on_every_page() {
    if !tools_present() {
        return;
    }
    let app = apps().await.into_iter().next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fsa = app.login(FSA).await;
    let mut form = fixture_form();
    form["summary"]["description"] = json!(format!("・会員サイトが改竄された。{PAYLOAD}"));
    form["lessons"] = json!("=HYPERLINK(\"http://evil.example\")");
    // Markup in every other text field, each its own, to find printed as it was typed.
    let fields: [&[&str]; 12] = [
        &["contact", "organization"],
        &["contact", "department"],
        &["contact", "person"],
        &["contact", "phone"],
        &["contact", "fax"],
        &["tlp_note"],
        &["operator_name"],
        &["summary", "occurred_at_note"],
        &["summary", "affected_system"],
        &["impact", "note"],
        &["external", "press_note"],
        &["external", "other_contacts"],
    ];
    for (i, path) in fields.iter().enumerate() {
        let mut v = &mut form;
        for key in *path {
            v = &mut v[*key];
        }
        *v = json!(format!("<u>field{i}</u>"));
    }
    // A long timeline, so that the form runs over several pages.
    form["timeline"] = json!((0..40)
        .map(|i| json!({"at": "2019-05-21T00:00:00+09:00", "text": format!("対応記録 {i}: サーバログを確認し、関係者へ連絡した。")}))
        .collect::<Vec<_>>());
    let (s, t) = app
        .post(
            "/api/v1/reports",
            &fsa,
            json!({ "form": form, "route": { "to": "nisc" }, "submit": true }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_i64().unwrap();
    let res = app
        .client
        .get(app.url(&format!("/api/v1/reports/{id}/pdf")))
        .bearer_auth(&fsa)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = dir.path().join("report.pdf");
    std::fs::write(&pdf, res.bytes().await.unwrap()).unwrap();
    assert!(pages(&pdf) >= 2, "the long timeline runs over pages");
    let text = check(
        &pdf,
        "pdf-report-page1",
        &[
            "情報連絡様式",
            "識別番号",
            "情報連絡日時",
            "情報共有範囲",
            "事象分類",
            "令和元年5月20日",
            "R1",
        ],
        "TLP:GREEN",
    );
    // The payloads are printed, not run or rendered as markup.
    assert!(text.contains("<script>alert(1)</script>"), "{text}");
    assert!(text.contains("=HYPERLINK"), "{text}");
    for i in 0..fields.len() {
        assert!(
            text.contains(&format!("<u>field{i}</u>")),
            "field {i} as typed:\n{text}"
        );
    }

    // The advisory of 図8.
    let nisc = app.login(NISC).await;
    let mut fig8: Value =
        serde_json::from_str(include_str!("../../../fixtures/advisory-fig8.json")).unwrap();
    fig8.as_object_mut().unwrap().remove("_comment");
    fig8["tlp"] = json!("amber");
    let (s, adv) = app
        .post("/api/v1/advisories", &nisc, json!({ "form": fig8 }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{adv}");
    let aid = adv["id"].as_i64().unwrap();
    let res = app
        .client
        .get(app.url(&format!("/api/v1/advisories/{aid}/pdf")))
        .bearer_auth(&nisc)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let pdf = dir.path().join("advisory.pdf");
    std::fs::write(&pdf, res.bytes().await.unwrap()).unwrap();
    check(
        &pdf,
        "pdf-advisory-page1",
        &[
            "情報提供様式",
            "情報提供日時",
            "概要",
            "対処方針",
            "平成30年5月20日",
        ],
        "TLP:AMBER",
    );
    // Nobody else gets NISC's draft as a PDF.
    let res = app
        .client
        .get(app.url(&format!("/api/v1/advisories/{aid}/pdf")))
        .bearer_auth(&fsa)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    app.db.cleanup().await;
}

/// An anonymised report as the ministry past the CEPTOAR prints it: no trace of the reporter,
/// on every backend.
#[tokio::test]
async fn an_anonymised_report_prints_without_its_reporter() {
    if !tools_present() {
        return;
    }
    for app in apps().await {
        let dir = tempfile::tempdir().unwrap();
        let fsa = app.login(FSA).await;
        let op = app.login("op-finance-1-contact@demo.example").await;
        let (s, t) = app
            .post(
                "/api/v1/reports",
                &op,
                json!({ "form": form_for("金融デモ事業者1", "finance", "amber"), "route": { "to": "ceptoar-finance", "anonymize": true }, "submit": true }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let rid = t["id"].as_i64().unwrap();
        let cep = app.login("ceptoar-finance-contact@demo.example").await;
        let (s, _) = app
            .post(
                &format!("/api/v1/reports/{rid}/forward"),
                &cep,
                json!({ "to": "fsa", "anonymize": true }),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let res = app
            .client
            .get(app.url(&format!("/api/v1/reports/{rid}/pdf")))
            .bearer_auth(&fsa)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let anon = dir.path().join("anonymised.pdf");
        std::fs::write(&anon, res.bytes().await.unwrap()).unwrap();
        let text = run("pdftotext", &[anon.to_str().unwrap(), "-"]);
        assert!(
            text.contains("金融セプター事務局"),
            "the CEPTOAR is the contact:\n{text}"
        );
        for secret in [
            "金融デモ事業者1",
            "renraku@op.example",
            "連絡 太郎",
            "03-0000-0000",
            "情報システム部",
        ] {
            assert!(!text.contains(secret), "the PDF reveals {secret}:\n{text}");
        }

        app.db.cleanup().await;
    }
}
