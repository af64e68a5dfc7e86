//! The fixes' wording: each action's label in the playbook's words, and the text of every fix a failed question
//! offers, naming the user, group, profile or AAGUID concerned. Which question failed is decided elsewhere; this
//! file only says what to do about it.

use std::collections::BTreeSet;

use super::view::{
    AcceptanceView, AccessPassView, Action, AuthenticatorName, AuthenticatorView, EligibilityView, Fix, ProfileView,
    VerificationView, method_list, names,
};
use crate::codes::{Code, Question};
use crate::policy::evaluate::ProfileVerdict;
use crate::policy::{EnforcementType, PasskeyType, State};

impl Action {
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

/// The fixes for a question-1 failure: who to add, include or enable, named.
pub(super) fn eligibility_fixes(code: Code, upn: &str, view: &EligibilityView) -> Vec<Fix> {
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

/// Issue a one-time pass, after enabling the method or adding the user to its targets when `pass` shows that is
/// needed.
pub(super) fn access_pass_fix(upn: &str, pass: Option<&AccessPassView>) -> Fix {
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

/// The fixes for a question-2 failure: verify again with a usable method, or issue a pass.
pub(super) fn verification_fixes(code: Code, upn: &str, view: &VerificationView) -> Vec<Fix> {
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

/// The fixes for a question-3 failure; the knowledge base's failure modes add more specific ones.
pub(super) fn platform_fixes(code: Code) -> Vec<Fix> {
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

/// The fixes for an attempt refused when it was stored, after every question passed (a duplicate credential found
/// at commit): the outcome's code names the question.
pub(super) fn refused_when_stored_fixes(question: Question, code: Code) -> Vec<Fix> {
    match question {
        Question::PlatformCanHost => platform_fixes(code),
        _ if code == Code::CredentialAlreadyRegistered => vec![Fix::new(Action::UseExistingPasskey, code.fix())],
        _ => vec![Fix::new(Action::SteerToAllowedAuthenticator, code.fix())],
    }
}

/// The profiles that refused with `code`, named.
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

/// The fixes for a question-4 failure: change the profiles that refuse, or steer the user to an authenticator
/// they allow.
pub(super) fn acceptance_fixes(code: Code, view: &AcceptanceView, profiles: &[ProfileView]) -> Vec<Fix> {
    let authenticator = view
        .authenticator
        .as_ref()
        .map_or_else(|| "the authenticator".to_string(), AuthenticatorView::label);
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
