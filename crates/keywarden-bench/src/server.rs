//! The server under test: the release `keywarden serve` binary started as a child process on 127.0.0.1, and what
//! Linux's /proc says about it (resident memory, CPU time). It is killed when the run ends, even on an error.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How long the server may take to answer `/readyz` after it is started.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `keywarden serve`.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>`: where requests go.
    pub base: String,
    /// `http://localhost:<port>`: the WebAuthn origin (an IP address cannot be a relying party id).
    pub origin: String,
    pub log: PathBuf,
}

/// The options the server is started with.
pub struct Launch<'a> {
    pub binary: &'a Path,
    pub database_url: &'a str,
    pub log: PathBuf,
    /// The server's RUST_LOG; `None` keeps its default.
    pub rust_log: Option<&'a str>,
}

impl Server {
    /// Starts the server on a free port and waits until it is ready.
    pub async fn start(launch: Launch<'_>) -> anyhow::Result<Server> {
        if !launch.binary.is_file() {
            bail!(
                "the server binary {} does not exist: build it with `cargo build --release -p keywarden` or pass --server",
                launch.binary.display()
            );
        }
        let port = free_port()?;
        let log = fs::File::create(&launch.log).with_context(|| format!("creating {}", launch.log.display()))?;
        let mut command = Command::new(launch.binary);
        command
            .arg("serve")
            .env_remove("KEYWARDEN_CONFIG")
            .env("KEYWARDEN_DATABASE_URL", launch.database_url)
            .env("KEYWARDEN_LISTEN", format!("127.0.0.1:{port}"))
            .env("KEYWARDEN_RP_ID", "localhost")
            .env("KEYWARDEN_ORIGINS", format!("http://localhost:{port}"))
            // `serve` needs a secret to seal passkey sign-ins; a fresh one per run.
            .env("KEYWARDEN_SECRET_KEY", keywarden_server::secrets::new_secret())
            // Every simulated client connects from 127.0.0.1: the per-address sign-in limit would measure itself.
            .env("KEYWARDEN_RATE_LIMIT_SIGN_IN_PER_MINUTE", "0")
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("duplicating the log file handle")?)
            .stderr(log);
        match launch.rust_log {
            Some(filter) => command.env("RUST_LOG", filter),
            None => command.env_remove("RUST_LOG"),
        };
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", launch.binary.display()))?;
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            origin: format!("http://localhost:{port}"),
            log: launch.log,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let url = format!("{}/readyz", self.base);
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().context("checking on the server")? {
                bail!(
                    "the server exited ({status}) before it was ready; see {}",
                    self.log.display()
                );
            }
            if let Ok(response) = client.get(&url).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            if started.elapsed() > READY_TIMEOUT {
                bail!(
                    "the server was not ready after {READY_TIMEOUT:?}; see {}",
                    self.log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Resets the peak resident set size (VmHWM) the kernel keeps for the server, so that the next reading is the
    /// peak since now. Returns whether the kernel accepted it.
    pub fn reset_peak_rss(&self) -> bool {
        fs::write(format!("/proc/{}/clear_refs", self.pid()), "5").is_ok()
    }

    /// The server's resident memory now and at its peak (since start or the last reset).
    pub fn memory(&self) -> Option<Memory> {
        memory_of_pid(self.pid())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The database is thrown away with the run, so there is nothing to finish gracefully.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port on 127.0.0.1")?;
    Ok(listener.local_addr().context("reading the bound address")?.port())
}

/// Resident memory in bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Memory {
    /// VmRSS.
    pub current: u64,
    /// VmHWM.
    pub peak: u64,
}

/// The resident memory of process `pid`, from /proc/<pid>/status.
pub fn memory_of_pid(pid: u32) -> Option<Memory> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line[name.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kib * 1024)
    };
    Some(Memory {
        current: field("VmRSS:")?,
        peak: field("VmHWM:")?,
    })
}

/// Linux's clock tick for /proc times; 100 on every mainstream architecture.
const TICKS_PER_SECOND: u64 = 100;

/// utime + stime from a /proc `stat` file.
pub fn cpu_time_of(path: &str) -> Option<Duration> {
    let stat = fs::read_to_string(path).ok()?;
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 1000 / TICKS_PER_SECOND))
}

/// Busy and total CPU time of the whole machine (all cores), from /proc/stat.
#[derive(Clone, Copy, Debug, Default)]
pub struct MachineCpu {
    pub busy: u64,
    pub total: u64,
}

impl MachineCpu {
    pub fn now() -> MachineCpu {
        let stat = fs::read_to_string("/proc/stat").unwrap_or_default();
        let ticks: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .filter_map(|t| t.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal guest guest_nice; guests are already in user and nice.
        let total: u64 = ticks.iter().take(8).sum();
        let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
        MachineCpu {
            busy: total.saturating_sub(idle),
            total,
        }
    }

    /// Busy cores on average between `earlier` and `self` (0 to the number of cores), given the wall time.
    pub fn busy_cores_since(&self, earlier: &MachineCpu, wall: Duration) -> f64 {
        let busy = self.busy.saturating_sub(earlier.busy) as f64 / TICKS_PER_SECOND as f64;
        busy / wall.as_secs_f64().max(1e-9)
    }
}

/// Microseconds during which at least one task on the machine waited for a resource (Linux pressure stall
/// information, `some` line of /proc/pressure/<resource>), or `None` without PSI.
pub fn stall_micros(resource: &str) -> Option<u64> {
    let text = fs::read_to_string(format!("/proc/pressure/{resource}")).ok()?;
    let some = text.lines().find(|l| l.starts_with("some"))?;
    some.split_whitespace()
        .find_map(|field| field.strip_prefix("total="))?
        .parse()
        .ok()
}

/// The machine, for the report: logical CPUs and the CPU model.
pub fn machine() -> (usize, String) {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let model = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    (cores, model)
}
