//! `explain`: the effective passkey policy for one user (the targets that match, the profiles that apply and what
//! each accepts, the Temporary Access Pass rules), as data and in plain words. It walks no attempt.

use serde::Serialize;

use super::input::{Directory, PolicyInForce};
use super::steps::{eligibility_view, member_of, profiles_for};
use super::view::{EligibilityView, ProfileView, UserRef, names};
use crate::codes::Code;
use crate::directory::UserType;
use crate::metadata::Catalog;
use crate::policy::State;
use crate::policy::evaluate::{RegistrationPath, access_pass_scope, eligibility};

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
