//! Roles gate every admin endpoint; API tokens act with their role; the audit log is filtered and paged.

use keywarden_domain::directory::Role;
use keywarden_server::auth::Actor;
use keywarden_server::ops::{directory, tokens};
use reqwest::Method;
use serde_json::json;

use crate::TestApp;
use crate::support::Automation;

pub(crate) async fn roles_gate_admin_endpoints(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    alice.get("/v1/users").await.refused(403, "forbidden");
    alice
        .get("/v1/auditLogs/directoryAudits")
        .await
        .refused(403, "forbidden");

    let reader = app.signed_in_with_pass("reader@contoso.com", false).await;
    let users = reader.get("/v1/users?top=3").await.expect(200);
    assert_eq!(users["value"].as_array().map(Vec::len), Some(3));
    assert!(users["@odata.nextLink"].is_string());
    reader.get("/v1/users?top=0").await.refused(400, "invalid_request");
    reader.get("/v1/users?top=1001").await.refused(400, "invalid_request");
    // The next page's link keeps the search and the cursor intact, with a `+` in both (a UPN may hold one).
    let rows = "userPrincipalName,displayName\n\
                dana+ops@contoso.com,Dana Ops\n\
                dana+qa@contoso.com,Dana QA\n\
                danae@contoso.com,Danae\n";
    directory::import_users(
        &app.state,
        &app.ctx(),
        &TestApp::operator(),
        rows,
        directory::Format::Csv,
    )
    .await
    .expect("users");
    let mut seen = Vec::new();
    let mut next = Some("/v1/users?top=1&search=dana%2B".to_string());
    while let Some(link) = next.take() {
        let page = reader.get(&link).await.expect(200);
        seen.extend(
            page["value"]
                .as_array()
                .expect("array")
                .iter()
                .filter_map(|u| u["userPrincipalName"].as_str().map(str::to_string)),
        );
        next = page["@odata.nextLink"].as_str().map(str::to_string);
        assert!(seen.len() < 10, "paging does not end: {seen:?}");
    }
    assert_eq!(seen, ["dana+ops@contoso.com", "dana+qa@contoso.com"]);
    reader
        .get("/v1/users/alice@contoso.com/authentication/fido2Methods")
        .await
        .expect(200);
    reader.get("/v1/policies/authenticationMethodsPolicy").await.expect(200);
    reader
        .post(
            "/v1/users/alice@contoso.com/authentication/temporaryAccessPassMethods",
            json!({}),
        )
        .await
        .refused(403, "forbidden");
    reader
        .patch(
            "/v1/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2",
            json!({"state": "disabled"}),
        )
        .await
        .refused(403, "forbidden");

    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    helpdesk
        .post(
            "/v1/users/alice@contoso.com/authentication/temporaryAccessPassMethods",
            json!({}),
        )
        .await
        .expect(201);
    // An Authentication Administrator cannot manage an admin's methods, nor their own.
    helpdesk
        .post(
            "/v1/users/reader@contoso.com/authentication/temporaryAccessPassMethods",
            json!({}),
        )
        .await
        .refused(403, "forbidden");
    helpdesk
        .post(
            "/v1/users/helpdesk@contoso.com/authentication/temporaryAccessPassMethods",
            json!({}),
        )
        .await
        .refused(403, "forbidden");
    helpdesk
        .patch(
            "/v1/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2",
            json!({"state": "disabled"}),
        )
        .await
        .refused(403, "forbidden");

    let privileged = app.signed_in_with_pass("privileged@contoso.com", false).await;
    privileged
        .post(
            "/v1/users/reader@contoso.com/authentication/temporaryAccessPassMethods",
            json!({}),
        )
        .await
        .expect(201);
    // No one outside the User Administrator role creates users.
    privileged
        .post("/v1/users", json!({"userPrincipalName": "new@contoso.com"}))
        .await
        .refused(403, "forbidden");
    // Without a session at all.
    app.browser().get("/v1/users").await.refused(401, "unauthenticated");
}

pub(crate) async fn api_tokens_carry_a_role(app: TestApp) {
    let operator = Actor::LocalOperator { os_user: "test".into() };
    let (_, reader_secret) = tokens::create(&app.state, &app.ctx(), &operator, "siem", Role::GlobalReader, None)
        .await
        .expect("token");
    let (token, admin_secret) = tokens::create(
        &app.state,
        &app.ctx(),
        &operator,
        "onboarding",
        Role::AuthenticationAdministrator,
        Some(30),
    )
    .await
    .expect("token");
    let reader = Automation::new(&app, &reader_secret);
    reader
        .send(Method::GET, "/v1/auditLogs/directoryAudits?top=5", None)
        .await
        .expect(200);
    reader
        .send(
            Method::POST,
            "/v1/users/bob@contoso.com/authentication/temporaryAccessPassMethods",
            Some(json!({})),
        )
        .await
        .refused(403, "forbidden");
    let admin = Automation::new(&app, &admin_secret);
    let issued = admin
        .send(
            Method::POST,
            "/v1/users/bob@contoso.com/authentication/temporaryAccessPassMethods",
            Some(json!({"isUsableOnce": true})),
        )
        .await
        .expect(201);
    assert!(issued["temporaryAccessPass"].is_string());
    let events = app.audit().await;
    let issued_event = events
        .iter()
        .rev()
        .find(|e| e.activity == keywarden_domain::audit::Activity::AdminRegisteredSecurityInfo)
        .expect("event");
    assert_eq!(
        issued_event.initiated_by.id(),
        token.id.to_string(),
        "the app is the initiator"
    );
    // Graph's GET creationOptions works for tokens.
    admin
        .send(
            Method::GET,
            "/v1/users/bob@contoso.com/authentication/fido2Methods/creationOptions",
            None,
        )
        .await
        .expect(200);
    tokens::revoke(&app.state, &app.ctx(), &operator, token.id)
        .await
        .expect("revoke");
    admin
        .send(Method::GET, "/v1/users", None)
        .await
        .refused(401, "unauthenticated");
    Automation::new(&app, "kwt_made_up")
        .send(Method::GET, "/v1/users", None)
        .await
        .refused(401, "unauthenticated");
}

pub(crate) async fn audit_log_filters_and_pages(app: TestApp) {
    for _ in 0..3 {
        app.issue_pass("alice@contoso.com", false).await;
    }
    let reader = app.signed_in_with_pass("reader@contoso.com", false).await;
    let page = reader.get("/v1/auditLogs/directoryAudits?target=alice@contoso.com&activity=Admin%20registered%20security%20info&top=2").await.expect(200);
    assert_eq!(page["value"].as_array().map(Vec::len), Some(2));
    let event = &page["value"][0];
    for field in [
        "id",
        "activityDateTime",
        "activityDisplayName",
        "category",
        "correlationId",
        "initiatedBy",
        "loggedByService",
        "operationType",
        "result",
        "resultReason",
        "targetResources",
        "additionalDetails",
    ] {
        assert!(event.get(field).is_some(), "directoryAudit field {field} missing");
    }
    assert_eq!(event["activityDisplayName"], "Admin registered security info");
    assert_eq!(event["initiatedBy"]["app"]["appId"], "local-operator");
    let next = page["@odata.nextLink"].as_str().expect("a next page");
    let rest = reader.get(next).await.expect(200);
    assert_eq!(rest["value"].as_array().map(Vec::len), Some(1));
    let failures = reader
        .get("/v1/auditLogs/directoryAudits?result=failure&since=1d")
        .await
        .expect(200);
    assert!(
        failures["value"]
            .as_array()
            .expect("array")
            .iter()
            .all(|e| e["result"] == "failure")
    );
    let by_activity = reader
        .get("/v1/auditLogs/directoryAudits?activity=User%20signed%20in&initiator=reader@contoso.com")
        .await
        .expect(200);
    let initiators: Vec<&str> = by_activity["value"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["initiatedBy"]["user"]["userPrincipalName"].as_str())
        .collect();
    assert_eq!(initiators, vec!["reader@contoso.com"], "{by_activity}");
    // A membership's event is found in its user's history and names the user and the group, as Entra does.
    let membership = reader
        .get("/v1/auditLogs/directoryAudits?activity=Add%20member%20to%20group&target=carol@contoso.com")
        .await
        .expect(200);
    assert_eq!(membership["value"].as_array().map(Vec::len), Some(1), "{membership}");
    let targets = &membership["value"][0]["targetResources"];
    assert_eq!(targets[0]["type"], "User", "{membership}");
    assert_eq!(targets[0]["userPrincipalName"], "carol@contoso.com", "{membership}");
    assert_eq!(targets[0]["displayName"], "Carol", "{membership}");
    assert_eq!(
        targets[0]["modifiedProperties"][1]["displayName"], "Group.DisplayName",
        "{membership}"
    );
    assert_eq!(
        targets[0]["modifiedProperties"][1]["newValue"], "Admins",
        "{membership}"
    );
    assert_eq!(targets[1]["type"], "Group", "{membership}");
    assert_eq!(targets[1]["displayName"], "Admins", "{membership}");
    reader
        .get("/v1/auditLogs/directoryAudits?since=yesterday")
        .await
        .refused(400, "invalid_request");
    reader
        .get("/v1/auditLogs/directoryAudits?activity=Nope")
        .await
        .refused(400, "invalid_request");
    // Durations back from now are bounded (100 years), never an overflow.
    reader.get("/v1/auditLogs/directoryAudits?since=45s").await.expect(200);
    for path in [
        "/v1/auditLogs/directoryAudits?since=999999999d",
        "/v1/auditLogs/directoryAudits?until=99999999999h",
        "/v1/auditLogs/directoryAudits?since=0d",
        "/v1/reports/findings?since=999999999d",
        "/v1/reports/findings?bulkWindow=9223372036854775807s",
        "/v1/reports/rollout?since=99999999999h",
    ] {
        reader.get(path).await.refused(400, "invalid_request");
    }
    // A parameter that is not understood is refused, never ignored: an ignored filter would answer with more than
    // was asked for, and nothing would say so.
    for (path, parameter) in [
        (
            "/v1/auditLogs/directoryAudits?$filter=result%20eq%20'failure'",
            "$filter",
        ),
        ("/v1/auditLogs/directoryAudits?targetId=alice@contoso.com", "targetId"),
        (
            "/v1/auditLogs/directoryAudits/export?since=1d&activty=Add%20user",
            "activty",
        ),
        ("/v1/reports/passkeyInventory?fromat=csv", "fromat"),
        ("/v1/reports/usersWithoutPhishingResistantMethod?group=x", "group"),
        ("/v1/reports/findings?window=10m", "window"),
        ("/v1/reports/findings?top=many", "top"),
        ("/v1/reports/rollout?ring=Pilot", "ring"),
        ("/v1/reports/readiness?strenght=mfa", "strenght"),
        // Routes that take no parameters at all refuse them too.
        ("/v1/groups?top=5", "top"),
        ("/v1/users/alice@contoso.com?$expand=memberOf", "$expand"),
        ("/v1/policies/authenticationMethodsPolicy?version=1", "version"),
    ] {
        let refusal = reader.get(path).await.refused(400, "invalid_request");
        let message = refusal["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(parameter), "{path}: {refusal}");
    }
}

pub(crate) async fn a_member_taken_out_of_a_group_is_governed_without_it(app: TestApp) {
    let operator = Actor::LocalOperator { os_user: "test".into() };
    let (_, directory_secret) = tokens::create(
        &app.state,
        &app.ctx(),
        &operator,
        "hr sync",
        Role::UserAdministrator,
        None,
    )
    .await
    .expect("token");
    let (_, reader_secret) = tokens::create(&app.state, &app.ctx(), &operator, "siem", Role::GlobalReader, None)
        .await
        .expect("token");
    let directory = Automation::new(&app, &directory_secret);
    let reader = Automation::new(&app, &reader_secret);

    // Erin is in Pilot and in Contractors, whom the policy excludes.
    let erin = app.browser();
    erin.sign_in_password("erin@contoso.com", "erin-password")
        .await
        .expect(200);
    erin.post("/v1/me/authentication/fido2Methods/registration/begin", json!({}))
        .await
        .refused(403, "user_excluded");

    let path = "/v1/groups/Contractors/members/erin@contoso.com";
    reader.send(Method::DELETE, path, None).await.refused(403, "forbidden");
    let before = app.audit().await.len();
    directory.send(Method::DELETE, path, None).await.expect(204);
    let events = app.audit().await;
    assert_eq!(events.len(), before + 1, "one audit event");
    let removal = events
        .iter()
        .find(|e| e.activity == keywarden_domain::audit::Activity::RemoveMemberFromGroup)
        .expect("the removal is audited");
    assert_eq!(
        removal.target_resources[0].user_principal_name.as_deref(),
        Some("erin@contoso.com")
    );
    assert_eq!(removal.target_resources[1].display_name.as_deref(), Some("Contractors"));
    let left = &removal.target_resources[0].modified_properties[1];
    assert_eq!(
        (
            left.display_name.as_str(),
            left.old_value.as_deref(),
            left.new_value.as_deref()
        ),
        ("Group.DisplayName", Some("Contractors"), None)
    );

    // Nothing left to remove: refused, and nothing written.
    directory
        .send(Method::DELETE, path, None)
        .await
        .refused(404, "not_found");
    directory
        .send(Method::DELETE, "/v1/groups/Nobody/members/erin@contoso.com", None)
        .await
        .refused(404, "not_found");
    assert_eq!(app.audit().await.len(), before + 1);
    let members = reader
        .send(Method::GET, "/v1/groups/Contractors/members", None)
        .await
        .expect(200);
    assert_eq!(members["value"].as_array().map(Vec::len), Some(0), "{members}");

    // Out of the exclusion group, Erin passes question 1; a password alone is not recent strong authentication,
    // so question 2 is what refuses now.
    let body = erin
        .post("/v1/me/authentication/fido2Methods/registration/begin", json!({}))
        .await
        .refused(403, "no_usable_mfa_method");
    assert_eq!(body["error"]["question"], 2, "{body}");
}
