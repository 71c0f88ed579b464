//! The append-only, hash-chained audit log. `Tx::audit` appends in the caller's transaction, so
//! a record exists exactly when the change it records was committed. The chain head row is
//! updated with each append: its row lock orders concurrent appenders (PostgreSQL), and it
//! remembers the newest record so that deleting the tail is detected.

use kyoyu_domain::audit::{AuditRecord, chain_hash};
use kyoyu_domain::{OrgId, UserId};
use sqlx::Row;

use crate::read_model::insert::insert_rows;
use crate::sql::Arg;
use crate::{Result, Tx};

/// A record to append.
#[derive(Debug, Clone)]
pub struct NewAudit {
    pub at: String,
    pub actor_user: Option<UserId>,
    pub actor_org: Option<OrgId>,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

impl Tx {
    pub async fn audit(&mut self, rec: &NewAudit) -> Result<i64> {
        self.audit_many(std::slice::from_ref(rec)).await
    }

    /// Appends records in order; returns the last sequence number. The head's row lock (or
    /// SQLite's single writer) is taken once for the whole batch, and the records are written
    /// with one statement per few hundred, so that a burst of read audits costs one short
    /// write transaction rather than one each.
    pub async fn audit_many(&mut self, recs: &[NewAudit]) -> Result<i64> {
        // Increment first: the UPDATE takes the head's row lock before anything is read.
        let head =
            sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
                .bind(recs.len() as i64)
                .fetch_one(self.conn())
                .await?;
        let last: i64 = head.try_get("seq")?;
        let mut prev: String = head.try_get("hash")?;
        let mut seq = last - recs.len() as i64;
        let mut rows = Vec::with_capacity(recs.len());
        for rec in recs {
            seq += 1;
            let detail = rec.detail.to_string();
            let user = rec.actor_user.map(|u| u.0);
            let org = rec.actor_org.map(|o| o.0);
            let hash = chain_hash(
                &prev,
                seq,
                &rec.at,
                user,
                org,
                &rec.action,
                &rec.target,
                &detail,
            );
            rows.push(vec![
                Arg::I64(seq),
                Arg::Text(rec.at.clone()),
                user.map_or(Arg::NullI64, Arg::I64),
                org.map_or(Arg::NullI64, Arg::I64),
                Arg::Text(rec.action.clone()),
                Arg::Text(rec.target.clone()),
                Arg::Text(detail),
                Arg::Text(prev.clone()),
                Arg::Text(hash.clone()),
            ]);
            prev = hash;
        }
        insert_rows(
            self,
            "audit_log",
            &[
                "seq",
                "at",
                "actor_user",
                "actor_org",
                "action",
                "target",
                "detail",
                "prev_hash",
                "hash",
            ],
            &rows,
        )
        .await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&prev)
            .execute(self.conn())
            .await?;
        Ok(last)
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
