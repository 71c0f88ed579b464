//! Failed logins by key (a client address, an e-mail address) and the browsers each account
//! has logged in from. Kept in the database so that every kyoyu process on one PostgreSQL
//! counts the same failures; the core decides what the counts mean.

use kyoyu_domain::UserId;
use sqlx::Row;

use crate::{Result, Tx};

/// The failures counted for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFailures {
    pub failures: i64,
    /// When the current count began.
    pub window_start: String,
    /// Until when clients the account has not seen are kept waiting (account keys).
    pub blocked_until: Option<String>,
}

impl Tx {
    pub async fn login_failures(&mut self, key: &str) -> Result<Option<LoginFailures>> {
        let row = sqlx::query(
            "SELECT failures, window_start, blocked_until FROM login_failures WHERE key = $1",
        )
        .bind(key)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| {
            Ok(LoginFailures {
                failures: r.try_get("failures")?,
                window_start: r.try_get("window_start")?,
                blocked_until: r.try_get("blocked_until")?,
            })
        })
        .transpose()
    }

    /// Counts one failure for `key` at `now`; a count whose window began before `restart_before`
    /// starts again at 1. Returns the count.
    pub async fn count_login_failure(
        &mut self,
        key: &str,
        now: &str,
        restart_before: &str,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO login_failures (key, failures, window_start, last_at) VALUES ($1, 1, $2, $2) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN login_failures.window_start < $3 THEN 1 ELSE login_failures.failures + 1 END, \
               window_start = CASE WHEN login_failures.window_start < $3 THEN $2 ELSE login_failures.window_start END, \
               last_at = $2 \
             RETURNING failures",
        )
        .bind(key)
        .bind(now)
        .bind(restart_before)
        .fetch_one(self.conn())
        .await?;
        Ok(row.try_get("failures")?)
    }

    pub async fn block_login(&mut self, key: &str, until: &str) -> Result<()> {
        sqlx::query("UPDATE login_failures SET blocked_until = $1 WHERE key = $2")
            .bind(until)
            .bind(key)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Forgets the failures of `key` (a successful login, an administrator's unlock).
    pub async fn clear_login_failures(&mut self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Drops counts whose last failure is older than `before`.
    pub async fn prune_login_failures(&mut self, before: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM login_failures WHERE last_at < $1")
            .bind(before)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected())
    }

    /// Remembers a browser `user` logged in from (the SHA-256 of its cookie).
    pub async fn add_login_device(&mut self, user: UserId, hash: &str, now: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO login_devices (user_id, token_hash, created_at, last_used_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (user_id, token_hash) DO UPDATE SET last_used_at = $3",
        )
        .bind(user.0)
        .bind(hash)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Whether `user` logged in before from the browser whose cookie hashes to `hash`.
    pub async fn login_device_known(&mut self, user: UserId, hash: &str) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM login_devices WHERE user_id = $1 AND token_hash = $2",
        )
        .bind(user.0)
        .bind(hash)
        .fetch_optional(self.conn())
        .await?;
        Ok(row.is_some())
    }
}
