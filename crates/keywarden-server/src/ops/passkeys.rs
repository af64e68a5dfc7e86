//! Passkeys already registered: list, rename, delete — by their owner (delete needs recent strong
//! authentication) or by an administrator.

use keywarden_domain::access::Action;
use keywarden_domain::audit::{Activity, DetailKey};
use keywarden_domain::directory::User;
use keywarden_domain::ids::MethodId;
use keywarden_domain::passkey::Passkey;

use super::{event, user_target};
use crate::api_error::ApiError;
use crate::auth::Actor;
use crate::context::RequestContext;
use crate::state::AppState;

async fn owned(state: &AppState, user: &User, id: MethodId) -> Result<Passkey, ApiError> {
    match state.store.passkey(id).await? {
        Some(record) if record.passkey.user_id == user.id => Ok(record.passkey),
        _ => Err(ApiError::not_found(format!("passkey {id}"))),
    }
}

pub async fn list(state: &AppState, actor: &Actor, user: &User) -> Result<Vec<Passkey>, ApiError> {
    if actor.user().is_none_or(|u| u.id != user.id) {
        actor.require(Action::Read)?;
    }
    Ok(state.store.passkeys_of(user.id).await?)
}

pub async fn get(state: &AppState, actor: &Actor, user: &User, id: MethodId) -> Result<Passkey, ApiError> {
    if actor.user().is_none_or(|u| u.id != user.id) {
        actor.require(Action::Read)?;
    }
    owned(state, user, id).await
}

/// Renames one of the caller's own passkeys.
pub async fn rename(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    user: &User,
    id: MethodId,
    name: &str,
) -> Result<Passkey, ApiError> {
    let name = super::registration::valid_display_name(name)?;
    let passkey = owned(state, user, id).await?;
    let on_behalf = actor.user().is_none_or(|u| u.id != user.id);
    if on_behalf {
        actor.require_on(Action::ManageMethods, user)?;
    }
    let audit = event(
        ctx,
        actor,
        if on_behalf {
            Activity::AdminUpdatedSecurityInfo
        } else {
            Activity::UserUpdatedSecurityInfo
        },
        Ok("Passkey renamed"),
        vec![
            user_target(user).with_changes(vec![keywarden_domain::audit::ModifiedProperty {
                display_name: "DisplayName".into(),
                old_value: Some(passkey.display_name.clone()),
                new_value: Some(name.clone()),
            }]),
        ],
        vec![
            (DetailKey::Method, "Passkey".into()),
            (DetailKey::MethodId, id.to_string()),
        ],
    );
    state.store.rename_passkey(user.id, id, &name, &audit).await?;
    Ok(Passkey {
        display_name: name,
        ..passkey
    })
}

/// Deletes a passkey: by its owner after recent strong authentication, or by an administrator. The sessions it
/// signed in or verified end.
pub async fn delete(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    user: &User,
    id: MethodId,
) -> Result<(), ApiError> {
    let passkey = owned(state, user, id).await?;
    let on_behalf = actor.user().is_none_or(|u| u.id != user.id);
    if on_behalf {
        actor.require_on(Action::ManageMethods, user)?;
    } else {
        let answer = super::own_recency(state, user, actor.session().map(|s| &s.authentication), ctx.now).await?;
        super::require_recent(&answer, "deleting a passkey")?;
    }
    let phrase = format!("Passkey ({})", passkey.passkey_type.label());
    let audit = event(
        ctx,
        actor,
        if on_behalf {
            Activity::AdminDeletedSecurityInfo
        } else {
            Activity::UserDeletedSecurityInfo
        },
        Ok(&if on_behalf {
            format!("Admin deleted {phrase} for user")
        } else {
            format!("User deleted {phrase}")
        }),
        vec![
            user_target(user).with_changes(vec![keywarden_domain::audit::ModifiedProperty {
                display_name: "StrongAuthenticationMethod".into(),
                old_value: Some(phrase.clone()),
                new_value: None,
            }]),
        ],
        vec![
            (DetailKey::Method, phrase),
            (DetailKey::MethodId, id.to_string()),
            (DetailKey::Aaguid, passkey.aa_guid.to_string()),
        ],
    );
    match state.store.delete_passkey(user.id, id, &audit).await {
        Ok(()) => Ok(()),
        Err(keywarden_store::Error::NotFound) => Err(ApiError::not_found(format!("passkey {id}"))),
        Err(e) => Err(e.into()),
    }
}
