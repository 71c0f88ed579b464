//! Attachments (別紙) and samples (検体, 2.3(3)): checked and hashed once (MD5, SHA-1, SHA-256),
//! kept once per SHA-256, and served only as the caller's view shows them — a sample never
//! raw, only inside an AES-256 password-protected zip.

use kyoyu_domain::messages::Msg;
use kyoyu_domain::policy::Actor;
use kyoyu_domain::policy::route::may_attach;
use kyoyu_domain::report::thread::AttachmentKind;
use kyoyu_domain::{AttachmentId, ReportId};
use kyoyu_store::NewAttachment;

use super::AttachmentView;
use crate::auth::Session;
use crate::{Core, CoreError, Result};

/// A downloaded attachment.
pub struct Download {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// A sample, wrapped in a password-protected zip.
    pub zipped: bool,
}

/// What a new attachment carries.
pub struct Upload<'a> {
    pub kind: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

impl Upload<'_> {
    /// Checks and hashes an upload once: what every attachment, of a report or an advisory,
    /// keeps.
    pub(crate) fn check(&self) -> Result<NewAttachment> {
        use sha1::Digest as _;
        let Some(kind) = AttachmentKind::from_code(self.kind) else {
            return Err(CoreError::invalid(
                "kind",
                Msg::new("invalid.attachment_kind"),
            ));
        };
        if self.bytes.is_empty() {
            return Err(CoreError::invalid("file", Msg::new("invalid.empty_file")));
        }
        Ok(NewAttachment {
            kind,
            file_name: sanitize_file_name(self.file_name),
            // A sample is never labelled with a type a browser might act on.
            content_type: if kind == AttachmentKind::Sample {
                "application/octet-stream".to_owned()
            } else {
                sanitize_content_type(self.content_type)
            },
            size: self.bytes.len() as i64,
            sha256: hex::encode(sha2::Sha256::digest(self.bytes)),
            sha1: hex::encode(sha1::Sha1::digest(self.bytes)),
            md5: hex::encode(md5::Md5::digest(self.bytes)),
        })
    }
}

/// A file name reduced to what is safe to store and send back: no directories, no control
/// characters, no characters that break a `Content-Disposition` header; never empty.
pub fn sanitize_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*' | ';') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_owned();
    let cleaned: String = cleaned.chars().take(150).collect();
    if cleaned.is_empty() {
        "attachment.bin".to_owned()
    } else {
        cleaned
    }
}

pub(crate) fn sanitize_content_type(ct: &str) -> String {
    let ct = ct.trim();
    let ok = !ct.is_empty()
        && ct.len() <= 100
        && ct.contains('/')
        && ct
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/.+-_; =".contains(c));
    if ok {
        ct.to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

/// Wraps a sample in a zip encrypted with AES-256 (WinZip AE-2), as malware-exchange practice
/// expects (7-Zip and pyzipper open it; Info-ZIP `unzip` does not support AES).
pub fn zip_sample(name: &str, bytes: &[u8], password: &str) -> Result<Vec<u8>> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .with_aes_encryption(zip::AesMode::Aes256, password);
    zip.start_file(name, options)
        .map_err(|e| CoreError::internal(format!("zip: {e}")))?;
    zip.write_all(bytes)
        .map_err(|e| CoreError::internal(format!("zip: {e}")))?;
    zip.finish()
        .map_err(|e| CoreError::internal(format!("zip: {e}")))?;
    Ok(out.into_inner())
}

/// The download of a file: a sample inside its zip, anything else as it is.
pub(crate) fn download(
    kind: AttachmentKind,
    file_name: &str,
    content_type: &str,
    bytes: Vec<u8>,
    sample_password: &str,
) -> Result<Download> {
    if kind == AttachmentKind::Sample {
        return Ok(Download {
            file_name: format!("{file_name}.zip"),
            content_type: "application/zip".into(),
            bytes: zip_sample(file_name, &bytes, sample_password)?,
            zipped: true,
        });
    }
    Ok(Download {
        file_name: file_name.to_owned(),
        content_type: content_type.to_owned(),
        bytes,
        zipped: false,
    })
}

impl Core {
    /// Attaches a document or a sample to the latest edition.
    pub async fn add_attachment(
        &self,
        s: &Session,
        id: ReportId,
        up: Upload<'_>,
    ) -> Result<AttachmentView> {
        let new = up.check()?;
        let mut tx = self.store.begin().await?;
        let rec = tx.scoped(&s.actor).report(id).await?;
        let permit = may_attach(&s.actor, &rec)?;
        let aid = tx
            .add_report_attachment(&permit, &new, up.bytes, &self.now_ts())
            .await?;
        self.audit(
            &mut tx,
            &s.actor,
            "report_attachment_added",
            format!("report:{id}"),
            serde_json::json!({ "attachment": aid, "kind": new.kind.code(), "sha256": new.sha256 }),
        )
        .await?;
        tx.commit().await?;
        self.thread_after(&s.actor, id)
            .await?
            .attachments
            .into_iter()
            .find(|a| a.id == aid)
            .ok_or_else(CoreError::not_found)
    }

    /// Downloads an attachment as the caller's view shows it (renamed past an anonymising
    /// CEPTOAR); a sample only inside a password-protected zip.
    pub async fn download_attachment(
        &self,
        actor: &Actor,
        id: ReportId,
        aid: AttachmentId,
        sample_password: &str,
    ) -> Result<Download> {
        let (shown, bytes) = {
            let mut tx = self.store.read().await?;
            let mut scoped = tx.scoped(actor);
            let rec = scoped.report(id).await?;
            scoped.report_attachment(&rec, aid).await?
        };
        self.audit_read(
            actor,
            "report_attachment_downloaded",
            format!("report:{id}"),
            serde_json::json!({ "attachment": aid }),
        )
        .await;
        download(
            shown.kind,
            &shown.file_name,
            &shown.content_type,
            bytes,
            sample_password,
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn file_names_are_sanitised() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("C:\\Users\\x\\mal.exe"), "mal.exe");
        assert_eq!(sanitize_file_name("a\"b;c\r\n.txt"), "a_b_c.txt");
        assert_eq!(sanitize_file_name("...."), "attachment.bin");
        assert_eq!(sanitize_file_name("報道発表.pdf"), "報道発表.pdf");
    }

    #[test]
    fn a_sample_zip_is_encrypted() {
        let zip = zip_sample("mal.exe", b"MZ-not-really", "infected").unwrap();
        assert!(
            !zip.windows(13).any(|w| w == b"MZ-not-really"),
            "the sample must not appear in clear"
        );
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        assert!(archive.by_index(0).is_err(), "no password, no content");
        let mut f = archive.by_index_decrypt(0, b"infected").unwrap();
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut back).unwrap();
        assert_eq!(back, b"MZ-not-really");
    }
}
