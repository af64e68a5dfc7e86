//! keywarden's load generator: prepares a throw-away database, starts the real `keywarden serve` binary on
//! 127.0.0.1, signs users in with Temporary Access Passes, then measures complete passkey registrations and passkey
//! sign-ins by concurrent clients over HTTP, with the server's memory and CPU.
//!
//! It measures; it asserts nothing about speed (targets are compared in BENCHMARKS.md, never in tests).

pub mod client;
pub mod database;
pub mod load;
pub mod options;
pub mod report;
pub mod server;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use time::format_description::well_known::Rfc3339;

use crate::client::Api;
use crate::load::{Client, ClientUser, Operation, Samples, Window};
use crate::options::Options;
use crate::report::{Cpu, Latency, Machine, Phase, Report, Rss, Setup, mib, round};
use crate::server::{Launch, MachineCpu, Server, cpu_time_of};

/// How often the server's resident memory is sampled during a phase.
const RSS_SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// Runs the whole benchmark described by `options`.
pub async fn run(options: &Options) -> anyhow::Result<Report> {
    let (logical_cpus, cpu_model) = server::machine();
    let date = time::OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default();
    let binary = match &options.server {
        Some(path) => path.clone(),
        None => std::env::current_exe()
            .context("locating this binary")?
            .with_file_name("keywarden"),
    };
    let dir = match &options.db_dir {
        Some(parent) => tempfile::tempdir_in(parent),
        None => tempfile::tempdir(),
    }
    .context("creating a temporary directory")?;

    let setup_started = Instant::now();
    eprintln!(
        "keywarden-loadgen: creating {} users and their passes on {:?}",
        options.users, options.backend
    );
    let url = database::create(options.backend, dir.path())?;
    let users = database::seed(&url, options.users).await?;
    let server = Server::start(Launch {
        binary: &binary,
        database_url: &url,
        log: dir.path().join("server.log"),
        rust_log: options.server_log.as_deref(),
    })
    .await?;
    eprintln!(
        "keywarden-loadgen: server pid {} on {}; signing every user in with their pass",
        server.pid(),
        server.base
    );
    let mut clients = sign_in_everyone(options, &server, users).await?;
    let memory = server.memory().unwrap_or_default();
    let setup = Setup {
        seconds: round(setup_started.elapsed().as_secs_f64(), 1),
        server_peak_rss_mib: mib(memory.peak),
        server_rss_mib: mib(memory.current),
    };

    let mut phases = Vec::new();
    let (after, phase) = measure(
        options,
        &server,
        clients,
        ("registration", Operation::Register, options.registrations),
    )
    .await;
    clients = after;
    phases.push(Phase {
        passkeys_per_user: Some(round(
            clients.iter().map(Client::n_credentials).sum::<usize>() as f64 / options.users as f64,
            1,
        )),
        ..phase
    });
    let (_, phase) = measure(
        options,
        &server,
        clients,
        ("sign-in", Operation::SignIn, options.sign_ins),
    )
    .await;
    phases.push(phase);
    if let Some(path) = &options.keep_server_log {
        drop(server);
        std::fs::copy(dir.path().join("server.log"), path)
            .with_context(|| format!("copying the server log to {}", path.display()))?;
    }

    Ok(Report {
        date,
        machine: Machine {
            logical_cpus,
            cpu_model,
        },
        backend: options.backend,
        database_dir: options
            .db_dir
            .clone()
            .unwrap_or_else(std::env::temp_dir)
            .display()
            .to_string(),
        server: binary.display().to_string(),
        clients: options.clients,
        users: options.users,
        warmup_seconds: options.warmup,
        duration_seconds: options.duration,
        setup,
        phases,
    })
}

/// Shares the users out among the clients (user `n` to client `n % clients`) and signs each in with their pass.
async fn sign_in_everyone(
    options: &Options,
    server: &Server,
    users: Vec<database::BenchUser>,
) -> anyhow::Result<Vec<Client>> {
    let mut shares: Vec<Vec<database::BenchUser>> = vec![Vec::new(); options.clients];
    for (n, user) in users.into_iter().enumerate() {
        shares[n % options.clients].push(user);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (index, share) in shares.into_iter().enumerate() {
        let api = Api::new(&server.base, &server.origin)?;
        tasks.spawn(async move {
            let mut signed_in = Vec::with_capacity(share.len());
            for user in share {
                let session = api
                    .sign_in_with_pass(&user.user_principal_name, &user.pass_code)
                    .await
                    .map_err(|f| anyhow::anyhow!("signing {} in with its pass: {}", user.user_principal_name, f.0))?;
                signed_in.push(ClientUser {
                    user_principal_name: user.user_principal_name,
                    session,
                });
            }
            Ok::<_, anyhow::Error>((index, Client::new(api, signed_in)))
        });
    }
    let mut clients: Vec<Option<Client>> = (0..options.clients).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        let (index, client) = joined.context("a sign-in task panicked")??;
        clients[index] = Some(client);
    }
    clients
        .into_iter()
        .map(|c| c.context("every client is signed in"))
        .collect()
}

/// Runs one phase with every client and measures it.
async fn measure(
    options: &Options,
    server: &Server,
    clients: Vec<Client>,
    (name, operation, limit): (&'static str, Operation, Option<u64>),
) -> (Vec<Client>, Phase) {
    eprintln!("keywarden-loadgen: {name} phase");
    let peak_since_phase_start = server.reset_peak_rss();
    let sampling = Arc::new(AtomicBool::new(true));
    let sampled_peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (sampling, sampled_peak, pid) = (sampling.clone(), sampled_peak.clone(), server.pid());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                if let Some(memory) = server::memory_of_pid(pid) {
                    sampled_peak.fetch_max(memory.current, Ordering::Relaxed);
                }
                tokio::time::sleep(RSS_SAMPLE_EVERY).await;
            }
        })
    };

    let started = Instant::now();
    let window = Window {
        measure_from: started + options.warmup(),
        until: started + options.warmup() + options.duration(),
        limit,
        claimed: Arc::new(AtomicU64::new(0)),
    };
    // CPU is read when measuring starts, by a task that wakes then, and again when the last operation is done.
    let cpu_at_start = tokio::spawn({
        let (measure_from, pid) = (window.measure_from, server.pid());
        async move {
            tokio::time::sleep_until(measure_from.into()).await;
            CpuSnapshot::take(pid)
        }
    });
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|client| tokio::spawn(client.run(operation, window.clone())))
        .collect();
    let mut clients = Vec::with_capacity(tasks.len());
    let mut samples = Samples::default();
    for task in tasks {
        match task.await {
            Ok((client, seen)) => {
                clients.push(client);
                samples.merge(seen);
            }
            Err(e) => {
                *samples.errors.entry(format!("client_task_failed:{e}")).or_default() += 1;
            }
        }
    }
    let cpu_at_end = CpuSnapshot::take(server.pid());
    let cpu_at_start = cpu_at_start.await.unwrap_or(cpu_at_end);
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;

    let memory = server.memory().unwrap_or_default();
    let seconds = samples.last_completion.map_or(0.0, |last| {
        last.saturating_duration_since(window.measure_from).as_secs_f64()
    });
    let operations = samples.total.len();
    let phase = Phase {
        name,
        operations,
        seconds: round(seconds, 2),
        operations_per_second: if seconds > 0.0 {
            round(operations as f64 / seconds, 1)
        } else {
            0.0
        },
        latency_ms: Latency::of(&mut samples.total),
        begin_ms: Latency::of(&mut samples.begin),
        finish_ms: Latency::of(&mut samples.finish),
        errors: samples.errors,
        server_rss: Rss::new(
            memory.peak,
            peak_since_phase_start,
            memory.current,
            sampled_peak.load(Ordering::Relaxed),
        ),
        cpu_cores: cpu_at_end.cores_since(&cpu_at_start),
        passkeys_per_user: None,
    };
    (clients, phase)
}

/// CPU time used so far by the server, this process and the machine.
#[derive(Clone, Copy)]
struct CpuSnapshot {
    at: Instant,
    server: Duration,
    loadgen: Duration,
    machine: MachineCpu,
    cpu_stall: Option<u64>,
    io_stall: Option<u64>,
}

impl CpuSnapshot {
    fn take(pid: u32) -> CpuSnapshot {
        CpuSnapshot {
            at: Instant::now(),
            server: cpu_time_of(&format!("/proc/{pid}/stat")).unwrap_or_default(),
            loadgen: cpu_time_of("/proc/self/stat").unwrap_or_default(),
            machine: MachineCpu::now(),
            cpu_stall: server::stall_micros("cpu"),
            io_stall: server::stall_micros("io"),
        }
    }

    fn cores_since(&self, earlier: &CpuSnapshot) -> Cpu {
        let wall = self.at.saturating_duration_since(earlier.at);
        let cores = |used: Duration| round(used.as_secs_f64() / wall.as_secs_f64().max(1e-9), 2);
        Cpu {
            server: cores(self.server.saturating_sub(earlier.server)),
            loadgen: cores(self.loadgen.saturating_sub(earlier.loadgen)),
            machine: round(self.machine.busy_cores_since(&earlier.machine, wall), 2),
            cpu_stalled_percent: stalled(self.cpu_stall, earlier.cpu_stall, wall),
            io_stalled_percent: stalled(self.io_stall, earlier.io_stall, wall),
        }
    }
}

/// The share of `wall` during which some task waited, from two PSI totals.
fn stalled(now: Option<u64>, earlier: Option<u64>, wall: Duration) -> Option<f64> {
    let waited = now?.checked_sub(earlier?)? as f64 / 1e6;
    Some(round(100.0 * waited / wall.as_secs_f64().max(1e-9), 1))
}
