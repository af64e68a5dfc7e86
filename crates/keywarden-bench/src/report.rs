//! The run's results: per phase, throughput, latency percentiles of complete operations and of each request,
//! failures by key, the server's memory and the CPU used by the server, the load generator and the machine.
//! Rendered as tables for people or as JSON for scripts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::options::Backend;

const MIB: f64 = 1024.0 * 1024.0;

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub date: String,
    pub machine: Machine,
    pub backend: Backend,
    /// Where the SQLite database lived (the PostgreSQL cluster is always under the temporary directory).
    pub database_dir: String,
    pub server: String,
    pub clients: usize,
    pub users: usize,
    pub warmup_seconds: u64,
    pub duration_seconds: u64,
    pub setup: Setup,
    pub phases: Vec<Phase>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Machine {
    pub logical_cpus: usize,
    pub cpu_model: String,
}

/// Creating users and passes, starting the server and signing every user in with their pass.
#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Setup {
    pub seconds: f64,
    /// The server's peak resident memory from its start to the end of set-up (argon2id verifications of the
    /// passes included).
    pub server_peak_rss_mib: f64,
    pub server_rss_mib: f64,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Phase {
    pub name: &'static str,
    pub operations: usize,
    pub seconds: f64,
    pub operations_per_second: f64,
    /// A complete operation: begin request, the authenticator, finish request.
    pub latency_ms: Latency,
    pub begin_ms: Latency,
    pub finish_ms: Latency,
    pub errors: BTreeMap<String, u64>,
    pub server_rss: Rss,
    pub cpu_cores: Cpu,
    /// Registration only: passkeys per user at the end of the phase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passkeys_per_user: Option<f64>,
}

impl Phase {
    pub fn n_errors(&self) -> u64 {
        self.errors.values().sum()
    }
}

#[derive(Serialize, Debug, Default, Clone, Copy)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latency {
    /// Nearest-rank percentiles of latencies in microseconds, in milliseconds.
    pub fn of(samples: &mut [u32]) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        samples.sort_unstable();
        let at = |p: f64| {
            let rank = (p * samples.len() as f64).ceil() as usize;
            f64::from(samples[rank.clamp(1, samples.len()) - 1]) / 1000.0
        };
        Latency {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: at(1.0),
        }
    }
}

#[derive(Serialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Rss {
    /// VmHWM at the end of the phase. Since the phase started when `peak_since_phase_start`, else since the server
    /// started.
    pub peak_mib: f64,
    pub peak_since_phase_start: bool,
    /// VmRSS at the end of the phase.
    pub current_mib: f64,
    /// The highest VmRSS seen by sampling every 100 ms during the phase.
    pub sampled_peak_mib: f64,
}

impl Rss {
    pub fn new(peak: u64, since_phase_start: bool, current: u64, sampled_peak: u64) -> Rss {
        Rss {
            peak_mib: mib(peak),
            peak_since_phase_start: since_phase_start,
            current_mib: mib(current),
            sampled_peak_mib: mib(sampled_peak),
        }
    }
}

pub fn mib(bytes: u64) -> f64 {
    round(bytes as f64 / MIB, 1)
}

/// Average busy cores during the measured part of a phase, and how much of it something on the machine waited.
#[derive(Serialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Cpu {
    pub server: f64,
    pub loadgen: f64,
    /// Everything on the machine (server, load generator, PostgreSQL, anything else running).
    pub machine: f64,
    /// The share of the time some task waited for a CPU (Linux PSI), when the kernel reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_stalled_percent: Option<f64>,
    /// The share of the time some task waited for I/O (Linux PSI): another job on the disk shows here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub io_stalled_percent: Option<f64>,
}

pub fn round(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

impl Report {
    pub fn n_errors(&self) -> u64 {
        self.phases.iter().map(Phase::n_errors).sum()
    }

    /// The report as tables for a terminal or a Markdown file.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "keywarden-loadgen {}: {} clients, {} users, {:?} backend, username-less sign-in, {} s warm-up + {} s per phase",
            self.date, self.clients, self.users, self.backend, self.warmup_seconds, self.duration_seconds,
        );
        let _ = writeln!(
            out,
            "machine: {} logical CPUs, {}; server: {}; database under {}",
            self.machine.logical_cpus, self.machine.cpu_model, self.server, self.database_dir
        );
        let _ = writeln!(
            out,
            "set-up: {:.1} s; server RSS after set-up {:.1} MiB (peak {:.1} MiB, argon2id pass checks included)",
            self.setup.seconds, self.setup.server_rss_mib, self.setup.server_peak_rss_mib
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "| phase        |    ops |   ops/s | p50 ms | p90 ms | p99 ms | max ms | errors | server RSS peak / end MiB | CPU cores server / loadgen / machine |"
        );
        let _ = writeln!(
            out,
            "|--------------|-------:|--------:|-------:|-------:|-------:|-------:|-------:|--------------------------:|-------------------------------------:|"
        );
        for phase in &self.phases {
            let _ = writeln!(
                out,
                "| {:<12} | {:>6} | {:>7.1} | {:>6.1} | {:>6.1} | {:>6.1} | {:>6.1} | {:>6} | {:>13.1} / {:<9.1} | {:>12.2} / {:.2} / {:<9.2} |",
                phase.name,
                phase.operations,
                phase.operations_per_second,
                phase.latency_ms.p50,
                phase.latency_ms.p90,
                phase.latency_ms.p99,
                phase.latency_ms.max,
                phase.n_errors(),
                phase.server_rss.peak_mib,
                phase.server_rss.current_mib,
                phase.cpu_cores.server,
                phase.cpu_cores.loadgen,
                phase.cpu_cores.machine,
            );
        }
        let _ = writeln!(out);
        for phase in &self.phases {
            let _ = writeln!(
                out,
                "{}: begin request p50 {:.1} / p99 {:.1} ms, finish request p50 {:.1} / p99 {:.1} ms{}{}{}",
                phase.name,
                phase.begin_ms.p50,
                phase.begin_ms.p99,
                phase.finish_ms.p50,
                phase.finish_ms.p99,
                phase
                    .passkeys_per_user
                    .map(|n| format!(", {n:.1} passkeys per user at the end"))
                    .unwrap_or_default(),
                match (phase.cpu_cores.cpu_stalled_percent, phase.cpu_cores.io_stalled_percent) {
                    (Some(cpu), Some(io)) => format!("; stalled on CPU {cpu:.0}% / on I/O {io:.0}% of the time"),
                    _ => String::new(),
                },
                if phase.server_rss.peak_since_phase_start {
                    ""
                } else {
                    " (RSS peak is since server start: /proc/<pid>/clear_refs was refused)"
                },
            );
            for (key, n) in &phase.errors {
                let _ = writeln!(out, "  error {key}: {n}");
            }
        }
        out
    }
}
