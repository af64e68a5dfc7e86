//! Reading and changing the authentication methods policy: validated in full, versioned, audited with its diff.

use std::collections::HashSet;

use keywarden_domain::Code;
use keywarden_domain::access::Action;
use keywarden_domain::audit::{Activity, DetailKey, Initiator, TargetResource};
use keywarden_domain::ids::{GroupId, UserId};
use keywarden_domain::policy::{self, ConfigId, Policy, Problem, TargetCheck, TargetType, to_graph_document};
use keywarden_store::StoredPolicy;
use serde_json::Value;

use super::{event, event_by};
use crate::api_error::ApiError;
use crate::auth::Actor;
use crate::context::RequestContext;
use crate::state::AppState;

/// Creates version 1 from the default policy when the database has none. Safe to race: the loser re-reads.
pub async fn ensure_policy(state: &AppState, ctx: &RequestContext) -> Result<StoredPolicy, ApiError> {
    if let Some(current) = state.store.current_policy().await? {
        return Ok(current);
    }
    let policy = Policy::default();
    let initiator = Initiator::LocalOperator {
        os_user: "keywarden (first start)".into(),
    };
    let changes = policy::diff(&policy, &policy);
    let audit = event_by(
        ctx,
        initiator,
        Activity::AuthenticationMethodsPolicyUpdate,
        Ok("Default authentication methods policy created"),
        vec![TargetResource::authentication_methods_policy().with_changes(changes)],
        vec![(DetailKey::PolicyVersion, "1".into())],
    );
    match state
        .store
        .save_policy(0, &policy, "keywarden (first start)", ctx.now, &audit)
        .await
    {
        Ok(_) | Err(keywarden_store::Error::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    state
        .store
        .current_policy()
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("policy missing after save")))
}

/// The groups and users a policy names, looked up once so the domain's check stays synchronous.
struct KnownTargets {
    groups: HashSet<GroupId>,
    users: HashSet<UserId>,
}

impl TargetCheck for KnownTargets {
    fn group_exists(&self, id: &GroupId) -> bool {
        self.groups.contains(id)
    }
    fn user_exists(&self, id: &UserId) -> bool {
        self.users.contains(id)
    }
}

/// Every group or user id a document mentions, to look them up before validating it.
fn mentioned_ids(value: &Value, groups: &mut Vec<GroupId>, users: &mut Vec<UserId>) {
    match value {
        Value::Object(map) => {
            if let Some(id) = map.get("id").and_then(Value::as_str) {
                match map.get("targetType").and_then(Value::as_str) {
                    Some("user") => users.extend(id.parse::<UserId>().ok()),
                    Some(_) => groups.extend(id.parse::<GroupId>().ok()),
                    None => {}
                }
            }
            map.values().for_each(|v| mentioned_ids(v, groups, users));
        }
        Value::Array(items) => items.iter().for_each(|v| mentioned_ids(v, groups, users)),
        _ => {}
    }
}

async fn known_targets(state: &AppState, documents: &[&Value]) -> Result<KnownTargets, ApiError> {
    let (mut groups, mut users) = (Vec::new(), Vec::new());
    for document in documents {
        mentioned_ids(document, &mut groups, &mut users);
    }
    Ok(KnownTargets {
        groups: state.store.existing_groups(&groups).await?,
        users: state.store.existing_users(&users).await?,
    })
}

fn invalid(problems: &[Problem]) -> ApiError {
    let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
    ApiError::new(
        Code::InvalidPolicy,
        format!("the policy has {} problem(s): {}", problems.len(), listed.join("; ")),
    )
    .with_details(crate::wire::ErrorDetails {
        problems: Some(crate::wire::to_value(&problems)),
        ..Default::default()
    })
}

/// Saves `next` after `current` if it differs, with one audit event carrying the diff. Returns the version in
/// force afterwards. The caller checks [`Action::ManagePolicy`].
pub(crate) async fn save(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    current: &StoredPolicy,
    next: &Policy,
) -> Result<i64, ApiError> {
    let changes = policy::diff(&current.policy, next);
    if changes.is_empty() {
        return Ok(current.version);
    }
    let by = actor.initiator(ctx.ip.clone()).name();
    let audit = event(
        ctx,
        actor,
        Activity::AuthenticationMethodsPolicyUpdate,
        Ok("Authentication methods policy updated"),
        vec![TargetResource::authentication_methods_policy().with_changes(changes)],
        vec![(DetailKey::PolicyVersion, (current.version + 1).to_string())],
    );
    state
        .store
        .save_policy(current.version, next, &by, ctx.now, &audit)
        .await
        .map_err(|e| match e {
            keywarden_store::Error::Conflict(_) => ApiError::new(
                Code::AlreadyExists,
                "the policy changed while this change was being made; read it again and retry",
            ),
            other => other.into(),
        })
}

/// Applies a document a person wrote (a whole policy or one configuration). Properties left out keep their values.
pub async fn apply_document(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    text: &str,
) -> Result<(StoredPolicy, i64), ApiError> {
    actor.require(Action::ManagePolicy)?;
    let current = super::current_policy(state).await?;
    let next = parse_document(state, &current, text).await?;
    let version = save(state, ctx, actor, &current, &next).await?;
    Ok((current, version))
}

/// The policy a document a person wrote would make of `current`, validated in full (every problem listed), as
/// applying it would; nothing is saved.
pub async fn parse_document(state: &AppState, current: &StoredPolicy, text: &str) -> Result<Policy, ApiError> {
    let parsed: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let in_force = to_graph_document(&current.policy, current.version, current.modified_at);
    let targets = known_targets(state, &[&parsed, &in_force]).await?;
    policy::parse(text, &current.policy, &targets).map_err(|p| invalid(&p))
}

/// Graph's PATCH of one configuration.
pub async fn patch_configuration(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    id: ConfigId,
    patch: &Value,
) -> Result<i64, ApiError> {
    actor.require(Action::ManagePolicy)?;
    let current = super::current_policy(state).await?;
    let in_force = to_graph_document(&current.policy, current.version, current.modified_at);
    let targets = known_targets(state, &[patch, &in_force]).await?;
    let next = policy::apply_patch(&current.policy, id, patch, &targets).map_err(|p| invalid(&p))?;
    save(state, ctx, actor, &current, &next).await
}

/// Puts one configuration back to keywarden's defaults (Graph's DELETE on a configuration).
pub async fn reset_configuration(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    id: ConfigId,
) -> Result<i64, ApiError> {
    actor.require(Action::ManagePolicy)?;
    let current = super::current_policy(state).await?;
    let mut next = current.policy.clone();
    let defaults = Policy::default();
    match id {
        ConfigId::Fido2 => next.fido2 = defaults.fido2,
        ConfigId::TemporaryAccessPass => next.temporary_access_pass = defaults.temporary_access_pass,
    }
    save(state, ctx, actor, &current, &next).await
}

/// The group ids a policy names (for showing names next to them).
pub fn target_groups(policy: &Policy) -> Vec<GroupId> {
    let fido2 = &policy.fido2;
    let tap = &policy.temporary_access_pass;
    fido2
        .include_targets
        .iter()
        .map(|t| &t.id)
        .chain(
            fido2
                .exclude_targets
                .iter()
                .filter(|t| t.target_type == TargetType::Group)
                .map(|t| &t.id),
        )
        .chain(tap.include_targets.iter().map(|t| &t.id))
        .filter_map(|id| id.parse().ok())
        .collect()
}
