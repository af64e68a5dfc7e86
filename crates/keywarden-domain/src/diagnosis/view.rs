//! The diagnosis as it is serialized and shown: the steps of the walk with their evidence, fixes and matched
//! failure modes, and the names a person reads (groups, targets, profiles, authenticators, methods). It decides
//! nothing: the walks in [`super::now`] and [`super::attempt`] fill these in.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::input::Directory;
use super::knowledge::{self, FailureMode};
use crate::access_pass::UsabilityReason;
use crate::codes::{Code, Question};
use crate::directory::UserType;
use crate::ids::{Aaguid, AttemptId, GroupId};
use crate::metadata::Catalog;
use crate::platform::CeremonyPath;
use crate::policy::evaluate::{ProfileVerdict, RegistrationPath};
use crate::policy::{
    ALL_USERS, AttestationEnforcement, EnforcementType, ExcludeTarget, PasskeyProfile, PasskeyType, PasskeyTypes,
    Policy, State, TargetType,
};
use crate::registration::{AttestationFormat, AttestationLevel, Status as AttemptStatus};
use crate::session::Method;

pub use crate::directory::UserRef;

/// What fixes a failure, in the playbook's terms. Its words for a person ([`Action::label`]) are kept with the
/// fixes' wording in `fixes.rs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    UpdateTargeting,
    EnablePasskeyMethod,
    EnableAccount,
    UseMemberAccount,
    AllowSelfService,
    RegisterOnBehalf,
    VerifyAgain,
    IssueAccessPass,
    Retry,
    SwitchPlatformPath,
    PreparePlatform,
    UseConfiguredOrigin,
    UseExistingPasskey,
    AddAaguid,
    UnblockAaguid,
    SteerToAllowedAuthenticator,
    RelaxAttestation,
    AllowPasskeyType,
    ReplaceAuthenticator,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::UpdateTargeting => "update_targeting",
            Action::EnablePasskeyMethod => "enable_passkey_method",
            Action::EnableAccount => "enable_account",
            Action::UseMemberAccount => "use_member_account",
            Action::AllowSelfService => "allow_self_service",
            Action::RegisterOnBehalf => "register_on_behalf",
            Action::VerifyAgain => "verify_again",
            Action::IssueAccessPass => "issue_access_pass",
            Action::Retry => "retry",
            Action::SwitchPlatformPath => "switch_platform_path",
            Action::PreparePlatform => "prepare_platform",
            Action::UseConfiguredOrigin => "use_configured_origin",
            Action::UseExistingPasskey => "use_existing_passkey",
            Action::AddAaguid => "add_aaguid",
            Action::UnblockAaguid => "unblock_aaguid",
            Action::SteerToAllowedAuthenticator => "steer_to_allowed_authenticator",
            Action::RelaxAttestation => "relax_attestation",
            Action::AllowPasskeyType => "allow_passkey_type",
            Action::ReplaceAuthenticator => "replace_authenticator",
        }
    }
}

/// One fix: its kind and what to do, naming the user, group, profile or AAGUID concerned. Serialized with the
/// action's label too (`{action, label, text}`), so that a client shows the playbook's words without a copy of them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Fix {
    pub action: Action,
    pub text: String,
}

impl Serialize for Fix {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut fix = serializer.serialize_struct("Fix", 3)?;
        fix.serialize_field("action", &self.action)?;
        fix.serialize_field("label", self.action.label())?;
        fix.serialize_field("text", &self.text)?;
        fix.end()
    }
}

impl Fix {
    pub(super) fn new(action: Action, text: impl Into<String>) -> Fix {
        Fix {
            action,
            text: text.into(),
        }
    }
}

/// A question's answer in the walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    Passed,
    Failed,
    /// An earlier question failed, so the walk stopped before this one.
    NotReached,
    /// The evidence to answer it does not exist (yet): no ceremony was recorded, or it depends on the authenticator.
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::NotReached => "notReached",
            Status::Unknown => "unknown",
        }
    }
}

/// A group as a person reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRef {
    pub id: GroupId,
    pub name: String,
}

/// A passkey profile by id and name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProfileRef {
    pub id: String,
    pub name: String,
}

/// A policy target, named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetView {
    pub id: String,
    pub target_type: TargetType,
    /// The group's display name, "all users", or the user's UPN.
    pub name: String,
    /// For include targets: the profiles it allows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<ProfileRef>,
}

/// An AAGUID with the name the FIDO metadata (or the fallback list) gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuthenticatorName {
    pub aaguid: Aaguid,
    pub name: Option<String>,
}

impl AuthenticatorName {
    pub(super) fn of(aaguid: Aaguid, catalog: &Catalog) -> AuthenticatorName {
        AuthenticatorName {
            aaguid,
            name: catalog.name(&aaguid).map(str::to_string),
        }
    }

    /// `YubiKey 5 Series (ee882879-...)`, or the bare AAGUID.
    pub fn label(&self) -> String {
        self.aaguid.labelled(self.name.as_deref())
    }
}

/// Key restrictions with names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestrictionsView {
    pub is_enforced: bool,
    pub enforcement_type: EnforcementType,
    pub aa_guids: Vec<AuthenticatorName>,
    /// Named authenticator groups (from the FIDO metadata) listed next to the AAGUIDs.
    pub authenticator_groups: Vec<crate::policy::AuthenticatorGroup>,
}

/// What one passkey profile accepts, as data and in plain words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    pub id: String,
    pub name: String,
    pub passkey_types: PasskeyTypes,
    pub attestation_enforcement: AttestationEnforcement,
    pub key_restrictions: RestrictionsView,
    /// The same, as sentences for people.
    pub accepts: Vec<String>,
}

/// Question 1's evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EligibilityView {
    pub method_state: State,
    pub account_enabled: bool,
    pub user_type: UserType,
    /// The user's groups today; `None` for a recorded attempt (membership at the time was not recorded, only the
    /// targets it matched).
    pub member_of: Option<Vec<GroupRef>>,
    pub included_by: Vec<TargetView>,
    pub excluded_by: Vec<TargetView>,
    /// Include targets that do not cover the user: where targeting could add them.
    pub other_include_targets: Vec<TargetView>,
    pub self_service_registration_allowed: bool,
    pub path: RegistrationPath,
}

/// A Temporary Access Pass as question 2 sees it (never its code).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessPassView {
    pub is_usable: bool,
    pub method_usability_reason: UsabilityReason,
    pub is_usable_once: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub start_date_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_date_time: OffsetDateTime,
    /// Whether the TAP configuration's targets cover the user.
    pub in_policy_scope: bool,
    pub method_state: State,
}

/// Question 2's evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationView {
    /// The registration window; 10 minutes at most after a one-time pass.
    pub window_minutes: i64,
    /// Who had to be verified (a recorded attempt: the user, or the administrator acting for them).
    pub verified_party: Option<String>,
    /// The last strong authentication: the attempt's, or "now" the last one an attempt recorded.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_strong_authentication: Option<OffsetDateTime>,
    pub last_strong_method: Option<Method>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub verified_until: Option<OffsetDateTime>,
    pub via_one_time_access_pass: bool,
    /// The strong methods the user can verify with (`softwareOath`, `fido2`, `temporaryAccessPass`), as
    /// [`crate::verification::usable_strong_methods`] decides for registration too.
    pub usable_methods: BTreeSet<Method>,
    /// "Now": whether an authenticator app is set up, and passkeys registered / usable under today's policy.
    pub authenticator_app: Option<bool>,
    pub passkeys: Option<(usize, usize)>,
    pub access_pass: Option<AccessPassView>,
}

/// Question 3's evidence: what the browser reported and what the response showed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformView {
    /// The attempt the evidence comes from ("now": the last one that reached question 3).
    pub attempt_id: Option<AttemptId>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub at: Option<OffsetDateTime>,
    /// Windows, macOS, iOS, Android, Linux, ChromeOS, from the user agent.
    pub client_platform: Option<&'static str>,
    pub user_agent: Option<String>,
    pub path: Option<CeremonyPath>,
    /// The DOMException name and message.
    pub error: Option<String>,
    pub client_capabilities: BTreeMap<String, bool>,
    pub platform_authenticator_available: Option<bool>,
    pub attestation_format: Option<AttestationFormat>,
    pub user_verified: Option<bool>,
    pub hardware_backed: Option<bool>,
    pub notes: Vec<String>,
}

/// The authenticator of an attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorView {
    pub aaguid: Aaguid,
    pub name: Option<String>,
    pub passkey_type: PasskeyType,
    pub attestation_format: AttestationFormat,
    pub attestation_level: AttestationLevel,
    pub transports: Vec<String>,
}

impl AuthenticatorView {
    /// `YubiKey 5 Series (ee882879-...)`, or the bare AAGUID.
    pub fn label(&self) -> String {
        self.aaguid.labelled(self.name.as_deref())
    }
}

/// Question 4's evidence: the authenticator and each applicable profile's verdict on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptanceView {
    pub authenticator: Option<AuthenticatorView>,
    pub verdicts: Vec<ProfileVerdict>,
    pub admitted_by: Option<String>,
    pub notes: Vec<String>,
}

/// The evidence of one question, by question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum StepEvidence {
    None,
    Eligibility(EligibilityView),
    Verification(VerificationView),
    Platform(PlatformView),
    Acceptance(AcceptanceView),
}

/// A failure mode of the knowledge base that the evidence matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchedMode {
    pub id: String,
    pub platform: knowledge::Platform,
    /// The platform in words (`Windows Hello`, `iOS`...).
    pub platform_label: &'static str,
    pub title: String,
    pub explanation: String,
    pub fix: Fix,
    pub source: String,
}

impl From<&FailureMode> for MatchedMode {
    fn from(mode: &FailureMode) -> MatchedMode {
        MatchedMode {
            id: mode.id.clone(),
            platform: mode.platform,
            platform_label: mode.platform.label(),
            title: mode.title.clone(),
            explanation: mode.explanation.clone(),
            fix: mode.fix.clone(),
            source: mode.source.clone(),
        }
    }
}

/// One question of the walk: its answer, code, what was found, the evidence and the fixes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub question: Question,
    pub title: &'static str,
    pub status: Status,
    pub code: Option<Code>,
    /// One sentence: what the answer rests on.
    pub finding: String,
    pub evidence: StepEvidence,
    /// Knowledge-base failure modes the evidence matched (most specific first), each with its fix.
    pub failure_modes: Vec<MatchedMode>,
    /// The fixes for the code, in the playbook's terms.
    pub fixes: Vec<Fix>,
}

impl Step {
    pub(super) fn new(
        question: Question,
        status: Status,
        code: Option<Code>,
        finding: String,
        evidence: StepEvidence,
    ) -> Step {
        Step {
            question,
            title: question.title(),
            status,
            code,
            finding,
            evidence,
            failure_modes: vec![],
            fixes: vec![],
        }
    }

    /// A question answered: passed with `passed` as its finding, or failed with its code's summary as the finding
    /// and `fixes`.
    pub(super) fn answered(
        question: Question,
        code: Option<Code>,
        passed: String,
        evidence: StepEvidence,
        fixes: Vec<Fix>,
    ) -> Step {
        let (status, finding) = match code {
            None => (Status::Passed, passed),
            Some(code) => (Status::Failed, code.summary().to_string()),
        };
        Step {
            fixes,
            ..Step::new(question, status, code, finding, evidence)
        }
    }

    pub(super) fn not_reached(question: Question) -> Step {
        Step::new(
            question,
            Status::NotReached,
            None,
            "not reached: an earlier question failed".into(),
            StepEvidence::None,
        )
    }

    /// The first fix to try: the most specific failure mode's, else the code's first.
    pub fn first_fix(&self) -> Option<&Fix> {
        self.failure_modes.first().map(|m| &m.fix).or(self.fixes.first())
    }
}

/// What was diagnosed: the user now, or one attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Subject {
    Now {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    #[serde(rename_all = "camelCase")]
    Attempt {
        id: AttemptId,
        #[serde(with = "time::serde::rfc3339")]
        started_at: OffsetDateTime,
        #[serde(with = "time::serde::rfc3339::option")]
        finished_at: Option<OffsetDateTime>,
        status: AttemptStatus,
        outcome: Option<Code>,
        on_behalf: bool,
    },
}

/// The question and code where the walk stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub question: Question,
    pub code: Code,
}

/// A past attempt re-read under today's policy: questions 1 and 4 (2 and 3 depend on the session and the
/// device of the time, and are not re-evaluated).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Today {
    pub policy_version: i64,
    pub eligible: Step,
    /// Only when the attempt reached the authenticator's response.
    pub accepted: Option<Step>,
    pub first_failure: Option<Failure>,
    /// Whether today's answer differs from the recorded one.
    pub changed: bool,
    pub summary: String,
}

/// The whole diagnosis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnosis {
    pub user: UserRef,
    pub subject: Subject,
    /// The policy version the walk used: today's for "now", the one in force at the time for an attempt.
    pub policy_version: i64,
    pub summary: String,
    pub first_failure: Option<Failure>,
    /// The four questions, in order.
    pub questions: Vec<Step>,
    /// The passkey profiles that apply to the user (now, or at the time), and what each accepts.
    pub profiles: Vec<ProfileView>,
    pub today: Option<Today>,
    pub notes: Vec<String>,
}

impl Diagnosis {
    pub fn step(&self, question: Question) -> &Step {
        &self.questions[usize::from(question.number() - 1)]
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Naming
// ---------------------------------------------------------------------------------------------------------------

pub(super) fn profile_ref(policy: &Policy, id: &str) -> ProfileRef {
    ProfileRef {
        id: id.to_string(),
        name: policy
            .fido2
            .profile(id)
            .map_or_else(|| format!("{id} (missing)"), |p| p.name.clone()),
    }
}

fn target_name(directory: &Directory<'_>, id: &str, target_type: TargetType) -> String {
    if id == ALL_USERS {
        return "all users".into();
    }
    match target_type {
        TargetType::User if id.eq_ignore_ascii_case(&directory.user.id.to_string()) => {
            directory.user.user_principal_name.clone()
        }
        TargetType::User => format!("user {id}"),
        TargetType::Group => id
            .parse::<GroupId>()
            .ok()
            .and_then(|g| directory.group_names.get(&g).cloned())
            .unwrap_or_else(|| format!("group {id}")),
    }
}

pub(super) fn include_view(directory: &Directory<'_>, policy: &Policy, id: &str, profiles: &[String]) -> TargetView {
    let profiles: Vec<String> = if profiles.is_empty() {
        vec![policy.fido2.default_passkey_profile.clone()]
    } else {
        profiles.to_vec()
    };
    TargetView {
        id: id.to_string(),
        target_type: TargetType::Group,
        name: target_name(directory, id, TargetType::Group),
        profiles: profiles.iter().map(|p| profile_ref(policy, p)).collect(),
    }
}

pub(super) fn exclude_view(directory: &Directory<'_>, target: &ExcludeTarget) -> TargetView {
    TargetView {
        id: target.id.clone(),
        target_type: target.target_type,
        name: target_name(directory, &target.id, target.target_type),
        profiles: vec![],
    }
}

pub(super) fn names(targets: &[TargetView]) -> String {
    targets.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
}

fn types_phrase(types: PasskeyTypes) -> &'static str {
    match (types.device_bound, types.synced) {
        (true, true) => "device-bound and synced passkeys",
        (true, false) => "device-bound passkeys only",
        (false, true) => "synced passkeys only",
        (false, false) => "no passkey type (the profile accepts nothing)",
    }
}

/// What a profile accepts, with authenticator names from the catalog.
pub fn profile_view(profile: &PasskeyProfile, catalog: &Catalog) -> ProfileView {
    let restrictions = &profile.key_restrictions;
    let aa_guids: Vec<AuthenticatorName> = restrictions
        .aa_guids
        .iter()
        .map(|a| AuthenticatorName::of(*a, catalog))
        .collect();
    let listed = aa_guids
        .iter()
        .map(AuthenticatorName::label)
        .chain(
            restrictions
                .authenticator_groups
                .iter()
                .map(|g| format!("the group \"{}\"", g.description())),
        )
        .collect::<Vec<_>>()
        .join(", ");
    let nothing_listed = aa_guids.is_empty() && restrictions.authenticator_groups.is_empty();
    let mut accepts = vec![types_phrase(profile.passkey_types).to_string()];
    accepts.push(match profile.attestation_enforcement {
        AttestationEnforcement::RegistrationOnly => {
            let mut s = String::from(
                "attestation required at registration: a verified chain to a root the FIDO metadata lists for the \
                 AAGUID (synced passkeys and Windows Hello cannot give one)",
            );
            if !profile.is_sha1_tpm_attestation_allowed {
                s.push_str("; TPM attestation signed with SHA-1 is refused");
            }
            s
        }
        AttestationEnforcement::Disabled => {
            "attestation not required: the AAGUID and passkey type are the authenticator's own claims".into()
        }
    });
    accepts.push(match (restrictions.is_enforced, restrictions.enforcement_type) {
        (false, _) => "any authenticator model".into(),
        (true, EnforcementType::Allow) if nothing_listed => "no authenticator model (the allow list is empty)".into(),
        (true, EnforcementType::Allow) => format!("only these authenticators: {listed}"),
        (true, EnforcementType::Block) if nothing_listed => "any authenticator model (the block list is empty)".into(),
        (true, EnforcementType::Block) => format!("any authenticator except: {listed}"),
    });
    ProfileView {
        id: profile.id.clone(),
        name: profile.name.clone(),
        passkey_types: profile.passkey_types,
        attestation_enforcement: profile.attestation_enforcement,
        key_restrictions: RestrictionsView {
            is_enforced: restrictions.is_enforced,
            enforcement_type: restrictions.enforcement_type,
            aa_guids,
            authenticator_groups: restrictions.authenticator_groups.clone(),
        },
        accepts,
    }
}

/// The operating system a user agent names, for display.
pub fn client_platform(user_agent: &str) -> Option<&'static str> {
    let platforms: [(&str, &'static str); 7] = [
        ("Windows NT", "Windows"),
        ("iPhone", "iOS"),
        ("iPad", "iOS"),
        ("Android", "Android"),
        ("CrOS", "ChromeOS"),
        ("Macintosh", "macOS"),
        ("Linux", "Linux"),
    ];
    platforms
        .into_iter()
        .find(|(m, _)| user_agent.contains(m))
        .map(|(_, p)| p)
}

/// Methods in Graph's spellings, joined.
pub fn method_list(methods: &BTreeSet<Method>, separator: &str) -> String {
    methods.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(separator)
}

/// `packed attestation`, or `no attestation` for `none` and a missing format.
pub fn attestation_phrase(format: Option<AttestationFormat>) -> String {
    match format {
        None | Some(AttestationFormat::None) => "no attestation".into(),
        Some(format) => format!("{} attestation", format.as_str()),
    }
}
