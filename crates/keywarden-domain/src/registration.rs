//! A registration attempt as the four questions see it: the authenticator facts a verified response yields,
//! the answer to each question with its evidence, and the outcome.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::codes::{Code, Question};
use crate::ids::Aaguid;
use crate::platform::Platform;
use crate::policy::PasskeyType;
use crate::policy::evaluate::{Acceptance, Eligibility};
use crate::session::{Authentication, Method};

/// The attestation statement format (`fmt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AttestationFormat {
    #[serde(rename = "packed")]
    Packed,
    #[serde(rename = "tpm")]
    Tpm,
    #[serde(rename = "android-key")]
    AndroidKey,
    #[serde(rename = "android-safetynet")]
    AndroidSafetynet,
    #[serde(rename = "apple")]
    Apple,
    #[serde(rename = "fido-u2f")]
    FidoU2f,
    #[serde(rename = "none")]
    None,
}

impl AttestationFormat {
    pub fn parse(fmt: &str) -> Option<AttestationFormat> {
        Some(match fmt {
            "packed" => AttestationFormat::Packed,
            "tpm" => AttestationFormat::Tpm,
            "android-key" => AttestationFormat::AndroidKey,
            "android-safetynet" => AttestationFormat::AndroidSafetynet,
            "apple" => AttestationFormat::Apple,
            "fido-u2f" => AttestationFormat::FidoU2f,
            "none" => AttestationFormat::None,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AttestationFormat::Packed => "packed",
            AttestationFormat::Tpm => "tpm",
            AttestationFormat::AndroidKey => "android-key",
            AttestationFormat::AndroidSafetynet => "android-safetynet",
            AttestationFormat::Apple => "apple",
            AttestationFormat::FidoU2f => "fido-u2f",
            AttestationFormat::None => "none",
        }
    }
}

/// The attestation type the statement proved (WebAuthn L3 §6.5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttestationType {
    Basic,
    #[serde(rename = "self")]
    SelfAttestation,
    AttCa,
    AnonCa,
    None,
}

/// Whether the attestation chains to a root the FIDO metadata lists for the claimed AAGUID.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "result")]
pub enum Trust {
    /// The certificate chain verifies to this metadata root (its subject).
    Verified { root: String },
    /// There is a chain, but not to a root the metadata lists for this AAGUID; `reason` says why.
    Untrusted { reason: String },
    /// No chain to evaluate: `none` or self attestation, or a format keywarden treats as unattested.
    Absent,
}

/// Graph's `attestationLevel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttestationLevel {
    Attested,
    NotAttested,
}

impl AttestationLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AttestationLevel::Attested => "attested",
            AttestationLevel::NotAttested => "notAttested",
        }
    }
}

/// Authenticator-data flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flags {
    pub user_present: bool,
    pub user_verified: bool,
    pub backup_eligible: bool,
    pub backup_state: bool,
}

/// What a verified registration response says about the authenticator. Produced by `keywarden-webauthn`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Facts {
    pub format: AttestationFormat,
    pub aaguid: Aaguid,
    /// The model name from the metadata (or the fallback list), for display.
    pub model: Option<String>,
    pub attestation_type: AttestationType,
    pub trust: Trust,
    /// SHA-1 thumbprints (lower-case hex) of the attestation certificates, leaf first, as Graph's
    /// `attestationCertificates`.
    pub certificate_thumbprints: Vec<String>,
    pub flags: Flags,
    pub sign_count: u32,
    /// The credential key's COSE algorithm (-7 ES256, -257 RS256).
    pub algorithm: i64,
    pub transports: Vec<String>,
    /// The attestation signature used SHA-1 (TPM `RS1`, as most Windows Hello TPMs do).
    pub sha1_signature: bool,
    /// From an android-key statement: whether the key lives in a TEE or StrongBox.
    pub hardware_backed: Option<bool>,
    /// Anything else worth telling a person: a format treated as unattested, an AAGUID that is only a claim.
    pub notes: Vec<String>,
}

impl Facts {
    pub fn passkey_type(&self) -> PasskeyType {
        PasskeyType::from_backup_eligible(self.flags.backup_eligible)
    }

    pub fn attestation_level(&self) -> AttestationLevel {
        match self.trust {
            Trust::Verified { .. } => AttestationLevel::Attested,
            _ => AttestationLevel::NotAttested,
        }
    }
}

/// A question's verdict: passed, or failed with the code that says why. A value that cannot contradict itself (no
/// "failed without a code", no "passed with one").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "VerdictWire", try_from = "VerdictWire")]
pub enum Verdict {
    Passed,
    Failed(Code),
}

impl Verdict {
    pub fn passed(self) -> bool {
        self == Verdict::Passed
    }

    /// The failure's code.
    pub fn code(self) -> Option<Code> {
        match self {
            Verdict::Passed => None,
            Verdict::Failed(code) => Some(code),
        }
    }
}

/// A verdict as it is stored and answered: `{"passed": true, "code": null}` or `{"passed": false, "code": "..."}`
/// (the shape the API and recorded attempts have always had).
#[derive(Serialize, Deserialize)]
struct VerdictWire {
    passed: bool,
    code: Option<Code>,
}

impl From<Verdict> for VerdictWire {
    fn from(verdict: Verdict) -> VerdictWire {
        VerdictWire {
            passed: verdict.passed(),
            code: verdict.code(),
        }
    }
}

impl TryFrom<VerdictWire> for Verdict {
    type Error = String;
    fn try_from(wire: VerdictWire) -> Result<Verdict, String> {
        match (wire.passed, wire.code) {
            (true, _) => Ok(Verdict::Passed),
            (false, Some(code)) => Ok(Verdict::Failed(code)),
            (false, None) => Err("a failed answer needs its code".into()),
        }
    }
}

/// One question's answer: its verdict, and what it was decided from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer<E> {
    pub question: Question,
    #[serde(flatten)]
    pub verdict: Verdict,
    pub evidence: E,
}

impl<E> Answer<E> {
    pub fn pass(question: Question, evidence: E) -> Answer<E> {
        Answer {
            question,
            verdict: Verdict::Passed,
            evidence,
        }
    }

    pub fn fail(code: Code, evidence: E) -> Answer<E> {
        let question = code.question().unwrap_or(Question::AuthenticatorAccepted);
        Answer {
            question,
            verdict: Verdict::Failed(code),
            evidence,
        }
    }

    pub fn passed(&self) -> bool {
        self.verdict.passed()
    }

    /// The code of a failed answer.
    pub fn code(&self) -> Option<Code> {
        self.verdict.code()
    }
}

/// Evidence for question 2.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recency {
    /// Who had to be recently verified: the user themselves, or the administrator acting for them.
    pub verified_party: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_strong_authentication: Option<OffsetDateTime>,
    pub last_strong_method: Option<Method>,
    pub window_minutes: i64,
    /// Until when the session counts as recently verified (last strong authentication + window).
    #[serde(with = "time::serde::rfc3339::option")]
    pub verified_until: Option<OffsetDateTime>,
    /// Whether the session's strong authentication came from a one-time pass (which narrows the window to 10 minutes).
    pub via_one_time_access_pass: bool,
    /// The strong methods the user could use to verify again (`softwareOath`, `fido2`, `temporaryAccessPass`), as
    /// [`crate::verification::usable_strong_methods`] decides.
    pub usable_methods: BTreeSet<Method>,
    /// An application (API token) is not interactive: it is trusted by its role, not by freshness.
    pub application: bool,
}

/// Inputs to question 2.
#[derive(Clone, Debug)]
pub struct RecencyInput<'a> {
    pub verified_party: &'a str,
    pub authentication: Option<&'a Authentication>,
    pub window: Duration,
    pub usable_methods: BTreeSet<Method>,
}

/// Question 2: has the session satisfied strong authentication within the registration window?
/// `authentication` is `None` for an application token.
pub fn recently_verified(input: &RecencyInput<'_>, now: OffsetDateTime) -> Answer<Recency> {
    let mut evidence = Recency {
        verified_party: input.verified_party.to_string(),
        last_strong_authentication: None,
        last_strong_method: None,
        window_minutes: input.window.whole_minutes(),
        verified_until: None,
        via_one_time_access_pass: false,
        usable_methods: input.usable_methods.clone(),
        application: input.authentication.is_none(),
    };
    let Some(authentication) = input.authentication else {
        return Answer::pass(Question::RecentlyVerified, evidence);
    };
    let last = authentication.last_strong();
    let mut window = input.window;
    if let (Some(last), Some(pass)) = (last, &authentication.access_pass)
        && last.method == Method::TemporaryAccessPass
        && pass.is_usable_once
    {
        evidence.via_one_time_access_pass = true;
        // The pass was consumed when it signed in (Entra's rule); the session it opened keeps this window, in
        // which a failed ceremony can be tried again.
        window = window.min(crate::access_pass::ONE_TIME_REGISTRATION_WINDOW);
        evidence.window_minutes = window.whole_minutes();
    }
    if let Some(last) = last {
        evidence.last_strong_authentication = Some(last.at);
        evidence.last_strong_method = Some(last.method);
        evidence.verified_until = Some(last.at + window);
        if now < last.at + window {
            return Answer::pass(Question::RecentlyVerified, evidence);
        }
    }
    if input.usable_methods.is_empty() {
        Answer::fail(Code::NoUsableMfaMethod, evidence)
    } else {
        Answer::fail(Code::ReauthenticationRequired, evidence)
    }
}

/// Everything recorded about an attempt's four questions. A question not yet reached is `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    pub eligible: Option<Answer<Eligibility>>,
    pub recently_verified: Option<Answer<Recency>>,
    pub platform: Option<Answer<Platform>>,
    pub accepted: Option<Answer<Acceptance>>,
}

impl Evidence {
    /// The first question that failed, with its code.
    pub fn first_failure(&self) -> Option<(Question, Code)> {
        [
            self.eligible.as_ref().map(|a| (a.question, a.verdict)),
            self.recently_verified.as_ref().map(|a| (a.question, a.verdict)),
            self.platform.as_ref().map(|a| (a.question, a.verdict)),
            self.accepted.as_ref().map(|a| (a.question, a.verdict)),
        ]
        .into_iter()
        .flatten()
        .find_map(|(question, verdict)| verdict.code().map(|code| (question, code)))
    }
}

/// Where an attempt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// Options were handed out; the browser has not answered yet.
    Open,
    Succeeded,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "open" => Some(Status::Open),
            "succeeded" => Some(Status::Succeeded),
            "failed" => Some(Status::Failed),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MethodId;
    use crate::session::PassUse;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-25 12:00 UTC);

    fn session(method: Method, minutes_ago: i64) -> Authentication {
        let mut auth = Authentication::default();
        auth.record(method, NOW - Duration::minutes(minutes_ago), None);
        auth
    }

    fn input(auth: &Authentication, usable: &[Method]) -> RecencyInput<'static> {
        RecencyInput {
            verified_party: "alice@contoso.com",
            authentication: Some(Box::leak(Box::new(auth.clone()))),
            window: Duration::minutes(10),
            usable_methods: usable.iter().copied().collect(),
        }
    }

    #[test]
    fn strong_authentication_inside_the_window_passes() {
        let answer = recently_verified(&input(&session(Method::Totp, 9), &[Method::Totp]), NOW);
        assert!(answer.passed());
        assert_eq!(answer.evidence.verified_until, Some(NOW + Duration::minutes(1)));
    }

    #[test]
    fn stale_strong_authentication_asks_to_verify_again() {
        let answer = recently_verified(&input(&session(Method::Totp, 11), &[Method::Totp]), NOW);
        assert_eq!(answer.code(), Some(Code::ReauthenticationRequired));
    }

    #[test]
    fn password_only_session_without_methods_needs_a_pass() {
        let answer = recently_verified(&input(&session(Method::Password, 1), &[]), NOW);
        assert_eq!(answer.code(), Some(Code::NoUsableMfaMethod));
        assert_eq!(answer.question, Question::RecentlyVerified);
    }

    #[test]
    fn one_time_pass_window_is_ten_minutes_even_if_policy_is_longer() {
        let mut auth = session(Method::TemporaryAccessPass, 11);
        auth.access_pass = Some(PassUse {
            method_id: MethodId(uuid::Uuid::from_u128(1)),
            is_usable_once: true,
            signed_in_at: NOW - Duration::minutes(11),
        });
        let mut long = input(&auth, &[Method::TemporaryAccessPass]);
        long.window = Duration::minutes(30);
        let answer = recently_verified(&long, NOW);
        assert_eq!(answer.code(), Some(Code::ReauthenticationRequired));
        assert!(answer.evidence.via_one_time_access_pass);
        assert_eq!(answer.evidence.window_minutes, 10);
    }

    #[test]
    fn a_one_time_pass_session_may_try_again_within_its_window() {
        let mut auth = session(Method::TemporaryAccessPass, 9);
        auth.access_pass = Some(PassUse {
            method_id: MethodId(uuid::Uuid::from_u128(1)),
            is_usable_once: true,
            signed_in_at: NOW - Duration::minutes(9),
        });
        let answer = recently_verified(&input(&auth, &[]), NOW);
        assert!(
            answer.passed(),
            "the pass was consumed at sign-in; its session keeps the window"
        );
        assert!(answer.evidence.via_one_time_access_pass);
    }

    #[test]
    fn applications_are_not_asked_for_freshness() {
        let app = RecencyInput {
            verified_party: "automation",
            authentication: None,
            window: Duration::minutes(10),
            usable_methods: BTreeSet::new(),
        };
        let answer = recently_verified(&app, NOW);
        assert!(answer.passed());
        assert!(answer.evidence.application);
    }
}
