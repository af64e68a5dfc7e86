//! The policy through the API: Graph-shaped reads, PATCH with every problem listed, versions, and the diff in
//! the audit log.

use keywarden_domain::audit::Activity;
use serde_json::json;

use crate::TestApp;

pub(crate) async fn policy_is_read_and_patched_through_the_api_with_a_diff_in_the_audit(app: TestApp) {
    let admin = app.signed_in_with_pass("policyadmin@contoso.com", false).await;
    let document = admin.get("/v1/policies/authenticationMethodsPolicy").await.expect(200);
    assert_eq!(document["@odata.type"], "#microsoft.graph.authenticationMethodsPolicy");
    let version = document["policyVersion"].as_i64().expect("version");
    let fido2 = admin
        .get("/v1/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2")
        .await
        .expect(200);
    assert_eq!(fido2["id"], "Fido2");
    assert_eq!(fido2["state"], "enabled");
    admin
        .patch(
            "/v1/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2",
            json!({"isSelfServiceRegistrationAllowed": false}),
        )
        .await
        .expect(204);
    let after = admin.get("/v1/policies/authenticationMethodsPolicy").await.expect(200);
    assert_eq!(after["policyVersion"].as_i64(), Some(version + 1));
    assert_eq!(
        after["authenticationMethodConfigurations"][0]["isSelfServiceRegistrationAllowed"],
        false
    );
    assert_eq!(
        after["authenticationMethodConfigurations"][0]["passkeyProfiles"], fido2["passkeyProfiles"],
        "untouched properties keep their values"
    );
    let event = app
        .audit()
        .await
        .into_iter()
        .rfind(|e| e.activity == Activity::AuthenticationMethodsPolicyUpdate)
        .expect("event");
    let changes = &event.target_resources[0].modified_properties;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].display_name, "Fido2.isSelfServiceRegistrationAllowed");
    assert_eq!(
        (changes[0].old_value.as_deref(), changes[0].new_value.as_deref()),
        (Some("true"), Some("false"))
    );
    assert_eq!(event.initiated_by.name(), "policyadmin@contoso.com");
    // Restoring defaults is a change too.
    admin
        .delete("/v1/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass")
        .await
        .expect(204);
    // Applying the same document again changes nothing and writes nothing.
    let events = app.audit().await.len();
    let current = admin.get("/v1/policies/authenticationMethodsPolicy").await.expect(200);
    admin
        .patch("/v1/policies/authenticationMethodsPolicy", current.clone())
        .await
        .expect(204);
    assert_eq!(app.audit().await.len(), events);
    assert_eq!(
        admin.get("/v1/policies/authenticationMethodsPolicy").await.expect(200)["policyVersion"],
        current["policyVersion"]
    );
}

pub(crate) async fn invalid_policy_lists_every_problem_and_changes_nothing(app: TestApp) {
    let admin = app.signed_in_with_pass("policyadmin@contoso.com", false).await;
    let before = admin.get("/v1/policies/authenticationMethodsPolicy").await.expect(200);
    let events = app.audit().await.len();
    let body = admin
        .patch(
            "/v1/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2",
            json!({
                "state": "sometimes",
                "includeTargets": [{"targetType": "group", "id": "33333333-0000-4000-8000-000000000000", "allowedPasskeyProfiles": ["missing"]}],
                "passkeyProfiles": [{"id": "any", "name": "Any", "passkeyTypes": "both", "attestationEnforcement": "disabled",
                                     "keyRestrictions": {"isEnforced": false, "enforcementType": "allow", "aaGuids": []}}],
            }),
        )
        .await
        .refused(400, "invalid_policy");
    let problems = body["error"]["details"]["problems"]
        .as_array()
        .expect("problems listed");
    let paths: Vec<&str> = problems.iter().filter_map(|p| p["path"].as_str()).collect();
    assert!(paths.contains(&"Fido2.state"), "{paths:?}");
    assert!(paths.contains(&"Fido2.passkeyProfiles[0].passkeyTypes"), "{paths:?}");
    let body = admin
        .patch(
            "/v1/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2",
            json!({"includeTargets": [{"targetType": "group", "id": "33333333-0000-4000-8000-000000000000", "allowedPasskeyProfiles": ["missing"]}]}),
        )
        .await
        .refused(400, "invalid_policy");
    let messages: Vec<&str> = body["error"]["details"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["message"].as_str())
        .collect();
    assert!(messages.iter().any(|m| m.contains("does not exist")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("names no profile")), "{messages:?}");
    assert_eq!(
        admin.get("/v1/policies/authenticationMethodsPolicy").await.expect(200),
        before
    );
    assert_eq!(app.audit().await.len(), events, "a refused change writes nothing");
}

pub(crate) async fn policy_saved_by_another_process_applies_to_the_next_request(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    alice
        .post("/v1/me/authentication/fido2Methods/registration/begin", json!({}))
        .await
        .expect(200);
    // The command line is another process with its own state on the same database: the server's cached policy
    // must not hide its change.
    let store = keywarden_store::Store::connect(&app.state.config.database_url)
        .await
        .expect("a second connection to the database");
    let cli = keywarden_server::AppState::new(
        (*app.state.config).clone(),
        store,
        keywarden_domain::metadata::Catalog::default(),
        keywarden_server::Clock::system(),
    )
    .expect("a second state");
    keywarden_server::ops::policy::apply_document(
        &cli,
        &app.ctx(),
        &keywarden_server::auth::Actor::LocalOperator { os_user: "test".into() },
        &json!({"id": "Fido2", "state": "disabled"}).to_string(),
    )
    .await
    .expect("the other process saves a policy");
    alice
        .post("/v1/me/authentication/fido2Methods/registration/begin", json!({}))
        .await
        .refused(403, "passkey_method_disabled");
}
