//! The measurements: the `keywarden` commands run as processes (wall time and peak resident memory, read from
//! `/proc/<pid>/status` while they run), and one user's audit page over 90 days timed in-process through the same
//! operation the API and the CLI call.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use keywarden_domain::metadata::Catalog;
use keywarden_server::auth::Actor;
use keywarden_server::ops::audit;
use keywarden_server::{AppState, Clock, Config};
use keywarden_store::Store;

use crate::population::Generated;
use crate::{MeasureArgs, Sizes, Target};

/// One run of a `keywarden` command.
#[derive(Debug)]
pub(crate) struct ProcessRun {
    pub(crate) command: String,
    pub(crate) seconds: f64,
    pub(crate) peak_rss_bytes: u64,
    /// User plus system CPU time, from the last sample before the process exited.
    pub(crate) cpu_seconds: f64,
    /// The machine's one-minute load average when the run started (other work shares the cores).
    pub(crate) load_before: f64,
    pub(crate) output_bytes: u64,
}

#[derive(Debug)]
pub(crate) struct Results {
    pub(crate) inventory_csv: Vec<ProcessRun>,
    pub(crate) inventory_by_model: ProcessRun,
    pub(crate) users_without_phishing_resistant: ProcessRun,
    pub(crate) findings: ProcessRun,
    pub(crate) findings_summary: Vec<(String, String, u64, u64)>,
    pub(crate) audit_page: Vec<Duration>,
    pub(crate) audit_page_events: usize,
    pub(crate) audit_page_cli: ProcessRun,
    pub(crate) audit_export_90d: ProcessRun,
}

/// The peak resident set (VmHWM) of a running process, in bytes.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// User plus system CPU seconds of a running process (`/proc/<pid>/stat`, in clock ticks of 1/100 s).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// The one-minute load average.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0.0)
}

/// Runs `keywarden args`, writing its standard output to `stdout` (or discarding it), and samples its peak memory
/// until it exits.
fn run(keywarden: &Path, env: &[(String, String)], args: &[&str], stdout: Option<&Path>) -> anyhow::Result<ProcessRun> {
    let out = match stdout {
        Some(path) => Stdio::from(std::fs::File::create(path)?),
        None => Stdio::null(),
    };
    let load_before = load_average();
    let started = Instant::now();
    let mut child = Command::new(keywarden)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(out)
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", keywarden.display()))?;
    let pid = child.id();
    let mut peak = 0;
    let mut cpu = 0.0;
    let status = loop {
        if let Some(rss) = peak_rss(pid) {
            peak = peak.max(rss);
        }
        if let Some(seconds) = cpu_seconds(pid) {
            cpu = seconds;
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let seconds = started.elapsed().as_secs_f64();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        use std::io::Read;
        let _ = pipe.read_to_string(&mut stderr);
    }
    anyhow::ensure!(
        status.success(),
        "keywarden {} failed ({status}): {stderr}",
        args.join(" ")
    );
    let output_bytes = stdout
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .unwrap_or(0);
    let command = format!("keywarden {}", args.join(" "));
    eprintln!(
        "  {command}: {seconds:.2} s, {cpu:.2} s CPU, peak RSS {:.0} MB, load {load_before:.1}",
        peak as f64 / 1_048_576.0
    );
    Ok(ProcessRun {
        command,
        seconds,
        peak_rss_bytes: peak,
        cpu_seconds: cpu,
        load_before,
        output_bytes,
    })
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

pub(crate) async fn measure(url: &str, target: &Target, sizes: &Sizes, args: &MeasureArgs) -> anyhow::Result<Results> {
    let keywarden = match &args.keywarden {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("keywarden"),
    };
    anyhow::ensure!(
        keywarden.exists(),
        "{} does not exist: build it with `cargo build --release -p keywarden`",
        keywarden.display()
    );
    let metadata =
        std::fs::canonicalize(&args.metadata).with_context(|| format!("--metadata {}", args.metadata.display()))?;
    std::fs::create_dir_all(&target.dir)?;
    let dir: PathBuf = std::fs::canonicalize(&target.dir)?;
    let env = vec![
        ("KEYWARDEN_DATABASE_URL".to_string(), url.to_string()),
        ("KEYWARDEN_METADATA_SOURCE".to_string(), "file".to_string()),
        ("KEYWARDEN_METADATA_PATH".to_string(), metadata.display().to_string()),
        ("USER".to_string(), "keywarden-population".to_string()),
    ];
    eprintln!("measuring with {}", keywarden.display());

    let csv = dir.join("passkey-inventory.csv");
    let csv_arg = csv.display().to_string();
    let mut inventory_csv = Vec::new();
    for _ in 0..2 {
        let mut run = run(
            &keywarden,
            &env,
            &["inventory", "--format", "csv", "--output", &csv_arg],
            None,
        )?;
        run.output_bytes = file_size(&csv);
        inventory_csv.push(run);
    }
    // The form: CSV on standard output, thrown away.
    inventory_csv.push(run(
        &keywarden,
        &env,
        &["inventory", "--format", "csv", "--output", "-"],
        None,
    )?);
    let inventory_by_model = run(
        &keywarden,
        &env,
        &["inventory", "--by", "model", "--format", "json"],
        Some(&dir.join("passkey-models.json")),
    )?;
    let users_csv = dir.join("users-without-phishing-resistant-method.csv");
    let users_arg = users_csv.display().to_string();
    let mut users_without_phishing_resistant = run(
        &keywarden,
        &env,
        &[
            "inventory",
            "--without-phishing-resistant",
            "--format",
            "csv",
            "--output",
            &users_arg,
        ],
        None,
    )?;
    users_without_phishing_resistant.output_bytes = file_size(&users_csv);
    let findings_json = dir.join("findings.json");
    let findings = run(
        &keywarden,
        &env,
        &["findings", "--format", "json", "--top", "10"],
        Some(&findings_json),
    )?;
    let parsed: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&findings_json)?)?;
    let findings_summary = parsed["value"]
        .as_array()
        .map(|found| {
            found
                .iter()
                .map(|f| {
                    (
                        f["kind"].as_str().unwrap_or_default().to_string(),
                        f["severity"].as_str().unwrap_or_default().to_string(),
                        f["userCount"].as_u64().unwrap_or(0),
                        f["credentialCount"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();

    // One user's audit page over 90 days, in-process, through the operation the API and the CLI call.
    let store = Store::connect(url).await?;
    let config = Config {
        database_url: url.to_string(),
        ..Config::default()
    };
    let state = AppState::new(config, store, Catalog::default(), Clock::system())?;
    let actor = Actor::LocalOperator {
        os_user: "keywarden-population".into(),
    };
    let mut audit_page = Vec::new();
    let mut audit_page_events = 0;
    for sample in 0..args.audit_samples {
        let user = (sample * 7919 + 13) % sizes.users.max(1);
        let query = audit::Query {
            target: Some(format!("user{user:07}@contoso.com")),
            since: Some("90d".into()),
            top: Some(50),
            ..audit::Query::default()
        };
        let started = Instant::now();
        let page = audit::list(&state, &actor, &query)
            .await
            .map_err(|e| anyhow::anyhow!("audit page: {e}"))?;
        audit_page.push(started.elapsed());
        audit_page_events += page.events.len();
    }
    state.store.close().await;
    let audit_page_cli = run(
        &keywarden,
        &env,
        &[
            "audit",
            "list",
            "--target",
            "user0000042@contoso.com",
            "--since",
            "90d",
            "--format",
            "json",
        ],
        Some(&dir.join("audit-page.json")),
    )?;
    let export = dir.join("audit-90d.jsonl");
    let export_arg = export.display().to_string();
    let mut audit_export_90d = run(
        &keywarden,
        &env,
        &["audit", "export", "--since", "90d", "--output", &export_arg],
        None,
    )?;
    audit_export_90d.output_bytes = file_size(&export);
    let _ = std::fs::remove_file(&export);
    Ok(Results {
        inventory_csv,
        inventory_by_model,
        users_without_phishing_resistant,
        findings,
        findings_summary,
        audit_page,
        audit_page_events,
        audit_page_cli,
        audit_export_90d,
    })
}

fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1_048_576.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The results as the Markdown that goes into BENCHMARKS.md.
pub(crate) fn markdown(url: &str, sizes: &Sizes, generated: Option<&Generated>, results: &Results) -> String {
    let backend = if url.starts_with("sqlite:") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let mut sorted = results.audit_page.clone();
    sorted.sort();
    let mut out = String::new();
    match generated {
        Some(generated) => {
            out.push_str(&format!(
                "#### {backend}: {} users, {} passkeys, {} audit events\n\n",
                generated.users, generated.passkeys, generated.audit_events
            ));
            out.push_str(&format!(
                "Generated in {:.0} s ({} memberships, {} authenticator apps, {} passes){}.\n\n",
                generated.seconds,
                generated.memberships,
                generated.authenticator_apps,
                generated.access_passes,
                generated
                    .database_bytes
                    .map(|b| format!("; database file {}", mb(b)))
                    .unwrap_or_default()
            ));
        }
        None => out.push_str(&format!(
            "#### {backend}: a population generated before with {} users\n\n",
            sizes.users
        )),
    }
    out.push_str(
        "| measurement | wall time | CPU (user+sys) | load before | peak RSS | output | target |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for (i, run) in results.inventory_csv.iter().enumerate() {
        out.push_str(&format!(
            "| `{}` ({}) | {:.2} s | {:.2} s | {:.1} | {} | {} | under 10 s, under 200 MB |\n",
            run.command,
            ["first run", "second run", "to /dev/null"].get(i).unwrap_or(&"again"),
            run.seconds,
            run.cpu_seconds,
            run.load_before,
            mb(run.peak_rss_bytes),
            mb(run.output_bytes)
        ));
    }
    for run in [
        &results.inventory_by_model,
        &results.users_without_phishing_resistant,
        &results.findings,
        &results.audit_page_cli,
        &results.audit_export_90d,
    ] {
        out.push_str(&format!(
            "| `{}` | {:.2} s | {:.2} s | {:.1} | {} | {} | |\n",
            run.command,
            run.seconds,
            run.cpu_seconds,
            run.load_before,
            mb(run.peak_rss_bytes),
            mb(run.output_bytes)
        ));
    }
    out.push_str(&format!(
        "| audit page for one user over 90 days (`ops::audit::list`, in-process, {} users) | median {}, p95 {}, max {}, first {} | | | | {:.1} events a page on average | under 50 ms |\n\n",
        sorted.len(),
        ms(percentile(&sorted, 0.5)),
        ms(percentile(&sorted, 0.95)),
        ms(sorted.last().copied().unwrap_or_default()),
        ms(results.audit_page.first().copied().unwrap_or_default()),
        results.audit_page_events as f64 / sorted.len().max(1) as f64,
    ));
    // One line per kind (a kind found per model or per initiator has several findings).
    let mut kinds: Vec<(&str, &str, u64, u64, u64)> = Vec::new();
    for (kind, severity, users, credentials) in &results.findings_summary {
        match kinds.iter_mut().find(|k| k.0 == kind.as_str()) {
            Some(k) => {
                k.2 += 1;
                k.3 += users;
                k.4 += credentials;
            }
            None => kinds.push((kind, severity, 1, *users, *credentials)),
        }
    }
    out.push_str("Findings:\n\n| kind | severity | findings | users | credentials |\n|---|---|---|---|---|\n");
    for (kind, severity, n, users, credentials) in kinds {
        out.push_str(&format!("| {kind} | {severity} | {n} | {users} | {credentials} |\n"));
    }
    out.push_str(&format!(
        "\nSizes asked: {} users, {} audit events.\n",
        sizes.users, sizes.audit_events
    ));
    out
}
