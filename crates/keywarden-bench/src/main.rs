//! The `keywarden-loadgen` binary: parses the options, runs the benchmark, prints the report. The work is done by
//! the `keywarden_bench` library.

use std::process::ExitCode;

use clap::Parser;
use keywarden_bench::options::Options;

/// The same allocator as the server's: the load generator shares the server's two cores, and glibc's malloc took a
/// sixth of its CPU time (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let options = Options::parse();
    if let Err(message) = options.validate() {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let report = match runtime.block_on(keywarden_bench::run(&options)) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    if options.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("error: the report does not serialise: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        print!("{}", report.to_table());
    }
    if report.n_errors() == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("{} operations failed", report.n_errors());
        ExitCode::from(1)
    }
}
