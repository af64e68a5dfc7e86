//! Question 3, can the platform host the credential: the evidence the browser reports when a ceremony fails,
//! the evidence the server reads from a response, and the first classification of both into a code.
//!
//! The detailed knowledge base of platform failure modes (Windows Hello, iOS, Android, security keys) builds on
//! this evidence; this module only decides the code.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::codes::{Code, Question};
use crate::registration::{Answer, AttestationFormat, Facts};

/// The platform path the user chose on the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CeremonyPath {
    /// A platform authenticator: Windows Hello, Touch ID, Android screen lock.
    ThisDevice,
    /// Cross-device (hybrid): a phone or tablet via QR code and Bluetooth.
    Phone,
    /// A roaming security key over USB, NFC or BLE.
    SecurityKey,
}

/// What the browser reports about a ceremony that failed on its side.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientReport {
    /// The DOMException name (`NotAllowedError`, `InvalidStateError`...).
    pub name: String,
    pub message: String,
    /// `PublicKeyCredential.getClientCapabilities()`, as reported.
    #[serde(default)]
    pub client_capabilities: BTreeMap<String, bool>,
    /// `isUserVerifyingPlatformAuthenticatorAvailable()`, when the page asked.
    #[serde(default)]
    pub user_verifying_platform_authenticator_available: Option<bool>,
    #[serde(default)]
    pub user_agent: Option<String>,
    #[serde(default)]
    pub path: Option<CeremonyPath>,
}

/// Evidence for question 3.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Platform {
    pub client: Option<ClientReport>,
    /// What the server read from the response, when there was one.
    pub format: Option<AttestationFormat>,
    pub user_verified: Option<bool>,
    pub hardware_backed: Option<bool>,
    pub notes: Vec<String>,
}

/// Classifies a browser-reported failure into a question 3 code (or `credential_already_registered`, which is
/// how browsers report an authenticator that already holds one of the excluded credentials).
pub fn classify_client_error(report: &ClientReport) -> Code {
    match report.name.as_str() {
        "NotAllowedError" => Code::CeremonyNotAllowed,
        "AbortError" => Code::CeremonyAborted,
        "InvalidStateError" => Code::CredentialAlreadyRegistered,
        "NotSupportedError" | "ConstraintError" => Code::PlatformNotSupported,
        "SecurityError" => Code::BrowserSecurityError,
        _ => Code::AuthenticatorError,
    }
}

/// Whether a classified report means the ceremony was cancelled (by the user, or by the browser when it timed out or
/// found no authenticator): audited as Entra's "User canceled security info registration", not as a failed one.
pub fn is_cancellation(code: Code) -> bool {
    matches!(code, Code::CeremonyNotAllowed | Code::CeremonyAborted)
}

/// Question 3 from a client report.
pub fn answer_client_error(report: ClientReport) -> Answer<Platform> {
    let code = classify_client_error(&report);
    let evidence = Platform {
        client: Some(report),
        ..Platform::default()
    };
    let mut answer = Answer::fail(code, evidence);
    answer.question = Question::PlatformCanHost;
    answer
}

/// Question 3 from a verified response: a U2F-only key cannot hold a passkey, and passkeys need user
/// verification. A software-backed Android key is recorded, not refused.
pub fn answer_from_facts(facts: &Facts) -> Answer<Platform> {
    let mut evidence = Platform {
        client: None,
        format: Some(facts.format),
        user_verified: Some(facts.flags.user_verified),
        hardware_backed: facts.hardware_backed,
        notes: vec![],
    };
    if facts.hardware_backed == Some(false) {
        evidence
            .notes
            .push("the Android key attestation says the key is stored in software, not in a TEE or StrongBox".into());
    }
    if facts.format == AttestationFormat::FidoU2f {
        return Answer::fail(Code::U2fOnlyAuthenticator, evidence);
    }
    if !facts.flags.user_verified {
        return Answer::fail(Code::UserVerificationNotPerformed, evidence);
    }
    Answer::pass(Question::PlatformCanHost, evidence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dom_exceptions_map_to_codes() {
        for (name, code) in [
            ("NotAllowedError", Code::CeremonyNotAllowed),
            ("AbortError", Code::CeremonyAborted),
            ("InvalidStateError", Code::CredentialAlreadyRegistered),
            ("NotSupportedError", Code::PlatformNotSupported),
            ("SecurityError", Code::BrowserSecurityError),
            ("TypeError", Code::AuthenticatorError),
        ] {
            let report = ClientReport {
                name: name.into(),
                ..ClientReport::default()
            };
            assert_eq!(classify_client_error(&report), code, "{name}");
        }
    }

    #[test]
    fn client_answers_are_question_three() {
        let answer = answer_client_error(ClientReport {
            name: "InvalidStateError".into(),
            ..Default::default()
        });
        assert_eq!(answer.question, Question::PlatformCanHost);
        assert!(!answer.passed());
    }
}
