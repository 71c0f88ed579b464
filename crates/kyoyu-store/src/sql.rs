//! A small SQL builder for statements whose shape depends on input (filters, the scope
//! predicate). Placeholders are numbered `$1, $2, …` in order of appearance, which both
//! PostgreSQL and SQLite (through sqlx) bind positionally.

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    I64(i64),
    Text(String),
    NullI64,
    NullText,
}

#[derive(Debug, Clone, Default)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
    /// Anonymous `?` placeholders instead of `$n` (SQLite only).
    anonymous: bool,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
            anonymous: false,
        }
    }

    /// A statement with thousands of values: on SQLite with anonymous `?` placeholders, because
    /// sqlx binds numbered ones by looking each name up in a list as long as the statement's —
    /// a cost that grows with the square of the values. Both are bound in order of appearance.
    pub fn bulk(text: &str, backend: crate::Backend) -> Sql {
        Sql {
            anonymous: backend == crate::Backend::Sqlite,
            ..Sql::new(text)
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    pub fn bind(&mut self, arg: Arg) -> &mut Sql {
        self.args.push(arg);
        if self.anonymous {
            self.text.push('?');
        } else {
            self.text.push_str(&format!("${}", self.args.len()));
        }
        self
    }

    pub fn bind_i64(&mut self, v: i64) -> &mut Sql {
        self.bind(Arg::I64(v))
    }

    pub fn bind_text(&mut self, v: &str) -> &mut Sql {
        self.bind(Arg::Text(v.to_owned()))
    }

    /// `($a, $b, …)` for an `IN` list; callers make sure the list is not empty.
    pub fn bind_list<'a>(&mut self, values: impl IntoIterator<Item = &'a String>) -> &mut Sql {
        self.push("(");
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind_text(v);
        }
        self.push(")")
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for a in &self.args {
            q = match a {
                Arg::I64(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
                Arg::NullI64 => q.bind(None::<i64>),
                Arg::NullText => q.bind(None::<String>),
            };
        }
        q
    }
}
