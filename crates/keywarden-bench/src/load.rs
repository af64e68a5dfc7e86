//! The clients and their loops: each client owns a share of the users (signed in with their passes before the
//! run) and repeats complete operations until the phase ends, timing each one. Registrations use a new software
//! authenticator each time (a user's existing passkeys are in `excludeCredentials`, which an authenticator
//! holding one of them refuses); sign-ins go round the passkeys the client registered.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use keywarden_domain::Aaguid;
use keywarden_testkit::SoftAuthenticator;

use crate::client::{Api, Failure, Session, Timings};

/// The AAGUID of the benchmark's authenticators: the ASCII of "keywarden-bench!", a model no metadata lists.
const BENCH_AAGUID: [u8; 16] = *b"keywarden-bench!";

/// After a failed operation a client waits this long, so that a broken server is not hammered in a tight loop.
const BACKOFF: Duration = Duration::from_millis(10);

/// A user a client acts for.
pub struct ClientUser {
    pub user_principal_name: String,
    pub session: Session,
}

/// A registered passkey: the authenticator that holds it (a sign-in is username-less: the passkey names its user).
struct Credential {
    authenticator: SoftAuthenticator,
}

/// One simulated client: a connection to the server, its users and the passkeys it registered for them.
pub struct Client {
    api: Api,
    users: Vec<ClientUser>,
    credentials: Vec<Credential>,
    next_user: usize,
    next_credential: usize,
}

/// What a phase does on each turn.
#[derive(Clone, Copy, Debug)]
pub enum Operation {
    Register,
    SignIn,
}

/// When a phase measures and ends, shared by its clients.
#[derive(Clone)]
pub struct Window {
    /// Operations started from here on are measured.
    pub measure_from: Instant,
    /// No operation starts after this.
    pub until: Instant,
    /// Stop after this many measured operations.
    pub limit: Option<u64>,
    pub claimed: Arc<AtomicU64>,
}

/// What one client saw in a phase. Latencies are in microseconds.
#[derive(Default)]
pub struct Samples {
    pub total: Vec<u32>,
    pub begin: Vec<u32>,
    pub finish: Vec<u32>,
    pub errors: BTreeMap<String, u64>,
    /// When the last measured operation completed.
    pub last_completion: Option<Instant>,
}

impl Samples {
    pub fn merge(&mut self, other: Samples) {
        self.total.extend(other.total);
        self.begin.extend(other.begin);
        self.finish.extend(other.finish);
        for (key, n) in other.errors {
            *self.errors.entry(key).or_default() += n;
        }
        self.last_completion = self.last_completion.max(other.last_completion);
    }

    fn record(&mut self, total: Duration, timings: Timings, at: Instant) {
        self.total.push(micros(total));
        self.begin.push(micros(timings.begin));
        self.finish.push(micros(timings.finish));
        self.last_completion = Some(at);
    }
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

impl Client {
    pub fn new(api: Api, users: Vec<ClientUser>) -> Client {
        Client {
            api,
            users,
            credentials: Vec::new(),
            next_user: 0,
            next_credential: 0,
        }
    }

    pub fn n_credentials(&self) -> usize {
        self.credentials.len()
    }

    /// Runs `operation` in a loop until the window closes; returns the client (with any new passkeys) and what it saw.
    pub async fn run(mut self, operation: Operation, window: Window) -> (Client, Samples) {
        let mut samples = Samples::default();
        loop {
            let started = Instant::now();
            if started >= window.until {
                break;
            }
            let measured = started >= window.measure_from;
            if measured
                && let Some(limit) = window.limit
                && window.claimed.fetch_add(1, Ordering::Relaxed) >= limit
            {
                break;
            }
            let result = match operation {
                Operation::Register => self.register().await,
                Operation::SignIn => self.sign_in().await,
            };
            let ended = Instant::now();
            match result {
                Ok(timings) if measured => samples.record(ended - started, timings, ended),
                Ok(_) => {}
                Err(Failure(key)) => {
                    let stop = key == NO_PASSKEY;
                    *samples.errors.entry(key).or_default() += 1;
                    if stop {
                        break;
                    }
                    tokio::time::sleep(BACKOFF).await;
                }
            }
        }
        (self, samples)
    }

    /// Registers a passkey for the next user, with a new authenticator.
    async fn register(&mut self) -> Result<Timings, Failure> {
        let user = self.next_user % self.users.len();
        self.next_user += 1;
        let mut authenticator = SoftAuthenticator::new(Aaguid::from_bytes(BENCH_AAGUID));
        let timings = self.api.register(&self.users[user].session, &mut authenticator).await?;
        self.credentials.push(Credential { authenticator });
        Ok(timings)
    }

    /// Signs in with the next passkey this client registered.
    async fn sign_in(&mut self) -> Result<Timings, Failure> {
        if self.credentials.is_empty() {
            return Err(Failure(NO_PASSKEY.into()));
        }
        let index = self.next_credential % self.credentials.len();
        self.next_credential += 1;
        let credential = &mut self.credentials[index];
        self.api.sign_in_with_passkey(&mut credential.authenticator).await
    }
}

/// The failure key of a client that has no passkey to sign in with (its registrations all failed).
const NO_PASSKEY: &str = "client_has_no_passkey";
