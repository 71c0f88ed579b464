//! The append-only, hash-chained audit log. `Tx::audit` appends in the caller's transaction, so
//! a record exists exactly when the change it records was committed: the records of a
//! transaction are written together just before it commits, with one update of the chain
//! head, whose row lock orders concurrent appenders (PostgreSQL) for that moment only, and
//! which remembers the newest record so that deleting the tail is detected.

use kyoyu_domain::audit::{AuditRecord, chain_hash};
use kyoyu_domain::{OrgId, UserId};
use sqlx::Row;

use crate::read_model::insert::{defer_rows, insert_rows};
use crate::sql::{Arg, Sql};

const AUDIT_COLS: &[&str] = &[
    "seq",
    "at",
    "actor_user",
    "actor_org",
    "action",
    "target",
    "detail",
    "prev_hash",
    "hash",
];
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
    /// Appends a record when (and if) this transaction commits.
    pub async fn audit(&mut self, rec: &NewAudit) -> Result<()> {
        self.pending_audits.push(rec.clone());
        Ok(())
    }

    /// Writes the records `audit` kept (`commit` on SQLite): the head is taken now,
    /// the records and the new head hash go with the deferred writes.
    pub(crate) async fn write_pending_audits(&mut self) -> Result<()> {
        let recs = std::mem::take(&mut self.pending_audits);
        if !recs.is_empty() {
            let (rows, hash) = self.take_audit_seqs(&recs).await?;
            defer_rows(self, "audit_log", AUDIT_COLS, &rows);
            let mut sql = Sql::bulk("UPDATE audit_head SET hash = ", self.backend());
            sql.bind_text(&hash).push(" WHERE id = 1");
            self.defer(sql);
        }
        Ok(())
    }

    /// Takes sequence numbers for `recs` and chains them: their rows, and the new head hash.
    async fn take_audit_seqs(&mut self, recs: &[NewAudit]) -> Result<(Vec<Vec<Arg>>, String)> {
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
        Ok((rows, prev))
    }

    /// Appends records in order; returns the last sequence number. The head's row lock (or
    /// SQLite's single writer) is taken once for the whole batch, and the records are written
    /// with one statement per few hundred, so that a burst of read audits costs one short
    /// write transaction rather than one each.
    pub async fn audit_many(&mut self, recs: &[NewAudit]) -> Result<i64> {
        if recs.is_empty() {
            return Ok(self.audit_head().await?.0);
        }
        let (rows, hash) = self.take_audit_seqs(recs).await?;
        insert_rows(self, "audit_log", AUDIT_COLS, &rows).await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&hash)
            .execute(self.conn())
            .await?;
        rows.last()
            .and_then(|r| match r.first() {
                Some(Arg::I64(seq)) => Some(*seq),
                _ => None,
            })
            .ok_or_else(|| crate::StoreError::Corrupt("audit batch without records".into()))
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
