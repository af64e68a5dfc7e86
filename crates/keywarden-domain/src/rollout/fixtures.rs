//! Fixtures of the rollout's tests: rings, a policy, FIDO metadata, and users holding passkeys of several models.
//! Compiled for this crate's tests and, with the `fixtures` feature, for other crates' tests (the chart's, in
//! `keywarden-present`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::new_without_default,
    reason = "test fixtures"
)]

use std::collections::BTreeSet;

use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

use super::status::{AttemptCount, Ring, RolloutStatus, Tally};
use super::{HeldPasskey, Subject};
use crate::directory::{User, UserType};
use crate::ids::{Aaguid, GroupId, MethodId, UserId};
use crate::metadata::{Catalog, Entry};
use crate::policy::{
    AttestationEnforcement, EnforcementType, ExcludeTarget, KeyRestrictions, PasskeyProfile, PasskeyTarget,
    PasskeyType, PasskeyTypes, Policy, State, TargetType,
};

use PasskeyType::{DeviceBound, Synced};

pub const NOW: OffsetDateTime = datetime!(2026-11-25 12:00 UTC);
pub const YUBIKEY: &str = "ee882879-721c-4913-9775-3dfcce97072a";
pub const ICLOUD: &str = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";
pub const TOKEN2: &str = "ab32f0c6-2239-afbb-c470-d2ef4e254db7";
pub const ZERO: &str = "00000000-0000-0000-0000-000000000000";
pub const PILOT: &str = "22222222-0000-4000-8000-000000000001";
pub const CONTRACTORS: &str = "22222222-0000-4000-8000-000000000002";
pub const ADMINS: &str = "22222222-0000-4000-8000-000000000003";

pub fn aaguid(s: &str) -> Aaguid {
    s.parse().expect("test AAGUID")
}

pub fn group(s: &str) -> GroupId {
    s.parse().expect("test group id")
}

pub fn catalog() -> Catalog {
    let mut catalog = Catalog::default();
    catalog.entries.insert(
        aaguid(YUBIKEY),
        Entry {
            aaguid: aaguid(YUBIKEY),
            description: "YubiKey 5 Series".into(),
            status_reports: vec![],
            ..Default::default()
        },
    );
    catalog.fallback_names.insert(aaguid(ICLOUD), "iCloud Keychain".into());
    catalog
}

pub fn profile(id: &str, name: &str, types: PasskeyTypes, allow: Option<&[&str]>) -> PasskeyProfile {
    PasskeyProfile {
        id: id.into(),
        name: name.into(),
        passkey_types: types,
        attestation_enforcement: AttestationEnforcement::Disabled,
        key_restrictions: match allow {
            Some(list) => KeyRestrictions {
                is_enforced: true,
                enforcement_type: EnforcementType::Allow,
                aa_guids: list.iter().map(|a| aaguid(a)).collect(),
                authenticator_groups: vec![],
            },
            None => KeyRestrictions::none(),
        },
        is_sha1_tpm_attestation_allowed: true,
    }
}

pub fn include(id: &str, profiles: &[&str]) -> PasskeyTarget {
    PasskeyTarget {
        id: id.into(),
        target_type: TargetType::Group,
        is_registration_required: false,
        allowed_passkey_profiles: profiles.iter().map(|p| p.to_string()).collect(),
    }
}

/// Pilot: any passkey; Admins: device-bound YubiKeys; Contractors excluded.
pub fn policy() -> Policy {
    let mut policy = Policy::default();
    let fido2 = &mut policy.fido2;
    fido2.state = State::Enabled;
    fido2.passkey_profiles = vec![
        profile("any", "Any passkey", PasskeyTypes::BOTH, None),
        profile("keys", "YubiKeys", PasskeyTypes::DEVICE_BOUND, Some(&[YUBIKEY])),
    ];
    fido2.default_passkey_profile = "any".into();
    fido2.include_targets = vec![include(PILOT, &["any"]), include(ADMINS, &["keys"])];
    fido2.exclude_targets = vec![ExcludeTarget {
        id: CONTRACTORS.into(),
        target_type: TargetType::Group,
    }];
    policy
}

/// A user `name@contoso.com` in `groups`, with a password and passkeys of `(aaguid, type)`.
pub fn subject(name: &str, groups: &[&str], passkeys: &[(&str, PasskeyType)]) -> Subject {
    let n = name
        .bytes()
        .fold(0u128, |n, b| n.wrapping_mul(131).wrapping_add(u128::from(b)));
    let id = UserId(Uuid::from_u128(n));
    Subject {
        user: User {
            id,
            user_principal_name: format!("{name}@contoso.com"),
            display_name: name.to_string(),
            user_type: UserType::Member,
            account_enabled: true,
            roles: vec![],
        },
        groups: groups.iter().map(|g| group(g)).collect::<BTreeSet<_>>(),
        passkeys: passkeys
            .iter()
            .enumerate()
            .map(|(i, (a, t))| HeldPasskey {
                id: MethodId(Uuid::from_u128(n.wrapping_mul(31).wrapping_add(i as u128 + 1))),
                display_name: format!("{name}'s key {}", i + 1),
                aaguid: aaguid(a),
                model: None,
                passkey_type: *t,
            })
            .collect(),
        password: true,
        software_oath: false,
        access_pass: None,
    }
}

pub fn rings() -> Vec<Ring> {
    [("Admins", ADMINS), ("Contractors", CONTRACTORS), ("Pilot", PILOT)]
        .into_iter()
        .map(|(name, id)| Ring {
            id: group(id),
            display_name: name.into(),
        })
        .collect()
}

pub fn status(policy: &Policy, users: &[Subject], attempts: Vec<AttemptCount>) -> RolloutStatus {
    let catalog = catalog();
    let mut tally = Tally::new(&policy.fido2, &catalog, rings());
    users.iter().for_each(|u| tally.user(u));
    tally.attempts(attempts);
    tally.finish()
}

pub fn directory() -> Vec<Subject> {
    vec![
        subject("alice", &[PILOT], &[(YUBIKEY, DeviceBound)]),
        subject("bob", &[PILOT], &[]),
        subject("erin", &[PILOT, CONTRACTORS], &[(ICLOUD, Synced)]),
        subject("carol", &[ADMINS], &[(ICLOUD, Synced)]),
        subject("dan", &[ADMINS], &[(YUBIKEY, DeviceBound), (ICLOUD, Synced)]),
        subject("frank", &[], &[]),
    ]
}
