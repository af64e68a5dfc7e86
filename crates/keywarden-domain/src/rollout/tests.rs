//! Tests of the rollout reports: ring status, the chart, tightening, readiness and what-if, as tables of users
//! under a small policy (Pilot gets any passkey, Admins device-bound YubiKeys only, Contractors are excluded).

use super::fixtures::*;

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::Subject;
use super::readiness::{Readiness, Reason};
use super::status::{AttemptCount, Targeting};
use super::tighten::Observation;
use super::what_if::Comparison;
use crate::access_pass::AccessPass;
use crate::codes::Code;
use crate::directory::UserType;
use crate::ids::{MethodId, UserId};
use crate::policy::{
    AttestationEnforcement, EnforcementType, ExcludeTarget, KeyRestrictions, PasskeyType, PasskeyTypes, Policy, State,
    TargetType,
};
use crate::registration::Status as AttemptStatus;
use crate::strength::{MULTIFACTOR, PHISHING_RESISTANT};

use PasskeyType::{DeviceBound, Synced};

#[test]
fn rings_count_members_targeted_covered_and_refused() {
    let report = status(&policy(), &directory(), vec![]);
    let rows: Vec<(&str, Targeting, u64, u64, u64, u64)> = report
        .rings
        .iter()
        .chain([&report.all_users])
        .map(|r| {
            (
                r.display_name.as_str(),
                r.targeting,
                r.members,
                r.targeted,
                r.covered,
                r.refused,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("Admins", Targeting::Included, 2, 2, 1, 1),
            ("Contractors", Targeting::Excluded, 1, 0, 0, 1),
            ("Pilot", Targeting::Included, 3, 2, 1, 1),
            ("All users", Targeting::ThroughGroups, 6, 4, 2, 2),
        ],
        "covered users are among targeted users, who are among members"
    );
    let pilot = &report.rings[2];
    assert!((pilot.coverage - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(
        pilot.profiles.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        vec!["any"]
    );
    assert!(report.rings[1].profiles.is_empty(), "an excluded ring gets no profile");
}

#[test]
fn a_disabled_method_targets_but_covers_nobody() {
    let mut policy = policy();
    policy.fido2.state = State::Disabled;
    let report = status(&policy, &directory(), vec![]);
    assert_eq!(report.method_state, State::Disabled);
    assert_eq!((report.all_users.targeted, report.all_users.covered), (4, 0));
}

#[test]
fn all_users_targeting_covers_rings_no_target_names() {
    let mut policy = policy();
    policy.fido2.include_targets = vec![include("all_users", &["any"])];
    policy.fido2.exclude_targets.clear();
    let report = status(&policy, &directory(), vec![]);
    assert_eq!(report.rings[0].targeting, Targeting::AllUsers);
    assert_eq!(report.all_users.targeted, 6);
    assert_eq!(report.all_users.targeting, Targeting::Included);
    assert_eq!(
        report.all_users.covered, 4,
        "every passkey is accepted under Any passkey"
    );
}

#[test]
fn attempts_are_counted_per_ring_with_failure_codes_most_frequent_first() {
    let count = |ring: Option<&str>, status, outcome, attempts| AttemptCount {
        ring: ring.map(group),
        status,
        outcome,
        attempts,
    };
    let report = status(
        &policy(),
        &directory(),
        vec![
            count(Some(PILOT), AttemptStatus::Succeeded, None, 4),
            count(Some(PILOT), AttemptStatus::Failed, Some(Code::UserExcluded), 1),
            count(Some(PILOT), AttemptStatus::Failed, Some(Code::AaguidNotAllowed), 3),
            count(Some(PILOT), AttemptStatus::Open, None, 2),
            count(
                Some("22222222-0000-4000-8000-0000000000ff"),
                AttemptStatus::Failed,
                None,
                9,
            ),
            count(None, AttemptStatus::Failed, Some(Code::CeremonyNotAllowed), 5),
        ],
    );
    let pilot = &report.rings[2].attempts;
    assert_eq!((pilot.total, pilot.succeeded, pilot.failed, pilot.open), (10, 4, 4, 2));
    assert_eq!(pilot.codes_text(), "aaguid_not_allowed ×3, user_excluded ×1");
    assert_eq!(
        report.rings[0].attempts.total, 0,
        "a group that is not a ring is ignored"
    );
    assert_eq!(report.all_users.attempts.codes_text(), "ceremony_not_allowed ×5");
}

// ---------------------------------------------------------------------------------------------------------------
// Tighten
// ---------------------------------------------------------------------------------------------------------------

/// The Pilot profile's users hold a YubiKey (twice), iCloud and a passkey with the all-zero AAGUID.
fn pilot_directory() -> Vec<Subject> {
    vec![
        subject("alice", &[PILOT], &[(YUBIKEY, DeviceBound), (YUBIKEY, DeviceBound)]),
        subject("bob", &[PILOT], &[(ICLOUD, Synced)]),
        subject("gina", &[PILOT], &[(ZERO, DeviceBound), (TOKEN2, DeviceBound)]),
        subject("hank", &[PILOT], &[(ZERO, Synced)]),
        subject("carol", &[ADMINS], &[(YUBIKEY, DeviceBound)]),
        subject("erin", &[PILOT, CONTRACTORS], &[(TOKEN2, DeviceBound)]),
        subject("ivy", &[PILOT], &[]),
    ]
}

#[test]
fn tighten_proposes_the_models_the_profiles_users_hold_and_leaves_zero_off() {
    let policy = policy();
    let catalog = catalog();
    let mut observation = Observation::new(&policy, "any passkey", &catalog).expect("found by name");
    pilot_directory().iter().for_each(|u| observation.user(u));
    let tightening = observation.finish();
    let proposal = &tightening.proposal;
    assert_eq!(proposal.profile.id, "any");
    assert_eq!(
        (proposal.users, proposal.users_with_passkeys),
        (5, 4),
        "Carol (another profile) and Erin (excluded) are not the profile's users"
    );
    let observed: Vec<(String, u64, u64, bool)> = proposal
        .observed
        .iter()
        .map(|m| (m.label(), m.passkeys, m.users, m.proposed))
        .collect();
    assert_eq!(
        observed,
        vec![
            (ZERO.to_string(), 2, 2, false),
            (format!("YubiKey 5 Series ({YUBIKEY})"), 2, 1, true),
            (TOKEN2.to_string(), 1, 1, true),
            (format!("iCloud Keychain ({ICLOUD})"), 1, 1, true),
        ]
    );
    assert!(
        proposal.observed[0]
            .note
            .as_deref()
            .is_some_and(|n| n.contains("cannot name it"))
    );
    assert!(
        proposal
            .notes
            .iter()
            .any(|n| n.starts_with("2 passkeys of 2 users carry the all-zero AAGUID")),
        "{:?}",
        proposal.notes
    );
    let tightened = tightening.policy.expect("a policy to save");
    let restrictions = &tightened.fido2.profile("any").expect("profile").key_restrictions;
    assert!(restrictions.is_enforced);
    assert_eq!(restrictions.enforcement_type, EnforcementType::Allow);
    assert_eq!(
        restrictions.aa_guids,
        vec![aaguid(YUBIKEY), aaguid(TOKEN2), aaguid(ICLOUD)]
    );
    assert_eq!(
        proposal
            .changes
            .iter()
            .map(|c| c.display_name.as_str())
            .collect::<Vec<_>>(),
        vec!["Fido2.passkeyProfiles"]
    );
    let accepts = &proposal.proposed.as_ref().expect("proposed view").accepts;
    assert!(
        accepts[2].starts_with("only these authenticators: YubiKey 5 Series"),
        "{accepts:?}"
    );

    // Who would lose a credential: the what-if of the proposal.
    let mut comparison = Comparison::with_defaults(&policy, &tightened, &catalog);
    pilot_directory().iter().for_each(|u| comparison.user(u));
    let what_if = comparison.finish();
    let lost: Vec<(&str, Code)> = what_if
        .credentials_stop_working
        .iter()
        .map(|c| (c.user.user_principal_name.as_str(), c.code))
        .collect();
    assert_eq!(
        lost,
        vec![
            ("gina@contoso.com", Code::CredentialNotAllowedAtSignIn),
            ("hank@contoso.com", Code::CredentialNotAllowedAtSignIn)
        ],
        "only the all-zero passkeys stop working"
    );
    assert_eq!(
        (
            what_if.summary.users_losing_credentials,
            what_if.summary.users_left_without_passkey
        ),
        (2, 1),
        "Gina keeps her Token2"
    );
    assert!(what_if.users_lose_registration.is_empty());
}

#[test]
fn tighten_leaves_off_models_the_profile_refuses_today_and_explains_each_case() {
    let catalog = catalog();
    // (case, profile, users, proposed AAGUIDs, a note that must be there)
    type Case<'a> = (&'a str, &'a str, Vec<Subject>, Option<Vec<&'a str>>, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            "a synced passkey the device-bound profile refuses is not proposed",
            "keys",
            vec![subject("dan", &[ADMINS], &[(YUBIKEY, DeviceBound), (ICLOUD, Synced)])],
            None,
            "YubiKeys already allow-lists exactly these models",
        ),
        (
            "nothing observed: nothing to propose",
            "keys",
            vec![subject("carol", &[ADMINS], &[])],
            None,
            "nothing to propose",
        ),
        (
            "only the all-zero AAGUID: nothing to propose",
            "any",
            vec![subject("hank", &[PILOT], &[(ZERO, Synced)])],
            None,
            "nothing to propose",
        ),
        (
            "attestation off: the list is guidance",
            "any",
            vec![subject("alice", &[PILOT], &[(YUBIKEY, DeviceBound)])],
            Some(vec![YUBIKEY]),
            "does not enforce attestation",
        ),
    ];
    for (case, id, users, expected, note) in cases {
        let policy = policy();
        let mut observation = Observation::new(&policy, id, &catalog).expect("profile");
        users.iter().for_each(|u| observation.user(u));
        let tightening = observation.finish();
        let proposed = tightening.policy.map(|p| {
            p.fido2
                .profile(id)
                .expect("profile")
                .key_restrictions
                .aa_guids
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        });
        let expected = expected.map(|e| e.into_iter().map(String::from).collect::<Vec<_>>());
        assert_eq!(proposed, expected, "{case}");
        assert!(
            tightening.proposal.notes.iter().any(|n| n.contains(note)),
            "{case}: {:?}",
            tightening.proposal.notes
        );
    }
    assert!(
        Observation::new(&policy(), "nope", &catalog).is_none(),
        "an unknown profile"
    );
}

#[test]
fn tightening_a_block_list_says_it_becomes_an_allow_list() {
    let catalog = catalog();
    let mut policy = policy();
    policy.fido2.passkey_profiles[0].key_restrictions = KeyRestrictions {
        is_enforced: true,
        enforcement_type: EnforcementType::Block,
        aa_guids: vec![aaguid(TOKEN2)],
        authenticator_groups: vec![],
    };
    let mut observation = Observation::new(&policy, "any", &catalog).expect("profile");
    pilot_directory().iter().for_each(|u| observation.user(u));
    let tightening = observation.finish();
    let token2 = tightening
        .proposal
        .observed
        .iter()
        .find(|m| m.aaguid == aaguid(TOKEN2))
        .expect("observed");
    assert!(!token2.proposed, "a blocked model is not proposed");
    assert!(
        token2.note.as_deref().is_some_and(|n| n.contains("block list")),
        "{:?}",
        token2.note
    );
    assert!(
        tightening
            .proposal
            .notes
            .iter()
            .any(|n| n.contains("block list is replaced"))
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Readiness
// ---------------------------------------------------------------------------------------------------------------

fn pass(once: bool, start: OffsetDateTime, minutes: u32) -> AccessPass {
    AccessPass {
        id: MethodId(Uuid::from_u128(7)),
        user_id: UserId(Uuid::from_u128(7)),
        created_date_time: start,
        start_date_time: start,
        lifetime_in_minutes: minutes,
        is_usable_once: once,
        used_date_time: None,
    }
}

#[test]
fn readiness_gives_each_locked_out_user_one_reason() {
    let policy = policy();
    let catalog = catalog();
    let mut disabled = subject("dora", &[PILOT], &[(YUBIKEY, DeviceBound)]);
    disabled.user.account_enabled = false;
    let mut app_user = subject("olga", &[PILOT], &[]);
    app_user.software_oath = true;
    let mut pass_holder = subject("paul", &[PILOT], &[]);
    pass_holder.access_pass = Some(pass(true, NOW - Duration::minutes(5), 60));
    let mut expired_pass = subject("quinn", &[PILOT], &[]);
    expired_pass.access_pass = Some(pass(true, NOW - Duration::hours(5), 60));
    let mut guest = subject("guest", &[PILOT], &[]);
    guest.user.user_type = UserType::Guest;
    let users = vec![
        subject("alice", &[PILOT], &[(YUBIKEY, DeviceBound)]),
        disabled,
        subject("erin", &[PILOT, CONTRACTORS], &[(ICLOUD, Synced)]),
        subject("frank", &[], &[(YUBIKEY, DeviceBound)]),
        subject("carol", &[ADMINS], &[(ICLOUD, Synced)]),
        app_user,
        pass_holder,
        expired_pass,
        guest,
        subject("zed", &[], &[]),
    ];
    // (strength, user, reason or None when ready, code, can register a passkey, a phrase of the fix)
    type Row<'a> = (&'a str, Option<Reason>, Option<Code>, bool, &'a str);
    let table: Vec<(&crate::strength::Strength, Vec<Row<'_>>)> = vec![
        (
            &PHISHING_RESISTANT,
            vec![
                ("alice", None, None, true, ""),
                (
                    "dora",
                    Some(Reason::AccountDisabled),
                    Some(Code::AccountDisabled),
                    false,
                    "enable it first",
                ),
                (
                    "erin",
                    Some(Reason::MethodNotEnabled),
                    Some(Code::UserExcluded),
                    false,
                    "neither sign in with their passkeys nor register",
                ),
                (
                    "frank",
                    Some(Reason::MethodNotEnabled),
                    Some(Code::UserNotInPolicyScope),
                    false,
                    "neither sign in",
                ),
                (
                    "carol",
                    Some(Reason::PasskeysRefused),
                    Some(Code::CredentialNotAllowedAtSignIn),
                    true,
                    "Issue a one-time Temporary Access Pass",
                ),
                (
                    "olga",
                    Some(Reason::NoPasskey),
                    None,
                    true,
                    "Ask them to register a passkey",
                ),
                (
                    "paul",
                    Some(Reason::NoPasskey),
                    None,
                    true,
                    "Ask them to register a passkey",
                ),
                (
                    "quinn",
                    Some(Reason::NoPasskey),
                    None,
                    true,
                    "Issue a one-time Temporary Access Pass",
                ),
                (
                    "guest",
                    Some(Reason::NoPasskey),
                    None,
                    false,
                    "guest_user_not_supported",
                ),
                ("zed", Some(Reason::NoPasskey), None, false, "user_not_in_policy_scope"),
            ],
        ),
        (
            &MULTIFACTOR,
            vec![
                ("alice", None, None, true, ""),
                (
                    "dora",
                    Some(Reason::AccountDisabled),
                    Some(Code::AccountDisabled),
                    false,
                    "",
                ),
                (
                    "erin",
                    Some(Reason::MethodNotEnabled),
                    Some(Code::UserExcluded),
                    false,
                    "",
                ),
                (
                    "carol",
                    Some(Reason::PasskeysRefused),
                    Some(Code::CredentialNotAllowedAtSignIn),
                    true,
                    "",
                ),
                ("olga", None, None, true, ""),
                ("paul", None, None, true, ""),
                (
                    "quinn",
                    Some(Reason::NoQualifyingMethod),
                    None,
                    true,
                    "Temporary Access Pass",
                ),
                ("zed", Some(Reason::NoQualifyingMethod), None, false, ""),
            ],
        ),
    ];
    for (strength, rows) in table {
        let mut readiness = Readiness::with_defaults(strength, &policy, &catalog, NOW);
        users.iter().for_each(|u| readiness.user(u));
        let report = readiness.finish();
        assert_eq!(report.users, users.len() as u64);
        assert_eq!(report.ready + report.locked_out, report.users);
        for (name, reason, code, can_register, fix) in rows {
            let upn = format!("{name}@contoso.com");
            let found = report
                .locked_out_users
                .iter()
                .find(|l| l.user.user_principal_name == upn);
            let case = format!("{} / {name}", strength.display_name);
            match (reason, found) {
                (None, None) => {}
                (None, Some(l)) => panic!("{case}: ready, but listed: {l:?}"),
                (Some(_), None) => panic!("{case}: locked out, but not listed"),
                (Some(reason), Some(l)) => {
                    assert_eq!(
                        (l.reason, l.code, l.can_register_passkey),
                        (reason, code, can_register),
                        "{case}"
                    );
                    assert!(l.fix.contains(fix), "{case}: {}", l.fix);
                }
            }
        }
    }
}

#[test]
fn readiness_names_each_refused_passkey_and_counts_reasons() {
    let policy = policy();
    let catalog = catalog();
    let users = [
        subject("carol", &[ADMINS], &[(ICLOUD, Synced), (TOKEN2, DeviceBound)]),
        subject("zed", &[], &[]),
        subject("yan", &[], &[]),
    ];
    let mut readiness = Readiness::new(&PHISHING_RESISTANT, &policy, &catalog, NOW, 1);
    users.iter().for_each(|u| readiness.user(u));
    let report = readiness.finish();
    assert_eq!(
        (report.locked_out, report.locked_out_users.len()),
        (3, 1),
        "counts complete, list capped"
    );
    let carol = &report.locked_out_users[0];
    let refused: Vec<String> = carol.refused_passkeys.iter().map(|r| r.reason.clone()).collect();
    assert_eq!(
        refused,
        vec![
            format!(
                "YubiKeys allows deviceBound passkeys; this one is synced; {ICLOUD} is not on YubiKeys's allow list (1 AAGUIDs)"
            ),
            format!("{TOKEN2} is not on YubiKeys's allow list (1 AAGUIDs)"),
        ]
    );
    assert_eq!(
        carol.refused_passkeys[0].passkey.model.as_deref(),
        Some("iCloud Keychain")
    );
    let reasons: Vec<(Reason, u64)> = report.by_reason.iter().map(|r| (r.reason, r.users)).collect();
    assert_eq!(reasons, vec![(Reason::PasskeysRefused, 1), (Reason::NoPasskey, 2)]);
}

// ---------------------------------------------------------------------------------------------------------------
// What-if
// ---------------------------------------------------------------------------------------------------------------

fn what_if(change: impl FnOnce(&mut Policy)) -> super::what_if::WhatIf {
    let today = policy();
    let mut proposed = today.clone();
    change(&mut proposed);
    let catalog = catalog();
    let mut comparison = Comparison::with_defaults(&today, &proposed, &catalog);
    let gail = subject("gail", &[PILOT], &[(ICLOUD, Synced)]);
    directory().iter().chain([&gail]).for_each(|u| comparison.user(u));
    comparison.finish()
}

type Lists = (Vec<(String, Code)>, Vec<(String, Code)>, Vec<(String, Code)>);

fn lists(what_if: &super::what_if::WhatIf) -> Lists {
    let name = |upn: &str| upn.trim_end_matches("@contoso.com").to_string();
    (
        what_if
            .credentials_stop_working
            .iter()
            .map(|c| {
                (
                    format!("{}:{}", name(&c.user.user_principal_name), c.passkey.aaguid),
                    c.code,
                )
            })
            .collect(),
        what_if
            .users_lose_registration
            .iter()
            .map(|c| (name(&c.user.user_principal_name), c.code))
            .collect(),
        what_if
            .users_gain_registration
            .iter()
            .map(|c| (name(&c.user.user_principal_name), c.code))
            .collect(),
    )
}

#[test]
fn what_if_lists_what_each_change_would_do() {
    let s = String::from;
    let key = |who: &str, a: &str| format!("{who}:{a}");
    type Case = (&'static str, Box<dyn FnOnce(&mut Policy)>, Lists);
    let cases: Vec<Case> = vec![
        ("no change", Box::new(|_| {}), (vec![], vec![], vec![])),
        (
            "Any passkey drops synced",
            Box::new(|p| p.fido2.passkey_profiles[0].passkey_types = PasskeyTypes::DEVICE_BOUND),
            (
                vec![(key("gail", ICLOUD), Code::CredentialNotAllowedAtSignIn)],
                vec![],
                vec![],
            ),
        ),
        (
            "YubiKeys allow-lists nothing but Token2",
            Box::new(|p| p.fido2.passkey_profiles[1].key_restrictions.aa_guids = vec![aaguid(TOKEN2)]),
            (
                vec![(key("dan", YUBIKEY), Code::CredentialNotAllowedAtSignIn)],
                vec![],
                vec![],
            ),
        ),
        (
            "Pilot is excluded",
            Box::new(|p| {
                p.fido2.exclude_targets.push(ExcludeTarget {
                    id: PILOT.into(),
                    target_type: TargetType::Group,
                })
            }),
            (
                vec![
                    (key("alice", YUBIKEY), Code::UserExcluded),
                    (key("gail", ICLOUD), Code::UserExcluded),
                ],
                vec![
                    (s("alice"), Code::UserExcluded),
                    (s("bob"), Code::UserExcluded),
                    (s("gail"), Code::UserExcluded),
                ],
                vec![],
            ),
        ),
        (
            "Contractors are no longer excluded and all users are included",
            Box::new(|p| {
                p.fido2.exclude_targets.clear();
                p.fido2.include_targets.push(include("all_users", &["any"]));
            }),
            (
                vec![],
                vec![],
                vec![
                    (s("erin"), Code::UserExcluded),
                    (s("frank"), Code::UserNotInPolicyScope),
                ],
            ),
        ),
        (
            "the method is disabled",
            Box::new(|p| p.fido2.state = State::Disabled),
            (
                vec![
                    (key("alice", YUBIKEY), Code::PasskeyMethodDisabled),
                    (key("dan", YUBIKEY), Code::PasskeyMethodDisabled),
                    (key("gail", ICLOUD), Code::PasskeyMethodDisabled),
                ],
                vec![
                    (s("alice"), Code::PasskeyMethodDisabled),
                    (s("bob"), Code::PasskeyMethodDisabled),
                    (s("carol"), Code::PasskeyMethodDisabled),
                    (s("dan"), Code::PasskeyMethodDisabled),
                    (s("gail"), Code::PasskeyMethodDisabled),
                ],
                vec![],
            ),
        ),
    ];
    for (case, change, expected) in cases {
        assert_eq!(lists(&what_if(change)), expected, "{case}");
    }
}

#[test]
fn what_if_counts_in_full_caps_lists_and_notes_what_it_does_not_judge() {
    let today = policy();
    let mut proposed = today.clone();
    proposed.fido2.state = State::Disabled;
    proposed.temporary_access_pass.state = State::Disabled;
    proposed.fido2.passkey_profiles[1].attestation_enforcement = AttestationEnforcement::RegistrationOnly;
    let catalog = catalog();
    let mut comparison = Comparison::new(&today, &proposed, &catalog, 1);
    directory().iter().for_each(|u| comparison.user(u));
    let what_if = comparison.finish();
    let summary = &what_if.summary;
    assert_eq!(
        (
            summary.users,
            summary.passkeys,
            summary.credentials_stop_working,
            summary.users_losing_credentials,
            summary.users_left_without_passkey,
            summary.users_lose_registration
        ),
        (6, 5, 2, 2, 2, 4)
    );
    assert_eq!(
        (
            what_if.credentials_stop_working.len(),
            what_if.users_lose_registration.len()
        ),
        (1, 1)
    );
    assert_eq!(what_if.credentials_stop_working[0].accepted_today_by, "Any passkey");
    assert_eq!(what_if.notes.len(), 2, "{:?}", what_if.notes);
    let changed: Vec<&str> = what_if.changes.iter().map(|c| c.display_name.as_str()).collect();
    assert_eq!(
        changed,
        vec!["Fido2.passkeyProfiles", "Fido2.state", "TemporaryAccessPass.state"]
    );
}

#[test]
fn a_profile_that_accepts_nothing_takes_away_registration() {
    let result = what_if(|p| p.fido2.passkey_profiles[0].passkey_types = PasskeyTypes::default());
    let (stopped, lost, gained) = lists(&result);
    assert_eq!(
        stopped,
        vec![
            (format!("alice:{YUBIKEY}"), Code::CredentialNotAllowedAtSignIn),
            (format!("gail:{ICLOUD}"), Code::CredentialNotAllowedAtSignIn)
        ]
    );
    assert_eq!(
        lost,
        vec![
            ("alice".to_string(), Code::PasskeyTypeNotAllowed),
            ("bob".to_string(), Code::PasskeyTypeNotAllowed),
            ("gail".to_string(), Code::PasskeyTypeNotAllowed)
        ]
    );
    assert!(gained.is_empty());
    assert!(result.users_lose_registration[0].reason.contains("Any passkey"));
}
