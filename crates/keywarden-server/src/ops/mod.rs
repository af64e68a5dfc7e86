//! Application operations: the steps of each use case (check, decide with the domain, write with its audit
//! event). HTTP handlers and the CLI both call these, so the rules live in one place.

pub mod access_pass;
pub mod audit;
pub mod diagnosis;
pub mod directory;
pub mod passkeys;
pub mod policy;
pub mod registration;
pub mod reports;
pub mod rollout;
pub mod sign_in;
pub mod tokens;

use std::collections::BTreeSet;

use keywarden_domain::Code;
use keywarden_domain::audit::{Activity, DetailKey, Event, KeyValue, Outcome, TargetResource};
use keywarden_domain::directory::User;
use keywarden_domain::ids::GroupId;
use keywarden_domain::policy::evaluate::Member;
use keywarden_domain::registration::{Answer, Recency, RecencyInput, recently_verified};
use keywarden_domain::session::{Authentication, Method};
use keywarden_domain::verification::{self, Held};
use keywarden_store::StoredPolicy;
use time::{Duration, OffsetDateTime};

use crate::api_error::ApiError;
use crate::auth::Actor;
use crate::context::RequestContext;
use crate::state::AppState;

/// Builds an audit event for `actor`'s action in `ctx`. `result` is the success phrase or the failure code.
pub fn event(
    ctx: &RequestContext,
    actor: &Actor,
    activity: Activity,
    result: Result<&str, Code>,
    targets: Vec<TargetResource>,
    details: Vec<(DetailKey, String)>,
) -> Event {
    event_by(ctx, actor.initiator(ctx.ip.clone()), activity, result, targets, details)
}

pub fn event_by(
    ctx: &RequestContext,
    initiator: keywarden_domain::audit::Initiator,
    activity: Activity,
    result: Result<&str, Code>,
    targets: Vec<TargetResource>,
    details: Vec<(DetailKey, String)>,
) -> Event {
    let (outcome, reason) = match result {
        Ok(phrase) => (Outcome::Success, phrase.to_string()),
        Err(code) => (Outcome::Failure, code.as_str().to_string()),
    };
    Event {
        id: uuid::Uuid::now_v7(),
        activity_date_time: ctx.now,
        activity,
        correlation_id: ctx.correlation_id,
        initiated_by: initiator,
        result: outcome,
        result_reason: reason,
        target_resources: targets,
        additional_details: details
            .into_iter()
            .map(|(key, value)| KeyValue { key, value })
            .collect(),
    }
}

pub fn user_target(user: &User) -> TargetResource {
    TargetResource::user(&user.id, &user.user_principal_name, &user.display_name)
}

/// The policy in force, read from the database. A fresh database gets the default policy as version 1 (see
/// `ensure_policy`).
pub async fn current_policy(state: &AppState) -> Result<StoredPolicy, ApiError> {
    let policy = match state.store.current_policy().await? {
        Some(policy) => policy,
        None => policy::ensure_policy(state, &RequestContext::local(state.clock.now())).await?,
    };
    state.cache_policy(&policy);
    Ok(policy)
}

/// What a policy decision about `user` needs: the policy in force and the user's groups. The version in force
/// is read with the groups, and the policy document is read and parsed again only when it differs from the
/// cached one, so a change saved by any process (another server, the command line) applies to the next request.
pub async fn policy_and_groups(state: &AppState, user: &User) -> Result<(StoredPolicy, BTreeSet<GroupId>), ApiError> {
    let (groups, version) = state.store.groups_and_policy_version(user.id).await?;
    Ok((policy_at(state, version).await?, groups))
}

/// The policy in force, given the version in force as read with the rest of a request's data: the cached one when
/// it is that version, else read and parsed again.
pub async fn policy_at(state: &AppState, version: i64) -> Result<StoredPolicy, ApiError> {
    match state.cached_policy(version) {
        Some(policy) => Ok(policy),
        None => current_policy(state).await,
    }
}

/// The registration window in force: the policy's, else the deployment's default.
pub fn registration_window(state: &AppState, policy: &StoredPolicy) -> Duration {
    let minutes = policy
        .policy
        .fido2
        .registration_window_in_minutes
        .unwrap_or(state.config.registration_window_minutes);
    Duration::minutes(i64::from(minutes))
}

/// Question 2 for a user about their own account (Security info, deleting one of their passkeys, setting up an
/// authenticator app): whether `authentication` is recent enough, with the strong methods the user can verify with.
pub async fn own_recency(
    state: &AppState,
    user: &User,
    authentication: Option<&Authentication>,
    now: OffsetDateTime,
) -> Result<Answer<Recency>, ApiError> {
    let (policy, groups) = policy_and_groups(state, user).await?;
    let input = RecencyInput {
        verified_party: &user.user_principal_name,
        authentication,
        window: registration_window(state, &policy),
        usable_methods: usable_strong_methods(state, &policy, user, &groups).await?,
    };
    Ok(recently_verified(&input, now))
}

/// Refuses an action on one's own account that needs recent strong authentication (`doing` names it) when
/// question 2 says no, with its evidence.
pub fn require_recent(answer: &Answer<Recency>, doing: &str) -> Result<(), ApiError> {
    match answer.code() {
        None => Ok(()),
        Some(code) => Err(ApiError::new(
            code,
            format!("{doing} needs recent strong authentication: {}", code.summary()),
        )
        .with_details(crate::wire::ErrorDetails {
            verification: Some(crate::wire::to_value(&answer.evidence)),
            ..Default::default()
        })),
    }
}

/// A user's group memberships.
pub async fn groups_of(state: &AppState, user: &User) -> Result<BTreeSet<GroupId>, ApiError> {
    Ok(state.store.groups_of(user.id).await?)
}

/// The strong methods `user` can verify with now, as the domain's one rule decides
/// (`keywarden_domain::verification`): reads what the user holds.
pub async fn usable_strong_methods(
    state: &AppState,
    policy: &StoredPolicy,
    user: &User,
    groups: &BTreeSet<GroupId>,
) -> Result<BTreeSet<Method>, ApiError> {
    let passkeys: Vec<_> = state
        .store
        .passkeys_of(user.id)
        .await?
        .iter()
        .map(|p| (p.aa_guid, p.passkey_type))
        .collect();
    let has_totp = state.store.totp_of(user.id).await?.is_some();
    let access_pass = state.store.access_pass_of(user.id).await?;
    let held = Held {
        has_password: state.store.has_password(user.id).await?,
        has_totp,
        passkeys: &passkeys,
        access_pass: access_pass.as_ref().map(|stored| &stored.pass),
    };
    Ok(strong_methods_of(state, policy, Member { user, groups }, held))
}

/// [`usable_strong_methods`] for a caller that has already read what the user holds.
pub fn strong_methods_of(
    state: &AppState,
    policy: &StoredPolicy,
    member: Member<'_>,
    held: Held<'_>,
) -> BTreeSet<Method> {
    verification::usable_strong_methods(&policy.policy, member, held, &state.catalog(), state.clock.now()).methods
}

/// Finds a user by id or UPN, or answers `not_found` naming what was asked for.
pub async fn find_user(state: &AppState, key: &str) -> Result<User, ApiError> {
    state
        .store
        .find_user(key)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("user {key:?}")))
}

/// Finds a group by id or display name, or answers `not_found` naming what was asked for.
pub async fn find_group(state: &AppState, key: &str) -> Result<keywarden_domain::directory::Group, ApiError> {
    state
        .store
        .find_group(key)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("group {key:?}")))
}
