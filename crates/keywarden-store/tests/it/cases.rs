//! The conformance cases, one `async fn(&Store)` each (the report reads' cases are in `reports.rs`).

use keywarden_domain::Code;
use keywarden_domain::access_pass::AccessPass;
use keywarden_domain::audit::{Activity, Outcome};
use keywarden_domain::directory::{Group, Role};
use keywarden_domain::ids::{GroupId, MethodId};
use keywarden_domain::policy::{Policy, State};
use keywarden_domain::registration::Evidence;
use keywarden_domain::session::Method;
use keywarden_store::{
    Admission, AssertionUpdate, AttemptClosed, AuditFilter, CommitRefusal, ImportedGroup, NewUser, RegistrationCommit,
    RegistrationFailure, SignInChallenge, SignInConflict, SignInStep, Store, StoredAccessPass, ThrottleLimits, Totp,
    UserChange, UserWrite,
};
use time::Duration;
use uuid::Uuid;

use crate::fixtures::{add_group, add_user, at_once, audit_count, event, now, open_attempt, passkey, session, user};

pub(crate) async fn store_is_ready_after_migrations(store: &Store) {
    assert!(store.ready().await.expect("ready query"), "migrations applied");
}

pub(crate) async fn users_are_found_by_id_or_upn_case_insensitively(store: &Store) {
    let alice = add_user(store, "Alice@Contoso.com").await;
    let by_upn = store
        .find_user("alice@CONTOSO.com")
        .await
        .expect("query")
        .expect("found by upn");
    assert_eq!(by_upn, alice);
    let by_id = store
        .find_user(&alice.id.to_string())
        .await
        .expect("query")
        .expect("found by id");
    assert_eq!(by_id.user_principal_name, "Alice@Contoso.com");
    assert!(store.find_user("bob@contoso.com").await.expect("query").is_none());
}

pub(crate) async fn a_user_change_writes_only_the_fields_given(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let mut change = UserChange::of(&alice);
    change.display_name = Some("Alice Liddell".into());
    change.roles = Some(vec![Role::GlobalReader]);
    store
        .write_users(
            &[(UserWrite::Update(change), vec![event(Activity::UpdateUser, "a")])],
            now(),
        )
        .await
        .expect("change");
    let stored = store.user(alice.id).await.expect("query").expect("same id kept");
    assert_eq!(stored.display_name, "Alice Liddell");
    assert_eq!(stored.roles, vec![Role::GlobalReader]);
    assert!(stored.account_enabled, "a field not given is left as it is");
    // A change authorised against roles the user no longer holds is refused, and writes nothing.
    let mut stale = UserChange::of(&alice);
    stale.password_hash = Some("$argon2id$x".into());
    let before = audit_count(store).await;
    let refused = store
        .write_users(
            &[(UserWrite::Update(stale), vec![event(Activity::ResetUserPassword, "a")])],
            now(),
        )
        .await;
    assert!(
        matches!(refused, Err(keywarden_store::Error::Conflict(_))),
        "{refused:?}"
    );
    assert_eq!(store.password_hash(alice.id).await.expect("query"), None);
    assert_eq!(audit_count(store).await, before, "no event for a refused write");
    let mut current = UserChange::of(&stored);
    current.password_hash = Some("$argon2id$x".into());
    store
        .write_users(
            &[(
                UserWrite::Update(current),
                vec![event(Activity::ResetUserPassword, "a")],
            )],
            now(),
        )
        .await
        .expect("change");
    assert_eq!(
        store.password_hash(alice.id).await.expect("query").as_deref(),
        Some("$argon2id$x")
    );
    let ghost = user("ghost@contoso.com");
    let missing = store
        .write_users(&[(UserWrite::Update(UserChange::of(&ghost)), vec![])], now())
        .await;
    assert!(matches!(missing, Err(keywarden_store::Error::NotFound)), "{missing:?}");
    // A second user with a taken name is a conflict, and the write of both is refused.
    let twin = user("ALICE@contoso.com");
    let bob = user("bob@contoso.com");
    let taken = store
        .write_users(
            &[
                (
                    UserWrite::Create(NewUser {
                        user: bob.clone(),
                        password_hash: None,
                    }),
                    vec![],
                ),
                (
                    UserWrite::Create(NewUser {
                        user: twin,
                        password_hash: None,
                    }),
                    vec![],
                ),
            ],
            now(),
        )
        .await;
    assert!(matches!(taken, Err(keywarden_store::Error::Conflict(_))), "{taken:?}");
    assert!(store.user(bob.id).await.expect("query").is_none(), "all or nothing");
}

/// The sessions a change depends on end with it, in the change's transaction: a pass revoked or replaced ends the
/// sessions it opened, a password reset the password sessions, a passkey deleted the sessions it signed in, a
/// disabled account every session.
pub(crate) async fn sessions_end_with_what_they_depend_on(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let tap = pass(alice.id, false);
    store
        .replace_access_pass(&tap, &event(Activity::AdminRegisteredSecurityInfo, "a"))
        .await
        .expect("issue");
    let key = crate::fixtures::register(store, &alice, |_| {}).await;
    let open = |method: Method, id: Option<MethodId>, token: &'static [u8]| {
        let mut s = session(alice.id, Method::Password);
        s.authentication.methods.clear();
        s.authentication.record(method, now(), id);
        if method == Method::TemporaryAccessPass {
            s.authentication.access_pass = Some(keywarden_domain::session::PassUse {
                method_id: tap.pass.id,
                is_usable_once: false,
                signed_in_at: now(),
            });
        }
        async move {
            store
                .record_sign_in(SignInStep {
                    session: &s,
                    token_hash: token,
                    creates_session: true,
                    throttle: ("subject", "password"),
                    password: None,
                    totp_step: None,
                    access_pass: None,
                    passkey: None,
                    challenge: None,
                    event: &event(Activity::UserSignedIn, "x"),
                })
                .await
                .expect("sign-in runs")
                .expect("signed in");
        }
    };
    open(Method::Password, None, b"by-password").await;
    open(Method::TemporaryAccessPass, Some(tap.pass.id), b"by-pass").await;
    open(Method::Passkey, Some(key.id), b"by-passkey").await;
    let alive = |token: &'static [u8]| async move { store.session_by_token(token).await.expect("query").is_some() };
    assert!(alive(b"by-password").await && alive(b"by-pass").await && alive(b"by-passkey").await);

    store
        .delete_access_pass(alice.id, tap.pass.id, &event(Activity::AdminDeletedSecurityInfo, "a"))
        .await
        .expect("revoke");
    assert!(!alive(b"by-pass").await, "revoking a pass ends the sessions it opened");
    assert!(
        alive(b"by-password").await && alive(b"by-passkey").await,
        "and no other"
    );

    store
        .set_password(alice.id, "$argon2id$new", &event(Activity::ResetUserPassword, "a"))
        .await
        .expect("reset");
    assert!(
        !alive(b"by-password").await,
        "a password reset ends the password sessions"
    );
    assert!(alive(b"by-passkey").await);

    store
        .delete_passkey(alice.id, key.id, &event(Activity::AdminDeletedSecurityInfo, "a"))
        .await
        .expect("delete");
    assert!(
        !alive(b"by-passkey").await,
        "deleting a passkey ends the sessions it signed in"
    );

    open(Method::Password, None, b"again").await;
    let ended = store
        .end_sessions(
            alice.id,
            keywarden_domain::session::Ending::All,
            &event(Activity::InvalidateAllRefreshTokens, "a"),
        )
        .await
        .expect("revoke all");
    assert_eq!(ended, 1);
    assert!(!alive(b"again").await);
}

pub(crate) async fn user_listing_searches_and_pages(store: &Store) {
    for upn in [
        "carol@contoso.com",
        "alice@contoso.com",
        "bob@contoso.com",
        "alan@contoso.com",
    ] {
        add_user(store, upn).await;
    }
    let first = store.list_users(None, None, 3).await.expect("list");
    let names: Vec<&str> = first.users.iter().map(|u| u.user_principal_name.as_str()).collect();
    assert_eq!(names, vec!["alan@contoso.com", "alice@contoso.com", "bob@contoso.com"]);
    let rest = store.list_users(None, first.next.as_deref(), 3).await.expect("list");
    assert_eq!(rest.users.len(), 1);
    assert!(rest.next.is_none());
    let al = store.list_users(Some("AL"), None, 10).await.expect("search");
    assert_eq!(al.users.len(), 2);
}

pub(crate) async fn group_import_is_all_or_nothing(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let before = audit_count(store).await;
    let group = Group {
        id: GroupId(Uuid::new_v4()),
        display_name: "Pilot".into(),
        description: None,
    };
    let ghost = user("ghost@contoso.com");
    let result = store
        .import_groups(
            &[ImportedGroup {
                group: group.clone(),
                members: vec![alice.id, ghost.id],
            }],
            now(),
            &|g| event(Activity::AddGroup, &g.id.to_string()),
            &|g, _| event(Activity::AddMemberToGroup, &g.id.to_string()),
        )
        .await;
    assert!(result.is_err(), "an unknown member fails the import");
    assert!(
        store.find_group("Pilot").await.expect("query").is_none(),
        "nothing half-imported"
    );
    assert_eq!(
        audit_count(store).await,
        before,
        "no audit event for a rolled-back import"
    );
}

pub(crate) async fn memberships_are_read_back(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let group = Group {
        id: GroupId(Uuid::new_v4()),
        display_name: "Pilot".into(),
        description: Some("ring 1".into()),
    };
    let (groups, members) = store
        .import_groups(
            &[ImportedGroup {
                group: group.clone(),
                members: vec![alice.id, alice.id],
            }],
            now(),
            &|g| event(Activity::AddGroup, &g.id.to_string()),
            &|g, _| event(Activity::AddMemberToGroup, &g.id.to_string()),
        )
        .await
        .expect("import");
    assert_eq!((groups, members), (1, 1), "a repeated member is added once");
    assert_eq!(store.groups_of(alice.id).await.expect("query"), [group.id].into());
    assert_eq!(store.find_group("PILOT").await.expect("query"), Some(group.clone()));
    assert_eq!(store.group_members(group.id).await.expect("query"), vec![alice.clone()]);
    assert_eq!(store.list_groups().await.expect("query"), vec![(group.clone(), 1)]);

    // Taking a member out: once, with one audit event; a second time changes nothing and writes no event.
    let before = audit_count(store).await;
    let removal = event(Activity::RemoveMemberFromGroup, &alice.id.to_string());
    assert!(
        store
            .remove_group_member(group.id, alice.id, &removal)
            .await
            .expect("remove")
    );
    assert_eq!(audit_count(store).await, before + 1);
    assert!(store.groups_of(alice.id).await.expect("query").is_empty());
    assert_eq!(store.list_groups().await.expect("query"), vec![(group.clone(), 0)]);
    let again = event(Activity::RemoveMemberFromGroup, &alice.id.to_string());
    assert!(
        !store
            .remove_group_member(group.id, alice.id, &again)
            .await
            .expect("remove")
    );
    assert_eq!(
        audit_count(store).await,
        before + 1,
        "no event for a removal that changed nothing"
    );
}

fn pass(user: keywarden_domain::ids::UserId, once: bool) -> StoredAccessPass {
    StoredAccessPass {
        pass: AccessPass {
            id: MethodId(Uuid::new_v4()),
            user_id: user,
            created_date_time: now(),
            start_date_time: now(),
            lifetime_in_minutes: 60,
            is_usable_once: once,
            used_date_time: None,
        },
        code_hash: "$argon2id$hash".into(),
        created_by: "helpdesk@contoso.com".into(),
    }
}

/// Passes issued to one user at the same moment (two help-desk agents, a retried request) all succeed, and one of
/// them is the user's pass: replacing is one statement, not a delete and an insert that the other can get between.
pub(crate) async fn access_passes_issued_at_once_replace_each_other(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let before = audit_count(store).await;
    let passes: Vec<StoredAccessPass> = (0..6).map(|_| pass(alice.id, true)).collect();
    let issued = at_once(store, passes.len(), |store, i| {
        let issued = passes[i].clone();
        async move {
            store
                .replace_access_pass(&issued, &event(Activity::AdminRegisteredSecurityInfo, "a"))
                .await
        }
    })
    .await;
    for outcome in issued {
        outcome.expect("every issue succeeds");
    }
    let current = store.access_pass_of(alice.id).await.expect("query").expect("a pass");
    assert!(passes.contains(&current), "one of the passes issued is the user's");
    assert_eq!(audit_count(store).await, before + passes.len(), "one event each");
}

pub(crate) async fn one_access_pass_per_user(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let first = pass(alice.id, true);
    let second = pass(alice.id, false);
    store
        .replace_access_pass(&first, &event(Activity::AdminRegisteredSecurityInfo, "a"))
        .await
        .expect("issue");
    store
        .replace_access_pass(&second, &event(Activity::AdminRegisteredSecurityInfo, "a"))
        .await
        .expect("reissue");
    let current = store.access_pass_of(alice.id).await.expect("query").expect("a pass");
    assert_eq!(current, second, "the new pass replaced the old one");
    assert!(
        !store
            .delete_access_pass(alice.id, first.pass.id, &event(Activity::AdminDeletedSecurityInfo, "a"))
            .await
            .expect("delete"),
        "the replaced pass is gone"
    );
    assert!(
        store
            .delete_access_pass(
                alice.id,
                second.pass.id,
                &event(Activity::AdminDeletedSecurityInfo, "a")
            )
            .await
            .expect("delete")
    );
    assert!(store.access_pass_of(alice.id).await.expect("query").is_none());
}

pub(crate) async fn policy_versions_refuse_concurrent_writers(store: &Store) {
    assert!(store.current_policy().await.expect("query").is_none());
    let policy = Policy::default();
    let v1 = store
        .save_policy(
            0,
            &policy,
            "op",
            now(),
            &event(Activity::AuthenticationMethodsPolicyUpdate, "policy"),
        )
        .await
        .expect("first save");
    assert_eq!(v1, 1);
    let mut enabled = policy.clone();
    enabled.fido2.state = State::Enabled;
    let v2 = store
        .save_policy(
            1,
            &enabled,
            "op",
            now(),
            &event(Activity::AuthenticationMethodsPolicyUpdate, "policy"),
        )
        .await
        .expect("second save");
    assert_eq!(v2, 2);
    let stale = store
        .save_policy(
            1,
            &policy,
            "other",
            now(),
            &event(Activity::AuthenticationMethodsPolicyUpdate, "policy"),
        )
        .await;
    assert!(matches!(stale, Err(keywarden_store::Error::Conflict(_))), "{stale:?}");
    let current = store.current_policy().await.expect("query").expect("a policy");
    assert_eq!((current.version, current.policy), (2, enabled));
    assert_eq!(
        store.policy_version(1).await.expect("query").expect("v1").policy,
        policy
    );
}

pub(crate) async fn registration_commit_writes_passkey_attempt_and_event_together(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let attempt = open_attempt(store, &alice).await;
    let before = audit_count(store).await;
    let key = passkey(&alice, attempt, b"credential-1");
    let outcome = store
        .commit_registration(RegistrationCommit {
            attempt,
            now: now(),
            passkey: &key,
            webauthn: "{}",
            evidence: &Evidence::default(),
            event: &event(Activity::UserRegisteredSecurityInfo, &alice.id.to_string()),
        })
        .await
        .expect("commit");
    assert_eq!(outcome, Ok(()));
    assert_eq!(store.passkeys_of(alice.id).await.expect("query"), vec![key.clone()]);
    let stored = store.attempt(attempt).await.expect("query").expect("attempt");
    assert_eq!(stored.passkey_id, Some(key.id));
    assert!(stored.challenge_used_at.is_some());
    assert_eq!(audit_count(store).await, before + 1);
    let by_credential = store
        .passkey_by_credential_id(b"credential-1")
        .await
        .expect("query")
        .expect("found");
    assert_eq!(by_credential.passkey.id, key.id);
}

pub(crate) async fn sign_in_subject_is_the_passkey_its_user_groups_and_policy_version(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let bob = add_user(store, "bob@contoso.com").await;
    let groups = [
        add_group(store, "Pilot", &[&alice]).await,
        add_group(store, "Ring 2", &[&alice]).await,
    ];
    crate::fixtures::register(store, &alice, |k| k.credential_id = b"credential-a".to_vec()).await;
    crate::fixtures::register(store, &bob, |k| k.credential_id = b"credential-b".to_vec()).await;
    let (_, version) = store.groups_and_policy_version(alice.id).await.expect("query");
    let subject = store
        .sign_in_subject(b"credential-a")
        .await
        .expect("query")
        .expect("found");
    let record = store
        .passkey_by_credential_id(b"credential-a")
        .await
        .expect("query")
        .expect("found");
    assert_eq!(subject.record, record);
    assert_eq!(subject.user, alice, "the user's own display name, not the passkey's");
    assert_eq!(subject.groups, groups.iter().map(|g| g.id).collect());
    assert_eq!(subject.policy_version, version);
    let lone = store
        .sign_in_subject(b"credential-b")
        .await
        .expect("query")
        .expect("found");
    assert_eq!((lone.user, lone.groups.len()), (bob, 0), "no groups");
    assert!(
        store.sign_in_subject(b"nobody's").await.expect("query").is_none(),
        "an unknown credential is not found"
    );
}

pub(crate) async fn registration_subject_is_what_the_single_reads_return(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let bob = add_user(store, "bob@contoso.com").await;
    let group = add_group(store, "Pilot", &[&alice]).await;
    crate::fixtures::give_password_and_totp(store, &alice).await;
    crate::fixtures::give_access_pass(store, &pass(alice.id, true).pass).await;
    crate::fixtures::register(store, &alice, |_| {}).await;
    crate::fixtures::register(store, &alice, |_| {}).await;
    let subject = store.registration_subject(alice.id).await.expect("read");
    let (groups, version) = store.groups_and_policy_version(alice.id).await.expect("query");
    assert_eq!((&subject.groups, subject.policy_version), (&groups, version));
    assert_eq!(groups, [group.id].into());
    let held: Vec<keywarden_store::HeldPasskey> = store
        .passkeys_of(alice.id)
        .await
        .expect("query")
        .iter()
        .map(Into::into)
        .collect();
    assert_eq!(
        subject.passkeys, held,
        "the passkeys' ids, models and types, oldest first"
    );
    assert_eq!(subject.passkeys.len(), 2);
    assert_eq!(subject.totp, store.totp_of(alice.id).await.expect("query"));
    assert!(subject.totp.is_some());
    assert_eq!(
        subject.access_pass,
        store.access_pass_of(alice.id).await.expect("query")
    );
    assert!(subject.access_pass.is_some());
    let empty = store.registration_subject(bob.id).await.expect("read");
    assert!(empty.groups.is_empty() && empty.passkeys.is_empty());
    assert_eq!((empty.totp, empty.access_pass), (None, None));

    let open = open_attempt(store, &alice).await;
    let (attempt, groups, version) = store.registration_finish_subject(open, alice.id).await.expect("read");
    let single = store.attempt(open).await.expect("query").expect("attempt");
    let attempt = attempt.expect("the attempt is read");
    assert_eq!(
        (attempt.id, attempt.user_id, attempt.started_at, attempt.ceremony),
        (open, single.user_id, single.started_at, single.ceremony)
    );
    assert_eq!((groups, version), (subject.groups, subject.policy_version));
    let (unknown, none, _) = store
        .registration_finish_subject(keywarden_domain::ids::AttemptId(Uuid::new_v4()), bob.id)
        .await
        .expect("read");
    assert!(unknown.is_none() && none.is_empty());
}

pub(crate) async fn challenge_is_consumed_exactly_once_under_concurrent_finishes(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let attempt = open_attempt(store, &alice).await;
    let outcomes = at_once(store, 8, |store, i| {
        let key = passkey(&alice, attempt, &[i as u8; 16]);
        async move {
            store
                .commit_registration(RegistrationCommit {
                    attempt,
                    now: now(),
                    passkey: &key,
                    webauthn: "{}",
                    evidence: &Evidence::default(),
                    event: &event(Activity::UserRegisteredSecurityInfo, "x"),
                })
                .await
                .expect("commit runs")
        }
    })
    .await;
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .filter(|o| o.is_err())
            .all(|o| *o == Err(CommitRefusal::AttemptClosed))
    );
    assert_eq!(store.passkeys_of(alice.id).await.expect("query").len(), 1);
}

/// A one-time pass is consumed by the first sign-in with it: of sign-ins sent at once, exactly one opens a session.
pub(crate) async fn one_time_pass_signs_in_exactly_once_under_concurrent_sign_ins(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let tap = pass(alice.id, true);
    store
        .replace_access_pass(&tap, &event(Activity::AdminRegisteredSecurityInfo, "a"))
        .await
        .expect("issue");
    let pass_id = tap.pass.id;
    let outcomes = at_once(store, 6, |store, i| {
        let mut s = session(alice.id, Method::TemporaryAccessPass);
        s.authentication.methods[0].method_id = Some(pass_id);
        async move {
            store
                .record_sign_in(SignInStep {
                    session: &s,
                    token_hash: &[i as u8; 32],
                    creates_session: true,
                    throttle: ("alice", "temporaryAccessPass"),
                    password: None,
                    totp_step: None,
                    access_pass: Some((pass_id, true)),
                    passkey: None,
                    challenge: None,
                    event: &event(Activity::UserSignedIn, "x"),
                })
                .await
                .expect("sign-in runs")
        }
    })
    .await;
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .filter(|o| o.is_err())
            .all(|o| *o == Err(SignInConflict::AccessPassUsed)),
        "{outcomes:?}"
    );
    let mut sessions = 0;
    for i in 0..6u8 {
        sessions += usize::from(store.session_by_token(&[i; 32]).await.expect("query").is_some());
    }
    assert_eq!(sessions, 1, "one session for one pass");
    let used = store.access_pass_of(alice.id).await.expect("query").expect("pass kept");
    assert!(used.pass.used_date_time.is_some(), "the pass is consumed");
}

pub(crate) async fn duplicate_credential_changes_nothing(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let first = open_attempt(store, &alice).await;
    let commit = |attempt, key| async move {
        store
            .commit_registration(RegistrationCommit {
                attempt,
                now: now(),
                passkey: &key,
                webauthn: "{}",
                evidence: &Evidence::default(),
                event: &event(Activity::UserRegisteredSecurityInfo, "x"),
            })
            .await
            .expect("commit runs")
    };
    assert_eq!(commit(first, passkey(&alice, first, b"same")).await, Ok(()));
    let second = open_attempt(store, &alice).await;
    let before = audit_count(store).await;
    assert_eq!(
        commit(second, passkey(&alice, second, b"same")).await,
        Err(CommitRefusal::CredentialAlreadyRegistered)
    );
    assert_eq!(audit_count(store).await, before, "no event for a rolled-back commit");
    let attempt = store.attempt(second).await.expect("query").expect("attempt");
    assert!(attempt.challenge_used_at.is_none(), "the attempt is untouched");
    // The refused transaction was rolled back and the writer is usable: the same attempt commits a new credential.
    assert_eq!(commit(second, passkey(&alice, second, b"other")).await, Ok(()));
    assert_eq!(audit_count(store).await, before + 1);
    assert_eq!(store.passkeys_of(alice.id).await.expect("query").len(), 2);
}

pub(crate) async fn refusal_closes_the_attempt_once(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let attempt = open_attempt(store, &alice).await;
    let fail = || async {
        store
            .fail_registration(RegistrationFailure {
                attempt,
                now: now(),
                code: Code::AaguidNotAllowed,
                evidence: &Evidence::default(),
                facts: None,
                event: &event(Activity::UserRegisteredSecurityInfo, "x"),
            })
            .await
            .expect("fail runs")
    };
    assert_eq!(fail().await, Ok(()));
    assert_eq!(fail().await, Err(AttemptClosed));
    let stored = store.attempt(attempt).await.expect("query").expect("attempt");
    assert_eq!(stored.outcome, Some(Code::AaguidNotAllowed));
    let attempts = store.attempts_of(alice.id, 10).await.expect("query");
    assert_eq!(attempts.len(), 1);
}

pub(crate) async fn sign_in_challenge_is_used_once_and_purged_when_expired(store: &Store) {
    let live = SignInChallenge {
        id: Uuid::new_v4(),
        expires_at: now() + Duration::minutes(5),
    };
    let unused = store
        .passkey_sign_in_reads(live.id, b"no such credential")
        .await
        .expect("read");
    assert_eq!((unused.0, unused.1.is_none()), (false, true));
    assert!(store.use_up_sign_in_challenge(live, now()).await.expect("use up"));
    assert!(
        !store.use_up_sign_in_challenge(live, now()).await.expect("use up"),
        "a used challenge is used once"
    );
    assert!(
        store
            .passkey_sign_in_reads(live.id, b"no such credential")
            .await
            .expect("read")
            .0
    );

    // A used challenge is kept until it expires: after that the ceremony's own expiry refuses it.
    let old = SignInChallenge {
        id: Uuid::new_v4(),
        expires_at: now() - Duration::seconds(1),
    };
    assert!(store.use_up_sign_in_challenge(old, now()).await.expect("use up"));
    assert!(store.purge_expired(now()).await.expect("purge") >= 1);
    assert!(!store.passkey_sign_in_reads(old.id, b"none").await.expect("read").0);
    assert!(store.passkey_sign_in_reads(live.id, b"none").await.expect("read").0);
}

pub(crate) async fn attempts_are_admitted_up_to_the_limit_then_locked(store: &Store) {
    let limits = ThrottleLimits {
        max_failures: 3,
        window: Duration::minutes(15),
        lock: Duration::minutes(15),
    };
    let t = now();
    let failed = || event(Activity::UserSignedIn, "x");
    for i in 0..2 {
        assert_eq!(
            store
                .admit_sign_in_attempt("alice", "temporaryAccessPass", t, limits)
                .await
                .expect("admit"),
            Admission::Admitted,
            "attempt {i}"
        );
        let locked = store
            .record_sign_in_failure("alice", "temporaryAccessPass", t, limits, &failed())
            .await
            .expect("record");
        assert!(locked.is_none(), "failure {i} does not lock yet");
    }
    assert_eq!(
        store
            .admit_sign_in_attempt("alice", "temporaryAccessPass", t, limits)
            .await
            .expect("admit"),
        Admission::Admitted
    );
    let locked = store
        .record_sign_in_failure("alice", "temporaryAccessPass", t, limits, &failed())
        .await
        .expect("record")
        .expect("the third failure locks");
    assert_eq!(locked, t + Duration::minutes(15));
    let later = t + Duration::seconds(1);
    assert_eq!(
        store
            .admit_sign_in_attempt("alice", "temporaryAccessPass", later, limits)
            .await
            .expect("admit"),
        Admission::Locked(locked),
        "no attempt is checked during the lock"
    );
    assert_eq!(
        store
            .admit_sign_in_attempt("alice", "password", later, limits)
            .await
            .expect("admit"),
        Admission::Admitted,
        "per method"
    );
    assert_eq!(
        store
            .admit_sign_in_attempt("nobody", "temporaryAccessPass", later, limits)
            .await
            .expect("admit"),
        Admission::Admitted,
        "per name"
    );
    // After the lock, counting starts again.
    assert_eq!(
        store
            .admit_sign_in_attempt("alice", "temporaryAccessPass", locked, limits)
            .await
            .expect("admit"),
        Admission::Admitted
    );
    assert_eq!(
        store
            .record_sign_in_failure("alice", "temporaryAccessPass", locked, limits, &failed())
            .await
            .expect("record"),
        None,
        "the first failure after the lock does not lock"
    );
    // Purging forgets counts whose window and lock are over.
    assert!(store.purge_expired(locked + Duration::hours(1)).await.expect("purge") >= 1);
}

/// Of many attempts sent at once, no more than the limit are admitted: a burst of guesses is not checked whole.
pub(crate) async fn a_burst_is_admitted_no_more_than_the_limit(store: &Store) {
    let t = now();
    let limits = ThrottleLimits {
        max_failures: 5,
        window: Duration::minutes(15),
        lock: Duration::minutes(15),
    };
    let outcomes = at_once(store, 12, |store, _| async move {
        store
            .admit_sign_in_attempt("bob", "password", t, limits)
            .await
            .expect("admit")
    })
    .await;
    let admitted = outcomes.iter().filter(|a| **a == Admission::Admitted).count();
    assert_eq!(admitted, 5, "{outcomes:?}");
}

/// TOTP enrolments of one user at the same moment all succeed, and one of them is the user's method.
pub(crate) async fn totp_enrolled_at_once_replace_each_other(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let methods: Vec<Totp> = (0..6u8)
        .map(|i| Totp {
            id: MethodId(Uuid::new_v4()),
            user_id: alice.id,
            secret: vec![i; 20],
            display_name: format!("Authenticator app {i}"),
            created_at: now(),
            last_used_step: 0,
        })
        .collect();
    let enrolled = at_once(store, methods.len(), |store, i| {
        let totp = methods[i].clone();
        async move {
            store
                .replace_totp(&totp, &event(Activity::UserRegisteredSecurityInfo, "x"))
                .await
        }
    })
    .await;
    for outcome in enrolled {
        outcome.expect("every enrolment succeeds");
    }
    let current = store.totp_of(alice.id).await.expect("query").expect("a method");
    assert!(methods.contains(&current), "one of the methods enrolled is the user's");
}

pub(crate) async fn totp_step_cannot_be_replayed(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let totp = Totp {
        id: MethodId(Uuid::new_v4()),
        user_id: alice.id,
        secret: vec![7; 20],
        display_name: "Authenticator app".into(),
        created_at: now(),
        last_used_step: 0,
    };
    store
        .replace_totp(&totp, &event(Activity::UserRegisteredSecurityInfo, "x"))
        .await
        .expect("totp");
    assert_eq!(store.totp_of(alice.id).await.expect("query"), Some(totp.clone()));
    let mut s = session(alice.id, Method::Password);
    store
        .record_sign_in(SignInStep {
            session: &s,
            token_hash: b"first-token",
            creates_session: true,
            throttle: ("alice", "password"),
            password: None,
            totp_step: None,
            access_pass: None,
            passkey: None,
            challenge: None,
            event: &event(Activity::UserSignedIn, "x"),
        })
        .await
        .expect("session")
        .expect("signed in");
    s.authentication.record(Method::Totp, now(), Some(totp.id));
    s.csrf_token = "raised".into();
    let replayed = event(Activity::UserSignedIn, "x");
    let step = SignInStep {
        session: &s,
        token_hash: b"token-hash",
        creates_session: false,
        throttle: ("alice", "softwareOath"),
        password: None,
        totp_step: Some((totp.id, 100)),
        access_pass: None,
        passkey: None,
        challenge: None,
        event: &replayed,
    };
    assert_eq!(store.record_sign_in(step).await.expect("step"), Ok(()));
    assert_eq!(
        store.record_sign_in(step).await.expect("replay"),
        Err(SignInConflict::CodeReplayed),
        "the same step signs in once"
    );
    assert!(
        store.session_by_token(b"first-token").await.expect("query").is_none(),
        "a raised session's old token stops working"
    );
    let stored = store
        .session_by_token(b"token-hash")
        .await
        .expect("query")
        .expect("session");
    assert_eq!(stored.csrf_token, "raised", "with a new CSRF token");
    assert!(stored.authentication.used(Method::Totp));
    let (joined, user) = store
        .session_with_user_by_token(b"token-hash")
        .await
        .expect("query")
        .expect("session and user");
    assert_eq!(joined, stored, "the joined query reads the same session");
    assert_eq!(user, alice, "and its user");
    assert!(
        store
            .session_with_user_by_token(b"no such token")
            .await
            .expect("query")
            .is_none(),
        "an unknown token names no session"
    );
}

pub(crate) async fn assertion_updates_counter_and_backup_state(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let attempt = open_attempt(store, &alice).await;
    let key = passkey(&alice, attempt, b"cred");
    store
        .commit_registration(RegistrationCommit {
            attempt,
            now: now(),
            passkey: &key,
            webauthn: "{}",
            evidence: &Evidence::default(),
            event: &event(Activity::UserRegisteredSecurityInfo, "x"),
        })
        .await
        .expect("commit")
        .expect("committed");
    let used_at = now();
    let update = AssertionUpdate {
        method_id: key.id,
        sign_count: 9,
        backup_state: true,
        backup_state_changed: true,
        webauthn: "{\"updated\":true}".into(),
        used_at,
    };
    let sign_in = |update: AssertionUpdate, token: &'static [u8]| async move {
        let s = session(alice.id, Method::Passkey);
        store
            .record_sign_in(SignInStep {
                session: &s,
                token_hash: token,
                creates_session: true,
                throttle: ("alice", "fido2"),
                password: None,
                totp_step: None,
                access_pass: None,
                passkey: Some(&update),
                challenge: None,
                event: &event(Activity::UserSignedIn, "x"),
            })
            .await
            .expect("sign-in runs")
            .expect("signed in");
    };
    sign_in(update.clone(), b"t2").await;
    let stored = store.passkey(key.id).await.expect("query").expect("passkey");
    assert_eq!(stored.passkey.sign_count, 9);
    assert!(stored.passkey.backup_state);
    assert_eq!(stored.passkey.backup_state_changed_date_time, Some(used_at));
    assert_eq!(stored.passkey.last_used_date_time, Some(used_at));
    assert_eq!(stored.webauthn, "{\"updated\":true}");
    // Two sign-ins at once with one passkey: whichever commits last, the higher counter stays.
    let lower = AssertionUpdate {
        sign_count: 8,
        webauthn: "{\"lower\":true}".into(),
        ..update.clone()
    };
    sign_in(lower, b"t3").await;
    let stored = store.passkey(key.id).await.expect("query").expect("passkey");
    assert_eq!(
        stored.passkey.sign_count, 9,
        "a lower counter never replaces a higher one"
    );
    assert_eq!(stored.webauthn, "{\"updated\":true}", "nor its state");
    store
        .record_counter_regression(key.id, &event(Activity::UserSignedIn, "x"))
        .await
        .expect("regression");
    assert_eq!(
        store
            .passkey(key.id)
            .await
            .expect("query")
            .expect("passkey")
            .passkey
            .counter_regressions,
        1
    );
}

pub(crate) async fn audit_filters_and_pages(store: &Store) {
    let start = now();
    for i in 0..5 {
        let mut e = event(
            Activity::UserRegisteredSecurityInfo,
            if i % 2 == 0 { "even" } else { "odd" },
        );
        if i == 4 {
            e.result = Outcome::Failure;
            e.result_reason = Code::AaguidNotAllowed.as_str().into();
        }
        store.record_event(&e).await.expect("record");
    }
    let all = store.list_audit(&AuditFilter::default(), 2).await.expect("page 1");
    assert_eq!(all.events.len(), 2);
    let page2 = store
        .list_audit(
            &AuditFilter {
                before: all.next,
                ..Default::default()
            },
            2,
        )
        .await
        .expect("page 2");
    let page3 = store
        .list_audit(
            &AuditFilter {
                before: page2.next,
                ..Default::default()
            },
            2,
        )
        .await
        .expect("page 3");
    assert_eq!(page3.events.len(), 1);
    assert!(page3.next.is_none());
    assert!(
        all.events[0].activity_date_time >= page3.events[0].activity_date_time,
        "newest first"
    );
    let even = store
        .list_audit(
            &AuditFilter {
                target_id: Some("even".into()),
                ..Default::default()
            },
            10,
        )
        .await
        .expect("filter");
    assert_eq!(even.events.len(), 3);
    let failures = store
        .list_audit(
            &AuditFilter {
                result: Some(Outcome::Failure),
                since: Some(start),
                ..Default::default()
            },
            10,
        )
        .await
        .expect("filter");
    assert_eq!(failures.events.len(), 1);
    assert_eq!(failures.events[0].result_reason, "aaguid_not_allowed");
    let by_correlation = store
        .list_audit(
            &AuditFilter {
                correlation_id: Some(failures.events[0].correlation_id),
                ..Default::default()
            },
            10,
        )
        .await
        .expect("filter");
    assert_eq!(by_correlation.events, failures.events);
    let none = store
        .list_audit(
            &AuditFilter {
                until: Some(start),
                activity: Some(Activity::UserRegisteredSecurityInfo),
                ..Default::default()
            },
            10,
        )
        .await
        .expect("filter");
    assert!(none.events.is_empty());
}

pub(crate) use crate::reports::*;
pub(crate) use crate::rollout::*;
