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
    AssertionUpdate, AuditFilter, ImportedGroup, NewUser, RegistrationCommit, RegistrationFailure, SignInChallenge,
    SignInStep, Store, StoredAccessPass, ThrottleLimits, Totp,
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

pub(crate) async fn importing_a_user_twice_updates_it(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let mut changed = user("ALICE@contoso.com");
    changed.display_name = "Alice Liddell".into();
    changed.roles = vec![Role::GlobalReader];
    let (created, updated) = store
        .import_users(
            &[NewUser {
                user: changed,
                password_hash: Some("$argon2id$x".into()),
            }],
            now(),
            &|u, created| {
                assert!(!created, "second import is an update");
                event(Activity::UpdateUser, &u.id.to_string())
            },
        )
        .await
        .expect("import");
    assert_eq!((created, updated), (0, 1));
    let stored = store.user(alice.id).await.expect("query").expect("same id kept");
    assert_eq!(stored.display_name, "Alice Liddell");
    assert_eq!(stored.roles, vec![Role::GlobalReader]);
    assert_eq!(
        store.password_hash(alice.id).await.expect("query").as_deref(),
        Some("$argon2id$x")
    );
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
            consume_access_pass: None,
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
                    consume_access_pass: None,
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
            .all(|o| *o == Err(Code::ChallengeUsed))
    );
    assert_eq!(store.passkeys_of(alice.id).await.expect("query").len(), 1);
}

pub(crate) async fn one_time_pass_is_consumed_exactly_once_under_concurrent_finishes(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let tap = pass(alice.id, true);
    store
        .replace_access_pass(&tap, &event(Activity::AdminRegisteredSecurityInfo, "a"))
        .await
        .expect("issue");
    let mut attempts = Vec::new();
    for _ in 0..6 {
        attempts.push(open_attempt(store, &alice).await);
    }
    let pass_id = tap.pass.id;
    let outcomes = at_once(store, attempts.len(), |store, i| {
        let attempt = attempts[i];
        let key = passkey(&alice, attempt, &[i as u8; 20]);
        async move {
            store
                .commit_registration(RegistrationCommit {
                    attempt,
                    now: now(),
                    passkey: &key,
                    webauthn: "{}",
                    consume_access_pass: Some(pass_id),
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
            .all(|o| *o == Err(Code::AccessPassAlreadyUsed))
    );
    assert_eq!(
        store.passkeys_of(alice.id).await.expect("query").len(),
        1,
        "one passkey for one pass"
    );
    let used = store.access_pass_of(alice.id).await.expect("query").expect("pass kept");
    assert!(used.pass.used_date_time.is_some());
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
                consume_access_pass: None,
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
        Err(Code::CredentialAlreadyRegistered)
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
    assert_eq!(fail().await, Err(Code::ChallengeUsed));
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

pub(crate) async fn server_key_is_made_once_and_shared(store: &Store) {
    let first = store.server_key("seal", &[1; 32], now()).await.expect("key");
    assert_eq!(first, vec![1; 32]);
    let again = store.server_key("seal", &[2; 32], now()).await.expect("key");
    assert_eq!(again, first, "the key made first stays");
    assert_eq!(
        store.server_key("other", &[3; 32], now()).await.expect("key"),
        vec![3; 32]
    );
}

pub(crate) async fn wrong_codes_lock_the_method(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let limits = ThrottleLimits {
        max_failures: 3,
        window: Duration::minutes(15),
        lock: Duration::minutes(15),
    };
    let t = now();
    for i in 0..2 {
        let locked = store
            .record_sign_in_failure(
                alice.id,
                "temporaryAccessPass",
                t,
                limits,
                &event(Activity::UserSignedIn, "x"),
            )
            .await
            .expect("record");
        assert!(locked.is_none(), "failure {i} does not lock yet");
    }
    let locked = store
        .record_sign_in_failure(
            alice.id,
            "temporaryAccessPass",
            t,
            limits,
            &event(Activity::UserSignedIn, "x"),
        )
        .await
        .expect("record")
        .expect("third failure locks");
    assert_eq!(locked, t + Duration::minutes(15));
    assert_eq!(
        store
            .locked_until(alice.id, "temporaryAccessPass", t)
            .await
            .expect("query"),
        Some(locked)
    );
    assert_eq!(
        store.locked_until(alice.id, "password", t).await.expect("query"),
        None,
        "per method"
    );
    // A wrong code that was already being checked when the lock came (it passed the lock check before) is counted
    // while locked: it answers locked, and lifts nothing.
    let during = store
        .record_sign_in_failure(
            alice.id,
            "temporaryAccessPass",
            t + Duration::seconds(1),
            limits,
            &event(Activity::UserSignedIn, "x"),
        )
        .await
        .expect("record");
    assert_eq!(during, Some(locked), "answered as locked");
    assert_eq!(
        store
            .locked_until(alice.id, "temporaryAccessPass", t + Duration::seconds(2))
            .await
            .expect("query"),
        Some(locked),
        "still locked"
    );
    assert_eq!(
        store
            .locked_until(alice.id, "temporaryAccessPass", locked)
            .await
            .expect("query"),
        None,
        "lock ends"
    );
    // After the lock, counting starts again.
    let after = store
        .record_sign_in_failure(
            alice.id,
            "temporaryAccessPass",
            locked,
            limits,
            &event(Activity::UserSignedIn, "x"),
        )
        .await
        .expect("record");
    assert_eq!(after, None, "the first failure after the lock does not lock");
}

/// Wrong codes sent at once are all counted: none is lost to another's write, so they lock.
pub(crate) async fn concurrent_wrong_codes_are_all_counted(store: &Store) {
    let bob = add_user(store, "bob@contoso.com").await;
    let t = now();
    let limits = ThrottleLimits {
        max_failures: 10,
        window: Duration::minutes(15),
        lock: Duration::minutes(15),
    };
    let outcomes = at_once(store, 12, |store, _| async move {
        store
            .record_sign_in_failure(bob.id, "password", t, limits, &event(Activity::UserSignedIn, "x"))
            .await
            .expect("record")
    })
    .await;
    let locking = outcomes.iter().filter(|locked| locked.is_some()).count();
    assert!(locking >= 1, "twelve failures against a limit of ten lock");
    assert!(
        store
            .locked_until(bob.id, "password", t)
            .await
            .expect("query")
            .is_some(),
        "locked after concurrent failures"
    );
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
            new_token_hash: Some(b"token-hash"),
            method: "password",
            totp_step: None,
            passkey: None,
            challenge: None,
            event: &event(Activity::UserSignedIn, "x"),
        })
        .await
        .expect("session");
    s.authentication.record(Method::Totp, now());
    let replayed = event(Activity::UserSignedIn, "x");
    let step = SignInStep {
        session: &s,
        new_token_hash: None,
        method: "softwareOath",
        totp_step: Some((totp.id, 100)),
        passkey: None,
        challenge: None,
        event: &replayed,
    };
    assert!(store.record_sign_in(step).await.expect("step"));
    assert!(
        !store.record_sign_in(step).await.expect("replay"),
        "the same step signs in once"
    );
    let stored = store
        .session_by_token(b"token-hash")
        .await
        .expect("query")
        .expect("session");
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
            consume_access_pass: None,
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
    let s = session(alice.id, Method::Password);
    store
        .record_sign_in(SignInStep {
            session: &s,
            new_token_hash: Some(b"t2"),
            method: "fido2",
            totp_step: None,
            passkey: Some(&update),
            challenge: None,
            event: &event(Activity::UserSignedIn, "x"),
        })
        .await
        .expect("sign-in");
    let stored = store.passkey(key.id).await.expect("query").expect("passkey");
    assert_eq!(stored.passkey.sign_count, 9);
    assert!(stored.passkey.backup_state);
    assert_eq!(stored.passkey.backup_state_changed_date_time, Some(used_at));
    assert_eq!(stored.passkey.last_used_date_time, Some(used_at));
    assert_eq!(stored.webauthn, "{\"updated\":true}");
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
