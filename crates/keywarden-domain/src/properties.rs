//! Property tests of every parser in the domain that reads text from outside: policy documents (whole, per
//! configuration, as a PATCH), identifiers, codes, roles and the other names the API and the CLI accept, and the
//! browser's client report with the knowledge base matched against it. No input may panic; a refusal names what
//! is wrong; an acceptance reads back as itself.
//!
//! Each property runs 64 cases (`PROPTEST_CASES` overrides it) and never writes regression files.

use std::str::FromStr;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::TestCaseError;
use serde_json::{Map, Value, json};
use time::macros::datetime;

use crate::audit::Activity;
use crate::codes::{Code, Question};
use crate::diagnosis::knowledge::{Observation, matching};
use crate::directory::{Role, UserType};
use crate::ids::{Aaguid, GroupId, UserId};
use crate::platform::{ClientReport, answer_client_error, classify_client_error};
use crate::policy::{
    self, AnyTarget, ConfigId, PasskeyTypes, Policy, Problem, TargetCheck, apply_patch, config_to_json,
    to_graph_document,
};
use crate::registration::{AttestationFormat, Status};
use crate::strength::Strength;

/// 64 cases a property, unless `PROPTEST_CASES` asks for another number; failures are not persisted, so no
/// regression files are written into the repository.
#[allow(clippy::disallowed_methods, reason = "the test run's own setting")]
fn config() -> ProptestConfig {
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        ProptestConfig::default().cases
    } else {
        64
    };
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---- policy documents -----------------------------------------------------------------------------------------

/// Every property name of the Graph documents the policy parser knows, and a few it refuses.
const GRAPH_KEYS: &[&str] = &[
    "@odata.type",
    "id",
    "displayName",
    "description",
    "policyVersion",
    "lastModifiedDateTime",
    "authenticationMethodConfigurations",
    "state",
    "includeTargets",
    "excludeTargets",
    "isSelfServiceRegistrationAllowed",
    "defaultPasskeyProfile",
    "passkeyProfiles",
    "registrationWindowInMinutes",
    "isAttestationEnforced",
    "keyRestrictions",
    "targetType",
    "isRegistrationRequired",
    "allowedPasskeyProfiles",
    "name",
    "passkeyTypes",
    "attestationEnforcement",
    "isSha1TpmAttestationAllowed",
    "isEnforced",
    "enforcementType",
    "aaGuids",
    "authenticatorGroups",
    "defaultLength",
    "defaultLifetimeInMinutes",
    "minimumLifetimeInMinutes",
    "maximumLifetimeInMinutes",
    "isUsableOnce",
];

/// String values the Graph documents use, so that arbitrary documents often get past the shape checks.
const GRAPH_WORDS: &[&str] = &[
    "#microsoft.graph.authenticationMethodsPolicy",
    "#microsoft.graph.fido2AuthenticationMethodConfiguration",
    "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
    "Fido2",
    "fido2",
    "TemporaryAccessPass",
    "authenticationMethodsPolicy",
    "enabled",
    "disabled",
    "group",
    "user",
    "all_users",
    "allow",
    "block",
    "deviceBound",
    "synced",
    "deviceBound,synced",
    " synced , deviceBound ,",
    "registrationOnly",
    "fidoCertified",
    "fidoCertifiedL2OrHigher",
    "hardwareProtected",
    "fipsValidated",
    "00000000-0000-0000-0000-000000000001",
    "ee882879-721c-4913-9775-3dfcce97072a",
    "EE882879721C491397753DFCCE97072A",
    "default",
    "",
    " ",
];

/// Arbitrary JSON shaped like a Graph policy document: nested objects with the names the parser knows, and values
/// of every type, often the ones the documents use.
fn graph_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => prop_oneof![0..70u64, 0..50_000u64, Just(u64::from(u32::MAX) + 1), any::<u64>()].prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(Value::from),
        3 => select(GRAPH_WORDS).prop_map(Value::from),
        1 => any::<u128>().prop_map(|n| Value::from(uuid::Uuid::from_u128(n).to_string())),
        1 => ".{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 96, 8, |inner| {
        let key = prop_oneof![4 => select(GRAPH_KEYS).prop_map(str::to_string), 1 => ".{0,10}"];
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Value::Array),
            vec((key, inner), 0..9).prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// Valid documents to change: the default policy whole and as its two configurations, and a policy with groups,
/// exclusions, profiles and key restrictions.
fn valid_documents() -> Vec<Value> {
    let rich = json!({
        "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
        "state": "enabled",
        "isSelfServiceRegistrationAllowed": true,
        "defaultPasskeyProfile": "default",
        "registrationWindowInMinutes": 5,
        "includeTargets": [
            {"id": "all_users", "targetType": "group", "allowedPasskeyProfiles": ["default"]},
            {"id": "0000000a-0000-0000-0000-000000000000", "targetType": "group", "isRegistrationRequired": true,
             "allowedPasskeyProfiles": ["attested", "default"]},
        ],
        "excludeTargets": [
            {"id": "0000000c-0000-0000-0000-000000000000", "targetType": "group"},
            {"id": "00001234-0000-0000-0000-000000000000", "targetType": "user"},
        ],
        "passkeyProfiles": [
            {"id": "default", "name": "Default passkey profile", "passkeyTypes": "deviceBound,synced",
             "attestationEnforcement": "disabled",
             "keyRestrictions": {"isEnforced": false, "enforcementType": "allow", "aaGuids": []}},
            {"id": "attested", "name": "Admins", "passkeyTypes": "deviceBound",
             "attestationEnforcement": "registrationOnly", "isSha1TpmAttestationAllowed": false,
             "keyRestrictions": {"isEnforced": true, "enforcementType": "allow",
                                 "aaGuids": ["ee882879-721c-4913-9775-3dfcce97072a"],
                                 "authenticatorGroups": ["fidoCertifiedL2OrHigher", "hardwareProtected"]}},
        ],
    });
    let policy = Policy::default();
    vec![
        to_graph_document(&policy, 7, datetime!(2026-11-25 12:00 UTC)),
        config_to_json(&policy, ConfigId::Fido2),
        config_to_json(&policy, ConfigId::TemporaryAccessPass),
        rich,
    ]
}

/// One change to a JSON document, at a node chosen among all of its nodes when it is applied.
#[derive(Clone, Debug)]
enum Change {
    Replace {
        at: Index,
        with: Value,
    },
    Remove {
        at: Index,
    },
    /// Adds (or replaces) a member of an object, or an item of an array.
    Add {
        at: Index,
        key: String,
        value: Value,
    },
    /// Appends a copy of an array's item to the array (a target, profile or AAGUID listed twice).
    Duplicate {
        at: Index,
    },
}

/// A value a valid document could hold somewhere, so that a changed document often passes the shape checks and
/// reaches the rules between fields.
fn plausible_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => select(GRAPH_WORDS).prop_map(Value::from),
        2 => prop_oneof![0..70u64, 0..50_000u64].prop_map(Value::from),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => (0..4u128).prop_map(|n| Value::from(uuid::Uuid::from_u128(n).to_string())),
    ]
}

fn change() -> impl Strategy<Value = Change> {
    let key = prop_oneof![4 => select(GRAPH_KEYS).prop_map(str::to_string), 1 => ".{0,10}"];
    prop_oneof![
        3 => (any::<Index>(), plausible_value()).prop_map(|(at, with)| Change::Replace { at, with }),
        2 => (any::<Index>(), graph_json()).prop_map(|(at, with)| Change::Replace { at, with }),
        2 => any::<Index>().prop_map(|at| Change::Remove { at }),
        2 => (any::<Index>(), key, graph_json()).prop_map(|(at, key, value)| Change::Add { at, key, value }),
        2 => any::<Index>().prop_map(|at| Change::Duplicate { at }),
    ]
}

/// The JSON pointers of every node of `value`, the root first.
fn pointers(value: &Value) -> Vec<String> {
    fn walk(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Object(members) => {
                for (key, member) in members {
                    let escaped = key.replace('~', "~0").replace('/', "~1");
                    walk(member, format!("{at}/{escaped}"), out);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out.reverse();
    out
}

fn apply_changes(document: &Value, changes: &[Change]) -> Value {
    let mut document = document.clone();
    for change in changes {
        let all = pointers(&document);
        let pick = |at: &Index| all[at.index(all.len())].clone();
        match change {
            Change::Replace { at, with } => {
                if let Some(node) = document.pointer_mut(&pick(at)) {
                    *node = with.clone();
                }
            }
            Change::Remove { at } => {
                let pointer = pick(at);
                if let Some((parent, key)) = pointer.rsplit_once('/') {
                    let key = key.replace("~1", "/").replace("~0", "~");
                    match document.pointer_mut(parent) {
                        Some(Value::Object(members)) => {
                            members.remove(&key);
                        }
                        Some(Value::Array(items)) => {
                            if let Ok(i) = key.parse::<usize>()
                                && i < items.len()
                            {
                                items.remove(i);
                            }
                        }
                        _ => {}
                    }
                }
            }
            Change::Add { at, key, value } => match document.pointer_mut(&pick(at)) {
                Some(Value::Object(members)) => {
                    members.insert(key.clone(), value.clone());
                }
                Some(Value::Array(items)) => items.push(value.clone()),
                _ => {}
            },
            Change::Duplicate { at } => {
                let pointer = pick(at);
                let copy = document.pointer(&pointer).cloned();
                if let (Some(copy), Some((parent, _))) = (copy, pointer.rsplit_once('/'))
                    && let Some(Value::Array(items)) = document.pointer_mut(parent)
                {
                    items.push(copy);
                }
            }
        }
    }
    document
}

/// A directory in which no group or user exists.
struct EmptyDirectory;

impl TargetCheck for EmptyDirectory {
    fn group_exists(&self, _: &GroupId) -> bool {
        false
    }
    fn user_exists(&self, _: &UserId) -> bool {
        false
    }
}

/// A refusal names at least one problem, each with a message.
fn check_problems(problems: &[Problem], input: &str) -> Result<(), TestCaseError> {
    prop_assert!(!problems.is_empty(), "refused without a problem: {input}");
    for problem in problems {
        prop_assert!(
            !problem.message.trim().is_empty(),
            "a problem without a message at {:?}",
            problem.path
        );
    }
    Ok(())
}

/// An accepted policy reads back as itself, whole and one configuration at a time.
fn check_policy(policy: &Policy) -> Result<(), TestCaseError> {
    let whole = to_graph_document(policy, 1, datetime!(2026-11-25 12:00 UTC)).to_string();
    let again = policy::parse(&whole, &Policy::default(), &AnyTarget);
    prop_assert_eq!(again.as_ref(), Ok(policy), "{}", whole);
    for id in [ConfigId::Fido2, ConfigId::TemporaryAccessPass] {
        let one = config_to_json(policy, id).to_string();
        let again = policy::parse(&one, policy, &AnyTarget);
        prop_assert_eq!(again.as_ref(), Ok(policy), "{}", one);
    }
    Ok(())
}

fn check_parse(input: &str) -> Result<(), TestCaseError> {
    let anywhere = policy::parse(input, &Policy::default(), &AnyTarget);
    match &anywhere {
        Ok(policy) => check_policy(policy)?,
        Err(problems) => check_problems(problems, input)?,
    }
    // A directory in which no target exists can only add problems.
    match policy::parse(input, &Policy::default(), &EmptyDirectory) {
        Ok(policy) => prop_assert_eq!(anywhere.as_ref(), Ok(&policy), "{}", input),
        Err(problems) => {
            check_problems(&problems, input)?;
            if let Err(found_anywhere) = &anywhere {
                for problem in found_anywhere {
                    prop_assert!(
                        problems.contains(problem),
                        "{problem} is lost without a directory: {input}"
                    );
                }
            }
        }
    }
    // A stored policy is keywarden's own serialisation; reading anything else is an error, never a panic.
    let _ = policy::parse_stored(input);
    Ok(())
}

fn check_patch(id: ConfigId, patch: &Value) -> Result<(), TestCaseError> {
    match apply_patch(&Policy::default(), id, patch, &AnyTarget) {
        Ok(policy) => check_policy(&policy),
        Err(problems) => check_problems(&problems, &patch.to_string()),
    }
}

// ---- names and identifiers ------------------------------------------------------------------------------------

/// Text that is sometimes a valid name of something: arbitrary, or one of `valid` with its case changed and
/// spaces around it.
fn near(valid: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        (select(valid), vec(any::<bool>(), 0..64), " {0,2}", " {0,2}").prop_map(|(text, upper, before, after)| {
            let mangled: String = text
                .chars()
                .zip(upper.iter().chain(std::iter::repeat(&false)))
                .map(|(c, &up)| {
                    if up {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect();
            format!("{before}{mangled}{after}")
        }),
    ]
}

fn code_names() -> Vec<String> {
    Code::ALL.iter().map(|code| code.as_str().to_string()).collect()
}

fn role_names() -> Vec<String> {
    Role::ALL
        .iter()
        .flat_map(|role| [role.slug().to_string(), role.display_name().to_string()])
        .collect()
}

fn activity_names() -> Vec<String> {
    Activity::ALL
        .iter()
        .map(|activity| activity.name().to_string())
        .collect()
}

/// Arbitrary AAGUID-like text: any UUID in any of the forms `uuid` reads, upper or lower case, or anything.
fn aaguid_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[0-9a-fA-F-]{30,40}",
        (any::<u128>(), 0..4usize, any::<bool>()).prop_map(|(n, form, upper)| {
            let uuid = uuid::Uuid::from_u128(n);
            let text = match form {
                0 => uuid.hyphenated().to_string(),
                1 => uuid.simple().to_string(),
                2 => uuid.braced().to_string(),
                _ => uuid.urn().to_string(),
            };
            if upper { text.to_uppercase() } else { text }
        }),
    ]
}

// ---- the client report ----------------------------------------------------------------------------------------

/// User agents, often naming the Android or iOS versions the knowledge base compares.
fn user_agent() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,60}",
        (
            select(
                &[
                    "Android ",
                    "iPhone OS ",
                    "CPU OS ",
                    "iPad; CPU OS ",
                    "Windows NT ",
                    "Mac OS X "
                ][..]
            ),
            "[0-9]{0,14}",
            ".{0,12}",
        )
            .prop_map(|(marker, version, rest)| format!("Mozilla/5.0 (iPhone; {marker}{version}{rest})")),
    ]
}

/// JSON shaped like a client report, with members of every type.
fn client_report_json() -> impl Strategy<Value = Value> {
    let name = prop_oneof![
        3 => select(
            &[
                "NotAllowedError",
                "AbortError",
                "InvalidStateError",
                "NotSupportedError",
                "ConstraintError",
                "SecurityError",
                "TypeError",
                "UnknownError",
            ][..]
        )
        .prop_map(Value::from),
        1 => graph_json(),
    ];
    let capabilities = vec(
        (
            prop_oneof![
                select(&["hybridTransport", "passkeyPlatformAuthenticator", "conditionalCreate"][..])
                    .prop_map(str::to_string),
                ".{0,10}"
            ],
            prop_oneof![8 => any::<bool>().prop_map(Value::Bool), 1 => graph_json()],
        ),
        0..4,
    )
    .prop_map(|members| Value::Object(members.into_iter().collect::<Map<String, Value>>()));
    let path = prop_oneof![
        3 => select(&["thisDevice", "phone", "securityKey"][..]).prop_map(Value::from),
        1 => graph_json(),
    ];
    (
        name,
        ".{0,80}",
        capabilities,
        proptest::option::of(any::<bool>()),
        proptest::option::of(user_agent()),
        proptest::option::of(path),
        proptest::option::of((".{0,10}", graph_json())),
    )
        .prop_map(|(name, message, capabilities, available, user_agent, path, extra)| {
            let mut report = json!({
                "name": name,
                "message": message,
                "clientCapabilities": capabilities,
                "userVerifyingPlatformAuthenticatorAvailable": available,
                "userAgent": user_agent,
            });
            if let (Some(path), Some(members)) = (path, report.as_object_mut()) {
                members.insert("path".into(), path);
            }
            if let (Some((key, value)), Some(members)) = (extra, report.as_object_mut()) {
                members.insert(key, value);
            }
            report
        })
}

/// A client report is classified under question 3 (or as an excluded credential, which is how browsers report
/// one), and the knowledge base can be matched against it.
fn check_client_report(report: &ClientReport) -> Result<(), TestCaseError> {
    let code = classify_client_error(report);
    prop_assert!(
        code == Code::CredentialAlreadyRegistered || code.question() == Some(Question::PlatformCanHost),
        "{} classified as {code}",
        report.name
    );
    let answer = answer_client_error(report.clone());
    prop_assert_eq!(answer.question, Question::PlatformCanHost);
    prop_assert!(!answer.passed());
    let observation = Observation {
        code: Some(code),
        client: Some(report),
        user_agent: report.user_agent.as_deref(),
        facts: None,
    };
    for mode in matching(&observation) {
        prop_assert!(matches!(
            mode.question,
            Question::PlatformCanHost | Question::AuthenticatorAccepted
        ));
    }
    Ok(())
}

// ---- the properties -------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_text_is_a_policy_or_named_problems(text in ".{0,200}") {
        check_parse(&text)?;
    }

    #[test]
    fn arbitrary_graph_shaped_json_is_a_policy_or_named_problems(document in graph_json()) {
        check_parse(&document.to_string())?;
    }

    #[test]
    fn a_changed_valid_document_is_a_policy_or_named_problems(
        document in select(valid_documents()),
        changes in vec(change(), 1..4),
    ) {
        check_parse(&apply_changes(&document, &changes).to_string())?;
    }

    #[test]
    fn a_changed_valid_document_cut_short_is_named_problems(document in select(valid_documents()), at in any::<Index>()) {
        let text = document.to_string();
        let cut = at.index(text.len());
        // Every document here is ASCII, so any byte is a character boundary.
        let input = &text[..cut];
        match policy::parse(input, &Policy::default(), &AnyTarget) {
            Ok(policy) => prop_assert!(false, "a truncated document {input:?} parsed as {policy:?}"),
            Err(problems) => check_problems(&problems, input)?,
        }
    }

    #[test]
    fn a_patch_of_arbitrary_json_is_a_policy_or_named_problems(
        id in select(&[ConfigId::Fido2, ConfigId::TemporaryAccessPass][..]),
        patch in graph_json(),
    ) {
        check_patch(id, &patch)?;
    }

    #[test]
    fn a_changed_valid_patch_is_a_policy_or_named_problems(
        id in select(&[ConfigId::Fido2, ConfigId::TemporaryAccessPass][..]),
        changes in vec(change(), 1..4),
    ) {
        let patch = config_to_json(&Policy::default(), id);
        check_patch(id, &apply_changes(&patch, &changes))?;
    }

    #[test]
    fn passkey_types_read_back_as_themselves(
        text in prop_oneof![".{0,30}", "(deviceBound|synced|Synced|other| |,){0,6}"],
    ) {
        match PasskeyTypes::parse(&text) {
            Ok(types) => {
                prop_assert_eq!(PasskeyTypes::parse(&types.to_string()), Ok(types));
                let parts: Vec<&str> = text.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
                prop_assert!(parts.iter().all(|p| *p == "deviceBound" || *p == "synced"), "{text:?}");
            }
            Err(message) => prop_assert!(!message.is_empty()),
        }
    }

    #[test]
    fn aaguids_read_back_as_themselves(text in aaguid_text()) {
        let parsed = Aaguid::from_str(&text);
        match &parsed {
            Ok(aaguid) => {
                let again = Aaguid::from_str(&aaguid.to_string());
                prop_assert_eq!(again.as_ref(), Ok(aaguid));
                prop_assert_eq!(aaguid.to_string(), aaguid.to_string().to_lowercase());
            }
            Err(message) => prop_assert!(message.contains("is not an AAGUID"), "{message}"),
        }
        // The serde form reads exactly what `from_str` reads.
        let from_json = serde_json::from_value::<Aaguid>(Value::String(text.clone()));
        prop_assert_eq!(from_json.ok(), parsed.ok());
        // Object ids are UUIDs too, read without trimming.
        if let Ok(user) = UserId::from_str(&text) {
            prop_assert_eq!(UserId::from_str(&user.to_string()), Ok(user));
        }
        if let Ok(group) = GroupId::from_str(&text) {
            prop_assert_eq!(GroupId::from_str(&group.to_string()), Ok(group));
        }
    }

    #[test]
    fn codes_are_read_only_in_their_exact_spelling(text in near(code_names())) {
        let parsed = Code::parse(&text);
        if let Some(code) = parsed {
            prop_assert_eq!(code.as_str(), text.as_str());
        }
        prop_assert_eq!(Code::from_str(&text).ok(), parsed);
        prop_assert_eq!(Code::try_from(text.clone()).ok(), parsed);
        prop_assert_eq!(serde_json::from_value::<Code>(Value::String(text.clone())).ok(), parsed);
        if parsed.is_none() {
            let message = Code::from_str(&text).err().unwrap_or_default();
            prop_assert!(message.contains("unknown code"), "{message}");
        }
    }

    #[test]
    fn roles_are_read_from_their_slug_or_name_in_any_case(text in near(role_names())) {
        let wanted = text.trim();
        let expected = Role::ALL
            .into_iter()
            .find(|r| r.slug().eq_ignore_ascii_case(wanted) || r.display_name().eq_ignore_ascii_case(wanted));
        match Role::from_str(&text) {
            Ok(role) => prop_assert_eq!(Some(role), expected),
            Err(message) => {
                prop_assert_eq!(None, expected);
                prop_assert!(message.contains("unknown role"), "{message}");
            }
        }
    }

    #[test]
    fn user_types_are_member_guest_or_refused(
        text in near(vec!["member".into(), "guest".into(), "Member".into()]),
    ) {
        let normal = text.trim().to_ascii_lowercase();
        match UserType::from_str(&text) {
            Ok(UserType::Member) => prop_assert!(normal == "member" || normal.is_empty(), "{text:?}"),
            Ok(UserType::Guest) => prop_assert_eq!(normal, "guest"),
            Err(message) => {
                prop_assert!(!["member", "guest", ""].contains(&normal.as_str()));
                prop_assert!(message.contains("is not member or guest"), "{message}");
            }
        }
    }

    #[test]
    fn other_names_are_read_only_as_documented(
        activity in near(activity_names()),
        strength in near(vec![
            "mfa".into(), "passwordless".into(), "phishing-resistant".into(),
            "Phishing resistant MFA".into(), "00000000-0000-0000-0000-000000000004".into(),
        ]),
        word in near(vec![
            "fido2".into(), "TemporaryAccessPass".into(), "packed".into(), "fido-u2f".into(), "open".into(),
            "succeeded".into(), "failed".into(),
        ]),
        number in any::<u8>(),
    ) {
        if let Some(found) = Activity::parse(&activity) {
            prop_assert!(found.name().eq_ignore_ascii_case(activity.trim()), "{activity:?}");
        }
        if let Some(found) = Strength::parse(&strength) {
            prop_assert!(crate::strength::BUILT_IN.contains(&found), "{strength:?}");
        }
        if let Some(id) = ConfigId::parse(&word) {
            prop_assert!(id.as_str().eq_ignore_ascii_case(&word), "{word:?}");
        }
        if let Some(format) = AttestationFormat::parse(&word) {
            prop_assert_eq!(format.as_str(), word.as_str());
        }
        if let Some(status) = Status::parse(&word) {
            prop_assert_eq!(status.as_str(), word.as_str());
        }
        match Question::try_from(number) {
            Ok(question) => prop_assert_eq!(question.number(), number),
            Err(message) => {
                prop_assert!(!(1..=4).contains(&number));
                prop_assert!(!message.is_empty());
            }
        }
    }

    #[test]
    fn a_client_report_reads_or_is_refused_and_is_classified_under_question_three(report in client_report_json()) {
        if let Ok(report) = serde_json::from_value::<ClientReport>(report) {
            check_client_report(&report)?;
        }
    }

    #[test]
    fn arbitrary_json_is_a_client_report_or_a_refusal(value in graph_json()) {
        if let Ok(report) = serde_json::from_value::<ClientReport>(value) {
            check_client_report(&report)?;
        }
    }
}
