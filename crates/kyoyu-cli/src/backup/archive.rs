//! The backup file: a tar archive holding `manifest.json` (what was copied, when, by which
//! kyoyu, its census and the SHA-256 of the copy) and then the copy itself — a SQLite database
//! file or a `pg_dump` archive in custom format.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use kyoyu_domain::messages::ja;
use kyoyu_store::{Backend, Census};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::sealing::{self, Sealed};

pub const FORMAT: &str = "kyoyu-backup";
pub const FORMAT_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub kyoyu_version: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub payload: Payload,
    pub census: Census,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payload {
    /// `database.sqlite` or `database.pgdump`.
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

impl Manifest {
    pub fn backend(&self) -> anyhow::Result<Backend> {
        match self.backend.as_str() {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" => Ok(Backend::Postgres),
            other => bail!("backend `{other}`"),
        }
    }
}

pub fn payload_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "database.sqlite",
        Backend::Postgres => "database.pgdump",
    }
}

/// The SHA-256 and length of a file, read in a stream.
pub fn digest(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = BufReader::new(File::open(path)?);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let read = file.read(&mut buf)?;
        if read == 0 {
            break;
        }
        hasher.update(&buf[..read]);
        n += read as u64;
    }
    Ok((hex::encode(hasher.finalize()), n))
}

/// Writes the archive to `out` whole or not at all: into a neighbouring temporary file,
/// synced, then renamed.
/// With `recipients`, the archive is encrypted to them (age).
pub fn write(
    out: &Path,
    manifest: &Manifest,
    payload: &Path,
    mtime: u64,
    recipients: &[age::x25519::Recipient],
) -> anyhow::Result<()> {
    let file_label = out.display().to_string();
    let unwritable = || ja("cli.file_unwritable", &[("file", &file_label)]);
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".kyoyu-backup-")
        .tempfile_in(&dir)
        .with_context(unwritable)?;
    {
        let sealed = Sealed::new(BufWriter::new(tmp.as_file()), recipients)?;
        let mut tar = tar::Builder::new(sealed);
        let json = serde_json::to_vec_pretty(manifest)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(json.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(mtime);
        header.set_cksum();
        tar.append_data(&mut header, MANIFEST, json.as_slice())
            .with_context(unwritable)?;
        let mut file = File::open(payload).with_context(unwritable)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(manifest.payload.bytes);
        header.set_mode(0o600);
        header.set_mtime(mtime);
        header.set_cksum();
        tar.append_data(&mut header, &manifest.payload.name, &mut file)
            .with_context(unwritable)?;
        tar.into_inner()
            .with_context(unwritable)?
            .finish()
            .with_context(unwritable)?
            .flush()
            .with_context(unwritable)?;
    }
    tmp.as_file().sync_all().with_context(unwritable)?;
    // Never replace an existing backup: an operator's rotation names each file.
    tmp.persist_noclobber(out)
        .map_err(|e| e.error)
        .with_context(unwritable)?;
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Reads the archive at `file`: its manifest, and its payload unpacked into `into` (a
/// directory), checked against the manifest's SHA-256 and length; an encrypted file is
/// decrypted with `identity`. Returns the payload's path.
pub fn read(
    file: &Path,
    into: &Path,
    identity: Option<&Path>,
) -> anyhow::Result<(Manifest, PathBuf)> {
    let label = file.display().to_string();
    let unreadable =
        |detail: &str| ja("backup.unreadable", &[("file", &label), ("detail", detail)]);
    let mut tar = tar::Archive::new(sealing::open(file, identity)?);
    let mut entries = tar
        .entries()
        .with_context(|| unreadable(&ja("backup.not_tar", &[])))?;
    let mut first = entries
        .next()
        .ok_or_else(|| anyhow::anyhow!(unreadable(&ja("backup.empty", &[]))))?
        .with_context(|| unreadable(&ja("backup.not_tar", &[])))?;
    if first.path().ok().as_deref() != Some(Path::new(MANIFEST)) {
        bail!(unreadable(&ja("backup.no_manifest", &[])));
    }
    let mut json = Vec::new();
    (&mut first)
        .take(1 << 20)
        .read_to_end(&mut json)
        .with_context(|| unreadable(&ja("backup.manifest_unreadable", &[("detail", "")])))?;
    let manifest: Manifest = serde_json::from_slice(&json).map_err(|e| {
        anyhow::anyhow!(unreadable(&ja(
            "backup.manifest_unreadable",
            &[("detail", &e.to_string())]
        )))
    })?;
    if manifest.format != FORMAT || manifest.format_version != FORMAT_VERSION {
        bail!(unreadable(&ja(
            "backup.unsupported",
            &[
                ("format", &manifest.format),
                ("version", &manifest.format_version.to_string()),
            ],
        )));
    }
    manifest
        .backend()
        .map_err(|e| anyhow::anyhow!(unreadable(&e.to_string())))?;
    let expected = payload_name(manifest.backend()?);
    if manifest.payload.name != expected {
        bail!(unreadable(&ja(
            "backup.payload_name",
            &[("name", &manifest.payload.name)]
        )));
    }
    let mut second = entries
        .next()
        .ok_or_else(|| anyhow::anyhow!(damaged(&label, &ja("backup.no_copy", &[]))))?
        .with_context(|| damaged(&label, &ja("backup.no_copy", &[])))?;
    if second.path().ok().as_deref() != Some(Path::new(expected)) {
        bail!(damaged(&label, &ja("backup.no_copy", &[])));
    }
    // The name is fixed above, so nothing in the archive chooses where this file lands.
    let dest = into.join(expected);
    let mut out = BufWriter::new(File::create(&dest).with_context(|| {
        ja(
            "cli.file_unwritable",
            &[("file", &dest.display().to_string())],
        )
    })?);
    std::io::copy(&mut second, &mut out)
        .with_context(|| damaged(&label, &ja("backup.truncated", &[])))?;
    out.flush()?;
    drop(out);
    let (sha, bytes) = digest(&dest)?;
    if bytes != manifest.payload.bytes || sha != manifest.payload.sha256 {
        bail!(damaged(
            &label,
            &ja(
                "backup.digest_mismatch",
                &[
                    ("expected_bytes", &manifest.payload.bytes.to_string()),
                    ("expected", &manifest.payload.sha256),
                    ("bytes", &bytes.to_string()),
                    ("actual", &sha),
                ],
            )
        ));
    }
    Ok((manifest, dest))
}

fn damaged(file: &str, detail: &str) -> String {
    ja("backup.damaged", &[("file", file), ("detail", detail)])
}
