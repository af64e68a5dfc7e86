//! The `keywarden` binary: parses the command line, builds the state, runs the command, maps the outcome to an
//! exit code. The work is done by `keywarden-server`'s operations; this crate has no rules of its own.

mod cli;
mod commands;
mod demo;
mod diagnose;
mod progress;
mod reports;
mod rollout;
mod table;

use std::process::ExitCode;

use clap::Parser;
use keywarden_server::ApiError;

use crate::cli::{AuditCommand, Cli, Command};

/// mimalloc instead of glibc's allocator: a request allocates and frees many small buffers on one thread and frees
/// some on another (sqlx's SQLite threads), which glibc's arenas serve slowly (BENCHMARKS.md, "What was done").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How a command ended, as an exit code.
pub(crate) enum Failure {
    /// The thing checked is not so (exit 1).
    No,
    /// Usage or configuration (exit 2).
    Usage(anyhow::Error),
    /// Refused by keywarden's rules (exit 3).
    Refused(ApiError),
    /// Internal or database (exit 4).
    Internal(anyhow::Error),
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        if e.status().is_server_error() {
            Failure::Internal(anyhow::anyhow!("{e}"))
        } else {
            Failure::Refused(e)
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Internal(e)
    }
}

impl From<keywarden_store::Error> for Failure {
    fn from(e: keywarden_store::Error) -> Failure {
        Failure::from(ApiError::from(e))
    }
}

pub(crate) type Outcome = Result<(), Failure>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(4);
        }
    };
    let outcome = runtime.block_on(run(cli));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::No) => ExitCode::from(1),
        Err(Failure::Usage(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
        Err(Failure::Refused(e)) => {
            eprintln!("error: {}", e.message);
            eprintln!("code: {}", e.code);
            if let Some(q) = e.question.or(e.code.question()) {
                eprintln!("question: {} ({})", q.number(), q.title());
            }
            eprintln!("fix: {}", e.code.fix());
            if let Some(details) = &e.details {
                eprintln!("details: {}", serde_json::to_string_pretty(details).unwrap_or_default());
            }
            ExitCode::from(3)
        }
        Err(Failure::Internal(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(4)
        }
    }
}

async fn run(cli: Cli) -> Outcome {
    let config =
        keywarden_server::Config::from_process_env(cli.config.as_deref()).map_err(|e| Failure::Usage(e.into()))?;
    match cli.command {
        Command::Serve => commands::serve(config).await,
        Command::Demo(args) => demo::run(config, args).await,
        Command::Users(command) => commands::users(config, command).await,
        Command::Groups(command) => commands::groups(config, command).await,
        Command::Policy(command) => commands::policy(config, command).await,
        Command::Tap(command) => commands::tap(config, command).await,
        Command::Token(command) => commands::token(config, command).await,
        Command::Audit(AuditCommand::Export(args)) => reports::audit_export(config, args).await,
        Command::Audit(command) => commands::audit(config, command).await,
        Command::Inventory(args) => reports::inventory(config, args).await,
        Command::Findings(args) => reports::findings(config, args).await,
        Command::Attestation(command) => commands::attestation(command).await,
        Command::Aaguid(command) => commands::aaguid(config, command).await,
        Command::Rollout(command) => rollout::run(config, command).await,
        Command::Diagnose(args) => diagnose::run(config, args).await,
        Command::Openapi { output } => commands::openapi(output.as_deref()),
    }
}
