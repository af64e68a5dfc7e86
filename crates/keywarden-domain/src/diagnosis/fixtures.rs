//! Fixtures of the diagnosis's tests: a directory, a policy with several profiles, FIDO metadata, and the `Scenario`
//! of one registration attempt and the `Now` of a user today, built the way the registration flow records them.
//! Compiled for this crate's tests and, with the `fixtures` feature, for other crates' tests (the text rendering's,
//! in `keywarden-present`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::new_without_default,
    reason = "test fixtures"
)]

use std::collections::{BTreeMap, BTreeSet};

use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::*;
use crate::access_pass::AccessPass;
use crate::codes::{Code, Question};
use crate::directory::{User, UserType};
use crate::ids::{Aaguid, AttemptId, GroupId, MethodId, UserId};
use crate::metadata::Catalog;
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

pub const NOW: OffsetDateTime = datetime!(2026-11-25 12:00 UTC);

pub const YUBIKEY: &str = "ee882879-721c-4913-9775-3dfcce97072a";
pub const FEITIAN: &str = "ee041bce-25e5-4cdb-8f86-897fd6418464";
pub const ICLOUD: &str = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";
pub const GOOGLE_PM: &str = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4";
pub const HELLO: &str = "08987058-cadc-4b81-b6e1-30de50dcbe96";

pub const WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";
pub const MAC: &str =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.1 Safari/605.1.15";
pub const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
pub const ANDROID_14: &str =
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36";
pub const ANDROID_12: &str =
    "Mozilla/5.0 (Linux; Android 12; SM-A125F) AppleWebKit/537.36 Chrome/99.0 Mobile Safari/537.36";
pub const LINUX: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";
pub const TIMED_OUT: &str = "The operation either timed out or was not allowed.";

pub fn aaguid(s: &str) -> Aaguid {
    s.parse().expect("test AAGUID")
}

pub fn group(n: u128) -> GroupId {
    GroupId(Uuid::from_u128(n))
}

pub const PILOT: u128 = 0x1;
pub const ADMINS: u128 = 0xa;
pub const CONTRACTORS: u128 = 0xc;
pub const SALES: u128 = 0x5;

pub fn group_names() -> BTreeMap<GroupId, String> {
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

pub fn bob() -> User {
    User {
        id: UserId(Uuid::from_u128(0xb0b)),
        user_principal_name: "bob@contoso.com".into(),
        display_name: "Bob".into(),
        user_type: UserType::Member,
        account_enabled: true,
        roles: vec![],
    }
}

pub fn profile(id: &str, name: &str, types: PasskeyTypes, attestation: AttestationEnforcement) -> PasskeyProfile {
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
pub fn policy() -> Policy {
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

pub fn catalog() -> Catalog {
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

pub fn facts(aaguid_text: &str) -> Facts {
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

pub fn client(name: &str, message: &str, user_agent: &str, path: Option<CeremonyPath>) -> ClientReport {
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
pub struct Scenario {
    pub user: User,
    pub groups: BTreeSet<GroupId>,
    pub policy: Policy,
    pub catalog: Catalog,
    /// The session's strong authentication: method and how many minutes ago.
    pub session: Option<(Method, i64)>,
    pub one_time_pass: bool,
    pub usable_methods: Vec<Method>,
    pub client: Option<ClientReport>,
    /// A rejection of the response that `keywarden-webauthn` attributes to question 3.
    pub rejection: Option<Code>,
    pub facts: Option<Facts>,
    /// The registration was refused at commit (a duplicate credential).
    pub commit_conflict: bool,
    pub user_agent: &'static str,
}

impl Scenario {
    pub fn new() -> Scenario {
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

    pub fn member(&self) -> Member<'_> {
        Member {
            user: &self.user,
            groups: &self.groups,
        }
    }

    pub fn record(&self) -> AttemptRecord {
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

    pub fn diagnose(&self) -> Diagnosis {
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

// ---------------------------------------------------------------------------------------------------------------
// Now
// ---------------------------------------------------------------------------------------------------------------

pub struct Now {
    pub user: User,
    pub groups: BTreeSet<GroupId>,
    pub policy: Policy,
    pub totp: bool,
    pub passkeys: Vec<crate::passkey::Passkey>,
    pub access_pass: Option<AccessPass>,
    pub attempts: Vec<AttemptRecord>,
}

impl Now {
    pub fn new() -> Now {
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

    pub fn diagnose(&self) -> Diagnosis {
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

pub fn pass(start: OffsetDateTime, lifetime: u32) -> AccessPass {
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

// ---------------------------------------------------------------------------------------------------------------
// Today
// ---------------------------------------------------------------------------------------------------------------

pub fn diagnose_with_today(scenario: &Scenario, today_policy: &Policy, today_groups: &BTreeSet<GroupId>) -> Diagnosis {
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
