//! A user's own account: password change, TOTP enrolment, long-lived API tokens.

use chrono::Duration;
use kyoyu_store::TokenKind;
use totp_rs::Secret;

use crate::auth::{Session, hash_password, new_token, token_hash, totp_for, totp_step};
use kyoyu_domain::ErrorCode;
use kyoyu_domain::messages::Msg;

use crate::{Core, CoreError, Result};

#[derive(Debug, Clone, serde::Serialize)]
pub struct TotpEnrolment {
    /// Base32 secret, for manual entry.
    pub secret: String,
    /// `otpauth://` URL, for the QR code.
    pub url: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ApiTokenInfo {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct NewApiToken {
    pub id: i64,
    /// Shown once; only its hash is kept.
    pub token: String,
    pub expires_at: Option<String>,
}

impl Core {
    pub fn validate_password(&self, field: &str, password: &str) -> Result<()> {
        if password.chars().count() < self.config.min_password_len {
            return Err(CoreError::invalid(
                field,
                Msg::new("error.password_too_short").arg("min", self.config.min_password_len),
            ));
        }
        Ok(())
    }

    /// Changes the caller's password and ends every other session.
    pub async fn change_password(&self, s: &Session, current: &str, new: &str) -> Result<()> {
        self.validate_password("new_password", new)?;
        let user = self.store.read().await?.user(s.user_id).await?;
        let ok = {
            let hash = user.password_hash.clone();
            let current = current.to_owned();
            tokio::task::spawn_blocking(move || {
                use argon2::password_hash::{PasswordHash, PasswordVerifier};
                PasswordHash::new(&hash)
                    .map(|h| {
                        argon2::Argon2::default()
                            .verify_password(current.as_bytes(), &h)
                            .is_ok()
                    })
                    .unwrap_or(false)
            })
            .await
            .unwrap_or(false)
        };
        if !ok {
            return Err(CoreError::invalid(
                "current_password",
                Msg::new("error.password_mismatch"),
            ));
        }
        let hash = hash_password(new).await?;
        let now = self.now_ts();
        let mut tx = self.store.begin().await?;
        tx.set_password_hash(s.user_id, &hash).await?;
        tx.revoke_sessions(s.user_id, Some(s.token_id), &now)
            .await?;
        self.sessions.clear();
        self.audit(
            &mut tx,
            &s.actor,
            "password_changed",
            format!("user:{}", s.user_id),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Starts TOTP enrolment: a new secret, pending until confirmed with a code.
    pub async fn totp_begin(&self, s: &Session) -> Result<TotpEnrolment> {
        if s.totp_enabled {
            return Err(CoreError::new(ErrorCode::TotpAlreadyEnabled));
        }
        let secret = Secret::generate_secret().to_encoded().to_string();
        let totp = totp_for(&secret, &s.email)?;
        let mut tx = self.store.begin().await?;
        tx.set_totp(s.user_id, Some(&secret), false).await?;
        self.audit(
            &mut tx,
            &s.actor,
            "totp_enrolment_started",
            format!("user:{}", s.user_id),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(TotpEnrolment {
            url: totp.get_url(),
            secret,
        })
    }

    /// The pending enrolment, if one was started.
    pub async fn totp_pending(&self, s: &Session) -> Result<Option<TotpEnrolment>> {
        let user = self.store.read().await?.user(s.user_id).await?;
        match (user.totp_enabled, user.totp_secret) {
            (false, Some(secret)) => {
                let totp = totp_for(&secret, &s.email)?;
                Ok(Some(TotpEnrolment {
                    url: totp.get_url(),
                    secret,
                }))
            }
            _ => Ok(None),
        }
    }

    /// Confirms enrolment with a code from the authenticator app.
    pub async fn totp_enable(&self, s: &Session, code: &str) -> Result<()> {
        let user = self.store.read().await?.user(s.user_id).await?;
        let Some(secret) = user.totp_secret.filter(|_| !user.totp_enabled) else {
            return Err(CoreError::new(ErrorCode::TotpNotEnabled));
        };
        let totp = totp_for(&secret, &user.email)?;
        let Some(step) = totp_step(&totp, code, self.now().timestamp()) else {
            return Err(CoreError::invalid("totp", Msg::new("error.totp_invalid")));
        };
        let mut tx = self.store.begin().await?;
        tx.set_totp(s.user_id, Some(&secret), true).await?;
        tx.set_totp_last_step(s.user_id, step).await?;
        self.audit(
            &mut tx,
            &s.actor,
            "totp_enabled",
            format!("user:{}", s.user_id),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        self.sessions.clear();
        Ok(())
    }

    /// Turns TOTP off; needs a current code.
    pub async fn totp_disable(&self, s: &Session, code: &str) -> Result<()> {
        let user = self.store.read().await?.user(s.user_id).await?;
        let (true, Some(secret)) = (user.totp_enabled, user.totp_secret) else {
            return Err(CoreError::new(ErrorCode::TotpNotEnabled));
        };
        let totp = totp_for(&secret, &user.email)?;
        if totp_step(&totp, code, self.now().timestamp()).is_none() {
            return Err(CoreError::invalid("totp", Msg::new("error.totp_invalid")));
        }
        let mut tx = self.store.begin().await?;
        tx.set_totp(s.user_id, None, false).await?;
        self.audit(
            &mut tx,
            &s.actor,
            "totp_disabled",
            format!("user:{}", s.user_id),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        self.sessions.clear();
        Ok(())
    }

    /// Creates a long-lived API token for the caller.
    pub async fn create_api_token(
        &self,
        s: &Session,
        name: &str,
        expires_in_days: Option<i64>,
    ) -> Result<NewApiToken> {
        let mut tx = self.store.begin().await?;
        let token = self
            .issue_api_token(&mut tx, &s.actor, s.user_id, name, expires_in_days)
            .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Validates, stores (hashed) and audits a new API token for `user` in `tx`.
    pub(crate) async fn issue_api_token(
        &self,
        tx: &mut kyoyu_store::Tx,
        actor: &kyoyu_domain::policy::Actor,
        user: kyoyu_domain::UserId,
        name: &str,
        expires_in_days: Option<i64>,
    ) -> Result<NewApiToken> {
        // The length as sent (the contract's maxLength), the name kept without outer spaces.
        if name.chars().count() > 100 {
            return Err(CoreError::invalid("name", Msg::new("invalid.token_name")));
        }
        let name = name.trim();
        if name.is_empty() {
            return Err(CoreError::invalid("name", Msg::new("invalid.token_name")));
        }
        let max = self.config.max_token_days.max(1);
        if let Some(d) = expires_in_days
            && !(1..=max).contains(&d)
        {
            return Err(CoreError::invalid(
                "expires_in_days",
                Msg::new("invalid.token_days").arg("max", max),
            ));
        }
        let now = self.now();
        let days = expires_in_days.unwrap_or(max);
        let expires_at = Some(kyoyu_store::ts(now + Duration::days(days)));
        let token = new_token();
        let id = tx
            .create_token(
                user,
                &token_hash(&token),
                TokenKind::Api,
                name,
                &kyoyu_store::ts(now),
                expires_at.as_deref(),
            )
            .await?;
        self.audit(
            tx,
            actor,
            "api_token_created",
            format!("token:{id}"),
            serde_json::json!({ "user": user, "name": name }),
        )
        .await?;
        Ok(NewApiToken {
            id,
            token,
            expires_at,
        })
    }

    pub async fn api_tokens(&self, s: &Session) -> Result<Vec<ApiTokenInfo>> {
        let rows = self
            .store
            .read()
            .await?
            .user_tokens(s.user_id, TokenKind::Api)
            .await?;
        Ok(rows
            .into_iter()
            .map(|t| ApiTokenInfo {
                id: t.id,
                name: t.name,
                created_at: t.created_at,
                expires_at: t.expires_at,
                last_used_at: t.last_used_at,
            })
            .collect())
    }

    /// Revokes one of the caller's API tokens; `NotFound` for anyone else's.
    pub async fn revoke_api_token(&self, s: &Session, id: i64) -> Result<()> {
        let now = self.now_ts();
        let mut tx = self.store.begin().await?;
        self.sessions.clear();
        if !tx.revoke_token(s.user_id, id, &now).await? {
            return Err(CoreError::not_found());
        }
        self.audit(
            &mut tx,
            &s.actor,
            "api_token_revoked",
            format!("token:{id}"),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
