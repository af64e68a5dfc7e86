//! Builders for the values the conformance cases store.

use keywarden_domain::access_pass::AccessPass;
use keywarden_domain::audit::{Activity, Event, Initiator, Outcome, TargetResource};
use keywarden_domain::directory::{Group, User, UserType};
use keywarden_domain::ids::{AttemptId, GroupId, MethodId, UserId};
use keywarden_domain::passkey::{Passkey, Registrar};
use keywarden_domain::policy::PasskeyType;
use keywarden_domain::registration::{
    AttestationFormat, AttestationLevel, AttestationType, Evidence, Facts, Flags, Status, Trust,
};
use keywarden_domain::session::{Authentication, Method};
use keywarden_store::{
    ImportedGroup, NewAttempt, NewUser, RegistrationCommit, Session, Store, StoredAccessPass, Totp, UserWrite,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub(crate) fn now() -> OffsetDateTime {
    // Whole microseconds, as stored.
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1000 * 1000)
        .expect("valid nanosecond")
}

pub(crate) fn user(upn: &str) -> User {
    User {
        id: UserId(Uuid::new_v4()),
        user_principal_name: upn.into(),
        display_name: upn.split('@').next().unwrap_or(upn).into(),
        user_type: UserType::Member,
        account_enabled: true,
        roles: vec![],
    }
}

pub(crate) fn event(activity: Activity, target: &str) -> Event {
    Event {
        id: Uuid::new_v4(),
        activity_date_time: now(),
        activity,
        correlation_id: Uuid::new_v4(),
        initiated_by: Initiator::LocalOperator { os_user: "test".into() },
        result: Outcome::Success,
        result_reason: String::new(),
        target_resources: vec![TargetResource::other("User", &target, target)],
        additional_details: vec![],
    }
}

pub(crate) async fn add_user(store: &Store, upn: &str) -> User {
    let u = user(upn);
    store
        .write_users(
            &[(
                UserWrite::Create(NewUser {
                    user: u.clone(),
                    password_hash: None,
                }),
                vec![event(Activity::AddUser, &u.id.to_string())],
            )],
            now(),
        )
        .await
        .expect("write user");
    u
}

/// Runs `work(store, i)` for each `i` in `0..n` as tasks at the same time, each with its own handle on the store,
/// and returns their results in order: for the single-use and concurrency rules.
pub(crate) async fn at_once<T, Fut>(store: &Store, n: usize, work: impl Fn(Store, usize) -> Fut) -> Vec<T>
where
    T: Send + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(work(store.clone(), i))).collect();
    let mut results = Vec::with_capacity(n);
    for task in tasks {
        results.push(task.await.expect("task"));
    }
    results
}

pub(crate) async fn audit_count(store: &Store) -> usize {
    store
        .list_audit(&Default::default(), 10_000)
        .await
        .expect("audit")
        .events
        .len()
}

pub(crate) async fn open_attempt(store: &Store, user: &User) -> AttemptId {
    let id = AttemptId(Uuid::new_v4());
    let attempt = NewAttempt {
        id,
        user_id: user.id,
        initiator: Initiator::LocalOperator { os_user: "test".into() },
        on_behalf: false,
        started_at: now(),
        correlation_id: Uuid::new_v4(),
        policy_version: 1,
        session_id: None,
        ceremony: Some("{}".into()),
        challenge_expires_at: Some(now() + Duration::minutes(5)),
        status: Status::Open,
        outcome: None,
        evidence: Evidence::default(),
        ip: None,
        user_agent: None,
    };
    store
        .insert_attempt(
            &attempt,
            &event(Activity::UserStartedSecurityInfoRegistration, &user.id.to_string()),
        )
        .await
        .expect("insert attempt");
    id
}

pub(crate) fn facts() -> Facts {
    Facts {
        format: AttestationFormat::None,
        aaguid: "ee882879-721c-4913-9775-3dfcce97072a".parse().expect("aaguid"),
        model: Some("YubiKey 5".into()),
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
        transports: vec!["usb".into()],
        sha1_signature: false,
        hardware_backed: None,
        notes: vec![],
    }
}

pub(crate) fn passkey(user: &User, attempt: AttemptId, credential_id: &[u8]) -> Passkey {
    let facts = facts();
    Passkey {
        id: MethodId(Uuid::new_v4()),
        user_id: user.id,
        credential_id: credential_id.to_vec(),
        display_name: "YubiKey".into(),
        created_date_time: now(),
        aa_guid: facts.aaguid,
        model: facts.model.clone(),
        attestation_level: AttestationLevel::NotAttested,
        attestation_certificates: vec![],
        passkey_type: PasskeyType::DeviceBound,
        sign_count: 0,
        backup_eligible: false,
        backup_state: false,
        transports: vec!["usb".into()],
        admitting_profile: "default".into(),
        registered_by: Registrar::User,
        attempt_id: attempt,
        last_used_date_time: None,
        backup_state_changed_date_time: None,
        counter_regressions: 0,
        facts,
    }
}

/// Gives `user` a password and an authenticator app (the methods that are not phishing-resistant).
pub(crate) async fn give_password_and_totp(store: &Store, user: &User) {
    store
        .set_password(
            user.id,
            "$argon2id$x",
            &event(Activity::ResetUserPassword, &user.user_principal_name),
        )
        .await
        .expect("password");
    store
        .replace_totp(
            &Totp {
                id: MethodId(Uuid::new_v4()),
                user_id: user.id,
                secret: vec![1; 20],
                display_name: "Authenticator".into(),
                created_at: now(),
                last_used_step: 0,
            },
            &event(Activity::AdminRegisteredSecurityInfo, &user.user_principal_name),
        )
        .await
        .expect("totp");
}

/// Stores `pass` as issued by the help desk.
pub(crate) async fn give_access_pass(store: &Store, pass: &AccessPass) {
    store
        .replace_access_pass(
            &StoredAccessPass {
                pass: pass.clone(),
                code_hash: "$argon2id$h".into(),
                created_by: "helpdesk".into(),
            },
            &event(Activity::AdminRegisteredSecurityInfo, "c"),
        )
        .await
        .expect("pass");
}

/// Commits a passkey for `user` through the registration commit, as the server does; `edit` changes it first.
pub(crate) async fn register(store: &Store, user: &User, edit: impl FnOnce(&mut Passkey)) -> Passkey {
    let attempt = open_attempt(store, user).await;
    let mut key = passkey(user, attempt, Uuid::new_v4().as_bytes());
    edit(&mut key);
    store
        .commit_registration(RegistrationCommit {
            attempt,
            now: key.created_date_time,
            passkey: &key,
            webauthn: "{}",
            evidence: &Evidence::default(),
            event: &event(Activity::UserRegisteredSecurityInfo, &user.id.to_string()),
        })
        .await
        .expect("commit runs")
        .expect("committed");
    key
}

/// A new group named `name` with `members`, through the import, as `keywarden groups import` does.
pub(crate) async fn add_group(store: &Store, name: &str, members: &[&User]) -> Group {
    let group = Group {
        id: GroupId(Uuid::new_v4()),
        display_name: name.into(),
        description: None,
    };
    store
        .import_groups(
            &[ImportedGroup {
                group: group.clone(),
                members: members.iter().map(|u| u.id).collect(),
            }],
            now(),
            &|g| event(Activity::AddGroup, &g.id.to_string()),
            &|g, _| event(Activity::AddMemberToGroup, &g.id.to_string()),
        )
        .await
        .expect("group");
    group
}

/// A session for `user`, signed in just now with `method`.
pub(crate) fn session(user: UserId, method: Method) -> Session {
    let mut authentication = Authentication::default();
    authentication.record(method, now(), None);
    Session {
        id: Uuid::new_v4(),
        user_id: user,
        created_at: now(),
        expires_at: now() + Duration::hours(8),
        authentication,
        csrf_token: "csrf".into(),
        ip: Some("127.0.0.1".into()),
        user_agent: None,
    }
}
