//! Temporary Access Passes: issue (the code is shown once and stored as a hash), read, revoke.

use keywarden_domain::Code;
use keywarden_domain::access::Action;
use keywarden_domain::access_pass::{AccessPass, IssueRequest, UsabilityReason, plan_issue, usability};
use keywarden_domain::audit::{Activity, DetailKey, ModifiedProperty};
use keywarden_domain::directory::User;
use keywarden_domain::ids::MethodId;
use keywarden_domain::policy::evaluate::{Member, access_pass_scope};
use keywarden_store::{StoredAccessPass, StoredPolicy};

use super::{event, user_target};
use crate::api_error::ApiError;
use crate::auth::Actor;
use crate::context::RequestContext;
use crate::secrets::{hash_secret_off_runtime, new_pass_code};
use crate::state::AppState;

/// Whether a pass is usable now, and why not.
pub async fn usability_of(
    state: &AppState,
    policy: &StoredPolicy,
    user: &User,
    pass: &AccessPass,
) -> Result<(bool, UsabilityReason), ApiError> {
    let groups = super::groups_of(state, user).await?;
    let in_scope = access_pass_scope(&policy.policy.temporary_access_pass, Member { user, groups: &groups });
    Ok(usability(
        pass,
        &policy.policy.temporary_access_pass,
        in_scope,
        state.clock.now(),
    ))
}

/// An issued pass and its code, which is never available again.
pub struct Issued {
    pub pass: AccessPass,
    pub code: String,
    pub usable: (bool, UsabilityReason),
}

/// Issues a pass to `user`, replacing the previous one (whose sessions end with it).
pub async fn issue(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    user: &User,
    request: &IssueRequest,
) -> Result<Issued, ApiError> {
    actor.require_on(Action::ManageMethods, user)?;
    let policy = super::current_policy(state).await?;
    let plan = plan_issue(request, &policy.policy.temporary_access_pass, user, ctx.now)
        .map_err(|message| ApiError::new(Code::AccessPassPolicyViolation, message))?;
    let code = new_pass_code(plan.length);
    let pass = AccessPass {
        id: MethodId(uuid::Uuid::now_v7()),
        user_id: user.id,
        created_date_time: ctx.now,
        start_date_time: plan.start_date_time,
        lifetime_in_minutes: plan.lifetime_in_minutes,
        is_usable_once: plan.is_usable_once,
        used_date_time: None,
    };
    let replaced = state.store.access_pass_of(user.id).await?;
    let description = format!(
        "{} pass, {} minutes from {}",
        if pass.is_usable_once { "one-time" } else { "multi-use" },
        pass.lifetime_in_minutes,
        keywarden_domain::instant::rfc3339(pass.start_date_time)
    );
    let audit = event(
        ctx,
        actor,
        Activity::AdminRegisteredSecurityInfo,
        Ok("Admin registered temporary access pass method for user"),
        vec![user_target(user).with_changes(vec![ModifiedProperty {
            display_name: "TemporaryAccessPass".into(),
            old_value: replaced.as_ref().map(|r| r.pass.id.to_string()),
            new_value: Some(description),
        }])],
        vec![
            (DetailKey::Method, "TemporaryAccessPass".into()),
            (DetailKey::MethodId, pass.id.to_string()),
            (DetailKey::IsUsableOnce, pass.is_usable_once.to_string()),
            (DetailKey::LifetimeInMinutes, pass.lifetime_in_minutes.to_string()),
        ],
    );
    let created_by = actor.initiator(ctx.ip.clone()).name();
    let code_hash = hash_secret_off_runtime(&code).await?;
    state
        .store
        .replace_access_pass(
            &StoredAccessPass {
                pass: pass.clone(),
                code_hash,
                created_by,
            },
            &audit,
        )
        .await?;
    let usable = usability_of(state, &policy, user, &pass).await?;
    Ok(Issued { pass, code, usable })
}

/// The user's pass, if any, without its code.
pub async fn get(
    state: &AppState,
    actor: &Actor,
    user: &User,
) -> Result<Option<(AccessPass, (bool, UsabilityReason))>, ApiError> {
    actor.require(Action::Read)?;
    let Some(stored) = state.store.access_pass_of(user.id).await? else {
        return Ok(None);
    };
    let policy = super::current_policy(state).await?;
    let usable = usability_of(state, &policy, user, &stored.pass).await?;
    Ok(Some((stored.pass, usable)))
}

/// Deletes the user's pass; the sessions it opened end.
pub async fn revoke(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    user: &User,
    id: MethodId,
) -> Result<(), ApiError> {
    actor.require_on(Action::ManageMethods, user)?;
    let audit = event(
        ctx,
        actor,
        Activity::AdminDeletedSecurityInfo,
        Ok("Admin deleted temporary access pass method for user"),
        vec![user_target(user)],
        vec![
            (DetailKey::Method, "TemporaryAccessPass".into()),
            (DetailKey::MethodId, id.to_string()),
        ],
    );
    if state.store.delete_access_pass(user.id, id, &audit).await? {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("temporary access pass {id}")))
    }
}
