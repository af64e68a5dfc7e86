//! The knowledge base of platform failure modes (the playbook's Windows Hello, iOS, Android and security-key
//! failures), kept as data in `knowledge.json` and matched against an attempt's evidence.
//!
//! Matching is plain: case-insensitive equality and substring tests, and two version comparisons read from the
//! user agent. The data is embedded at compile time and parsed without IO; a test checks that it parses and that
//! every entry is reachable.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::Fix;
use crate::codes::{Code, Question};
use crate::ids::Aaguid;
use crate::platform::{CeremonyPath, ClientReport};
use crate::registration::Facts;

/// The knowledge base's source text.
pub const SOURCE: &str = include_str!("knowledge.json");

/// The platform a failure mode belongs to, as the playbook groups them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Platform {
    WindowsHello,
    Ios,
    Android,
    SecurityKey,
    AnyPlatform,
}

impl Platform {
    pub fn label(self) -> &'static str {
        match self {
            Platform::WindowsHello => "Windows Hello",
            Platform::Ios => "iOS",
            Platform::Android => "Android",
            Platform::SecurityKey => "security key",
            Platform::AnyPlatform => "any platform",
        }
    }
}

/// One set of conditions; every condition given must hold. Lists are "any of".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Conditions {
    /// The DOMException name, compared case-insensitively.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub error_name: Vec<String>,
    /// Substrings of the DOMException message.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub message_contains: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_agent_contains: Vec<String>,
    /// Substrings the user agent must not contain.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_agent_lacks: Vec<String>,
    /// The platform path the user chose.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<CeremonyPath>,
    /// `getClientCapabilities()` values that must be reported as given.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub capabilities: BTreeMap<String, bool>,
    /// `isUserVerifyingPlatformAuthenticatorAvailable()`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_authenticator_available: Option<bool>,
    /// The attestation statement format of the response (`packed`, `tpm`, `fido-u2f`...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attestation_format: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aaguid: Vec<Aaguid>,
    /// Transports the response declared (`usb`, `nfc`, `ble`, `internal`, `hybrid`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub transports: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_verified: Option<bool>,
    /// From an android-key attestation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hardware_backed: Option<bool>,
    /// The code of the question that failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub code: Vec<Code>,
    /// The user agent names Android below this major version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub android_version_below: Option<u32>,
    /// The user agent names iOS (iPhone or iPad) below this major version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ios_version_below: Option<u32>,
}

/// One failure mode: what it is, how to recognise it, why it happens and what fixes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FailureMode {
    /// Stable snake_case id.
    pub id: String,
    pub platform: Platform,
    /// The question whose failure this mode usually explains.
    pub question: Question,
    pub title: String,
    /// The mode matches when any of these condition sets holds.
    pub when: Vec<Conditions>,
    pub explanation: String,
    pub fix: Fix,
    /// Where the mode comes from (the playbook's section).
    pub source: String,
}

/// The evidence a failure mode is matched against: what the browser reported, what the response showed, and the
/// code of the question that failed.
#[derive(Clone, Copy, Debug, Default)]
pub struct Observation<'a> {
    pub code: Option<Code>,
    pub client: Option<&'a ClientReport>,
    /// The browser's user agent: the client report's, else the one recorded when the attempt began.
    pub user_agent: Option<&'a str>,
    pub facts: Option<&'a Facts>,
}

/// Every failure mode, in matching order (specific before generic).
pub fn failure_modes() -> &'static [FailureMode] {
    static MODES: OnceLock<Vec<FailureMode>> = OnceLock::new();
    MODES.get_or_init(|| serde_json::from_str(SOURCE).expect("knowledge.json is valid: a test parses it"))
}

/// The failure modes the observation matches, in knowledge-base order.
pub fn matching(observation: &Observation<'_>) -> Vec<&'static FailureMode> {
    failure_modes()
        .iter()
        .filter(|mode| mode.when.iter().any(|c| c.hold(observation)))
        .collect()
}

fn contains_any(haystack: Option<&str>, needles: &[String]) -> bool {
    let Some(haystack) = haystack else {
        return false;
    };
    let haystack = haystack.to_lowercase();
    needles.iter().any(|n| haystack.contains(&n.to_lowercase()))
}

/// The major version after `marker` in a user agent: `Android 13;` gives 13, `iPhone OS 16_5` gives 16.
fn version_after(user_agent: &str, marker: &str) -> Option<u32> {
    let start = user_agent.find(marker)? + marker.len();
    let digits: String = user_agent[start..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn ios_version(user_agent: &str) -> Option<u32> {
    if !(user_agent.contains("iPhone") || user_agent.contains("iPad")) {
        return None;
    }
    version_after(user_agent, "iPhone OS ").or_else(|| version_after(user_agent, "CPU OS "))
}

impl Conditions {
    fn is_empty(&self) -> bool {
        self == &Conditions::default()
    }

    /// Whether every condition given holds for the observation. An empty set never holds.
    pub fn hold(&self, observation: &Observation<'_>) -> bool {
        if self.is_empty() {
            return false;
        }
        let client = observation.client;
        let facts = observation.facts;
        let user_agent = observation.user_agent;
        let name = client.map(|c| c.name.as_str());
        let message = client.map(|c| c.message.as_str());
        let checks = [
            self.error_name.is_empty()
                || name.is_some_and(|n| self.error_name.iter().any(|e| e.eq_ignore_ascii_case(n))),
            self.message_contains.is_empty() || contains_any(message, &self.message_contains),
            self.user_agent_contains.is_empty() || contains_any(user_agent, &self.user_agent_contains),
            self.user_agent_lacks.is_empty() || !contains_any(user_agent, &self.user_agent_lacks),
            self.path.is_empty() || client.and_then(|c| c.path).is_some_and(|p| self.path.contains(&p)),
            self.capabilities.iter().all(|(k, v)| {
                client
                    .and_then(|c| c.client_capabilities.get(k))
                    .is_some_and(|reported| reported == v)
            }),
            self.platform_authenticator_available.is_none()
                || client.and_then(|c| c.user_verifying_platform_authenticator_available)
                    == self.platform_authenticator_available,
            self.attestation_format.is_empty()
                || facts.is_some_and(|f| {
                    self.attestation_format
                        .iter()
                        .any(|a| a.eq_ignore_ascii_case(f.format.as_str()))
                }),
            self.aaguid.is_empty() || facts.is_some_and(|f| self.aaguid.contains(&f.aaguid)),
            self.transports.is_empty()
                || facts.is_some_and(|f| {
                    f.transports
                        .iter()
                        .any(|t| self.transports.iter().any(|w| w.eq_ignore_ascii_case(t)))
                }),
            self.user_verified.is_none() || facts.map(|f| f.flags.user_verified) == self.user_verified,
            self.hardware_backed.is_none() || facts.and_then(|f| f.hardware_backed) == self.hardware_backed,
            self.code.is_empty() || observation.code.is_some_and(|c| self.code.contains(&c)),
            self.android_version_below.is_none_or(|min| {
                user_agent
                    .and_then(|ua| version_after(ua, "Android "))
                    .is_some_and(|v| v < min)
            }),
            self.ios_version_below
                .is_none_or(|min| user_agent.and_then(ios_version).is_some_and(|v| v < min)),
        ];
        checks.into_iter().all(|ok| ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knowledge_base_parses_with_unique_ids_and_no_empty_condition_sets() {
        let modes = failure_modes();
        let mut ids = std::collections::HashSet::new();
        for mode in modes {
            assert!(ids.insert(mode.id.as_str()), "{} listed twice", mode.id);
            assert!(!mode.when.is_empty(), "{} has no conditions", mode.id);
            assert!(
                mode.when.iter().all(|c| !c.is_empty()),
                "{} has an empty condition set",
                mode.id
            );
            assert!(!mode.explanation.is_empty() && !mode.fix.text.is_empty() && !mode.source.is_empty());
            assert!(
                matches!(
                    mode.question,
                    Question::PlatformCanHost | Question::AuthenticatorAccepted
                ),
                "{} explains question 3 or 4",
                mode.id
            );
        }
    }

    #[test]
    fn versions_are_read_from_user_agents() {
        let android = "Mozilla/5.0 (Linux; Android 13; Pixel 6) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36";
        assert_eq!(version_after(android, "Android "), Some(13));
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
        assert_eq!(ios_version(iphone), Some(16));
        let ipad = "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
        assert_eq!(ios_version(ipad), Some(17));
        assert_eq!(ios_version("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)"), None);
    }

    #[test]
    fn an_observation_without_evidence_matches_nothing() {
        assert!(matching(&Observation::default()).is_empty());
    }
}
