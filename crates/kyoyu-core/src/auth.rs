//! Authentication: passwords (argon2id), TOTP second factor, the login guard's answers,
//! bearer tokens (session and API) stored as SHA-256 hashes, and the turning of a token into
//! an [`Actor`].

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use chrono::Duration;
use kyoyu_domain::Email;
use kyoyu_domain::policy::{Actor, UserActor};
use kyoyu_store::{TokenKind, Tx, UserRow};
use rand::RngCore;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

use kyoyu_domain::{ErrorCode, OrgId, UserId};

use crate::login_guard::{LoginClient, account_key, device_hash};
use crate::{Core, CoreError, Result};

/// A verified caller: who they are and what the policy knows about them.
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub org_id: Option<OrgId>,
    /// Admin rights in force (an admin without TOTP has none when TOTP is required).
    pub is_admin: bool,
    /// The user is an administrator who still has to enrol TOTP.
    pub must_enrol_totp: bool,
    pub totp_enabled: bool,
    pub is_contact: bool,
    pub token_id: i64,
    pub token_kind: TokenKind,
    /// The CSRF token of a browser session: derived from the session token, never stored.
    pub csrf: String,
}

#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub token: String,
    pub expires_at: String,
    pub user_id: UserId,
    /// A new device cookie for the browser (when the client asked for one and had none
    /// this account knows).
    pub device: Option<String>,
}

/// SHA-256 of a bearer token, as stored.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The CSRF token bound to a session token.
pub fn csrf_for(token: &str) -> String {
    hex::encode(Sha256::digest(format!("kyoyu-csrf:{token}").as_bytes()))
}

pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!(
        "ky_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Hashes a password with argon2id (off the async runtime: it takes tens of milliseconds).
pub async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| CoreError::internal(format!("password hashing: {e}")))
    })
    .await
    .map_err(CoreError::internal)?
}

async fn verify_password(password: &str, hash: &str) -> bool {
    let password = password.to_owned();
    let hash = hash.to_owned();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

pub(crate) fn totp_for(secret_b32: &str, account: &str) -> Result<TOTP> {
    let secret = Secret::Encoded(secret_b32.to_owned())
        .to_bytes()
        .map_err(|e| CoreError::internal(format!("stored TOTP secret: {e:?}")))?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        secret,
        Some("kyoyu".to_owned()),
        account.to_owned(),
    )
    .map_err(|e| CoreError::internal(format!("TOTP: {e}")))
}

/// The time step a code is valid for (now, or one step either side), if any.
pub(crate) fn totp_step(totp: &TOTP, code: &str, now: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    [0i64, -30, 30].into_iter().find_map(|skew| {
        let t = (now + skew).max(0);
        (totp.generate(t as u64) == code).then_some(t / 30)
    })
}

impl Core {
    /// Password (and TOTP) login of a client whose address is not known (the command line,
    /// tests): [`Core::login_from`] with no address and no device.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        totp: Option<&str>,
        kind: TokenKind,
    ) -> Result<LoginOutcome> {
        self.login_from(email, password, totp, kind, &LoginClient::default())
            .await
    }

    /// Password (and TOTP) login. Every attempt, successful or not, is audited; failures
    /// are counted by the login guard (`login_guard`), which may refuse before any check.
    pub async fn login_from(
        &self,
        email: &str,
        password: &str,
        totp: Option<&str>,
        kind: TokenKind,
        client: &LoginClient,
    ) -> Result<LoginOutcome> {
        let now = self.now();
        let now_ts = kyoyu_store::ts(now);
        let email = Email::parse(email)
            .map(|e| e.to_string())
            .unwrap_or_else(|_| email.trim().to_lowercase());
        let user = self.store.read().await?.user_by_email(&email).await?;
        let user = user.filter(|u| !u.disabled);
        let admission = self.admit_login(&email, user.as_ref(), client).await?;
        // While the account waits, only its owner's ways in are checked: a TOTP code, or a
        // browser it logged in from before.
        let owner_way = user
            .as_ref()
            .is_some_and(|u| u.totp_enabled || admission.known_device);
        if admission.waiting && !owner_way {
            // The same argon2 work as a real check, so timing tells nothing either.
            let _ = hash_password(password).await;
            return Err(self
                .login_refused_waiting(user.as_ref(), &email, client)
                .await?);
        }
        let Some(user) = user else {
            let _ = hash_password(password).await;
            return Err(self
                .login_failed(
                    None,
                    &email,
                    client,
                    "unknown_or_disabled",
                    ErrorCode::LoginFailed,
                )
                .await?);
        };
        if !verify_password(password, &user.password_hash).await {
            return Err(self
                .login_failed(
                    Some(&user),
                    &email,
                    client,
                    "password",
                    ErrorCode::LoginFailed,
                )
                .await?);
        }
        let mut step = None;
        if user.totp_enabled {
            let Some(code) = totp.filter(|c| !c.trim().is_empty()) else {
                // Waiting, a right password without its code is refused like a wrong one.
                return Err(CoreError::new(
                    if admission.waiting && !admission.known_device {
                        ErrorCode::AccountLocked
                    } else {
                        ErrorCode::TotpRequired
                    },
                ));
            };
            let secret = user.totp_secret.as_deref().unwrap_or_default();
            let t = totp_for(secret, &user.email)?;
            match totp_step(&t, code, now.timestamp()) {
                Some(s) if s > user.totp_last_step => step = Some(s),
                _ => {
                    return Err(self
                        .login_failed(Some(&user), &email, client, "totp", ErrorCode::TotpInvalid)
                        .await?);
                }
            }
        }
        let token = new_token();
        let expires_at = kyoyu_store::ts(now + Duration::hours(self.config.session_hours));
        let device = (client.remember_device && !admission.known_device).then(new_token);
        let mut tx = self.store.begin().await?;
        tx.clear_login_failures(&account_key(&email)).await?;
        if let Some(s) = step {
            tx.set_totp_last_step(user.id, s).await?;
        }
        if let Some(d) = &device {
            tx.add_login_device(user.id, &device_hash(d), &now_ts)
                .await?;
        }
        tx.create_token(
            user.id,
            &token_hash(&token),
            kind,
            "",
            &now_ts,
            Some(&expires_at),
        )
        .await?;
        let actor = self.actor_for(&mut tx, &user).await?;
        self.audit(
            &mut tx,
            &actor,
            "login_succeeded",
            format!("user:{}", user.id),
            serde_json::json!({
                "second_factor": step.is_some(),
                "known_device": admission.known_device,
                "while_waiting": admission.waiting,
                "address": client.address.map(|a| a.to_string()),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(LoginOutcome {
            token,
            expires_at,
            user_id: user.id,
            device,
        })
    }

    /// The actor for a user, with the organisation facts the policy needs.
    pub(crate) async fn actor_for(&self, tx: &mut Tx, user: &UserRow) -> Result<Actor> {
        let org = match user.org_id {
            Some(id) => Some(tx.org_facts(id, &self.reference()).await?),
            None => None,
        };
        Ok(Actor::User(UserActor {
            user_id: user.id,
            org,
            is_contact: user.is_contact,
            is_admin: user.is_admin,
        }))
    }

    /// Turns a bearer token (or session cookie) into a session; `Unauthenticated` when it is
    /// unknown, expired, revoked, or its user is disabled.
    pub async fn authenticate(&self, token: &str) -> Result<Session> {
        let hash = token_hash(token);
        let now = kyoyu_store::ts(self.now());
        if let Some(s) = self.sessions.get(&hash, &now) {
            return Ok(s);
        }
        let mut tx = self.store.read().await?;
        let Some(mut row) = tx.live_token(&hash, &now).await? else {
            return Err(CoreError::unauthenticated());
        };
        // A token stored without an expiry (before `max_token_days` existed) lives that long
        // from its creation, like every token issued since.
        if row.expires_at.is_none() {
            let limit = kyoyu_store::parse_ts(&row.created_at)?
                + Duration::days(self.config.max_token_days.max(1));
            let limit = kyoyu_store::ts(limit);
            if limit <= now {
                return Err(CoreError::unauthenticated());
            }
            row.expires_at = Some(limit);
        }
        let user = tx.user(row.user_id).await?;
        if user.disabled {
            return Err(CoreError::unauthenticated());
        }
        let actor = self.actor_for(&mut tx, &user).await?;
        drop(tx);
        // Last use is kept to the minute, so that reads do not turn into writes on every call.
        let stale = row
            .last_used_at
            .as_deref()
            .is_none_or(|t| t.get(..16) != now.get(..16));
        if stale {
            let mut tx = self.store.begin_quiet().await?;
            tx.touch_token(row.id, &now).await?;
            tx.commit().await?;
        }
        let must_enrol = user.is_admin && self.config.require_admin_totp && !user.totp_enabled;
        let session = Session {
            actor,
            user_id: user.id,
            email: user.email,
            name: user.name,
            org_id: user.org_id,
            is_admin: user.is_admin && !must_enrol,
            must_enrol_totp: must_enrol,
            totp_enabled: user.totp_enabled,
            is_contact: user.is_contact,
            token_id: row.id,
            token_kind: row.kind,
            csrf: csrf_for(token),
        };
        self.sessions
            .put(hash, row.expires_at.clone(), session.clone());
        Ok(session)
    }

    /// Revokes the token the caller used.
    pub async fn logout(&self, session: &Session, token: &str) -> Result<()> {
        let now = self.now_ts();
        let hash = token_hash(token);
        self.sessions.forget(&hash);
        let mut tx = self.store.begin().await?;
        tx.revoke_token_by_hash(&hash, &now).await?;
        self.audit(
            &mut tx,
            &session.actor,
            "logout",
            format!("user:{}", session.user_id),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
