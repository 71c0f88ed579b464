//! Users: login identity, password hash, sharing-contact and admin flags, TOTP, lockout state.

use sqlx::Row;
use sqlx::any::AnyRow;

use kyoyu_domain::{OrgId, UserId};

use crate::{Result, StoreError, Tx};

#[derive(Debug, Clone)]
pub struct NewUser {
    pub org_id: Option<OrgId>,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub is_contact: bool,
    pub is_admin: bool,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    pub id: UserId,
    pub org_id: Option<OrgId>,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub is_contact: bool,
    pub is_admin: bool,
    pub disabled: bool,
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    pub totp_last_step: i64,
    pub failed_logins: i64,
    pub locked_until: Option<String>,
}

const COLUMNS: &str = "id, org_id, email, name, password_hash, is_contact, is_admin, disabled, totp_secret, totp_enabled, totp_last_step, failed_logins, locked_until";

fn user_from(r: &AnyRow) -> Result<UserRow> {
    Ok(UserRow {
        id: UserId(r.try_get("id")?),
        org_id: r.try_get::<Option<i64>, _>("org_id")?.map(OrgId),
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        password_hash: r.try_get("password_hash")?,
        is_contact: r.try_get::<i64, _>("is_contact")? != 0,
        is_admin: r.try_get::<i64, _>("is_admin")? != 0,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        totp_secret: r.try_get("totp_secret")?,
        totp_enabled: r.try_get::<i64, _>("totp_enabled")? != 0,
        totp_last_step: r.try_get("totp_last_step")?,
        failed_logins: r.try_get("failed_logins")?,
        locked_until: r.try_get("locked_until")?,
    })
}

impl Tx {
    pub async fn create_user(&mut self, u: &NewUser) -> Result<UserId> {
        let row = sqlx::query(
            "INSERT INTO users (org_id, email, name, password_hash, is_contact, is_admin, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(u.org_id.map(|o| o.0))
        .bind(&u.email)
        .bind(&u.name)
        .bind(&u.password_hash)
        .bind(i64::from(u.is_contact))
        .bind(i64::from(u.is_admin))
        .bind(&u.at)
        .fetch_one(self.conn())
        .await
        .map_err(|e| StoreError::conflict_or(e, format!("user {}", u.email)))?;
        Ok(UserId(row.try_get("id")?))
    }

    pub async fn user_by_email(&mut self, email: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE email = $1");
        let row = sqlx::query(&sql)
            .bind(email)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(user_from).transpose()
    }

    pub async fn user(&mut self, id: UserId) -> Result<UserRow> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref()
            .map(user_from)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("user {id}")))
    }

    pub async fn list_users(&mut self) -> Result<Vec<UserRow>> {
        let sql = format!("SELECT {COLUMNS} FROM users ORDER BY email");
        let rows = sqlx::query(&sql).fetch_all(self.conn()).await?;
        rows.iter().map(user_from).collect()
    }

    pub async fn set_password_hash(&mut self, id: UserId, hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Stores a TOTP secret (pending until enabled) or clears it with `None`.
    pub async fn set_totp(
        &mut self,
        id: UserId,
        secret: Option<&str>,
        enabled: bool,
    ) -> Result<()> {
        sqlx::query("UPDATE users SET totp_secret = $1, totp_enabled = $2, totp_last_step = 0 WHERE id = $3")
            .bind(secret)
            .bind(i64::from(enabled))
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Records the TOTP time step just used, so that a code cannot be replayed.
    pub async fn set_totp_last_step(&mut self, id: UserId, step: i64) -> Result<()> {
        sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2")
            .bind(step)
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn set_user_flags(
        &mut self,
        id: UserId,
        is_contact: bool,
        is_admin: bool,
        disabled: bool,
    ) -> Result<()> {
        sqlx::query("UPDATE users SET is_contact = $1, is_admin = $2, disabled = $3 WHERE id = $4")
            .bind(i64::from(is_contact))
            .bind(i64::from(is_admin))
            .bind(i64::from(disabled))
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}
