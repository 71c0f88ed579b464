//! Verified tokens, trusted for a few seconds: a signed-in user's every request would otherwise
//! read the token, the user and the organisation's facts from the database. Entries are keyed
//! by the token's hash and dropped at once when this process revokes a token or changes a user
//! or an organisation; another process's change takes effect within the time to live.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::auth::Session;

/// One verified token: when it was checked, until when it is valid (the store's time text),
/// and the session it gave.
struct Entry {
    checked: Instant,
    expires_at: Option<String>,
    session: Session,
}

pub(crate) struct SessionCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

/// Beyond this many live sessions the cache starts over rather than grow.
const MAX_ENTRIES: usize = 100_000;

impl SessionCache {
    pub(crate) fn new(ttl_seconds: u64) -> SessionCache {
        SessionCache {
            ttl: Duration::from_secs(ttl_seconds),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        match self.entries.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// The cached session of a token, if it was verified recently and has not expired at
    /// `now` (the service clock, as the store's time text).
    pub(crate) fn get(&self, token_hash: &str, now: &str) -> Option<Session> {
        if self.ttl.is_zero() {
            return None;
        }
        let map = self.lock();
        map.get(token_hash)
            .filter(|e| e.checked.elapsed() < self.ttl)
            .filter(|e| e.expires_at.as_deref().is_none_or(|x| x > now))
            .map(|e| e.session.clone())
    }

    pub(crate) fn put(&self, token_hash: String, expires_at: Option<String>, session: Session) {
        if self.ttl.is_zero() {
            return;
        }
        let mut map = self.lock();
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(
            token_hash,
            Entry {
                checked: Instant::now(),
                expires_at,
                session,
            },
        );
    }

    pub(crate) fn forget(&self, token_hash: &str) {
        self.lock().remove(token_hash);
    }

    /// After a change to users or organisations: every cached session may be stale.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}
