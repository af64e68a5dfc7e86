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

    /// The time, to the microsecond: what the database keeps, so that a time answered when something is made is
    /// the same as the one read back later (audit events, sessions, passes, and the texts that quote them).
    pub fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc() + Duration::seconds(self.offset.load(Ordering::Relaxed));
        now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now)
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset.fetch_add(by.whole_seconds(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_whole_microseconds_and_moves_forward() {
        let clock = Clock::system();
        let before = clock.now();
        for _ in 0..100 {
            assert_eq!(clock.now().nanosecond() % 1_000, 0);
        }
        clock.advance(Duration::minutes(5));
        assert!(clock.now() - before >= Duration::minutes(5));
    }
}
