//! Conformance cases for the rollout reads: users streamed with their groups, passkeys and methods, and attempts
//! counted per ring, on both backends.

use futures_util::TryStreamExt;
use keywarden_domain::Code;
use keywarden_domain::access_pass::AccessPass;
use keywarden_domain::audit::Activity;
use keywarden_domain::directory::User;
use keywarden_domain::ids::{GroupId, MethodId};
use keywarden_domain::policy::PasskeyType;
use keywarden_domain::registration::{Evidence, Status};
use keywarden_domain::rollout::Subject;
use keywarden_domain::rollout::status::AttemptCount;
use keywarden_store::Scan;
use keywarden_store::{RegistrationFailure, Store, SubjectPart};
use time::Duration;
use uuid::Uuid;

use crate::fixtures::{add_group, add_user, event, give_access_pass, give_password_and_totp, now, open_attempt};

const ICLOUD: &str = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";

async fn subjects(store: &Store, scan: Scan<SubjectPart>) -> Vec<Subject> {
    store.subjects(&scan).try_collect().await.expect("subjects stream")
}

async fn register(store: &Store, user: &User, name: &str, synced: bool) -> MethodId {
    let key = crate::fixtures::register(store, user, |key| {
        key.display_name = name.into();
        if synced {
            key.aa_guid = ICLOUD.parse().expect("aaguid");
            key.passkey_type = PasskeyType::Synced;
            key.model = None;
        }
    })
    .await;
    key.id
}

pub(crate) async fn subjects_stream_each_user_with_groups_passkeys_and_methods(store: &Store) {
    let carol = add_user(store, "carol@contoso.com").await;
    let alice = add_user(store, "Alice@contoso.com").await;
    let bob = add_user(store, "bob@contoso.com").await;
    let pilot = add_group(store, "Pilot", &[&alice, &bob]).await;
    let admins = add_group(store, "Admins", &[&alice]).await;
    let first = register(store, &alice, "Key", false).await;
    let second = register(store, &alice, "Phone", true).await;
    give_password_and_totp(store, &bob).await;
    let pass = AccessPass {
        id: MethodId(Uuid::new_v4()),
        user_id: carol.id,
        created_date_time: now(),
        start_date_time: now() + Duration::minutes(5),
        lifetime_in_minutes: 90,
        is_usable_once: true,
        used_date_time: None,
    };
    give_access_pass(store, &pass).await;

    let everyone = subjects(store, store.subjects_scan(None)).await;
    let names: Vec<&str> = everyone.iter().map(|s| s.user.user_principal_name.as_str()).collect();
    assert_eq!(
        names,
        vec!["Alice@contoso.com", "bob@contoso.com", "carol@contoso.com"],
        "one item per user, in userPrincipalName order (case-insensitive)"
    );
    let (a, b, c) = (&everyone[0], &everyone[1], &everyone[2]);
    assert_eq!(a.user, alice);
    assert_eq!(a.groups, [pilot.id, admins.id].into_iter().collect());
    let keys: Vec<(MethodId, &str, PasskeyType)> = a
        .passkeys
        .iter()
        .map(|p| (p.id, p.display_name.as_str(), p.passkey_type))
        .collect();
    assert_eq!(
        keys,
        vec![
            (first, "Key", PasskeyType::DeviceBound),
            (second, "Phone", PasskeyType::Synced)
        ]
    );
    assert_eq!(a.passkeys[0].model.as_deref(), Some("YubiKey 5"));
    assert_eq!(a.passkeys[1].aaguid.to_string(), ICLOUD);
    assert!(!a.password && !a.software_oath && a.access_pass.is_none());
    assert_eq!(b.groups, [pilot.id].into_iter().collect());
    assert!(b.passkeys.is_empty());
    assert!(b.password && b.software_oath);
    assert!(c.groups.is_empty() && c.passkeys.is_empty());
    assert_eq!(c.access_pass.as_ref(), Some(&pass));

    let members = subjects(store, store.subjects_scan(Some(pilot.id))).await;
    let names: Vec<&str> = members.iter().map(|s| s.user.user_principal_name.as_str()).collect();
    assert_eq!(
        names,
        vec!["Alice@contoso.com", "bob@contoso.com"],
        "a group's members only"
    );
    assert_eq!(members[0], everyone[0], "with all their groups and passkeys");
    let nobody = subjects(store, store.subjects_scan(Some(GroupId(Uuid::new_v4())))).await;
    assert!(nobody.is_empty());
}

pub(crate) async fn attempt_counts_group_by_ring_status_and_code(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let bob = add_user(store, "bob@contoso.com").await;
    let carol = add_user(store, "carol@contoso.com").await;
    let pilot = add_group(store, "Pilot", &[&alice, &bob]).await;
    let admins = add_group(store, "Admins", &[&bob]).await;
    register(store, &alice, "Key", false).await;
    for (user, code) in [
        (&alice, Code::AaguidNotAllowed),
        (&bob, Code::AaguidNotAllowed),
        (&carol, Code::UserExcluded),
    ] {
        let attempt = open_attempt(store, user).await;
        store
            .fail_registration(RegistrationFailure {
                attempt,
                now: now(),
                code,
                evidence: &Evidence::default(),
                facts: None,
                event: &event(Activity::UserRegisteredSecurityInfo, "x"),
            })
            .await
            .expect("fail runs")
            .expect("failed");
    }
    open_attempt(store, &bob).await;

    let mut counts = store.attempt_counts(None).await.expect("counts");
    let key = |c: &AttemptCount| {
        (
            c.ring.map(|r| r.to_string()).unwrap_or_default(),
            c.status.as_str(),
            c.outcome.map(|o| o.as_str()).unwrap_or(""),
        )
    };
    counts.sort_by_key(|c| key(c));
    let mut expected = vec![
        (Some(pilot.id), Status::Succeeded, None, 1),
        (Some(pilot.id), Status::Failed, Some(Code::AaguidNotAllowed), 2),
        (Some(pilot.id), Status::Open, None, 1),
        (Some(admins.id), Status::Failed, Some(Code::AaguidNotAllowed), 1),
        (Some(admins.id), Status::Open, None, 1),
        (None, Status::Succeeded, None, 1),
        (None, Status::Failed, Some(Code::AaguidNotAllowed), 2),
        (None, Status::Failed, Some(Code::UserExcluded), 1),
        (None, Status::Open, None, 1),
    ]
    .into_iter()
    .map(|(ring, status, outcome, attempts)| AttemptCount {
        ring,
        status,
        outcome,
        attempts,
    })
    .collect::<Vec<_>>();
    expected.sort_by_key(|c| key(c));
    assert_eq!(counts, expected);

    let later = store
        .attempt_counts(Some(now() + Duration::minutes(1)))
        .await
        .expect("counts");
    assert!(
        later.is_empty(),
        "attempts begun before `since` are left out: {later:?}"
    );
}
