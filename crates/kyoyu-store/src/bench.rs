//! What the benchmark harness (`kyoyu bench`) needs of the database besides kyoyu itself: a
//! database of its own on a PostgreSQL server, and the baseline of W1 — a minimal program of
//! durable one-row transactions of the same bytes, as many as the database and the disk allow.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::{Connection, Executor};

use crate::Result;

/// Creates (or with `fresh`, re-creates) the database `name` on the server of `admin_url`, and
/// returns its URL.
pub async fn create_database(admin_url: &str, name: &str, fresh: bool) -> Result<(String, bool)> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(admin_url).await?;
    let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut conn)
        .await?
        .is_some();
    // The name is the harness's own, from [a-z0-9_].
    if exists && fresh {
        sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await?;
    }
    if !exists || fresh {
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    let url = match admin_url.rfind('/') {
        Some(i) => format!("{}/{name}", &admin_url[..i]),
        None => format!("{admin_url}/{name}"),
    };
    Ok((url, !exists || fresh))
}

/// One writer's connection: SQLite's single one behind a lock (as any program has it), or one
/// PostgreSQL connection each.
enum Conns {
    Sqlite(Arc<tokio::sync::Mutex<sqlx::AnyConnection>>),
    Postgres(sqlx::AnyPool),
}

/// Durable transactions per second: `concurrency` writers each committing one row of
/// `payload` at a time, each its own transaction, into a table of its own in the database at
/// `url` (`sqlite:PATH`, WAL and full sync as kyoyu has it, or `postgres://…`), for `duration`.
pub async fn durable_insert_baseline(
    url: &str,
    payload: &str,
    concurrency: usize,
    duration: Duration,
) -> Result<f64> {
    sqlx::any::install_default_drivers();
    let conns = if let Some(path) = url.strip_prefix("sqlite:") {
        let mut c = sqlx::AnyConnection::connect(&format!("sqlite://{path}?mode=rwc")).await?;
        c.execute("PRAGMA journal_mode = WAL").await?;
        c.execute("PRAGMA synchronous = FULL").await?;
        Conns::Sqlite(Arc::new(tokio::sync::Mutex::new(c)))
    } else {
        Conns::Postgres(
            sqlx::any::AnyPoolOptions::new()
                .max_connections(concurrency.max(1) as u32)
                .connect(url)
                .await?,
        )
    };
    let setup = "DROP TABLE IF EXISTS bench_baseline; \
                 CREATE TABLE bench_baseline (n BIGINT NOT NULL, body TEXT NOT NULL)";
    match &conns {
        Conns::Sqlite(c) => {
            c.lock().await.execute(setup).await?;
        }
        Conns::Postgres(p) => {
            p.execute(setup).await?;
        }
    }
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let conns = match &conns {
            Conns::Sqlite(c) => Conns::Sqlite(c.clone()),
            Conns::Postgres(p) => Conns::Postgres(p.clone()),
        };
        let count = count.clone();
        let payload = payload.to_owned();
        tasks.push(tokio::spawn(async move {
            while start.elapsed() < duration {
                let n = count.load(Ordering::Relaxed) as i64;
                match &conns {
                    Conns::Sqlite(c) => {
                        let mut c = c.lock().await;
                        let mut tx = c.begin_with("BEGIN IMMEDIATE").await?;
                        insert(&mut tx, n, &payload).await?;
                        tx.commit().await?;
                    }
                    Conns::Postgres(p) => {
                        let mut tx = p.begin().await?;
                        insert(&mut tx, n, &payload).await?;
                        tx.commit().await?;
                    }
                }
                count.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), crate::StoreError>(())
        }));
    }
    for t in tasks {
        t.await
            .map_err(|e| crate::StoreError::Corrupt(format!("baseline writer: {e}")))??;
    }
    let secs = start.elapsed().as_secs_f64();
    match &conns {
        Conns::Sqlite(c) => {
            c.lock().await.execute("DROP TABLE bench_baseline").await?;
        }
        Conns::Postgres(p) => {
            p.execute("DROP TABLE bench_baseline").await?;
            p.close().await;
        }
    }
    Ok(count.load(Ordering::Relaxed) as f64 / secs)
}

async fn insert(conn: &mut sqlx::AnyConnection, n: i64, payload: &str) -> Result<()> {
    sqlx::query("INSERT INTO bench_baseline (n, body) VALUES ($1, $2)")
        .bind(n)
        .bind(payload)
        .execute(conn)
        .await?;
    Ok(())
}
