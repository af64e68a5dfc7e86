//! The relying party: one configured rp_id and set of origins, the four ceremony steps (begin and finish of
//! registration and of sign-in), and the opaque values the server stores between them.
//!
//! It does not decide policy and does not persist anything: the server stores `PendingCeremony` and
//! `StoredCredential` as it finds them and hands them back.

use std::time::Duration;

use keywarden_domain::Code;
use keywarden_domain::metadata::Catalog;
use keywarden_domain::platform::CeremonyPath;
use keywarden_domain::registration::Facts;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use url::Url;
use webauthn_rs_core::WebauthnCore;
use webauthn_rs_core::proto::{
    AttestationConveyancePreference, AttestationFormat, AuthenticationState, AuthenticatorAttachment, COSEAlgorithm,
    COSEKey, Credential, ParsedAttestation, PublicKeyCredentialHints, RegisteredExtensions, RegistrationState,
    RequestRegistrationExtensions, UserVerificationPolicy,
};

use crate::encoding::{b64url_decode, b64url_encode};
use crate::error::{Ceremony, ConfigError, Error, Rejection, from_core};
use crate::options::{clean_descriptor_transports, strip_nulls, timeout_millis};

/// How long webauthn-rs-core's own options say the browser may take; registration options carry the request's
/// timeout instead.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The credential key algorithms keywarden requests and accepts, in preference order.
pub(crate) const ALGORITHMS: [COSEAlgorithm; 2] = [COSEAlgorithm::ES256, COSEAlgorithm::RS256];

/// WebAuthn L3 §5.4.3: `user.id` is at most 64 bytes.
const MAX_USER_HANDLE_LEN: usize = 64;

/// A WebAuthn relying party: one rp_id and the origins allowed to use it.
#[derive(Debug, Clone)]
pub struct RelyingParty {
    core: WebauthnCore,
    rp_id: String,
}

/// Whether to ask the authenticator for attestation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conveyance {
    None,
    Direct,
}

/// What the server knows when a user starts registering a passkey.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrationRequest {
    /// The WebAuthn user handle (`user.id`): stable, opaque, at most 64 bytes.
    pub user_handle: Vec<u8>,
    pub user_name: String,
    pub display_name: String,
    /// Credential ids the user already has, so the authenticator refuses to make a second one.
    pub exclude_credentials: Vec<Vec<u8>>,
    pub attestation: Conveyance,
    pub timeout: Duration,
    /// The platform path the user chose; it becomes `hints` and `authenticatorAttachment`.
    pub path: Option<CeremonyPath>,
}

/// A ceremony between its begin and its finish: opaque JSON holding webauthn-rs-core's state (challenge, policy),
/// stored by the server and handed back unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PendingCeremony(pub String);

/// A registered credential as webauthn-rs-core needs it at sign-in (public key, counter, flags, attestation):
/// opaque JSON stored with the passkey and replaced by the updated value after each sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoredCredential(pub String);

/// A registration response that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedRegistration {
    pub facts: Facts,
    pub credential_id: Vec<u8>,
    /// The credential public key as the authenticator encoded it (a COSE_Key).
    pub public_key: Vec<u8>,
    pub stored: StoredCredential,
}

/// A sign-in response that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedAssertion {
    pub credential_id: Vec<u8>,
    pub sign_count: u32,
    pub user_verified: bool,
    pub backup_eligible: bool,
    pub backup_state: bool,
    /// The credential with its counter and backup flags brought up to date; store it in place of the old one.
    pub stored: StoredCredential,
}

/// What `PendingCeremony` holds. Credential ids are base64url so the JSON stays small and readable.
#[derive(Serialize, Deserialize)]
#[serde(tag = "ceremony", rename_all = "camelCase")]
pub(crate) enum Pending {
    #[serde(rename_all = "camelCase")]
    Registration {
        state: RegistrationState,
        exclude_credentials: Vec<String>,
    },
    #[serde(rename_all = "camelCase")]
    SignIn {
        state: AuthenticationState,
        /// Empty for a discoverable (username-less) sign-in.
        allow_credentials: Vec<String>,
    },
}

impl PendingCeremony {
    pub(crate) fn seal(pending: &Pending) -> Result<PendingCeremony, Error> {
        serde_json::to_string(pending)
            .map(PendingCeremony)
            .map_err(Error::Serialise)
    }

    pub(crate) fn open(&self) -> Result<Pending, Rejection> {
        serde_json::from_str(&self.0)
            .map_err(|_| Rejection::new(Code::InternalError, "the pending ceremony state is not readable"))
    }
}

impl StoredCredential {
    /// A stored credential made from a public key kept elsewhere (a COSE_Key, as in `VerifiedRegistration` or an
    /// export), for credentials that were not registered through this crate. Only ES256 and RS256 keys are
    /// accepted; the credential carries no attestation.
    pub fn from_cose_key(
        credential_id: &[u8],
        cose_key: &[u8],
        sign_count: u32,
        flags: CredentialFlags,
    ) -> Result<StoredCredential, Rejection> {
        let value: serde_cbor_2::Value = serde_cbor_2::from_slice(cose_key)
            .map_err(|_| Rejection::malformed("the credential public key is not one CBOR item"))?;
        let key = COSEKey::try_from(&value).map_err(|error| from_core(&error, Ceremony::SignIn))?;
        if !ALGORITHMS.contains(&key.type_) {
            return Err(Rejection::new(
                Code::UnsupportedAlgorithm,
                "the credential key algorithm is not one keywarden accepts (ES256 or RS256)",
            ));
        }
        let credential = Credential {
            cred_id: credential_id.to_vec(),
            cred: key,
            counter: sign_count,
            transports: None,
            user_verified: flags.user_verified,
            backup_eligible: flags.backup_eligible,
            backup_state: flags.backup_state,
            registration_policy: if flags.user_verified {
                UserVerificationPolicy::Required
            } else {
                UserVerificationPolicy::Discouraged_DO_NOT_USE
            },
            extensions: RegisteredExtensions::none(),
            attestation: ParsedAttestation::default(),
            attestation_format: AttestationFormat::None,
        };
        serde_json::to_string(&credential)
            .map(StoredCredential)
            .map_err(|_| Rejection::new(Code::InternalError, "the credential could not be serialised"))
    }
}

/// What was true of a credential when it was registered, for [`StoredCredential::from_cose_key`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CredentialFlags {
    /// The registration verified the user; sign-ins then must too.
    pub user_verified: bool,
    pub backup_eligible: bool,
    pub backup_state: bool,
}

pub(crate) fn decode_ids(ids: &[String]) -> Vec<Vec<u8>> {
    ids.iter().filter_map(|id| b64url_decode(id)).collect()
}

impl RelyingParty {
    /// A relying party for `rp_id` (a host name such as `example.com` or `localhost`) and the exact origins
    /// allowed to use it (`https://example.com`, `http://localhost:8080`, or an app origin such as
    /// `android:apk-key-hash:...`).
    pub fn new(rp_id: &str, rp_name: &str, origins: &[String]) -> Result<RelyingParty, ConfigError> {
        let valid_rp_id = !rp_id.is_empty()
            && rp_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            && !rp_id.starts_with('.')
            && !rp_id.ends_with('.');
        if !valid_rp_id {
            return Err(ConfigError::InvalidRpId(rp_id.to_string()));
        }
        if rp_name.trim().is_empty() {
            return Err(ConfigError::EmptyRpName);
        }
        if origins.is_empty() {
            return Err(ConfigError::NoOrigins(rp_id.to_string()));
        }
        let origins = origins
            .iter()
            .map(|origin| parse_origin(origin))
            .collect::<Result<Vec<Url>, ConfigError>>()?;
        let core =
            WebauthnCore::new_unsafe_experts_only(rp_name, rp_id, origins, DEFAULT_TIMEOUT, Some(false), Some(false));
        Ok(RelyingParty {
            core,
            rp_id: rp_id.to_string(),
        })
    }

    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    pub(crate) fn core(&self) -> &WebauthnCore {
        &self.core
    }

    /// Creation options in WebAuthn L3 JSON (the `publicKey` member, for `parseCreationOptionsFromJSON`) and
    /// the state to keep until the response arrives.
    ///
    /// Passkeys only: a discoverable credential (`residentKey: required`), user verification required, ES256 or
    /// RS256, and the `credProps` extension so the browser reports whether the key is discoverable.
    pub fn begin_registration(&self, request: &RegistrationRequest) -> Result<(Value, PendingCeremony), Error> {
        if request.user_handle.is_empty() || request.user_handle.len() > MAX_USER_HANDLE_LEN {
            return Err(Error::InvalidRequest("the user handle must be 1 to 64 bytes"));
        }
        let (attachment, hints) = match request.path {
            Some(CeremonyPath::ThisDevice) => (
                Some(AuthenticatorAttachment::Platform),
                Some(vec![PublicKeyCredentialHints::ClientDevice]),
            ),
            Some(CeremonyPath::Phone) => (
                Some(AuthenticatorAttachment::CrossPlatform),
                Some(vec![PublicKeyCredentialHints::Hybrid]),
            ),
            Some(CeremonyPath::SecurityKey) => (
                Some(AuthenticatorAttachment::CrossPlatform),
                Some(vec![PublicKeyCredentialHints::SecurityKey]),
            ),
            None => (None, None),
        };
        let conveyance = match request.attestation {
            Conveyance::None => AttestationConveyancePreference::None,
            Conveyance::Direct => AttestationConveyancePreference::Direct,
        };
        let extensions = RequestRegistrationExtensions {
            cred_protect: None,
            uvm: None,
            cred_props: Some(true),
            min_pin_length: None,
            hmac_create_secret: None,
        };
        let builder = self
            .core
            .new_challenge_register_builder(&request.user_handle, &request.user_name, &request.display_name)
            .map_err(|_| Error::InvalidRequest("the user handle, user name and display name must not be empty"))?
            .attestation(conveyance)
            .user_verification_policy(UserVerificationPolicy::Required)
            .exclude_credentials(Some(request.exclude_credentials.clone()))
            .extensions(Some(extensions))
            .credential_algorithms(ALGORITHMS.to_vec())
            .require_resident_key(true)
            .authenticator_attachment(attachment)
            .hints(hints);
        let (challenge, state) = self.core.generate_challenge_register(builder).map_err(Error::Core)?;
        let mut options = serde_json::to_value(&challenge.public_key).map_err(Error::Serialise)?;
        if let Some(members) = options.as_object_mut() {
            members.insert("timeout".into(), Value::from(timeout_millis(request.timeout)));
        }
        clean_descriptor_transports(&mut options, "excludeCredentials");
        strip_nulls(&mut options);
        let pending = PendingCeremony::seal(&Pending::Registration {
            state,
            exclude_credentials: request.exclude_credentials.iter().map(|id| b64url_encode(id)).collect(),
        })?;
        Ok((options, pending))
    }

    /// Verifies a `RegistrationResponseJSON` against the pending state, and judges attestation trust against the
    /// catalog at instant `at`.
    pub fn finish_registration(
        &self,
        response: &Value,
        pending: &PendingCeremony,
        catalog: &Catalog,
        at: OffsetDateTime,
    ) -> Result<VerifiedRegistration, Rejection> {
        let Pending::Registration {
            state,
            exclude_credentials,
        } = pending.open()?
        else {
            return Err(Rejection::new(
                Code::ChallengeUnknown,
                "the pending ceremony is a sign-in, not a registration",
            ));
        };
        crate::registration::verify(
            &self.core,
            response,
            &state,
            &decode_ids(&exclude_credentials),
            catalog,
            at,
        )
    }

    /// Request options in WebAuthn L3 JSON (the `publicKey` member, for `parseRequestOptionsFromJSON`) and the
    /// state to keep. An empty `allow` asks for a discoverable credential (username-less sign-in).
    pub fn begin_sign_in(&self, allow: &[StoredCredential]) -> Result<(Value, PendingCeremony), Error> {
        crate::sign_in::begin(self, allow)
    }

    /// Verifies an `AuthenticationResponseJSON` for `credential` (found with [`crate::peek_assertion`]) against
    /// the pending state.
    pub fn finish_sign_in(
        &self,
        response: &Value,
        pending: &PendingCeremony,
        credential: &StoredCredential,
    ) -> Result<VerifiedAssertion, Rejection> {
        crate::sign_in::finish(self, response, pending, credential)
    }
}

/// An origin as WebAuthn compares it: a scheme and host (and port) without path, or an app origin.
fn parse_origin(origin: &str) -> Result<Url, ConfigError> {
    let invalid = |reason| ConfigError::InvalidOrigin {
        origin: origin.to_string(),
        reason,
    };
    let url = Url::parse(origin).map_err(|_| invalid("it is not a URL"))?;
    if matches!(url.scheme(), "http" | "https") {
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("it has no host"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("an origin has no path, query or fragment"));
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rp_id_with_scheme_or_port_is_refused() {
        for rp_id in [
            "https://example.com",
            "example.com:443",
            "",
            "example.com/",
            ".example.com",
        ] {
            assert!(
                RelyingParty::new(rp_id, "Example", &origins(&["https://example.com"])).is_err(),
                "{rp_id:?} was accepted"
            );
        }
    }

    #[test]
    fn origin_with_path_is_refused() {
        let error = RelyingParty::new("example.com", "Example", &origins(&["https://example.com/login"]));
        assert!(matches!(error, Err(ConfigError::InvalidOrigin { .. })));
    }

    #[test]
    fn app_origins_are_accepted() {
        let rp = RelyingParty::new(
            "example.com",
            "Example",
            &origins(&["https://example.com", "android:apk-key-hash:abc"]),
        );
        assert!(rp.is_ok());
    }

    #[test]
    fn relying_party_without_origins_is_refused() {
        assert!(matches!(
            RelyingParty::new("example.com", "Example", &[]),
            Err(ConfigError::NoOrigins(_))
        ));
    }
}
