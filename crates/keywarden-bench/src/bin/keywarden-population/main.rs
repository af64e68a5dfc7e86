//! `keywarden-population`: fills a database with a generated directory (by default 1,000,000 users, 3,000,000
//! passkeys and 10,000,000 audit events) and measures the reports on it: the inventory CSV export's time and peak
//! memory, the findings, and one user's audit page over 90 days. `BENCHMARKS.md` ("Reports at scale") has the
//! results and the commands.
//!
//! The schema is the store's own (its migrations run first); the rows are written with bulk SQL in the shapes the
//! store writes them, with webauthn credentials and registration facts taken from real ceremonies. It does not
//! create registration attempts, sessions or sign-in challenges, which no report reads.

mod load;
mod measure;
mod population;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "keywarden-population",
    about = "Generate a keywarden population and measure reports on it"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Debug, Clone)]
pub(crate) struct Sizes {
    /// Users; every ten users hold 30 passkeys (0, 1, 2, 3, 3, 3, 4, 4, 5, 5).
    #[arg(long, default_value_t = 1_000_000)]
    pub(crate) users: u64,
    /// Audit events (registrations, sign-ins, passes, failures), over the last year.
    #[arg(long, default_value_t = 10_000_000)]
    pub(crate) audit_events: u64,
}

#[derive(clap::Args, Debug, Clone)]
pub(crate) struct Target {
    /// A database URL (sqlite://PATH or postgres://...). Without it, `--backend` picks a fresh SQLite file in
    /// `--dir` or a database in a throw-away PostgreSQL cluster (keywarden-testkit's).
    #[arg(long)]
    pub(crate) database: Option<String>,
    #[arg(long, value_enum, default_value = "sqlite")]
    pub(crate) backend: Backend,
    /// Where the SQLite file and the exported files go.
    #[arg(long, default_value = "target/population")]
    pub(crate) dir: PathBuf,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

#[derive(clap::Args, Debug, Clone)]
pub(crate) struct MeasureArgs {
    /// The keywarden binary to measure (a release build); by default the one beside this program.
    #[arg(long)]
    pub(crate) keywarden: Option<PathBuf>,
    /// FIDO metadata payload or BLOB for the MetadataStatus column and the findings.
    #[arg(long, default_value = "../shared/data/aaguid/mds3_payload_no291.json")]
    pub(crate) metadata: PathBuf,
    /// Users whose audit page is timed.
    #[arg(long, default_value_t = 50)]
    pub(crate) audit_samples: u64,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate a population, then measure the reports on it, and print the results as Markdown.
    Run {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        sizes: Sizes,
        #[command(flatten)]
        measure: MeasureArgs,
    },
    /// Only generate.
    Generate {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        sizes: Sizes,
    },
    /// Only measure, on a database generated before (with the same --users), and print the results as Markdown.
    Measure {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        sizes: Sizes,
        #[command(flatten)]
        measure: MeasureArgs,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(4);
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// The database URL to use: the one given, a fresh SQLite file, or a fresh PostgreSQL database.
fn database_url(target: &Target, fresh: bool) -> anyhow::Result<String> {
    if let Some(url) = &target.database {
        return Ok(url.clone());
    }
    match target.backend {
        Backend::Sqlite => {
            std::fs::create_dir_all(&target.dir)?;
            let path = target.dir.join("population.db");
            if fresh {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Ok(format!("sqlite://{}", path.display()))
        }
        Backend::Postgres => {
            let cluster = keywarden_testkit::postgres::cluster()
                .ok_or_else(|| anyhow::anyhow!("PostgreSQL is not available; pass --database postgres://..."))?;
            anyhow::ensure!(
                fresh,
                "the throw-away cluster lives only as long as this process: use `run`, or --database"
            );
            Ok(cluster.fresh_database())
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Run { target, sizes, measure } => {
            let url = database_url(&target, true)?;
            let generated = population::generate(&url, &sizes).await?;
            let results = measure::measure(&url, &target, &sizes, &measure).await?;
            println!("{}", measure::markdown(&url, &sizes, Some(&generated), &results));
        }
        Command::Generate { target, sizes } => {
            let url = database_url(&target, true)?;
            let generated = population::generate(&url, &sizes).await?;
            println!("{generated:#?}");
        }
        Command::Measure { target, sizes, measure } => {
            let url = database_url(&target, false)?;
            let results = measure::measure(&url, &target, &sizes, &measure).await?;
            println!("{}", measure::markdown(&url, &sizes, None, &results));
        }
    }
    Ok(())
}
