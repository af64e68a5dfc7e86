//! Table-driven tests of the policy rules of entra-model.md 1.6, through the public functions.

use std::collections::BTreeSet;

use serde_json::json;
use uuid::Uuid;

use super::evaluate::{Member, RegistrationPath, acceptance, eligibility, sign_in_check};
use super::*;
use crate::codes::Code;
use crate::directory::{User, UserType};
use crate::ids::{GroupId, UserId};
use crate::metadata::{Entry, Status, StatusReport};
use crate::registration::{AttestationFormat, AttestationType, Facts, Flags, Trust};

const YUBIKEY: &str = "ee882879-721c-4913-9775-3dfcce97072a";
const ICLOUD: &str = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";
const HELLO: &str = "08987058-cadc-4b81-b6e1-30de50dcbe96";

fn group(n: u128) -> GroupId {
    GroupId(Uuid::from_u128(n))
}

const ADMINS: u128 = 0xa;
const SALES: u128 = 0x5;
const CONTRACTORS: u128 = 0xc;

fn user(user_type: UserType) -> User {
    User {
        id: UserId(Uuid::from_u128(0x1234)),
        user_principal_name: "alice@contoso.com".into(),
        display_name: "Alice".into(),
        user_type,
        account_enabled: true,
        roles: vec![],
    }
}

/// A policy with three profiles: device-bound attested for admins, anything for sales, YubiKey-only for pilot.
fn policy() -> Policy {
    let doc = json!({
        "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
        "state": "enabled",
        "isSelfServiceRegistrationAllowed": true,
        "defaultPasskeyProfile": "default",
        "includeTargets": [
            {"id": group(ADMINS).to_string(), "targetType": "group", "allowedPasskeyProfiles": ["attested"]},
            {"id": group(SALES).to_string(), "targetType": "group", "allowedPasskeyProfiles": ["anything", "yubikeys"]},
        ],
        "excludeTargets": [{"id": group(CONTRACTORS).to_string(), "targetType": "group"}],
        "passkeyProfiles": [
            {"id": "default", "name": "Default passkey profile", "passkeyTypes": "deviceBound,synced",
             "attestationEnforcement": "disabled",
             "keyRestrictions": {"isEnforced": false, "enforcementType": "allow", "aaGuids": []}},
            {"id": "attested", "name": "Admins", "passkeyTypes": "deviceBound",
             "attestationEnforcement": "registrationOnly",
             "keyRestrictions": {"isEnforced": false, "enforcementType": "allow", "aaGuids": []}},
            {"id": "anything", "name": "Sales", "passkeyTypes": "deviceBound,synced",
             "attestationEnforcement": "disabled",
             "keyRestrictions": {"isEnforced": true, "enforcementType": "block", "aaGuids": [HELLO]}},
            {"id": "yubikeys", "name": "Pilot", "passkeyTypes": "deviceBound",
             "attestationEnforcement": "disabled",
             "keyRestrictions": {"isEnforced": true, "enforcementType": "allow", "aaGuids": [YUBIKEY]}},
        ],
    });
    parse(&doc.to_string(), &Policy::default(), &AnyTarget).expect("the test policy is valid")
}

fn facts(aaguid: &str, backup_eligible: bool, trust: Trust) -> Facts {
    Facts {
        format: if trust == Trust::Absent {
            AttestationFormat::None
        } else {
            AttestationFormat::Packed
        },
        aaguid: aaguid.parse().expect("test AAGUID"),
        model: None,
        attestation_type: if trust == Trust::Absent {
            AttestationType::None
        } else {
            AttestationType::Basic
        },
        trust,
        certificate_thumbprints: vec![],
        flags: Flags {
            user_present: true,
            user_verified: true,
            backup_eligible,
            backup_state: backup_eligible,
        },
        sign_count: 0,
        algorithm: -7,
        transports: vec![],
        sha1_signature: false,
        hardware_backed: None,
        notes: vec![],
    }
}

fn verified() -> Trust {
    Trust::Verified {
        root: "CN=Test Root".into(),
    }
}

#[track_caller]
fn check_eligibility(
    policy: &Policy,
    user_type: UserType,
    groups: &[u128],
    path: RegistrationPath,
    want: Option<Code>,
) {
    let user = user(user_type);
    let groups: BTreeSet<GroupId> = groups.iter().map(|g| group(*g)).collect();
    let answer = eligibility(
        &policy.fido2,
        Member {
            user: &user,
            groups: &groups,
        },
        path,
    );
    assert_eq!(answer.code(), want, "evidence: {:?}", answer.evidence);
    assert_eq!(answer.passed(), want.is_none());
}

#[track_caller]
fn check_acceptance(groups: &[u128], facts: &Facts, metadata: Option<&Entry>, want: Result<&str, Code>) {
    let policy = policy();
    let user = user(UserType::Member);
    let groups: BTreeSet<GroupId> = groups.iter().map(|g| group(*g)).collect();
    let member = Member {
        user: &user,
        groups: &groups,
    };
    let profiles = evaluate::applicable_profiles(&policy.fido2, member);
    let answer = acceptance(&profiles, facts, metadata);
    match want {
        Ok(profile) => {
            assert!(
                answer.passed(),
                "expected acceptance, got {:?}",
                answer.evidence.verdicts
            );
            assert_eq!(answer.evidence.admitted_by.as_deref(), Some(profile));
        }
        Err(code) => {
            assert_eq!(answer.code(), Some(code), "verdicts: {:?}", answer.evidence.verdicts);
            assert!(answer.evidence.admitted_by.is_none());
        }
    }
}

#[test]
fn a_targeted_member_is_eligible() {
    check_eligibility(
        &policy(),
        UserType::Member,
        &[SALES],
        RegistrationPath::SelfService,
        None,
    );
}

#[test]
fn disabled_method_refuses_everyone() {
    let mut p = policy();
    p.fido2.state = State::Disabled;
    check_eligibility(
        &p,
        UserType::Member,
        &[SALES],
        RegistrationPath::SelfService,
        Some(Code::PasskeyMethodDisabled),
    );
}

#[test]
fn exclusion_wins_over_every_include() {
    check_eligibility(
        &policy(),
        UserType::Member,
        &[SALES, ADMINS, CONTRACTORS],
        RegistrationPath::SelfService,
        Some(Code::UserExcluded),
    );
}

#[test]
fn excluding_a_single_user_works_too() {
    let mut p = policy();
    p.fido2.exclude_targets.push(ExcludeTarget {
        id: user(UserType::Member).id.to_string(),
        target_type: TargetType::User,
    });
    check_eligibility(
        &p,
        UserType::Member,
        &[SALES],
        RegistrationPath::SelfService,
        Some(Code::UserExcluded),
    );
}

#[test]
fn user_outside_every_target_is_not_in_scope() {
    check_eligibility(
        &policy(),
        UserType::Member,
        &[],
        RegistrationPath::SelfService,
        Some(Code::UserNotInPolicyScope),
    );
}

#[test]
fn guests_are_never_eligible() {
    check_eligibility(
        &policy(),
        UserType::Guest,
        &[SALES],
        RegistrationPath::SelfService,
        Some(Code::GuestUserNotSupported),
    );
}

#[test]
fn disabled_account_is_not_eligible() {
    let p = policy();
    let mut u = user(UserType::Member);
    u.account_enabled = false;
    let groups: BTreeSet<GroupId> = [group(SALES)].into();
    let answer = eligibility(
        &p.fido2,
        Member {
            user: &u,
            groups: &groups,
        },
        RegistrationPath::SelfService,
    );
    assert_eq!(answer.code(), Some(Code::AccountDisabled));
}

#[test]
fn self_service_switch_blocks_users_but_not_admins_acting_for_them() {
    let mut p = policy();
    p.fido2.is_self_service_registration_allowed = false;
    check_eligibility(
        &p,
        UserType::Member,
        &[SALES],
        RegistrationPath::SelfService,
        Some(Code::SelfServiceRegistrationDisabled),
    );
    check_eligibility(&p, UserType::Member, &[SALES], RegistrationPath::OnBehalf, None);
}

#[test]
fn target_without_profiles_uses_the_default_profile() {
    let mut p = policy();
    p.fido2.include_targets.push(PasskeyTarget {
        id: ALL_USERS.into(),
        target_type: TargetType::Group,
        is_registration_required: false,
        allowed_passkey_profiles: vec![],
    });
    let u = user(UserType::Member);
    let groups = BTreeSet::new();
    let profiles = evaluate::applicable_profiles(
        &p.fido2,
        Member {
            user: &u,
            groups: &groups,
        },
    );
    let ids: Vec<&str> = profiles.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, vec!["default"]);
}

#[test]
fn any_one_profile_that_accepts_in_full_is_enough() {
    // Sales has "anything" (blocks Windows Hello) and "yubikeys" (allows only YubiKey 5).
    check_acceptance(&[SALES], &facts(ICLOUD, true, Trust::Absent), None, Ok("anything"));
    check_acceptance(&[SALES], &facts(YUBIKEY, false, Trust::Absent), None, Ok("anything"));
}

#[test]
fn aaguid_blocked_by_every_applicable_profile_is_refused() {
    // "anything" blocks Windows Hello; "yubikeys" does not allow it: the closest refusal is the block.
    check_acceptance(
        &[SALES],
        &facts(HELLO, false, Trust::Absent),
        None,
        Err(Code::AaguidBlocked),
    );
}

#[test]
fn aaguid_not_on_allowlist_denies_registration() {
    let mut p = policy();
    p.fido2.include_targets[1].allowed_passkey_profiles = vec!["yubikeys".into()];
    let u = user(UserType::Member);
    let groups: BTreeSet<GroupId> = [group(SALES)].into();
    let profiles = evaluate::applicable_profiles(
        &p.fido2,
        Member {
            user: &u,
            groups: &groups,
        },
    );
    let answer = acceptance(&profiles, &facts(ICLOUD, false, Trust::Absent), None);
    assert_eq!(answer.code(), Some(Code::AaguidNotAllowed));
    assert!(answer.evidence.verdicts[0].denials[0].detail.contains("allow list"));
}

#[test]
fn synced_passkey_is_refused_where_only_device_bound_is_allowed() {
    check_acceptance(
        &[ADMINS],
        &facts(YUBIKEY, true, verified()),
        None,
        Err(Code::PasskeyTypeNotAllowed),
    );
}

#[test]
fn attestation_enforcement_needs_a_verified_chain() {
    check_acceptance(
        &[ADMINS],
        &facts(YUBIKEY, false, Trust::Absent),
        None,
        Err(Code::AttestationRequired),
    );
    check_acceptance(
        &[ADMINS],
        &facts(
            YUBIKEY,
            false,
            Trust::Untrusted {
                reason: "no metadata root".into(),
            },
        ),
        None,
        Err(Code::AttestationUntrusted),
    );
    check_acceptance(&[ADMINS], &facts(YUBIKEY, false, verified()), None, Ok("attested"));
}

#[test]
fn sha1_tpm_attestation_is_accepted_unless_the_profile_refuses_it() {
    let mut tpm = facts(HELLO, false, verified());
    tpm.sha1_signature = true;
    check_acceptance(&[ADMINS], &tpm, None, Ok("attested"));
    let mut p = policy();
    p.fido2.passkey_profiles[1].is_sha1_tpm_attestation_allowed = false;
    let u = user(UserType::Member);
    let groups: BTreeSet<GroupId> = [group(ADMINS)].into();
    let profiles = evaluate::applicable_profiles(
        &p.fido2,
        Member {
            user: &u,
            groups: &groups,
        },
    );
    assert_eq!(
        acceptance(&profiles, &tpm, None).code(),
        Some(Code::AttestationUntrusted)
    );
}

#[test]
fn revoked_model_is_refused_by_every_profile() {
    let entry = Entry {
        aaguid: YUBIKEY.parse().expect("aaguid"),
        description: "YubiKey 5".into(),
        status_reports: vec![
            StatusReport {
                status: Status::FidoCertifiedL1,
                effective_date: None,
                authenticator_version: None,
                certificate_number: None,
            },
            StatusReport {
                status: Status::Revoked,
                effective_date: None,
                authenticator_version: None,
                certificate_number: None,
            },
        ],
        ..Default::default()
    };
    check_acceptance(
        &[SALES],
        &facts(YUBIKEY, false, Trust::Absent),
        Some(&entry),
        Err(Code::AuthenticatorStatusRevoked),
    );
}

#[test]
fn turning_synced_off_works_retroactively_at_sign_in() {
    let mut p = policy();
    let u = user(UserType::Member);
    let groups: BTreeSet<GroupId> = [group(SALES)].into();
    let member = Member {
        user: &u,
        groups: &groups,
    };
    let icloud = ICLOUD.parse().expect("aaguid");
    assert_eq!(
        sign_in_check(&p.fido2, member, icloud, PasskeyType::Synced, None),
        Ok("anything".to_string())
    );
    p.fido2.passkey_profiles[2].passkey_types = PasskeyTypes::DEVICE_BOUND;
    let refusal = sign_in_check(&p.fido2, member, icloud, PasskeyType::Synced, None).expect_err("synced now refused");
    assert_eq!(refusal.code, Code::CredentialNotAllowedAtSignIn);
    assert_eq!(refusal.verdicts.len(), 2);
}

#[test]
fn key_restrictions_apply_again_at_sign_in() {
    let mut p = policy();
    let u = user(UserType::Member);
    let groups: BTreeSet<GroupId> = [group(SALES)].into();
    let member = Member {
        user: &u,
        groups: &groups,
    };
    let yubikey = YUBIKEY.parse().expect("aaguid");
    p.fido2.passkey_profiles[2].key_restrictions.aa_guids.push(yubikey);
    p.fido2.passkey_profiles[3].key_restrictions.enforcement_type = EnforcementType::Block;
    p.fido2.passkey_profiles[3].key_restrictions.aa_guids = vec![yubikey];
    let refusal = sign_in_check(&p.fido2, member, yubikey, PasskeyType::DeviceBound, None).expect_err("blocked");
    assert_eq!(refusal.code, Code::CredentialNotAllowedAtSignIn);
}

#[test]
fn attestation_is_not_checked_again_at_sign_in() {
    let p = policy();
    let u = user(UserType::Member);
    let groups: BTreeSet<GroupId> = [group(ADMINS)].into();
    let member = Member {
        user: &u,
        groups: &groups,
    };
    // Registered before attestation was enforced: still usable.
    let result = sign_in_check(
        &p.fido2,
        member,
        YUBIKEY.parse().expect("aaguid"),
        PasskeyType::DeviceBound,
        None,
    );
    assert_eq!(result, Ok("attested".to_string()));
}

#[test]
fn excluded_user_cannot_sign_in_with_a_passkey() {
    let p = policy();
    let u = user(UserType::Member);
    let groups: BTreeSet<GroupId> = [group(SALES), group(CONTRACTORS)].into();
    let refusal = sign_in_check(
        &p.fido2,
        Member {
            user: &u,
            groups: &groups,
        },
        YUBIKEY.parse().expect("aaguid"),
        PasskeyType::DeviceBound,
        None,
    )
    .expect_err("excluded");
    assert_eq!(refusal.code, Code::UserExcluded);
}

#[test]
fn an_invalid_document_lists_every_problem() {
    let doc = json!({
        "id": "Fido2",
        "state": "on",
        "isSelfServiceRegistrationAllowed": "yes",
        "isAttestationEnforced": true,
        "defaultPasskeyProfile": "missing",
        "passkeyProfiles": [
            {"id": "p", "name": "P", "passkeyTypes": "deviceBound,cloud", "attestationEnforcement": "always",
             "keyRestrictions": {"isEnforced": true, "enforcementType": "allow", "aaGuids": ["not-a-guid"]}},
        ],
        "colour": "blue",
    });
    let problems = parse(&doc.to_string(), &Policy::default(), &AnyTarget).expect_err("invalid");
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    for expected in [
        "Fido2.state",
        "Fido2.isSelfServiceRegistrationAllowed",
        "Fido2.isAttestationEnforced",
        "Fido2.passkeyProfiles[0].passkeyTypes",
        "Fido2.passkeyProfiles[0].attestationEnforcement",
        "Fido2.passkeyProfiles[0].keyRestrictions.aaGuids[0]",
        "Fido2.colour",
    ] {
        assert!(paths.contains(&expected), "{expected} missing from {paths:?}");
    }
}

#[test]
fn semantic_problems_are_listed_together() {
    let doc = json!({
        "id": "Fido2",
        "defaultPasskeyProfile": "missing",
        "includeTargets": [
            {"id": "all_users", "targetType": "group", "allowedPasskeyProfiles": ["nope"]},
            {"id": "all_users", "targetType": "group"},
        ],
        "passkeyProfiles": [
            {"id": "p", "name": "P", "passkeyTypes": "deviceBound", "attestationEnforcement": "disabled",
             "keyRestrictions": {"isEnforced": true, "enforcementType": "allow", "aaGuids": []}},
        ],
    });
    let problems = parse(&doc.to_string(), &Policy::default(), &AnyTarget).expect_err("invalid");
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    for expected in [
        "Fido2.defaultPasskeyProfile",
        "Fido2.includeTargets[0].allowedPasskeyProfiles[0]",
        "Fido2.includeTargets[1].id",
        "Fido2.passkeyProfiles[0].keyRestrictions.aaGuids",
    ] {
        assert!(paths.contains(&expected), "{expected} missing from {paths:?}");
    }
}

#[test]
fn unknown_groups_are_problems() {
    struct NoGroups;
    impl TargetCheck for NoGroups {
        fn group_exists(&self, _: &GroupId) -> bool {
            false
        }
        fn user_exists(&self, _: &UserId) -> bool {
            false
        }
    }
    let problems = parse(&policy_json(), &Policy::default(), &NoGroups).expect_err("groups unknown");
    assert_eq!(
        problems.iter().filter(|p| p.message.contains("does not exist")).count(),
        3
    );
}

fn policy_json() -> String {
    to_graph_document(&policy(), 1, time::OffsetDateTime::UNIX_EPOCH).to_string()
}

#[test]
fn show_then_apply_round_trips() {
    let p = policy();
    assert_eq!(parse(&policy_json(), &Policy::default(), &AnyTarget), Ok(p));
}

#[test]
fn properties_left_out_keep_their_values() {
    let p = policy();
    let next = parse(
        r#"{"id": "Fido2", "isSelfServiceRegistrationAllowed": false}"#,
        &p,
        &AnyTarget,
    )
    .expect("valid patch");
    assert!(!next.fido2.is_self_service_registration_allowed);
    assert_eq!(next.fido2.passkey_profiles, p.fido2.passkey_profiles);
    assert_eq!(next.temporary_access_pass, p.temporary_access_pass);
}

#[test]
fn tap_lifetimes_must_be_ordered() {
    let doc = r#"{"id": "TemporaryAccessPass", "minimumLifetimeInMinutes": 600, "maximumLifetimeInMinutes": 60,
                 "defaultLifetimeInMinutes": 30}"#;
    let problems = parse(doc, &Policy::default(), &AnyTarget).expect_err("invalid");
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "TemporaryAccessPass.minimumLifetimeInMinutes",
            "TemporaryAccessPass.defaultLifetimeInMinutes"
        ]
    );
}

#[test]
fn tap_length_follows_entra_range() {
    for (length, ok) in [(7, false), (8, true), (48, true), (49, false)] {
        let doc = format!(r#"{{"id": "TemporaryAccessPass", "defaultLength": {length}}}"#);
        assert_eq!(
            parse(&doc, &Policy::default(), &AnyTarget).is_ok(),
            ok,
            "length {length}"
        );
    }
}

#[test]
fn diff_names_each_changed_property() {
    let before = policy();
    let mut after = before.clone();
    after.fido2.state = State::Disabled;
    after.temporary_access_pass.is_usable_once = true;
    let changes = diff(&before, &after);
    let names: Vec<&str> = changes.iter().map(|c| c.display_name.as_str()).collect();
    assert_eq!(names, vec!["Fido2.state", "TemporaryAccessPass.isUsableOnce"]);
    assert_eq!(changes[0].old_value.as_deref(), Some("\"enabled\""));
    assert_eq!(changes[0].new_value.as_deref(), Some("\"disabled\""));
}

fn entry_with(aaguid: &str, statuses: &[Status], key_protection: &[&str]) -> Entry {
    Entry {
        aaguid: aaguid.parse().expect("aaguid"),
        description: "Test model".into(),
        status_reports: statuses
            .iter()
            .map(|status| StatusReport {
                status: status.clone(),
                effective_date: None,
                authenticator_version: None,
                certificate_number: None,
            })
            .collect(),
        key_protection: key_protection.iter().map(|k| k.to_string()).collect(),
        ..Default::default()
    }
}

#[test]
fn named_groups_follow_the_metadata() {
    use super::AuthenticatorGroup::*;
    let l2 = entry_with(
        YUBIKEY,
        &[Status::FidoCertifiedL1, Status::FidoCertifiedL2],
        &["hardware", "secure_element"],
    );
    let l1_software = entry_with(ICLOUD, &[Status::FidoCertifiedL1], &["software"]);
    let revoked = entry_with(HELLO, &[Status::FidoCertifiedL2, Status::Revoked], &["hardware"]);
    for (group, entry, expected) in [
        (FidoCertified, &l2, true),
        (FidoCertifiedL2OrHigher, &l2, true),
        (FidoCertifiedL3OrHigher, &l2, false),
        (HardwareProtected, &l2, true),
        (FidoCertifiedL2OrHigher, &l1_software, false),
        (HardwareProtected, &l1_software, false),
        (FidoCertified, &revoked, false),
        (FipsValidated, &l2, false),
    ] {
        assert_eq!(
            group.contains(entry),
            expected,
            "{group:?} on {:?}",
            entry.status_reports
        );
    }
}

#[test]
fn an_allow_list_of_groups_admits_models_by_their_metadata_at_registration_and_sign_in() {
    let doc = json!({
        "id": "Fido2",
        "state": "enabled",
        "includeTargets": [{"id": "all_users", "targetType": "group", "allowedPasskeyProfiles": ["certified"]}],
        "defaultPasskeyProfile": "certified",
        "passkeyProfiles": [
            {"id": "certified", "name": "Certified L2+", "passkeyTypes": "deviceBound", "attestationEnforcement": "disabled",
             "keyRestrictions": {"isEnforced": true, "enforcementType": "allow", "aaGuids": [], "authenticatorGroups": ["fidoCertifiedL2OrHigher"]}},
        ],
    });
    let p = parse(&doc.to_string(), &Policy::default(), &AnyTarget).expect("groups alone make a valid allow list");
    let u = user(UserType::Member);
    let groups = BTreeSet::new();
    let member = Member {
        user: &u,
        groups: &groups,
    };
    let profiles = evaluate::applicable_profiles(&p.fido2, member);
    let l2 = entry_with(YUBIKEY, &[Status::FidoCertifiedL2], &["hardware"]);
    let l1 = entry_with(YUBIKEY, &[Status::FidoCertifiedL1], &["hardware"]);
    assert!(acceptance(&profiles, &facts(YUBIKEY, false, Trust::Absent), Some(&l2)).passed());
    let refused = acceptance(&profiles, &facts(YUBIKEY, false, Trust::Absent), Some(&l1));
    assert_eq!(refused.code(), Some(Code::AaguidNotAllowed));
    assert!(
        refused.evidence.verdicts[0].denials[0]
            .detail
            .contains("level 2 or higher")
    );
    assert_eq!(
        acceptance(&profiles, &facts(YUBIKEY, false, Trust::Absent), None).code(),
        Some(Code::AaguidNotAllowed),
        "no metadata, no group"
    );
    let yubikey = YUBIKEY.parse().expect("aaguid");
    assert!(sign_in_check(&p.fido2, member, yubikey, PasskeyType::DeviceBound, Some(&l2)).is_ok());
    // The metadata is refreshed and the model drops to L1: the passkey stops working at sign-in.
    assert!(sign_in_check(&p.fido2, member, yubikey, PasskeyType::DeviceBound, Some(&l1)).is_err());
    let shown = to_graph_document(&p, 2, time::OffsetDateTime::UNIX_EPOCH);
    assert_eq!(
        shown["authenticationMethodConfigurations"][0]["passkeyProfiles"][0]["keyRestrictions"]["authenticatorGroups"],
        json!(["fidoCertifiedL2OrHigher"])
    );
    let bad = json!({"id": "Fido2", "passkeyProfiles": [{"id": "x", "name": "X", "passkeyTypes": "synced", "attestationEnforcement": "disabled",
        "keyRestrictions": {"isEnforced": false, "enforcementType": "allow", "aaGuids": [], "authenticatorGroups": ["shiny"]}}],
        "defaultPasskeyProfile": "x", "includeTargets": []});
    let problems = parse(&bad.to_string(), &Policy::default(), &AnyTarget).expect_err("unknown group");
    assert!(
        problems
            .iter()
            .any(|p| p.path == "Fido2.passkeyProfiles[0].keyRestrictions.authenticatorGroups[0]"),
        "{problems:?}"
    );
}
