//! `kyoyu doctor` on deployments an administrator could have: it names what is wrong in
//! Japanese (an SMTP server that does not answer, a TLS key that is not one, a broken
//! kyoyu.toml) and exits 1; on a sound one — a real SMTP server (aiosmtpd), a migrated
//! database — it exits 0.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;

fn doctor(dir: &std::path::Path) -> (Option<i32>, String) {
    let out = kyoyu(dir, None)
        .env_remove("KYOYU_SMTP_URL")
        .env_remove("KYOYU_TLS_CERT")
        .env_remove("KYOYU_TLS_KEY")
        .arg("doctor")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn line<'a>(report: &'a str, topic: &str) -> Vec<&'a str> {
    report.lines().filter(|l| l.contains(topic)).collect()
}

#[test]
fn doctor_names_what_is_wrong_and_passes_a_sound_deployment() {
    let dir = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let key = dir.path().join("key.pem");
    std::fs::write(&key, "not a key").unwrap();
    std::fs::write(
        dir.path().join("kyoyu.toml"),
        format!(
            "smtp_url = \"smtp://127.0.0.1:{closed}\"\nbase_url = \"https://kyoyu.example\"\ntls_cert = \"{k}\"\ntls_key = \"{k}\"\n",
            k = key.display()
        ),
    )
    .unwrap();
    let (code, report) = doctor(dir.path());
    assert_eq!(code, Some(1), "{report}");
    let mail = line(&report, "メール");
    assert!(
        mail.iter()
            .any(|l| l.starts_with('✖') && l.contains("接続できません")),
        "{report}"
    );
    assert!(
        line(&report, "TLS").iter().any(|l| l.starts_with('✖')),
        "{report}"
    );
    assert!(
        line(&report, "データベース")
            .iter()
            .any(|l| l.contains("まだデータがありません")),
        "{report}"
    );
    assert!(
        !dir.path().join("kyoyu.db").exists(),
        "the doctor creates no database"
    );
    assert!(
        !report.contains("smtp_url ="),
        "no raw configuration: {report}"
    );

    // A sound deployment: a real SMTP server, a migrated database, no TLS of its own.
    let Some((mut smtp, port)) = start_smtp(&dir.path().join("mail")) else {
        return;
    };
    std::fs::write(
        dir.path().join("kyoyu.toml"),
        format!(
            "smtp_url = \"smtp://127.0.0.1:{port}\"\nbase_url = \"https://kyoyu.example\"\ncookie_secure = true\ntrusted_proxies = [\"127.0.0.1\"]\n"
        ),
    )
    .unwrap();
    let migrated = kyoyu(dir.path(), None).arg("migrate").output().unwrap();
    assert!(migrated.status.success());
    let (code, report) = doctor(dir.path());
    let _ = smtp.kill();
    let _ = smtp.wait();
    assert!(
        line(&report, "メール").iter().all(|l| l.starts_with('✔')),
        "{report}"
    );
    assert!(
        line(&report, "データベース")
            .iter()
            .any(|l| l.starts_with('✔') && l.contains("接続できました")),
        "{report}"
    );
    assert_eq!(code, Some(0), "{report}");

    // A kyoyu.toml that does not parse is a finding, named, not a crash.
    std::fs::write(dir.path().join("kyoyu.toml"), "listen_port = 3\n").unwrap();
    let (code, report) = doctor(dir.path());
    assert_eq!(code, Some(1));
    assert!(
        report.starts_with('✖') && report.contains("設定"),
        "{report}"
    );
}
