//! Sign-in with a passkey: request options, reading which credential a response names, and verifying the
//! assertion against the stored credential (signature, challenge, origin, rpIdHash, user verification, counter).
//!
//! Finding the credential and checking that the user handle belongs to its owner is the server's part; this
//! module verifies the response for the credential it is given.

use keywarden_domain::Code;
use serde_json::Value;
use webauthn_rs_core::WebauthnCore;
use webauthn_rs_core::proto::{AuthenticationState, Credential, PublicKeyCredential, UserVerificationPolicy};

use crate::encoding::{b64url_decode, b64url_encode, clip};
use crate::error::{Ceremony, Error, Rejection, from_core};
use crate::options::{clean_descriptor_transports, strip_nulls};
use crate::relying_party::{Pending, PendingCeremony, RelyingParty, StoredCredential, VerifiedAssertion, decode_ids};

pub(crate) fn begin(rp: &RelyingParty, allow: &[StoredCredential]) -> Result<(Value, PendingCeremony), Error> {
    let credentials = allow
        .iter()
        .map(|stored| serde_json::from_str::<Credential>(&stored.0))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::StoredCredential)?;
    let allow_credentials = credentials.iter().map(|c| b64url_encode(&c.cred_id)).collect();
    let builder = rp
        .core()
        .new_challenge_authenticate_builder(credentials, Some(UserVerificationPolicy::Required))
        .map_err(Error::Core)?;
    let (challenge, mut state) = rp
        .core()
        .generate_challenge_authenticate(builder)
        .map_err(Error::Core)?;
    // The state need not carry whole credentials: finish_sign_in is handed the one the response names.
    state.set_allowed_credentials(vec![]);
    let mut options = serde_json::to_value(&challenge.public_key).map_err(Error::Serialise)?;
    clean_descriptor_transports(&mut options, "allowCredentials");
    strip_nulls(&mut options);
    let pending = PendingCeremony::seal(&Pending::SignIn {
        state,
        allow_credentials,
    })?;
    Ok((options, pending))
}

pub(crate) fn finish(
    rp: &RelyingParty,
    response: &Value,
    pending: &PendingCeremony,
    stored: &StoredCredential,
) -> Result<VerifiedAssertion, Rejection> {
    let Pending::SignIn {
        state,
        allow_credentials,
    } = pending.open()?
    else {
        return Err(Rejection::new(
            Code::ChallengeUnknown,
            "the pending ceremony is a registration, not a sign-in",
        ));
    };
    let credential: Credential = serde_json::from_str(&stored.0)
        .map_err(|_| Rejection::new(Code::InternalError, "the stored credential is not readable"))?;
    let allowed = decode_ids(&allow_credentials);
    if !allowed.is_empty() && !allowed.contains(&credential.cred_id) {
        return Err(Rejection::new(
            Code::UnknownCredential,
            "the credential was not offered for this sign-in",
        ));
    }
    verify(rp.core(), response, &state, credential)
}

/// Verifies an assertion for one credential and returns it with counter and backup flags brought up to date.
pub(crate) fn verify(
    core: &WebauthnCore,
    response: &Value,
    state: &AuthenticationState,
    mut credential: Credential,
) -> Result<VerifiedAssertion, Rejection> {
    let assertion = parse_assertion(response)?;
    if assertion.raw_id != credential.cred_id {
        return Err(Rejection::new(
            Code::UnknownCredential,
            "the response names a different credential than the one it is verified against",
        ));
    }
    let result = core
        .authenticate_single_credential(&assertion, state, &credential)
        .map_err(|error| from_core(&error, Ceremony::SignIn))?;
    if result.counter() > credential.counter {
        credential.counter = result.counter();
    }
    credential.backup_state = result.backup_state();
    credential.backup_eligible = result.backup_eligible();
    let stored = serde_json::to_string(&credential)
        .map(StoredCredential)
        .map_err(|_| Rejection::new(Code::InternalError, "the credential could not be serialised"))?;
    Ok(VerifiedAssertion {
        credential_id: credential.cred_id,
        sign_count: result.counter(),
        user_verified: result.user_verified(),
        backup_eligible: result.backup_eligible(),
        backup_state: result.backup_state(),
        stored,
    })
}

fn parse_assertion(response: &Value) -> Result<PublicKeyCredential, Rejection> {
    let assertion: PublicKeyCredential = serde_json::from_value(response.clone()).map_err(|error| {
        Rejection::malformed(format!(
            "the response is not an AuthenticationResponseJSON: {}",
            clip(&error.to_string(), 160)
        ))
    })?;
    if assertion.type_ != "public-key" {
        return Err(Rejection::malformed("the credential type is not public-key"));
    }
    if b64url_decode(&assertion.id).as_deref() != Some(assertion.raw_id.as_slice()) {
        return Err(Rejection::new(
            Code::CredentialIdMismatch,
            "the response's id and rawId name different credentials",
        ));
    }
    Ok(assertion)
}

/// Reads the credential id and user handle of an `AuthenticationResponseJSON` without verifying anything, so the
/// server can look the credential up. An empty user handle counts as none.
pub fn peek_assertion(response: &Value) -> Result<(Vec<u8>, Option<Vec<u8>>), Rejection> {
    let assertion = parse_assertion(response)?;
    let user_handle = assertion.response.user_handle.filter(|handle| !handle.is_empty());
    Ok((assertion.raw_id, user_handle))
}
