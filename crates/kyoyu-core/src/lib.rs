//! kyoyu's use cases: the only way to read or change data. Every call takes the [`Actor`]
//! (or a [`Session`] holding one) first; background work runs as `Actor::System`. Every
//! change writes its audit record in the same transaction as the change; reads of non-White
//! items are audited through a buffer that never makes readers wait for the writer.
//!
//! One module per group of use cases: `reports/*` and `advisories/*` hold one file per action.

mod accounts;
mod admin;
pub mod advisories;
mod audit;
mod auth;
pub mod demo;
mod directory;
pub mod documents;
mod error;
pub mod exchange;
pub mod generate;
mod list_cache;
mod login_guard;
pub mod notify;
pub mod reports;
pub mod risk;
pub mod search;
mod session_cache;
pub mod stats;
pub mod workbench;

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use kyoyu_domain::reference::ReferenceData;
use kyoyu_store::NewAudit;

pub use accounts::{ApiTokenInfo, NewApiToken, TotpEnrolment};
pub use admin::{NewOrgSpec, NewUserSpec};
pub use auth::{LoginOutcome, Session};
pub use directory::OrgRef;
pub use error::CoreError;
pub use kyoyu_domain::ErrorCode;
pub use kyoyu_store::StoreError;
pub use kyoyu_store::{Backend, OrgRow, PoolStats, TokenKind};
pub use login_guard::LoginClient;

pub type Result<T> = std::result::Result<T, CoreError>;

/// Where the time comes from: the real clock in production, a fixed one in tests. Nothing
/// else in the service reads the time.
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
    /// Failed logins in a row (for one e-mail address) before clients the account has not
    /// seen must wait; see `login_guard`.
    pub max_failed_logins: i64,
    /// The longest such wait (it starts at one minute and doubles with each failure).
    pub lockout_minutes: i64,
    /// Failed logins from one client address per minute before the address is refused.
    pub login_failures_per_minute: u32,
    /// The longest an API token may live, in days: a token asked for without an expiry gets
    /// this one, and older tokens stored without one stop working this long after creation.
    pub max_token_days: i64,
    /// Administrators must enrol TOTP before their admin rights take effect.
    pub require_admin_totp: bool,
    /// Minimum password length.
    pub min_password_len: usize,
    /// How long a verified token is trusted without asking the database again. A token
    /// revoked through another server process stops working within this time; in this process
    /// at once.
    pub session_cache_seconds: u64,
    /// How long a list page is replayed to the same caller while nothing changed (SQLite
    /// only; see `list_cache`). 0 turns it off.
    pub list_cache_seconds: u64,
    /// E-mail and webhook delivery.
    pub notify: notify::NotifyConfig,
    /// Statistics hide a count of fewer threads than this that the viewer neither
    /// originated nor passed on (1 hides nothing).
    pub stats_min_cell: u64,
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            session_hours: 12,
            max_failed_logins: 5,
            lockout_minutes: 15,
            login_failures_per_minute: 30,
            max_token_days: 365,
            require_admin_totp: false,
            min_password_len: 12,
            session_cache_seconds: 5,
            list_cache_seconds: 5,
            notify: notify::NotifyConfig::default(),
            stats_min_cell: 3,
        }
    }
}

#[derive(Clone)]
pub struct Core {
    store: kyoyu_store::Store,
    clock: Arc<dyn Clock>,
    config: Arc<CoreConfig>,
    reference: Arc<RwLock<Arc<ReferenceData>>>,
    sessions: Arc<session_cache::SessionCache>,
    lists: Arc<list_cache::ListCache>,
    read_audits: audit::ReadAudits,
    /// The installation's key (exchanged objects' ids derive from it).
    installation: Arc<str>,
}

impl Core {
    /// Opens the use-case layer over a migrated store: seeds the reference data from the
    /// bundled file on first start, and rebuilds the read model when this binary's rules are
    /// newer than the ones that built it.
    pub async fn new(
        store: kyoyu_store::Store,
        clock: Arc<dyn Clock>,
        config: CoreConfig,
    ) -> Result<Core> {
        let mut tx = store.begin().await?;
        let reference = match tx.reference_data().await? {
            Some((_, data)) => data,
            None => {
                let data = ReferenceData::bundled()
                    .map_err(|e| CoreError::internal(format!("bundled reference data: {e}")))?;
                let at = kyoyu_store::ts(clock.now());
                tx.put_reference_data(&data, &at, None).await?;
                tx.audit(&NewAudit {
                    at,
                    actor_user: None,
                    actor_org: None,
                    action: "reference_data_seeded".into(),
                    target: "reference_data".into(),
                    detail: serde_json::json!({ "sectors": data.sectors.len() }),
                })
                .await?;
                data
            }
        };
        let installation: Arc<str> = tx.installation_key().await?.into();
        let rebuilt = tx.read_model_version().await? != kyoyu_store::READ_MODEL_VERSION;
        if rebuilt {
            let n = tx.reindex().await?;
            tracing::info!(items = n, "read model rebuilt for this version");
        }
        tx.commit().await?;
        if rebuilt {
            store.refresh_statistics().await?;
        }
        let sessions = Arc::new(session_cache::SessionCache::new(
            config.session_cache_seconds,
        ));
        let lists = Arc::new(list_cache::ListCache::new(match store.backend() {
            Backend::Sqlite => config.list_cache_seconds,
            Backend::Postgres => 0,
        }));
        Ok(Core {
            read_audits: audit::ReadAudits::start(store.clone()),
            lists,
            store,
            clock,
            config: Arc::new(config),
            reference: Arc::new(RwLock::new(Arc::new(reference))),
            sessions,
            installation,
        })
    }

    pub fn config(&self) -> &CoreConfig {
        &self.config
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Today's date in Japan (the calendar of routine information, deadlines shown as dates).
    pub fn today_jst(&self) -> chrono::NaiveDate {
        self.clock
            .now()
            .with_timezone(&kyoyu_domain::wareki::jst())
            .date_naive()
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

    /// Whether the database answers.
    pub async fn ready(&self) -> Result<()> {
        self.store.ping().await?;
        Ok(())
    }

    /// Which database backs the service (for `/readyz` and logs).
    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// Connection-pool figures for metrics.
    pub fn pool_stats(&self) -> PoolStats {
        self.store.pool_stats()
    }

    /// Writes out buffered read audits and closes the database (on shutdown).
    pub async fn shutdown(&self) {
        self.flush_audits().await;
        self.store.close().await;
    }
}
