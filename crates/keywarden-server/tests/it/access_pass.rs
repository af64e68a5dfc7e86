//! Temporary Access Passes over the API: shown once, stored hashed, policy limits, throttling, expiry, revocation.

use serde_json::json;
use time::Duration;

use crate::TestApp;

pub(crate) async fn pass_is_shown_once_and_stored_hashed(app: TestApp) {
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    let issued = helpdesk
        .post(
            "/v1/users/alice@contoso.com/authentication/temporaryAccessPassMethods",
            json!({"lifetimeInMinutes": 60, "isUsableOnce": true}),
        )
        .await
        .expect(201);
    let code = issued["temporaryAccessPass"]
        .as_str()
        .expect("the code is in the create response")
        .to_string();
    assert_eq!(code.len(), 8);
    assert_eq!(issued["isUsable"], true);
    assert_eq!(issued["methodUsabilityReason"], "EnabledByPolicy");
    let listed = helpdesk
        .get("/v1/users/alice@contoso.com/authentication/temporaryAccessPassMethods")
        .await
        .expect(200);
    assert_eq!(
        listed["value"][0]["temporaryAccessPass"],
        serde_json::Value::Null,
        "never shown again"
    );
    let user = app
        .store()
        .find_user("alice@contoso.com")
        .await
        .expect("query")
        .expect("alice");
    let stored = app.store().access_pass_of(user.id).await.expect("query").expect("pass");
    assert!(
        stored.code_hash.starts_with("$argon2id$") && !stored.code_hash.contains(&code),
        "stored as a hash"
    );
    let audit = serde_json::to_string(&app.audit().await).expect("audit serialises");
    assert!(!audit.contains(&code), "the code is not in the audit log");
    // A new pass replaces the old one.
    let second = helpdesk
        .post(
            "/v1/users/alice@contoso.com/authentication/temporaryAccessPassMethods",
            json!({}),
        )
        .await
        .expect(201);
    let browser = app.browser();
    browser
        .post("/v1/signin/tap", json!({"username": "alice@contoso.com", "code": code}))
        .await
        .refused(401, "invalid_credentials");
    let second_code = second["temporaryAccessPass"].as_str().expect("code");
    browser
        .post(
            "/v1/signin/tap",
            json!({"username": "alice@contoso.com", "code": second_code}),
        )
        .await
        .expect(200);
}

pub(crate) async fn wrong_codes_are_rate_limited_per_user(app: TestApp) {
    let code = app.issue_pass("alice@contoso.com", false).await;
    let browser = app.browser();
    for _ in 0..4 {
        browser
            .post(
                "/v1/signin/tap",
                json!({"username": "alice@contoso.com", "code": "WRONG123"}),
            )
            .await
            .refused(401, "invalid_credentials");
    }
    browser
        .post(
            "/v1/signin/tap",
            json!({"username": "alice@contoso.com", "code": "WRONG123"}),
        )
        .await
        .refused(429, "too_many_attempts");
    browser
        .post("/v1/signin/tap", json!({"username": "alice@contoso.com", "code": code}))
        .await
        .refused(429, "too_many_attempts");
    // Another user is not affected.
    let bob_code = app.issue_pass("bob@contoso.com", false).await;
    browser
        .post(
            "/v1/signin/tap",
            json!({"username": "bob@contoso.com", "code": bob_code}),
        )
        .await
        .expect(200);
    // The lock ends.
    app.clock().advance(Duration::minutes(16));
    app.browser()
        .post("/v1/signin/tap", json!({"username": "alice@contoso.com", "code": code}))
        .await
        .expect(200);
}

pub(crate) async fn pass_outside_policy_is_refused(app: TestApp) {
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    for body in [json!({"lifetimeInMinutes": 5}), json!({"lifetimeInMinutes": 481})] {
        helpdesk
            .post(
                "/v1/users/alice@contoso.com/authentication/temporaryAccessPassMethods",
                body,
            )
            .await
            .refused(422, "access_pass_policy_violation");
    }
    let body = helpdesk
        .post(
            "/v1/users/guest@fabrikam.com/authentication/temporaryAccessPassMethods",
            json!({}),
        )
        .await
        .refused(422, "access_pass_policy_violation");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("external guest"))
    );
    app.apply_policy(&json!({"id": "TemporaryAccessPass", "isUsableOnce": true}))
        .await;
    helpdesk
        .post(
            "/v1/users/alice@contoso.com/authentication/temporaryAccessPassMethods",
            json!({"isUsableOnce": false}),
        )
        .await
        .refused(422, "access_pass_policy_violation");
}

pub(crate) async fn expired_and_revoked_passes_do_not_sign_in(app: TestApp) {
    let code = app.issue_pass("alice@contoso.com", false).await;
    app.clock().advance(Duration::minutes(61));
    let body = app
        .browser()
        .post("/v1/signin/tap", json!({"username": "alice@contoso.com", "code": code}))
        .await
        .refused(403, "access_pass_not_usable");
    assert_eq!(body["error"]["details"]["methodUsabilityReason"], "Expired");

    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    let issued = helpdesk
        .post(
            "/v1/users/bob@contoso.com/authentication/temporaryAccessPassMethods",
            json!({}),
        )
        .await
        .expect(201);
    let id = issued["id"].as_str().expect("id");
    helpdesk
        .delete(&format!(
            "/v1/users/bob@contoso.com/authentication/temporaryAccessPassMethods/{id}"
        ))
        .await
        .expect(204);
    let code = issued["temporaryAccessPass"].as_str().expect("code");
    app.browser()
        .post("/v1/signin/tap", json!({"username": "bob@contoso.com", "code": code}))
        .await
        .refused(401, "invalid_credentials");
    // A user outside the TAP policy's targets cannot sign in with one.
    let code = app.issue_pass("carol@contoso.com", false).await;
    app.apply_policy(
        &json!({"id": "TemporaryAccessPass", "includeTargets": [{"targetType": "group", "id": crate::support::PILOT}]}),
    )
    .await;
    let body = app
        .browser()
        .post("/v1/signin/tap", json!({"username": "carol@contoso.com", "code": code}))
        .await
        .refused(403, "access_pass_not_usable");
    assert_eq!(body["error"]["details"]["methodUsabilityReason"], "DisabledByPolicy");
}
