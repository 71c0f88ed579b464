//! Saved searches and the hits already announced for each. The search itself runs through
//! the scoped reader as the search's owner; this table only remembers what it found.

use kyoyu_domain::UserId;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSearchRow {
    pub id: i64,
    pub user: UserId,
    pub name: String,
    /// The search as JSON (the core's `SavedQuery`).
    pub params: String,
    pub created_at: String,
    pub checked_at: Option<String>,
    /// Hits recorded and not yet looked at.
    pub unseen: u64,
}

const COLS: &str = "s.id, s.user_id, s.name, s.params, s.created_at, s.checked_at, (SELECT COUNT(*) FROM saved_search_hits h WHERE h.search_id = s.id AND h.seen = 0) AS unseen";

fn row(r: &AnyRow) -> Result<SavedSearchRow> {
    Ok(SavedSearchRow {
        id: r.try_get("id")?,
        user: UserId(r.try_get("user_id")?),
        name: r.try_get("name")?,
        params: r.try_get("params")?,
        created_at: r.try_get("created_at")?,
        checked_at: r.try_get("checked_at")?,
        unseen: r.try_get::<i64, _>("unseen")?.max(0) as u64,
    })
}

impl Tx {
    pub async fn create_saved_search(
        &mut self,
        user: UserId,
        name: &str,
        params: &str,
        at: &str,
    ) -> Result<i64> {
        let r = sqlx::query(
            "INSERT INTO saved_searches (user_id, name, params, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user.0)
        .bind(name)
        .bind(params)
        .bind(at)
        .fetch_one(self.conn())
        .await?;
        Ok(r.try_get("id")?)
    }

    /// A user's saved searches, newest first.
    pub async fn saved_searches_of(&mut self, user: UserId) -> Result<Vec<SavedSearchRow>> {
        let sql =
            format!("SELECT {COLS} FROM saved_searches s WHERE s.user_id = $1 ORDER BY s.id DESC");
        let rows = sqlx::query(&sql)
            .bind(user.0)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(row).collect()
    }

    /// One of `user`'s saved searches.
    pub async fn saved_search(&mut self, user: UserId, id: i64) -> Result<Option<SavedSearchRow>> {
        let sql = format!("SELECT {COLS} FROM saved_searches s WHERE s.id = $1 AND s.user_id = $2");
        let r = sqlx::query(&sql)
            .bind(id)
            .bind(user.0)
            .fetch_optional(self.conn())
            .await?;
        r.as_ref().map(row).transpose()
    }

    /// Deletes one of `user`'s saved searches; whether there was one.
    pub async fn delete_saved_search(&mut self, user: UserId, id: i64) -> Result<bool> {
        sqlx::query("DELETE FROM saved_search_hits WHERE search_id = (SELECT id FROM saved_searches WHERE id = $1 AND user_id = $2)")
            .bind(id)
            .bind(user.0)
            .execute(self.conn())
            .await?;
        let done = sqlx::query("DELETE FROM saved_searches WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user.0)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Takes up to `limit` searches not checked since `due` whose lease has run out, leasing
    /// each until `until` (another process skips them meanwhile).
    pub async fn claim_saved_searches(
        &mut self,
        now: &str,
        due: &str,
        until: &str,
        limit: i64,
    ) -> Result<Vec<SavedSearchRow>> {
        let sql = format!(
            "SELECT {COLS} FROM saved_searches s WHERE (s.checked_at IS NULL OR s.checked_at <= $1) AND (s.lease_until IS NULL OR s.lease_until < $2) ORDER BY s.checked_at, s.id LIMIT $3"
        );
        let candidates = sqlx::query(&sql)
            .bind(due)
            .bind(now)
            .bind(limit)
            .fetch_all(self.conn())
            .await?;
        let mut out = Vec::new();
        for c in candidates.iter().map(row) {
            let c = c?;
            let claimed = sqlx::query(
                "UPDATE saved_searches SET lease_until = $1 WHERE id = $2 AND (lease_until IS NULL OR lease_until < $3)",
            )
            .bind(until)
            .bind(c.id)
            .bind(now)
            .execute(self.conn())
            .await?;
            if claimed.rows_affected() == 1 {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Records what a check found; answers the ids not recorded before.
    pub async fn record_saved_hits(
        &mut self,
        search: i64,
        kind: &str,
        ids: &[i64],
        at: &str,
        seen: bool,
    ) -> Result<Vec<i64>> {
        let known: std::collections::BTreeSet<i64> =
            sqlx::query("SELECT item_id FROM saved_search_hits WHERE search_id = $1 AND kind = $2")
                .bind(search)
                .bind(kind)
                .fetch_all(self.conn())
                .await?
                .iter()
                .map(|r| r.try_get("item_id"))
                .collect::<std::result::Result<_, _>>()?;
        let mut new = Vec::new();
        for id in ids.iter().filter(|i| !known.contains(i)) {
            sqlx::query(
                "INSERT INTO saved_search_hits (search_id, kind, item_id, found_at, seen) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(search)
            .bind(kind)
            .bind(*id)
            .bind(at)
            .bind(i64::from(seen))
            .execute(self.conn())
            .await?;
            new.push(*id);
        }
        Ok(new)
    }

    /// Ends a check: when it ran, and the lease given back.
    pub async fn finish_saved_search(&mut self, id: i64, at: &str) -> Result<()> {
        sqlx::query("UPDATE saved_searches SET checked_at = $1, lease_until = NULL WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// The owner looked at the search's hits.
    pub async fn mark_saved_hits_seen(&mut self, user: UserId, id: i64) -> Result<()> {
        sqlx::query("UPDATE saved_search_hits SET seen = 1 WHERE search_id = (SELECT id FROM saved_searches WHERE id = $1 AND user_id = $2)")
            .bind(id)
            .bind(user.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// One e-mail to one address through the outbox (its worker sends it).
    pub async fn enqueue_email(
        &mut self,
        kind: &str,
        address: &str,
        subject: &str,
        body: &str,
        at: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO outbox (kind, channel, address, secret, subject, body, status, next_attempt_at, created_at) VALUES ($1, 'email', $2, '', $3, $4, 'pending', $5, $5)",
        )
        .bind(kind)
        .bind(address)
        .bind(subject)
        .bind(body)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
