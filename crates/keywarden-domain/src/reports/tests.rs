//! Tests of the reports: inventory rows and metadata status, the per-model counts, the phishing-resistant
//! classification, each finding, and the AuditLogs record shape.

use std::collections::BTreeSet;

use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::findings::{CredentialClass, FindingsOptions, Kind, Review, Severity, policy_scope, recheck};
use super::inventory::{self, Inventory, ModelCount, NOT_IN_METADATA, Record, by_model, metadata_status};
use super::methods::{UserMethods, UserRow};
use super::{UserRef, audit_logs, findings};
use crate::access_pass::AccessPass;
use crate::audit::{Activity, Event, Initiator, KeyValue, ModifiedProperty, Outcome, TargetResource};
use crate::directory::UserType;
use crate::ids::{Aaguid, GroupId, MethodId, UserId};
use crate::metadata::{Catalog, Entry, Status, StatusReport};
use crate::policy::{
    AttestationEnforcement, EnforcementType, ExcludeTarget, Fido2Configuration, KeyRestrictions, PasskeyProfile,
    PasskeyTarget, PasskeyType, PasskeyTypes, Policy, State, TargetType,
};
use crate::registration::AttestationLevel;

const NOW: OffsetDateTime = datetime!(2026-11-25 12:00 UTC);
const YUBIKEY: &str = "ee882879-721c-4913-9775-3dfcce97072a";
const ICLOUD: &str = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";
const PILOT: &str = "22222222-0000-4000-8000-000000000001";

fn aaguid(s: &str) -> Aaguid {
    s.parse().expect("test AAGUID")
}

fn user(n: u128) -> UserRef {
    UserRef {
        id: UserId(Uuid::from_u128(n)),
        user_principal_name: format!("user{n}@contoso.com"),
        display_name: format!("User {n}"),
    }
}

fn report(status: Status) -> StatusReport {
    StatusReport {
        status,
        effective_date: None,
        authenticator_version: None,
        certificate_number: None,
    }
}

fn entry(aaguid: Aaguid, name: &str, statuses: Vec<Status>) -> Entry {
    Entry {
        aaguid,
        description: name.into(),
        status_reports: statuses.into_iter().map(report).collect(),
        ..Default::default()
    }
}

fn catalog(entries: Vec<Entry>) -> Catalog {
    Catalog {
        entries: entries.into_iter().map(|e| (e.aaguid, e)).collect(),
        ..Catalog::default()
    }
}

fn profile(id: &str, types: PasskeyTypes, allow: Option<Vec<Aaguid>>) -> PasskeyProfile {
    PasskeyProfile {
        id: id.into(),
        name: id.to_uppercase(),
        passkey_types: types,
        attestation_enforcement: AttestationEnforcement::Disabled,
        key_restrictions: match allow {
            Some(aa_guids) => KeyRestrictions {
                is_enforced: true,
                enforcement_type: EnforcementType::Allow,
                aa_guids,
                authenticator_groups: vec![],
            },
            None => KeyRestrictions::none(),
        },
        is_sha1_tpm_attestation_allowed: true,
    }
}

/// Passkeys enabled with `profiles`; each target is a group id (or `all_users`) with its allowed profiles.
fn fido2(profiles: Vec<PasskeyProfile>, targets: Vec<(&str, Vec<&str>)>) -> Fido2Configuration {
    let mut config = Policy::default().fido2;
    config.state = State::Enabled;
    config.passkey_profiles = profiles;
    config.default_passkey_profile = config.passkey_profiles[0].id.clone();
    config.include_targets = targets
        .into_iter()
        .map(|(id, allowed)| PasskeyTarget {
            id: id.into(),
            target_type: TargetType::Group,
            is_registration_required: false,
            allowed_passkey_profiles: allowed.into_iter().map(String::from).collect(),
        })
        .collect();
    config
}

fn record(upn: &str, aaguid_text: &str) -> Record {
    Record {
        user_principal_name: upn.into(),
        display_name: "Alice".into(),
        method_display_name: "My key".into(),
        aaguid: aaguid(aaguid_text),
        model: None,
        created_date_time: datetime!(2026-11-01 09:30 UTC),
        attestation_level: AttestationLevel::Attested,
        attestation_certificate_thumbprint: Some("ab12".into()),
        passkey_type: PasskeyType::DeviceBound,
        last_used_date_time: None,
        admitting_profile: "any".into(),
    }
}

#[test]
fn inventory_columns_are_the_playbooks_then_keywardens() {
    assert_eq!(
        &inventory::COLUMNS[..8],
        &[
            "UserPrincipalName",
            "DisplayName",
            "MethodDisplayName",
            "AAGUID",
            "Model",
            "CreatedDateTime",
            "AttestationLevel",
            "AttestationCertificateThumbprint"
        ]
    );
    assert_eq!(
        &inventory::COLUMNS[8..],
        &["PasskeyType", "LastUsedDateTime", "AdmittingProfile", "MetadataStatus"]
    );
    let catalog = catalog(vec![entry(aaguid(YUBIKEY), "YubiKey 5", vec![Status::FidoCertifiedL1])]);
    let row = Inventory::default().row(&catalog, record("alice@contoso.com", YUBIKEY));
    let json = serde_json::to_value(&row).expect("row serialises");
    let keys: Vec<&str> = json.as_object().expect("object").keys().map(String::as_str).collect();
    let mut expected = inventory::COLUMNS.to_vec();
    expected.sort_unstable();
    let mut keys_sorted = keys.clone();
    keys_sorted.sort_unstable();
    assert_eq!(keys_sorted, expected, "JSON uses the column names");
    assert_eq!(
        row.cells(),
        [
            "alice@contoso.com",
            "Alice",
            "My key",
            YUBIKEY,
            "YubiKey 5",
            "2026-11-01T09:30:00Z",
            "attested",
            "ab12",
            "deviceBound",
            "",
            "any",
            "FIDO_CERTIFIED_L1",
        ],
        "the model falls back to the catalog's name; a missing last use is an empty cell"
    );
}

#[test]
fn metadata_status_is_todays_alert_else_the_latest_report() {
    let yubikey = aaguid(YUBIKEY);
    let cases: Vec<(Vec<Status>, &str)> = vec![
        (vec![Status::FidoCertifiedL1], "FIDO_CERTIFIED_L1"),
        (vec![Status::FidoCertifiedL2, Status::Revoked], "REVOKED"),
        (
            vec![Status::AttestationKeyCompromise, Status::UpdateAvailable],
            "ATTESTATION_KEY_COMPROMISE",
        ),
        (
            vec![Status::UserVerificationBypass, Status::UpdateAvailable],
            "USER_VERIFICATION_BYPASS",
        ),
        (vec![], ""),
    ];
    for (statuses, expected) in cases {
        let catalog = catalog(vec![entry(yubikey, "YubiKey", statuses.clone())]);
        assert_eq!(metadata_status(&catalog, &yubikey), expected, "{statuses:?}");
    }
    let only_other = catalog(vec![entry(aaguid(ICLOUD), "iCloud", vec![])]);
    assert_eq!(metadata_status(&only_other, &yubikey), NOT_IN_METADATA);
    assert_eq!(
        metadata_status(&Catalog::default(), &yubikey),
        "",
        "no metadata loaded: unknown"
    );
}

#[test]
fn by_model_counts_types_attestation_users_and_todays_profiles() {
    let (yubikey, icloud) = (aaguid(YUBIKEY), aaguid(ICLOUD));
    let count = |aaguid, passkey_type, attestation_level, credentials| ModelCount {
        aaguid,
        model: None,
        passkey_type,
        attestation_level,
        credentials,
    };
    let counts = vec![
        count(yubikey, PasskeyType::DeviceBound, AttestationLevel::Attested, 5),
        count(yubikey, PasskeyType::DeviceBound, AttestationLevel::NotAttested, 2),
        count(icloud, PasskeyType::Synced, AttestationLevel::NotAttested, 9),
        count(icloud, PasskeyType::DeviceBound, AttestationLevel::NotAttested, 1),
    ];
    let config = fido2(
        vec![
            profile("any", PasskeyTypes::BOTH, None),
            profile("yubikeys", PasskeyTypes::DEVICE_BOUND, Some(vec![yubikey])),
            profile("boundonly", PasskeyTypes::DEVICE_BOUND, None),
        ],
        vec![("all_users", vec!["any"])],
    );
    let catalog = catalog(vec![entry(yubikey, "YubiKey 5", vec![Status::FidoCertifiedL2])]);
    let models = by_model(counts, &config, &catalog);
    assert_eq!(models.len(), 2);
    let icloud_model = &models[0];
    assert_eq!(icloud_model.aaguid, icloud, "most passkeys first");
    assert_eq!(
        (icloud_model.credentials, icloud_model.synced, icloud_model.device_bound),
        (10, 9, 1)
    );
    assert_eq!(icloud_model.metadata_status, NOT_IN_METADATA);
    let allowed: Vec<(String, String)> = icloud_model
        .allowed_by
        .iter()
        .map(|a| (a.profile_id.clone(), a.passkey_types.to_string()))
        .collect();
    assert_eq!(
        allowed,
        vec![
            ("any".to_string(), "deviceBound,synced".to_string()),
            ("boundonly".to_string(), "deviceBound".to_string()),
        ],
        "the allow list of yubikeys leaves iCloud out; boundonly accepts only its device-bound passkeys"
    );
    let yubikey_model = &models[1];
    assert_eq!(yubikey_model.model.as_deref(), Some("YubiKey 5"));
    assert_eq!((yubikey_model.attested, yubikey_model.not_attested), (5, 2));
    assert_eq!(yubikey_model.allowed_by.len(), 3);
    assert_eq!(
        yubikey_model.cells()[8],
        "ANY (deviceBound); YUBIKEYS (deviceBound); BOUNDONLY (deviceBound)"
    );
}

fn methods(n: u128) -> UserMethods {
    UserMethods {
        user: user(n),
        user_type: UserType::Member,
        account_enabled: true,
        passkeys: 0,
        password: true,
        software_oath: false,
        access_pass: None,
    }
}

fn pass(user: &UserRef, once: bool, start: OffsetDateTime, minutes: u32) -> AccessPass {
    AccessPass {
        id: MethodId(Uuid::from_u128(user.id.0.as_u128() + 1000)),
        user_id: user.id,
        created_date_time: start,
        start_date_time: start,
        lifetime_in_minutes: minutes,
        is_usable_once: once,
        used_date_time: None,
    }
}

#[test]
fn only_a_passkey_is_phishing_resistant_and_methods_are_listed_strongest_first() {
    let password_only = methods(1);
    assert!(!password_only.is_phishing_resistant());
    assert_eq!(password_only.methods_registered(NOW), vec!["password"]);
    assert!(!password_only.is_mfa_registered(NOW));

    let totp = UserMethods {
        software_oath: true,
        ..methods(2)
    };
    assert_eq!(totp.methods_registered(NOW), vec!["softwareOath", "password"]);
    assert!(totp.is_mfa_registered(NOW) && !totp.is_phishing_resistant());

    let with_live_pass = UserMethods {
        access_pass: Some(pass(&user(3), true, NOW - Duration::minutes(5), 60)),
        ..methods(3)
    };
    assert_eq!(
        with_live_pass.methods_registered(NOW),
        vec!["temporaryAccessPass", "password"]
    );
    let expired = with_live_pass.methods_registered(NOW + Duration::hours(2));
    assert_eq!(expired, vec!["password"], "an expired pass is no longer held");

    let passkey = UserMethods {
        passkeys: 2,
        ..methods(4)
    };
    assert!(passkey.is_phishing_resistant());
    let row = UserRow::new(&with_live_pass, NOW);
    assert_eq!(row.cells()[4], "temporaryAccessPass;password");
    assert_eq!(row.cells()[5], "true");
}

fn credential(n: u128, user: &UserRef, aaguid: Aaguid, passkey_type: PasskeyType) -> findings::Credential {
    findings::Credential {
        id: MethodId(Uuid::from_u128(n)),
        user: user.clone(),
        display_name: format!("key {n}"),
        aaguid,
        model: None,
        passkey_type,
        backup_state: false,
        registered_backup_state: None,
        backup_state_changed_date_time: None,
        counter_regressions: 0,
        class: CredentialClass {
            aaguid,
            passkey_type,
            account_enabled: true,
            groups: BTreeSet::new(),
            excluded_user: None,
        },
    }
}

fn review_of(options: &FindingsOptions, feed: impl FnOnce(&mut Review<'_>)) -> Vec<findings::Finding> {
    let config = fido2(
        vec![profile("any", PasskeyTypes::BOTH, None)],
        vec![("all_users", vec!["any"])],
    );
    let catalog = Catalog::default();
    let mut review = Review::new(options, &config, &catalog, NOW);
    feed(&mut review);
    review.finish()
}

#[test]
fn users_without_a_passkey_split_by_whether_they_have_mfa() {
    let options = FindingsOptions::default();
    let found = review_of(&options, |review| {
        review.user(&methods(1));
        review.user(&UserMethods {
            software_oath: true,
            ..methods(2)
        });
        review.user(&UserMethods {
            passkeys: 1,
            ..methods(3)
        });
        review.user(&UserMethods {
            user_type: UserType::Guest,
            ..methods(4)
        });
        review.user(&UserMethods {
            account_enabled: false,
            ..methods(5)
        });
    });
    let kinds: Vec<(Kind, Severity, u64)> = found.iter().map(|f| (f.kind, f.severity, f.n_users)).collect();
    assert_eq!(
        kinds,
        vec![
            (Kind::NoPhishingResistantMethod, Severity::Medium, 1),
            (Kind::NoPhishingResistantMethod, Severity::Low, 1),
        ]
    );
    assert_eq!(found[0].users[0].user_principal_name, "user1@contoso.com");
    assert_eq!(found[1].users[0].user_principal_name, "user2@contoso.com");
    assert_eq!(
        found[0].evidence["excluded"],
        json!({"guests": 1, "disabledAccounts": 1})
    );
}

#[test]
fn aaguids_no_applicable_profile_accepts_are_found_per_model() {
    let (yubikey, icloud) = (aaguid(YUBIKEY), aaguid(ICLOUD));
    let pilot: GroupId = PILOT.parse().expect("group id");
    let mut config = fido2(
        vec![
            profile("yubikeys", PasskeyTypes::DEVICE_BOUND, Some(vec![yubikey])),
            profile("any", PasskeyTypes::BOTH, None),
        ],
        vec![(PILOT, vec!["yubikeys"])],
    );
    let excluded = user(9);
    config.exclude_targets.push(ExcludeTarget {
        id: excluded.id.to_string(),
        target_type: TargetType::User,
    });
    let scope = policy_scope(&config);
    assert_eq!(scope.groups, vec![pilot]);
    assert_eq!(scope.users, vec![excluded.id]);

    let class = |aaguid, passkey_type, groups: &[GroupId], excluded_user| CredentialClass {
        aaguid,
        passkey_type,
        account_enabled: true,
        groups: groups.iter().copied().collect(),
        excluded_user,
    };
    let in_pilot_icloud = class(icloud, PasskeyType::Synced, &[pilot], None);
    let in_pilot_yubikey = class(yubikey, PasskeyType::DeviceBound, &[pilot], None);
    let outside_pilot = class(icloud, PasskeyType::Synced, &[], None);
    let excluded_user = class(icloud, PasskeyType::Synced, &[pilot], Some(excluded.id));
    assert!(recheck(&config, &in_pilot_yubikey, &Catalog::default()).is_ok());
    assert!(recheck(&config, &excluded_user, &Catalog::default()).is_err());

    let options = FindingsOptions::default();
    let catalog = Catalog::default();
    let mut review = Review::new(&options, &config, &catalog, NOW);
    let alice = user(1);
    let bob = user(2);
    let carol = user(3);
    let mut first = credential(1, &alice, icloud, PasskeyType::Synced);
    first.class = in_pilot_icloud.clone();
    let mut second = credential(2, &alice, icloud, PasskeyType::Synced);
    second.class = in_pilot_icloud.clone();
    let mut allowed = credential(3, &alice, yubikey, PasskeyType::DeviceBound);
    allowed.class = in_pilot_yubikey;
    let mut out_of_scope = credential(4, &bob, icloud, PasskeyType::Synced);
    out_of_scope.class = outside_pilot;
    let mut excluded_one = credential(5, &carol, icloud, PasskeyType::Synced);
    excluded_one.class = excluded_user;
    for c in [&first, &second, &allowed, &out_of_scope, &excluded_one] {
        review.passkey_to_recheck(c);
    }
    let found = review.finish();
    assert_eq!(found.len(), 1);
    let finding = &found[0];
    assert_eq!(
        (finding.kind, finding.severity),
        (Kind::AaguidNotAllowed, Severity::Medium)
    );
    assert_eq!(
        (finding.n_users, finding.n_credentials),
        (1, 2),
        "one user, two passkeys"
    );
    assert_eq!(finding.evidence["verdicts"][0]["profileId"], "yubikeys");
    assert!(finding.action.contains(ICLOUD));
    assert_eq!(
        finding.users,
        vec![alice],
        "out of scope and excluded users are not this finding"
    );
}

#[test]
fn metadata_alerts_are_rechecked_against_todays_catalog() {
    let (yubikey, icloud) = (aaguid(YUBIKEY), aaguid(ICLOUD));
    let mut bypass = entry(icloud, "Phone", vec![Status::UserVerificationBypass]);
    bypass.status_reports[0].authenticator_version = Some(7);
    let catalog = catalog(vec![
        entry(yubikey, "YubiKey 5", vec![Status::FidoCertifiedL1, Status::Revoked]),
        bypass,
        entry(aaguid("00000000-0000-0000-0000-000000000001"), "Fine", vec![]),
    ]);
    let config = fido2(
        vec![profile("any", PasskeyTypes::BOTH, None)],
        vec![("all_users", vec!["any"])],
    );
    let options = FindingsOptions::default();
    let mut review = Review::new(&options, &config, &catalog, NOW);
    assert_eq!(review.alerted_aaguids(), vec![yubikey, icloud]);
    let alice = user(1);
    review.passkey_of_alerted_model(&credential(1, &alice, yubikey, PasskeyType::DeviceBound));
    review.passkey_of_alerted_model(&credential(2, &alice, icloud, PasskeyType::Synced));
    review.passkey_of_alerted_model(&credential(
        3,
        &alice,
        aaguid("00000000-0000-0000-0000-000000000001"),
        PasskeyType::Synced,
    ));
    let found = review.finish();
    let summary: Vec<(Kind, Severity, String)> = found
        .iter()
        .map(|f| (f.kind, f.severity, f.evidence["metadata"]["status"].to_string()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (Kind::MetadataAlert, Severity::High, "\"REVOKED\"".into()),
            (
                Kind::MetadataAlert,
                Severity::Medium,
                "\"USER_VERIFICATION_BYPASS\"".into()
            ),
        ]
    );
    assert_eq!(found[0].credentials[0].model.as_deref(), Some("YubiKey 5"));
    assert!(found[1].action.contains("version 7"), "{}", found[1].action);
}

#[test]
fn backup_flips_and_counter_regressions_are_found() {
    let alice = user(1);
    let options = FindingsOptions::default();
    let found = review_of(&options, |review| {
        let mut flipped = credential(1, &alice, aaguid(ICLOUD), PasskeyType::Synced);
        flipped.backup_state = true;
        flipped.registered_backup_state = Some(false);
        flipped.backup_state_changed_date_time = Some(NOW);
        review.passkey_with_backup_change(&flipped);
        let mut registered_backed_up = flipped.clone();
        registered_backed_up.registered_backup_state = Some(true);
        review.passkey_with_backup_change(&registered_backed_up);
        let mut back_to_local = flipped.clone();
        back_to_local.backup_state = false;
        review.passkey_with_backup_change(&back_to_local);
        let mut device_bound = credential(2, &alice, aaguid(YUBIKEY), PasskeyType::DeviceBound);
        device_bound.backup_state = true;
        device_bound.backup_state_changed_date_time = Some(NOW);
        review.passkey_with_backup_change(&device_bound);
        let mut regressed = credential(3, &alice, aaguid(YUBIKEY), PasskeyType::DeviceBound);
        regressed.counter_regressions = 2;
        review.passkey_with_counter_regression(&regressed);
        review.passkey_with_counter_regression(&credential(4, &alice, aaguid(YUBIKEY), PasskeyType::DeviceBound));
    });
    let summary: Vec<(Kind, Severity, u64)> = found.iter().map(|f| (f.kind, f.severity, f.n_credentials)).collect();
    assert_eq!(
        summary,
        vec![
            (Kind::CounterRegression, Severity::High, 1),
            (Kind::BackupStateFlipped, Severity::High, 1),
            (Kind::BackupStateFlipped, Severity::Medium, 1),
        ]
    );
    assert_eq!(found[0].evidence["regressions"], 2);
}

#[test]
fn unused_one_time_passes_and_long_multi_use_passes_are_found() {
    let options = FindingsOptions::default();
    let found = review_of(&options, |review| {
        let (a, b, c, d, e) = (user(1), user(2), user(3), user(4), user(5));
        review.access_pass(&pass(&a, true, NOW - Duration::hours(3), 60), &a);
        let mut used = pass(&b, true, NOW - Duration::hours(3), 60);
        used.used_date_time = Some(NOW - Duration::hours(2) - Duration::minutes(30));
        review.access_pass(&used, &b);
        review.access_pass(&pass(&c, true, NOW - Duration::minutes(10), 60), &c);
        review.access_pass(&pass(&d, false, NOW - Duration::hours(1), 480), &d);
        review.access_pass(&pass(&e, false, NOW - Duration::hours(1), 240), &e);
    });
    let summary: Vec<(Kind, Severity, String)> = found
        .iter()
        .map(|f| (f.kind, f.severity, f.users[0].user_principal_name.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                Kind::LongMultiUseAccessPass,
                Severity::Medium,
                "user4@contoso.com".into()
            ),
            (Kind::UnusedOneTimeAccessPass, Severity::Low, "user1@contoso.com".into()),
        ],
        "used, still valid, and four-hour passes are not findings"
    );
    assert_eq!(found[0].credentials[0].method, "temporaryAccessPass");
}

/// A new id for each call: fixed and distinct (the domain makes no random ids, in tests either).
fn next_id() -> Uuid {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    Uuid::from_u128(u128::from(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)))
}

fn admin_event(admin: &str, minute: i64, target: &UserRef, method: &str) -> Event {
    Event {
        id: next_id(),
        activity_date_time: NOW + Duration::minutes(minute),
        activity: Activity::AdminRegisteredSecurityInfo,
        correlation_id: next_id(),
        initiated_by: Initiator::User {
            id: format!("id-{admin}"),
            user_principal_name: admin.into(),
            display_name: admin.into(),
            ip_address: None,
        },
        result: Outcome::Success,
        result_reason: String::new(),
        target_resources: vec![TargetResource::user(
            &target.id,
            &target.user_principal_name,
            &target.display_name,
        )],
        additional_details: vec![
            KeyValue {
                key: crate::audit::DetailKey::Method,
                value: method.into(),
            },
            KeyValue {
                key: crate::audit::DetailKey::MethodId,
                value: next_id().to_string(),
            },
        ],
    }
}

/// Feeds events (already grouped by initiator, oldest first) and returns each bulk finding's registration count.
#[track_caller]
fn bursts(threshold: u32, window_minutes: i64, events: &[Event]) -> Vec<u64> {
    let options = FindingsOptions {
        bulk_threshold: threshold,
        bulk_window: Duration::minutes(window_minutes),
        ..FindingsOptions::default()
    };
    let found = review_of(&options, |review| {
        for event in events {
            review.admin_registration(event);
        }
    });
    found
        .iter()
        .filter(|f| f.kind == Kind::BulkAdminRegistration)
        .map(|f| f.evidence["registrations"].as_u64().expect("count"))
        .collect()
}

#[test]
fn bulk_registrations_need_the_threshold_within_the_window() {
    let targets: Vec<UserRef> = (1..=20).map(user).collect();
    let at = |admin: &str, minutes: &[i64]| -> Vec<Event> {
        minutes
            .iter()
            .enumerate()
            .map(|(i, m)| admin_event(admin, *m, &targets[i % targets.len()], "Passkey (device-bound)"))
            .collect()
    };
    assert_eq!(
        bursts(3, 10, &at("a@x", &[0, 4, 9])),
        vec![3],
        "three within ten minutes"
    );
    assert_eq!(
        bursts(3, 10, &at("a@x", &[0, 6, 11])),
        Vec::<u64>::new(),
        "spread over eleven"
    );
    assert_eq!(
        bursts(3, 10, &at("a@x", &[0, 1, 2, 3, 30, 31, 32])),
        vec![4, 3],
        "two bursts separated by a quiet half hour"
    );
    assert_eq!(
        bursts(3, 10, &at("a@x", &[0, 5, 10, 15, 20])),
        vec![5],
        "overlapping windows make one burst"
    );
    let mut two_admins = at("a@x", &[0, 1]);
    two_admins.extend(at("b@x", &[2, 3]));
    assert_eq!(
        bursts(3, 10, &two_admins),
        Vec::<u64>::new(),
        "bursts are per initiator"
    );
    let mut with_noise = at("a@x", &[0, 1, 2]);
    with_noise[1].result = Outcome::Failure;
    with_noise[2].activity = Activity::UserRegisteredSecurityInfo;
    assert_eq!(
        bursts(2, 10, &with_noise),
        Vec::<u64>::new(),
        "failures and self-service registrations do not count"
    );
}

#[test]
fn a_bulk_finding_names_the_admin_the_users_and_the_methods() {
    let targets: Vec<UserRef> = (1..=4).map(user).collect();
    let mut events: Vec<Event> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| admin_event("helpdesk@contoso.com", i as i64, t, "Passkey (device-bound)"))
        .collect();
    events.push(admin_event(
        "helpdesk@contoso.com",
        5,
        &targets[0],
        "TemporaryAccessPass",
    ));
    let options = FindingsOptions {
        bulk_threshold: 5,
        max_listed: 2,
        ..FindingsOptions::default()
    };
    let found = review_of(&options, |review| {
        events.iter().for_each(|e| review.admin_registration(e))
    });
    assert_eq!(found.len(), 1);
    let finding = &found[0];
    assert_eq!(finding.severity, Severity::Medium);
    assert_eq!((finding.n_users, finding.n_credentials), (4, 5));
    assert_eq!(
        (finding.users.len(), finding.credentials.len()),
        (2, 2),
        "lists are capped, counts are not"
    );
    assert_eq!(
        finding.evidence["methods"],
        json!({"Passkey (device-bound)": 4, "TemporaryAccessPass": 1})
    );
    assert!(
        finding
            .summary
            .starts_with("helpdesk@contoso.com registered security info 5 times for 4 users")
    );
}

#[test]
fn findings_are_ordered_most_severe_first() {
    let alice = user(1);
    let options = FindingsOptions::default();
    let found = review_of(&options, |review| {
        review.user(&methods(2));
        let mut regressed = credential(3, &alice, aaguid(YUBIKEY), PasskeyType::DeviceBound);
        regressed.counter_regressions = 1;
        review.passkey_with_counter_regression(&regressed);
        review.access_pass(&pass(&alice, true, NOW - Duration::hours(3), 60), &alice);
    });
    let severities: Vec<Severity> = found.iter().map(|f| f.severity).collect();
    assert_eq!(severities, vec![Severity::High, Severity::Medium, Severity::Low]);
    let json = serde_json::to_value(&found[0]).expect("finding serialises");
    for key in [
        "kind",
        "severity",
        "summary",
        "users",
        "credentials",
        "userCount",
        "credentialCount",
        "action",
        "evidence",
    ] {
        assert!(json.get(key).is_some(), "{key} missing from {json}");
    }
}

#[test]
fn audit_records_have_the_auditlogs_columns_and_shapes() {
    let alice = user(1);
    let event = Event {
        id: Uuid::from_u128(7),
        activity_date_time: datetime!(2026-11-20 08:00:00.5 UTC),
        activity: Activity::UserRegisteredSecurityInfo,
        correlation_id: Uuid::from_u128(8),
        initiated_by: Initiator::User {
            id: alice.id.to_string(),
            user_principal_name: alice.user_principal_name.clone(),
            display_name: alice.display_name.clone(),
            ip_address: Some("192.0.2.1".into()),
        },
        result: Outcome::Success,
        result_reason: "User registered Passkey (device-bound)".into(),
        target_resources: vec![
            TargetResource::user(&alice.id, &alice.user_principal_name, &alice.display_name).with_changes(vec![
                ModifiedProperty {
                    display_name: "StrongAuthenticationMethod".into(),
                    old_value: None,
                    new_value: Some("Passkey (device-bound)".into()),
                },
            ]),
        ],
        additional_details: vec![],
    };
    let record = serde_json::to_value(audit_logs::Record::new(&event)).expect("record serialises");
    let keys: BTreeSet<&str> = record.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(keys, audit_logs::COLUMNS.into_iter().collect::<BTreeSet<_>>());
    assert_eq!(record["TimeGenerated"], "2026-11-20T08:00:00.500000Z");
    assert_eq!(record["OperationName"], "User registered security info");
    assert_eq!(record["OperationName"], record["ActivityDisplayName"]);
    assert_eq!(record["Category"], "UserManagement");
    assert_eq!(record["LoggedByService"], "Authentication Methods");
    assert_eq!(record["AADOperationType"], "Add");
    assert_eq!(record["Result"], "success");
    assert_eq!(
        record["InitiatedBy"],
        json!({"user": {"id": alice.id.to_string(), "displayName": "User 1", "userPrincipalName": "user1@contoso.com", "ipAddress": "192.0.2.1", "roles": []}}),
        "only the initiator kind that acted is present"
    );
    assert_eq!(
        record["TargetResources"][0]["modifiedProperties"][0]["newValue"],
        "Passkey (device-bound)"
    );
    assert_eq!(record["TargetResources"][0]["userPrincipalName"], "user1@contoso.com");
    assert_eq!(record["TargetResources"][0]["type"], "User");
    let cells = audit_logs::Record::new(&event).cells();
    assert_eq!(cells[2], "User registered security info");
    assert!(cells[12].starts_with("{\"user\":{"), "{}", cells[12]);
    let operator = audit_logs::initiated_by(&Initiator::LocalOperator { os_user: "ops".into() });
    assert_eq!(operator["app"]["displayName"], "keywarden CLI (ops)");
    assert!(operator.get("user").is_none());
}
