//! Test databases for every crate's tests: a fresh SQLite file always, and a fresh PostgreSQL
//! schema when `KYOYU_TEST_PG` holds a URL. Each test gets its own, so tests run in parallel.
//! With `KYOYU_TEST_PG` set, an unreachable server fails the test: CI must not skip PostgreSQL.

use kyoyu_store::{Result, Store, StoreError};
use rand::Rng;

pub struct TestDb {
    pub store: Store,
    pub label: &'static str,
    /// The database URL a second server process would use (SQLite file or PostgreSQL URL).
    pub url: String,
    /// The PostgreSQL schema, if any.
    pub schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A migrated SQLite database in a temporary directory.
    pub async fn sqlite() -> Result<TestDb> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let path = dir.path().join("kyoyu.db");
        let store = Store::open_sqlite(&path).await?;
        store.migrate().await?;
        Ok(TestDb {
            store,
            label: "sqlite",
            url: format!("sqlite:{}", path.display()),
            schema: None,
            _dir: Some(dir),
        })
    }

    /// A migrated PostgreSQL schema of its own, if `KYOYU_TEST_PG` is set.
    pub async fn postgres() -> Option<Result<TestDb>> {
        let url = std::env::var("KYOYU_TEST_PG")
            .ok()
            .filter(|u| !u.is_empty())?;
        Some(Self::postgres_at(&url).await)
    }

    async fn postgres_at(url: &str) -> Result<TestDb> {
        sqlx::any::install_default_drivers();
        let n: u64 = rand::thread_rng().r#gen();
        let schema = format!("kyoyu_t_{n:016x}");
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(url).await?;
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .await?;
        <sqlx::AnyConnection as sqlx::Connection>::close(conn).await?;
        let store = Store::open_postgres(url, Some(&schema)).await?;
        store.migrate().await?;
        Ok(TestDb {
            store,
            label: "postgres",
            url: url.to_owned(),
            schema: Some(schema),
            _dir: None,
        })
    }

    /// Every backend this run tests. Panics (failing the test) when PostgreSQL is configured
    /// but unreachable.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = Vec::new();
        match Self::sqlite().await {
            Ok(db) => dbs.push(db),
            Err(e) => panic!("cannot create a SQLite test database: {e}"),
        }
        if let Some(pg) = Self::postgres().await {
            match pg {
                Ok(db) => dbs.push(db),
                Err(e) => panic!(
                    "KYOYU_TEST_PG is set but PostgreSQL is not usable ({e}); start it with `pg_ctlcluster $(ls /etc/postgresql) main start`"
                ),
            }
        }
        dbs
    }

    /// Drops the PostgreSQL schema (the SQLite directory goes with the value).
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some(schema) = &self.schema
            && let Ok(mut conn) =
                <sqlx::AnyConnection as sqlx::Connection>::connect(&self.url).await
        {
            let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&mut conn)
                .await;
        }
    }
}

/// Runs `sql` against the audit log as someone with direct database access would: checks that
/// the append-only trigger refuses it, drops the trigger, and runs it. `url` is a database URL
/// (`sqlite:…` or `postgres://…`), `schema` the PostgreSQL schema if any.
pub async fn tamper_with_audit_log(url: &str, schema: Option<&str>, sql: &str) -> Result<()> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    if let Some(schema) = schema {
        sqlx::query(&format!("SET search_path TO {schema}"))
            .execute(&mut conn)
            .await?;
    }
    match sqlx::query(sql).execute(&mut conn).await {
        Err(e) if e.to_string().contains("append-only") => {}
        other => panic!("the append-only trigger did not refuse `{sql}`: {other:?}"),
    }
    let drops: &[&str] = if url.starts_with("postgres") {
        &["DROP TRIGGER audit_log_append_only ON audit_log"]
    } else {
        &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ]
    };
    for d in drops {
        sqlx::query(d).execute(&mut conn).await?;
    }
    sqlx::query(sql).execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

impl TestDb {
    /// A second, independent connection pool to the same database.
    pub async fn reopen(&self) -> Result<Store> {
        match &self.schema {
            Some(schema) => Store::open_postgres(&self.url, Some(schema)).await,
            None => Store::open(&self.url).await,
        }
    }
}
