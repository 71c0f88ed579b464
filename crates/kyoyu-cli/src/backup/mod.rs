//! `kyoyu backup` and `kyoyu restore`: a consistent online copy of the whole database —
//! attachments and the audit log included — in one file, and its return, checked against the
//! census the copy was made with and the audit chain.

mod archive;
mod pg_tools;
mod restore;
mod sealing;
mod take;

use std::path::PathBuf;

use kyoyu_domain::messages::ja;
use kyoyu_store::{Backend, Census};

pub use restore::restore;
pub use take::backup;

#[derive(clap::Args)]
pub struct BackupArgs {
    /// The backup file to write (it must not exist yet): a tar archive of manifest.json and the
    /// database copy.
    pub out: PathBuf,
    /// The directory of PostgreSQL's client programs (pg_dump, pg_restore); default: PATH.
    #[arg(long, env = "KYOYU_PG_BIN")]
    pub pg_bin: Option<PathBuf>,
    /// Encrypt the file to this age recipient (`age1…`; repeatable): only the holders of the
    /// matching identities can restore it.
    #[arg(long = "encrypt-to", value_name = "RECIPIENT")]
    pub encrypt_to: Vec<String>,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// The backup file `kyoyu backup` wrote.
    pub file: PathBuf,
    /// Replace a database that holds data already (SQLite keeps the old file beside it).
    #[arg(long)]
    pub force: bool,
    /// The age identity file (`AGE-SECRET-KEY-1…`) of an encrypted backup.
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// The directory of PostgreSQL's client programs (pg_dump, pg_restore); default: PATH.
    #[arg(long, env = "KYOYU_PG_BIN")]
    pub pg_bin: Option<PathBuf>,
}

/// The backend a database URL names (`config::database_url` always gives one of the two).
fn backend_of(url: &str) -> Backend {
    Backend::of_url(url).unwrap_or(Backend::Sqlite)
}

/// The SQLite file a `sqlite:` URL names.
fn sqlite_path(url: &str) -> PathBuf {
    kyoyu_store::sqlite_file(url).unwrap_or_else(|| PathBuf::from(url))
}

/// The figures a person reads in a summary line.
fn summary(c: &Census) -> Vec<(&'static str, String)> {
    vec![
        ("reports", c.reports.to_string()),
        ("advisories", c.advisories.to_string()),
        ("files", c.files.to_string()),
        ("audit", c.audit_records.to_string()),
    ]
}

/// Where two censuses differ, in words ("報告: 記録 10、復元先 9"); empty when they agree.
/// The schema version is left out when `migrated` (a newer kyoyu may add migrations).
fn differences(expected: &Census, actual: &Census, migrated: bool) -> Vec<String> {
    let figures: [(&str, i64, i64); 11] = [
        ("backup.n_migration", expected.migration, actual.migration),
        ("backup.n_orgs", expected.orgs, actual.orgs),
        ("backup.n_users", expected.users, actual.users),
        ("backup.n_reports", expected.reports, actual.reports),
        (
            "backup.n_report_versions",
            expected.report_versions,
            actual.report_versions,
        ),
        (
            "backup.n_advisories",
            expected.advisories,
            actual.advisories,
        ),
        (
            "backup.n_advisory_editions",
            expected.advisory_editions,
            actual.advisory_editions,
        ),
        ("backup.n_files", expected.files, actual.files),
        (
            "backup.n_file_bytes",
            expected.file_bytes,
            actual.file_bytes,
        ),
        (
            "backup.n_audit_records",
            expected.audit_records,
            actual.audit_records,
        ),
        (
            "backup.n_audit_head",
            expected.audit_head_seq,
            actual.audit_head_seq,
        ),
    ];
    let mut out: Vec<String> = figures
        .iter()
        .filter(|(key, e, a)| e != a && !(migrated && *key == "backup.n_migration"))
        .map(|(key, e, a)| {
            ja(
                "backup.difference",
                &[
                    ("what", &ja(key, &[])),
                    ("expected", &e.to_string()),
                    ("actual", &a.to_string()),
                ],
            )
        })
        .collect();
    if expected.audit_head_hash != actual.audit_head_hash {
        out.push(ja(
            "backup.difference",
            &[
                ("what", &ja("backup.n_audit_hash", &[])),
                ("expected", &expected.audit_head_hash),
                ("actual", &actual.audit_head_hash),
            ],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn census() -> Census {
        Census {
            migration: 13,
            orgs: 3,
            users: 5,
            reports: 10,
            report_versions: 12,
            advisories: 2,
            advisory_editions: 2,
            files: 1,
            file_bytes: 100,
            audit_records: 40,
            audit_head_seq: 40,
            audit_head_hash: "ab".into(),
        }
    }

    #[test]
    fn equal_censuses_have_no_difference_and_a_missing_report_is_named() {
        assert!(differences(&census(), &census(), false).is_empty());
        let mut fewer = census();
        fewer.reports = 9;
        let d = differences(&census(), &fewer, false);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].contains("10") && d[0].contains('9'), "{d:?}");
    }

    #[test]
    fn a_newer_schema_is_no_difference_after_migrating() {
        let mut newer = census();
        newer.migration = 14;
        assert!(differences(&census(), &newer, true).is_empty());
        assert_eq!(differences(&census(), &newer, false).len(), 1);
    }

    #[test]
    fn the_sqlite_path_of_a_url() {
        assert_eq!(
            sqlite_path("sqlite:/data/kyoyu.db"),
            PathBuf::from("/data/kyoyu.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///data/kyoyu.db?mode=rwc"),
            PathBuf::from("/data/kyoyu.db")
        );
    }
}
