//! Rules that span fields of a policy: references between targets and profiles, ranges, duplicates, and
//! whether the groups and users a target names exist.

use std::collections::HashSet;

use serde::Serialize;

use super::{ALL_USERS, EnforcementType, ExcludeTarget, Fido2Configuration, Policy, TapConfiguration, TargetType};
use crate::ids::{GroupId, UserId};

/// One thing wrong with a policy document, at a JSON path such as `passkeyProfiles[1].name`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Tells whether a target's group or user exists in the directory.
pub trait TargetCheck {
    fn group_exists(&self, id: &GroupId) -> bool;
    fn user_exists(&self, id: &UserId) -> bool;
}

/// Accepts every group and user: for offline checks where no directory is at hand.
pub struct AnyTarget;

impl TargetCheck for AnyTarget {
    fn group_exists(&self, _: &GroupId) -> bool {
        true
    }
    fn user_exists(&self, _: &UserId) -> bool {
        true
    }
}

pub(super) fn validate(policy: &Policy, targets: &dyn TargetCheck, problems: &mut Vec<Problem>) {
    validate_fido2(&policy.fido2, targets, problems);
    validate_tap(&policy.temporary_access_pass, targets, problems);
}

fn push(problems: &mut Vec<Problem>, path: String, message: String) {
    problems.push(Problem { path, message });
}

fn check_group_target(id: &str, path: String, targets: &dyn TargetCheck, problems: &mut Vec<Problem>) {
    if id == ALL_USERS {
        return;
    }
    match id.parse::<GroupId>() {
        Ok(group) if targets.group_exists(&group) => {}
        Ok(_) => push(problems, path, format!("group {id} does not exist")),
        Err(_) => push(problems, path, format!("{id:?} is neither a group id nor all_users")),
    }
}

fn check_excludes(excludes: &[ExcludeTarget], prefix: &str, targets: &dyn TargetCheck, problems: &mut Vec<Problem>) {
    let mut seen = HashSet::new();
    for (i, target) in excludes.iter().enumerate() {
        let path = format!("{prefix}excludeTargets[{i}].id");
        if !seen.insert(&target.id) {
            push(problems, path.clone(), format!("{} is excluded twice", target.id));
        }
        if target.id == ALL_USERS {
            push(
                problems,
                path,
                "excluding all_users turns the method off; set state to disabled instead".into(),
            );
            continue;
        }
        match target.target_type {
            TargetType::Group => check_group_target(&target.id, path, targets, problems),
            TargetType::User => match target.id.parse::<UserId>() {
                Ok(user) if targets.user_exists(&user) => {}
                Ok(_) => push(problems, path, format!("user {} does not exist", target.id)),
                Err(_) => push(problems, path, format!("{:?} is not a user id", target.id)),
            },
        }
    }
}

fn validate_fido2(fido2: &Fido2Configuration, targets: &dyn TargetCheck, problems: &mut Vec<Problem>) {
    let mut ids = HashSet::new();
    let mut names = HashSet::new();
    for (i, profile) in fido2.passkey_profiles.iter().enumerate() {
        let at = format!("Fido2.passkeyProfiles[{i}]");
        if !ids.insert(profile.id.as_str()) {
            push(
                problems,
                format!("{at}.id"),
                format!("profile id {:?} is used twice", profile.id),
            );
        }
        if !names.insert(profile.name.trim().to_lowercase()) {
            push(
                problems,
                format!("{at}.name"),
                format!("profile name {:?} is used twice", profile.name),
            );
        }
        let restrictions = &profile.key_restrictions;
        if restrictions.is_enforced
            && restrictions.enforcement_type == EnforcementType::Allow
            && restrictions.aa_guids.is_empty()
            && restrictions.authenticator_groups.is_empty()
        {
            push(
                problems,
                format!("{at}.keyRestrictions.aaGuids"),
                "an enforced allow list with no AAGUIDs and no authenticator groups refuses every passkey; list some or set isEnforced to false"
                    .into(),
            );
        }
        let mut seen = HashSet::new();
        for (j, aaguid) in restrictions.aa_guids.iter().enumerate() {
            if !seen.insert(aaguid) {
                push(
                    problems,
                    format!("{at}.keyRestrictions.aaGuids[{j}]"),
                    format!("{aaguid} is listed twice"),
                );
            }
        }
    }
    if fido2.profile(&fido2.default_passkey_profile).is_none() {
        push(
            problems,
            "Fido2.defaultPasskeyProfile".into(),
            format!(
                "{:?} names no profile in passkeyProfiles",
                fido2.default_passkey_profile
            ),
        );
    }
    let mut seen = HashSet::new();
    for (i, target) in fido2.include_targets.iter().enumerate() {
        let at = format!("Fido2.includeTargets[{i}]");
        if !seen.insert(&target.id) {
            push(problems, format!("{at}.id"), format!("{} is included twice", target.id));
        }
        check_group_target(&target.id, format!("{at}.id"), targets, problems);
        for (j, profile) in target.allowed_passkey_profiles.iter().enumerate() {
            if fido2.profile(profile).is_none() {
                push(
                    problems,
                    format!("{at}.allowedPasskeyProfiles[{j}]"),
                    format!("{profile:?} names no profile in passkeyProfiles"),
                );
            }
        }
    }
    check_excludes(&fido2.exclude_targets, "Fido2.", targets, problems);
}

fn validate_tap(tap: &TapConfiguration, targets: &dyn TargetCheck, problems: &mut Vec<Problem>) {
    let prefix = "TemporaryAccessPass.";
    if tap.minimum_lifetime_in_minutes > tap.maximum_lifetime_in_minutes {
        push(
            problems,
            format!("{prefix}minimumLifetimeInMinutes"),
            format!(
                "{} is more than maximumLifetimeInMinutes ({})",
                tap.minimum_lifetime_in_minutes, tap.maximum_lifetime_in_minutes
            ),
        );
    }
    if !(tap.minimum_lifetime_in_minutes..=tap.maximum_lifetime_in_minutes).contains(&tap.default_lifetime_in_minutes) {
        push(
            problems,
            format!("{prefix}defaultLifetimeInMinutes"),
            format!(
                "{} must lie between minimumLifetimeInMinutes ({}) and maximumLifetimeInMinutes ({})",
                tap.default_lifetime_in_minutes, tap.minimum_lifetime_in_minutes, tap.maximum_lifetime_in_minutes
            ),
        );
    }
    let mut seen = HashSet::new();
    for (i, target) in tap.include_targets.iter().enumerate() {
        let path = format!("{prefix}includeTargets[{i}].id");
        if !seen.insert(&target.id) {
            push(problems, path.clone(), format!("{} is included twice", target.id));
        }
        check_group_target(&target.id, path, targets, problems);
    }
    check_excludes(&tap.exclude_targets, prefix, targets, problems);
}
