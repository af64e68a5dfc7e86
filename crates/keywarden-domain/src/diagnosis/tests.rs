//! Table-driven tests of the diagnosis: one scenario per denial code of the four questions and per platform
//! failure mode of the knowledge base, each building the directory, the policy and the attempt's evidence the way
//! the registration flow records them, then asserting the question, the code and the fix. Text output is
//! snapshot-tested (`UPDATE_EXPECT=1` refreshes the snapshots).

use std::collections::{BTreeMap, BTreeSet};

use expect_test::{Expect, expect};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::knowledge;
use super::*;
use crate::access_pass::AccessPass;
use crate::codes::{Code, Question};
use crate::directory::{User, UserType};
use crate::ids::{Aaguid, AttemptId, GroupId, MethodId, UserId};
use crate::metadata::{Catalog, Entry, Status as MdsStatus, StatusReport};
use crate::platform::{CeremonyPath, ClientReport, answer_client_error, answer_from_facts};
use crate::policy::evaluate::{Member, RegistrationPath, acceptance, applicable_profiles, eligibility};
use crate::policy::{
    AttestationEnforcement, EnforcementType, ExcludeTarget, KeyRestrictions, PasskeyProfile, PasskeyTarget,
    PasskeyTypes, Policy, State, TargetType,
};
use crate::registration::{
    Answer, AttestationFormat, AttestationType, Evidence, Facts, Flags, RecencyInput, Status as AttemptStatus, Trust,
    recently_verified,
};
use crate::session::{Authentication, Method, PassUse};

const NOW: OffsetDateTime = datetime!(2026-11-25 12:00 UTC);

const YUBIKEY: &str = "ee882879-721c-4913-9775-3dfcce97072a";
const FEITIAN: &str = "ee041bce-25e5-4cdb-8f86-897fd6418464";
const ICLOUD: &str = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";
const GOOGLE_PM: &str = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4";
const HELLO: &str = "08987058-cadc-4b81-b6e1-30de50dcbe96";

const WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";
const MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.1 Safari/605.1.15";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
const ANDROID_14: &str =
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36";
const ANDROID_12: &str =
    "Mozilla/5.0 (Linux; Android 12; SM-A125F) AppleWebKit/537.36 Chrome/99.0 Mobile Safari/537.36";
const LINUX: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";
const TIMED_OUT: &str = "The operation either timed out or was not allowed.";

fn aaguid(s: &str) -> Aaguid {
    s.parse().expect("test AAGUID")
}

fn group(n: u128) -> GroupId {
    GroupId(Uuid::from_u128(n))
}

const PILOT: u128 = 0x1;
const ADMINS: u128 = 0xa;
const CONTRACTORS: u128 = 0xc;
const SALES: u128 = 0x5;

fn group_names() -> BTreeMap<GroupId, String> {
    [
        (PILOT, "Pilot"),
        (ADMINS, "Admins"),
        (CONTRACTORS, "Contractors"),
        (SALES, "Sales"),
    ]
    .into_iter()
    .map(|(n, name)| (group(n), name.to_string()))
    .collect()
}

fn bob() -> User {
    User {
        id: UserId(Uuid::from_u128(0xb0b)),
        user_principal_name: "bob@contoso.com".into(),
        display_name: "Bob".into(),
        user_type: UserType::Member,
        account_enabled: true,
        roles: vec![],
    }
}

fn profile(id: &str, name: &str, types: PasskeyTypes, attestation: AttestationEnforcement) -> PasskeyProfile {
    PasskeyProfile {
        id: id.into(),
        name: name.into(),
        passkey_types: types,
        attestation_enforcement: attestation,
        key_restrictions: KeyRestrictions::none(),
        is_sha1_tpm_attestation_allowed: true,
    }
}

/// Pilot: YubiKeys only (device-bound, allow list). Admins: attested device-bound. Contractors: excluded.
fn policy() -> Policy {
    let mut policy = Policy::default();
    let fido2 = &mut policy.fido2;
    fido2.state = State::Enabled;
    let mut yubikeys = profile(
        "yubikeys",
        "YubiKeys",
        PasskeyTypes::DEVICE_BOUND,
        AttestationEnforcement::Disabled,
    );
    yubikeys.key_restrictions = KeyRestrictions {
        is_enforced: true,
        enforcement_type: EnforcementType::Allow,
        aa_guids: vec![aaguid(YUBIKEY)],
        authenticator_groups: vec![],
    };
    fido2.passkey_profiles = vec![
        yubikeys,
        profile(
            "attested",
            "Attested device-bound",
            PasskeyTypes::DEVICE_BOUND,
            AttestationEnforcement::RegistrationOnly,
        ),
    ];
    fido2.default_passkey_profile = "yubikeys".into();
    fido2.include_targets = vec![
        PasskeyTarget {
            id: group(PILOT).to_string(),
            target_type: TargetType::Group,
            is_registration_required: false,
            allowed_passkey_profiles: vec!["yubikeys".into()],
        },
        PasskeyTarget {
            id: group(ADMINS).to_string(),
            target_type: TargetType::Group,
            is_registration_required: false,
            allowed_passkey_profiles: vec!["attested".into()],
        },
    ];
    fido2.exclude_targets = vec![ExcludeTarget {
        id: group(CONTRACTORS).to_string(),
        target_type: TargetType::Group,
    }];
    policy
}

fn catalog() -> Catalog {
    let mut catalog = Catalog::default();
    for (a, name) in [
        (YUBIKEY, "YubiKey 5 Series"),
        (FEITIAN, "Feitian ePass FIDO2-NFC"),
        (ICLOUD, "iCloud Keychain"),
        (GOOGLE_PM, "Google Password Manager"),
        (HELLO, "Windows Hello Hardware Authenticator"),
    ] {
        catalog.fallback_names.insert(aaguid(a), name.to_string());
    }
    catalog
}

fn facts(aaguid_text: &str) -> Facts {
    Facts {
        format: AttestationFormat::None,
        aaguid: aaguid(aaguid_text),
        model: None,
        attestation_type: AttestationType::None,
        trust: Trust::Absent,
        certificate_thumbprints: vec![],
        flags: Flags {
            user_present: true,
            user_verified: true,
            backup_eligible: false,
            backup_state: false,
        },
        sign_count: 0,
        algorithm: -7,
        transports: vec![],
        sha1_signature: false,
        hardware_backed: None,
        notes: vec![],
    }
}

fn client(name: &str, message: &str, user_agent: &str, path: Option<CeremonyPath>) -> ClientReport {
    ClientReport {
        name: name.into(),
        message: message.into(),
        user_agent: Some(user_agent.into()),
        path,
        ..ClientReport::default()
    }
}

/// Everything one registration attempt is made of; `record` runs the spine's questions on it in the order the
/// registration flow does and records what the flow would.
struct Scenario {
    user: User,
    groups: BTreeSet<GroupId>,
    policy: Policy,
    catalog: Catalog,
    /// The session's strong authentication: method and how many minutes ago.
    session: Option<(Method, i64)>,
    one_time_pass: bool,
    usable_methods: Vec<Method>,
    client: Option<ClientReport>,
    /// A rejection of the response that `keywarden-webauthn` attributes to question 3.
    rejection: Option<Code>,
    facts: Option<Facts>,
    /// The registration was refused at commit (a duplicate credential).
    commit_conflict: bool,
    user_agent: &'static str,
}

impl Scenario {
    fn new() -> Scenario {
        Scenario {
            user: bob(),
            groups: [group(PILOT)].into(),
            policy: policy(),
            catalog: catalog(),
            session: Some((Method::TemporaryAccessPass, 1)),
            one_time_pass: false,
            usable_methods: vec![Method::TemporaryAccessPass],
            client: None,
            rejection: None,
            facts: Some(facts(YUBIKEY)),
            commit_conflict: false,
            user_agent: WINDOWS,
        }
    }

    fn member(&self) -> Member<'_> {
        Member {
            user: &self.user,
            groups: &self.groups,
        }
    }

    fn record(&self) -> AttemptRecord {
        let mut evidence = Evidence::default();
        let mut record = AttemptRecord {
            id: AttemptId(Uuid::from_u128(0xa77e)),
            started_at: NOW - Duration::minutes(2),
            finished_at: Some(NOW - Duration::minutes(1)),
            status: AttemptStatus::Failed,
            outcome: None,
            policy_version: 1,
            on_behalf: false,
            evidence: Evidence::default(),
            facts: None,
            client_report: None,
            user_agent: Some(self.user_agent.into()),
        };
        let q1 = eligibility(&self.policy.fido2, self.member(), RegistrationPath::SelfService);
        let q1_passed = q1.passed();
        evidence.eligible = Some(q1);
        if q1_passed {
            let mut authentication = Authentication::default();
            if let Some((method, minutes)) = self.session {
                authentication.record(Method::Password, NOW - Duration::minutes(minutes + 1), None);
                authentication.record(method, NOW - Duration::minutes(minutes), None);
                if method == Method::TemporaryAccessPass {
                    authentication.access_pass = Some(PassUse {
                        method_id: MethodId(Uuid::from_u128(7)),
                        is_usable_once: self.one_time_pass,
                        signed_in_at: NOW - Duration::minutes(minutes),
                    });
                }
            } else {
                authentication.record(Method::Password, NOW - Duration::minutes(1), None);
            }
            let input = RecencyInput {
                verified_party: &self.user.user_principal_name,
                authentication: Some(&authentication),
                window: Duration::minutes(10),
                usable_methods: self.usable_methods.iter().copied().collect(),
            };
            evidence.recently_verified = Some(recently_verified(&input, NOW));
        }
        let begun = evidence.first_failure().is_none();
        if begun && let Some(report) = &self.client {
            evidence.platform = Some(answer_client_error(report.clone()));
            record.client_report = Some(report.clone());
        } else if begun && let Some(code) = self.rejection {
            let mut answer = Answer::fail(code, Default::default());
            answer.question = Question::PlatformCanHost;
            evidence.platform = Some(answer);
        } else if begun && let Some(facts) = &self.facts {
            record.facts = Some(facts.clone());
            let q3 = answer_from_facts(facts);
            let q3_passed = q3.passed();
            evidence.platform = Some(q3);
            if q3_passed {
                let profiles = applicable_profiles(&self.policy.fido2, self.member());
                let q4 = acceptance(&profiles, facts, self.catalog.entry(&facts.aaguid));
                evidence.accepted = Some(q4);
            }
        }
        record.outcome = evidence.first_failure().map(|(_, code)| code);
        if self.commit_conflict && record.outcome.is_none() {
            record.outcome = Some(Code::CredentialAlreadyRegistered);
        }
        if record.outcome.is_none() {
            record.status = AttemptStatus::Succeeded;
        }
        record.evidence = evidence;
        record
    }

    fn diagnose(&self) -> Diagnosis {
        let names = group_names();
        let directory = Directory {
            user: &self.user,
            memberships: &self.groups,
            group_names: &names,
        };
        let policy = PolicyInForce {
            version: 1,
            policy: &self.policy,
            window: Duration::minutes(10),
        };
        diagnose_attempt(&directory, &self.record(), &policy, &policy, &self.catalog)
    }
}

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

// ---------------------------------------------------------------------------------------------------------------
// Now
// ---------------------------------------------------------------------------------------------------------------

struct Now {
    user: User,
    groups: BTreeSet<GroupId>,
    policy: Policy,
    totp: bool,
    passkeys: Vec<crate::passkey::Passkey>,
    access_pass: Option<AccessPass>,
    attempts: Vec<AttemptRecord>,
}

impl Now {
    fn new() -> Now {
        Now {
            user: bob(),
            groups: [group(PILOT)].into(),
            policy: policy(),
            totp: false,
            passkeys: vec![],
            access_pass: None,
            attempts: vec![],
        }
    }

    fn diagnose(&self) -> Diagnosis {
        let names = group_names();
        let directory = Directory {
            user: &self.user,
            memberships: &self.groups,
            group_names: &names,
        };
        let policy = PolicyInForce {
            version: 3,
            policy: &self.policy,
            window: Duration::minutes(10),
        };
        let methods = Methods {
            has_password: true,
            totp: self.totp,
            passkeys: &self.passkeys,
            access_pass: self.access_pass.as_ref(),
        };
        diagnose_now(&directory, &policy, &methods, &self.attempts, &catalog(), NOW)
    }
}

fn pass(start: OffsetDateTime, lifetime: u32) -> AccessPass {
    AccessPass {
        id: MethodId(Uuid::from_u128(9)),
        user_id: bob().id,
        created_date_time: start,
        start_date_time: start,
        lifetime_in_minutes: lifetime,
        is_usable_once: true,
        used_date_time: None,
    }
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

// ---------------------------------------------------------------------------------------------------------------
// Today
// ---------------------------------------------------------------------------------------------------------------

fn diagnose_with_today(scenario: &Scenario, today_policy: &Policy, today_groups: &BTreeSet<GroupId>) -> Diagnosis {
    let names = group_names();
    let record = scenario.record();
    let then = PolicyInForce {
        version: 1,
        policy: &scenario.policy,
        window: Duration::minutes(10),
    };
    let today = PolicyInForce {
        version: 2,
        policy: today_policy,
        window: Duration::minutes(10),
    };
    let directory = Directory {
        user: &scenario.user,
        memberships: today_groups,
        group_names: &names,
    };
    diagnose_attempt(&directory, &record, &then, &today, &scenario.catalog)
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

fn check_text(actual: &str, expected: &Expect) {
    expected.assert_eq(actual);
}

#[test]
fn the_decision_tree_prints_for_the_help_desk_wall() {
    check_text(
        &render::tree(),
        &expect![[r#"
            The four-question decision tree. Start at question 1 and walk forward; stop at the first NO.
            `keywarden diagnose UPN` walks it for a user, `--attempt ID` for one registration attempt.

            [1] Is the user enabled for passkeys in the authentication methods policy?
                   NO  -> Method hidden or refused at begin.
                          codes: passkey_method_disabled, account_disabled, guest_user_not_supported, user_excluded, user_not_in_policy_scope, self_service_registration_disabled
                          Fix: update policy targeting (include the user, remove the exclusion), enable the method or self-service set up.
                   YES -> Continue.

            [2] Has the user satisfied strong authentication within the registration window?
                   NO  -> Refused at begin: the user must verify again.
                          codes: reauthentication_required, no_usable_mfa_method
                          Fix: ensure the user has at least one usable MFA method OR issue a Temporary Access Pass.
                   YES -> Continue.

            [3] Can the local platform host the credential type the user is creating?
                   NO  -> The browser ends the ceremony (Windows: "Your device does not support this option"; iOS and Android exit silently), or the response shows a key that cannot hold a passkey.
                          codes: ceremony_not_allowed, ceremony_aborted, platform_not_supported, browser_security_error, authenticator_error, u2f_only_authenticator, user_verification_not_performed, key_not_hardware_backed, unsupported_algorithm
                          Fix: switch platform path (security key, phone, paired device), or prepare the platform (PIN, Bluetooth, update).
                          Windows Hello: TPM unavailable or not ready; No Windows Hello PIN; Windows Hello AAGUID not on the allow list; Attestation required, and Windows Hello gives none.
                          iOS: iCloud Keychain used instead of the work passkey; Microsoft Authenticator (or iOS) too old; Bluetooth off in the cross-device flow.
                          Android: Android keystore not hardware-backed; Several Google accounts confuse the provider chooser; Android below the minimum version.
                          security key: U2F-only security key; Browser has no USB or NFC access to the key; Security key AAGUID not on the allow list.
                          any platform: No platform authenticator on this device.
                   YES -> Continue.

            [4] Does a passkey profile that applies to the user accept this authenticator?
                   NO  -> The ceremony completes locally; keywarden refuses to store the credential, with the code below (never a generic "we weren't able to add this method").
                          codes: passkey_type_not_allowed, attestation_required, attestation_untrusted, aaguid_not_allowed, aaguid_blocked, authenticator_status_revoked, credential_already_registered
                          Fix: update the passkey profile's AAGUID allow list, or relax the attestation requirement, or steer the user to an allowed authenticator.
                   YES -> Registration succeeds.
        "#]],
    );
}

#[test]
fn a_refused_user_now_renders_as_text() {
    let mut now = Now::new();
    now.groups = [group(SALES)].into();
    check_text(
        &render::diagnosis(&now.diagnose()),
        &expect![[r#"
        Passkey diagnosis for bob@contoso.com (Bob)
        Subject: now, under policy version 3
        bob@contoso.com cannot register a passkey now: question 1 fails (user_not_in_policy_scope).

        [1] Is the user enabled for passkeys in the authentication methods policy?
            NO (user_not_in_policy_scope): No include target of the passkey policy covers the user.
            evidence:
              passkey method: enabled; self-service set up: on; path: self-service
              account: enabled, member
              member of: Sales
              included by: none
              excluded by: none
              other include targets: Pilot (group), profiles: YubiKeys; Admins (group), profiles: Attested device-bound
            fix:
              update_targeting: Update policy targeting: add bob@contoso.com to an included group (Pilot, Admins), or include one of their groups or all_users.

        [2] Has the user satisfied strong authentication within the registration window?
            not reached

        [3] Can the local platform host the credential type the user is creating?
            not reached

        [4] Does a passkey profile that applies to the user accept this authenticator?
            not reached

        Profiles that apply: none
    "#]],
    );
}

#[test]
fn a_user_who_can_register_now_renders_as_text() {
    let mut now = Now::new();
    now.totp = true;
    now.access_pass = Some(pass(NOW - Duration::hours(3), 60));
    check_text(
        &render::diagnosis(&now.diagnose()),
        &expect![[r#"
        Passkey diagnosis for bob@contoso.com (Bob)
        Subject: now, under policy version 3
        bob@contoso.com can register a passkey now, with an authenticator that YubiKeys accepts.

        [1] Is the user enabled for passkeys in the authentication methods policy?
            YES: bob@contoso.com is covered by Pilot, is not excluded, and self-service set up is on.
            evidence:
              passkey method: enabled; self-service set up: on; path: self-service
              account: enabled, member
              member of: Pilot
              included by: Pilot (group), profiles: YubiKeys
              excluded by: none
              other include targets: Admins (group), profiles: Attested device-bound

        [2] Has the user satisfied strong authentication within the registration window?
            YES: bob@contoso.com can verify with softwareOath, then has 10 minutes to register.
            evidence:
              registration window: 10 minutes
              last strong authentication: none recorded
              usable methods: softwareOath
              authenticator app (TOTP): yes
              passkeys: 0 registered, 0 usable under today's policy
              temporary access pass: one-time, 2026-11-25T09:00:00Z to 2026-11-25T10:00:00Z; usable: no (Expired)

        [3] Can the local platform host the credential type the user is creating?
            unknown: No ceremony has been recorded yet: the platform's answer comes with the user's first attempt.

        [4] Does a passkey profile that applies to the user accept this authenticator?
            unknown: Depends on the authenticator the user chooses: see what the profiles that apply accept.

        Profiles that apply:
          YubiKeys (yubikeys): device-bound passkeys only; attestation not required: the AAGUID and passkey type are the authenticator's own claims; only these authenticators: YubiKey 5 Series (ee882879-721c-4913-9775-3dfcce97072a)
    "#]],
    );
}

#[test]
fn a_failed_windows_hello_attempt_renders_as_text() {
    let mut scenario = Scenario::new();
    scenario.facts = Some(Facts {
        transports: vec!["internal".into(), "hybrid".into()],
        ..facts(HELLO)
    });
    let mut today = policy();
    today.fido2.passkey_profiles[0]
        .key_restrictions
        .aa_guids
        .push(aaguid(HELLO));
    let diagnosis = diagnose_with_today(&scenario, &today, &scenario.groups);
    check_text(
        &render::diagnosis(&diagnosis),
        &expect![[r#"
        Passkey diagnosis for bob@contoso.com (Bob)
        Subject: attempt 00000000-0000-0000-0000-00000000a77e, begun 2026-11-25T11:58:00Z, failed (aaguid_not_allowed), under policy version 1 (in force at the time)
        Attempt 00000000-0000-0000-0000-00000000a77e at 2026-11-25T11:58:00Z failed at question 4 (aaguid_not_allowed).

        [1] Is the user enabled for passkeys in the authentication methods policy?
            YES: bob@contoso.com is covered by Pilot, is not excluded, and self-service set up is on.
            evidence:
              passkey method: enabled; self-service set up: on; path: self-service
              account: enabled, member
              included by: Pilot (group), profiles: YubiKeys
              excluded by: none
              other include targets: Admins (group), profiles: Attested device-bound

        [2] Has the user satisfied strong authentication within the registration window?
            YES: bob@contoso.com verified with temporaryAccessPass at 2026-11-25T11:59:00Z, within the 10-minute window.
            evidence:
              registration window: 10 minutes
              verified party: bob@contoso.com
              last strong authentication: temporaryAccessPass at 2026-11-25T11:59:00Z (recent until 2026-11-25T12:09:00Z)
              usable methods: temporaryAccessPass

        [3] Can the local platform host the credential type the user is creating?
            YES: The ceremony completed: no attestation, user verified: yes.
            evidence:
              from attempt 00000000-0000-0000-0000-00000000a77e at 2026-11-25T11:59:00Z
              client: Windows (Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36)
              response: no attestation; user verified: yes; hardware-backed key: not stated

        [4] Does a passkey profile that applies to the user accept this authenticator?
            NO (aaguid_not_allowed): Windows Hello Hardware Authenticator (08987058-cadc-4b81-b6e1-30de50dcbe96) is refused: 08987058-cadc-4b81-b6e1-30de50dcbe96 is not on YubiKeys's allow list (1 AAGUIDs).
            evidence:
              authenticator: Windows Hello Hardware Authenticator (08987058-cadc-4b81-b6e1-30de50dcbe96); device-bound; no attestation, notAttested; transports: internal, hybrid
              profile YubiKeys: refuses it, aaguid_not_allowed: 08987058-cadc-4b81-b6e1-30de50dcbe96 is not on YubiKeys's allow list (1 AAGUIDs)
              note: attestation was not verified, so the AAGUID 08987058-cadc-4b81-b6e1-30de50dcbe96 and the passkey type are the authenticator's own claims
            failure modes (knowledge base):
              windows_hello_aaguid_not_allowed [Windows Hello]: Windows Hello AAGUID not on the allow list
                why: The Windows passkey provider identifies itself with its own AAGUIDs (hardware TPM, VBS, software), not the TPM model. A profile with key restrictions refuses them unless they are listed explicitly.
                fix (add_aaguid): Add the Windows Hello AAGUIDs (08987058-cadc-4b81-b6e1-30de50dcbe96, 9ddd1817-af5a-4672-a2b9-3e3dd95000a9, 6028b017-b1d4-4c02-b4b3-afcdafc96bb2) to the profile's allow list, or steer the user to an allowed authenticator.
                source: playbook: Windows 11 + Windows Hello, "AAGUID for Windows Hello passkey provider not allowlisted"; entra-model.md section 7
            fix:
              add_aaguid: Add Windows Hello Hardware Authenticator (08987058-cadc-4b81-b6e1-30de50dcbe96) to the allow list of YubiKeys.
              steer_to_allowed_authenticator: Or steer the user to an allowed authenticator: YubiKey 5 Series (ee882879-721c-4913-9775-3dfcce97072a).

        Profiles that apply (at the time):
          YubiKeys (yubikeys): device-bound passkeys only; attestation not required: the AAGUID and passkey type are the authenticator's own claims; only these authenticators: YubiKey 5 Series (ee882879-721c-4913-9775-3dfcce97072a)

        Today: Under today's policy (version 2) questions 1 and 4 would pass.
          [4] Does a passkey profile that applies to the user accept this authenticator?
              YES: Windows Hello Hardware Authenticator (08987058-cadc-4b81-b6e1-30de50dcbe96) is accepted by YubiKeys.
              evidence:
                authenticator: Windows Hello Hardware Authenticator (08987058-cadc-4b81-b6e1-30de50dcbe96); device-bound; no attestation, notAttested; transports: internal, hybrid
                profile YubiKeys: accepts it
                note: attestation was not verified, so the AAGUID 08987058-cadc-4b81-b6e1-30de50dcbe96 and the passkey type are the authenticator's own claims
    "#]],
    );
}

#[test]
fn a_cancelled_cross_device_attempt_renders_as_text() {
    let mut scenario = Scenario::new();
    let mut report = client("NotAllowedError", TIMED_OUT, WINDOWS, Some(CeremonyPath::Phone));
    report.client_capabilities.insert("hybridTransport".into(), true);
    report
        .client_capabilities
        .insert("userVerifyingPlatformAuthenticator".into(), true);
    scenario.client = Some(report);
    check_text(
        &render::diagnosis(&scenario.diagnose()),
        &expect![[r#"
        Passkey diagnosis for bob@contoso.com (Bob)
        Subject: attempt 00000000-0000-0000-0000-00000000a77e, begun 2026-11-25T11:58:00Z, failed (ceremony_not_allowed), under policy version 1 (in force at the time)
        Attempt 00000000-0000-0000-0000-00000000a77e at 2026-11-25T11:58:00Z failed at question 3 (ceremony_not_allowed).

        [1] Is the user enabled for passkeys in the authentication methods policy?
            YES: bob@contoso.com is covered by Pilot, is not excluded, and self-service set up is on.
            evidence:
              passkey method: enabled; self-service set up: on; path: self-service
              account: enabled, member
              included by: Pilot (group), profiles: YubiKeys
              excluded by: none
              other include targets: Admins (group), profiles: Attested device-bound

        [2] Has the user satisfied strong authentication within the registration window?
            YES: bob@contoso.com verified with temporaryAccessPass at 2026-11-25T11:59:00Z, within the 10-minute window.
            evidence:
              registration window: 10 minutes
              verified party: bob@contoso.com
              last strong authentication: temporaryAccessPass at 2026-11-25T11:59:00Z (recent until 2026-11-25T12:09:00Z)
              usable methods: temporaryAccessPass

        [3] Can the local platform host the credential type the user is creating?
            NO (ceremony_not_allowed): The browser ended the ceremony with NotAllowedError: the user cancelled, it timed out, or no authenticator answered.
            evidence:
              from attempt 00000000-0000-0000-0000-00000000a77e at 2026-11-25T11:59:00Z
              client: Windows (Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36)
              chosen path: a phone (cross-device)
              browser error: NotAllowedError: The operation either timed out or was not allowed.
              client capabilities: hybridTransport=true, userVerifyingPlatformAuthenticator=true
            failure modes (knowledge base):
              cross_device_bluetooth_off [iOS]: Bluetooth off in the cross-device flow
                why: Registering from a computer with the phone as the authenticator uses CTAP over caBLE (hybrid), which needs Bluetooth on both devices and the phone nearby. With Bluetooth off the ceremony hangs at the QR-code screen until it times out.
                fix (prepare_platform): Turn Bluetooth on, on the phone and the computer, keep the phone next to the computer and scan the QR code again; or register a passkey on this device instead.
                source: playbook: iOS + Microsoft Authenticator, "Bluetooth disabled during cross-device registration"
            fix:
              retry: Retry and complete the prompt (PIN, fingerprint or face, or touch the key).
              switch_platform_path: If no prompt appears, switch platform path: a security key, a phone, or this device.

        [4] Does a passkey profile that applies to the user accept this authenticator?
            not reached

        Profiles that apply (at the time):
          YubiKeys (yubikeys): device-bound passkeys only; attestation not required: the AAGUID and passkey type are the authenticator's own claims; only these authenticators: YubiKey 5 Series (ee882879-721c-4913-9775-3dfcce97072a)

        Today: Under today's policy (version 1) question 1 gives the same answer.
    "#]],
    );
}

#[test]
fn the_effective_policy_is_explained_in_plain_words() {
    let names = group_names();
    let user = bob();
    let groups: BTreeSet<GroupId> = [group(PILOT), group(SALES)].into();
    let directory = Directory {
        user: &user,
        memberships: &groups,
        group_names: &names,
    };
    let policy = policy();
    let in_force = PolicyInForce {
        version: 3,
        policy: &policy,
        window: Duration::minutes(10),
    };
    let explanation = explain(&directory, &in_force, &catalog());
    assert_eq!(explanation.eligibility, None);
    assert_eq!(explanation.profiles.len(), 1);
    check_text(
        &render::explanation(&explanation),
        &expect![[r#"
        Effective passkey policy for bob@contoso.com (Bob), policy version 3
        Eligible to register: yes

        - Passkeys (FIDO2) are enabled in the authentication methods policy; self-service set up is on.
        - bob@contoso.com belongs to Pilot, Sales.
        - Include target Pilot covers bob@contoso.com and allows YubiKeys.
        - No exclude target covers them.
        - A passkey is accepted when it satisfies this profile in full:
        - YubiKeys: device-bound passkeys only; attestation not required: the AAGUID and passkey type are the authenticator's own claims; only these authenticators: YubiKey 5 Series (ee882879-721c-4913-9775-3dfcce97072a).
        - Registration needs strong authentication in the last 10 minutes (10 after a one-time Temporary Access Pass).
        - bob@contoso.com may sign in with a Temporary Access Pass (one-time or multi-use, 60 to 480 minutes).
    "#]],
    );

    let excluded: BTreeSet<GroupId> = [group(PILOT), group(CONTRACTORS)].into();
    let directory = Directory {
        memberships: &excluded,
        ..directory
    };
    let explanation = explain(&directory, &in_force, &catalog());
    assert_eq!(explanation.eligibility, Some(Code::UserExcluded));
    assert!(explanation.profiles.is_empty());
    check_text(
        &render::explanation(&explanation),
        &expect![[r#"
        Effective passkey policy for bob@contoso.com (Bob), policy version 3
        Eligible to register: no (user_excluded)

        - Passkeys (FIDO2) are enabled in the authentication methods policy; self-service set up is on.
        - bob@contoso.com belongs to Pilot, Contractors.
        - Include target Pilot covers bob@contoso.com and allows YubiKeys.
        - Exclude target Contractors covers bob@contoso.com: exclusion wins over every include target, so bob@contoso.com can neither register nor sign in with a passkey.
        - No passkey profile applies, so no passkey is accepted.
        - Registration needs strong authentication in the last 10 minutes (10 after a one-time Temporary Access Pass).
        - bob@contoso.com may sign in with a Temporary Access Pass (one-time or multi-use, 60 to 480 minutes).
        - So bob@contoso.com cannot register a passkey: user_excluded (The user is in a group excluded from the passkey policy; exclusion wins over every include target.)
    "#]],
    );
}

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
