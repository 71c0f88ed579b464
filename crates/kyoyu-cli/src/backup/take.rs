//! `kyoyu backup FILE`: copies the live database in one consistent snapshot while the service
//! keeps answering and writing, counts the census of that snapshot, and writes both into FILE.

use anyhow::{Context, bail};
use kyoyu_core::{Clock, SystemClock};
use kyoyu_domain::messages::ja;
use kyoyu_store::{Backend, Store};

use super::archive::{self, FORMAT, FORMAT_VERSION, Manifest, Payload};
use super::pg_tools::PgTools;
use super::{BackupArgs, backend_of, sqlite_path, summary};
use crate::config;

pub async fn backup(url: &str, args: &BackupArgs) -> anyhow::Result<()> {
    let out_label = args.out.display().to_string();
    if args.out.exists() {
        bail!(ja("backup.exists", &[("file", &out_label)]));
    }
    // A recipient that does not parse is said before anything is copied.
    let recipients = super::sealing::recipients(&args.encrypt_to)?;
    let backend = backend_of(url);
    if backend == Backend::Sqlite && !sqlite_path(url).exists() {
        bail!(ja("backup.no_data", &[("db", &config::redact(url))]));
    }
    let store = Store::open(url)
        .await
        .with_context(|| ja("cli.db_open_failed", &[("db", &config::redact(url))]))?;
    if !store.has_schema().await? {
        bail!(ja("backup.no_data", &[("db", &config::redact(url))]));
    }
    // The copy is made beside the output so that the final rename stays on one file system.
    let dir = match args.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let work = tempfile::Builder::new()
        .prefix(".kyoyu-backup-")
        .tempdir_in(&dir)
        .with_context(|| ja("cli.file_unwritable", &[("file", &out_label)]))?;
    let payload = work.path().join(archive::payload_name(backend));
    let census = match backend {
        Backend::Sqlite => {
            store.copy_sqlite_into(&payload).await?;
            // The census of the copy itself, which also proves it opens and is intact.
            kyoyu_store::sqlite_file_census(&payload).await?
        }
        Backend::Postgres => {
            let snapshot = store.pg_snapshot().await?;
            let tools = PgTools {
                bin: args.pg_bin.clone(),
            };
            let dumped = tools.dump(url, &snapshot.id, &payload).await;
            let census = snapshot.census.clone();
            snapshot.finish().await?;
            dumped?;
            census
        }
    };
    store.close().await;
    let now = SystemClock.now();
    let (sha256, bytes) = archive::digest(&payload)?;
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        kyoyu_version: env!("CARGO_PKG_VERSION").into(),
        backend: backend.name().into(),
        created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        payload: Payload {
            name: archive::payload_name(backend).into(),
            bytes,
            sha256,
        },
        census,
    };
    archive::write(
        &args.out,
        &manifest,
        &payload,
        u64::try_from(now.timestamp()).unwrap_or(0),
        &recipients,
    )?;
    let total = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    let mut vars = summary(&manifest.census);
    vars.push(("file", out_label));
    vars.push(("bytes", total.to_string()));
    vars.push(("backend", backend.name().into()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    println!("{}", ja("backup.done", &vars));
    Ok(())
}
