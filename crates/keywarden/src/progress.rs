//! A progress line on standard error for long exports, drawn only when standard error is a terminal (so pipes,
//! files and tests see nothing), at most ten times a second.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

pub(crate) struct Progress {
    label: &'static str,
    total: Option<u64>,
    done: u64,
    started: Instant,
    drawn: Option<Instant>,
    enabled: bool,
}

impl Progress {
    pub(crate) fn new(label: &'static str, total: Option<u64>) -> Progress {
        Progress {
            label,
            total,
            done: 0,
            started: Instant::now(),
            drawn: None,
            enabled: std::io::stderr().is_terminal(),
        }
    }

    pub(crate) fn add(&mut self, n: u64) {
        self.done += n;
        if self.enabled && self.drawn.is_none_or(|t| t.elapsed() >= Duration::from_millis(100)) {
            self.draw();
        }
    }

    fn draw(&mut self) {
        self.drawn = Some(Instant::now());
        let line = line(self.label, self.total, self.done, self.started.elapsed());
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r{line}\x1b[K");
        let _ = stderr.flush();
    }

    /// Draws the final state and ends the line.
    pub(crate) fn finish(&mut self) {
        if self.enabled {
            self.draw();
            eprintln!();
        }
    }
}

/// The progress line: a bar with the share done when the total is known, else the rows so far; both with the rate.
fn line(label: &str, total: Option<u64>, done: u64, elapsed: Duration) -> String {
    let rate = done as f64 / elapsed.as_secs_f64().max(0.001);
    match total {
        Some(total) if total > 0 => {
            let share = (done as f64 / total as f64).min(1.0);
            let filled = (share * 30.0) as usize;
            format!(
                "{label} [{}{}] {done}/{total} ({:.0}%) {rate:.0}/s",
                "#".repeat(filled),
                "-".repeat(30 - filled),
                share * 100.0,
            )
        }
        _ => format!("{label}: {done} rows, {rate:.0}/s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_total_draws_a_bar_with_share_and_rate() {
        let drawn = line("inventory", Some(200), 50, Duration::from_secs(2));
        assert_eq!(
            drawn,
            format!("inventory [{}{}] 50/200 (25%) 25/s", "#".repeat(7), "-".repeat(23))
        );
    }

    #[test]
    fn more_rows_than_the_total_fill_the_bar_and_no_more() {
        let drawn = line("inventory", Some(10), 12, Duration::from_secs(1));
        assert_eq!(drawn, format!("inventory [{}] 12/10 (100%) 12/s", "#".repeat(30)));
    }

    #[test]
    fn an_unknown_total_counts_rows() {
        assert_eq!(
            line("audit export", None, 900, Duration::from_secs(3)),
            "audit export: 900 rows, 300/s"
        );
        assert_eq!(
            line("audit export", Some(0), 0, Duration::ZERO),
            "audit export: 0 rows, 0/s"
        );
    }
}
