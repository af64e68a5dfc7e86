//! Sign-in: password then TOTP, replay protection, passkey counters and backup state, the policy re-check at
//! sign-in, self-service management of passkeys, and the list of a user's own methods.

use keywarden_domain::audit::{Activity, Initiator, Outcome};
use keywarden_server::ops::sign_in::{enroll_totp, totp_code};
use keywarden_testkit::SoftAuthenticator;
use serde_json::{Value, json};
use time::Duration;

use crate::TestApp;
use crate::support::{ICLOUD, YUBIKEY, aaguid};

async fn totp_for(app: &TestApp, upn: &str) -> String {
    let user = app.store().find_user(upn).await.expect("query").expect("user");
    enroll_totp(
        &app.state,
        &app.ctx(),
        Initiator::LocalOperator { os_user: "test".into() },
        &user,
        Activity::AdminRegisteredSecurityInfo,
    )
    .await
    .expect("totp enrolled")
    .secret_base32
}

pub(crate) async fn password_then_totp(app: TestApp) {
    let secret = totp_for(&app, "alice@contoso.com").await;
    let alice = app.browser();
    alice
        .sign_in_password("alice@contoso.com", "wrong-password")
        .await
        .refused(401, "invalid_credentials");
    let first = alice
        .sign_in_password("alice@contoso.com", "alice-password")
        .await
        .expect(200);
    assert_eq!(first["status"], "mfaRequired");
    alice.get("/v1/me").await.refused(401, "mfa_required");
    alice
        .post("/v1/signin/totp", json!({"code": "000000"}))
        .await
        .refused(401, "invalid_credentials");
    let code = totp_code(&secret, app.clock().now()).expect("code");
    let second = alice.post("/v1/signin/totp", json!({"code": code})).await.expect(200);
    assert_eq!(second["status"], "signedIn");
    let me = alice.get("/v1/me").await.expect(200);
    let methods: Vec<&str> = me["session"]["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .filter_map(|m| m["method"].as_str())
        .collect();
    assert_eq!(methods, vec!["password", "softwareOath"]);
    assert!(me["session"]["lastStrongAuthenticationDateTime"].is_string());
    let at = me["session"]["methods"][0]["at"]
        .as_str()
        .expect("times are RFC 3339 strings");
    assert!(
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).is_ok(),
        "{at}"
    );
    // Password + TOTP is strong authentication: registration may begin.
    alice
        .post("/v1/me/authentication/fido2Methods/registration/begin", json!({}))
        .await
        .expect(200);
    // Unknown users get the same answer as wrong passwords.
    app.browser()
        .sign_in_password("nobody@contoso.com", "x-password")
        .await
        .refused(401, "invalid_credentials");
}

pub(crate) async fn totp_code_cannot_be_replayed(app: TestApp) {
    let secret = totp_for(&app, "alice@contoso.com").await;
    let code = totp_code(&secret, app.clock().now()).expect("code");
    let first = app.browser();
    first
        .sign_in_password("alice@contoso.com", "alice-password")
        .await
        .expect(200);
    first.post("/v1/signin/totp", json!({"code": code})).await.expect(200);
    let second = app.browser();
    second
        .sign_in_password("alice@contoso.com", "alice-password")
        .await
        .expect(200);
    second
        .post("/v1/signin/totp", json!({"code": code}))
        .await
        .refused(401, "invalid_credentials");
}

pub(crate) async fn passkey_sign_in_stores_counter_and_backup_state_change(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let mut key = SoftAuthenticator::new(aaguid(ICLOUD))
        .backup(true, false)
        .counter_start(10);
    let created = app.register(&alice, &mut key).await.expect(201);
    assert_eq!(created["passkeyType"], "synced");
    let id = created["id"].as_str().expect("id").to_string();
    let (_, answer) = app.sign_in_with_passkey(&mut key).await;
    answer.expect(200);
    let credential = key.credential_ids().remove(0);
    key.set_backup_state(&credential, true);
    let (_, answer) = app.sign_in_with_passkey(&mut key).await;
    answer.expect(200);
    let stored = app
        .store()
        .passkey(id.parse().expect("method id"))
        .await
        .expect("query")
        .expect("passkey")
        .passkey;
    assert_eq!(stored.sign_count, 12);
    assert!(stored.backup_state);
    assert!(stored.backup_state_changed_date_time.is_some());
    assert!(stored.last_used_date_time.is_some());
    let events = app.audit().await;
    let last = events
        .iter()
        .rev()
        .find(|e| e.activity == Activity::UserSignedIn)
        .expect("sign-in event");
    assert!(
        last.additional_details
            .iter()
            .any(|d| d.key == keywarden_domain::audit::DetailKey::BackupStateChanged && d.value == "false -> true")
    );
}

/// Finishes a passkey sign-in begun with `begun`, in `browser`.
async fn finish_sign_in(browser: &crate::support::Browser, begun: &Value, assertion: &Value) -> crate::support::Answer {
    browser
        .post(
            "/v1/signin/passkey/finish",
            json!({"challengeId": begun["challengeId"], "credential": assertion}),
        )
        .await
}

pub(crate) async fn sign_in_challenge_is_used_once(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let mut key = SoftAuthenticator::new(aaguid(YUBIKEY));
    app.register(&alice, &mut key).await.expect(201);
    let browser = std::sync::Arc::new(app.browser());
    let begin = || async { browser.post("/v1/signin/passkey/begin", json!({})).await.expect(200) };

    // A refused finish uses up its challenge: the good answer to it is refused after.
    let begun = begin().await;
    let good = key.sign_in(&begun["publicKey"], &app.origin).expect("answers");
    let forged = keywarden_testkit::tamper::signature(&good);
    let refused = finish_sign_in(&browser, &begun, &forged).await;
    assert_eq!(refused.status.as_u16(), 401, "{:?}", refused.body);
    finish_sign_in(&browser, &begun, &good)
        .await
        .refused(409, "challenge_used");

    // A sign-in cannot be replayed.
    let begun = begin().await;
    let good = key.sign_in(&begun["publicKey"], &app.origin).expect("answers");
    finish_sign_in(&browser, &begun, &good).await.expect(200);
    finish_sign_in(&browser, &begun, &good)
        .await
        .refused(409, "challenge_used");

    // Concurrent finishes of one challenge: one sign-in, and one session.
    let signed_in = |events: &[keywarden_domain::audit::Event]| {
        events
            .iter()
            .filter(|e| e.activity == Activity::UserSignedIn && e.result == Outcome::Success)
            .filter(|e| {
                e.additional_details
                    .iter()
                    .any(|d| d.key == keywarden_domain::audit::DetailKey::Method && d.value == "fido2")
            })
            .count()
    };
    let before = signed_in(&app.audit().await);
    let begun = begin().await;
    let good = key.sign_in(&begun["publicKey"], &app.origin).expect("answers");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (browser, begun, good) = (browser.clone(), begun.clone(), good.clone());
        tasks.push(tokio::spawn(
            async move { finish_sign_in(&browser, &begun, &good).await },
        ));
    }
    crate::support::exactly_one_wins(tasks, 200, (409, "challenge_used")).await;
    assert_eq!(
        signed_in(&app.audit().await),
        before + 1,
        "one sign-in for one challenge"
    );

    // The challengeId is the ceremony sealed by the server: a changed one, or one it did not make, is unknown.
    let begun = begin().await;
    let good = key.sign_in(&begun["publicKey"], &app.origin).expect("answers");
    let sealed = begun["challengeId"].as_str().expect("challengeId").to_string();
    let mut changed = sealed.clone().into_bytes();
    let middle = changed.len() / 2;
    changed[middle] = if changed[middle] == b'A' { b'B' } else { b'A' };
    for other in [
        String::from_utf8(changed).expect("ascii"),
        sealed[..sealed.len() - 4].to_string(),
        uuid::Uuid::now_v7().to_string(),
        String::new(),
    ] {
        finish_sign_in(&browser, &json!({"challengeId": other}), &good)
            .await
            .refused(400, "challenge_unknown");
    }
    // After five minutes the ceremony has expired, whatever the answer.
    app.clock().advance(Duration::minutes(6));
    finish_sign_in(&browser, &begun, &good)
        .await
        .refused(410, "challenge_expired");
    assert_eq!(signed_in(&app.audit().await), before + 1, "no sign-in from any of them");
}

pub(crate) async fn counter_regression_is_refused_and_recorded(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let mut key = SoftAuthenticator::new(aaguid(YUBIKEY)).counter_start(50);
    let created = app.register(&alice, &mut key).await.expect(201);
    let (_, answer) = app.sign_in_with_passkey(&mut key).await;
    answer.expect(200);
    let credential = key.credential_ids().remove(0);
    key.set_counter(&credential, 10);
    let (_, answer) = app.sign_in_with_passkey(&mut key).await;
    answer.refused(401, "sign_count_regressed");
    let stored = app
        .store()
        .passkey(created["id"].as_str().expect("id").parse().expect("id"))
        .await
        .expect("query")
        .expect("passkey");
    assert_eq!(stored.passkey.counter_regressions, 1);
    assert_eq!(stored.passkey.sign_count, 51, "the stored counter is kept");
    assert!(
        app.audit()
            .await
            .iter()
            .any(|e| e.result == Outcome::Failure && e.result_reason == "sign_count_regressed")
    );
}

pub(crate) async fn synced_passkey_stops_working_when_the_profile_drops_synced(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let mut synced = SoftAuthenticator::new(aaguid(ICLOUD)).backup(true, true);
    app.register(&alice, &mut synced).await.expect(201);
    let mut bound = SoftAuthenticator::new(aaguid(YUBIKEY));
    app.register(&alice, &mut bound).await.expect(201);
    app.patch_fido2(json!({
        "passkeyProfiles": [
            {"id": "any", "name": "Any passkey", "passkeyTypes": "deviceBound", "attestationEnforcement": "disabled",
             "keyRestrictions": {"isEnforced": false, "enforcementType": "allow", "aaGuids": []}},
            {"id": "attested", "name": "Attested device-bound", "passkeyTypes": "deviceBound", "attestationEnforcement": "registrationOnly",
             "keyRestrictions": {"isEnforced": false, "enforcementType": "allow", "aaGuids": []}},
        ],
    }))
    .await;
    let (_, answer) = app.sign_in_with_passkey(&mut synced).await;
    let body = answer.refused(403, "credential_not_allowed_at_sign_in");
    assert!(body["error"]["details"]["verdicts"][0]["denials"][0]["code"] == "passkey_type_not_allowed");
    let (_, answer) = app.sign_in_with_passkey(&mut bound).await;
    answer.expect(200);
    // Key restrictions apply at sign-in too; exclusion wins.
    app.apply_policy(&json!({"id": "Fido2", "excludeTargets": [{"targetType": "group", "id": crate::support::PILOT}]}))
        .await;
    let (_, answer) = app.sign_in_with_passkey(&mut bound).await;
    answer.refused(403, "user_excluded");
}

pub(crate) async fn self_service_rename_and_delete(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let mut key = SoftAuthenticator::new(aaguid(YUBIKEY));
    let created = app.register(&alice, &mut key).await.expect(201);
    let path = format!(
        "/v1/me/authentication/fido2Methods/{}",
        created["id"].as_str().expect("id")
    );
    let renamed = alice
        .patch(&path, json!({"displayName": "Work YubiKey"}))
        .await
        .expect(200);
    assert_eq!(renamed["displayName"], "Work YubiKey");
    alice
        .patch(&path, json!({"displayName": "   "}))
        .await
        .refused(400, "invalid_request");
    // Deleting needs recent strong authentication.
    app.clock().advance(Duration::minutes(11));
    alice.delete(&path).await.refused(403, "reauthentication_required");
    let code = app.issue_pass("alice@contoso.com", false).await;
    alice
        .post("/v1/signin/tap", json!({"username": "alice@contoso.com", "code": code}))
        .await
        .expect(200);
    alice.delete(&path).await.expect(204);
    alice.get(&path).await.refused(404, "not_found");
    let events = app.audit().await;
    assert!(events.iter().any(|e| e.activity == Activity::UserUpdatedSecurityInfo));
    assert!(
        events
            .iter()
            .any(|e| e.activity == Activity::UserDeletedSecurityInfo && e.result == Outcome::Success)
    );
    // Without the CSRF header a cookie request that changes state is refused.
    let raw = alice
        .client
        .delete(format!("{}{path}", alice.base))
        .send()
        .await
        .expect("request");
    assert_eq!(raw.status().as_u16(), 403);
}

/// Security info's list: every method of the user, never a secret.
pub(crate) async fn own_methods_are_listed_without_secrets(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let mut key = SoftAuthenticator::new(aaguid(YUBIKEY));
    app.register(&alice, &mut key).await.expect(201);
    let enrolled = alice
        .post("/v1/me/authentication/softwareOathMethods", json!({}))
        .await
        .expect(201);
    let secret = enrolled["secret"].as_str().expect("the secret, once").to_string();
    // The QR code an authenticator app scans is that of the otpauth URI returned with it.
    let uri = enrolled["uri"].as_str().expect("the otpauth URI");
    assert!(
        uri.starts_with("otpauth://totp/") && uri.contains(&format!("secret={secret}")),
        "{uri}"
    );
    let svg = enrolled["qrCodeSvg"].as_str().expect("the QR code, once");
    let expected = qrcode::QrCode::new(uri.as_bytes())
        .expect("a URI that fits a QR code")
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
    assert_eq!(svg, expected, "the QR code encodes the returned URI");

    let listed = alice.get("/v1/me/authentication/methods").await.expect(200);
    let text = listed.to_string();
    let types: Vec<&str> = listed["value"]
        .as_array()
        .expect("value")
        .iter()
        .filter_map(|m| m["@odata.type"].as_str())
        .collect();
    assert_eq!(
        types,
        [
            "#microsoft.graph.passwordAuthenticationMethod",
            "#microsoft.graph.fido2AuthenticationMethod",
            "#microsoft.graph.softwareOathAuthenticationMethod",
            "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        ]
    );
    let pass = &listed["value"][3];
    assert_eq!(
        pass["temporaryAccessPass"],
        Value::Null,
        "the pass's code is never listed"
    );
    assert_eq!(pass["isUsable"], true);
    assert!(pass["lifetimeInMinutes"].is_number() && pass["startDateTime"].is_string());
    assert_eq!(listed["value"][2]["secretKey"], Value::Null);
    assert!(!text.contains(&secret), "the authenticator app's key is never listed");
    assert!(!text.contains("<svg"), "nor its QR code");
    assert_eq!(listed["value"][1]["displayName"], "My key");
    assert!(
        listed["value"][1].get("icon").is_none(),
        "no icon without metadata for the AAGUID"
    );
    // Only for signed-in users.
    let anonymous = app.browser().get("/v1/me/authentication/methods").await;
    assert_eq!(anonymous.code(), "unauthenticated");
}
