//! A throw-away PostgreSQL cluster for tests: one per test process, started on first use, reachable through a
//! Unix socket only, and removed when the process exits.
//!
//! `initdb` runs once per process; each [`Cluster::fresh_database`] is a `CREATE DATABASE t_<uuid>`. When the
//! PostgreSQL binaries are missing, [`cluster`] says why and returns `None` so that tests can skip, unless
//! `REQUIRE_POSTGRES=1` (CI), which turns that into a failure. This module speaks no SQL protocol itself: it
//! drives `initdb`, `pg_ctl` and `psql`, and hands out URLs that sqlx 0.8 accepts.

use std::env;
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

/// The port number only names the socket file (`.s.PGSQL.<port>`) in the cluster's private directory, so a
/// fixed one cannot clash with another cluster.
const PORT: u16 = 5432;
/// The variable that makes a missing PostgreSQL a failure instead of a skip.
const REQUIRE_ENV: &str = "REQUIRE_POSTGRES";
/// The variable that names the directory holding `initdb`, `pg_ctl` and `psql`, overriding the search.
const BIN_DIR_ENV: &str = "KEYWARDEN_PG_BIN";
/// The preferred major version when several are installed under /usr/lib/postgresql.
const PREFERRED_MAJOR: &str = "15";

/// A running cluster. Its superuser is `postgres`, with `trust` authentication over the socket.
#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    bin_dir: PathBuf,
    run_as_postgres: bool,
    /// Keeps the watchdog's stdin open: when this process exits the pipe closes and the watchdog stops the
    /// cluster and deletes its directory. Never read, only held.
    _watchdog: Child,
}

enum StartError {
    /// PostgreSQL is not installed (or cannot run here): tests may skip.
    Unavailable(String),
    /// PostgreSQL is installed but would not start: always a failure.
    Failed(String),
}

static CLUSTER: OnceLock<Result<Cluster, StartError>> = OnceLock::new();

/// The process's cluster, started on first call. `None` (with the reason printed to stderr) when PostgreSQL is
/// not available and `REQUIRE_POSTGRES` is not set.
///
/// # Panics
/// When PostgreSQL is not available and `REQUIRE_POSTGRES=1`, or when it is installed but fails to start.
pub fn cluster() -> Option<&'static Cluster> {
    match CLUSTER.get_or_init(Cluster::start) {
        Ok(cluster) => Some(cluster),
        Err(StartError::Unavailable(why)) if !required() => {
            eprintln!("skipping PostgreSQL: {why} (set {REQUIRE_ENV}=1 to make this a failure)");
            None
        }
        Err(StartError::Unavailable(why)) => panic!("{REQUIRE_ENV} is set but PostgreSQL is not available: {why}"),
        Err(StartError::Failed(why)) => panic!("the test PostgreSQL cluster did not start: {why}"),
    }
}

fn required() -> bool {
    env::var(REQUIRE_ENV).is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

impl Cluster {
    /// Creates a new empty database `t_<uuid>` and returns its URL,
    /// `postgres://postgres@localhost/t_<uuid>?host=<socket dir>&port=5432`.
    ///
    /// # Panics
    /// When `CREATE DATABASE` fails (the cluster died, or the disk is full).
    pub fn fresh_database(&self) -> String {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let output = self
            .command("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &self.url("postgres"), "-c"])
            .arg(format!("CREATE DATABASE {name}"))
            .output();
        check(output, "psql -c CREATE DATABASE").unwrap_or_else(|why| panic!("creating database {name}: {why}"));
        self.url(&name)
    }

    /// The URL of database `name` in this cluster (it is not created).
    pub fn url(&self, name: &str) -> String {
        format!(
            "postgres://postgres@localhost/{name}?host={}&port={PORT}",
            self.socket_dir().display()
        )
    }

    /// The directory holding the server's Unix socket (libpq's and sqlx's `host`).
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// The port number, which names the socket file.
    pub fn port(&self) -> u16 {
        PORT
    }

    fn start() -> Result<Cluster, StartError> {
        let bin_dir = find_bin_dir().map_err(StartError::Unavailable)?;
        let run_as_postgres = effective_uid() == Some(0);
        if run_as_postgres && !succeeds(Command::new("id").args(["-u", "postgres"])) {
            return Err(StartError::Unavailable(
                "running as root, where initdb refuses to run, and there is no `postgres` system user to run it as"
                    .to_string(),
            ));
        }

        // Short and outside root's home, so the socket path stays under the 107-byte limit and user postgres
        // can reach it.
        let base = if run_as_postgres {
            PathBuf::from("/tmp")
        } else {
            env::temp_dir()
        };
        let dir = base.join(format!(
            "keywarden-pg-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        ));
        let failed = |what: &str, e: std::io::Error| StartError::Failed(format!("{what} {}: {e}", dir.display()));
        fs::create_dir(&dir).map_err(|e| failed("creating", e))?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(|e| failed("restricting", e))?;
        let data = dir.join("data");
        let log = dir.join("postgres.log");

        // From here on the watchdog owns cleanup, even if startup fails below.
        let watchdog = spawn_watchdog(&dir, &bin_dir, run_as_postgres)
            .map_err(|e| StartError::Failed(format!("starting the cleanup watchdog: {e}")))?;
        let cluster = Cluster {
            dir,
            bin_dir,
            run_as_postgres,
            _watchdog: watchdog,
        };

        if run_as_postgres {
            let output = Command::new("chown").arg("postgres:").arg(&cluster.dir).output();
            check(output, "chown postgres:").map_err(StartError::Failed)?;
        }
        let output = cluster
            .command("initdb")
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .output();
        check(output, "initdb").map_err(StartError::Failed)?;

        let server_options = format!(
            "-k {} -c listen_addresses='' -p {PORT} -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=200",
            cluster.dir.display()
        );
        let output = cluster
            .command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-o", &server_options, "-w", "-t", "60", "start"])
            .output();
        check(output, "pg_ctl start").map_err(|why| {
            let log = fs::read_to_string(&log).unwrap_or_default();
            StartError::Failed(format!("{why}\nserver log:\n{log}"))
        })?;
        Ok(cluster)
    }

    /// A command running a PostgreSQL binary, as user `postgres` when this process is root.
    fn command(&self, program: &str) -> Command {
        let program = self.bin_dir.join(program);
        let mut command = if self.run_as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command.current_dir(&self.dir).stdin(Stdio::null()).env("PGTZ", "UTC");
        command
    }
}

/// Starts `sh` in its own process group (so Ctrl-C on the tests does not reach it) reading its stdin, which
/// only this process holds open. When this process exits, for whatever reason, the read ends: the watchdog then
/// stops the cluster at once and deletes its directory.
fn spawn_watchdog(dir: &Path, bin_dir: &Path, run_as_postgres: bool) -> std::io::Result<Child> {
    const SCRIPT: &str = r#"cat >/dev/null
if [ -f "$1/data/postmaster.pid" ]; then
  if [ "$3" = root ]; then runuser -u postgres -- "$2/pg_ctl" -D "$1/data" -m immediate -w stop
  else "$2/pg_ctl" -D "$1/data" -m immediate -w stop; fi
fi
rm -rf "$1""#;
    Command::new("sh")
        .args(["-c", SCRIPT, "keywarden-pg-watchdog"])
        .arg(dir)
        .arg(bin_dir)
        .arg(if run_as_postgres { "root" } else { "user" })
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
}

/// The directory of `initdb` and `pg_ctl`: `$KEYWARDEN_PG_BIN`, else the first PATH entry holding both, else
/// /usr/lib/postgresql/15/bin, else the newest /usr/lib/postgresql/*/bin. Symbolic links are resolved, so that
/// `psql` and `postgres` are taken from the same installation.
fn find_bin_dir() -> Result<PathBuf, String> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = env::var_os(BIN_DIR_ENV).map(PathBuf::from) {
        return if has_tools(&dir) {
            Ok(dir)
        } else {
            Err(format!("{BIN_DIR_ENV}={} holds no initdb and pg_ctl", dir.display()))
        };
    }
    if let Some(initdb) = env::var_os("PATH")
        .iter()
        .flat_map(env::split_paths)
        .find(|dir| has_tools(dir))
        .and_then(|dir| fs::canonicalize(dir.join("initdb")).ok())
        && let Some(dir) = initdb.parent()
    {
        return Ok(dir.to_path_buf());
    }
    let mut installed: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((major, entry.path().join("bin")))
        })
        .filter(|(_, bin)| has_tools(bin))
        .collect();
    installed.sort();
    let found = match installed
        .iter()
        .position(|(major, _)| major.to_string() == PREFERRED_MAJOR)
    {
        Some(preferred) => Some(installed.swap_remove(preferred).1),
        None => installed.pop().map(|(_, bin)| bin),
    };
    found.ok_or_else(|| "no initdb and pg_ctl in PATH or /usr/lib/postgresql/*/bin".to_string())
}

/// The effective uid, from /proc (no `unsafe` libc call), else from `id -u`.
fn effective_uid() -> Option<u32> {
    let from_proc = fs::File::open("/proc/self/status").ok().and_then(|status| {
        BufReader::new(status)
            .lines()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix("Uid:").map(str::to_string))
            .and_then(|uids| uids.split_whitespace().nth(1)?.parse().ok())
    });
    from_proc.or_else(|| {
        let output = Command::new("id").arg("-u").output().ok()?;
        String::from_utf8(output.stdout).ok()?.trim().parse().ok()
    })
}

fn succeeds(command: &mut Command) -> bool {
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Turns a finished command into `Err` with its output when it could not run or exited non-zero.
fn check(output: std::io::Result<Output>, what: &str) -> Result<(), String> {
    let output = output.map_err(|e| format!("{what} could not run: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
