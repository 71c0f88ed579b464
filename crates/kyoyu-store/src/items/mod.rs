//! Shared items — report threads and advisories — as tables: loading a whole item for the
//! scoped reader (crate-private: nothing outside the store reads an item without a scope), and
//! the writes, each of which takes the permit the policy returned for it. Every write marks the
//! item so that the read model is refreshed before the transaction commits.

pub(crate) mod advisories;
mod blobs;
mod reports;

pub use advisories::Ack;
pub use blobs::NewAttachment;
pub use reports::Transmitted;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, StoreError};

pub(crate) fn flag(r: &AnyRow, col: &str) -> Result<bool> {
    Ok(r.try_get::<i64, _>(col)? != 0)
}

pub(crate) fn parse_code<T>(
    what: &str,
    code: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T> {
    parse(code).ok_or_else(|| StoreError::Corrupt(format!("unknown {what} `{code}`")))
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("stored {what}: {e}")))
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}
