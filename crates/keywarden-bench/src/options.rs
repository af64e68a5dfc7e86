//! What a load-generator run is asked to do: the backend, the server binary, how many clients and users, and how
//! long each phase lasts. Limits keep a mistyped number from turning the run into a denial of service.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use serde::Serialize;

/// The most concurrent clients a run may have.
pub const MAX_CLIENTS: usize = 1024;
/// The most users a run may create.
pub const MAX_USERS: usize = 100_000;
/// The longest a phase may last, in seconds.
pub const MAX_SECONDS: u64 = 600;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "keywarden-loadgen",
    about = "Drives a real keywarden server over HTTP with software authenticators and reports throughput, latency \
             and server memory",
    after_help = "The server is always started by the load generator itself, on 127.0.0.1 and a free port, with a \
                  throw-away database. Exit codes: 0 no operation failed, 1 some operations failed, 2 the run could \
                  not be set up."
)]
pub struct Options {
    /// The database the server runs on: a SQLite file in a temporary directory, or a new database in a throw-away
    /// PostgreSQL cluster (needs the PostgreSQL server binaries, see keywarden-testkit).
    #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
    pub backend: Backend,
    /// The `keywarden` binary to run as the server (a release build). Default: `keywarden` next to this binary.
    #[arg(long)]
    pub server: Option<PathBuf>,
    /// Where the SQLite database (and the server's log) are created, in a new temporary directory. Default: the
    /// system's temporary directory. `/dev/shm` takes the disk out of the measurement.
    #[arg(long)]
    pub db_dir: Option<PathBuf>,
    /// Concurrent clients, each a loop of complete operations with its own HTTP connection.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Users created and signed in with a Temporary Access Pass before the run; shared out among the clients,
    /// which take turns registering passkeys for each of theirs. The default keeps a default run's users under the
    /// 20 passkeys each that Microsoft advises as a most (every registration begin lists the user's passkeys).
    #[arg(long, default_value_t = 2048)]
    pub users: usize,
    /// Seconds each phase is measured for (after its warm-up).
    #[arg(long, default_value_t = 20)]
    pub duration: u64,
    /// Seconds each phase runs before measuring starts (operations started then are not counted).
    #[arg(long, default_value_t = 3)]
    pub warmup: u64,
    /// Stop the registration phase after this many measured registrations (the duration stays an upper bound).
    #[arg(long)]
    pub registrations: Option<u64>,
    /// Stop the sign-in phase after this many measured sign-ins (the duration stays an upper bound).
    #[arg(long)]
    pub sign_ins: Option<u64>,
    /// The server's RUST_LOG. Default: the server's own default (`info,sqlx=warn`, one line per request).
    #[arg(long)]
    pub server_log: Option<String>,
    /// Copy the server's log (standard output and error) to this file when the run ends.
    #[arg(long)]
    pub keep_server_log: Option<PathBuf>,
    /// Print the report as JSON on standard output instead of tables.
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Options {
    /// Checks the numbers against the limits; the message names the option.
    pub fn validate(&self) -> Result<(), String> {
        if self.clients == 0 || self.clients > MAX_CLIENTS {
            return Err(format!("--clients must be 1 to {MAX_CLIENTS}"));
        }
        if self.users < self.clients || self.users > MAX_USERS {
            return Err(format!("--users must be at least --clients and at most {MAX_USERS}"));
        }
        if self.duration == 0 || self.duration > MAX_SECONDS || self.warmup > MAX_SECONDS {
            return Err(format!(
                "--duration must be 1 to {MAX_SECONDS} seconds, --warmup at most that"
            ));
        }
        Ok(())
    }

    pub fn warmup(&self) -> Duration {
        Duration::from_secs(self.warmup)
    }

    pub fn duration(&self) -> Duration {
        Duration::from_secs(self.duration)
    }
}
