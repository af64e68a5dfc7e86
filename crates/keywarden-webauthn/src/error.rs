//! Errors of this crate: `ConfigError` for a relying party that cannot be built, `Error` for options that cannot
//! be made, and `Rejection` for a response that does not verify, which always carries a stable domain `Code`.
//!
//! webauthn-rs-core's errors are mapped to codes here and nowhere else.

use std::fmt;

use keywarden_domain::Code;
use webauthn_rs_core::error::WebauthnError;

/// The relying party configuration is not usable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("rp_id {0:?} is not a host name (expected something like example.com, without scheme, port or path)")]
    InvalidRpId(String),
    #[error("rp_name must not be empty")]
    EmptyRpName,
    #[error("no origins are configured for rp_id {0:?}")]
    NoOrigins(String),
    #[error("origin {origin:?} is not valid: {reason}")]
    InvalidOrigin { origin: String, reason: &'static str },
}

/// Creation or request options could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid ceremony request: {0}")]
    InvalidRequest(&'static str),
    #[error("a stored credential is not readable")]
    StoredCredential(#[source] serde_json::Error),
    #[error("webauthn-rs-core could not create the options")]
    Core(#[source] WebauthnError),
    #[error("the ceremony state could not be serialised")]
    Serialise(#[source] serde_json::Error),
}

/// A response that keywarden refuses, with the stable code that explains why.
///
/// `detail` is a lower-case sentence for logs and people; it never contains secrets or attestation blobs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub code: Code,
    pub detail: String,
}

impl Rejection {
    pub fn new(code: Code, detail: impl Into<String>) -> Rejection {
        Rejection {
            code,
            detail: detail.into(),
        }
    }

    pub(crate) fn malformed(detail: impl Into<String>) -> Rejection {
        Rejection::new(Code::MalformedResponse, detail)
    }

    pub(crate) fn attestation_invalid(detail: impl Into<String>) -> Rejection {
        Rejection::new(Code::AttestationInvalid, detail)
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl std::error::Error for Rejection {}

/// Which ceremony a webauthn-rs-core error came from: some errors mean different things in each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ceremony {
    Registration,
    SignIn,
}

/// Maps a webauthn-rs-core error to a rejection with a stable code.
pub(crate) fn from_core(error: &WebauthnError, ceremony: Ceremony) -> Rejection {
    use WebauthnError as E;
    let (code, detail): (Code, &str) = match error {
        E::InvalidClientDataType => (
            Code::MalformedResponse,
            match ceremony {
                Ceremony::Registration => "clientDataJSON.type is not webauthn.create",
                Ceremony::SignIn => "clientDataJSON.type is not webauthn.get",
            },
        ),
        // The server keeps one challenge per attempt and handles expiry and replay itself; a response that answers
        // another challenge belongs to no ceremony open for this attempt, and the remedy is to start again.
        E::MismatchedChallenge | E::ChallengeNotFound => (
            Code::ChallengeUnknown,
            "the response answers a different challenge than this ceremony issued",
        ),
        E::InvalidRPOrigin => (
            Code::OriginMismatch,
            "the client data origin is not one of the configured origins",
        ),
        E::CredentialCrossOrigin => (
            Code::OriginMismatch,
            "the ceremony ran in a cross-origin frame, which keywarden does not allow",
        ),
        E::InvalidRPIDHash => (
            Code::RpIdMismatch,
            "the authenticator data rpIdHash is not the hash of the configured rp_id",
        ),
        E::UserNotPresent => (
            Code::UserVerificationNotPerformed,
            "the authenticator did not report user presence",
        ),
        E::UserNotVerified => (
            Code::UserVerificationNotPerformed,
            "the authenticator did not verify the user (the UV flag is not set)",
        ),
        E::AttestationNotSupported => (
            Code::AttestationFormatUnsupported,
            "the attestation statement format is not supported",
        ),
        E::COSEKeyEDUnsupported | E::SshPublicKeyEDUnsupported => (
            Code::UnsupportedAlgorithm,
            "the credential key is an Ed25519/Ed448 key, which keywarden does not accept",
        ),
        E::COSEKeyInvalidType
        | E::COSEKeyInvalidAlgorithm
        | E::COSEKeyECDSAInvalidCurve
        | E::COSEKeyEDDSAInvalidCurve
        | E::CredentialAlteredAlgFromRequest => (
            Code::UnsupportedAlgorithm,
            "the credential key algorithm is not one keywarden accepts (ES256 or RS256)",
        ),
        E::CredentialInsecureCryptography => (
            Code::UnsupportedAlgorithm,
            "the credential uses an algorithm webauthn-rs-core considers insecure",
        ),
        E::COSEKeyInvalidCBORValue
        | E::COSEKeyECDSAXYInvalid
        | E::COSEKeyRSANEInvalid
        | E::COSEKeyEDDSAXInvalid
        | E::RsaParametersInvalid
        | E::EcdsaPointInvalid => (Code::MalformedResponse, "the credential public key is malformed"),
        E::ParseBase64Failure(_) => (
            Code::MalformedResponse,
            "a base64url field of the response does not decode",
        ),
        E::ParseCBORFailure(_) => (Code::MalformedResponse, "the attestation object is not valid CBOR"),
        E::ParseJSONFailure(_) => (Code::MalformedResponse, "clientDataJSON is not valid client data"),
        E::ParseNOMFailure | E::ParseInsufficientBytesAvailable => {
            (Code::MalformedResponse, "the authenticator data is malformed")
        }
        E::MissingAttestationCredentialData => (
            Code::MalformedResponse,
            "the authenticator data carries no attested credential data",
        ),
        E::CredentialMayNotBeHardwareBound => (
            Code::MalformedResponse,
            "the authenticator data sets backup state without backup eligibility",
        ),
        E::CredentialExcludedFromRequest | E::CredentialAlreadyExists => (
            Code::CredentialAlreadyRegistered,
            "this credential is already registered",
        ),
        E::CredentialNotFound => (
            Code::UnknownCredential,
            "the response is for a credential that was not offered",
        ),
        E::CredentialPossibleCompromise => (
            Code::SignCountRegressed,
            "the signature counter did not increase over the stored value",
        ),
        E::CredentialBackupEligibilityInconsistent => (
            Code::CredentialNotAllowedAtSignIn,
            "the authenticator's backup eligibility changed since registration; the passkey must be registered again",
        ),
        E::AuthenticationFailure => (
            Code::SignatureInvalid,
            "the assertion signature does not verify with the registered public key",
        ),
        E::SignatureInvalid => match ceremony {
            Ceremony::Registration => (Code::AttestationInvalid, "the attestation signature is malformed"),
            Ceremony::SignIn => (Code::SignatureInvalid, "the assertion signature is malformed"),
        },
        E::AttestationCertificateAAGUIDMismatch => (
            Code::AttestationInvalid,
            "the attestation certificate's aaguid extension differs from the authenticator data aaguid",
        ),
        E::AttestationCertificateNonceMismatch => (
            Code::AttestationInvalid,
            "the attestation certificate's nonce or challenge extension does not match this response",
        ),
        E::AttestationStatementSigInvalid => (Code::AttestationInvalid, "the attestation signature does not verify"),
        E::AttestationCertificateRequirementsNotMet => (
            Code::AttestationInvalid,
            "the attestation certificate does not meet the format's certificate requirements",
        ),
        E::AttestationCredentialSubjectKeyMismatch => (
            Code::AttestationInvalid,
            "the attestation certificate key differs from the credential public key",
        ),
        E::InvalidExtensions | E::AuthenticatorDataMissingExtension => (
            Code::MalformedResponse,
            "the authenticator extension outputs are malformed",
        ),
        E::InvalidUserUniqueId | E::InvalidUsername => {
            (Code::MalformedResponse, "the response names an invalid user handle")
        }
        E::AttestationStatementMapInvalid
        | E::AttestationStatementResponseMissing
        | E::AttestationStatementResponseInvalid
        | E::AttestationStatementSigMissing
        | E::AttestationStatementVerMissing
        | E::AttestationStatementVerInvalid
        | E::AttestationStatementVerUnsupported
        | E::AttestationStatementX5CMissing
        | E::AttestationStatementX5CInvalid
        | E::AttestationStatementAlgMissing
        | E::AttestationStatementCertInfoMissing
        | E::AttestationStatementMissingExtension
        | E::AttestationStatementPubAreaMissing
        | E::AttestationStatementAlgMismatch
        | E::AttestationStatementAlgInvalid
        | E::AttestationTpmStInvalid
        | E::AttestationTpmPubAreaMismatch
        | E::AttestationTpmExtraDataInvalid
        | E::AttestationTpmExtraDataMismatch
        | E::AttestationTpmPubAreaHashUnknown
        | E::AttestationTpmPubAreaHashInvalid
        | E::AttestationTpmAttestCertifyInvalid
        | E::AttestationNotVerifiable
        | E::AttestationLeafCertMissing
        | E::X509DerInvalid
        | E::CertificatePublicKeyInvalid
        | E::CertificatePublicKeyAlgorthimMismatch => {
            (Code::AttestationInvalid, "the attestation statement does not verify")
        }
        // Trust is judged outside webauthn-rs-core (it is called without a CA list), so these only appear if that
        // changes; they still mean the attestation could not be accepted.
        E::AttestationTrustFailure
        | E::AttestationCertificateTrustStoreEmpty
        | E::AttestationUntrustedAaguid
        | E::AttestationFormatMissingAaguid
        | E::AttestationChainNotTrusted(_)
        | E::MissingAttestationCaList
        | E::TrustFailure => (Code::AttestationInvalid, "the attestation chain could not be verified"),
        _ => (Code::InternalError, "webauthn-rs-core failed in an unexpected way"),
    };
    tracing::debug!(?error, code = %code, "webauthn-rs-core refused the response");
    Rejection::new(code, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_response_problem_maps_to_the_documented_code() {
        for (error, code) in [
            (WebauthnError::MismatchedChallenge, Code::ChallengeUnknown),
            (WebauthnError::InvalidRPOrigin, Code::OriginMismatch),
            (WebauthnError::InvalidRPIDHash, Code::RpIdMismatch),
            (WebauthnError::UserNotVerified, Code::UserVerificationNotPerformed),
            (WebauthnError::SshPublicKeyEDUnsupported, Code::UnsupportedAlgorithm),
            (WebauthnError::AttestationStatementSigInvalid, Code::AttestationInvalid),
            (
                WebauthnError::AttestationNotSupported,
                Code::AttestationFormatUnsupported,
            ),
            (WebauthnError::AuthenticationFailure, Code::SignatureInvalid),
            (WebauthnError::CredentialPossibleCompromise, Code::SignCountRegressed),
            (WebauthnError::CredentialNotFound, Code::UnknownCredential),
            (WebauthnError::ParseNOMFailure, Code::MalformedResponse),
        ] {
            assert_eq!(from_core(&error, Ceremony::Registration).code, code, "{error:?}");
        }
    }

    #[test]
    fn rejection_displays_code_then_detail() {
        let rejection = Rejection::malformed("clientDataJSON is not JSON");
        assert_eq!(rejection.to_string(), "malformed_response: clientDataJSON is not JSON");
    }
}
