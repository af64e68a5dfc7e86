//! Passkeys already registered: list, rename, delete — by their owner (delete needs recent strong
//! authentication) or by an administrator.

use keywarden_domain::access::Action;
use keywarden_domain::audit::{Activity, DetailKey};
use keywarden_domain::directory::User;
use keywarden_domain::ids::MethodId;
use keywarden_domain::metadata::Catalog;
use keywarden_domain::passkey::{Passkey, Registrar};
use keywarden_domain::registration::{RecencyInput, recently_verified};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use super::{event, user_target};
use crate::api_error::ApiError;
use crate::auth::Actor;
use crate::context::RequestContext;
use crate::state::AppState;

fn time(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// A passkey as Graph's `fido2AuthenticationMethod`, plus keywarden's governance fields and, when the FIDO
/// metadata has one for its AAGUID, the authenticator's `icon` (a `data:` URI).
pub fn to_json(passkey: &Passkey, catalog: &Catalog) -> Value {
    let mut body = json!({
        "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
        "id": passkey.id.to_string(),
        "displayName": passkey.display_name,
        "createdDateTime": time(passkey.created_date_time),
        "lastUsedDateTime": passkey.last_used_date_time.map(time),
        "aaGuid": passkey.aa_guid.to_string(),
        "model": passkey.model,
        "attestationCertificates": passkey.attestation_certificates,
        "attestationLevel": passkey.attestation_level.as_str(),
        "passkeyType": passkey.passkey_type.as_str(),
        "admittingProfile": passkey.admitting_profile,
        "registeredBy": match &passkey.registered_by { Registrar::User => json!("self"), Registrar::Admin { name, .. } => json!(name) },
        "signCount": passkey.sign_count,
        "backupEligible": passkey.backup_eligible,
        "backupState": passkey.backup_state,
        "backupStateChangedDateTime": passkey.backup_state_changed_date_time.map(time),
        "transports": passkey.transports,
        "attestationFormat": passkey.facts.format.as_str(),
    });
    if let Some(icon) = catalog.entry(&passkey.aa_guid).and_then(|e| e.icon.as_deref()) {
        body["icon"] = json!(icon);
    }
    body
}

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
        let (policy, groups) = super::policy_and_groups(state, user).await?;
        let input = RecencyInput {
            verified_party: &user.user_principal_name,
            authentication: actor.session().map(|s| &s.authentication),
            window: super::registration_window(state, &policy),
            usable_methods: super::usable_strong_methods(state, &policy, user, &groups).await?,
        };
        let answer = recently_verified(&input, ctx.now);
        if let Some(code) = answer.code() {
            return Err(ApiError::new(
                code,
                format!(
                    "deleting a passkey needs recent strong authentication: {}",
                    code.summary()
                ),
            )
            .with_details(json!({ "verification": answer.evidence })));
        }
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
