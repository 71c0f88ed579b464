//! The append-only, hash-chained audit log. `Tx::audit` appends in the caller's transaction, so
//! a record exists exactly when the change it records was committed. The chain head row is
//! updated with each append: its row lock orders concurrent appenders (PostgreSQL), and it
//! remembers the newest record so that deleting the tail is detected.

use kyoyu_domain::audit::{AuditRecord, chain_hash};
use sqlx::Row;

use crate::{Result, Tx};

/// A record to append.
#[derive(Debug, Clone)]
pub struct NewAudit<'a> {
    pub at: &'a str,
    pub actor_user: Option<i64>,
    pub actor_org: Option<i64>,
    pub action: &'a str,
    pub target: &'a str,
    pub detail: serde_json::Value,
}

impl Tx {
    pub async fn audit(&mut self, rec: NewAudit<'_>) -> Result<i64> {
        // Increment first: the UPDATE takes the head's row lock before anything is read.
        let head =
            sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
                .fetch_one(self.conn())
                .await?;
        let seq: i64 = head.try_get("seq")?;
        let prev: String = head.try_get("hash")?;
        let detail = rec.detail.to_string();
        let hash = chain_hash(
            &prev,
            seq,
            rec.at,
            rec.actor_user,
            rec.actor_org,
            rec.action,
            rec.target,
            &detail,
        );
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor_user, actor_org, action, target, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(seq)
        .bind(rec.at)
        .bind(rec.actor_user)
        .bind(rec.actor_org)
        .bind(rec.action)
        .bind(rec.target)
        .bind(&detail)
        .bind(&prev)
        .bind(&hash)
        .execute(self.conn())
        .await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&hash)
            .execute(self.conn())
            .await?;
        Ok(seq)
    }

    /// The chain head: (newest sequence number, its hash).
    pub async fn audit_head(&mut self) -> Result<(i64, String)> {
        let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(self.conn())
            .await?;
        Ok((row.try_get("seq")?, row.try_get("hash")?))
    }

    /// Records in sequence order, `after` exclusive, at most `limit`.
    pub async fn audit_records(&mut self, after: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor_user, actor_org, action, target, detail, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    seq: r.try_get("seq")?,
                    at: r.try_get("at")?,
                    actor_user: r.try_get("actor_user")?,
                    actor_org: r.try_get("actor_org")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    detail: r.try_get("detail")?,
                    prev_hash: r.try_get("prev_hash")?,
                    hash: r.try_get("hash")?,
                })
            })
            .collect()
    }

    /// The newest records first, for the audit view.
    pub async fn recent_audit(&mut self, limit: i64) -> Result<Vec<AuditRecord>> {
        let (head, _) = self.audit_head().await?;
        let mut recs = self.audit_records((head - limit).max(0), limit).await?;
        recs.reverse();
        Ok(recs)
    }
}
