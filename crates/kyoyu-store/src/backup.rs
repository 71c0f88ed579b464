//! Consistent online copies of the database, and the census that proves a copy whole.
//!
//! SQLite: `VACUUM INTO` writes a transactionally consistent copy of the live database while
//! writers go on (in WAL mode a reader's snapshot never blocks them), attachments included —
//! they are rows. PostgreSQL: a repeatable-read, read-only transaction exports its snapshot,
//! counts the census inside it, and `pg_dump --snapshot` (run by the caller) dumps exactly what
//! that transaction sees while the transaction is held open.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sqlx::any::AnyConnectOptions;
use sqlx::{Connection, Executor, Row};

use crate::{Backend, Result, Store, StoreError};

/// What a backup holds, counted in the same snapshot: a restore must find the same figures and
/// an intact audit chain ending at the same head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Census {
    /// The newest migration applied (the schema version of the copy).
    pub migration: i64,
    pub orgs: i64,
    pub users: i64,
    pub reports: i64,
    pub report_versions: i64,
    pub advisories: i64,
    pub advisory_editions: i64,
    /// Stored files (別紙, 検体, advisory attachments), each once by content.
    pub files: i64,
    pub file_bytes: i64,
    pub audit_records: i64,
    pub audit_head_seq: i64,
    pub audit_head_hash: String,
}

const CENSUS: &str = "SELECT \
    (SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM _sqlx_migrations WHERE success) AS migration, \
    (SELECT COUNT(*) FROM orgs) AS orgs, \
    (SELECT COUNT(*) FROM users) AS users, \
    (SELECT COUNT(*) FROM reports) AS reports, \
    (SELECT COUNT(*) FROM report_versions) AS report_versions, \
    (SELECT COUNT(*) FROM advisories) AS advisories, \
    (SELECT COUNT(*) FROM advisory_editions) AS advisory_editions, \
    (SELECT COUNT(*) FROM blobs) AS files, \
    (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM blobs) AS file_bytes, \
    (SELECT COUNT(*) FROM audit_log) AS audit_records, \
    (SELECT seq FROM audit_head WHERE id = 1) AS audit_head_seq, \
    (SELECT hash FROM audit_head WHERE id = 1) AS audit_head_hash";

async fn census_on<'c, E>(e: E) -> Result<Census>
where
    E: Executor<'c, Database = sqlx::Any>,
{
    let row = sqlx::query(CENSUS).fetch_one(e).await?;
    Ok(Census {
        migration: row.try_get("migration")?,
        orgs: row.try_get("orgs")?,
        users: row.try_get("users")?,
        reports: row.try_get("reports")?,
        report_versions: row.try_get("report_versions")?,
        advisories: row.try_get("advisories")?,
        advisory_editions: row.try_get("advisory_editions")?,
        files: row.try_get("files")?,
        file_bytes: row.try_get("file_bytes")?,
        audit_records: row.try_get("audit_records")?,
        audit_head_seq: row.try_get("audit_head_seq")?,
        audit_head_hash: row.try_get("audit_head_hash")?,
    })
}

/// A PostgreSQL snapshot held open for `pg_dump --snapshot`: drop or [`PgSnapshot::finish`]
/// it only after the dump has ended.
pub struct PgSnapshot {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    /// The identifier `pg_dump --snapshot` takes.
    pub id: String,
    /// The census counted in that snapshot.
    pub census: Census,
}

impl PgSnapshot {
    pub async fn finish(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

impl Store {
    /// The census of the live database, in one read transaction.
    pub async fn census(&self) -> Result<Census> {
        let mut tx = self.read().await?;
        census_on(tx.conn()).await
    }

    /// Writes a consistent copy of the SQLite database to `dest` (which must not exist) while
    /// the service keeps writing.
    pub async fn copy_sqlite_into(&self, dest: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::BadUrl("VACUUM INTO needs SQLite".into()));
        }
        let dest = dest
            .to_str()
            .ok_or_else(|| StoreError::BadUrl(format!("{}", dest.display())))?;
        sqlx::query("VACUUM INTO $1")
            .bind(dest.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Opens a repeatable-read snapshot of the PostgreSQL database, exports it and counts its
    /// census inside it.
    pub async fn pg_snapshot(&self) -> Result<PgSnapshot> {
        if self.backend != Backend::Postgres {
            return Err(StoreError::BadUrl("pg_dump needs PostgreSQL".into()));
        }
        let mut tx = self.pool.begin().await?;
        (&mut *tx)
            .execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let id: String = sqlx::query("SELECT pg_export_snapshot() AS id")
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
        let census = census_on(&mut *tx).await?;
        Ok(PgSnapshot { tx, id, census })
    }

    /// Whether the database holds kyoyu's tables already (a restore then needs `--force`).
    pub async fn has_schema(&self) -> Result<bool> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'reports'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'reports'"
            }
        };
        let n: i64 = sqlx::query(sql).fetch_one(&self.pool).await?.try_get("n")?;
        Ok(n > 0)
    }
}

/// Checks a SQLite database file that no process is using — a backup's copy — for structural
/// integrity, read-only, and counts its census. A damaged file is `Corrupt`, naming SQLite's
/// first complaint.
pub async fn sqlite_file_census(path: &Path) -> Result<Census> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro", path.display());
    let opts: AnyConnectOptions = url.parse()?;
    let mut conn = sqlx::AnyConnection::connect_with(&opts).await?;
    let check: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await?
        .try_get(0)?;
    if check != "ok" {
        return Err(StoreError::Corrupt(check));
    }
    let census = census_on(&mut conn).await;
    conn.close().await?;
    census
}
