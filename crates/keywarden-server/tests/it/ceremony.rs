//! The ceremony's single-use and integrity rules: forged or malformed responses are refused with their code and
//! change nothing; a challenge and a one-time pass are consumed exactly once, even under concurrent finishes.

use keywarden_domain::registration::Status;
use keywarden_testkit::{SoftAuthenticator, tamper};
use serde_json::{Value, json};
use time::Duration;

use crate::TestApp;
use crate::support::{Browser, YUBIKEY, aaguid, exactly_one_wins};

async fn begin(browser: &Browser) -> Value {
    browser
        .post("/v1/me/authentication/fido2Methods/registration/begin", json!({}))
        .await
        .expect(200)
}

async fn finish(browser: &Browser, begun: &Value, credential: &Value) -> crate::support::Answer {
    browser
        .post(
            "/v1/me/authentication/fido2Methods/registration/finish",
            json!({"attemptId": begun["attemptId"], "credential": credential}),
        )
        .await
}

pub(crate) async fn malformed_and_forged_responses_are_refused_and_change_nothing(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let begun = begin(&alice).await;
    let mut key = SoftAuthenticator::new(aaguid(YUBIKEY));
    let good = key
        .register(&begun["publicKey"], &app.origin)
        .expect("authenticator answers");
    let other_rp = {
        let mut options = begun["publicKey"].clone();
        options["rp"]["id"] = json!("evil.example");
        SoftAuthenticator::new(aaguid(YUBIKEY))
            .register(&options, &app.origin)
            .expect("answers")
    };
    let wrong_origin = SoftAuthenticator::new(aaguid(YUBIKEY))
        .register(&begun["publicKey"], "http://localhost:1")
        .expect("answers");
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        ("wrong origin", wrong_origin, 400, "origin_mismatch"),
        ("wrong rp id", other_rp, 400, "rp_id_mismatch"),
        (
            "other challenge",
            tamper::challenge(&good, b"another challenge"),
            400,
            "challenge_unknown",
        ),
        (
            "id differs from the attested one",
            tamper::raw_id(&good, b"not the attested id"),
            400,
            "credential_id_mismatch",
        ),
        (
            "bad base64",
            tamper::invalid_base64(&good, "/response/attestationObject"),
            400,
            "malformed_response",
        ),
        ("bad cbor", tamper::invalid_cbor(&good), 400, "malformed_response"),
        (
            "trailing bytes",
            tamper::attestation_object_trailing_bytes(&good, &[0]),
            400,
            "malformed_response",
        ),
        (
            "truncated",
            tamper::truncate_attestation_object(&good),
            400,
            "malformed_response",
        ),
        ("not an object", json!("hello"), 400, "malformed_response"),
    ];
    let user = app
        .store()
        .find_user("alice@contoso.com")
        .await
        .expect("query")
        .expect("alice");
    let events_before = app.audit().await.len();
    for (case, credential, status, code) in &cases {
        let answer = finish(&alice, &begun, credential).await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (*status, *code),
            "{case}: {}",
            answer.body
        );
    }
    // Bad request bodies, unknown attempts.
    alice
        .post(
            "/v1/me/authentication/fido2Methods/registration/finish",
            json!({"credential": good}),
        )
        .await
        .refused(400, "invalid_request");
    alice
        .post(
            "/v1/me/authentication/fido2Methods/registration/finish",
            json!({"attemptId": uuid::Uuid::new_v4().to_string(), "credential": good}),
        )
        .await
        .refused(400, "challenge_unknown");
    let attempt = &app.store().attempts_of(user.id, 1).await.expect("attempts")[0];
    assert_eq!(attempt.status, Status::Open, "the attempt is still open");
    assert!(attempt.challenge_used_at.is_none(), "the challenge is still usable");
    assert!(app.store().passkeys_of(user.id).await.expect("query").is_empty());
    let security_events = app.audit().await.len() - events_before;
    assert_eq!(
        security_events, 3,
        "origin, rp id and credential id forgeries are audited; nothing else is written"
    );
    // The genuine response still works afterwards.
    finish(&alice, &begun, &good).await.expect(201);
}

pub(crate) async fn replayed_response_is_refused(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let begun = begin(&alice).await;
    let credential = SoftAuthenticator::new(aaguid(YUBIKEY))
        .register(&begun["publicKey"], &app.origin)
        .expect("answers");
    finish(&alice, &begun, &credential).await.expect(201);
    let events = app.audit().await.len();
    finish(&alice, &begun, &credential).await.refused(409, "challenge_used");
    // The old response answers the old challenge, not the new attempt's.
    let again = begin(&alice).await;
    finish(&alice, &again, &credential)
        .await
        .refused(400, "challenge_unknown");
    assert_eq!(app.audit().await.len(), events + 1, "only the new begin wrote an event");
}

pub(crate) async fn expired_challenge_is_refused(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let begun = begin(&alice).await;
    let credential = SoftAuthenticator::new(aaguid(YUBIKEY))
        .register(&begun["publicKey"], &app.origin)
        .expect("answers");
    app.clock().advance(Duration::minutes(5) + Duration::seconds(1));
    finish(&alice, &begun, &credential)
        .await
        .refused(410, "challenge_expired");
}

pub(crate) async fn concurrent_finishes_commit_exactly_once(app: TestApp) {
    let alice = std::sync::Arc::new(app.signed_in_with_pass("alice@contoso.com", false).await);
    let begun = begin(&alice).await;
    let credential = SoftAuthenticator::new(aaguid(YUBIKEY))
        .register(&begun["publicKey"], &app.origin)
        .expect("answers");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (alice, begun, credential) = (alice.clone(), begun.clone(), credential.clone());
        tasks.push(tokio::spawn(async move { finish(&alice, &begun, &credential).await }));
    }
    exactly_one_wins(tasks, 201, (409, "challenge_used")).await;
    let user = app
        .store()
        .find_user("alice@contoso.com")
        .await
        .expect("query")
        .expect("alice");
    assert_eq!(app.store().passkeys_of(user.id).await.expect("query").len(), 1);
    let registered = app
        .audit()
        .await
        .iter()
        .filter(|e| e.activity == keywarden_domain::audit::Activity::UserRegisteredSecurityInfo)
        .count();
    assert_eq!(registered, 1, "one audit event for the one committed registration");
}

/// Entra's rule: a one-time pass is consumed by the first sign-in with it. Sign-ins sent at once with the same
/// pass open exactly one session.
pub(crate) async fn one_time_pass_signs_in_exactly_once(app: TestApp) {
    let code = app.issue_pass("bob@contoso.com", true).await;
    let browsers: Vec<_> = (0..4).map(|_| std::sync::Arc::new(app.browser())).collect();
    let mut tasks = Vec::new();
    for browser in &browsers {
        let (browser, code) = (browser.clone(), code.clone());
        tasks.push(tokio::spawn(async move {
            browser
                .post("/v1/signin/tap", json!({"username": "bob@contoso.com", "code": code}))
                .await
        }));
    }
    exactly_one_wins(tasks, 200, (403, "access_pass_already_used")).await;
    let signed_in: Vec<_> = {
        let mut signed_in = Vec::new();
        for browser in &browsers {
            signed_in.push(browser.get("/v1/me").await.status.as_u16());
        }
        signed_in
    };
    assert_eq!(signed_in.iter().filter(|s| **s == 200).count(), 1, "{signed_in:?}");
    let user = app
        .store()
        .find_user("bob@contoso.com")
        .await
        .expect("query")
        .expect("bob");
    let pass = app.store().access_pass_of(user.id).await.expect("query").expect("pass");
    assert!(pass.pass.used_date_time.is_some(), "the sign-in consumed the pass");
    // Signing in again with it, later, is refused the same way.
    app.browser()
        .post("/v1/signin/tap", json!({"username": "bob@contoso.com", "code": code}))
        .await
        .refused(403, "access_pass_already_used");
}

/// The session a one-time pass opened keeps the 10-minute registration window: a failed ceremony can be tried
/// again in it (the pass is not needed again), and once the window has passed the session must verify again.
pub(crate) async fn a_one_time_pass_session_retries_within_its_window(app: TestApp) {
    app.patch_fido2(json!({
        "passkeyProfiles": [
            {"id": "any", "name": "Any passkey", "passkeyTypes": "deviceBound", "attestationEnforcement": "disabled",
             "keyRestrictions": {"isEnforced": false, "enforcementType": "allow", "aaGuids": []}},
            {"id": "attested", "name": "Attested device-bound", "passkeyTypes": "deviceBound", "attestationEnforcement": "registrationOnly",
             "keyRestrictions": {"isEnforced": false, "enforcementType": "allow", "aaGuids": []}},
        ],
    }))
    .await;
    let bob = app.signed_in_with_pass("bob@contoso.com", true).await;
    let mut synced = SoftAuthenticator::new(aaguid(YUBIKEY)).backup(true, true);
    app.register(&bob, &mut synced)
        .await
        .refused(422, "passkey_type_not_allowed");
    let begun = begin(&bob).await;
    let verdict = bob
        .post(
            "/v1/me/authentication/fido2Methods/registration/clientError",
            json!({"attemptId": begun["attemptId"], "name": "AbortError", "message": "aborted"}),
        )
        .await
        .expect(200);
    assert_eq!(verdict["code"], "ceremony_aborted");
    let mut device_bound = SoftAuthenticator::new(aaguid(YUBIKEY));
    app.register(&bob, &mut device_bound).await.expect(201);
    // Still inside the window: another passkey may be added in the same session.
    begin(&bob).await;
    app.clock().advance(Duration::minutes(11));
    let body = bob
        .post("/v1/me/authentication/fido2Methods/registration/begin", json!({}))
        .await
        .refused(403, "reauthentication_required");
    assert_eq!(
        body["error"]["details"]["verification"]["viaOneTimeAccessPass"], true,
        "{body}"
    );
    assert_eq!(body["error"]["details"]["verification"]["windowMinutes"], 10, "{body}");
}
