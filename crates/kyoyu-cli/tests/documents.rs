//! `kyoyu export` and `kyoyu import` as an administrator runs them on the server: as the user
//! of an API token, with that user's view; a sheet with problems is refused by cell with
//! nothing kept.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_kyoyu");

fn run(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("KYOYU_DATABASE")
        .env_remove("KYOYU_TOKEN")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn token(dir: &std::path::Path, email: &str) -> String {
    ok(&run(
        dir,
        &["admin", "token", "add", "--email", email, "--name", "cli"],
    ))
    .trim()
    .to_owned()
}

#[test]
fn export_and_import_run_as_the_tokens_user() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&run(d, &["admin", "demo"]));
    let op = token(d, "op-finance-1-contact@demo.example");
    let other = token(d, "op-electricity-1-contact@demo.example");
    let path = |name: &str| d.join(name).to_str().unwrap().to_owned();

    // A blank form needs no token; sent back unfilled it is refused by cell, nothing kept.
    ok(&run(
        d,
        &[
            "export",
            "xlsx",
            "--blank",
            "report",
            "-o",
            &path("blank.xlsx"),
        ],
    ));
    assert!(
        std::fs::read(path("blank.xlsx"))
            .unwrap()
            .starts_with(b"PK")
    );
    let out = run(d, &["import", "xlsx", &path("blank.xlsx"), "--token", &op]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let by_cell = err.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with('C')
            && l[1..].starts_with(|c: char| c.is_ascii_digit())
            && l.contains("担当者名")
    });
    assert!(by_cell, "each problem on a line of its own, by cell: {err}");

    // The seed's example, filled in Excel, becomes the operator's draft.
    let mut fig5: kyoyu_domain::report::ReportForm =
        serde_json::from_str(include_str!("../../../fixtures/report-fig5.json")).unwrap();
    fig5.comment = None;
    let reference = kyoyu_domain::reference::ReferenceData::bundled().unwrap();
    std::fs::write(
        path("fig5.xlsx"),
        kyoyu_forms::report::export(&fig5, &reference).unwrap(),
    )
    .unwrap();
    let said = ok(&run(
        d,
        &["import", "xlsx", &path("fig5.xlsx"), "--token", &op],
    ));
    assert!(said.contains("報告 id 1"), "{said}");

    // Out again, as the operator; the other sector's operator may not.
    ok(&run(
        d,
        &[
            "export",
            "xlsx",
            "--report",
            "1",
            "--token",
            &op,
            "-o",
            &path("r1.xlsx"),
        ],
    ));
    let back =
        kyoyu_forms::report::import(&std::fs::read(path("r1.xlsx")).unwrap(), &reference).unwrap();
    assert_eq!(back, fig5);
    let out = run(
        d,
        &[
            "export",
            "xlsx",
            "--report",
            "1",
            "--token",
            &other,
            "-o",
            &path("x.xlsx"),
        ],
    );
    assert!(!out.status.success());
    assert!(!d.join("x.xlsx").exists());
    ok(&run(
        d,
        &[
            "export",
            "csv",
            "reports",
            "--token",
            &op,
            "-o",
            &path("list.csv"),
        ],
    ));
    let csv = std::fs::read_to_string(path("list.csv")).unwrap();
    assert!(csv.starts_with('\u{feff}') && csv.contains("金融"), "{csv}");
    ok(&run(
        d,
        &[
            "export",
            "csv",
            "reports",
            "--token",
            &other,
            "-o",
            &path("other.csv"),
        ],
    ));
    assert!(
        !std::fs::read_to_string(path("other.csv"))
            .unwrap()
            .contains("金融")
    );
    // PDF, where this machine has Chromium (CI does).
    if Command::new("chromium").arg("--version").output().is_ok() {
        ok(&run(
            d,
            &[
                "export",
                "pdf",
                "--report",
                "1",
                "--token",
                &op,
                "-o",
                &path("r1.pdf"),
            ],
        ));
        assert!(std::fs::read(path("r1.pdf")).unwrap().starts_with(b"%PDF"));
    } else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but no chromium"
        );
    }
    // Without a token there is nothing to act as.
    let out = run(
        d,
        &["export", "xlsx", "--report", "1", "-o", &path("y.xlsx")],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("APIトークン"));
    ok(&run(d, &["audit", "verify"]));
}

fn incidents(path: &std::path::Path) -> std::collections::BTreeSet<String> {
    let bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(bundle["type"], "bundle");
    bundle["objects"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|o| o["type"] == "incident")
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn export_stix_writes_what_the_tokens_user_may_see() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&run(d, &["admin", "demo", "--generate", "40"]));
    let nisc = token(d, "nisc-contact@demo.example");
    let op = token(d, "op-electricity-1-contact@demo.example");
    let path = |name: &str| d.join(name);
    for (who, file) in [(&nisc, "nisc.json"), (&op, "op.json")] {
        let said = ok(&run(
            d,
            &[
                "export",
                "stix",
                "--all",
                "--token",
                who,
                "-o",
                path(file).to_str().unwrap(),
            ],
        ));
        assert!(said.contains(file), "{said}");
    }
    let all = incidents(&path("nisc.json"));
    let own = incidents(&path("op.json"));
    assert!(
        all.len() > 10,
        "NISC sees the numbered threads: {}",
        all.len()
    );
    assert!(
        !own.is_empty() && own.len() < all.len(),
        "{} of {}",
        own.len(),
        all.len()
    );
    // The same corpus exports as the same objects.
    ok(&run(
        d,
        &[
            "export",
            "stix",
            "--all",
            "--token",
            &op,
            "-o",
            path("again.json").to_str().unwrap(),
        ],
    ));
    assert_eq!(
        std::fs::read(path("op.json")).unwrap(),
        std::fs::read(path("again.json")).unwrap()
    );

    // Back in as a draft of the operator; a file that is no bundle is refused.
    let said = ok(&run(
        d,
        &[
            "import",
            "stix",
            path("op.json").to_str().unwrap(),
            "--token",
            &op,
        ],
    ));
    assert!(said.contains("報告 id"), "{said}");
    std::fs::write(path("bad.json"), r#"{"type": "report"}"#).unwrap();
    let out = run(
        d,
        &[
            "import",
            "stix",
            path("bad.json").to_str().unwrap(),
            "--token",
            &op,
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("バンドル"));

    // The MISP feed as files: a manifest naming every event written beside it.
    ok(&run(
        d,
        &[
            "export",
            "misp",
            "--token",
            &nisc,
            "-o",
            path("feed").to_str().unwrap(),
        ],
    ));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path("feed/manifest.json")).unwrap()).unwrap();
    let events = manifest.as_object().unwrap();
    assert!(!events.is_empty(), "the generated world has advisories");
    for uuid in events.keys() {
        assert!(path(&format!("feed/{uuid}.json")).exists(), "{uuid}");
    }
    assert!(path("feed/hashes.csv").exists());
}
