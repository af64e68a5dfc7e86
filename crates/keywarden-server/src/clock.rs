//! The server's clock. Production reads the system time; tests can move it forward to expire challenges and
//! sessions without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Seconds added to the system time.
    offset: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + Duration::seconds(self.offset.load(Ordering::Relaxed))
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset.fetch_add(by.whole_seconds(), Ordering::Relaxed);
    }
}
