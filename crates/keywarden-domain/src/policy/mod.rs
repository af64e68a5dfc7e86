//! The authentication methods policy, in Entra's object model: the passkey (FIDO2) configuration with its
//! targets and passkey profiles, and the Temporary Access Pass configuration.
//!
//! The types serialise to the Graph JSON shapes (`fido2AuthenticationMethodConfiguration`,
//! `temporaryAccessPassAuthenticationMethodConfiguration`); [`parse`] reads a document a person wrote and lists
//! every problem in it; [`evaluate`] answers question 1 and question 4, and re-checks a passkey at sign-in.

mod document;
pub mod evaluate;
mod schema;
mod validate;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::ids::Aaguid;
use crate::metadata::Entry;

pub use document::{ConfigId, apply_patch, config_to_json, diff, parse, parse_stored, to_graph_document};
pub use validate::{AnyTarget, Problem, TargetCheck};

/// `authenticationMethodState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum State {
    Enabled,
    Disabled,
}

/// The id of the all-users include target.
pub const ALL_USERS: &str = "all_users";

/// The id Entra gives its Default passkey profile in documented examples; keywarden uses it for its default.
pub const DEFAULT_PROFILE_ID: &str = "00000000-0000-0000-0000-000000000001";

/// Minutes a session stays "recently verified" for registration when the policy does not say (Entra uses 5 in
/// Security info and 10 in Graph; keywarden's default is 10).
pub const DEFAULT_REGISTRATION_WINDOW_MINUTES: u32 = 10;

/// The whole authentication methods policy that keywarden governs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub fido2: Fido2Configuration,
    pub temporary_access_pass: TapConfiguration,
}

/// `passkeyAuthenticationMethodTarget`: an include target of the passkey method.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyTarget {
    /// A group's object id, or `all_users`.
    pub id: String,
    pub target_type: TargetType,
    #[serde(default)]
    pub is_registration_required: bool,
    /// Passkey profile ids that apply to users of this target; empty means the default profile.
    #[serde(default)]
    pub allowed_passkey_profiles: Vec<String>,
}

/// `authenticationMethodTarget`: an include target of the TAP method.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub id: String,
    pub target_type: TargetType,
    #[serde(default)]
    pub is_registration_required: bool,
}

/// `excludeTarget`: a group or a single user the method does not apply to. Exclusion wins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExcludeTarget {
    pub id: String,
    pub target_type: TargetType,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TargetType {
    Group,
    User,
}

/// `passkeyTypes`, a flags enum serialised as `"deviceBound,synced"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PasskeyTypes {
    pub device_bound: bool,
    pub synced: bool,
}

impl PasskeyTypes {
    pub const BOTH: PasskeyTypes = PasskeyTypes {
        device_bound: true,
        synced: true,
    };
    pub const DEVICE_BOUND: PasskeyTypes = PasskeyTypes {
        device_bound: true,
        synced: false,
    };
    pub const SYNCED: PasskeyTypes = PasskeyTypes {
        device_bound: false,
        synced: true,
    };

    pub fn allows(self, passkey_type: PasskeyType) -> bool {
        match passkey_type {
            PasskeyType::DeviceBound => self.device_bound,
            PasskeyType::Synced => self.synced,
        }
    }

    pub fn is_empty(self) -> bool {
        !self.device_bound && !self.synced
    }

    pub fn parse(s: &str) -> Result<PasskeyTypes, String> {
        let mut types = PasskeyTypes::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "deviceBound" => types.device_bound = true,
                "synced" => types.synced = true,
                other => return Err(format!("{other:?} is not a passkey type (deviceBound, synced)")),
            }
        }
        Ok(types)
    }
}

impl std::fmt::Display for PasskeyTypes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<&str> = [(self.device_bound, "deviceBound"), (self.synced, "synced")]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
        f.write_str(&parts.join(","))
    }
}

impl Serialize for PasskeyTypes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for PasskeyTypes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PasskeyTypes::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Whether a passkey can leave its authenticator (synced) or not (device-bound).
///
/// keywarden decides it from the WebAuthn backup-eligibility (BE) flag: BE set means synced. Without verified
/// attestation the flag is the authenticator's own claim (entra-model.md 1.6 rule 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PasskeyType {
    DeviceBound,
    Synced,
}

impl PasskeyType {
    pub fn from_backup_eligible(backup_eligible: bool) -> PasskeyType {
        if backup_eligible {
            PasskeyType::Synced
        } else {
            PasskeyType::DeviceBound
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PasskeyType::DeviceBound => "deviceBound",
            PasskeyType::Synced => "synced",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PasskeyType::DeviceBound => "device-bound",
            PasskeyType::Synced => "synced",
        }
    }
}

/// `attestationEnforcement`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttestationEnforcement {
    Disabled,
    RegistrationOnly,
}

/// `fido2RestrictionEnforcementType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EnforcementType {
    Allow,
    Block,
}

/// `fido2KeyRestrictions`: an allow or block list of AAGUIDs, applied at registration and at every sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRestrictions {
    pub is_enforced: bool,
    pub enforcement_type: EnforcementType,
    pub aa_guids: Vec<Aaguid>,
    /// keywarden extension: named groups of authenticator models computed from the FIDO metadata, listed next
    /// to the AAGUIDs (an AAGUID is on the list when it is named or when its metadata puts it in a group).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authenticator_groups: Vec<AuthenticatorGroup>,
}

impl KeyRestrictions {
    pub fn none() -> KeyRestrictions {
        KeyRestrictions {
            is_enforced: false,
            enforcement_type: EnforcementType::Allow,
            aa_guids: vec![],
            authenticator_groups: vec![],
        }
    }

    /// Whether `aaguid` is on the list, by name or through a group its metadata entry belongs to.
    pub fn lists(&self, aaguid: &Aaguid, metadata: Option<&Entry>) -> bool {
        self.aa_guids.contains(aaguid)
            || metadata.is_some_and(|entry| self.authenticator_groups.iter().any(|group| group.contains(entry)))
    }
}

/// A named group of authenticator models, defined by what the FIDO metadata says about them. Membership is
/// computed from the metadata in use, so a refreshed BLOB moves models in and out without a policy change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AuthenticatorGroup {
    /// Any FIDO certification level.
    FidoCertified,
    /// FIDO certified at level 2 or higher.
    FidoCertifiedL2OrHigher,
    /// FIDO certified at level 3 or higher.
    FidoCertifiedL3OrHigher,
    /// Keys protected by hardware (secure element, TEE or a hardware chip), never software.
    HardwareProtected,
    /// The metadata statement claims a FIPS 140 validation.
    FipsValidated,
}

impl AuthenticatorGroup {
    pub const ALL: [AuthenticatorGroup; 5] = [
        AuthenticatorGroup::FidoCertified,
        AuthenticatorGroup::FidoCertifiedL2OrHigher,
        AuthenticatorGroup::FidoCertifiedL3OrHigher,
        AuthenticatorGroup::HardwareProtected,
        AuthenticatorGroup::FipsValidated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthenticatorGroup::FidoCertified => "fidoCertified",
            AuthenticatorGroup::FidoCertifiedL2OrHigher => "fidoCertifiedL2OrHigher",
            AuthenticatorGroup::FidoCertifiedL3OrHigher => "fidoCertifiedL3OrHigher",
            AuthenticatorGroup::HardwareProtected => "hardwareProtected",
            AuthenticatorGroup::FipsValidated => "fipsValidated",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            AuthenticatorGroup::FidoCertified => "FIDO certified at any level",
            AuthenticatorGroup::FidoCertifiedL2OrHigher => "FIDO certified at level 2 or higher",
            AuthenticatorGroup::FidoCertifiedL3OrHigher => "FIDO certified at level 3 or higher",
            AuthenticatorGroup::HardwareProtected => "keys protected by hardware (secure element, TEE, TPM)",
            AuthenticatorGroup::FipsValidated => "FIPS 140 validated",
        }
    }

    /// Whether a model belongs to the group, per its metadata. A model with a revocation or compromise in its
    /// status history belongs to no certification group.
    pub fn contains(self, entry: &Entry) -> bool {
        let level = entry.certification_level().filter(|_| entry.worst_incident().is_none());
        match self {
            AuthenticatorGroup::FidoCertified => level.is_some(),
            AuthenticatorGroup::FidoCertifiedL2OrHigher => level.is_some_and(|l| l >= 20),
            AuthenticatorGroup::FidoCertifiedL3OrHigher => level.is_some_and(|l| l >= 30),
            AuthenticatorGroup::HardwareProtected => entry.is_hardware_protected(),
            AuthenticatorGroup::FipsValidated => !entry.fips_levels.is_empty(),
        }
    }
}

/// `passkeyProfile`: what a group of users may register and sign in with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyProfile {
    pub id: String,
    pub name: String,
    pub passkey_types: PasskeyTypes,
    pub attestation_enforcement: AttestationEnforcement,
    pub key_restrictions: KeyRestrictions,
    /// keywarden extension: whether a TPM attestation signed with SHA-1 (as most Windows Hello TPMs still do)
    /// counts as verified attestation for this profile. Defaults to true.
    #[serde(default = "yes")]
    pub is_sha1_tpm_attestation_allowed: bool,
}

fn yes() -> bool {
    true
}

/// `fido2AuthenticationMethodConfiguration`, with passkey profiles (keywarden is always "opted in").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fido2Configuration {
    pub state: State,
    pub include_targets: Vec<PasskeyTarget>,
    pub exclude_targets: Vec<ExcludeTarget>,
    pub is_self_service_registration_allowed: bool,
    pub default_passkey_profile: String,
    pub passkey_profiles: Vec<PasskeyProfile>,
    /// keywarden extension: minutes within which strong authentication counts as recent for registration.
    /// `None` uses the deployment's configured default.
    #[serde(default)]
    pub registration_window_in_minutes: Option<u32>,
}

impl Fido2Configuration {
    pub fn profile(&self, id: &str) -> Option<&PasskeyProfile> {
        self.passkey_profiles.iter().find(|p| p.id == id)
    }
}

/// `temporaryAccessPassAuthenticationMethodConfiguration`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TapConfiguration {
    pub state: State,
    pub include_targets: Vec<Target>,
    pub exclude_targets: Vec<ExcludeTarget>,
    pub default_length: u32,
    pub default_lifetime_in_minutes: u32,
    pub minimum_lifetime_in_minutes: u32,
    pub maximum_lifetime_in_minutes: u32,
    pub is_usable_once: bool,
}

/// TAP lengths and lifetimes allowed by Entra.
pub const TAP_LENGTH: std::ops::RangeInclusive<u32> = 8..=48;
pub const TAP_LIFETIME_MINUTES: std::ops::RangeInclusive<u32> = 10..=43200;

impl Default for Policy {
    /// The policy of a fresh installation: passkeys disabled until an administrator enables them, all users
    /// targeted with a permissive Default passkey profile; TAP enabled for all users with Entra's defaults.
    fn default() -> Policy {
        Policy {
            fido2: Fido2Configuration {
                state: State::Disabled,
                include_targets: vec![PasskeyTarget {
                    id: ALL_USERS.into(),
                    target_type: TargetType::Group,
                    is_registration_required: false,
                    allowed_passkey_profiles: vec![DEFAULT_PROFILE_ID.into()],
                }],
                exclude_targets: vec![],
                is_self_service_registration_allowed: true,
                default_passkey_profile: DEFAULT_PROFILE_ID.into(),
                passkey_profiles: vec![PasskeyProfile {
                    id: DEFAULT_PROFILE_ID.into(),
                    name: "Default passkey profile".into(),
                    passkey_types: PasskeyTypes::BOTH,
                    attestation_enforcement: AttestationEnforcement::Disabled,
                    key_restrictions: KeyRestrictions::none(),
                    is_sha1_tpm_attestation_allowed: true,
                }],
                registration_window_in_minutes: None,
            },
            temporary_access_pass: TapConfiguration {
                state: State::Enabled,
                include_targets: vec![Target {
                    id: ALL_USERS.into(),
                    target_type: TargetType::Group,
                    is_registration_required: false,
                }],
                exclude_targets: vec![],
                default_length: 8,
                default_lifetime_in_minutes: 60,
                minimum_lifetime_in_minutes: 60,
                maximum_lifetime_in_minutes: 480,
                is_usable_once: false,
            },
        }
    }
}
