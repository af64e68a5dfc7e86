//! Policy evaluation: question 1 (eligible?), question 4 (is the authenticator accepted?), and the re-check of a
//! registered passkey at every sign-in (entra-model.md 1.6 and 1.7).
//!
//! Rules: the method must be enabled; exclusion wins over every include; a user is covered by the union of the
//! profiles of the include targets that match; a passkey is accepted when it fully satisfies at least one of
//! them. At sign-in, passkey type and key restrictions are checked again; attestation is not.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{
    ALL_USERS, AttestationEnforcement, EnforcementType, ExcludeTarget, Fido2Configuration, PasskeyProfile, PasskeyType,
    State, TapConfiguration, TargetType,
};
use crate::codes::{Code, Question};
use crate::directory::{User, UserType};
use crate::ids::{Aaguid, GroupId};
use crate::metadata::Entry;
use crate::registration::{Answer, AttestationFormat, AttestationLevel, Facts, Trust};

/// A user with the ids of the groups they belong to.
#[derive(Clone, Copy, Debug)]
pub struct Member<'a> {
    pub user: &'a User,
    pub groups: &'a BTreeSet<GroupId>,
}

impl Member<'_> {
    fn matches_group_target(&self, id: &str) -> bool {
        id == ALL_USERS || id.parse::<GroupId>().is_ok_and(|g| self.groups.contains(&g))
    }

    fn is_excluded_by(&self, target: &ExcludeTarget) -> bool {
        match target.target_type {
            TargetType::Group => self.matches_group_target(&target.id),
            TargetType::User => target.id.eq_ignore_ascii_case(&self.user.id.to_string()),
        }
    }
}

/// Who is registering: the user for themselves, or an administrator on their behalf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RegistrationPath {
    SelfService,
    OnBehalf,
}

/// An include target that covers the user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncludeMatch {
    pub target_id: String,
    pub is_registration_required: bool,
    pub allowed_passkey_profiles: Vec<String>,
}

/// Evidence for question 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Eligibility {
    pub method_state: State,
    pub account_enabled: bool,
    pub user_type: UserType,
    pub included_by: Vec<IncludeMatch>,
    pub excluded_by: Vec<ExcludeTarget>,
    pub self_service_registration_allowed: bool,
    pub path: RegistrationPath,
    /// Ids of the passkey profiles that apply to the user (empty when excluded or not targeted).
    pub profiles: Vec<String>,
}

fn include_matches(fido2: &Fido2Configuration, member: Member<'_>) -> Vec<IncludeMatch> {
    fido2
        .include_targets
        .iter()
        .filter(|t| member.matches_group_target(&t.id))
        .map(|t| IncludeMatch {
            target_id: t.id.clone(),
            is_registration_required: t.is_registration_required,
            allowed_passkey_profiles: if t.allowed_passkey_profiles.is_empty() {
                vec![fido2.default_passkey_profile.clone()]
            } else {
                t.allowed_passkey_profiles.clone()
            },
        })
        .collect()
}

/// The profiles that apply to a user: the union over the include targets that cover them, none when excluded.
pub fn applicable_profiles<'p>(fido2: &'p Fido2Configuration, member: Member<'_>) -> Vec<&'p PasskeyProfile> {
    if fido2.exclude_targets.iter().any(|t| member.is_excluded_by(t)) {
        return vec![];
    }
    let mut ids: Vec<String> = include_matches(fido2, member)
        .into_iter()
        .flat_map(|m| m.allowed_passkey_profiles)
        .collect();
    ids.dedup();
    let mut seen = BTreeSet::new();
    ids.into_iter()
        .filter(|id| seen.insert(id.clone()))
        .filter_map(|id| fido2.profile(&id))
        .collect()
}

/// Question 1: is the user enabled for passkeys, on this path?
pub fn eligibility(fido2: &Fido2Configuration, member: Member<'_>, path: RegistrationPath) -> Answer<Eligibility> {
    let included_by = include_matches(fido2, member);
    let excluded_by: Vec<ExcludeTarget> = fido2
        .exclude_targets
        .iter()
        .filter(|t| member.is_excluded_by(t))
        .cloned()
        .collect();
    let profiles = applicable_profiles(fido2, member)
        .into_iter()
        .map(|p| p.id.clone())
        .collect();
    let evidence = Eligibility {
        method_state: fido2.state,
        account_enabled: member.user.account_enabled,
        user_type: member.user.user_type,
        included_by,
        excluded_by,
        self_service_registration_allowed: fido2.is_self_service_registration_allowed,
        path,
        profiles,
    };
    let code = if fido2.state == State::Disabled {
        Some(Code::PasskeyMethodDisabled)
    } else if !member.user.account_enabled {
        Some(Code::AccountDisabled)
    } else if member.user.user_type == UserType::Guest {
        Some(Code::GuestUserNotSupported)
    } else if !evidence.excluded_by.is_empty() {
        Some(Code::UserExcluded)
    } else if evidence.included_by.is_empty() {
        Some(Code::UserNotInPolicyScope)
    } else if path == RegistrationPath::SelfService && !fido2.is_self_service_registration_allowed {
        Some(Code::SelfServiceRegistrationDisabled)
    } else {
        None
    };
    match code {
        Some(code) => Answer::fail(code, evidence),
        None => Answer::pass(Question::Eligible, evidence),
    }
}

/// Whether a user may sign in with a Temporary Access Pass under the TAP configuration's targets.
pub fn access_pass_scope(tap: &TapConfiguration, member: Member<'_>) -> bool {
    tap.include_targets.iter().any(|t| member.matches_group_target(&t.id))
        && !tap.exclude_targets.iter().any(|t| member.is_excluded_by(t))
}

/// Why one profile refuses a passkey.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denial {
    StatusRevoked {
        status: String,
    },
    PasskeyTypeNotAllowed {
        passkey_type: PasskeyType,
        allowed: super::PasskeyTypes,
    },
    AttestationRequired {
        format: AttestationFormat,
    },
    AttestationUntrusted {
        reason: String,
    },
    Sha1AttestationRefused,
    AaguidNotAllowed {
        aaguid: Aaguid,
    },
    AaguidBlocked {
        aaguid: Aaguid,
    },
}

impl Denial {
    pub fn code(&self) -> Code {
        match self {
            Denial::StatusRevoked { .. } => Code::AuthenticatorStatusRevoked,
            Denial::PasskeyTypeNotAllowed { .. } => Code::PasskeyTypeNotAllowed,
            Denial::AttestationRequired { .. } => Code::AttestationRequired,
            Denial::AttestationUntrusted { .. } | Denial::Sha1AttestationRefused => Code::AttestationUntrusted,
            Denial::AaguidNotAllowed { .. } => Code::AaguidNotAllowed,
            Denial::AaguidBlocked { .. } => Code::AaguidBlocked,
        }
    }

    pub fn describe(&self, profile: &PasskeyProfile) -> String {
        let name = &profile.name;
        match self {
            Denial::StatusRevoked { status } => format!("the FIDO metadata reports this model as {status}"),
            Denial::PasskeyTypeNotAllowed { passkey_type, allowed } => format!(
                "{name} allows {} passkeys; this one is {}",
                allowed.to_string().replace(',', " and "),
                passkey_type.as_str()
            ),
            Denial::AttestationRequired { format } => format!(
                "{name} enforces attestation; the authenticator sent {} attestation",
                match format {
                    AttestationFormat::None => "no".to_string(),
                    AttestationFormat::AndroidSafetynet =>
                        "android-safetynet (retired by Google, treated as no)".into(),
                    other => format!("unverifiable {}", other.as_str()),
                }
            ),
            Denial::AttestationUntrusted { reason } => format!("{name} enforces attestation; {reason}"),
            Denial::Sha1AttestationRefused => {
                format!("{name} refuses TPM attestation signed with SHA-1 (isSha1TpmAttestationAllowed is false)")
            }
            Denial::AaguidNotAllowed { aaguid } => {
                let groups: Vec<&str> = profile
                    .key_restrictions
                    .authenticator_groups
                    .iter()
                    .map(|g| g.description())
                    .collect();
                format!(
                    "{aaguid} is not on {name}'s allow list ({} AAGUIDs{})",
                    profile.key_restrictions.aa_guids.len(),
                    if groups.is_empty() {
                        String::new()
                    } else {
                        format!("; groups: {}", groups.join(", "))
                    }
                )
            }
            Denial::AaguidBlocked { aaguid } => format!("{aaguid} is on {name}'s block list"),
        }
    }
}

/// What the acceptance check needs to know about a passkey: at registration, from the verified response; at
/// sign-in, from the stored credential.
#[derive(Clone, Debug)]
pub struct Candidate<'a> {
    pub aaguid: Aaguid,
    pub passkey_type: PasskeyType,
    /// `None` at sign-in, where attestation is not re-checked.
    pub attestation: Option<(&'a Trust, AttestationFormat, bool)>,
}

/// Every reason `profile` refuses `candidate`, in check order (status, type, attestation, key restrictions).
pub fn denials(profile: &PasskeyProfile, candidate: &Candidate<'_>, metadata: Option<&Entry>) -> Vec<Denial> {
    let mut found = Vec::new();
    if candidate.attestation.is_some()
        && let Some(incident) = metadata.and_then(Entry::worst_incident)
    {
        found.push(Denial::StatusRevoked {
            status: incident.status.as_str(),
        });
    }
    if !profile.passkey_types.allows(candidate.passkey_type) {
        found.push(Denial::PasskeyTypeNotAllowed {
            passkey_type: candidate.passkey_type,
            allowed: profile.passkey_types,
        });
    }
    if let (AttestationEnforcement::RegistrationOnly, Some((trust, format, sha1))) =
        (profile.attestation_enforcement, candidate.attestation)
    {
        match trust {
            Trust::Absent => found.push(Denial::AttestationRequired { format }),
            Trust::Untrusted { reason } => found.push(Denial::AttestationUntrusted { reason: reason.clone() }),
            Trust::Verified { .. } if sha1 && !profile.is_sha1_tpm_attestation_allowed => {
                found.push(Denial::Sha1AttestationRefused)
            }
            Trust::Verified { .. } => {}
        }
    }
    let restrictions = &profile.key_restrictions;
    if restrictions.is_enforced {
        let listed = restrictions.lists(&candidate.aaguid, metadata);
        match restrictions.enforcement_type {
            EnforcementType::Allow if !listed => found.push(Denial::AaguidNotAllowed {
                aaguid: candidate.aaguid,
            }),
            EnforcementType::Block if listed => found.push(Denial::AaguidBlocked {
                aaguid: candidate.aaguid,
            }),
            _ => {}
        }
    }
    found
}

/// One profile's verdict on a passkey.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileVerdict {
    pub profile_id: String,
    pub profile_name: String,
    pub accepted: bool,
    pub denials: Vec<DenialRecord>,
}

/// Every profile's reasons for refusing, in order: what a refusal by the profiles says, in words.
pub fn refusal_reasons(verdicts: &[ProfileVerdict]) -> Vec<String> {
    verdicts
        .iter()
        .flat_map(|v| v.denials.iter().map(|d| d.detail.clone()))
        .collect()
}

/// A denial as recorded: its code and a sentence naming the profile and the value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DenialRecord {
    pub code: Code,
    pub detail: String,
}

/// Evidence for question 4.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Acceptance {
    pub aaguid: Aaguid,
    pub model: Option<String>,
    pub passkey_type: PasskeyType,
    pub attestation_level: AttestationLevel,
    pub verdicts: Vec<ProfileVerdict>,
    /// The profile that admitted the passkey.
    pub admitted_by: Option<String>,
    pub notes: Vec<String>,
}

fn verdicts(
    profiles: &[&PasskeyProfile],
    candidate: &Candidate<'_>,
    metadata: Option<&Entry>,
) -> (Vec<ProfileVerdict>, Option<String>, Option<Code>) {
    let mut verdicts = Vec::new();
    let mut best: Option<(usize, Code)> = None;
    for profile in profiles {
        let found = denials(profile, candidate, metadata);
        if let Some(first) = found.first()
            && best.is_none_or(|(n, _)| found.len() < n)
        {
            best = Some((found.len(), first.code()));
        }
        verdicts.push(ProfileVerdict {
            profile_id: profile.id.clone(),
            profile_name: profile.name.clone(),
            accepted: found.is_empty(),
            denials: found
                .iter()
                .map(|d| DenialRecord {
                    code: d.code(),
                    detail: d.describe(profile),
                })
                .collect(),
        });
    }
    let admitted_by = verdicts.iter().find(|v| v.accepted).map(|v| v.profile_id.clone());
    let code = if admitted_by.is_some() {
        None
    } else {
        best.map(|(_, c)| c)
    };
    (verdicts, admitted_by, code)
}

/// Question 4 at registration: does at least one applicable profile accept the authenticator in full?
/// `profiles` are the user's applicable profiles; `metadata` is the MDS entry for the claimed AAGUID.
pub fn acceptance(profiles: &[&PasskeyProfile], facts: &Facts, metadata: Option<&Entry>) -> Answer<Acceptance> {
    let candidate = Candidate {
        aaguid: facts.aaguid,
        passkey_type: facts.passkey_type(),
        attestation: Some((&facts.trust, facts.format, facts.sha1_signature)),
    };
    let (verdicts, admitted_by, code) = verdicts(profiles, &candidate, metadata);
    let mut notes = Vec::new();
    if facts.attestation_level() == AttestationLevel::NotAttested {
        notes.push(format!(
            "attestation was not verified, so the AAGUID {} and the passkey type are the authenticator's own claims",
            facts.aaguid
        ));
    }
    let evidence = Acceptance {
        aaguid: facts.aaguid,
        model: facts.model.clone(),
        passkey_type: facts.passkey_type(),
        attestation_level: facts.attestation_level(),
        verdicts,
        admitted_by,
        notes,
    };
    match (code, profiles.is_empty()) {
        (_, true) => Answer::fail(Code::UserNotInPolicyScope, evidence),
        (Some(code), false) => Answer::fail(code, evidence),
        (None, false) => Answer::pass(Question::AuthenticatorAccepted, evidence),
    }
}

/// Why a registered passkey may not be used to sign in today.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignInRefusal {
    pub code: Code,
    pub verdicts: Vec<ProfileVerdict>,
}

/// The re-check at every sign-in: method enabled, account enabled, not excluded, in scope, and at least one
/// applicable profile accepting the passkey's type and AAGUID (named authenticator groups are judged with the
/// current `metadata` entry of the AAGUID). Returns the profile that accepts it.
pub fn sign_in_check(
    fido2: &Fido2Configuration,
    member: Member<'_>,
    aaguid: Aaguid,
    passkey_type: PasskeyType,
    metadata: Option<&Entry>,
) -> Result<String, SignInRefusal> {
    let refuse = |code| Err(SignInRefusal { code, verdicts: vec![] });
    if fido2.state == State::Disabled {
        return refuse(Code::PasskeyMethodDisabled);
    }
    if !member.user.account_enabled {
        return refuse(Code::AccountDisabled);
    }
    if fido2.exclude_targets.iter().any(|t| member.is_excluded_by(t)) {
        return refuse(Code::UserExcluded);
    }
    let profiles = applicable_profiles(fido2, member);
    if profiles.is_empty() {
        return refuse(Code::UserNotInPolicyScope);
    }
    let candidate = Candidate {
        aaguid,
        passkey_type,
        attestation: None,
    };
    let (verdicts, admitted_by, _) = verdicts(&profiles, &candidate, metadata);
    admitted_by.ok_or(SignInRefusal {
        code: Code::CredentialNotAllowedAtSignIn,
        verdicts,
    })
}
