//! Conformance cases for the report reads: streamed scans and SQL counts, on both backends.

use futures_util::TryStreamExt;
use keywarden_domain::access_pass::AccessPass;
use keywarden_domain::audit::{Activity, Initiator, Outcome};
use keywarden_domain::ids::{Aaguid, MethodId};
use keywarden_domain::policy::PasskeyType;
use keywarden_domain::registration::AttestationLevel;
use keywarden_domain::reports::findings::PolicyScope;
use keywarden_domain::reports::methods::UserMethods;
use keywarden_domain::session::Method;
use keywarden_store::{AssertionUpdate, AuditFilter, Scan, Selection, SignInStep, Store};
use time::Duration;
use uuid::Uuid;

use crate::fixtures::{add_group, add_user, event, give_access_pass, give_password_and_totp, now, register, session};

const YUBIKEY: &str = "ee882879-721c-4913-9775-3dfcce97072a";
const ICLOUD: &str = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";

fn aaguid(s: &str) -> Aaguid {
    s.parse().expect("test AAGUID")
}

async fn collect<T: Send>(store: &Store, scan: Scan<T>) -> Vec<T> {
    store.stream(&scan).try_collect().await.expect("scan streams")
}

pub(crate) async fn inventory_streams_passkeys_with_their_users_in_upn_order(store: &Store) {
    let bob = add_user(store, "bob@contoso.com").await;
    let alice = add_user(store, "Alice@contoso.com").await;
    register(store, &bob, |k| k.display_name = "Bob's key".into()).await;
    let later = register(store, &alice, |k| {
        k.created_date_time = now() + Duration::seconds(5);
        k.display_name = "Second".into();
    })
    .await;
    let attested = register(store, &alice, |k| {
        k.display_name = "First".into();
        k.attestation_level = AttestationLevel::Attested;
        k.attestation_certificates = vec!["ab12cd".into(), "0099ff".into()];
        k.model = None;
    })
    .await;
    assert_eq!(store.count_passkeys().await.expect("count"), 3);
    let users = collect(store, store.inventory_scan()).await;
    assert_eq!(users.len(), 2, "one item per user with passkeys");
    let records: Vec<_> = users.into_iter().flatten().collect();
    let names: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (r.user_principal_name.as_str(), r.method_display_name.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("Alice@contoso.com", "First"),
            ("Alice@contoso.com", "Second"),
            ("bob@contoso.com", "Bob's key")
        ],
        "ordered by UPN case-insensitively, then registration time"
    );
    let first = &records[0];
    assert_eq!(first.attestation_certificate_thumbprint.as_deref(), Some("ab12cd"));
    assert_eq!(first.attestation_level, AttestationLevel::Attested);
    assert_eq!(first.created_date_time, attested.created_date_time);
    assert_eq!(first.model, None);
    assert_eq!(first.display_name, "Alice");
    assert_eq!(records[1].attestation_certificate_thumbprint, None);
    assert_eq!(records[1].model.as_deref(), Some("YubiKey 5"));
    assert_eq!(records[1].created_date_time, later.created_date_time);
    assert_eq!(records[1].admitting_profile, "default");
}

pub(crate) async fn model_counts_group_by_aaguid_type_and_attestation(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let bob = add_user(store, "bob@contoso.com").await;
    for user in [&alice, &alice, &bob] {
        register(store, user, |_| {}).await;
    }
    register(store, &bob, |k| {
        k.aa_guid = aaguid(ICLOUD);
        k.model = Some("iCloud Keychain".into());
        k.passkey_type = PasskeyType::Synced;
    })
    .await;
    let counts = store.model_counts().await.expect("counts");
    let summary: Vec<(String, PasskeyType, u64)> = counts
        .iter()
        .map(|c| (c.aaguid.to_string(), c.passkey_type, c.credentials))
        .collect();
    assert_eq!(
        summary,
        vec![
            (YUBIKEY.to_string(), PasskeyType::DeviceBound, 3),
            (ICLOUD.to_string(), PasskeyType::Synced, 1)
        ]
    );
    assert_eq!(counts[1].model.as_deref(), Some("iCloud Keychain"));
}

pub(crate) async fn users_without_passkeys_come_with_their_methods(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let bob = add_user(store, "bob@contoso.com").await;
    let carol = add_user(store, "carol@contoso.com").await;
    add_user(store, "dave@contoso.com").await;
    register(store, &alice, |_| {}).await;
    give_password_and_totp(store, &bob).await;
    let pass = AccessPass {
        id: MethodId(Uuid::new_v4()),
        user_id: carol.id,
        created_date_time: now(),
        start_date_time: now(),
        lifetime_in_minutes: 60,
        is_usable_once: true,
        used_date_time: None,
    };
    give_access_pass(store, &pass).await;
    let without = collect(store, store.user_methods_scan(true)).await;
    let summary: Vec<(&str, bool, bool, bool)> = without
        .iter()
        .map(|m| {
            (
                m.user.user_principal_name.as_str(),
                m.password,
                m.software_oath,
                m.access_pass.is_some(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("bob@contoso.com", true, true, false),
            ("carol@contoso.com", false, false, true),
            ("dave@contoso.com", false, false, false),
        ]
    );
    assert_eq!(without[1].access_pass.as_ref(), Some(&pass));
    let everyone = collect(store, store.user_methods_scan(false)).await;
    assert_eq!(everyone.len(), 4);
    assert_eq!(everyone[0].passkeys, 1);
    let sql_says: Vec<&str> = without.iter().map(|m| m.user.user_principal_name.as_str()).collect();
    let domain_says: Vec<&str> = everyone
        .iter()
        .filter(|m: &&UserMethods| !m.is_phishing_resistant())
        .map(|m| m.user.user_principal_name.as_str())
        .collect();
    assert_eq!(
        sql_says, domain_says,
        "the SQL filter agrees with the domain's classification"
    );
}

pub(crate) async fn audit_export_streams_filtered_events_oldest_first(store: &Store) {
    for i in 0..6 {
        let mut e = event(
            Activity::UserRegisteredSecurityInfo,
            if i % 2 == 0 { "even" } else { "odd" },
        );
        e.activity_date_time = now() + Duration::seconds(i);
        store.record_event(&e).await.expect("record");
    }
    let all = collect(store, store.audit_export_scan(&AuditFilter::default())).await;
    assert_eq!(all.len(), 6);
    assert!(
        all.windows(2)
            .all(|w| w[0].activity_date_time <= w[1].activity_date_time),
        "oldest first"
    );
    let even = collect(
        store,
        store.audit_export_scan(&AuditFilter {
            target_id: Some("even".into()),
            since: Some(all[1].activity_date_time),
            ..AuditFilter::default()
        }),
    )
    .await;
    assert_eq!(even.len(), 2, "targets even at seconds 2 and 4");
    assert!(even.iter().all(|e| e.target_id() == Some("even")));
}

pub(crate) async fn recheck_scan_reads_memberships_the_policy_names(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let bob = add_user(store, "bob@contoso.com").await;
    let pilot = add_group(store, "Pilot", &[&alice]).await;
    add_group(store, "Other", &[&alice, &bob]).await;
    register(store, &alice, |_| {}).await;
    register(store, &alice, |_| {}).await;
    register(store, &bob, |k| k.aa_guid = aaguid(ICLOUD)).await;
    let scope = PolicyScope {
        groups: vec![pilot.id],
        users: vec![bob.id],
    };
    let users = collect(store, store.recheck_scan(&scope)).await;
    assert_eq!(users.len(), 2, "one item per user with passkeys");
    let alices = &users[0];
    assert_eq!(alices.len(), 2);
    assert!(alices.iter().all(|c| c.user.user_principal_name == "alice@contoso.com"));
    assert_eq!(
        alices[0].class.groups,
        [pilot.id].into(),
        "only groups the policy names are read"
    );
    assert_eq!(alices[0].class.excluded_user, None);
    assert!(alices[0].class.account_enabled);
    assert_eq!(alices[0].model.as_deref(), Some("YubiKey 5"));
    let bobs = &users[1];
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0].aaguid, aaguid(ICLOUD));
    assert_eq!(bobs[0].class.excluded_user, Some(bob.id), "the scope names bob");
    assert!(bobs[0].class.groups.is_empty());
    let by_aaguid = collect(
        store,
        store.finding_credentials_scan(&Selection::Aaguids(vec![aaguid(ICLOUD)]), &scope),
    )
    .await;
    assert_eq!(by_aaguid.len(), 1);
    assert_eq!(by_aaguid[0].class, bobs[0].class, "both reads agree on the class");
    let none = collect(
        store,
        store.finding_credentials_scan(&Selection::Aaguids(vec![]), &scope),
    )
    .await;
    assert!(none.is_empty());
}

pub(crate) async fn finding_selections_read_backup_changes_and_counter_regressions(store: &Store) {
    let alice = add_user(store, "alice@contoso.com").await;
    let flipped = register(store, &alice, |k| {
        k.backup_eligible = true;
        k.passkey_type = PasskeyType::Synced;
    })
    .await;
    let regressed = register(store, &alice, |_| {}).await;
    register(store, &alice, |_| {}).await;
    let update = AssertionUpdate {
        method_id: flipped.id,
        sign_count: 3,
        backup_state: true,
        backup_state_changed: true,
        webauthn: "{}".into(),
        used_at: now(),
    };
    let s = session(alice.id, Method::Passkey);
    store
        .record_sign_in(SignInStep {
            session: &s,
            token_hash: b"token",
            creates_session: true,
            throttle: ("alice", "fido2"),
            password: None,
            totp_step: None,
            access_pass: None,
            passkey: Some(&update),
            challenge: None,
            event: &event(Activity::UserSignedIn, "a"),
        })
        .await
        .expect("sign-in runs")
        .expect("signed in");
    store
        .record_counter_regression(regressed.id, &event(Activity::UserSignedIn, "a"))
        .await
        .expect("regression");
    let scope = PolicyScope::default();
    let changed = collect(
        store,
        store.finding_credentials_scan(&Selection::BackupStateChanged, &scope),
    )
    .await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].id, flipped.id);
    assert_eq!(
        changed[0].registered_backup_state,
        Some(false),
        "read from the registration facts"
    );
    assert!(changed[0].backup_state && changed[0].backup_state_changed_date_time.is_some());
    let counters = collect(
        store,
        store.finding_credentials_scan(&Selection::CounterRegressed, &scope),
    )
    .await;
    assert_eq!(counters.len(), 1);
    assert_eq!((counters[0].id, counters[0].counter_regressions), (regressed.id, 1));
    assert_eq!(
        counters[0].registered_backup_state, None,
        "details not read without a change"
    );
}

pub(crate) async fn access_pass_findings_select_unused_and_long_passes(store: &Store) {
    let t0 = now() - Duration::hours(6);
    let mut expected = Vec::new();
    for (upn, once, minutes, used, selected) in [
        ("a@contoso.com", true, 60, false, true),
        ("b@contoso.com", true, 60, true, false),
        ("c@contoso.com", true, 600, false, false),
        ("d@contoso.com", false, 480, false, true),
        ("e@contoso.com", false, 120, false, false),
        ("f@contoso.com", false, 300, false, false),
    ] {
        let user = add_user(store, upn).await;
        let pass = AccessPass {
            id: MethodId(Uuid::new_v4()),
            user_id: user.id,
            created_date_time: t0,
            start_date_time: t0,
            lifetime_in_minutes: minutes,
            is_usable_once: once,
            used_date_time: None,
        };
        give_access_pass(store, &pass).await;
        if used {
            // A one-time pass is consumed by its first sign-in.
            let s = session(user.id, Method::TemporaryAccessPass);
            store
                .record_sign_in(SignInStep {
                    session: &s,
                    token_hash: pass.id.0.as_bytes(),
                    creates_session: true,
                    throttle: (upn, "temporaryAccessPass"),
                    password: None,
                    totp_step: None,
                    access_pass: Some((pass.id, true)),
                    passkey: None,
                    challenge: None,
                    event: &event(Activity::UserSignedIn, upn),
                })
                .await
                .expect("sign-in runs")
                .expect("signed in");
        }
        if selected {
            expected.push(upn.to_string());
        }
    }
    let found = collect(store, store.access_pass_findings_scan(now(), 240)).await;
    let upns: Vec<String> = found.iter().map(|(_, u)| u.user_principal_name.clone()).collect();
    assert_eq!(
        upns, expected,
        "one-time expired unused; multi-use longer than four hours and still valid"
    );
}

pub(crate) async fn admin_registration_initiators_are_counted_by_sql(store: &Store) {
    let admin = |name: &str| Initiator::User {
        id: format!("id-{name}"),
        user_principal_name: name.into(),
        display_name: name.into(),
        ip_address: None,
    };
    let since = now() - Duration::days(1);
    for (name, n, activity, result, age) in [
        ("busy", 3, Activity::AdminRegisteredSecurityInfo, Outcome::Success, 0),
        ("quiet", 2, Activity::AdminRegisteredSecurityInfo, Outcome::Success, 0),
        ("failing", 3, Activity::AdminRegisteredSecurityInfo, Outcome::Failure, 0),
        ("selfish", 3, Activity::UserRegisteredSecurityInfo, Outcome::Success, 0),
        ("old", 3, Activity::AdminRegisteredSecurityInfo, Outcome::Success, 2),
    ] {
        for i in 0..n {
            let mut e = event(activity, "target");
            e.initiated_by = admin(name);
            e.result = result;
            e.activity_date_time = now() - Duration::days(age) + Duration::seconds(i);
            store.record_event(&e).await.expect("record");
        }
    }
    let initiators = store.admin_registration_initiators(since, 3).await.expect("initiators");
    assert_eq!(initiators, vec!["id-busy".to_string()]);
    let events = collect(store, store.admin_registrations_scan("id-busy", since)).await;
    assert_eq!(events.len(), 3);
    assert!(
        events
            .windows(2)
            .all(|w| w[0].activity_date_time <= w[1].activity_date_time)
    );
}
