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
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = self.done as f64 / seconds;
        let line = match self.total {
            Some(total) if total > 0 => {
                let share = (self.done as f64 / total as f64).min(1.0);
                let filled = (share * 30.0) as usize;
                format!(
                    "{} [{}{}] {}/{} ({:.0}%) {:.0}/s",
                    self.label,
                    "#".repeat(filled),
                    "-".repeat(30 - filled),
                    self.done,
                    total,
                    share * 100.0,
                    rate
                )
            }
            _ => format!("{}: {} rows, {:.0}/s", self.label, self.done, rate),
        };
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
