//! The benchmark's database: a throw-away SQLite file or PostgreSQL database, filled through keywarden-server's
//! operations as the local operator (as `keywarden users import`, `policy apply` and `tap issue` would), before
//! the server starts. It writes no SQL of its own.

use std::path::Path;

use anyhow::{Context, bail};
use keywarden_domain::access_pass::IssueRequest;
use keywarden_domain::metadata::Catalog;
use keywarden_server::auth::Actor;
use keywarden_server::ops::{access_pass, directory, policy};
use keywarden_server::{AppState, Clock, Config, RequestContext};
use keywarden_store::Store;
use serde_json::json;

use crate::options::Backend;

/// How long the benchmark's passes last: the policy's maximum, so that sessions outlive any run.
const PASS_LIFETIME_MINUTES: u32 = 480;
/// The registration window the benchmark's policy sets (its maximum): sessions signed in with a pass before the run
/// stay recently verified through it.
const REGISTRATION_WINDOW_MINUTES: u32 = 60;

/// A benchmark user and the multi-use pass it signs in with.
#[derive(Clone, Debug)]
pub struct BenchUser {
    pub user_principal_name: String,
    pub pass_code: String,
}

/// The URL of a new, empty database on `backend`. A SQLite file is created in `dir`.
pub fn create(backend: Backend, dir: &Path) -> anyhow::Result<String> {
    match backend {
        Backend::Sqlite => Ok(format!("sqlite://{}", dir.join("keywarden-bench.db").display())),
        Backend::Postgres => match keywarden_testkit::postgres::cluster() {
            Some(cluster) => Ok(cluster.fresh_database()),
            None => bail!("PostgreSQL is not available (see the message above)"),
        },
    }
}

/// The user principal name of benchmark user `n`.
pub fn user_principal_name(n: usize) -> String {
    format!("bench-{n:05}@bench.test")
}

/// Creates `n_users` members, a policy that lets every user register passkeys, and a multi-use pass for each user.
/// Returns the users with their pass codes.
pub async fn seed(url: &str, n_users: usize) -> anyhow::Result<Vec<BenchUser>> {
    let store = Store::connect(url)
        .await
        .context("connecting to the benchmark database")?;
    let config = Config {
        database_url: url.to_string(),
        ..Config::default()
    };
    let state = AppState::new(config, store, Catalog::default(), Clock::system())?;
    let operator = Actor::LocalOperator {
        os_user: "keywarden-loadgen".into(),
    };
    let ctx = RequestContext::local(state.clock.now());

    let mut csv = String::from("userPrincipalName,displayName,userType,accountEnabled,roles,password\n");
    for n in 0..n_users {
        csv.push_str(&format!("{},Bench User {n},member,true,,\n", user_principal_name(n)));
    }
    directory::import_users(&state, &ctx, &operator, &csv, directory::Format::Csv)
        .await
        .map_err(|e| failed("importing users", e))?;

    // Passkeys on for everyone (the default policy targets all users with the permissive default profile).
    let document = json!({
        "id": "Fido2",
        "state": "enabled",
        "registrationWindowInMinutes": REGISTRATION_WINDOW_MINUTES,
    });
    policy::apply_document(&state, &ctx, &operator, &document.to_string())
        .await
        .map_err(|e| failed("applying the benchmark policy", e))?;

    // Issuing hashes each code with argon2id, the slow part of the set-up: one task per core, each issuing to its
    // share of the users in turn. (A task per user would starve the one writer connection of worker threads.)
    let n_tasks = std::thread::available_parallelism().map_or(1, usize::from);
    let mut tasks = tokio::task::JoinSet::new();
    for first in 0..n_tasks {
        let state = state.clone();
        let operator = operator.clone();
        tasks.spawn(async move {
            let mut issued = Vec::new();
            for n in (first..n_users).step_by(n_tasks) {
                let upn = user_principal_name(n);
                let ctx = RequestContext::local(state.clock.now());
                let user = keywarden_server::ops::find_user(&state, &upn).await?;
                let request = IssueRequest {
                    lifetime_in_minutes: Some(PASS_LIFETIME_MINUTES),
                    is_usable_once: Some(false),
                    start_date_time: None,
                };
                let pass = access_pass::issue(&state, &ctx, &operator, &user, &request).await?;
                issued.push((n, pass.code));
            }
            Ok::<_, keywarden_server::ApiError>(issued)
        });
    }
    let mut users = vec![None; n_users];
    while let Some(joined) = tasks.join_next().await {
        let issued = joined
            .context("a pass-issuing task panicked")?
            .map_err(|e| failed("issuing a Temporary Access Pass", e))?;
        for (n, code) in issued {
            users[n] = Some(BenchUser {
                user_principal_name: user_principal_name(n),
                pass_code: code,
            });
        }
    }
    state.store.close().await;
    users.into_iter().map(|u| u.context("every user has a pass")).collect()
}

/// An operation's refusal or failure as an error naming the step, with the internal cause when there is one.
fn failed(step: &str, error: keywarden_server::ApiError) -> anyhow::Error {
    match error.source {
        Some(cause) => cause.context(format!("{step}: {}", error.message)),
        None => anyhow::anyhow!("{step}: {} ({})", error.message, error.code),
    }
}
