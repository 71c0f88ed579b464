//! `kyoyu restore FILE`: checks the backup whole (SHA-256, then the census of the copy), puts
//! it in place of the database in one step — a rename on SQLite, one transaction on
//! PostgreSQL — and checks the census again where it landed. The caller then migrates and
//! verifies the audit chain. The service must be stopped while it runs.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use kyoyu_core::{Clock, SystemClock};
use kyoyu_domain::messages::ja;
use kyoyu_store::{Backend, Census, Store};

use super::archive::{self, Manifest};
use super::pg_tools::PgTools;
use super::{RestoreArgs, backend_of, differences, sqlite_path};
use crate::config;

/// What a restore put in place.
pub struct Restored {
    pub census: Census,
    /// Where the database it replaced was kept (SQLite with `--force`).
    pub kept: Option<PathBuf>,
}

pub async fn restore(url: &str, args: &RestoreArgs) -> anyhow::Result<Restored> {
    let backend = backend_of(url);
    match backend {
        Backend::Sqlite => restore_sqlite(url, args).await,
        Backend::Postgres => restore_postgres(url, args).await,
    }
}

/// Refuses a backup of the other backend or of a newer schema than this kyoyu knows.
fn check_fits(manifest: &Manifest, backend: Backend) -> anyhow::Result<()> {
    let from = manifest.backend()?;
    if from != backend {
        bail!(ja(
            "backup.wrong_backend",
            &[("from", from.name()), ("to", backend.name())]
        ));
    }
    let known = kyoyu_store::schema_version(backend);
    if manifest.census.migration > known {
        bail!(ja(
            "backup.newer_schema",
            &[
                ("version", &manifest.kyoyu_version),
                ("from", &manifest.census.migration.to_string()),
                ("to", &known.to_string()),
            ]
        ));
    }
    Ok(())
}

fn check_census(expected: &Census, actual: &Census) -> anyhow::Result<()> {
    let diff = differences(expected, actual, false);
    if !diff.is_empty() {
        bail!(ja("backup.mismatch", &[("detail", &diff.join("、"))]));
    }
    Ok(())
}

async fn restore_sqlite(url: &str, args: &RestoreArgs) -> anyhow::Result<Restored> {
    let target = sqlite_path(url);
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| ja("cli.data_dir", &[("dir", &dir.display().to_string())]))?;
    // Unpacked beside the database, so that putting it in place is one rename.
    let work = tempfile::Builder::new()
        .prefix(".kyoyu-restore-")
        .tempdir_in(&dir)
        .with_context(|| ja("cli.data_dir", &[("dir", &dir.display().to_string())]))?;
    let (manifest, payload) = archive::read(&args.file, work.path(), args.identity.as_deref())?;
    check_fits(&manifest, Backend::Sqlite)?;
    let census = kyoyu_store::sqlite_file_census(&payload)
        .await
        .map_err(|e| anyhow::anyhow!(ja("backup.mismatch", &[("detail", &e.to_string())])))?;
    check_census(&manifest.census, &census)?;
    let mut kept = None;
    let wal = PathBuf::from(format!("{}-wal", target.display()));
    let main_len = std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0);
    // A WAL left beside the target would be read into the restored file: it goes aside too.
    if main_len > 0 || wal.exists() {
        if !args.force {
            bail!(ja(
                "backup.target_has_data",
                &[("db", &target.display().to_string())]
            ));
        }
        kept = Some(keep_aside(&target)?);
    }
    let shm = PathBuf::from(format!("{}-shm", target.display()));
    if shm.exists() {
        // Only an index of the WAL, rebuilt on open; without its WAL it describes nothing.
        let _ = std::fs::remove_file(&shm);
    }
    std::fs::rename(&payload, &target).with_context(|| {
        ja(
            "cli.file_unwritable",
            &[("file", &target.display().to_string())],
        )
    })?;
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(Restored { census, kept })
}

/// Moves a database file and its WAL and shared-memory files aside together (the WAL may hold
/// committed work the main file has not yet), to `<file>.before-restore-<time>`.
fn keep_aside(target: &Path) -> anyhow::Result<PathBuf> {
    let stamp = SystemClock.now().format("%Y%m%dT%H%M%SZ").to_string();
    let mut aside = PathBuf::from(format!("{}.before-restore-{stamp}", target.display()));
    let mut n = 1;
    while aside.exists() {
        n += 1;
        aside = PathBuf::from(format!("{}.before-restore-{stamp}-{n}", target.display()));
    }
    for suffix in ["-wal", "-shm", ""] {
        let from = PathBuf::from(format!("{}{suffix}", target.display()));
        if from.exists() {
            let to = PathBuf::from(format!("{}{suffix}", aside.display()));
            std::fs::rename(&from, &to).with_context(|| {
                ja(
                    "cli.file_unwritable",
                    &[("file", &from.display().to_string())],
                )
            })?;
        }
    }
    Ok(aside)
}

async fn restore_postgres(url: &str, args: &RestoreArgs) -> anyhow::Result<Restored> {
    let work = tempfile::tempdir()?;
    let (manifest, payload) = archive::read(&args.file, work.path(), args.identity.as_deref())?;
    check_fits(&manifest, Backend::Postgres)?;
    let open = || async {
        Store::open(url)
            .await
            .with_context(|| ja("cli.db_open_failed", &[("db", &config::redact(url))]))
    };
    let store = open().await?;
    let has_data = store.has_schema().await?;
    store.close().await;
    if has_data && !args.force {
        bail!(ja(
            "backup.target_has_data",
            &[("db", &config::redact(url))]
        ));
    }
    let tools = PgTools {
        bin: args.pg_bin.clone(),
    };
    tools.restore(url, &payload, has_data).await?;
    let store = open().await?;
    let census = store.census().await?;
    store.close().await;
    check_census(&manifest.census, &census)?;
    Ok(Restored { census, kept: None })
}
