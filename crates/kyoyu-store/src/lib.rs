//! Persistence for kyoyu behind one interface, on two backends: embedded SQLite (the default:
//! one file, WAL, foreign keys on, durable commits) and PostgreSQL. One SQL text serves both
//! through sqlx's `Any` driver; the schema differs only in its migrations folder.
//!
//! Every read and write goes through a [`Tx`]. On SQLite, write transactions are serialised in
//! the process (SQLite allows one writer; serialising here avoids busy errors on lock upgrade).
//! On PostgreSQL, concurrent writers coordinate with row locks (counters, audit head).
//!
//! Shared items (reports, advisories) are read only through [`Tx::scoped`], which takes the
//! actor and answers only what the policy admits; their writes take the permit the policy
//! returns. Every write to an item marks it, and [`Tx::commit`] refreshes the read model of
//! each marked item before committing, in the same transaction.

mod access;
mod audit;
mod backup;
pub mod bench;
mod import;
mod items;
mod login_throttle;
mod notifications;
mod orgs;
mod outbox;
mod read_model;
mod reference;
mod risk;
mod saved_searches;
mod scope;
mod sql;
mod synonyms;
#[cfg(feature = "test-hooks")]
pub mod test_hooks;
mod tokens;
mod users;
mod writer;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use kyoyu_domain::{AdvisoryId, ReportId};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection, Executor};
use writer::{Unit, Writer};

pub use access::{
    AdvisoryCountRow, AdvisoryHit, AdvisoryListQuery, AdvisoryListRow, CountRow, DeliveryTiming,
    Facet, FeedCursor, FeedItem, ListPage, ReportBox, ReportHit, ReportListQuery, ReportListRow,
    RequestWithContext, Scoped, SearchFilters, SearchPage, SearchQuery, StatDimension, StatsFilter,
    Timing,
};
pub use audit::NewAudit;
pub use backup::{Census, PgSnapshot, sqlite_file_census};
pub use import::{ImportBase, ImportOrg, PreparedReports, prepare_reports};
pub use items::{Ack, NewAttachment, Transmitted};
pub use login_throttle::LoginFailures;
pub use notifications::NotificationRow;
pub use orgs::{NewOrg, OrgFilter, OrgRow};
pub use outbox::{Notice, OutboxRow, WebhookRow};
pub use read_model::READ_MODEL_VERSION;
pub use risk::{
    CriteriaRow, RiskCandidate, RiskColumns, RiskDoc, RiskHistoryRow, RiskReviewRow, RiskTable,
};
pub use saved_searches::SavedSearchRow;
pub use scope::NewScopeItem;
pub use tokens::{TokenKind, TokenRow};
pub use users::{NewUser, UserRow};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("unsupported database URL `{0}` (use sqlite:… or postgres://…)")]
    BadUrl(String),
    /// The commit that held this transaction's work failed; nothing of it was written.
    #[error("commit failed: {0}")]
    CommitFailed(String),
}

impl StoreError {
    /// The database refused text it cannot store: NUL (PostgreSQL 22021) or a character it
    /// cannot convert (22P05). That is the caller's input, not the service's failure.
    pub fn is_invalid_text(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(db))
            if matches!(db.code().as_deref(), Some("22021" | "22P05")))
    }

    /// The database cannot be reached or cannot write for now — not the request's fault and
    /// not lasting: the connection failed or was cut, no connection freed up in time,
    /// PostgreSQL is shutting down or refusing connections (SQLSTATE class 08, 57P01–57P03,
    /// 53100 disk full), SQLite's disk is full, its file read-only or unreadable (primary codes
    /// 13, 8, 10, 14).
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Db(e) = self else {
            return matches!(self, StoreError::CommitFailed(_));
        };
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => true,
            // PostgreSQL's SQLSTATEs have five characters; SQLite's codes are numbers of at
            // most four digits, the primary code in the low byte.
            sqlx::Error::Database(db) => match db.code().as_deref() {
                Some(code) if code.len() == 5 => {
                    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53100")
                }
                Some(code) => code
                    .parse::<i64>()
                    .is_ok_and(|c| matches!(c & 0xff, 8 | 10 | 13 | 14)),
                None => false,
            },
            _ => false,
        }
    }

    /// Maps a unique-constraint violation to `Conflict`, naming what collided.
    fn conflict_or(e: sqlx::Error, what: impl Into<String>) -> StoreError {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(what.into())
            }
            _ => StoreError::Db(e),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names: `postgres://…`/`postgresql://…` or `sqlite:…`.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Formats a time the way the store keeps it: RFC 3339, UTC, microseconds, fixed width, so that
/// text order is time order on both backends.
pub fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("bad timestamp `{s}`: {e}")))
}

/// The file a `sqlite:PATH` or `sqlite://PATH` URL names (without its query), or `None`.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    Some(std::path::PathBuf::from(
        rest.split('?').next().unwrap_or(rest),
    ))
}

/// The newest migration this build knows for a backend: a copy made by a newer kyoyu has a
/// higher one and cannot be opened here.
pub fn schema_version(backend: Backend) -> i64 {
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite's one writer connection, with group commit; every write transaction runs on it.
    writer: Option<Arc<Writer>>,
    /// Raised after every commit that may change what someone sees.
    generation: Arc<AtomicU64>,
}

/// Connection-pool figures for metrics.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
}

impl Store {
    /// Opens the database a URL names: `sqlite:PATH` or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store> {
        match Backend::of_url(url) {
            Some(Backend::Postgres) => Self::open_postgres(url, None).await,
            Some(Backend::Sqlite) => match sqlite_file(url) {
                Some(path) => Self::open_sqlite(&path).await,
                None => Err(StoreError::BadUrl(url.to_owned())),
            },
            None => Err(StoreError::BadUrl(url.to_owned())),
        }
    }

    /// Opens (creating if needed) the SQLite database file at `path`.
    pub async fn open_sqlite(path: &Path) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let opts: AnyConnectOptions = url.parse()?;
        Self::use_wal(&opts).await?;
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    // FULL sync for durable commits (also in WAL mode: a commit survives a power
                    // cut), foreign keys on, and a busy timeout for other processes' writers.
                    conn.execute("PRAGMA synchronous = FULL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    Ok(())
                })
            })
            .connect_with(opts.clone())
            .await?;
        let mut conn = sqlx::AnyConnection::connect_with(&opts).await?;
        conn.execute("PRAGMA synchronous = FULL").await?;
        conn.execute("PRAGMA foreign_keys = ON").await?;
        conn.execute("PRAGMA busy_timeout = 10000").await?;
        // The writer runs each unit of a group commit in a savepoint, whose statement journal
        // would otherwise be a temporary file on disk; it lives in memory, with a page cache
        // of 16 MiB so that the indexes a commit touches stay in memory too.
        conn.execute("PRAGMA temp_store = MEMORY").await?;
        conn.execute("PRAGMA cache_size = -16384").await?;
        let generation = Arc::new(AtomicU64::new(0));
        Ok(Store {
            pool,
            backend: Backend::Sqlite,
            writer: Some(Writer::new(conn, generation.clone())),
            generation,
        })
    }

    /// Switches the database file to write-ahead logging before the pool opens. WAL persists in
    /// the file, so this is a no-op after the first start; without it long readers block commits
    /// and a waiting writer blocks new readers. Switching needs a moment of exclusive access,
    /// which no busy timeout waits for, so another process starting at the same time is retried.
    async fn use_wal(opts: &AnyConnectOptions) -> Result<()> {
        use sqlx::{ConnectOptions, Row};
        let mut last = None;
        for attempt in 0..50u64 {
            let mut conn = opts.connect().await?;
            conn.execute("PRAGMA busy_timeout = 10000").await?;
            let mode = sqlx::query("PRAGMA journal_mode = WAL")
                .fetch_one(&mut conn)
                .await
                .and_then(|row| row.try_get::<String, _>(0));
            conn.close().await?;
            match mode {
                Ok(m) if m.eq_ignore_ascii_case("wal") => return Ok(()),
                Ok(m) => {
                    return Err(StoreError::Corrupt(format!(
                        "SQLite refused WAL mode (journal_mode is `{m}`)"
                    )));
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(20 + 10 * attempt)).await;
        }
        Err(last
            .map(StoreError::Db)
            .unwrap_or_else(|| StoreError::Corrupt("could not switch SQLite to WAL mode".into())))
    }

    /// Opens a PostgreSQL database; with `schema`, every connection works inside that schema
    /// (tests give each run its own).
    pub async fn open_postgres(url: &str, schema: Option<&str>) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let opts: AnyConnectOptions = url.parse()?;
        let schema = schema.map(|s| s.to_owned());
        // A request waits at most 10 s for a connection: when PostgreSQL is unreachable it
        // answers 503 `unavailable` then, and the pool reconnects by itself once it is back.
        let pool = AnyPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                let schema = schema.clone();
                Box::pin(async move {
                    if let Some(schema) = schema {
                        // The schema name is generated by the caller from [a-z0-9_].
                        conn.execute(format!("SET search_path TO {schema}").as_str())
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await?;
        Ok(Store {
            pool,
            backend: Backend::Postgres,
            writer: None,
            generation: Arc::new(AtomicU64::new(0)),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies pending migrations; safe to run on every start and from several processes.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: self.pool.num_idle() as u32,
        }
    }

    /// A transaction that may write. Commit it; dropping it rolls back.
    pub async fn begin(&self) -> Result<Tx> {
        self.begin_write(false).await
    }

    /// A write transaction that changes nothing any list or page shows — audit records of
    /// reads, the outbox, a token's last use — so that its commit does not raise the
    /// generation (and does not empty caches keyed by it).
    pub async fn begin_quiet(&self) -> Result<Tx> {
        self.begin_write(true).await
    }

    async fn begin_write(&self, quiet: bool) -> Result<Tx> {
        let conn = match &self.writer {
            Some(w) => Conn::Unit(w.begin().await?),
            None => Conn::Own(self.pool.begin().await?),
        };
        Ok(Tx {
            conn,
            backend: self.backend,
            write: true,
            quiet,
            generation: self.generation.clone(),
            dirty_reports: BTreeSet::new(),
            dirty_advisories: BTreeSet::new(),
            pending_audits: Vec::new(),
            deferred: Vec::new(),
        })
    }

    /// A transaction for reading only (never waits for the writer).
    pub async fn read(&self) -> Result<Tx> {
        let tx = self.pool.begin().await?;
        Ok(Tx {
            conn: Conn::Own(tx),
            backend: self.backend,
            write: false,
            quiet: true,
            generation: self.generation.clone(),
            dirty_reports: BTreeSet::new(),
            dirty_advisories: BTreeSet::new(),
            pending_audits: Vec::new(),
            deferred: Vec::new(),
        })
    }

    /// A number raised after every commit of this process that may change what someone sees
    /// (every write transaction but quiet ones). A result computed after reading generation
    /// `g` is current for as long as the generation is still `g` — and other processes'
    /// writes are not counted.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Refreshes the planner's statistics after a bulk write (an import, a rebuilt read model):
    /// PostgreSQL's autovacuum would analyse the new rows only later, and until then plans
    /// guessed from empty tables read whole tables. SQLite plans from its indexes alone.
    pub async fn refresh_statistics(&self) -> Result<()> {
        if self.backend == Backend::Postgres {
            self.pool.execute("ANALYZE").await?;
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// One database transaction. All store operations are methods on it.
pub struct Tx {
    conn: Conn,
    backend: Backend,
    write: bool,
    quiet: bool,
    generation: Arc<AtomicU64>,
    /// Items changed in this transaction, whose read-model rows `commit` refreshes.
    dirty_reports: BTreeSet<ReportId>,
    dirty_advisories: BTreeSet<AdvisoryId>,
    /// Audit records written when the transaction commits.
    pending_audits: Vec<NewAudit>,
    /// Writes nothing in the transaction reads back (read-model rows, notifications, the
    /// outbox, audit records), sent at commit in one round trip on SQLite.
    deferred: Vec<sql::Sql>,
}

/// Where a transaction runs: a pooled connection of its own (reads; PostgreSQL writes) or its
/// turn on SQLite's writer.
enum Conn {
    Own(sqlx::Transaction<'static, sqlx::Any>),
    Unit(Unit),
}

impl Tx {
    /// Refreshes the read model of every item this transaction changed, then commits: the
    /// read model can never disagree with what committed. Answers once the work is durable.
    pub async fn commit(mut self) -> Result<()> {
        let reports = std::mem::take(&mut self.dirty_reports);
        let advisories = std::mem::take(&mut self.dirty_advisories);
        for id in reports {
            read_model::refresh_report(&mut self, id).await?;
        }
        for id in advisories {
            read_model::refresh_advisory(&mut self, id).await?;
        }
        match self.backend {
            // One round trip for everything deferred, the audit rows included.
            Backend::Sqlite => {
                self.write_pending_audits().await?;
                self.run_deferred().await?;
            }
            // The audit chain's head is a row lock that concurrent committers queue on: it is
            // taken last, after the other deferred writes, so that it is held for the audit rows
            // and the commit only.
            Backend::Postgres => {
                self.run_deferred().await?;
                let recs = std::mem::take(&mut self.pending_audits);
                if !recs.is_empty() {
                    self.audit_many(&recs).await?;
                }
            }
        }
        let visible = self.write && !self.quiet;
        match self.conn {
            Conn::Own(tx) => {
                tx.commit().await?;
                if visible {
                    self.generation.fetch_add(1, Ordering::SeqCst);
                }
            }
            Conn::Unit(unit) => unit.commit(visible).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        match &mut self.conn {
            Conn::Own(tx) => tx,
            Conn::Unit(unit) => unit.conn(),
        }
    }

    /// Keeps a write for the end of the transaction. Only for statements whose effect nothing
    /// later in the same transaction reads; build them with `Sql::bulk`.
    pub(crate) fn defer(&mut self, sql: sql::Sql) {
        self.deferred.push(sql);
    }

    /// Runs the deferred writes in order: on SQLite as one multi-statement round trip (sqlx
    /// binds the anonymous placeholders of all statements in order), on PostgreSQL one by one.
    async fn run_deferred(&mut self) -> Result<()> {
        let batch = std::mem::take(&mut self.deferred);
        if batch.is_empty() {
            return Ok(());
        }
        match self.backend {
            Backend::Sqlite => {
                let mut all = sql::Sql::bulk("", Backend::Sqlite);
                for s in batch {
                    all.text.push_str(&s.text);
                    all.text.push_str(";\n");
                    all.args.extend(s.args);
                }
                all.query().execute(self.conn()).await?;
            }
            Backend::Postgres => {
                for s in batch {
                    s.query().execute(self.conn()).await?;
                }
            }
        }
        Ok(())
    }

    pub(crate) fn touched_report(&mut self, id: ReportId) {
        self.dirty_reports.insert(id);
    }

    pub(crate) fn touched_advisory(&mut self, id: AdvisoryId) {
        self.dirty_advisories.insert(id);
    }

    /// Takes the next value of a named counter (`R`, `T`, …) atomically: gapless, because the
    /// increment commits or rolls back with the transaction that uses the number, and unique,
    /// because the row lock (PostgreSQL) or the single writer (SQLite) orders concurrent takers.
    pub async fn next_counter(&mut self, name: &str) -> Result<i64> {
        sqlx::query(
            "INSERT INTO counters (name, value) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .execute(self.conn())
        .await?;
        let row =
            sqlx::query("UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value")
                .bind(name)
                .fetch_one(self.conn())
                .await?;
        Ok(sqlx::Row::try_get(&row, "value")?)
    }
}
