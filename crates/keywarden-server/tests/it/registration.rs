//! Registration end to end: TAP bootstrap, the four questions refusing with their codes, attestation against
//! metadata, registration on a user's behalf, and the browser's failure report.

use keywarden_domain::audit::{Activity, Initiator, Outcome};
use keywarden_domain::directory::Role;
use keywarden_domain::metadata::Status;
use keywarden_server::auth::Actor;
use keywarden_server::ops::directory::{Format, import_users};
use keywarden_server::ops::sign_in::enroll_totp;
use keywarden_server::ops::tokens;
use keywarden_testkit::{Attestation, SoftAuthenticator};
use reqwest::Method;
use serde_json::json;
use time::Duration;

use crate::TestApp;
use crate::support::{Automation, ICLOUD, YUBIKEY, aaguid, shared_ca, yubikey_catalog};

pub(crate) async fn tap_bootstrap_then_registration_then_username_less_sign_in(app: TestApp) {
    let bob = app.signed_in_with_pass("bob@contoso.com", true).await;
    let mut key = SoftAuthenticator::new(aaguid(YUBIKEY));
    let created = app.register(&bob, &mut key).await.expect(201);
    assert_eq!(created["displayName"], "My key");
    assert_eq!(created["aaGuid"], YUBIKEY);
    assert_eq!(created["passkeyType"], "deviceBound");
    assert_eq!(created["attestationLevel"], "notAttested");
    assert_eq!(created["admittingProfile"], "any");

    let listed = bob.get("/v1/me/authentication/fido2Methods").await.expect(200);
    assert_eq!(listed["value"].as_array().map(Vec::len), Some(1));

    let (browser, answer) = app.sign_in_with_passkey(&mut key).await;
    let signed_in = answer.expect(200);
    assert_eq!(signed_in["user"]["userPrincipalName"], "bob@contoso.com");
    let me = browser.get("/v1/me").await.expect(200);
    assert_eq!(me["session"]["methods"][0]["method"], "fido2");

    let user = app
        .store()
        .find_user("bob@contoso.com")
        .await
        .expect("query")
        .expect("bob");
    let pass = app
        .store()
        .access_pass_of(user.id)
        .await
        .expect("query")
        .expect("pass kept");
    assert!(
        pass.pass.used_date_time.is_some(),
        "the one-time pass was consumed by the committed registration"
    );

    let activities: Vec<Activity> = app.audit().await.iter().map(|e| e.activity).collect();
    for expected in [
        Activity::AdminRegisteredSecurityInfo,
        Activity::UserSignedIn,
        Activity::UserStartedSecurityInfoRegistration,
        Activity::UserRegisteredSecurityInfo,
    ] {
        assert!(
            activities.contains(&expected),
            "{expected:?} missing from {activities:?}"
        );
    }
}

pub(crate) async fn each_eligibility_rule_refuses_at_begin_with_its_code(app: TestApp) {
    for (upn, password, code) in [
        ("guest@fabrikam.com", "guest-password", "guest_user_not_supported"),
        ("erin@contoso.com", "erin-password", "user_excluded"),
        ("reader@contoso.com", "reader-password", "user_not_in_policy_scope"),
    ] {
        // Question 1 is answered before question 2: a password is enough to learn the user is not eligible.
        let browser = app.browser();
        browser.sign_in_password(upn, password).await.expect(200);
        let body = browser
            .post("/v1/me/authentication/fido2Methods/registration/begin", json!({}))
            .await
            .refused(403, code);
        assert_eq!(body["error"]["question"], 1, "{upn}");
        assert!(body["error"]["fix"].as_str().is_some_and(|f| !f.is_empty()));
        let attempt = body["error"]["attemptId"]
            .as_str()
            .expect("the refusal is recorded as an attempt");
        let user = app.store().find_user(upn).await.expect("query").expect("user");
        let attempts = app.store().attempts_of(user.id, 10).await.expect("attempts");
        assert_eq!(attempts[0].id.to_string(), attempt);
        assert_eq!(attempts[0].outcome.map(|c| c.as_str()), Some(code));
    }
    app.patch_fido2(json!({"isSelfServiceRegistrationAllowed": false}))
        .await;
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    alice
        .post("/v1/me/authentication/fido2Methods/registration/begin", json!({}))
        .await
        .refused(403, "self_service_registration_disabled");
    app.patch_fido2(json!({"state": "disabled"})).await;
    alice
        .post("/v1/me/authentication/fido2Methods/registration/begin", json!({}))
        .await
        .refused(403, "passkey_method_disabled");
    let failures = app
        .audit()
        .await
        .into_iter()
        .filter(|e| e.activity == Activity::UserStartedSecurityInfoRegistration && e.result == Outcome::Failure)
        .count();
    assert_eq!(failures, 5, "each refused begin is audited once");
}

pub(crate) async fn stale_strong_authentication_is_refused_then_accepted_after_verifying_again(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    app.clock().advance(Duration::minutes(11));
    let body = alice
        .post("/v1/me/authentication/fido2Methods/registration/begin", json!({}))
        .await
        .refused(403, "reauthentication_required");
    assert_eq!(body["error"]["question"], 2);
    assert_eq!(body["error"]["details"]["verification"]["windowMinutes"], 10);
    // Verify again in place: a pass sign-in on the same session.
    let code = app.issue_pass("alice@contoso.com", false).await;
    alice
        .post("/v1/signin/tap", json!({"username": "alice@contoso.com", "code": code}))
        .await
        .expect(200);
    let mut key = SoftAuthenticator::new(aaguid(YUBIKEY));
    app.register(&alice, &mut key).await.expect(201);
}

pub(crate) async fn password_only_user_without_methods_is_told_to_get_a_pass(app: TestApp) {
    let alice = app.browser();
    let signed_in = alice
        .sign_in_password("alice@contoso.com", "alice-password")
        .await
        .expect(200);
    assert_eq!(signed_in["status"], "signedIn", "no second factor exists yet");
    let body = alice
        .post("/v1/me/authentication/fido2Methods/registration/begin", json!({}))
        .await
        .refused(403, "no_usable_mfa_method");
    assert!(
        body["error"]["fix"]
            .as_str()
            .is_some_and(|f| f.contains("Temporary Access Pass"))
    );
}

pub(crate) async fn each_profile_rule_refuses_at_finish_with_its_code(app: TestApp) {
    // Pilot gets a device-bound profile allowing only YubiKeys; Admins keep the attested profile.
    let attested = json!({"id": "attested", "name": "Attested device-bound", "passkeyTypes": "deviceBound",
        "attestationEnforcement": "registrationOnly", "keyRestrictions": {"isEnforced": false, "enforcementType": "allow", "aaGuids": []}});
    app.patch_fido2(json!({
        "includeTargets": [
            {"targetType": "group", "id": crate::support::PILOT, "allowedPasskeyProfiles": ["yubikeys"]},
            {"targetType": "group", "id": crate::support::ADMINS, "allowedPasskeyProfiles": ["attested"]},
        ],
        "passkeyProfiles": [
            {"id": "yubikeys", "name": "YubiKeys", "passkeyTypes": "deviceBound", "attestationEnforcement": "disabled",
             "keyRestrictions": {"isEnforced": true, "enforcementType": "allow", "aaGuids": [YUBIKEY]}},
            attested.clone(),
        ],
        "defaultPasskeyProfile": "yubikeys",
    }))
    .await;
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let begun = alice
        .post("/v1/me/authentication/fido2Methods/registration/begin", json!({}))
        .await
        .expect(200);
    assert_eq!(
        begun["publicKey"]["attestation"], "direct",
        "key restrictions need the authenticator's identity"
    );

    let mut synced_yubikey = SoftAuthenticator::new(aaguid(YUBIKEY)).backup(true, true);
    let body = app
        .register(&alice, &mut synced_yubikey)
        .await
        .refused(422, "passkey_type_not_allowed");
    assert_eq!(body["error"]["question"], 4);
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("YubiKeys allows deviceBound")),
        "{body}"
    );

    let mut other = SoftAuthenticator::new(aaguid(ICLOUD));
    let body = app
        .register(&alice, &mut other)
        .await
        .refused(422, "aaguid_not_allowed");
    let verdicts = &body["error"]["details"]["acceptance"]["verdicts"];
    assert_eq!(verdicts[0]["profileName"], "YubiKeys");
    // The refusal also says what would work: each applicable profile's types and the models it allows.
    let accepts = &body["error"]["details"]["accepts"];
    assert_eq!(accepts[0]["name"], "YubiKeys", "{body}");
    assert_eq!(accepts[0]["passkeyTypes"], json!(["deviceBound"]));
    assert_eq!(accepts[0]["keyRestrictions"]["enforcementType"], "allow");
    assert_eq!(accepts[0]["keyRestrictions"]["aaGuids"][0]["aaGuid"], YUBIKEY);

    app.patch_fido2(json!({
        "passkeyProfiles": [
            {"id": "yubikeys", "name": "YubiKeys", "passkeyTypes": "deviceBound", "attestationEnforcement": "disabled",
             "keyRestrictions": {"isEnforced": true, "enforcementType": "block", "aaGuids": [YUBIKEY]}},
            attested,
        ],
    }))
    .await;
    let mut yubikey = SoftAuthenticator::new(aaguid(YUBIKEY));
    app.register(&alice, &mut yubikey).await.refused(422, "aaguid_blocked");

    // Carol (Admins) is under the attested profile: no attestation, or an unknown CA, is refused.
    let carol = app.signed_in_with_pass("carol@contoso.com", false).await;
    let mut unattested = SoftAuthenticator::new(aaguid(YUBIKEY));
    app.register(&carol, &mut unattested)
        .await
        .refused(422, "attestation_required");
    let mut unknown_ca = SoftAuthenticator::new(aaguid(YUBIKEY)).attestation(Attestation::Packed(shared_ca()));
    app.register(&carol, &mut unknown_ca)
        .await
        .refused(422, "attestation_untrusted");

    let user = app
        .store()
        .find_user("carol@contoso.com")
        .await
        .expect("query")
        .expect("carol");
    let attempts = app.store().attempts_of(user.id, 10).await.expect("attempts");
    assert_eq!(attempts.len(), 2);
    assert!(
        attempts.iter().all(|a| a.facts.is_some()),
        "refused attempts keep the authenticator facts"
    );
    assert!(app.store().passkeys_of(user.id).await.expect("query").is_empty());
}

pub(crate) async fn attestation_verified_against_metadata_is_accepted(app: TestApp) {
    // The metadata lists the test CA as the YubiKey's root.
    let ca = shared_ca();
    app.state.set_catalog(yubikey_catalog(&ca, &[]));
    let carol = app.signed_in_with_pass("carol@contoso.com", false).await;
    let mut key = SoftAuthenticator::new(aaguid(YUBIKEY)).attestation(Attestation::Packed(ca));
    let created = app.register(&carol, &mut key).await.expect(201);
    assert_eq!(created["attestationLevel"], "attested");
    assert_eq!(created["model"], "YubiKey 5 (test)");
    assert_eq!(created["admittingProfile"], "attested");
    assert_eq!(created["attestationCertificates"].as_array().map(Vec::len), Some(1));
}

pub(crate) async fn revoked_model_is_refused(app: TestApp) {
    app.state.set_catalog(yubikey_catalog(&shared_ca(), &[Status::Revoked]));
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let mut key = SoftAuthenticator::new(aaguid(YUBIKEY));
    app.register(&alice, &mut key)
        .await
        .refused(422, "authenticator_status_revoked");
}

pub(crate) async fn admin_registers_on_behalf_of_a_user(app: TestApp) {
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    let begun = helpdesk
        .post(
            "/v1/users/alice@contoso.com/authentication/fido2Methods/creationOptions",
            json!({"path": "securityKey"}),
        )
        .await
        .expect(200);
    assert_eq!(begun["publicKey"]["user"]["name"], "alice@contoso.com");
    let mut key = SoftAuthenticator::new(aaguid(YUBIKEY));
    let credential = key
        .register(&begun["publicKey"], &app.origin)
        .expect("authenticator answers");
    let created = helpdesk
        .post(
            "/v1/users/alice@contoso.com/authentication/fido2Methods",
            json!({"attemptId": begun["attemptId"], "displayName": "Issued key", "publicKeyCredential": credential}),
        )
        .await
        .expect(201);
    assert_eq!(created["registeredBy"], "helpdesk@contoso.com");
    let events = app.audit().await;
    let admin_registered = events
        .iter()
        .rfind(|e| e.activity == Activity::AdminRegisteredSecurityInfo)
        .expect("event");
    assert_eq!(admin_registered.initiated_by.name(), "helpdesk@contoso.com");
    assert_eq!(
        admin_registered.target_id(),
        Some("11111111-0000-4000-8000-000000000001")
    );
    assert!(events.iter().any(|e| e.activity == Activity::GetPasskeyCreationOptions));
    // Alice can sign in with it.
    let (_, answer) = app.sign_in_with_passkey(&mut key).await;
    answer.expect(200);
}

pub(crate) async fn browser_failure_is_recorded_as_question_three(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let begun = alice
        .post(
            "/v1/me/authentication/fido2Methods/registration/begin",
            json!({"path": "thisDevice"}),
        )
        .await
        .expect(200);
    let verdict = alice
        .post(
            "/v1/me/authentication/fido2Methods/registration/clientError",
            json!({
                "attemptId": begun["attemptId"],
                "name": "NotAllowedError",
                "message": "The operation either timed out or was not allowed.",
                "clientCapabilities": {"userVerifyingPlatformAuthenticator": false, "hybridTransport": true},
                "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
                "path": "thisDevice",
            }),
        )
        .await
        .expect(200);
    assert_eq!(verdict["code"], "ceremony_not_allowed");
    assert_eq!(verdict["question"], 3);
    let user = app
        .store()
        .find_user("alice@contoso.com")
        .await
        .expect("query")
        .expect("alice");
    let attempt = &app.store().attempts_of(user.id, 1).await.expect("attempts")[0];
    let report = attempt.client_report.as_ref().expect("client evidence kept");
    assert_eq!(
        report.client_capabilities.get("userVerifyingPlatformAuthenticator"),
        Some(&false)
    );
    assert_eq!(attempt.failed_question.map(|q| q.number()), Some(3));
    // The help desk reads the attempt with its code's summary and fix.
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    let attempts = helpdesk
        .get("/v1/users/alice@contoso.com/registrationAttempts")
        .await
        .expect(200);
    let listed = &attempts["value"][0];
    assert_eq!(listed["outcome"], "ceremony_not_allowed");
    assert!(
        listed["fix"]
            .as_str()
            .is_some_and(|f| f.starts_with("Retry and complete the prompt")),
        "{listed}"
    );
    assert!(
        listed["outcomeSummary"]
            .as_str()
            .is_some_and(|s| s.contains("NotAllowedError"))
    );
    assert_eq!(listed["clientReport"]["path"], "thisDevice");
    let events = app.audit().await;
    assert!(
        events
            .iter()
            .any(|e| e.activity == Activity::UserCanceledSecurityInfoRegistration
                && e.result_reason == "ceremony_not_allowed")
    );
}

/// A user's own registration begin and finish admit only a complete, live session of an enabled user, with its CSRF
/// token, never an API token, and say so before they look at the body.
pub(crate) async fn own_registration_admits_only_a_complete_live_session(app: TestApp) {
    let begin = "/v1/me/authentication/fido2Methods/registration/begin";
    let finish = "/v1/me/authentication/fido2Methods/registration/finish";
    let malformed = json!({"attemptId": "not-an-attempt", "unexpected": true});
    let finish_body = json!({"attemptId": uuid::Uuid::now_v7().to_string(), "credential": {}});

    // No session; an unknown session token.
    let anonymous = app.browser();
    anonymous.post(begin, json!({})).await.refused(401, "unauthenticated");
    anonymous
        .post(finish, malformed.clone())
        .await
        .refused(401, "unauthenticated");
    let forged = anonymous
        .client
        .post(format!("{}{begin}", app.base))
        .header("cookie", "kw_session=kws_made_up")
        .json(&json!({}))
        .send()
        .await
        .expect("begin");
    assert_eq!(forged.status().as_u16(), 401);

    // An API token, even a valid one: /v1/me is for signed-in users.
    let operator = Actor::LocalOperator { os_user: "test".into() };
    let (_, secret) = tokens::create(&app.state, &app.ctx(), &operator, "ci", Role::GlobalReader, None)
        .await
        .expect("token");
    let automation = Automation::new(&app, &secret);
    automation
        .send(Method::POST, begin, Some(json!({})))
        .await
        .refused(401, "unauthenticated");
    automation
        .send(Method::POST, finish, Some(finish_body.clone()))
        .await
        .refused(401, "unauthenticated");

    // A session whose second factor is still to come.
    let alice = app.browser();
    enroll_totp(
        &app.state,
        &app.ctx(),
        Initiator::LocalOperator { os_user: "test".into() },
        &app.store()
            .find_user("alice@contoso.com")
            .await
            .expect("query")
            .expect("alice"),
        Activity::AdminRegisteredSecurityInfo,
    )
    .await
    .expect("totp");
    let first = alice
        .sign_in_password("alice@contoso.com", "alice-password")
        .await
        .expect(200);
    assert_eq!(first["status"], "mfaRequired");
    alice.post(begin, json!({})).await.refused(401, "mfa_required");
    alice
        .post(finish, finish_body.clone())
        .await
        .refused(401, "mfa_required");

    // A complete session: the body is looked at once the caller is admitted, and the CSRF token is required.
    let bob = app.signed_in_with_pass("bob@contoso.com", false).await;
    bob.post(finish, malformed).await.refused(400, "invalid_request");
    bob.post(finish, finish_body.clone())
        .await
        .refused(400, "challenge_unknown");
    let without_csrf = bob
        .client
        .post(format!("{}{finish}", app.base))
        .json(&finish_body)
        .send()
        .await
        .expect("finish");
    assert_eq!(without_csrf.status().as_u16(), 403);
    let begun = bob.post(begin, json!({})).await.expect(200);
    assert!(begun["attemptId"].is_string(), "{begun}");

    // The account disabled: its sessions stop at once.
    import_users(
        &app.state,
        &app.ctx(),
        &operator,
        r#"[{"userPrincipalName": "bob@contoso.com", "accountEnabled": false}]"#,
        Format::Json,
    )
    .await
    .expect("bob disabled");
    bob.post(begin, json!({})).await.refused(401, "unauthenticated");
    bob.post(finish, finish_body.clone())
        .await
        .refused(401, "unauthenticated");

    // An expired session.
    let carol = app.signed_in_with_pass("carol@contoso.com", false).await;
    carol.post(begin, json!({})).await.expect(200);
    app.clock().advance(Duration::days(30));
    carol.post(begin, json!({})).await.refused(401, "unauthenticated");
    carol.post(finish, finish_body).await.refused(401, "unauthenticated");
}

/// One rule decides the strong methods a user can verify with, and registration and the help desk's diagnosis
/// answer alike. The case they used to disagree on: an authenticator app without a password. Entra counts an app
/// code only as `password, softwareOath` (and keywarden's code step follows a password), so it is no method.
pub(crate) async fn an_app_without_a_password_is_no_method_for_registration_or_diagnosis(app: TestApp) {
    let operator = TestApp::operator();
    // A user with no password, in the Pilot ring, with an authenticator app.
    import_users(
        &app.state,
        &app.ctx(),
        &operator,
        "userPrincipalName\nnopass@contoso.com\n",
        Format::Csv,
    )
    .await
    .expect("user");
    keywarden_server::ops::directory::import_groups(
        &app.state,
        &app.ctx(),
        &operator,
        "displayName,members\nPilot,nopass@contoso.com\n",
        Format::Csv,
    )
    .await
    .expect("membership");
    app.totp_for("nopass@contoso.com").await;
    let browser = app.signed_in_with_pass("nopass@contoso.com", false).await;
    app.clock().advance(Duration::minutes(11));
    let refusal = browser
        .post("/v1/me/authentication/fido2Methods/registration/begin", json!({}))
        .await
        .refused(403, "reauthentication_required");
    let registration = &refusal["error"]["details"]["verification"]["usableMethods"];
    assert_eq!(registration, &json!(["temporaryAccessPass"]), "{refusal}");
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    let diagnosis = helpdesk
        .get("/v1/users/nopass@contoso.com/passkeyDiagnosis")
        .await
        .expect(200);
    let now = &diagnosis["questions"][1]["evidence"]["usableMethods"];
    assert_eq!(
        now, registration,
        "the diagnosis answers as registration does: {diagnosis}"
    );
}
