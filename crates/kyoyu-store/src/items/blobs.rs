//! Attachment contents, content-addressed by SHA-256 and kept in the database (every server
//! process sees them; a database backup is a backup of everything; an upload is all or nothing
//! with its metadata).

use kyoyu_domain::report::thread::AttachmentKind;
use sqlx::Row;

use crate::{Result, StoreError, Tx};

/// An upload, checked and hashed by the caller.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub kind: AttachmentKind,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
}

impl Tx {
    /// Stores a blob once.
    pub(crate) async fn put_blob(&mut self, sha256: &str, data: &[u8]) -> Result<()> {
        sqlx::query("INSERT INTO blobs (sha256, size, data) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING")
            .bind(sha256)
            .bind(data.len() as i64)
            .bind(data.to_vec())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub(crate) async fn blob(&mut self, sha256: &str) -> Result<Vec<u8>> {
        let row = sqlx::query("SELECT data FROM blobs WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(self.conn())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("blob {sha256}")))?;
        Ok(row.try_get("data")?)
    }
}
