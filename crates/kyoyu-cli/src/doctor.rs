//! `kyoyu doctor`: checks a deployment as `kyoyu serve` would start it — configuration, data
//! directory, database, mail, TLS and PDF output — and says for each, in plain Japanese, what
//! is fine, what deserves a look and what is wrong. Exit code 1 when something is wrong.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use kyoyu_domain::messages::ja;
use kyoyu_store::{Backend, Store};

use crate::Cli;
use crate::config::{self, FileConfig};

#[derive(Args)]
pub struct DoctorArgs {
    /// The SMTP server `serve` would use (else kyoyu.toml's `smtp_url`).
    #[arg(long, env = "KYOYU_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The TLS certificate `serve` would use (else kyoyu.toml's `tls_cert`).
    #[arg(long, env = "KYOYU_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// The TLS key `serve` would use (else kyoyu.toml's `tls_key`).
    #[arg(long, env = "KYOYU_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Ok,
    Warn,
    Fail,
}

struct Report {
    lines: Vec<(Level, String, String)>,
}

impl Report {
    /// `topic`: the catalogue key of what was checked (`doctor.topic_…`).
    fn add(&mut self, level: Level, topic: &'static str, text: String) {
        self.lines.push((level, ja(topic, &[]), text));
    }

    fn print(&self) -> bool {
        for (level, topic, text) in &self.lines {
            let mark = match level {
                Level::Ok => ja("doctor.ok", &[]),
                Level::Warn => ja("doctor.warn", &[]),
                Level::Fail => ja("doctor.fail", &[]),
            };
            println!("{mark} {topic}: {text}");
        }
        let failed = self.lines.iter().filter(|l| l.0 == Level::Fail).count();
        let warned = self.lines.iter().filter(|l| l.0 == Level::Warn).count();
        println!(
            "{}",
            ja(
                "doctor.summary",
                &[("fail", &failed.to_string()), ("warn", &warned.to_string())]
            )
        );
        failed == 0
    }
}

pub async fn doctor(cli: &Cli, file: &FileConfig, args: &DoctorArgs) -> std::process::ExitCode {
    let mut r = Report { lines: Vec::new() };
    check_config(&mut r, cli, file);
    check_data_dir(&mut r, cli);
    let url = config::database_url(cli.database.as_deref(), file, &cli.data_dir);
    check_database(&mut r, &url).await;
    let smtp = args.smtp_url.clone().or_else(|| file.smtp_url.clone());
    check_mail(&mut r, smtp.as_deref()).await;
    check_tls(
        &mut r,
        file,
        args.tls_cert.clone().or_else(|| file.tls_cert.clone()),
        args.tls_key.clone().or_else(|| file.tls_key.clone()),
    );
    if kyoyu_web::pdf_available(file.pdf_chromium.as_deref()) {
        r.add(Level::Ok, "doctor.topic_pdf", ja("doctor.pdf_ok", &[]));
    } else {
        r.add(
            Level::Warn,
            "doctor.topic_pdf",
            ja("doctor.pdf_missing", &[]),
        );
    }
    if r.print() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    }
}

fn check_config(r: &mut Report, cli: &Cli, file: &FileConfig) {
    let path = cli.data_dir.join("kyoyu.toml");
    if path.exists() {
        r.add(
            Level::Ok,
            "doctor.topic_config",
            ja(
                "doctor.config_read",
                &[("file", &path.display().to_string())],
            ),
        );
    } else {
        r.add(
            Level::Ok,
            "doctor.topic_config",
            ja("doctor.config_default", &[]),
        );
    }
    if let Some(listen) = &file.listen
        && listen.parse::<SocketAddr>().is_err()
    {
        r.add(
            Level::Fail,
            "doctor.topic_config",
            ja("cli.bad_listen", &[("listen", listen)]),
        );
    }
    if let Err(e) = config::trusted_proxies(file) {
        r.add(Level::Fail, "doctor.topic_config", e.to_string());
    }
    match file.base_url.as_deref() {
        None => r.add(
            Level::Warn,
            "doctor.topic_config",
            ja("doctor.no_base_url", &[]),
        ),
        Some(base) if base.starts_with("https://") => {
            let tls_here = file.tls_cert.is_some();
            if !tls_here && !file.cookie_secure.unwrap_or(false) {
                r.add(
                    Level::Warn,
                    "doctor.topic_config",
                    ja("doctor.cookie_not_secure", &[]),
                );
            }
            if !tls_here && file.trusted_proxies.as_ref().is_none_or(Vec::is_empty) {
                r.add(
                    Level::Warn,
                    "doctor.topic_config",
                    ja("doctor.no_proxies", &[]),
                );
            }
        }
        Some(_) => r.add(
            Level::Warn,
            "doctor.topic_config",
            ja("doctor.plain_http", &[]),
        ),
    }
}

fn check_data_dir(r: &mut Report, cli: &Cli) {
    let dir = cli.data_dir.display().to_string();
    match tempfile::tempfile_in(&cli.data_dir) {
        Ok(_) => r.add(
            Level::Ok,
            "doctor.topic_data_dir",
            ja("doctor.data_dir_ok", &[("dir", &dir)]),
        ),
        Err(e) => r.add(
            Level::Fail,
            "doctor.topic_data_dir",
            ja(
                "doctor.data_dir_unwritable",
                &[("dir", &dir), ("detail", &e.to_string())],
            ),
        ),
    }
}

async fn check_database(r: &mut Report, url: &str) {
    let db = config::redact(url);
    if let Some(path) = kyoyu_store::sqlite_file(url)
        && !path.exists()
    {
        r.add(
            Level::Ok,
            "doctor.topic_database",
            ja("doctor.db_empty", &[("db", &db)]),
        );
        return;
    }
    let store = match Store::open(url).await {
        Ok(s) => s,
        Err(e) => {
            r.add(
                Level::Fail,
                "doctor.topic_database",
                ja(
                    "doctor.db_unreachable",
                    &[("db", &db), ("detail", &e.to_string())],
                ),
            );
            return;
        }
    };
    match store.has_schema().await {
        Ok(false) => r.add(
            Level::Ok,
            "doctor.topic_database",
            ja("doctor.db_empty", &[("db", &db)]),
        ),
        Ok(true) => match store.census().await {
            Ok(c) => {
                let known = kyoyu_store::schema_version(store.backend());
                let (level, key) = match c.migration.cmp(&known) {
                    std::cmp::Ordering::Equal => (Level::Ok, "doctor.db_ok"),
                    std::cmp::Ordering::Less => (Level::Warn, "doctor.db_pending"),
                    std::cmp::Ordering::Greater => (Level::Fail, "doctor.db_newer"),
                };
                r.add(
                    level,
                    "doctor.topic_database",
                    ja(
                        key,
                        &[
                            ("db", &db),
                            ("backend", store.backend().name()),
                            ("schema", &c.migration.to_string()),
                            ("known", &known.to_string()),
                            ("reports", &c.reports.to_string()),
                            ("advisories", &c.advisories.to_string()),
                            ("users", &c.users.to_string()),
                        ],
                    ),
                );
            }
            Err(e) => r.add(
                Level::Fail,
                "doctor.topic_database",
                ja(
                    "doctor.db_unreachable",
                    &[("db", &db), ("detail", &e.to_string())],
                ),
            ),
        },
        Err(e) => r.add(
            Level::Fail,
            "doctor.topic_database",
            ja(
                "doctor.db_unreachable",
                &[("db", &db), ("detail", &e.to_string())],
            ),
        ),
    }
    if store.backend() == Backend::Sqlite {
        r.add(
            Level::Ok,
            "doctor.topic_database",
            ja("doctor.sqlite_one_process", &[]),
        );
    }
    store.close().await;
}

async fn check_mail(r: &mut Report, smtp: Option<&str>) {
    let Some(url) = smtp else {
        r.add(Level::Warn, "doctor.topic_mail", ja("doctor.no_smtp", &[]));
        return;
    };
    let shown = config::redact(url);
    match kyoyu_core::notify::check_smtp(url).await {
        Ok(()) => r.add(
            Level::Ok,
            "doctor.topic_mail",
            ja("doctor.smtp_ok", &[("url", &shown)]),
        ),
        Err(e) => r.add(
            Level::Fail,
            "doctor.topic_mail",
            ja("doctor.smtp_failed", &[("url", &shown), ("detail", &e)]),
        ),
    }
}

fn check_tls(r: &mut Report, file: &FileConfig, cert: Option<PathBuf>, key: Option<PathBuf>) {
    match (cert, key) {
        (Some(cert), Some(key)) => match kyoyu_web::tls::TlsCerts::load(&cert, &key) {
            Ok(_) => r.add(
                Level::Ok,
                "doctor.topic_tls",
                ja("doctor.tls_ok", &[("cert", &cert.display().to_string())]),
            ),
            Err(e) => r.add(Level::Fail, "doctor.topic_tls", e.to_string()),
        },
        (None, None) => {
            let proxied = file.cookie_secure.unwrap_or(false);
            let key = if proxied {
                "doctor.tls_proxy"
            } else {
                "doctor.tls_none"
            };
            r.add(Level::Ok, "doctor.topic_tls", ja(key, &[]));
        }
        _ => r.add(Level::Fail, "doctor.topic_tls", ja("tls.both", &[])),
    }
}
