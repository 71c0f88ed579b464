//! Configuration: defaults in code, then `kyoyu.toml` in the data directory, then `KYOYU_*`
//! environment variables, then flags (clap reads flags and environment together). Unknown keys
//! in the file are an error; secrets are never printed.

use std::path::{Path, PathBuf};

use anyhow::Context;
use kyoyu_domain::messages::ja;
use serde::Deserialize;

/// The keys `kyoyu.toml` may hold.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database: Option<String>,
    pub listen: Option<String>,
    pub log_json: Option<bool>,
    pub cookie_secure: Option<bool>,
    pub require_admin_totp: Option<bool>,
    pub session_hours: Option<i64>,
    /// Failed logins in a row for one e-mail address before clients the account has not seen
    /// wait (default 5).
    pub max_failed_logins: Option<i64>,
    /// The longest such wait in minutes (it starts at 1 and doubles; default 15).
    pub lockout_minutes: Option<i64>,
    /// Failed logins per client address per minute before the address is refused (default
    /// 30). `login_attempts_per_minute` is its former name.
    #[serde(alias = "login_attempts_per_minute")]
    pub login_failures_per_minute: Option<u32>,
    /// Reverse proxies (addresses or networks, `127.0.0.1`, `10.0.0.0/8`) whose
    /// `Forwarded`/`X-Forwarded-For` headers name the client.
    pub trusted_proxies: Option<Vec<String>>,
    /// The longest an API token lives, in days (default 365).
    pub max_token_days: Option<i64>,
    /// `/metrics` answers a caller with `Authorization: Bearer <this>`.
    pub metrics_token: Option<String>,
    /// `/metrics` answers requests straight from this machine (default true).
    pub metrics_loopback: Option<bool>,
    pub min_password_len: Option<usize>,
    /// Seconds a verified token is trusted without asking the database (0: never).
    pub session_cache_seconds: Option<u64>,
    /// Seconds a list page is replayed to the same caller while nothing changed (SQLite; 0:
    /// never).
    pub list_cache_seconds: Option<u64>,
    /// Statistics hide a count of fewer threads than this that the viewer neither originated
    /// nor passed on (default 3; 1 hides nothing).
    pub stats_min_cell: Option<u64>,
    /// `smtp://host:25`, `smtp://host:587?tls=required` (STARTTLS), `smtps://host:465`.
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    /// The public address of the service, for links in e-mails and webhooks.
    pub base_url: Option<String>,
    /// The password of the zip samples are served in (default `infected`).
    pub sample_zip_password: Option<String>,
    /// Largest attachment in bytes (default 20 MiB).
    pub max_attachment_bytes: Option<usize>,
    /// Headless Chromium for PDF output (a command on `PATH` or a path; default: `chromium`,
    /// `chromium-browser` or `google-chrome` on `PATH`). Without one, PDFs answer 503.
    pub pdf_chromium: Option<String>,
    /// Serve HTTPS with this PEM certificate chain and key (both, or neither).
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

impl FileConfig {
    /// Reads `kyoyu.toml` from the data directory if it exists.
    pub fn load(data_dir: &Path) -> anyhow::Result<FileConfig> {
        let path = data_dir.join("kyoyu.toml");
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).with_context(|| {
                ja(
                    "cli.config_unreadable",
                    &[("file", &path.display().to_string())],
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileConfig::default()),
            Err(e) => Err(e).with_context(|| {
                ja(
                    "cli.config_unopenable",
                    &[("file", &path.display().to_string())],
                )
            }),
        }
    }
}

/// The trusted reverse proxies of the file: `127.0.0.1` or `10.0.0.0/8`.
pub fn trusted_proxies(file: &FileConfig) -> anyhow::Result<Vec<ipnet::IpNet>> {
    file.trusted_proxies
        .iter()
        .flatten()
        .map(|entry| {
            let entry = entry.trim();
            entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| anyhow::anyhow!(ja("cli.bad_proxy", &[("entry", entry)])))
        })
        .collect()
}

/// The database URL: a flag/env value, else the file's, else SQLite in the data directory.
pub fn database_url(flag: Option<&str>, file: &FileConfig, data_dir: &Path) -> String {
    flag.map(str::to_owned)
        .or_else(|| file.database.clone())
        .unwrap_or_else(|| format!("sqlite:{}", data_dir.join("kyoyu.db").display()))
}

/// Hides the password of a database URL for printing.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

pub fn ensure_dir(dir: &PathBuf) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| ja("cli.data_dir", &[("dir", &dir.display().to_string())]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("kyoyu.toml"),
            "listen = \"127.0.0.1:1\"\nlisten_port = 3\n",
        )
        .unwrap();
        let err = format!("{:#}", FileConfig::load(dir.path()).unwrap_err());
        assert!(err.contains("listen_port"), "{err}");
    }

    #[test]
    fn flag_beats_file_beats_default() {
        let dir = Path::new("/data");
        let file = FileConfig {
            database: Some("postgres://file".into()),
            ..Default::default()
        };
        assert_eq!(
            database_url(Some("postgres://flag"), &file, dir),
            "postgres://flag"
        );
        assert_eq!(database_url(None, &file, dir), "postgres://file");
        assert_eq!(
            database_url(None, &FileConfig::default(), dir),
            "sqlite:/data/kyoyu.db"
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
    }
}
