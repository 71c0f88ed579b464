//! List pages kept for a few seconds. A list page is one indexed query, but a busy service
//! answers the same first page to the same people over and over; between two writes the answer
//! cannot change. A page is kept under everything its answer depends on — the whole actor (who,
//! which organisation with which roles, sectors and CEPTOARs) and the whole query — and under
//! the store's generation when the query began: any commit of this process that may change
//! what someone sees raises the generation, and the page is no longer served. Pages are
//! computed by the scoped reader like any other answer; the cache only replays them to the
//! same actor.
//!
//! Only on SQLite, where this process is the only writer of the service (a second process —
//! an `kyoyu admin` command — is seen within the time to live). On PostgreSQL several
//! processes serve one database, and a page must reflect a commit of any of them at once.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Entry {
    generation: u64,
    at: Instant,
    page: Arc<dyn Any + Send + Sync>,
}

pub(crate) struct ListCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

/// Pages kept at most (a page is tens of kilobytes).
const MAX_ENTRIES: usize = 1_000;

impl ListCache {
    /// A cache whose pages live `ttl_seconds` (0: no cache).
    pub(crate) fn new(ttl_seconds: u64) -> ListCache {
        ListCache {
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

    /// The page kept under `key` at `generation`, if it is young enough.
    pub(crate) fn get<T: Send + Sync + 'static>(
        &self,
        key: &str,
        generation: u64,
    ) -> Option<Arc<T>> {
        if self.ttl.is_zero() {
            return None;
        }
        let map = self.lock();
        let e = map.get(key)?;
        if e.generation != generation || e.at.elapsed() >= self.ttl {
            return None;
        }
        e.page.clone().downcast::<T>().ok()
    }

    /// Keeps `page`, computed by a query that began at `generation`.
    pub(crate) fn put<T: Send + Sync + 'static>(&self, key: String, generation: u64, page: Arc<T>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut map = self.lock();
        if map.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            map.retain(|_, e| e.generation == generation && e.at.elapsed() < ttl);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(
            key,
            Entry {
                generation,
                at: Instant::now(),
                page,
            },
        );
    }
}

impl crate::Core {
    /// A list page: replayed when kept at the store's current generation, else computed (by
    /// the scoped reader) and kept. `key` must name everything the page depends on.
    pub(crate) async fn cached_page<T, Fut>(
        &self,
        key: String,
        compute: impl FnOnce() -> Fut,
    ) -> crate::Result<Arc<T>>
    where
        T: Send + Sync + 'static,
        Fut: std::future::Future<Output = crate::Result<T>>,
    {
        // Read before the query: a commit during it raises the generation past this one.
        let generation = self.store.generation();
        if let Some(page) = self.lists.get::<T>(&key, generation) {
            return Ok(page);
        }
        let page = Arc::new(compute().await?);
        self.lists.put(key, generation, page.clone());
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_replayed_only_at_its_generation() {
        let c = ListCache::new(60);
        c.put("k".into(), 3, Arc::new(vec![1, 2]));
        assert_eq!(c.get::<Vec<i32>>("k", 3).as_deref(), Some(&vec![1, 2]));
        assert_eq!(
            c.get::<Vec<i32>>("k", 4),
            None,
            "a later commit outdates it"
        );
        assert_eq!(c.get::<Vec<i32>>("other", 3), None);
        assert_eq!(
            c.get::<String>("k", 3),
            None,
            "another type is another page"
        );
    }

    #[test]
    fn no_time_to_live_keeps_nothing() {
        let c = ListCache::new(0);
        c.put("k".into(), 1, Arc::new(7u8));
        assert_eq!(c.get::<u8>("k", 1), None);
    }
}
