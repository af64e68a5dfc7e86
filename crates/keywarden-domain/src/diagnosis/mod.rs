//! The help desk's diagnosis: the playbook's four-question decision tree walked for one user, either "now" (can
//! this user register a passkey, and with what?) or for one recorded attempt (why did it fail, and what would
//! today's policy say?), plus the effective policy explained for a user.
//!
//! Everything here is computed from values the caller gathers (user, groups, policy versions, methods, attempts,
//! FIDO metadata, `now`); nothing is read or written. Question 3 is refined by the knowledge base of platform
//! failure modes in [`knowledge`]; [`render`] turns the results into text for people.

pub mod knowledge;
pub mod render;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::access_pass::{AccessPass, UsabilityReason};
use crate::codes::{Code, Question};
use crate::directory::{User, UserType};
use crate::ids::{Aaguid, AttemptId, GroupId};
use crate::metadata::Catalog;
use crate::passkey::Passkey;
use crate::platform::{CeremonyPath, ClientReport, Platform};
use crate::policy::evaluate::{
    Acceptance, Eligibility, Member, ProfileVerdict, RegistrationPath, acceptance, access_pass_scope,
    applicable_profiles, eligibility,
};
use crate::policy::{
    ALL_USERS, AttestationEnforcement, EnforcementType, ExcludeTarget, PasskeyProfile, PasskeyType, PasskeyTypes,
    Policy, State, TargetType,
};
use crate::registration::{
    Answer, AttestationFormat, AttestationLevel, Evidence, Facts, Recency, Status as AttemptStatus,
};
use crate::session::Method;
use crate::verification::{Held, usable_strong_methods};

pub use knowledge::{FailureMode, Observation};

// ---------------------------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------------------------

/// The user and their place in the directory.
#[derive(Clone, Copy, Debug)]
pub struct Directory<'a> {
    pub user: &'a User,
    pub memberships: &'a BTreeSet<GroupId>,
    /// Display names of the user's groups and of every group the policies name (missing ones show as ids).
    pub group_names: &'a BTreeMap<GroupId, String>,
}

impl Directory<'_> {
    fn member(&self) -> Member<'_> {
        Member {
            user: self.user,
            groups: self.memberships,
        }
    }
}

/// A version of the policy, with the registration window that goes with it (the policy's, else the deployment's).
#[derive(Clone, Copy, Debug)]
pub struct PolicyInForce<'a> {
    pub version: i64,
    pub policy: &'a Policy,
    pub window: Duration,
}

/// The user's sign-in methods, for question 2 "now": could they prove who they are?
#[derive(Clone, Copy, Debug, Default)]
pub struct Methods<'a> {
    /// A TOTP code is a second factor: it counts only after a password.
    pub has_password: bool,
    pub totp: bool,
    pub passkeys: &'a [Passkey],
    pub access_pass: Option<&'a AccessPass>,
}

/// A recorded registration attempt, as the diagnosis reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    pub id: AttemptId,
    pub started_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
    pub status: AttemptStatus,
    pub outcome: Option<Code>,
    pub policy_version: i64,
    pub on_behalf: bool,
    pub evidence: Evidence,
    pub facts: Option<Facts>,
    pub client_report: Option<ClientReport>,
    /// The user agent of the request that began the attempt.
    pub user_agent: Option<String>,
}

impl AttemptRecord {
    fn path(&self) -> RegistrationPath {
        if self.on_behalf {
            RegistrationPath::OnBehalf
        } else {
            RegistrationPath::SelfService
        }
    }

    fn client(&self) -> Option<&ClientReport> {
        self.evidence
            .platform
            .as_ref()
            .and_then(|a| a.evidence.client.as_ref())
            .or(self.client_report.as_ref())
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------------------------

/// What fixes a failure, in the playbook's terms.
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

    /// The action in the playbook's words, for a person.
    pub fn label(self) -> &'static str {
        match self {
            Action::UpdateTargeting => "Update policy targeting",
            Action::EnablePasskeyMethod => "Enable the passkey method",
            Action::EnableAccount => "Enable the account",
            Action::UseMemberAccount => "Use a member account",
            Action::AllowSelfService => "Turn on self-service set up",
            Action::RegisterOnBehalf => "Register on the user's behalf",
            Action::VerifyAgain => "Verify again",
            Action::IssueAccessPass => "Issue a Temporary Access Pass",
            Action::Retry => "Retry",
            Action::SwitchPlatformPath => "Switch platform path",
            Action::PreparePlatform => "Prepare the platform",
            Action::UseConfiguredOrigin => "Use the configured site address",
            Action::UseExistingPasskey => "Use the existing passkey",
            Action::AddAaguid => "Add the AAGUID to the allow list",
            Action::UnblockAaguid => "Remove the AAGUID from the block list",
            Action::SteerToAllowedAuthenticator => "Steer the user to an allowed authenticator",
            Action::RelaxAttestation => "Relax the attestation requirement",
            Action::AllowPasskeyType => "Allow the passkey type",
            Action::ReplaceAuthenticator => "Replace the authenticator",
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
    fn new(action: Action, text: impl Into<String>) -> Fix {
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
    fn of(aaguid: Aaguid, catalog: &Catalog) -> AuthenticatorName {
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
    fn new(question: Question, status: Status, code: Option<Code>, finding: String, evidence: StepEvidence) -> Step {
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

    fn not_reached(question: Question) -> Step {
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

pub use crate::directory::UserRef;

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

fn profile_ref(policy: &Policy, id: &str) -> ProfileRef {
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

fn include_view(directory: &Directory<'_>, policy: &Policy, id: &str, profiles: &[String]) -> TargetView {
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

fn exclude_view(directory: &Directory<'_>, target: &ExcludeTarget) -> TargetView {
    TargetView {
        id: target.id.clone(),
        target_type: target.target_type,
        name: target_name(directory, &target.id, target.target_type),
        profiles: vec![],
    }
}

fn names(targets: &[TargetView]) -> String {
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

// ---------------------------------------------------------------------------------------------------------------
// Question 1
// ---------------------------------------------------------------------------------------------------------------

fn eligibility_view(
    directory: &Directory<'_>,
    policy: &Policy,
    evidence: &Eligibility,
    member_of: Option<Vec<GroupRef>>,
) -> EligibilityView {
    let included_by: Vec<TargetView> = evidence
        .included_by
        .iter()
        .map(|m| include_view(directory, policy, &m.target_id, &m.allowed_passkey_profiles))
        .collect();
    let other_include_targets = policy
        .fido2
        .include_targets
        .iter()
        .filter(|t| !evidence.included_by.iter().any(|m| m.target_id == t.id))
        .map(|t| include_view(directory, policy, &t.id, &t.allowed_passkey_profiles))
        .collect();
    EligibilityView {
        method_state: evidence.method_state,
        account_enabled: evidence.account_enabled,
        user_type: evidence.user_type,
        member_of,
        included_by,
        excluded_by: evidence
            .excluded_by
            .iter()
            .map(|t| exclude_view(directory, t))
            .collect(),
        other_include_targets,
        self_service_registration_allowed: evidence.self_service_registration_allowed,
        path: evidence.path,
    }
}

fn eligibility_fixes(code: Code, upn: &str, view: &EligibilityView) -> Vec<Fix> {
    match code {
        Code::UserExcluded => vec![Fix::new(
            Action::UpdateTargeting,
            format!(
                "Update policy targeting: remove {upn} from {} (excluded), or remove it from excludeTargets; \
                 exclusion wins over every include target.",
                names(&view.excluded_by)
            ),
        )],
        Code::UserNotInPolicyScope if view.other_include_targets.is_empty() => vec![Fix::new(
            Action::UpdateTargeting,
            format!(
                "Update policy targeting: add an include target that covers {upn} (a group of theirs, or all_users)."
            ),
        )],
        Code::UserNotInPolicyScope => vec![Fix::new(
            Action::UpdateTargeting,
            format!(
                "Update policy targeting: add {upn} to an included group ({}), or include one of their groups or all_users.",
                names(&view.other_include_targets)
            ),
        )],
        Code::SelfServiceRegistrationDisabled => vec![
            Fix::new(
                Action::AllowSelfService,
                "Turn on self-service set up (isSelfServiceRegistrationAllowed = true) in the passkey policy.",
            ),
            Fix::new(
                Action::RegisterOnBehalf,
                format!(
                    "Or have an Authentication Administrator register the passkey on the user's behalf \
                     (POST /v1/users/{upn}/authentication/fido2Methods/creationOptions)."
                ),
            ),
        ],
        Code::PasskeyMethodDisabled => vec![Fix::new(Action::EnablePasskeyMethod, code.fix())],
        Code::AccountDisabled => vec![Fix::new(Action::EnableAccount, code.fix())],
        Code::GuestUserNotSupported => vec![Fix::new(Action::UseMemberAccount, code.fix())],
        other => vec![Fix::new(Action::UpdateTargeting, other.fix())],
    }
}

fn eligibility_step(
    directory: &Directory<'_>,
    policy: &Policy,
    answer: &Answer<Eligibility>,
    member_of: Option<Vec<GroupRef>>,
) -> Step {
    let view = eligibility_view(directory, policy, &answer.evidence, member_of);
    let upn = &directory.user.user_principal_name;
    let (status, finding, fixes) = match answer.code() {
        None => {
            let how = match view.path {
                RegistrationPath::SelfService => "self-service set up is on",
                RegistrationPath::OnBehalf => "an administrator registers on the user's behalf",
            };
            (
                Status::Passed,
                format!(
                    "{upn} is covered by {}, is not excluded, and {how}.",
                    names(&view.included_by)
                ),
                vec![],
            )
        }
        Some(code) => (
            Status::Failed,
            code.summary().to_string(),
            eligibility_fixes(code, upn, &view),
        ),
    };
    let mut step = Step::new(
        Question::Eligible,
        status,
        answer.code(),
        finding,
        StepEvidence::Eligibility(view),
    );
    step.fixes = fixes;
    step
}

fn member_of(directory: &Directory<'_>) -> Vec<GroupRef> {
    directory
        .memberships
        .iter()
        .map(|g| GroupRef {
            id: *g,
            name: directory.group_names.get(g).cloned().unwrap_or_else(|| g.to_string()),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Question 2
// ---------------------------------------------------------------------------------------------------------------

fn access_pass_fix(upn: &str, pass: Option<&AccessPassView>) -> Fix {
    let mut text = String::new();
    if let Some(pass) = pass {
        if pass.method_state == State::Disabled {
            text.push_str("Enable the Temporary Access Pass method in the policy, then issue");
        } else if !pass.in_policy_scope {
            text.push_str("Add the user to the Temporary Access Pass method's include targets, then issue");
        } else {
            text.push_str("Issue");
        }
    } else {
        text.push_str("Issue");
    }
    text.push_str(&format!(
        " a Temporary Access Pass (one-time, 1 to 4 hours) and have the user sign in with it: \
         keywarden tap issue {upn} --once"
    ));
    Fix::new(Action::IssueAccessPass, text)
}

/// Methods in Graph's spellings, joined.
pub fn method_list(methods: &BTreeSet<Method>, separator: &str) -> String {
    methods.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(separator)
}

fn verification_fixes(code: Code, upn: &str, view: &VerificationView) -> Vec<Fix> {
    match code {
        Code::ReauthenticationRequired => {
            let with = if view.usable_methods.is_empty() {
                "a second factor, an existing passkey or a Temporary Access Pass".to_string()
            } else {
                method_list(&view.usable_methods, " or ")
            };
            vec![Fix::new(
                Action::VerifyAgain,
                format!(
                    "Sign in again with {with}, then register within {} minutes.",
                    view.window_minutes
                ),
            )]
        }
        _ => vec![access_pass_fix(upn, view.access_pass.as_ref())],
    }
}

fn recorded_verification_step(upn: &str, answer: &Answer<Recency>) -> Step {
    let e = &answer.evidence;
    let view = VerificationView {
        window_minutes: e.window_minutes,
        verified_party: Some(e.verified_party.clone()),
        last_strong_authentication: e.last_strong_authentication,
        last_strong_method: e.last_strong_method,
        verified_until: e.verified_until,
        via_one_time_access_pass: e.via_one_time_access_pass,
        usable_methods: e.usable_methods.clone(),
        authenticator_app: None,
        passkeys: None,
        access_pass: None,
    };
    let (status, finding, fixes) = match answer.code() {
        None if e.application => (
            Status::Passed,
            format!(
                "{} is an application, trusted by its role rather than by freshness.",
                e.verified_party
            ),
            vec![],
        ),
        None => (
            Status::Passed,
            format!(
                "{} verified with {} at {}, within the {}-minute window.",
                e.verified_party,
                e.last_strong_method.map_or("a strong method", Method::as_str),
                e.last_strong_authentication.map(rfc3339).unwrap_or_default(),
                e.window_minutes
            ),
            vec![],
        ),
        Some(code) => (
            Status::Failed,
            code.summary().to_string(),
            verification_fixes(code, upn, &view),
        ),
    };
    let mut step = Step::new(
        Question::RecentlyVerified,
        status,
        answer.code(),
        finding,
        StepEvidence::Verification(view),
    );
    step.fixes = fixes;
    step
}

fn verification_now(
    directory: &Directory<'_>,
    policy: &PolicyInForce<'_>,
    methods: &Methods<'_>,
    attempts: &[AttemptRecord],
    catalog: &Catalog,
    now: OffsetDateTime,
) -> Step {
    let member = directory.member();
    let tap = &policy.policy.temporary_access_pass;
    let passkeys: Vec<_> = methods.passkeys.iter().map(|p| (p.aa_guid, p.passkey_type)).collect();
    let held = Held {
        has_password: methods.has_password,
        has_totp: methods.totp,
        passkeys: &passkeys,
        access_pass: methods.access_pass,
    };
    // The same rule registration's question 2 asks.
    let decided = usable_strong_methods(policy.policy, member, held, catalog, now);
    let usable = decided.methods;
    let usable_passkeys = decided.usable_passkeys;
    let access_pass = methods
        .access_pass
        .zip(decided.access_pass)
        .map(|(pass, state)| AccessPassView {
            is_usable: state.usable,
            method_usability_reason: state.reason,
            is_usable_once: pass.is_usable_once,
            start_date_time: pass.start_date_time,
            expires_date_time: pass.expires_at(),
            in_policy_scope: state.in_scope,
            method_state: tap.state,
        });
    let last = attempts
        .iter()
        .filter_map(|a| a.evidence.recently_verified.as_ref())
        .find(|r| r.evidence.last_strong_authentication.is_some());
    let view = VerificationView {
        window_minutes: policy.window.whole_minutes(),
        verified_party: None,
        last_strong_authentication: last.and_then(|r| r.evidence.last_strong_authentication),
        last_strong_method: last.and_then(|r| r.evidence.last_strong_method),
        verified_until: None,
        via_one_time_access_pass: false,
        usable_methods: usable.clone(),
        authenticator_app: Some(methods.totp),
        passkeys: Some((methods.passkeys.len(), usable_passkeys)),
        access_pass: access_pass.clone(),
    };
    let upn = &directory.user.user_principal_name;
    let once = crate::access_pass::ONE_TIME_REGISTRATION_WINDOW.whole_minutes();
    if usable.is_empty() {
        let pass = match &access_pass {
            Some(p) => format!(
                "its Temporary Access Pass is not usable ({})",
                p.method_usability_reason.as_str()
            ),
            None => "no Temporary Access Pass".to_string(),
        };
        let finding = format!(
            "{upn} has no usable strong authentication method: {}, {} usable passkey, {pass}.",
            if methods.totp && methods.has_password {
                "an authenticator app"
            } else {
                "no authenticator app"
            },
            if usable_passkeys == 0 { "no" } else { "a" },
        );
        let mut step = Step::new(
            Question::RecentlyVerified,
            Status::Failed,
            Some(Code::NoUsableMfaMethod),
            finding,
            StepEvidence::Verification(view.clone()),
        );
        step.fixes = vec![access_pass_fix(upn, view.access_pass.as_ref())];
        return step;
    }
    let window = view.window_minutes;
    let finding = if window > once {
        format!(
            "{upn} can verify with {}, then has {window} minutes to register ({once} after a one-time pass).",
            method_list(&usable, " or ")
        )
    } else {
        format!(
            "{upn} can verify with {}, then has {window} minutes to register.",
            method_list(&usable, " or ")
        )
    };
    Step::new(
        Question::RecentlyVerified,
        Status::Passed,
        None,
        finding,
        StepEvidence::Verification(view),
    )
}

// ---------------------------------------------------------------------------------------------------------------
// Question 3
// ---------------------------------------------------------------------------------------------------------------

fn platform_fixes(code: Code) -> Vec<Fix> {
    match code {
        Code::CeremonyNotAllowed | Code::AuthenticatorError => vec![
            Fix::new(
                Action::Retry,
                "Retry and complete the prompt (PIN, fingerprint or face, or touch the key).",
            ),
            Fix::new(
                Action::SwitchPlatformPath,
                "If no prompt appears, switch platform path: a security key, a phone, or this device.",
            ),
        ],
        Code::CeremonyAborted => vec![Fix::new(Action::Retry, code.fix())],
        Code::BrowserSecurityError => vec![Fix::new(Action::UseConfiguredOrigin, code.fix())],
        Code::UserVerificationNotPerformed => vec![Fix::new(Action::PreparePlatform, code.fix())],
        Code::CredentialAlreadyRegistered => vec![Fix::new(Action::UseExistingPasskey, code.fix())],
        _ => vec![Fix::new(Action::SwitchPlatformPath, code.fix())],
    }
}

fn platform_view(attempt: &AttemptRecord, answer: Option<&Answer<Platform>>) -> PlatformView {
    let client = attempt.client();
    let user_agent = client
        .and_then(|c| c.user_agent.clone())
        .or_else(|| attempt.user_agent.clone());
    let evidence = answer.map(|a| &a.evidence);
    let facts = attempt.facts.as_ref();
    PlatformView {
        attempt_id: Some(attempt.id),
        at: Some(attempt.finished_at.unwrap_or(attempt.started_at)),
        client_platform: user_agent.as_deref().and_then(client_platform),
        user_agent,
        path: client.and_then(|c| c.path),
        error: client.map(|c| {
            if c.message.is_empty() {
                c.name.clone()
            } else {
                format!("{}: {}", c.name, c.message)
            }
        }),
        client_capabilities: client.map(|c| c.client_capabilities.clone()).unwrap_or_default(),
        platform_authenticator_available: client.and_then(|c| c.user_verifying_platform_authenticator_available),
        attestation_format: evidence.and_then(|e| e.format).or(facts.map(|f| f.format)),
        user_verified: evidence
            .and_then(|e| e.user_verified)
            .or(facts.map(|f| f.flags.user_verified)),
        hardware_backed: evidence
            .and_then(|e| e.hardware_backed)
            .or(facts.and_then(|f| f.hardware_backed)),
        notes: evidence.map(|e| e.notes.clone()).unwrap_or_default(),
    }
}

fn observation<'a>(attempt: &'a AttemptRecord, code: Code) -> Observation<'a> {
    let client = attempt.client();
    Observation {
        code: Some(code),
        client,
        user_agent: client
            .and_then(|c| c.user_agent.as_deref())
            .or(attempt.user_agent.as_deref()),
        facts: attempt.facts.as_ref(),
    }
}

fn matched_modes(attempt: &AttemptRecord, code: Code) -> Vec<MatchedMode> {
    knowledge::matching(&observation(attempt, code))
        .into_iter()
        .map(MatchedMode::from)
        .collect()
}

fn recorded_platform_step(attempt: &AttemptRecord, answer: &Answer<Platform>) -> Step {
    let view = platform_view(attempt, Some(answer));
    let (status, finding) = match answer.code() {
        None => (
            Status::Passed,
            format!(
                "The ceremony completed: {}, user verified: {}.",
                attestation_phrase(view.attestation_format),
                view.user_verified.map_or("unknown", |v| if v { "yes" } else { "no" }),
            ),
        ),
        Some(code) => (Status::Failed, code.summary().to_string()),
    };
    let mut step = Step::new(
        Question::PlatformCanHost,
        status,
        answer.code(),
        finding,
        StepEvidence::Platform(view),
    );
    if let Some(code) = answer.code() {
        step.failure_modes = matched_modes(attempt, code);
        step.fixes = platform_fixes(code);
    }
    step
}

// ---------------------------------------------------------------------------------------------------------------
// Question 4
// ---------------------------------------------------------------------------------------------------------------

fn authenticator_view(facts: &Facts, catalog: &Catalog) -> AuthenticatorView {
    AuthenticatorView {
        aaguid: facts.aaguid,
        name: facts
            .model
            .clone()
            .or_else(|| catalog.name(&facts.aaguid).map(str::to_string)),
        passkey_type: facts.passkey_type(),
        attestation_format: facts.format,
        attestation_level: facts.attestation_level(),
        transports: facts.transports.clone(),
    }
}

fn refusing_profiles(verdicts: &[ProfileVerdict], code: Code) -> String {
    let names: Vec<&str> = verdicts
        .iter()
        .filter(|v| v.denials.iter().any(|d| d.code == code))
        .map(|v| v.profile_name.as_str())
        .collect();
    if names.is_empty() {
        "the profile".into()
    } else {
        names.join(", ")
    }
}

/// Authenticators the applicable profiles name on allow lists, for "steer the user to an allowed authenticator".
fn allowed_authenticators(profiles: &[ProfileView]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    profiles
        .iter()
        .filter(|p| p.key_restrictions.is_enforced && p.key_restrictions.enforcement_type == EnforcementType::Allow)
        .flat_map(|p| p.key_restrictions.aa_guids.iter())
        .filter(|a| seen.insert(a.aaguid))
        .map(AuthenticatorName::label)
        .collect()
}

fn acceptance_fixes(code: Code, view: &AcceptanceView, profiles: &[ProfileView]) -> Vec<Fix> {
    let authenticator = view.authenticator.as_ref().map_or_else(
        || "the authenticator".to_string(),
        |a| {
            AuthenticatorName {
                aaguid: a.aaguid,
                name: a.name.clone(),
            }
            .label()
        },
    );
    let refusing = refusing_profiles(&view.verdicts, code);
    let allowed = allowed_authenticators(profiles);
    let steer = if allowed.is_empty() {
        "Or steer the user to an allowed authenticator (see the profiles that apply).".to_string()
    } else {
        format!("Or steer the user to an allowed authenticator: {}.", allowed.join(", "))
    };
    match code {
        Code::AaguidNotAllowed => vec![
            Fix::new(
                Action::AddAaguid,
                format!("Add {authenticator} to the allow list of {refusing}."),
            ),
            Fix::new(Action::SteerToAllowedAuthenticator, steer),
        ],
        Code::AaguidBlocked => vec![
            Fix::new(
                Action::SteerToAllowedAuthenticator,
                format!("Steer the user to another authenticator: {authenticator} is blocked by {refusing}."),
            ),
            Fix::new(
                Action::UnblockAaguid,
                format!("Or remove {authenticator} from the block list of {refusing}."),
            ),
        ],
        Code::PasskeyTypeNotAllowed => {
            let wanted = view.authenticator.as_ref().map_or("this", |a| a.passkey_type.label());
            let other = match view.authenticator.as_ref().map(|a| a.passkey_type) {
                Some(PasskeyType::Synced) => {
                    "a device-bound passkey (a security key, Windows Hello, or Microsoft Authenticator)"
                }
                _ => "a synced passkey",
            };
            vec![
                Fix::new(
                    Action::SteerToAllowedAuthenticator,
                    format!("Steer the user to {other}, which {refusing} allows."),
                ),
                Fix::new(
                    Action::AllowPasskeyType,
                    format!("Or allow {wanted} passkeys in {refusing}."),
                ),
            ]
        }
        Code::AttestationRequired => vec![
            Fix::new(
                Action::SteerToAllowedAuthenticator,
                "Steer the user to an authenticator that signs attestation (most FIDO2 security keys).",
            ),
            Fix::new(
                Action::RelaxAttestation,
                format!("Or relax the attestation requirement (attestationEnforcement = disabled) in {refusing}."),
            ),
        ],
        Code::AttestationUntrusted => vec![
            Fix::new(
                Action::SteerToAllowedAuthenticator,
                "Steer the user to an authenticator certified in the FIDO metadata (refresh the metadata if the model is new).",
            ),
            Fix::new(
                Action::RelaxAttestation,
                format!("Or relax the attestation requirement in {refusing}."),
            ),
        ],
        Code::AuthenticatorStatusRevoked => vec![Fix::new(Action::ReplaceAuthenticator, code.fix())],
        Code::CredentialAlreadyRegistered => vec![Fix::new(Action::UseExistingPasskey, code.fix())],
        Code::UserNotInPolicyScope => vec![Fix::new(Action::UpdateTargeting, code.fix())],
        other => vec![Fix::new(Action::SteerToAllowedAuthenticator, other.fix())],
    }
}

fn acceptance_step(
    attempt: Option<&AttemptRecord>,
    answer: &Answer<Acceptance>,
    facts: Option<&Facts>,
    profiles: &[ProfileView],
    catalog: &Catalog,
) -> Step {
    let view = AcceptanceView {
        authenticator: facts.map(|f| authenticator_view(f, catalog)),
        verdicts: answer.evidence.verdicts.clone(),
        admitted_by: answer.evidence.admitted_by.clone(),
        notes: answer.evidence.notes.clone(),
    };
    let who = view.authenticator.as_ref().map_or_else(
        || answer.evidence.aaguid.to_string(),
        |a| {
            AuthenticatorName {
                aaguid: a.aaguid,
                name: a.name.clone(),
            }
            .label()
        },
    );
    let (status, finding) = match answer.code() {
        None => {
            let by = view
                .verdicts
                .iter()
                .find(|v| v.accepted)
                .map_or_else(|| "a profile".to_string(), |v| v.profile_name.clone());
            (Status::Passed, format!("{who} is accepted by {by}."))
        }
        Some(code) => {
            let reasons: Vec<String> = view
                .verdicts
                .iter()
                .flat_map(|v| v.denials.iter().map(|d| d.detail.clone()))
                .collect();
            let finding = if reasons.is_empty() {
                code.summary().to_string()
            } else {
                format!("{who} is refused: {}.", reasons.join("; "))
            };
            (Status::Failed, finding)
        }
    };
    let mut step = Step::new(
        Question::AuthenticatorAccepted,
        status,
        answer.code(),
        finding,
        StepEvidence::Acceptance(view.clone()),
    );
    if let Some(code) = answer.code() {
        step.fixes = acceptance_fixes(code, &view, profiles);
        if let Some(attempt) = attempt {
            step.failure_modes = matched_modes(attempt, code);
        }
    }
    step
}

// ---------------------------------------------------------------------------------------------------------------
// The walk
// ---------------------------------------------------------------------------------------------------------------

/// Marks every step after the first failure as not reached.
fn walk(steps: Vec<Step>) -> (Vec<Step>, Option<Failure>) {
    let mut failure = None;
    let steps = steps
        .into_iter()
        .map(|step| {
            if failure.is_some() {
                return Step::not_reached(step.question);
            }
            if step.status == Status::Failed
                && let Some(code) = step.code
            {
                failure = Some(Failure {
                    question: step.question,
                    code,
                });
            }
            step
        })
        .collect();
    (steps, failure)
}

fn profiles_for(policy: &Policy, member: Member<'_>, catalog: &Catalog) -> Vec<ProfileView> {
    applicable_profiles(&policy.fido2, member)
        .into_iter()
        .map(|p| profile_view(p, catalog))
        .collect()
}

/// `packed attestation`, or `no attestation` for `none` and a missing format.
fn attestation_phrase(format: Option<AttestationFormat>) -> String {
    match format {
        None | Some(AttestationFormat::None) => "no attestation".into(),
        Some(format) => format!("{} attestation", format.as_str()),
    }
}

use crate::instant::rfc3339;

/// Can this user register a passkey now, and with what? Question 1 from today's policy and groups, question 2
/// from the methods the user could verify with, question 3 from the last attempt that reached the platform (and
/// the knowledge base), question 4 from the last authenticator the user tried, against today's profiles.
/// `attempts` are the user's attempts, newest first.
pub fn diagnose_now(
    directory: &Directory<'_>,
    policy: &PolicyInForce<'_>,
    methods: &Methods<'_>,
    attempts: &[AttemptRecord],
    catalog: &Catalog,
    now: OffsetDateTime,
) -> Diagnosis {
    let member = directory.member();
    let upn = &directory.user.user_principal_name;
    let q1 = eligibility(&policy.policy.fido2, member, RegistrationPath::SelfService);
    let eligible = eligibility_step(directory, policy.policy, &q1, Some(member_of(directory)));
    let verified = verification_now(directory, policy, methods, attempts, catalog, now);

    let last_platform = attempts.iter().find(|a| a.evidence.platform.is_some());
    let platform = match last_platform {
        Some(attempt) => {
            let mut step = recorded_platform_step(attempt, attempt.evidence.platform.as_ref().expect("filtered on it"));
            step.finding = format!(
                "From the last ceremony (attempt {} at {}): {}",
                attempt.id,
                rfc3339(attempt.started_at),
                step.finding
            );
            step
        }
        None => Step::new(
            Question::PlatformCanHost,
            Status::Unknown,
            None,
            "No ceremony has been recorded yet: the platform's answer comes with the user's first attempt.".into(),
            StepEvidence::None,
        ),
    };

    let profiles = profiles_for(policy.policy, member, catalog);
    let applicable = applicable_profiles(&policy.policy.fido2, member);
    let accepted = match attempts.iter().find(|a| a.facts.is_some()) {
        Some(attempt) => {
            let facts = attempt.facts.as_ref().expect("filtered on it");
            let answer = acceptance(&applicable, facts, catalog.entry(&facts.aaguid));
            let mut step = acceptance_step(Some(attempt), &answer, Some(facts), &profiles, catalog);
            step.finding = format!(
                "The authenticator last tried (attempt {}): {}",
                attempt.id, step.finding
            );
            step
        }
        None => Step::new(
            Question::AuthenticatorAccepted,
            Status::Unknown,
            None,
            "Depends on the authenticator the user chooses: see what the profiles that apply accept.".into(),
            StepEvidence::None,
        ),
    };

    let (questions, first_failure) = walk(vec![eligible, verified, platform, accepted]);
    let summary = match first_failure {
        Some(f) => format!(
            "{upn} cannot register a passkey now: question {} fails ({}).",
            f.question.number(),
            f.code
        ),
        None => {
            let with: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
            format!(
                "{upn} can register a passkey now, with an authenticator that {} accepts.",
                if with.is_empty() {
                    "a profile".to_string()
                } else {
                    with.join(" or ")
                }
            )
        }
    };
    Diagnosis {
        user: directory.user.into(),
        subject: Subject::Now { at: now },
        policy_version: policy.version,
        summary,
        first_failure,
        questions,
        profiles: if q1.passed() { profiles } else { vec![] },
        today: None,
        notes: vec![],
    }
}

/// Why did this attempt end as it did? The four questions read from its recorded evidence, against the policy
/// version in force at the time (`then`), and questions 1 and 4 again under `today`.
pub fn diagnose_attempt(
    directory: &Directory<'_>,
    attempt: &AttemptRecord,
    then: &PolicyInForce<'_>,
    today: &PolicyInForce<'_>,
    catalog: &Catalog,
) -> Diagnosis {
    let upn = &directory.user.user_principal_name;
    let mut notes = Vec::new();
    if then.version != attempt.policy_version {
        notes.push(format!(
            "policy version {} is no longer stored; the profiles shown are those of version {}",
            attempt.policy_version, then.version
        ));
    }
    // The profiles of the time: those the recorded eligibility named.
    let profile_ids: Vec<String> = attempt
        .evidence
        .eligible
        .as_ref()
        .map(|a| a.evidence.profiles.clone())
        .unwrap_or_default();
    let profiles: Vec<ProfileView> = profile_ids
        .iter()
        .filter_map(|id| then.policy.fido2.profile(id))
        .map(|p| profile_view(p, catalog))
        .collect();
    let pending =
        |question: Question, why: &str| Step::new(question, Status::Unknown, None, why.to_string(), StepEvidence::None);
    let open = attempt.status == AttemptStatus::Open;
    let eligible = match &attempt.evidence.eligible {
        Some(answer) => eligibility_step(directory, then.policy, answer, None),
        None => pending(Question::Eligible, "not recorded"),
    };
    let verified = match &attempt.evidence.recently_verified {
        Some(answer) => recorded_verification_step(upn, answer),
        None => pending(Question::RecentlyVerified, "not recorded"),
    };
    let platform = match &attempt.evidence.platform {
        Some(answer) => recorded_platform_step(attempt, answer),
        None if open => pending(
            Question::PlatformCanHost,
            "The browser never finished or reported the ceremony: it was abandoned, or failed before reaching keywarden.",
        ),
        None => pending(Question::PlatformCanHost, "not recorded"),
    };
    let accepted = match &attempt.evidence.accepted {
        Some(answer) => acceptance_step(Some(attempt), answer, attempt.facts.as_ref(), &profiles, catalog),
        None => pending(Question::AuthenticatorAccepted, "not recorded"),
    };
    let mut steps = vec![eligible, verified, platform, accepted];
    // Refused after every question passed (a duplicate credential found at commit): the outcome names the question.
    if attempt.status == AttemptStatus::Failed
        && attempt.evidence.first_failure().is_none()
        && let Some(code) = attempt.outcome
        && let Some(question) = code.question()
    {
        let step = &mut steps[usize::from(question.number() - 1)];
        step.status = Status::Failed;
        step.code = Some(code);
        step.finding = format!(
            "Every check passed, then the registration was refused when stored: {}",
            code.summary()
        );
        step.fixes = match question {
            Question::PlatformCanHost => platform_fixes(code),
            _ if code == Code::CredentialAlreadyRegistered => vec![Fix::new(Action::UseExistingPasskey, code.fix())],
            _ => vec![Fix::new(Action::SteerToAllowedAuthenticator, code.fix())],
        };
    }
    let (questions, first_failure) = walk(steps);
    let when = rfc3339(attempt.started_at);
    let summary = match (attempt.status, first_failure, attempt.outcome) {
        (AttemptStatus::Succeeded, _, _) => format!(
            "Attempt {} at {when} succeeded: the passkey was admitted by {}.",
            attempt.id,
            attempt
                .evidence
                .accepted
                .as_ref()
                .and_then(|a| a.evidence.admitted_by.clone())
                .map(|id| profile_ref(then.policy, &id).name)
                .unwrap_or_else(|| "a profile".into())
        ),
        (AttemptStatus::Open, _, _) => format!(
            "Attempt {} at {when} is still open: the browser never finished or reported the ceremony.",
            attempt.id
        ),
        (AttemptStatus::Failed, Some(f), _) => format!(
            "Attempt {} at {when} failed at question {} ({}).",
            attempt.id,
            f.question.number(),
            f.code
        ),
        (AttemptStatus::Failed, None, Some(code)) => {
            format!("Attempt {} at {when} failed: {code} ({}).", attempt.id, code.summary())
        }
        (AttemptStatus::Failed, None, None) => format!("Attempt {} at {when} failed.", attempt.id),
    };
    let today = reevaluate(directory, attempt, first_failure, today, catalog);
    Diagnosis {
        user: directory.user.into(),
        subject: Subject::Attempt {
            id: attempt.id,
            started_at: attempt.started_at,
            finished_at: attempt.finished_at,
            status: attempt.status,
            outcome: attempt.outcome,
            on_behalf: attempt.on_behalf,
        },
        policy_version: then.version,
        summary,
        first_failure,
        questions,
        profiles,
        today: Some(today),
        notes,
    }
}

/// Questions 1 and 4 of a recorded attempt under today's policy and today's group memberships.
fn reevaluate(
    directory: &Directory<'_>,
    attempt: &AttemptRecord,
    recorded: Option<Failure>,
    today: &PolicyInForce<'_>,
    catalog: &Catalog,
) -> Today {
    let member = directory.member();
    let q1 = eligibility(&today.policy.fido2, member, attempt.path());
    let eligible = eligibility_step(directory, today.policy, &q1, Some(member_of(directory)));
    let profiles = profiles_for(today.policy, member, catalog);
    let accepted = match (&attempt.facts, q1.passed()) {
        (Some(facts), true) => {
            let applicable = applicable_profiles(&today.policy.fido2, member);
            let answer = acceptance(&applicable, facts, catalog.entry(&facts.aaguid));
            Some(acceptance_step(Some(attempt), &answer, Some(facts), &profiles, catalog))
        }
        _ => None,
    };
    let first_failure = [Some(&eligible), accepted.as_ref()]
        .into_iter()
        .flatten()
        .find(|s| s.status == Status::Failed)
        .and_then(|s| {
            s.code.map(|code| Failure {
                question: s.question,
                code,
            })
        });
    // Compare like with like: the recorded answers to questions 1 and 4.
    let recorded = recorded.filter(|f| matches!(f.question, Question::Eligible | Question::AuthenticatorAccepted));
    let comparable = accepted.is_some() || recorded.is_none_or(|f| f.question == Question::Eligible);
    let changed = comparable && recorded != first_failure;
    let checked = if accepted.is_some() {
        "questions 1 and 4"
    } else {
        "question 1"
    };
    let summary = match (changed, first_failure) {
        (false, _) => format!(
            "Under today's policy (version {}) {checked} give the same answer.",
            today.version
        )
        .replace("question 1 give", "question 1 gives"),
        (true, None) => format!("Under today's policy (version {}) {checked} would pass.", today.version),
        (true, Some(f)) => format!(
            "Under today's policy (version {}) it would fail at question {} ({}) instead.",
            today.version,
            f.question.number(),
            f.code
        ),
    };
    Today {
        policy_version: today.version,
        eligible,
        accepted,
        first_failure,
        changed,
        summary,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Policy explained
// ---------------------------------------------------------------------------------------------------------------

/// Whether the user may sign in with a Temporary Access Pass, and the pass rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessPassScope {
    pub method_state: State,
    pub in_policy_scope: bool,
    pub one_time_only: bool,
    pub default_lifetime_in_minutes: u32,
    pub minimum_lifetime_in_minutes: u32,
    pub maximum_lifetime_in_minutes: u32,
}

/// The effective passkey policy for one user, as data and in plain words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    pub user: UserRef,
    pub policy_version: i64,
    /// Question 1 for self-service registration: `None` when eligible, else the code.
    pub eligibility: Option<Code>,
    pub registration_window_minutes: i64,
    pub eligibility_evidence: EligibilityView,
    /// The profiles that apply (none when excluded or not targeted).
    pub profiles: Vec<ProfileView>,
    pub access_pass: AccessPassScope,
    /// The same in plain words, one sentence each.
    pub statements: Vec<String>,
}

/// Explains the effective policy for a user: targets matched, profiles that apply, what each accepts.
pub fn explain(directory: &Directory<'_>, policy: &PolicyInForce<'_>, catalog: &Catalog) -> Explanation {
    let member = directory.member();
    let fido2 = &policy.policy.fido2;
    let tap = &policy.policy.temporary_access_pass;
    let upn = &directory.user.user_principal_name;
    let q1 = eligibility(fido2, member, RegistrationPath::SelfService);
    let view = eligibility_view(directory, policy.policy, &q1.evidence, Some(member_of(directory)));
    let profiles = profiles_for(policy.policy, member, catalog);
    let access_pass = AccessPassScope {
        method_state: tap.state,
        in_policy_scope: access_pass_scope(tap, member),
        one_time_only: tap.is_usable_once,
        default_lifetime_in_minutes: tap.default_lifetime_in_minutes,
        minimum_lifetime_in_minutes: tap.minimum_lifetime_in_minutes,
        maximum_lifetime_in_minutes: tap.maximum_lifetime_in_minutes,
    };

    let mut statements = Vec::new();
    statements.push(format!(
        "Passkeys (FIDO2) are {} in the authentication methods policy; self-service set up is {}.",
        if fido2.state == State::Enabled {
            "enabled"
        } else {
            "disabled"
        },
        if fido2.is_self_service_registration_allowed {
            "on"
        } else {
            "off"
        }
    ));
    let groups = view.member_of.clone().unwrap_or_default();
    statements.push(if groups.is_empty() {
        format!("{upn} belongs to no group.")
    } else {
        format!(
            "{upn} belongs to {}.",
            groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>().join(", ")
        )
    });
    if !directory.user.account_enabled {
        statements.push(format!("The account of {upn} is disabled."));
    }
    if directory.user.user_type == UserType::Guest {
        statements.push(format!("{upn} is a guest: guests cannot register passkeys."));
    }
    for target in &view.included_by {
        statements.push(format!(
            "Include target {} covers {upn} and allows {}.",
            target.name,
            target
                .profiles
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if view.included_by.is_empty() {
        statements.push(format!(
            "No include target covers {upn}{}.",
            if view.other_include_targets.is_empty() {
                String::new()
            } else {
                format!(" (include targets: {})", names(&view.other_include_targets))
            }
        ));
    }
    if view.excluded_by.is_empty() {
        statements.push("No exclude target covers them.".to_string());
    } else {
        statements.push(format!(
            "Exclude target {} covers {upn}: exclusion wins over every include target, so {upn} can neither register \
             nor sign in with a passkey.",
            names(&view.excluded_by)
        ));
    }
    match profiles.len() {
        0 => statements.push("No passkey profile applies, so no passkey is accepted.".to_string()),
        1 => statements.push("A passkey is accepted when it satisfies this profile in full:".to_string()),
        n => statements.push(format!(
            "A passkey is accepted when it satisfies at least one of these {n} profiles in full:"
        )),
    }
    for profile in &profiles {
        statements.push(format!("{}: {}.", profile.name, profile.accepts.join("; ")));
    }
    statements.push(format!(
        "Registration needs strong authentication in the last {} minutes (10 after a one-time Temporary Access Pass).",
        policy.window.whole_minutes()
    ));
    statements.push(match (access_pass.method_state, access_pass.in_policy_scope) {
        (State::Disabled, _) => "The Temporary Access Pass method is disabled.".to_string(),
        (State::Enabled, false) => format!("The Temporary Access Pass method does not cover {upn}."),
        (State::Enabled, true) => format!(
            "{upn} may sign in with a Temporary Access Pass ({}, {} to {} minutes).",
            if access_pass.one_time_only {
                "one-time only"
            } else {
                "one-time or multi-use"
            },
            access_pass.minimum_lifetime_in_minutes,
            access_pass.maximum_lifetime_in_minutes
        ),
    });
    if let Some(code) = q1.code() {
        statements.push(format!(
            "So {upn} cannot register a passkey: {code} ({})",
            code.summary()
        ));
    }
    Explanation {
        user: directory.user.into(),
        policy_version: policy.version,
        eligibility: q1.code(),
        registration_window_minutes: policy.window.whole_minutes(),
        eligibility_evidence: view,
        profiles,
        access_pass,
        statements,
    }
}
