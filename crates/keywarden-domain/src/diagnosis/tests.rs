//! Table-driven tests of the diagnosis: one scenario per denial code of the four questions and per platform
//! failure mode of the knowledge base, each building the directory, the policy and the attempt's evidence the way
//! the registration flow records them, then asserting the question, the code and the fix. Text output is
//! snapshot-tested (`UPDATE_EXPECT=1` refreshes the snapshots).

use super::fixtures::*;
use std::collections::BTreeSet;

use time::Duration;

use super::knowledge;
use super::*;
use crate::codes::{Code, Question};
use crate::directory::UserType;
use crate::ids::GroupId;
use crate::metadata::{Entry, Status as MdsStatus, StatusReport};
use crate::platform::{CeremonyPath, ClientReport};
use crate::policy::{EnforcementType, State};
use crate::registration::{AttestationFormat, AttestationType, Facts, Trust};
use crate::session::Method;

/// A row of the table: the scenario, and the question, code, first fix and first failure mode expected.
struct Case {
    name: &'static str,
    arrange: fn(&mut Scenario),
    question: u8,
    code: Code,
    fix: Action,
    mode: Option<&'static str>,
}

#[track_caller]
fn check(case: &Case) {
    let mut scenario = Scenario::new();
    (case.arrange)(&mut scenario);
    let diagnosis = scenario.diagnose();
    let name = case.name;
    let failure = diagnosis
        .first_failure
        .unwrap_or_else(|| panic!("{name}: no question failed: {}", diagnosis.summary));
    assert_eq!(
        (failure.question.number(), failure.code),
        (case.question, case.code),
        "{name}: question and code"
    );
    let step = diagnosis.step(failure.question);
    assert_eq!(step.status, Status::Failed, "{name}");
    assert_eq!(
        step.failure_modes.first().map(|m| m.id.as_str()),
        case.mode,
        "{name}: first failure mode"
    );
    let fix = step.first_fix().unwrap_or_else(|| panic!("{name}: no fix"));
    assert_eq!(fix.action, case.fix, "{name}: fix ({})", fix.text);
    assert!(!fix.text.is_empty(), "{name}: fix text");
    for later in diagnosis.questions.iter().skip(usize::from(case.question)) {
        assert_eq!(
            later.status,
            Status::NotReached,
            "{name}: the walk stops at the first failure"
        );
    }
}

fn client_error(s: &mut Scenario, report: ClientReport) {
    s.client = Some(report);
}

/// Every denial code of the spine's four questions.
const CODE_CASES: &[Case] = &[
    // Question 1.
    Case {
        name: "method disabled",
        arrange: |s| s.policy.fido2.state = State::Disabled,
        question: 1,
        code: Code::PasskeyMethodDisabled,
        fix: Action::EnablePasskeyMethod,
        mode: None,
    },
    Case {
        name: "account disabled",
        arrange: |s| s.user.account_enabled = false,
        question: 1,
        code: Code::AccountDisabled,
        fix: Action::EnableAccount,
        mode: None,
    },
    Case {
        name: "guest",
        arrange: |s| s.user.user_type = UserType::Guest,
        question: 1,
        code: Code::GuestUserNotSupported,
        fix: Action::UseMemberAccount,
        mode: None,
    },
    Case {
        name: "excluded contractor",
        arrange: |s| {
            s.groups.insert(group(CONTRACTORS));
        },
        question: 1,
        code: Code::UserExcluded,
        fix: Action::UpdateTargeting,
        mode: None,
    },
    Case {
        name: "not in scope",
        arrange: |s| s.groups = [group(SALES)].into(),
        question: 1,
        code: Code::UserNotInPolicyScope,
        fix: Action::UpdateTargeting,
        mode: None,
    },
    Case {
        name: "self-service off",
        arrange: |s| s.policy.fido2.is_self_service_registration_allowed = false,
        question: 1,
        code: Code::SelfServiceRegistrationDisabled,
        fix: Action::AllowSelfService,
        mode: None,
    },
    // Question 2.
    Case {
        name: "stale strong authentication",
        arrange: |s| {
            s.session = Some((Method::Totp, 11));
            s.usable_methods = vec![Method::Totp];
        },
        question: 2,
        code: Code::ReauthenticationRequired,
        fix: Action::VerifyAgain,
        mode: None,
    },
    Case {
        name: "password only, no method",
        arrange: |s| {
            s.session = None;
            s.usable_methods = vec![];
        },
        question: 2,
        code: Code::NoUsableMfaMethod,
        fix: Action::IssueAccessPass,
        mode: None,
    },
    // Question 3.
    Case {
        name: "cancelled or timed out",
        arrange: |s| client_error(s, client("NotAllowedError", TIMED_OUT, WINDOWS, None)),
        question: 3,
        code: Code::CeremonyNotAllowed,
        fix: Action::Retry,
        mode: None,
    },
    Case {
        name: "aborted",
        arrange: |s| client_error(s, client("AbortError", "The operation was aborted.", WINDOWS, None)),
        question: 3,
        code: Code::CeremonyAborted,
        fix: Action::Retry,
        mode: None,
    },
    Case {
        name: "not supported",
        arrange: |s| client_error(s, client("NotSupportedError", "", MAC, None)),
        question: 3,
        code: Code::PlatformNotSupported,
        fix: Action::SwitchPlatformPath,
        mode: None,
    },
    Case {
        name: "security error",
        arrange: |s| {
            client_error(
                s,
                client(
                    "SecurityError",
                    "The relying party ID is not a registrable domain suffix",
                    MAC,
                    None,
                ),
            )
        },
        question: 3,
        code: Code::BrowserSecurityError,
        fix: Action::UseConfiguredOrigin,
        mode: None,
    },
    Case {
        name: "unexplained error",
        arrange: |s| client_error(s, client("UnknownError", "", MAC, None)),
        question: 3,
        code: Code::AuthenticatorError,
        fix: Action::Retry,
        mode: None,
    },
    Case {
        name: "u2f-only key",
        arrange: |s| {
            s.facts = Some(Facts {
                format: AttestationFormat::FidoU2f,
                ..facts(YUBIKEY)
            })
        },
        question: 3,
        code: Code::U2fOnlyAuthenticator,
        fix: Action::SwitchPlatformPath,
        mode: Some("security_key_u2f_only"),
    },
    Case {
        name: "no user verification",
        arrange: |s| {
            let mut f = facts(YUBIKEY);
            f.flags.user_verified = false;
            s.facts = Some(f);
            s.user_agent = LINUX;
        },
        question: 3,
        code: Code::UserVerificationNotPerformed,
        fix: Action::PreparePlatform,
        mode: None,
    },
    Case {
        name: "software key",
        arrange: |s| {
            s.rejection = Some(Code::KeyNotHardwareBacked);
            s.user_agent = ANDROID_14;
        },
        question: 3,
        code: Code::KeyNotHardwareBacked,
        fix: Action::SwitchPlatformPath,
        mode: Some("android_keystore_not_hardware_backed"),
    },
    Case {
        name: "unsupported algorithm",
        arrange: |s| s.rejection = Some(Code::UnsupportedAlgorithm),
        question: 3,
        code: Code::UnsupportedAlgorithm,
        fix: Action::SwitchPlatformPath,
        mode: None,
    },
    Case {
        name: "authenticator already holds a credential (browser)",
        arrange: |s| {
            client_error(
                s,
                client(
                    "InvalidStateError",
                    "The user attempted to register an authenticator that contains one of the credentials already registered",
                    MAC,
                    None,
                ),
            )
        },
        question: 3,
        code: Code::CredentialAlreadyRegistered,
        fix: Action::UseExistingPasskey,
        mode: None,
    },
    // Question 4.
    Case {
        name: "synced passkey under a device-bound profile",
        arrange: |s| {
            let mut f = facts(YUBIKEY);
            f.flags.backup_eligible = true;
            s.facts = Some(f);
        },
        question: 4,
        code: Code::PasskeyTypeNotAllowed,
        fix: Action::SteerToAllowedAuthenticator,
        mode: None,
    },
    Case {
        name: "no attestation under an attested profile",
        arrange: |s| s.groups = [group(ADMINS)].into(),
        question: 4,
        code: Code::AttestationRequired,
        fix: Action::SteerToAllowedAuthenticator,
        mode: None,
    },
    Case {
        name: "attestation from an unknown root",
        arrange: |s| {
            s.groups = [group(ADMINS)].into();
            s.facts = Some(Facts {
                format: AttestationFormat::Packed,
                attestation_type: AttestationType::Basic,
                trust: Trust::Untrusted {
                    reason: "the chain ends at a root the metadata does not list".into(),
                },
                ..facts(YUBIKEY)
            });
        },
        question: 4,
        code: Code::AttestationUntrusted,
        fix: Action::SteerToAllowedAuthenticator,
        mode: None,
    },
    Case {
        name: "aaguid not on the allow list",
        arrange: |s| s.facts = Some(facts(FEITIAN)),
        question: 4,
        code: Code::AaguidNotAllowed,
        fix: Action::AddAaguid,
        mode: None,
    },
    Case {
        name: "aaguid on the block list",
        arrange: |s| {
            s.policy.fido2.passkey_profiles[0].key_restrictions.enforcement_type = EnforcementType::Block;
        },
        question: 4,
        code: Code::AaguidBlocked,
        fix: Action::SteerToAllowedAuthenticator,
        mode: None,
    },
    Case {
        name: "revoked model",
        arrange: |s| {
            s.catalog.entries.insert(
                aaguid(YUBIKEY),
                Entry {
                    aaguid: aaguid(YUBIKEY),
                    description: "YubiKey 5 Series".into(),
                    status_reports: vec![StatusReport {
                        status: MdsStatus::Revoked,
                        effective_date: None,
                        authenticator_version: None,
                        certificate_number: None,
                    }],
                    ..Default::default()
                },
            );
        },
        question: 4,
        code: Code::AuthenticatorStatusRevoked,
        fix: Action::ReplaceAuthenticator,
        mode: None,
    },
    Case {
        name: "credential already registered (at commit)",
        arrange: |s| s.commit_conflict = true,
        question: 4,
        code: Code::CredentialAlreadyRegistered,
        fix: Action::UseExistingPasskey,
        mode: None,
    },
];

/// Every platform failure mode the playbook names, each recognised from its evidence.
const MODE_CASES: &[Case] = &[
    Case {
        name: "Windows Hello: TPM not ready",
        arrange: |s| {
            let mut report = client(
                "NotSupportedError",
                "The device that is required by this cryptographic provider is not ready for use (NTE_DEVICE_NOT_READY)",
                WINDOWS,
                Some(CeremonyPath::ThisDevice),
            );
            report.user_verifying_platform_authenticator_available = Some(true);
            client_error(s, report);
        },
        question: 3,
        code: Code::PlatformNotSupported,
        fix: Action::PreparePlatform,
        mode: Some("windows_hello_tpm_not_ready"),
    },
    Case {
        name: "Windows Hello: no PIN",
        arrange: |s| {
            let mut report = client("NotAllowedError", TIMED_OUT, WINDOWS, Some(CeremonyPath::ThisDevice));
            report.user_verifying_platform_authenticator_available = Some(false);
            client_error(s, report);
        },
        question: 3,
        code: Code::CeremonyNotAllowed,
        fix: Action::PreparePlatform,
        mode: Some("windows_hello_no_pin"),
    },
    Case {
        name: "Windows Hello: AAGUID not allowlisted",
        arrange: |s| {
            s.facts = Some(Facts {
                transports: vec!["internal".into()],
                ..facts(HELLO)
            });
        },
        question: 4,
        code: Code::AaguidNotAllowed,
        fix: Action::AddAaguid,
        mode: Some("windows_hello_aaguid_not_allowed"),
    },
    Case {
        name: "Windows Hello: attestation required but none given",
        arrange: |s| {
            s.groups = [group(ADMINS)].into();
            s.facts = Some(Facts {
                transports: vec!["internal".into()],
                ..facts(HELLO)
            });
        },
        question: 4,
        code: Code::AttestationRequired,
        fix: Action::RelaxAttestation,
        mode: Some("windows_hello_attestation_unsupported"),
    },
    Case {
        name: "iOS: Bluetooth off in the cross-device flow",
        arrange: |s| {
            let mut report = client("NotAllowedError", TIMED_OUT, WINDOWS, Some(CeremonyPath::Phone));
            report.client_capabilities.insert("hybridTransport".into(), true);
            client_error(s, report);
        },
        question: 3,
        code: Code::CeremonyNotAllowed,
        fix: Action::PreparePlatform,
        mode: Some("cross_device_bluetooth_off"),
    },
    Case {
        name: "iOS: iCloud Keychain instead of the work passkey",
        arrange: |s| {
            let mut f = facts(ICLOUD);
            f.flags.backup_eligible = true;
            f.flags.backup_state = true;
            s.facts = Some(f);
            s.user_agent = IPHONE;
        },
        question: 4,
        code: Code::PasskeyTypeNotAllowed,
        fix: Action::SwitchPlatformPath,
        mode: Some("ios_icloud_keychain_instead_of_work_passkey"),
    },
    Case {
        name: "iOS: Authenticator too old",
        arrange: |s| {
            client_error(
                s,
                client(
                    "NotSupportedError",
                    "Update Microsoft Authenticator to create passkeys",
                    IPHONE,
                    Some(CeremonyPath::ThisDevice),
                ),
            )
        },
        question: 3,
        code: Code::PlatformNotSupported,
        fix: Action::PreparePlatform,
        mode: Some("ios_authenticator_app_too_old"),
    },
    Case {
        name: "Android: keystore not hardware-backed",
        arrange: |s| {
            s.groups = [group(ADMINS)].into();
            s.user_agent = ANDROID_14;
            s.facts = Some(Facts {
                format: AttestationFormat::AndroidKey,
                attestation_type: AttestationType::Basic,
                trust: Trust::Untrusted {
                    reason: "the key is not in a TEE or StrongBox".into(),
                },
                hardware_backed: Some(false),
                ..facts(FEITIAN)
            });
        },
        question: 4,
        code: Code::AttestationUntrusted,
        fix: Action::SwitchPlatformPath,
        mode: Some("android_keystore_not_hardware_backed"),
    },
    Case {
        name: "Android: several Google accounts in the chooser",
        arrange: |s| {
            let mut f = facts(GOOGLE_PM);
            f.flags.backup_eligible = true;
            s.facts = Some(f);
            s.user_agent = ANDROID_14;
        },
        question: 4,
        code: Code::PasskeyTypeNotAllowed,
        fix: Action::SwitchPlatformPath,
        mode: Some("android_several_google_accounts"),
    },
    Case {
        name: "Android: below the minimum version",
        arrange: |s| {
            client_error(
                s,
                client("NotAllowedError", TIMED_OUT, ANDROID_12, Some(CeremonyPath::ThisDevice)),
            )
        },
        question: 3,
        code: Code::CeremonyNotAllowed,
        fix: Action::PreparePlatform,
        mode: Some("android_version_below_minimum"),
    },
    Case {
        name: "security key: U2F only (from the browser)",
        arrange: |s| {
            client_error(
                s,
                client(
                    "NotSupportedError",
                    "The security key does not support resident keys (U2F only)",
                    LINUX,
                    Some(CeremonyPath::SecurityKey),
                ),
            )
        },
        question: 3,
        code: Code::PlatformNotSupported,
        fix: Action::SwitchPlatformPath,
        mode: Some("security_key_u2f_only"),
    },
    Case {
        name: "security key: no USB permission",
        arrange: |s| {
            client_error(
                s,
                client("NotAllowedError", TIMED_OUT, LINUX, Some(CeremonyPath::SecurityKey)),
            )
        },
        question: 3,
        code: Code::CeremonyNotAllowed,
        fix: Action::PreparePlatform,
        mode: Some("security_key_no_usb_nfc_permission"),
    },
    Case {
        name: "security key: AAGUID not allowlisted",
        arrange: |s| {
            s.facts = Some(Facts {
                transports: vec!["nfc".into(), "usb".into()],
                ..facts(FEITIAN)
            });
        },
        question: 4,
        code: Code::AaguidNotAllowed,
        fix: Action::AddAaguid,
        mode: Some("security_key_aaguid_not_allowed"),
    },
    Case {
        name: "no platform authenticator",
        arrange: |s| {
            let mut report = client("NotSupportedError", "", MAC, Some(CeremonyPath::ThisDevice));
            report.user_verifying_platform_authenticator_available = Some(false);
            client_error(s, report);
        },
        question: 3,
        code: Code::PlatformNotSupported,
        fix: Action::SwitchPlatformPath,
        mode: Some("platform_authenticator_unavailable"),
    },
];

#[test]
fn every_denial_code_is_diagnosed_with_its_question_and_fix() {
    for case in CODE_CASES {
        check(case);
    }
}

#[test]
fn every_platform_failure_mode_is_recognised_from_its_evidence() {
    for case in MODE_CASES {
        check(case);
    }
}

#[test]
fn the_tables_cover_every_question_code_and_every_failure_mode() {
    let codes: BTreeSet<Code> = CODE_CASES.iter().map(|c| c.code).collect();
    for code in Code::ALL.iter().filter(|c| c.question().is_some()) {
        assert!(codes.contains(code), "no scenario for {code}");
    }
    let modes: BTreeSet<&str> = MODE_CASES.iter().filter_map(|c| c.mode).collect();
    for mode in knowledge::failure_modes() {
        assert!(
            modes.contains(mode.id.as_str()),
            "no scenario for failure mode {}",
            mode.id
        );
    }
}

#[test]
fn a_successful_attempt_passes_every_question() {
    let diagnosis = Scenario::new().diagnose();
    assert_eq!(diagnosis.first_failure, None);
    assert!(
        diagnosis.questions.iter().all(|s| s.status == Status::Passed),
        "{diagnosis:#?}"
    );
    assert!(diagnosis.summary.contains("succeeded"), "{}", diagnosis.summary);
}

#[test]
fn now_a_user_outside_every_include_target_is_told_to_update_targeting() {
    let mut now = Now::new();
    now.groups = [group(SALES)].into();
    let diagnosis = now.diagnose();
    let step = diagnosis.step(Question::Eligible);
    assert_eq!(step.code, Some(Code::UserNotInPolicyScope));
    let fix = step.first_fix().expect("a fix");
    assert_eq!(fix.action, Action::UpdateTargeting);
    assert!(fix.text.contains("Pilot, Admins"), "{}", fix.text);
    assert!(diagnosis.profiles.is_empty());
}

#[test]
fn now_a_user_without_methods_is_told_to_get_a_pass() {
    let mut now = Now::new();
    now.access_pass = Some(pass(NOW - Duration::hours(3), 60));
    let diagnosis = now.diagnose();
    let step = diagnosis.step(Question::RecentlyVerified);
    assert_eq!(step.code, Some(Code::NoUsableMfaMethod));
    assert!(step.finding.contains("Expired"), "{}", step.finding);
    let fix = step.first_fix().expect("a fix");
    assert_eq!(fix.action, Action::IssueAccessPass);
    assert!(
        fix.text.contains("keywarden tap issue bob@contoso.com --once"),
        "{}",
        fix.text
    );
}

#[test]
fn now_a_user_with_a_usable_pass_can_register_with_what_the_profiles_accept() {
    let mut now = Now::new();
    now.access_pass = Some(pass(NOW - Duration::minutes(5), 60));
    let diagnosis = now.diagnose();
    assert_eq!(diagnosis.first_failure, None);
    assert_eq!(diagnosis.step(Question::RecentlyVerified).status, Status::Passed);
    assert_eq!(diagnosis.step(Question::PlatformCanHost).status, Status::Unknown);
    assert_eq!(diagnosis.step(Question::AuthenticatorAccepted).status, Status::Unknown);
    assert_eq!(diagnosis.profiles.len(), 1);
    assert!(
        diagnosis.profiles[0]
            .accepts
            .iter()
            .any(|a| a.contains("YubiKey 5 Series (ee882879")),
        "{:?}",
        diagnosis.profiles[0].accepts
    );
    assert!(
        diagnosis.summary.contains("can register a passkey now"),
        "{}",
        diagnosis.summary
    );
}

#[test]
fn now_reads_the_platform_from_the_last_ceremony_and_the_authenticator_against_todays_profiles() {
    let mut refused = Scenario::new();
    refused.facts = Some(facts(FEITIAN));
    let mut cancelled = Scenario::new();
    cancelled.client = Some(client(
        "NotAllowedError",
        TIMED_OUT,
        LINUX,
        Some(CeremonyPath::SecurityKey),
    ));
    let mut now = Now::new();
    now.totp = true;
    now.attempts = vec![refused.record()];
    let diagnosis = now.diagnose();
    assert_eq!(diagnosis.step(Question::PlatformCanHost).status, Status::Passed);
    let q4 = diagnosis.step(Question::AuthenticatorAccepted);
    assert_eq!(q4.code, Some(Code::AaguidNotAllowed));
    assert!(
        q4.fixes[0].text.contains("Feitian ePass FIDO2-NFC (ee041bce"),
        "{}",
        q4.fixes[0].text
    );
    assert!(q4.fixes[1].text.contains("YubiKey 5 Series"), "{}", q4.fixes[1].text);

    // Adding the AAGUID today makes the same authenticator acceptable now.
    now.policy.fido2.passkey_profiles[0]
        .key_restrictions
        .aa_guids
        .push(aaguid(FEITIAN));
    assert_eq!(now.diagnose().first_failure, None);

    // A newer failed ceremony decides question 3.
    now.attempts.insert(0, cancelled.record());
    let diagnosis = now.diagnose();
    let q3 = diagnosis.step(Question::PlatformCanHost);
    assert_eq!(q3.code, Some(Code::CeremonyNotAllowed));
    assert_eq!(q3.failure_modes[0].id, "security_key_no_usb_nfc_permission");
}

#[test]
fn an_attempt_refused_yesterday_would_pass_once_the_aaguid_is_allowed() {
    let mut scenario = Scenario::new();
    scenario.facts = Some(facts(FEITIAN));
    let mut today = policy();
    today.fido2.passkey_profiles[0]
        .key_restrictions
        .aa_guids
        .push(aaguid(FEITIAN));
    let diagnosis = diagnose_with_today(&scenario, &today, &scenario.groups);
    assert_eq!(diagnosis.first_failure.map(|f| f.code), Some(Code::AaguidNotAllowed));
    let today = diagnosis.today.expect("re-evaluated");
    assert!(today.changed);
    assert_eq!(today.first_failure, None);
    assert_eq!(
        today.summary,
        "Under today's policy (version 2) questions 1 and 4 would pass."
    );
}

#[test]
fn an_attempt_that_succeeded_would_be_refused_once_the_user_is_excluded() {
    let scenario = Scenario::new();
    let groups: BTreeSet<GroupId> = [group(PILOT), group(CONTRACTORS)].into();
    let diagnosis = diagnose_with_today(&scenario, &policy(), &groups);
    let today = diagnosis.today.expect("re-evaluated");
    assert!(today.changed);
    assert_eq!(today.first_failure.map(|f| f.code), Some(Code::UserExcluded));
    assert!(today.accepted.is_none(), "question 4 is not reached today");
}

#[test]
fn an_unchanged_policy_gives_the_same_answer() {
    let mut scenario = Scenario::new();
    scenario.facts = Some(facts(FEITIAN));
    let diagnosis = diagnose_with_today(&scenario, &policy(), &scenario.groups);
    let today = diagnosis.today.expect("re-evaluated");
    assert!(!today.changed, "{}", today.summary);
}

// ---------------------------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn a_diagnosis_serialises_to_json_with_numbered_questions_and_snake_case_fixes() {
    let mut now = Now::new();
    now.groups = [group(SALES)].into();
    let json = serde_json::to_value(now.diagnose()).expect("serialises");
    assert_eq!(json["questions"][0]["question"], 1);
    assert_eq!(json["questions"][0]["status"], "failed");
    assert_eq!(json["questions"][0]["code"], "user_not_in_policy_scope");
    assert_eq!(json["questions"][0]["fixes"][0]["action"], "update_targeting");
    assert_eq!(json["questions"][0]["evidence"]["kind"], "eligibility");
    assert_eq!(json["questions"][1]["status"], "notReached");
    assert_eq!(json["subject"]["kind"], "now");
    assert_eq!(json["subject"]["at"], "2026-11-25T12:00:00Z");
    assert_eq!(json["firstFailure"]["question"], 1);
}
