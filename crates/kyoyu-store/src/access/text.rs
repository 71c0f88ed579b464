//! A free-text [`Query`] as SQL over the search rows of the read model: the one place that
//! decides how a word is matched on each database (see `migrations/*/0010_search.sql`).
//!
//! - SQLite: a word of three characters or more through the FTS5 trigram index (a phrase of
//!   trigrams is exactly a substring); a two-character word by `instr` on the folded text.
//! - PostgreSQL: `LIKE '%word%'` on the folded text, which the pg_trgm GIN index serves for
//!   three characters or more.
//!
//! A word that is an item number also matches the number column. The predicate names only
//! the row's key, so it joins any query of the read model as one more condition beside the
//! scope predicate — it can narrow what the scope admits, never widen it.

use kyoyu_domain::search::{Query, Term};

use crate::Backend;
use crate::sql::Sql;

/// Where the text of one kind of item is kept and how a row of its list names it.
pub(crate) struct TextIndex {
    /// The list row's key (`l.row_id`).
    pub key: &'static str,
    /// The list row's number column (`l.number`).
    pub number: &'static str,
    /// The short text a hit in which ranks higher (`l.title`).
    pub title: &'static str,
    pub table: &'static str,
    pub table_key: &'static str,
    pub fts: &'static str,
}

pub(crate) const REPORT_TEXT: TextIndex = TextIndex {
    key: "l.row_id",
    number: "l.number",
    title: "l.title",
    table: "report_search",
    table_key: "row_id",
    fts: "report_fts",
};

pub(crate) const ADVISORY_TEXT: TextIndex = TextIndex {
    key: "a.advisory_id",
    number: "a.number",
    title: "a.overview",
    table: "advisory_search",
    table_key: "advisory_id",
    fts: "advisory_fts",
};

/// The fewest characters the trigram indexes serve.
const INDEXED_CHARS: usize = 3;

fn escape_like(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// An FTS5 string: `"…"` with inner quotes doubled.
fn fts_string(v: &str) -> String {
    format!("\"{}\"", v.replace('"', "\"\""))
}

/// ` AND (…)` for `query`.
pub(crate) fn push_matches(sql: &mut Sql, backend: Backend, ix: &TextIndex, query: &Query) {
    for clause in &query.clauses {
        sql.push(" AND (");
        for (n, lit) in clause.any.iter().enumerate() {
            if n > 0 {
                sql.push(" OR ");
            }
            if lit.negated {
                sql.push("NOT ");
            }
            push_term(sql, backend, ix, &lit.term);
        }
        sql.push(")");
    }
}

/// `(…)`: whether `term` (any of its variants, or its number) occurs in the row.
fn push_term(sql: &mut Sql, backend: Backend, ix: &TextIndex, term: &Term) {
    let (long, short): (Vec<&String>, Vec<&String>) = term
        .variants
        .iter()
        .partition(|v| v.chars().count() >= INDEXED_CHARS);
    let mut or = Or::new(sql);
    if !long.is_empty() {
        let sql = or.next();
        match backend {
            Backend::Sqlite => {
                let expr: Vec<String> = long.iter().map(|v| fts_string(v)).collect();
                sql.push(&format!(
                    "{} IN (SELECT rowid FROM {} WHERE {} MATCH ",
                    ix.key, ix.fts, ix.fts
                ))
                .bind_text(&expr.join(" OR "))
                .push(")");
            }
            Backend::Postgres => {
                sql.push(&format!(
                    "{} IN (SELECT {} FROM {} WHERE ",
                    ix.key, ix.table_key, ix.table
                ));
                for (n, v) in long.iter().enumerate() {
                    if n > 0 {
                        sql.push(" OR ");
                    }
                    sql.push("folded LIKE ")
                        .bind_text(&escape_like(v))
                        .push(" ESCAPE '\\'");
                }
                sql.push(")");
            }
        }
    }
    if !short.is_empty() {
        let sql = or.next();
        sql.push(&format!(
            "EXISTS (SELECT 1 FROM {} s WHERE s.{} = {} AND (",
            ix.table, ix.table_key, ix.key
        ));
        for (n, v) in short.iter().enumerate() {
            if n > 0 {
                sql.push(" OR ");
            }
            push_contains(sql, backend, "s.folded", v);
        }
        sql.push("))");
    }
    if let Some(number) = &term.number {
        or.next()
            .push(&format!("{} = ", ix.number))
            .bind_text(number)
            .push(&format!(" OR {} LIKE ", ix.number))
            .bind_text(&format!("{number}-%"));
    }
    or.close();
}

/// `column` contains `v` (no pattern characters to escape).
fn push_contains(sql: &mut Sql, backend: Backend, column: &str, v: &str) {
    let f = match backend {
        Backend::Sqlite => "instr",
        Backend::Postgres => "strpos",
    };
    sql.push(&format!("{f}({column}, "))
        .bind_text(v)
        .push(") > 0");
}

/// The rank of a hit: two for each word found in its title (overview), ten for the number
/// searched — the order of a search's results, before recency.
pub(crate) fn push_score(sql: &mut Sql, backend: Backend, ix: &TextIndex, query: &Query) {
    sql.push("(0");
    for term in query.positive_terms() {
        sql.push(" + (CASE WHEN ");
        for (n, v) in term.variants.iter().enumerate() {
            if n > 0 {
                sql.push(" OR ");
            }
            push_contains(sql, backend, &format!("lower({})", ix.title), v);
        }
        sql.push(" THEN 2 ELSE 0 END)");
        if let Some(number) = &term.number {
            sql.push(&format!(" + (CASE WHEN {} = ", ix.number))
                .bind_text(number)
                .push(" THEN 10 ELSE 0 END)");
        }
    }
    sql.push(")");
}

/// `(a OR b OR …)` written into a statement one alternative at a time.
struct Or<'a> {
    sql: &'a mut Sql,
    n: usize,
}

impl<'a> Or<'a> {
    fn new(sql: &'a mut Sql) -> Or<'a> {
        sql.push("(");
        Or { sql, n: 0 }
    }

    fn next(&mut self) -> &mut Sql {
        self.n += 1;
        self.sql.push(if self.n == 1 { "(" } else { ") OR (" })
    }

    fn close(self) {
        if self.n > 0 {
            self.sql.push(")");
        }
        self.sql.push(")");
    }
}
