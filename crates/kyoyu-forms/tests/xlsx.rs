//! The Excel forms: the seed's filled examples go out and come back the same; a sheet edited
//! by hand — with openpyxl, a library nobody here wrote, which also checks what the export
//! offers (labels, drop-down lists, the TLP header) — gets one error per mistake, by cell.
//!
//! openpyxl comes from `KYOYU_TEST_PYTHON` (default `python3`); without it the openpyxl test
//! is skipped, except under `CI=true`, where it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use kyoyu_domain::advisory::AdvisoryForm;
use kyoyu_domain::reference::ReferenceData;
use kyoyu_domain::report::ReportForm;
use kyoyu_forms::{advisory, report};

fn reference() -> ReferenceData {
    ReferenceData::bundled().unwrap()
}

fn fig5() -> ReportForm {
    let mut f: ReportForm =
        serde_json::from_str(include_str!("../../../fixtures/report-fig5.json")).unwrap();
    f.comment = None;
    f
}

fn fig8() -> AdvisoryForm {
    let mut f: AdvisoryForm =
        serde_json::from_str(include_str!("../../../fixtures/advisory-fig8.json")).unwrap();
    f.comment = None;
    f
}

#[test]
fn the_report_example_goes_out_and_comes_back_the_same() {
    let r = reference();
    let bytes = report::export(&fig5(), &r).unwrap();
    assert!(bytes.starts_with(b"PK"), "an .xlsx is a zip");
    let back = report::import(&bytes, &r).unwrap();
    assert_eq!(back, fig5());
}

#[test]
fn the_advisory_example_goes_out_and_comes_back_the_same() {
    let r = reference();
    let bytes = advisory::export(&fig8(), &r).unwrap();
    let back = advisory::import(&bytes, &r).unwrap();
    assert_eq!(back, fig8());
}

#[test]
fn a_fuller_report_keeps_every_field_too() {
    let r = reference();
    let mut f = fig5();
    f.tlp = kyoyu_domain::Tlp::Amber;
    f.event = Some(kyoyu_domain::codes::EventClass::Intrusion);
    f.causes = vec![
        kyoyu_domain::codes::Cause::SuspiciousEmail,
        kyoyu_domain::codes::Cause::Vulnerability,
    ];
    f.exercise = true;
    f.has_attachment = true;
    f.tlp_additions = vec![kyoyu_domain::OrgCode::parse("op-energy-2").unwrap()];
    f.number = Some("R12-2".into());
    f.edition = 2;
    f.timeline = (0..14)
        .map(|i| kyoyu_domain::report::TimelineEntry {
            at: f.reported_at + chrono::Duration::minutes(i * 17),
            text: format!("対応 {i}\n二行目"),
        })
        .collect();
    let bytes = report::export(&f, &r).unwrap();
    assert_eq!(report::import(&bytes, &r).unwrap(), f);
}

#[test]
fn a_blank_form_reads_back_as_the_required_fields_missing() {
    let r = reference();
    let bytes = report::blank(&r).unwrap();
    let errors = report::import(&bytes, &r).unwrap_err();
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    for field in ["情報連絡日時", "担当者名", "分野名"] {
        assert!(
            text.iter().any(|t| t.contains(field)),
            "{field} missing from {text:?}"
        );
    }
    assert!(errors.iter().all(|e| !e.cell.is_empty()), "{text:?}");
}

#[test]
fn what_is_not_a_kyoyu_form_is_refused_in_japanese() {
    let r = reference();
    let e = report::import(b"not a spreadsheet", &r).unwrap_err();
    assert_eq!(e.len(), 1);
    assert!(e[0].message.contains("Excel"), "{}", e[0]);
    // An advisory sheet is not a report sheet.
    let adv = advisory::export(&fig8(), &r).unwrap();
    let e = report::import(&adv, &r).unwrap_err();
    assert!(e[0].message.contains("情報連絡様式"), "{}", e[0]);
}

fn python() -> Option<String> {
    let py = std::env::var("KYOYU_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let ok = Command::new(&py)
        .args(["-c", "import openpyxl"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but Python's openpyxl is missing (set KYOYU_TEST_PYTHON)"
        );
        eprintln!("SKIPPED: needs Python with openpyxl (pip install openpyxl)");
        return None;
    }
    Some(py)
}

/// Reads the export with openpyxl, reports what it finds, and makes five mistakes by hand.
const OPENPYXL: &str = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["情報連絡様式"]
keys = {}
for row in ws.iter_rows(min_row=1, max_row=ws.max_row):
    for c in row:
        if c.column == 7 and c.value:
            keys.setdefault(c.value, c.row)
labels = [ws.cell(row=r, column=2).value for r in range(1, ws.max_row + 1)]
validations = [{"cells": str(dv.sqref), "formula": dv.formula1, "type": dv.type}
               for dv in ws.data_validations.dataValidation]
lists = wb["選択肢"]
columns = {}
for col in lists.iter_cols():
    columns[col[0].column_letter] = [c.value for c in col if c.value is not None]
found = {
    "sheets": wb.sheetnames,
    "lists_hidden": lists.sheet_state,
    "labels": [l for l in labels if l],
    "validations": validations,
    "lists": columns,
    "header": ws.oddHeader.center.text,
    "footer": ws.oddFooter.left.text,
    "banner": ws["A2"].value,
    "tlp_cell": ws.cell(row=keys["tlp"], column=3).value,
    "key_column_hidden": ws.column_dimensions["G"].hidden,
}
def cell(key):
    return ws.cell(row=keys[key], column=3)
mistakes = {}
def make(key, value):
    c = cell(key)
    c.value = value
    mistakes[key] = c.coordinate
make("tlp", "Purple")
make("reported_at", "きのうの朝")
make("event:intrusion", "✓")
make("has_attachment", "たぶん")
make("contact.person", None)
found["mistakes"] = mistakes
wb.save(sys.argv[2])
print(json.dumps(found, ensure_ascii=False))
"#;

#[test]
fn openpyxl_finds_the_labels_and_lists_and_a_hand_edited_sheet_gets_one_error_per_mistake() {
    let Some(py) = python() else { return };
    let r = reference();
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("fig5.xlsx");
    let edited = dir.path().join("fig5-edited.xlsx");
    std::fs::write(&original, report::export(&fig5(), &r).unwrap()).unwrap();
    let out = Command::new(py)
        .args(["-c", OPENPYXL])
        .arg(&original)
        .arg(&edited)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openpyxl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    assert_eq!(
        found["sheets"],
        serde_json::json!(["情報連絡様式", "選択肢"])
    );
    assert_eq!(found["lists_hidden"], "hidden");
    assert_eq!(found["key_column_hidden"], true);
    let labels: Vec<&str> = found["labels"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    for label in [
        "報数 *",
        "情報連絡日時 *",
        "担当者名 *",
        "情報共有範囲（TLP） *",
        "別紙有無 *",
        "重要度",
        "情報の漏えい",
        "予兆・ヒヤリハット",
        "不審メール等の受信",
        "不明",
        "分野名 *",
        "今後の見通し",
        "その他、得られた教訓",
    ] {
        assert!(labels.contains(&label), "label {label} not in {labels:?}");
    }
    // Every enumeration is a drop-down: TLP, severity, sector, outlook … and the check marks.
    let validations = found["validations"].as_array().unwrap();
    assert!(validations.iter().all(|v| v["type"] == "list"));
    let formulas: Vec<&str> = validations
        .iter()
        .filter_map(|v| v["formula"].as_str())
        .collect();
    assert!(
        formulas.iter().any(|f| f.contains("選択肢")),
        "{formulas:?}"
    );
    assert!(formulas.contains(&"\"✓\""), "{formulas:?}");
    assert!(validations.len() >= 8 + 17 + 8, "{}", validations.len());
    let lists = found["lists"].as_object().unwrap();
    let all: Vec<&str> = lists
        .values()
        .flat_map(|c| c.as_array().unwrap().iter().filter_map(|v| v.as_str()))
        .collect();
    for item in [
        "Green 重要インフラ関係主体限り",
        "参考情報",
        "金融",
        "電力",
        "今後の対応策を継続検討（続報なし）",
        "有",
        "無",
    ] {
        assert!(all.contains(&item), "{item} not offered in {all:?}");
    }
    // The TLP on every printed page and under the title.
    assert!(found["header"].as_str().unwrap().contains("TLP:GREEN"));
    assert!(found["footer"].as_str().unwrap().contains("TLP:GREEN"));
    assert!(found["banner"].as_str().unwrap().contains("TLP:GREEN"));
    assert_eq!(found["tlp_cell"], "Green 重要インフラ関係主体限り");

    // Five mistakes, five errors, each on its cell, in Japanese; nothing else.
    let errors = report::import(&std::fs::read(&edited).unwrap(), &r).unwrap_err();
    let mistakes = found["mistakes"].as_object().unwrap();
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 5, "{text:?}");
    for (key, cell) in mistakes {
        let cell = cell.as_str().unwrap();
        assert!(
            errors.iter().any(|e| e.cell == cell),
            "no error on {cell} ({key}): {text:?}"
        );
    }
    let tlp = &errors[errors
        .iter()
        .position(|e| e.cell == mistakes["tlp"])
        .unwrap()];
    assert_eq!(
        tlp.to_string(),
        format!(
            "{} 情報共有範囲（TLP）: 「Purple」は選択肢にありません（Red 宛先限り、Amber 特定分野・関係者限り、Green 重要インフラ関係主体限り、White 公開情報）。",
            mistakes["tlp"].as_str().unwrap()
        )
    );
}

/// Lists every cell openpyxl finds that holds a formula, and every cell holding the payload.
const CELL_TYPES: &str = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
formulas, payloads = [], []
for ws in wb.worksheets:
    for row in ws.iter_rows():
        for c in row:
            if c.data_type == "f":
                formulas.append(f"{ws.title}!{c.coordinate}")
            if isinstance(c.value, str) and "<script>" in c.value:
                payloads.append(c.coordinate)
                if not c.quotePrefix:
                    formulas.append(f"{ws.title}!{c.coordinate} (no quote prefix)")
print(json.dumps({"formulas": formulas, "payloads": payloads}))
"#;

#[test]
fn formula_and_script_payloads_in_every_text_field_stay_inert_text() {
    let Some(py) = python() else { return };
    let r = reference();
    let payload = "=HYPERLINK(\"http://evil.example\",\"x\")<script>alert(1)</script>";
    let mut f = fig5();
    let p = |s: &str| format!("{payload}{s}");
    f.contact.organization = p("省");
    f.contact.department = p("課");
    f.contact.person = p("太郎");
    f.contact.fax = p("");
    f.tlp_note = p("");
    f.operator_name = Some(p(""));
    if let Some(s) = f.summary.as_mut() {
        s.occurred_at_note = Some(p(""));
        s.affected_system = Some(p(""));
        s.description = Some(p(""));
    }
    if let Some(i) = f.impact.as_mut() {
        i.note = Some(p(""));
    }
    if let Some(e) = f.external.as_mut() {
        e.press_note = Some(p(""));
        e.other_contacts = Some(p(""));
    }
    f.lessons = Some(p(""));
    for row in &mut f.timeline {
        row.text = p("");
    }
    let texts = f
        .texts()
        .iter()
        .filter(|(_, t)| t.contains("<script>"))
        .count();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("payload.xlsx");
    let bytes = report::export(&f, &r).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    let out = Command::new(py)
        .args(["-c", CELL_TYPES])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        found["formulas"],
        serde_json::json!([]),
        "no cell is a formula"
    );
    assert_eq!(
        found["payloads"].as_array().unwrap().len(),
        texts,
        "each text is a plain string cell"
    );
    // And it reads back as the same text.
    assert_eq!(report::import(&bytes, &r).unwrap(), f);
}
