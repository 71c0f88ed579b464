//! Bearer credentials: browser/API session tokens and long-lived API tokens. Only a SHA-256 of
//! each token is stored; the token itself is shown once, to its owner.

use sqlx::Row;
use sqlx::any::AnyRow;

use kyoyu_domain::UserId;

use crate::{Result, StoreError, Tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Session,
    Api,
}

impl TokenKind {
    fn code(self) -> &'static str {
        match self {
            TokenKind::Session => "session",
            TokenKind::Api => "api",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: UserId,
    pub kind: TokenKind,
    pub name: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

fn token_from(r: &AnyRow) -> Result<TokenRow> {
    let kind: String = r.try_get("kind")?;
    Ok(TokenRow {
        id: r.try_get("id")?,
        user_id: UserId(r.try_get("user_id")?),
        kind: match kind.as_str() {
            "session" => TokenKind::Session,
            "api" => TokenKind::Api,
            other => return Err(StoreError::Corrupt(format!("token kind `{other}`"))),
        },
        name: r.try_get("name")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        last_used_at: r.try_get("last_used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

const COLUMNS: &str = "id, user_id, kind, name, created_at, expires_at, last_used_at, revoked_at";

impl Tx {
    pub async fn create_token(
        &mut self,
        user: UserId,
        hash: &str,
        kind: TokenKind,
        name: &str,
        at: &str,
        expires_at: Option<&str>,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO tokens (token_hash, user_id, kind, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(hash)
        .bind(user.0)
        .bind(kind.code())
        .bind(name)
        .bind(at)
        .bind(expires_at)
        .fetch_one(self.conn())
        .await?;
        Ok(row.try_get("id")?)
    }

    /// The live token with this hash: not revoked, not expired at `now`.
    pub async fn live_token(&mut self, hash: &str, now: &str) -> Result<Option<TokenRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM tokens WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)"
        );
        let row = sqlx::query(&sql)
            .bind(hash)
            .bind(now)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(token_from).transpose()
    }

    pub async fn touch_token(&mut self, id: i64, now: &str) -> Result<()> {
        sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn user_tokens(&mut self, user: UserId, kind: TokenKind) -> Result<Vec<TokenRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM tokens WHERE user_id = $1 AND kind = $2 AND revoked_at IS NULL ORDER BY id"
        );
        let rows = sqlx::query(&sql)
            .bind(user.0)
            .bind(kind.code())
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(token_from).collect()
    }

    /// Revokes one token of a user; false when the user has no such live token.
    pub async fn revoke_token(&mut self, user: UserId, id: i64, now: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(user.0)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn revoke_token_by_hash(&mut self, hash: &str, now: &str) -> Result<()> {
        sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(hash)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Revokes every session of a user except, optionally, one (after a password change).
    pub async fn revoke_sessions(
        &mut self,
        user: UserId,
        keep: Option<i64>,
        now: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE user_id = $2 AND kind = 'session' AND revoked_at IS NULL AND id <> $3",
        )
        .bind(now)
        .bind(user.0)
        .bind(keep.unwrap_or(-1))
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
