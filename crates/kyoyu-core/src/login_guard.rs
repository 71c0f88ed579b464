//! Guessing passwords is made slow without letting anyone lock a user out.
//!
//! - **Per client address**: failures (never successes) within a minute are counted; past
//!   `login_failures_per_minute` the address is refused (`throttled`) until the minute is over.
//! - **Per e-mail address**, whether an account has it or not (so no answer tells which
//!   accounts exist): after `max_failed_logins` failures in a row, clients the account has not
//!   seen wait — one minute, then twice as long after each further failure, up to
//!   `lockout_minutes` (`account_locked`). While it waits, the attacker's guesses are not even
//!   checked. The owner still gets in: a right password **with a TOTP code**, or a right
//!   password from **a browser the account logged in from before** (a cookie kyoyu set then),
//!   is checked and accepted as usual. The owner is told by e-mail when the waiting starts.
//!
//! The counts are rows of the database, so every kyoyu process on one PostgreSQL shares them.

use std::net::IpAddr;

use chrono::Duration;
use kyoyu_domain::ErrorCode;
use kyoyu_domain::messages::ja;
use kyoyu_store::UserRow;

use crate::auth::token_hash;
use crate::{Core, CoreError, Result};

/// Who is trying to log in, as the HTTP layer knows them.
#[derive(Debug, Clone, Default)]
pub struct LoginClient {
    /// The client's address (behind a trusted proxy, the forwarded one); `None` from the CLI.
    pub address: Option<IpAddr>,
    /// The browser's device cookie, if it sent one.
    pub device: Option<String>,
    /// Issue a device cookie on success (the web UI's login form).
    pub remember_device: bool,
}

pub(crate) fn address_key(ip: IpAddr) -> String {
    format!("addr:{ip}")
}

pub(crate) fn account_key(email: &str) -> String {
    format!("account:{email}")
}

/// What the guard decided before the password is checked.
pub(crate) struct Admission {
    /// The account is waiting: only the owner's ways in (TOTP, a known browser) are checked.
    pub waiting: bool,
    /// The browser's device cookie belongs to this account.
    pub known_device: bool,
}

impl Core {
    /// Refuses an address over its failure limit; tells whether the account is waiting.
    pub(crate) async fn admit_login(
        &self,
        email: &str,
        user: Option<&UserRow>,
        client: &LoginClient,
    ) -> Result<Admission> {
        let now = self.now();
        let now_ts = kyoyu_store::ts(now);
        let minute_ago = kyoyu_store::ts(now - Duration::seconds(60));
        let mut tx = self.store.read().await?;
        if let Some(ip) = client.address
            && let Some(f) = tx.login_failures(&address_key(ip)).await?
            && f.window_start >= minute_ago
            && f.failures >= i64::from(self.config.login_failures_per_minute)
        {
            return Err(CoreError::new(ErrorCode::Throttled));
        }
        let waiting = tx
            .login_failures(&account_key(email))
            .await?
            .and_then(|f| f.blocked_until)
            .is_some_and(|until| until > now_ts);
        let known_device = match (user, client.device.as_deref()) {
            (Some(u), Some(d)) if !d.is_empty() => {
                tx.login_device_known(u.id, &device_hash(d)).await?
            }
            _ => false,
        };
        Ok(Admission {
            waiting,
            known_device,
        })
    }

    /// Counts a failure for the address and the e-mail address, starts or lengthens the
    /// account's wait at the limit, audits it, and returns the error to answer.
    pub(crate) async fn login_failed(
        &self,
        user: Option<&UserRow>,
        email: &str,
        client: &LoginClient,
        reason: &str,
        otherwise: ErrorCode,
    ) -> Result<CoreError> {
        let now = self.now();
        let now_ts = kyoyu_store::ts(now);
        let mut tx = self.store.begin().await?;
        if let Some(ip) = client.address {
            let minute_ago = kyoyu_store::ts(now - Duration::seconds(60));
            tx.count_login_failure(&address_key(ip), &now_ts, &minute_ago)
                .await?;
        }
        // Failures "in a row" are forgotten after a quiet day.
        let day_ago = kyoyu_store::ts(now - Duration::days(1));
        let key = account_key(email);
        let n = tx.count_login_failure(&key, &now_ts, &day_ago).await?;
        let max = self.config.max_failed_logins.max(1);
        let waiting = n >= max;
        if waiting {
            let wait = wait_minutes(n - max, self.config.lockout_minutes);
            let until = kyoyu_store::ts(now + Duration::minutes(wait));
            tx.block_login(&key, &until).await?;
            if n == max
                && let Some(u) = user
            {
                let link = format!(
                    "{}/account",
                    self.config.notify.base_url.trim_end_matches('/')
                );
                let subject = ja("login.guard_mail_subject", &[]);
                let body = ja(
                    "login.guard_mail_body",
                    &[
                        ("count", &n.to_string()),
                        ("minutes", &wait.to_string()),
                        ("link", &link),
                    ],
                );
                tx.enqueue_email("login_guard", &u.email, &subject, &body, &now_ts)
                    .await?;
            }
        }
        tx.prune_login_failures(&day_ago).await?;
        let details = serde_json::json!({ "reason": reason, "failures": n, "waiting": waiting });
        self.audit_login_failure(&mut tx, user, email, client, details)
            .await?;
        tx.commit().await?;
        Ok(CoreError::new(if waiting {
            ErrorCode::AccountLocked
        } else {
            otherwise
        }))
    }

    /// A refused attempt while the account waits: audited, not counted (the guesses are not
    /// checked, so they teach the guesser nothing and cannot lengthen the owner's wait).
    pub(crate) async fn login_refused_waiting(
        &self,
        user: Option<&UserRow>,
        email: &str,
        client: &LoginClient,
    ) -> Result<CoreError> {
        let mut tx = self.store.begin().await?;
        let details = serde_json::json!({ "reason": "waiting" });
        self.audit_login_failure(&mut tx, user, email, client, details)
            .await?;
        tx.commit().await?;
        Ok(CoreError::new(ErrorCode::AccountLocked))
    }
}

impl Core {
    /// The audit record of a failed login: who was tried, from where, and `details`.
    async fn audit_login_failure(
        &self,
        tx: &mut kyoyu_store::Tx,
        user: Option<&UserRow>,
        email: &str,
        client: &LoginClient,
        mut details: serde_json::Value,
    ) -> Result<()> {
        let target = match user {
            Some(u) => format!("user:{}", u.id),
            None => "user:unknown".to_owned(),
        };
        details["email"] = serde_json::json!(email);
        details["address"] = serde_json::json!(client.address.map(|a| a.to_string()));
        self.audit(
            tx,
            &kyoyu_domain::policy::Actor::Anonymous,
            "login_failed",
            target,
            details,
        )
        .await
    }
}

/// The wait after the `extra`-th failure past the limit: 1, 2, 4, … minutes, at most `cap`.
fn wait_minutes(extra: i64, cap: i64) -> i64 {
    let cap = cap.max(1);
    if extra >= 20 {
        return cap;
    }
    (1i64 << extra.max(0)).min(cap)
}

/// The stored form of a device cookie.
pub(crate) fn device_hash(cookie: &str) -> String {
    token_hash(&format!("kyoyu-device:{cookie}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_the_cap() {
        assert_eq!(wait_minutes(0, 15), 1);
        assert_eq!(wait_minutes(1, 15), 2);
        assert_eq!(wait_minutes(3, 15), 8);
        assert_eq!(wait_minutes(4, 15), 15);
        assert_eq!(wait_minutes(63, 15), 15);
        assert_eq!(wait_minutes(2, 0), 1);
    }
}
