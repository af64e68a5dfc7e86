//! Verification without a live ceremony: a recorded response checked against a challenge, origins and RP ID
//! given by the caller, at a chosen instant. `keywarden attestation verify` and the test vectors use it.
//!
//! It runs the same code as the live ceremonies; only the pending state is built from the options.

use keywarden_domain::Code;
use keywarden_domain::metadata::Catalog;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use time::OffsetDateTime;
use webauthn_rs_core::proto::{Credential, UserVerificationPolicy};

use crate::encoding::{b64url_decode, b64url_encode};
use crate::error::Rejection;
use crate::relying_party::{ALGORITHMS, RelyingParty, StoredCredential, VerifiedAssertion, VerifiedRegistration};

/// What a registration response is checked against.
#[derive(Clone, Debug)]
pub struct OfflineOptions<'a> {
    pub rp_id: String,
    /// The exact origins allowed (`https://example.com`, `http://localhost:8080`).
    pub origins: Vec<String>,
    /// The challenge exactly as it appears in clientDataJSON.
    pub challenge_b64url: String,
    /// The instant at which certificate validity is judged.
    pub at: OffsetDateTime,
    pub catalog: &'a Catalog,
    pub require_user_verification: bool,
}

/// What a sign-in response is checked against.
#[derive(Clone, Debug)]
pub struct OfflineAssertionOptions {
    pub rp_id: String,
    pub origins: Vec<String>,
    pub challenge_b64url: String,
    pub require_user_verification: bool,
}

/// Verifies a recorded `RegistrationResponseJSON`, judging attestation trust against the catalog at `options.at`.
pub fn verify_offline(response: &Value, options: &OfflineOptions<'_>) -> Result<VerifiedRegistration, Rejection> {
    let rp = relying_party(&options.rp_id, &options.origins)?;
    let policy = if options.require_user_verification {
        UserVerificationPolicy::Required
    } else {
        UserVerificationPolicy::Preferred
    };
    let builder = rp
        .core()
        .new_challenge_register_builder(b"offline", "offline", "offline")
        .map_err(|_| internal("the offline registration state could not be built"))?
        .user_verification_policy(policy)
        .credential_algorithms(ALGORITHMS.to_vec());
    let (_, state) = rp
        .core()
        .generate_challenge_register(builder)
        .map_err(|_| internal("the offline registration state could not be built"))?;
    let state = with_challenge(&state, &options.challenge_b64url)?;
    crate::registration::verify(rp.core(), response, &state, &[], options.catalog, options.at)
}

/// Verifies a recorded `AuthenticationResponseJSON` for `credential`.
pub fn verify_assertion_offline(
    response: &Value,
    options: &OfflineAssertionOptions,
    credential: &StoredCredential,
) -> Result<VerifiedAssertion, Rejection> {
    let rp = relying_party(&options.rp_id, &options.origins)?;
    let credential: Credential = serde_json::from_str(&credential.0)
        .map_err(|_| Rejection::new(Code::InvalidRequest, "the stored credential is not readable"))?;
    let policy = if options.require_user_verification {
        UserVerificationPolicy::Required
    } else {
        UserVerificationPolicy::Discouraged_DO_NOT_USE
    };
    let builder = rp
        .core()
        .new_challenge_authenticate_builder(vec![credential.clone()], Some(policy))
        .map_err(|_| internal("the offline sign-in state could not be built"))?;
    let (_, state) = rp
        .core()
        .generate_challenge_authenticate(builder)
        .map_err(|_| internal("the offline sign-in state could not be built"))?;
    let state = with_challenge(&state, &options.challenge_b64url)?;
    crate::sign_in::verify(rp.core(), response, &state, credential)
}

fn relying_party(rp_id: &str, origins: &[String]) -> Result<RelyingParty, Rejection> {
    RelyingParty::new(rp_id, rp_id, origins).map_err(|error| Rejection::new(Code::InvalidRequest, error.to_string()))
}

fn internal(detail: &str) -> Rejection {
    Rejection::new(Code::InternalError, detail)
}

/// webauthn-rs-core's state with its random challenge replaced by the recorded one. The states keep their fields
/// private, so this goes through their serde form, where the challenge is the base64url member `challenge`.
fn with_challenge<State: Serialize + DeserializeOwned>(
    state: &State,
    challenge_b64url: &str,
) -> Result<State, Rejection> {
    let challenge = b64url_decode(challenge_b64url)
        .ok_or_else(|| Rejection::new(Code::InvalidRequest, "the challenge is not base64url"))?;
    let mut value = serde_json::to_value(state).map_err(|_| internal("the ceremony state could not be serialised"))?;
    let members = value
        .as_object_mut()
        .ok_or_else(|| internal("the ceremony state is not a JSON object"))?;
    members.insert("challenge".into(), Value::String(b64url_encode(&challenge)));
    serde_json::from_value(value).map_err(|_| internal("the ceremony state could not be rebuilt"))
}
