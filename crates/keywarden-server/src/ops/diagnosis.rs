//! The help desk's questions about one user: can they register a passkey now, why did an attempt fail, and
//! what is their effective policy. This module only gathers the inputs (user, groups and their names, the policy
//! now and at the time, methods, attempts, FIDO metadata); the answers come from `keywarden_domain::diagnosis`.
//! It reads and never writes, so nothing here is audited.

use std::collections::{BTreeMap, BTreeSet};

use keywarden_domain::access::Action;
use keywarden_domain::diagnosis::{
    AttemptRecord, Diagnosis, Directory, Explanation, Methods, PolicyInForce, diagnose_attempt, diagnose_now, explain,
};
use keywarden_domain::directory::User;
use keywarden_domain::ids::{AttemptId, GroupId};
use keywarden_domain::policy::{Policy, TargetType};
use keywarden_store::{Attempt, StoredPolicy};

use crate::api_error::ApiError;
use crate::auth::Actor;
use crate::state::AppState;

/// How many recent attempts a diagnosis "now" reads for the last platform and authenticator evidence.
const RECENT_ATTEMPTS: u32 = 20;

/// What to diagnose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// Can the user register a passkey now?
    Now,
    /// Why did this attempt end as it did?
    Attempt(AttemptId),
    /// The user's most recent attempt.
    LastAttempt,
}

impl Subject {
    /// Reads `?attempt=`: absent for now, `last`, or an attempt id.
    pub fn parse(attempt: Option<&str>) -> Result<Subject, ApiError> {
        match attempt.map(str::trim) {
            None | Some("") => Ok(Subject::Now),
            Some(s) if s.eq_ignore_ascii_case("last") => Ok(Subject::LastAttempt),
            Some(s) => s
                .parse()
                .map(Subject::Attempt)
                .map_err(|_| ApiError::invalid(format!("attempt {s:?} is neither an attempt id nor \"last\""))),
        }
    }
}

/// An attempt as the diagnosis reads it.
pub fn record(attempt: &Attempt) -> AttemptRecord {
    AttemptRecord {
        id: attempt.id,
        started_at: attempt.started_at,
        finished_at: attempt.finished_at,
        status: attempt.status,
        outcome: attempt.outcome,
        policy_version: attempt.policy_version,
        on_behalf: attempt.on_behalf,
        evidence: attempt.evidence.clone(),
        facts: attempt.facts.clone(),
        client_report: attempt.client_report.clone(),
        user_agent: attempt.user_agent.clone(),
    }
}

/// Display names of the user's groups and of every group the policies target.
async fn group_names(
    state: &AppState,
    memberships: &BTreeSet<GroupId>,
    policies: &[&Policy],
) -> Result<BTreeMap<GroupId, String>, ApiError> {
    let mut ids: BTreeSet<GroupId> = memberships.clone();
    for policy in policies {
        let fido2 = &policy.fido2;
        let targets = fido2
            .include_targets
            .iter()
            .map(|t| (t.id.as_str(), t.target_type))
            .chain(fido2.exclude_targets.iter().map(|t| (t.id.as_str(), t.target_type)));
        ids.extend(
            targets
                .filter(|(_, kind)| *kind == TargetType::Group)
                .filter_map(|(id, _)| id.parse::<GroupId>().ok()),
        );
    }
    let mut names = BTreeMap::new();
    for id in ids {
        if let Some(group) = state.store.group(id).await? {
            names.insert(id, group.display_name);
        }
    }
    Ok(names)
}

fn in_force<'a>(state: &AppState, stored: &'a StoredPolicy) -> PolicyInForce<'a> {
    PolicyInForce {
        version: stored.version,
        policy: &stored.policy,
        window: super::registration_window(state, stored),
    }
}

/// Diagnoses `user` now, or one of their attempts. Needs a role that may read the directory.
pub async fn diagnose(state: &AppState, actor: &Actor, user: &User, subject: Subject) -> Result<Diagnosis, ApiError> {
    actor.require(Action::Read)?;
    let now = state.clock.now();
    let catalog = state.catalog();
    let today = super::current_policy(state).await?;
    let memberships = state.store.groups_of(user.id).await?;
    let attempt = match subject {
        Subject::Now => None,
        Subject::Attempt(id) => Some(
            state
                .store
                .attempt(id)
                .await?
                .filter(|a| a.user_id == user.id)
                .ok_or_else(|| {
                    ApiError::not_found(format!("registration attempt {id} of {}", user.user_principal_name))
                })?,
        ),
        Subject::LastAttempt => Some(
            state
                .store
                .attempts_of(user.id, 1)
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    ApiError::not_found(format!("a registration attempt of {}", user.user_principal_name))
                })?,
        ),
    };
    let Some(attempt) = attempt else {
        let names = group_names(state, &memberships, &[&today.policy]).await?;
        let directory = Directory {
            user,
            memberships: &memberships,
            group_names: &names,
        };
        let passkeys = state.store.passkeys_of(user.id).await?;
        let access_pass = state.store.access_pass_of(user.id).await?.map(|stored| stored.pass);
        let methods = Methods {
            has_password: state.store.password_hash(user.id).await?.is_some(),
            totp: state.store.totp_of(user.id).await?.is_some(),
            passkeys: &passkeys,
            access_pass: access_pass.as_ref(),
        };
        let attempts: Vec<AttemptRecord> = state
            .store
            .attempts_of(user.id, RECENT_ATTEMPTS)
            .await?
            .iter()
            .map(record)
            .collect();
        return Ok(diagnose_now(
            &directory,
            &in_force(state, &today),
            &methods,
            &attempts,
            &catalog,
            now,
        ));
    };
    // The policy of the time; every version is kept, so it is missing only after a manual deletion.
    let then = state
        .store
        .policy_version(attempt.policy_version)
        .await?
        .unwrap_or_else(|| today.clone());
    let names = group_names(state, &memberships, &[&then.policy, &today.policy]).await?;
    let directory = Directory {
        user,
        memberships: &memberships,
        group_names: &names,
    };
    Ok(diagnose_attempt(
        &directory,
        &record(&attempt),
        &in_force(state, &then),
        &in_force(state, &today),
        &catalog,
    ))
}

/// The effective policy for `user`: targets matched, profiles that apply, what each accepts.
pub async fn effective_policy(state: &AppState, actor: &Actor, user: &User) -> Result<Explanation, ApiError> {
    actor.require(Action::Read)?;
    let policy = super::current_policy(state).await?;
    let memberships = state.store.groups_of(user.id).await?;
    let names = group_names(state, &memberships, &[&policy.policy]).await?;
    let directory = Directory {
        user,
        memberships: &memberships,
        group_names: &names,
    };
    Ok(explain(&directory, &in_force(state, &policy), &state.catalog()))
}
