//! Multi-row `INSERT`s: the read model writes a handful of rows per item, and the corpus
//! generator and `reindex` write millions; one statement per few thousand values keeps both
//! databases busy with data rather than with round trips.

use crate::sql::{Arg, Sql};
use crate::{Result, Tx};

/// Values per statement: well below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const MAX_PARAMS: usize = 8_000;

/// The statements that insert `rows` (each with one value per column) into `table`.
pub(crate) fn insert_sql(
    backend: crate::Backend,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Arg>],
) -> Vec<Sql> {
    insert_sql_owned(backend, table, columns, rows.to_vec())
}

/// [`insert_sql`] taking the rows, so that bulk imports move their values instead of copying.
pub(crate) fn insert_sql_owned(
    backend: crate::Backend,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
) -> Vec<Sql> {
    let per = (MAX_PARAMS / columns.len().max(1)).max(1);
    let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut out = Vec::with_capacity(rows.len().div_ceil(per));
    let mut sql = Sql::bulk(&head, backend);
    let mut in_sql = 0usize;
    for row in rows {
        if in_sql == per {
            out.push(std::mem::replace(&mut sql, Sql::bulk(&head, backend)));
            in_sql = 0;
        }
        sql.push(if in_sql > 0 { ", (" } else { "(" });
        for (j, v) in row.into_iter().enumerate() {
            if j > 0 {
                sql.push(", ");
            }
            sql.bind(v);
        }
        sql.push(")");
        in_sql += 1;
    }
    if in_sql > 0 {
        out.push(sql);
    }
    out
}

/// [`insert_rows`] at the end of the transaction (see `Tx::defer`).
pub(crate) fn defer_rows(tx: &mut Tx, table: &str, columns: &[&str], rows: &[Vec<Arg>]) {
    for sql in insert_sql(tx.backend(), table, columns, rows) {
        tx.defer(sql);
    }
}

/// Inserts `rows` (each with one value per column) into `table`.
pub(crate) async fn insert_rows(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Arg>],
) -> Result<()> {
    for sql in insert_sql(tx.backend(), table, columns, rows) {
        sql.query().execute(tx.conn()).await?;
    }
    Ok(())
}
