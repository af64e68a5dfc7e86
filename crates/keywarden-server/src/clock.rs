//! The server's clock. Production reads the system time; tests can move it forward to expire challenges and
//! sessions without sleeping: in process with `advance`, and from outside the process (browser tests) through the
//! test-only `test_clock_file`. Nothing over HTTP moves it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

use crate::config::{Config, ConfigError};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Seconds added to the system time.
    offset: Arc<AtomicI64>,
    /// The test clock's file (`test_clock_file`), whose seconds are added too; `None` in production.
    file: Option<Arc<OffsetFile>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// The clock `config` asks for: the system time, or with `test_clock_file` the system time plus the seconds
    /// in that file. The file must hold a whole number of seconds when the clock is made (`0` to start with); the
    /// configuration's guard (every origin `http://localhost`, a loopback listen address) is checked here again, so
    /// that a configuration that skipped validation cannot turn it on either.
    pub fn for_config(config: &Config) -> Result<Clock, ConfigError> {
        let Some(path) = config.test_clock_file()? else {
            return Ok(Clock::system());
        };
        let seconds = read_offset(path).map_err(|message| ConfigError {
            setting: "test_clock_file".into(),
            message,
        })?;
        Ok(Clock {
            offset: Arc::default(),
            file: Some(Arc::new(OffsetFile {
                path: path.to_path_buf(),
                last: AtomicI64::new(seconds),
            })),
        })
    }

    /// Whether this clock follows a test clock file (the server says so loudly when it starts).
    pub fn test_clock_file(&self) -> Option<&Path> {
        self.file.as_deref().map(|file| file.path.as_path())
    }

    /// The time, to the microsecond: what the database keeps, so that a time answered when something is made is
    /// the same as the one read back later (audit events, sessions, passes, and the texts that quote them).
    pub fn now(&self) -> OffsetDateTime {
        let mut seconds = self.offset.load(Ordering::Relaxed);
        if let Some(file) = &self.file {
            seconds = seconds.saturating_add(file.seconds());
        }
        let system = OffsetDateTime::now_utc();
        // An offset past the representable times (a test clock file holding a huge number) leaves the system time.
        let now = system.checked_add(Duration::seconds(seconds)).unwrap_or(system);
        now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now)
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset.fetch_add(by.whole_seconds(), Ordering::Relaxed);
    }
}

/// The test clock's file and the last offset read from it.
#[derive(Debug)]
struct OffsetFile {
    path: PathBuf,
    last: AtomicI64,
}

impl OffsetFile {
    /// The file's seconds, read on every call: a few microseconds, paid only with the test clock on, and a write is
    /// then seen by the very next request (an mtime check could miss two writes within one tick of the file
    /// system's coarse timestamps). A file caught half-written or removed keeps the last offset read.
    fn seconds(&self) -> i64 {
        match read_offset(&self.path) {
            Ok(seconds) => {
                self.last.store(seconds, Ordering::Relaxed);
                seconds
            }
            Err(_) => self.last.load(Ordering::Relaxed),
        }
    }
}

fn read_offset(path: &Path) -> Result<i64, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.trim().parse::<i64>().map_err(|_| {
        format!(
            "{} holds {:?}, not a whole number of seconds",
            path.display(),
            text.trim()
        )
    })
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

    #[test]
    fn the_test_clock_file_moves_now_at_once_and_a_bad_write_keeps_the_last_offset() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("clock");
        let config = Config {
            test_clock_file: Some(path.clone()),
            ..Config::default()
        };
        let error = Clock::for_config(&config).expect_err("no file yet");
        assert_eq!(error.setting, "test_clock_file");
        std::fs::write(&path, "0\n").expect("write clock");
        let clock = Clock::for_config(&config).expect("local set-up");
        assert_eq!(clock.test_clock_file(), Some(path.as_path()));
        let start = clock.now();
        assert!(
            clock.now() - start < Duration::minutes(1),
            "offset 0 is the system time"
        );

        std::fs::write(&path, "1860").expect("write clock");
        let moved = clock.now() - start;
        assert!(
            moved >= Duration::minutes(31) && moved < Duration::minutes(32),
            "the next read is 31 minutes on: {moved}"
        );
        clock.advance(Duration::minutes(5));
        assert!(
            clock.now() - start >= Duration::minutes(36),
            "advance adds to the file's offset"
        );

        std::fs::write(&path, "9223372036854775807").expect("write clock");
        assert!(
            clock.now() - start < Duration::minutes(1),
            "an offset past the representable times leaves the system time, without a panic"
        );
        std::fs::write(&path, "1860").expect("write clock");
        assert!(clock.now() - start >= Duration::minutes(36), "read again");
        std::fs::write(&path, "").expect("write clock");
        assert!(
            clock.now() - start >= Duration::minutes(36),
            "a half-written file keeps the last offset"
        );
        assert!(
            Clock::system().now() - start < Duration::minutes(1),
            "other clocks are not moved"
        );
    }
}
