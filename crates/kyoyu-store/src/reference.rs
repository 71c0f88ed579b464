//! The reference data in the database: a history of whole documents; the newest is in force.
//! Seeded from the bundled file on first start; replaced by an administrator afterwards. And
//! the installation's own key.

use kyoyu_domain::reference::ReferenceData;
use sqlx::Row;

use crate::{Result, StoreError, Tx};

impl Tx {
    /// The reference data in force, or `None` before the first seeding.
    pub async fn reference_data(&mut self) -> Result<Option<(i64, ReferenceData)>> {
        let row = sqlx::query("SELECT id, doc FROM reference_data ORDER BY id DESC LIMIT 1")
            .fetch_optional(self.conn())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let doc: String = row.try_get("doc")?;
        let data = ReferenceData::from_json(&doc)
            .map_err(|e| StoreError::Corrupt(format!("reference data: {e}")))?;
        Ok(Some((row.try_get("id")?, data)))
    }

    /// Stores a new version of the reference data (validated by the caller).
    pub async fn put_reference_data(
        &mut self,
        data: &ReferenceData,
        at: &str,
        by: Option<kyoyu_domain::UserId>,
    ) -> Result<i64> {
        let doc = serde_json::to_string(data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let row = sqlx::query(
            "INSERT INTO reference_data (doc, created_at, created_by) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(doc)
        .bind(at)
        .bind(by.map(|u| u.0))
        .fetch_one(self.conn())
        .await?;
        Ok(row.try_get("id")?)
    }

    /// The random key this installation was given when its database was created.
    pub async fn installation_key(&mut self) -> Result<String> {
        let row = sqlx::query("SELECT key FROM installation WHERE id = 1")
            .fetch_one(self.conn())
            .await?;
        Ok(row.try_get("key")?)
    }
}
