//! kyoyu's use cases: the only way to read or change data. Every call takes the [`Actor`]
//! first; background work runs as `Actor::System`. Every change writes its audit record in the
//! same transaction as the change.

mod accounts;
mod admin;
pub mod advisories;
mod auth;
pub mod demo;
mod error;
pub mod notify;
pub mod reports;

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use kyoyu_domain::policy::Actor;
use kyoyu_domain::reference::ReferenceData;
use kyoyu_store::{NewAudit, Tx};

pub use accounts::{ApiTokenInfo, NewApiToken, TotpEnrolment};
pub use admin::{NewOrgSpec, NewUserSpec};
pub use auth::{LoginOutcome, Session};
pub use error::CoreError;
pub use kyoyu_store::StoreError;
pub use kyoyu_store::{Backend, OrgRow, Store, TokenKind};

pub type Result<T> = std::result::Result<T, CoreError>;

/// Where the time comes from: the real clock in production, a fixed one in tests.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Security settings of the service.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// How long a login session lasts.
    pub session_hours: i64,
    /// Failed logins in a row before the account is locked.
    pub max_failed_logins: i64,
    /// How long a locked account stays locked.
    pub lockout_minutes: i64,
    /// Administrators must enrol TOTP before their admin rights take effect.
    pub require_admin_totp: bool,
    /// Minimum password length.
    pub min_password_len: usize,
    /// E-mail and webhook delivery.
    pub notify: notify::NotifyConfig,
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            session_hours: 12,
            max_failed_logins: 5,
            lockout_minutes: 15,
            require_admin_totp: false,
            min_password_len: 12,
            notify: notify::NotifyConfig::default(),
        }
    }
}

#[derive(Clone)]
pub struct Core {
    store: Store,
    clock: Arc<dyn Clock>,
    config: CoreConfig,
    reference: Arc<RwLock<Arc<ReferenceData>>>,
}

impl Core {
    /// Opens the use-case layer over a migrated store, seeding the reference data from the
    /// bundled file on first start.
    pub async fn new(store: Store, clock: Arc<dyn Clock>, config: CoreConfig) -> Result<Core> {
        let mut tx = store.begin().await?;
        let reference = match tx.reference_data().await? {
            Some((_, data)) => data,
            None => {
                let data = ReferenceData::bundled()
                    .map_err(|e| CoreError::Internal(format!("bundled reference data: {e}")))?;
                let at = kyoyu_store::ts(clock.now());
                tx.put_reference_data(&data, &at, None).await?;
                tx.audit(NewAudit {
                    at: &at,
                    actor_user: None,
                    actor_org: None,
                    action: "reference_data_seeded",
                    target: "reference_data",
                    detail: serde_json::json!({ "sectors": data.sectors.len() }),
                })
                .await?;
                data
            }
        };
        tx.commit().await?;
        Ok(Core {
            store,
            clock,
            config,
            reference: Arc::new(RwLock::new(Arc::new(reference))),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &CoreConfig {
        &self.config
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn now_ts(&self) -> String {
        kyoyu_store::ts(self.clock.now())
    }

    /// The reference data in force.
    pub fn reference(&self) -> Arc<ReferenceData> {
        match self.reference.read() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_reference(&self, data: ReferenceData) {
        let mut guard = match self.reference.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(data);
    }

    /// Appends an audit record for `actor` in `tx`.
    async fn audit(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        action: &str,
        target: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        let at = self.now_ts();
        tx.audit(NewAudit {
            at: &at,
            actor_user: actor.user_id(),
            actor_org: actor.org().map(|o| o.id),
            action,
            target,
            detail,
        })
        .await?;
        Ok(())
    }

    /// Walks the whole audit chain; the error names the first bad record.
    pub async fn audit_verify(
        &self,
    ) -> Result<std::result::Result<u64, kyoyu_domain::audit::ChainError>> {
        let mut tx = self.store.read().await?;
        let (head, head_hash) = tx.audit_head().await?;
        let mut records = Vec::new();
        let mut after = 0;
        loop {
            let batch = tx.audit_records(after, 5000).await?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            records.extend(batch);
        }
        Ok(kyoyu_domain::audit::verify(
            &records,
            Some((head, &head_hash)),
        ))
    }

    /// Whether the database answers.
    pub async fn ready(&self) -> Result<()> {
        self.store.ping().await?;
        Ok(())
    }
}
