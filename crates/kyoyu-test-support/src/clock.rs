//! A clock the test moves by hand, so that deadlines, lockouts and waits are testable.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use kyoyu_core::Clock;

pub struct FixedClock(AtomicI64);

impl FixedClock {
    /// A clock standing at `unix_seconds`.
    pub fn at(unix_seconds: i64) -> FixedClock {
        FixedClock(AtomicI64::new(unix_seconds))
    }

    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Default for FixedClock {
    /// 2027-01-15 08:00 UTC.
    fn default() -> Self {
        FixedClock::at(1_800_000_000)
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_opt(self.0.load(Ordering::SeqCst), 0)
            .single()
            .unwrap_or_default()
    }
}
