//! API tokens for automation: created with one role, shown once, stored as a hash, revocable.

use keywarden_domain::access::Action;
use keywarden_domain::audit::{Activity, DetailKey, TargetResource};
use keywarden_domain::directory::Role;
use keywarden_store::ApiToken;
use time::Duration;

use super::event;
use crate::api_error::ApiError;
use crate::auth::{Actor, TOKEN_PREFIX};
use crate::context::RequestContext;
use crate::secrets::{new_token, token_hash};
use crate::state::AppState;

/// Creates a token; the secret is returned once.
pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    role: Role,
    lifetime_days: Option<u32>,
) -> Result<(ApiToken, String), ApiError> {
    actor.require(Action::ManageTokens)?;
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::invalid("the token name must have 1 to 100 characters"));
    }
    let secret = new_token(TOKEN_PREFIX);
    let token = ApiToken {
        id: uuid::Uuid::now_v7(),
        name: name.to_string(),
        role,
        created_at: ctx.now,
        created_by: actor.initiator(ctx.ip.clone()).name(),
        expires_at: lifetime_days.map(|d| ctx.now + Duration::days(i64::from(d))),
        revoked_at: None,
    };
    let audit = event(
        ctx,
        actor,
        Activity::AddApiToken,
        Ok("API token created"),
        vec![TargetResource::other("ServicePrincipal", &token.id, &token.name)],
        vec![(DetailKey::Role, role.display_name().into())],
    );
    state.store.insert_token(&token, &token_hash(&secret), &audit).await?;
    Ok((token, secret))
}

pub async fn list(state: &AppState, actor: &Actor) -> Result<Vec<ApiToken>, ApiError> {
    actor.require(Action::ManageTokens)?;
    Ok(state.store.list_tokens().await?)
}

pub async fn revoke(state: &AppState, ctx: &RequestContext, actor: &Actor, id: uuid::Uuid) -> Result<(), ApiError> {
    actor.require(Action::ManageTokens)?;
    let audit = event(
        ctx,
        actor,
        Activity::RevokeApiToken,
        Ok("API token revoked"),
        vec![TargetResource::other("ServicePrincipal", &id, "")],
        vec![],
    );
    match state.store.revoke_token(id, ctx.now, &audit).await {
        Err(keywarden_store::Error::NotFound) => Err(ApiError::not_found(format!("active token {id}"))),
        other => Ok(other?),
    }
}
