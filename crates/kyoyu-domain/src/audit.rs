//! The audit chain: each record's hash covers the previous record's hash and every field of the
//! record, so editing or deleting any record breaks the chain at that point. The store appends
//! records in the same transaction as the change they record; `verify` walks the chain.

use sha2::{Digest, Sha256};

/// The hash that precedes the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit record as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditRecord {
    pub seq: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub actor_user: Option<i64>,
    pub actor_org: Option<i64>,
    /// A stable snake_case action code, e.g. `login_succeeded`, `report_read`.
    pub action: String,
    /// What it acted on, e.g. `user:12`, `report:3`.
    pub target: String,
    /// JSON text with details; never the content of a Red or Amber item.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of a record given the previous record's hash.
#[allow(clippy::too_many_arguments)]
pub fn chain_hash(
    prev_hash: &str,
    seq: i64,
    at: &str,
    actor_user: Option<i64>,
    actor_org: Option<i64>,
    action: &str,
    target: &str,
    detail: &str,
) -> String {
    // A JSON array is an unambiguous encoding of the fields (no separator can be forged).
    let canonical = serde_json::json!([
        prev_hash, seq, at, actor_user, actor_org, action, target, detail
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

impl AuditRecord {
    pub fn expected_hash(&self) -> String {
        chain_hash(
            &self.prev_hash,
            self.seq,
            &self.at,
            self.actor_user,
            self.actor_org,
            &self.action,
            &self.target,
            &self.detail,
        )
    }
}

/// Why the chain is broken, naming the first bad record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("audit record #{seq}: its contents do not match its hash (the record was edited)")]
    Edited { seq: i64 },
    #[error(
        "audit record #{seq}: it does not follow the record before it (a record before it was deleted or edited)"
    )]
    Broken { seq: i64 },
    #[error("audit record #{seq}: expected #{expected} (records were deleted)")]
    Gap { seq: i64, expected: i64 },
    #[error(
        "the newest audit record is #{found}, but the chain head says #{head} (records at the end were deleted)"
    )]
    Truncated { found: i64, head: i64 },
}

/// Walks the chain one record at a time, holding only the previous hash: `kyoyu audit verify`
/// streams the log through it in batches, so memory does not grow with the log.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    prev: String,
    expected_seq: i64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            prev: GENESIS.to_owned(),
            expected_seq: 1,
        }
    }
}

impl ChainVerifier {
    /// Checks the next record (records must come in `seq` order).
    pub fn push(&mut self, r: &AuditRecord) -> Result<(), ChainError> {
        if r.seq != self.expected_seq {
            return Err(ChainError::Gap {
                seq: r.seq,
                expected: self.expected_seq,
            });
        }
        if r.hash != r.expected_hash() {
            return Err(ChainError::Edited { seq: r.seq });
        }
        if r.prev_hash != self.prev {
            return Err(ChainError::Broken { seq: r.seq });
        }
        self.prev.clone_from(&r.hash);
        self.expected_seq += 1;
        Ok(())
    }

    /// How many records were checked.
    pub fn count(&self) -> u64 {
        (self.expected_seq - 1) as u64
    }

    /// Ends the walk against the chain head the store keeps separately (the last sequence
    /// number and hash), which catches deletion of the newest records.
    pub fn finish(self, head: Option<(i64, &str)>) -> Result<u64, ChainError> {
        if let Some((head_seq, head_hash)) = head {
            let last = self.expected_seq - 1;
            if head_seq != last || (head_seq > 0 && head_hash != self.prev) {
                return Err(ChainError::Truncated {
                    found: last,
                    head: head_seq,
                });
            }
        }
        Ok(self.count())
    }
}

/// Checks records given in `seq` order. `head` is the chain head the store keeps separately
/// (the last sequence number and hash), which catches deletion of the newest records.
pub fn verify<'a>(
    records: impl IntoIterator<Item = &'a AuditRecord>,
    head: Option<(i64, &str)>,
) -> Result<u64, ChainError> {
    let mut v = ChainVerifier::default();
    for r in records {
        v.push(r)?;
    }
    v.finish(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut r = AuditRecord {
                    seq,
                    at: format!("2026-01-01T00:00:{seq:02}Z"),
                    actor_user: Some(seq),
                    actor_org: None,
                    action: "login_succeeded".into(),
                    target: format!("user:{seq}"),
                    detail: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                r.hash = r.expected_hash();
                prev = r.hash.clone();
                r
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(5);
        let head = (5, c[4].hash.as_str());
        assert_eq!(verify(&c, Some(head)), Ok(5));
    }

    #[test]
    fn an_edited_record_is_named() {
        let mut c = chain(5);
        c[2].target = "user:99".into();
        assert_eq!(verify(&c, None), Err(ChainError::Edited { seq: 3 }));
    }

    #[test]
    fn an_edited_record_with_recomputed_hash_breaks_the_next_link() {
        let mut c = chain(5);
        c[2].target = "user:99".into();
        c[2].hash = c[2].expected_hash();
        assert_eq!(verify(&c, None), Err(ChainError::Broken { seq: 4 }));
    }

    #[test]
    fn a_deleted_record_is_a_gap() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(
            verify(&c, None),
            Err(ChainError::Gap {
                seq: 3,
                expected: 2
            })
        );
    }

    #[test]
    fn deleting_the_newest_records_is_caught_by_the_head() {
        let c = chain(5);
        let head = (5, c[4].hash.clone());
        assert_eq!(
            verify(&c[..3], Some((head.0, &head.1))),
            Err(ChainError::Truncated { found: 3, head: 5 })
        );
    }
}
