//! The security table: each case is an attack tried as a request sequence against the real server, the refusal it
//! must get, and a read-back that nothing changed. Cases are grouped as the trust issue lists them: roles that
//! cannot be climbed, administration behind strong authentication, passes and sessions, sign-in without leaks,
//! data integrity. `every_admin_route_checks_every_role` is generated from the router's own route table.

use keywarden_domain::access::{self, Action};
use keywarden_domain::audit::Activity;
use keywarden_domain::directory::Role;
use keywarden_server::ops::sign_in::totp_code;
use keywarden_server::routes::{Access, RouteInfo};
use keywarden_testkit::SoftAuthenticator;
use reqwest::Method;
use serde_json::{Value, json};
use time::Duration;

use crate::TestApp;
use crate::support::{Browser, YUBIKEY, aaguid};

const USERADMIN: &str = "useradmin@contoso.com";
const GLOBAL: &str = "global@contoso.com";
const ROLEADMIN: &str = "roleadmin@contoso.com";

/// The directory's administrators of the roles the base directory does not have.
async fn more_admins(app: &TestApp) {
    app.add_user(USERADMIN, &[Role::UserAdministrator]).await;
    app.add_user(GLOBAL, &[Role::GlobalAdministrator]).await;
    app.add_user(ROLEADMIN, &[Role::PrivilegedRoleAdministrator]).await;
}

/// Asserts that `attack` changed nothing an attacker wants (see `TestApp::fingerprint`).
async fn unchanged(app: &TestApp, before: &Value, case: &str) {
    assert_eq!(&app.fingerprint().await, before, "{case}: the refusal changed nothing");
}

fn count(events: &[keywarden_domain::audit::Event], activity: Activity) -> usize {
    events.iter().filter(|e| e.activity == activity).count()
}

/// The events of `activity` whose first target is `upn`.
fn count_for(events: &[keywarden_domain::audit::Event], activity: Activity, upn: &str) -> usize {
    events
        .iter()
        .filter(|e| {
            e.activity == activity
                && e.target_resources
                    .first()
                    .and_then(|t| t.user_principal_name.as_deref())
                    == Some(upn)
        })
        .count()
}

// Roles that cannot be climbed.

/// A User Administrator makes a user with privileged roles: refused, and the user does not exist.
pub(crate) async fn user_administrator_cannot_create_a_privileged_user(app: TestApp) {
    more_admins(&app).await;
    let admin = app.signed_in_with_pass(USERADMIN, false).await;
    let before = app.fingerprint().await;
    admin
        .post(
            "/v1/users",
            json!({"userPrincipalName": "evil@contoso.com", "password": "evil-password",
                   "roles": ["authentication-policy-administrator", "privileged-authentication-administrator"]}),
        )
        .await
        .refused(403, "forbidden");
    unchanged(&app, &before, "create with roles").await;
    // Without roles it may.
    admin
        .post("/v1/users", json!({"userPrincipalName": "new@contoso.com"}))
        .await
        .expect(201);
}

/// A User Administrator gives itself a role: refused (its own account is managed in Security info).
pub(crate) async fn user_administrator_cannot_give_itself_roles(app: TestApp) {
    more_admins(&app).await;
    let admin = app.signed_in_with_pass(USERADMIN, false).await;
    let before = app.fingerprint().await;
    admin
        .patch(
            &format!("/v1/users/{USERADMIN}"),
            json!({"roles": ["user-administrator", "global-administrator"]}),
        )
        .await
        .refused(403, "forbidden");
    admin
        .patch("/v1/users/alice@contoso.com", json!({"roles": ["global-reader"]}))
        .await
        .refused(403, "forbidden");
    unchanged(&app, &before, "role assignment by a User Administrator").await;
}

/// A User Administrator resets an administrator's password: refused, and the old password still signs in.
pub(crate) async fn user_administrator_cannot_reset_an_admins_password(app: TestApp) {
    more_admins(&app).await;
    let admin = app.signed_in_with_pass(USERADMIN, false).await;
    let before = app.fingerprint().await;
    admin
        .patch(
            "/v1/users/policyadmin@contoso.com",
            json!({"passwordProfile": {"password": "taken-over-password"}}),
        )
        .await
        .refused(403, "forbidden");
    unchanged(&app, &before, "password reset of an admin").await;
    app.browser()
        .sign_in_password("policyadmin@contoso.com", "taken-over-password")
        .await
        .refused(401, "invalid_credentials");
    app.browser()
        .sign_in_password("policyadmin@contoso.com", "policy-password")
        .await
        .expect(200);
}

/// A User Administrator disables, renames or deletes an administrator: each refused.
pub(crate) async fn user_administrator_cannot_change_an_admin(app: TestApp) {
    more_admins(&app).await;
    let admin = app.signed_in_with_pass(USERADMIN, false).await;
    let before = app.fingerprint().await;
    for body in [
        json!({"accountEnabled": false}),
        json!({"displayName": "Mallory"}),
        json!({"userType": "guest"}),
    ] {
        admin
            .patch("/v1/users/privileged@contoso.com", body)
            .await
            .refused(403, "forbidden");
    }
    admin
        .delete("/v1/users/privileged@contoso.com")
        .await
        .refused(403, "forbidden");
    admin
        .post("/v1/users/privileged@contoso.com/revokeSignInSessions", json!({}))
        .await
        .refused(403, "forbidden");
    unchanged(&app, &before, "changes to an admin by a User Administrator").await;
}

/// A User Administrator manages members, field by field (the positive control of the cases above).
pub(crate) async fn user_administrator_manages_members_field_by_field(app: TestApp) {
    more_admins(&app).await;
    let admin = app.signed_in_with_pass(USERADMIN, false).await;
    let changed = admin
        .patch("/v1/users/alice@contoso.com", json!({"displayName": "Alice Liddell"}))
        .await
        .expect(200);
    assert_eq!(changed["displayName"], "Alice Liddell");
    assert_eq!(changed["accountEnabled"], true, "a field not sent is left as it is");
    admin
        .patch(
            "/v1/users/alice@contoso.com",
            json!({"passwordProfile": {"password": "alice-new-password"}}),
        )
        .await
        .expect(200);
    app.browser()
        .sign_in_password("alice@contoso.com", "alice-new-password")
        .await
        .expect(200);
    let events = app.audit().await;
    assert_eq!(count_for(&events, Activity::UpdateUser, "alice@contoso.com"), 1);
    assert_eq!(count_for(&events, Activity::ResetUserPassword, "alice@contoso.com"), 1);
}

/// The import path, which an application with the User Administrator role reaches, climbs nothing either: a row
/// that gives roles, or changes an administrator, refuses the whole import.
pub(crate) async fn import_cannot_climb_roles(app: TestApp) {
    use keywarden_server::auth::Actor;
    use keywarden_server::ops::directory::{Format, import_users};
    let token = keywarden_server::ops::tokens::create(
        &app.state,
        &app.ctx(),
        &TestApp::operator(),
        "hr sync",
        Role::UserAdministrator,
        None,
    )
    .await
    .expect("token")
    .0;
    let hr = Actor::App { token };
    let before = app.fingerprint().await;
    for rows in [
        "userPrincipalName,roles\nnew@contoso.com,global-administrator\n",
        "userPrincipalName,roles\nalice@contoso.com,privileged-authentication-administrator\n",
        "userPrincipalName,password\nnew@contoso.com,new-password\npolicyadmin@contoso.com,taken-over-password\n",
        "userPrincipalName,accountEnabled\nhelpdesk@contoso.com,false\n",
    ] {
        let refusal = import_users(&app.state, &app.ctx(), &hr, rows, Format::Csv)
            .await
            .expect_err(rows);
        assert_eq!(refusal.code.as_str(), "forbidden", "{rows}: {}", refusal.message);
        assert!(
            refusal.message.contains("line"),
            "the row is named: {}",
            refusal.message
        );
    }
    unchanged(&app, &before, "imports that climb").await;
}

/// An import row that leaves fields out leaves them as they are: roles are not stripped, a disabled account is
/// not enabled again.
pub(crate) async fn an_import_row_leaves_absent_fields_alone(app: TestApp) {
    use keywarden_server::ops::directory::{Format, import_users};
    let operator = TestApp::operator();
    import_users(
        &app.state,
        &app.ctx(),
        &operator,
        "userPrincipalName,accountEnabled\nerin@contoso.com,false\n",
        Format::Csv,
    )
    .await
    .expect("disable");
    let (created, updated) = import_users(
        &app.state,
        &app.ctx(),
        &operator,
        "userPrincipalName,displayName\nhelpdesk@contoso.com,Help Desk 2\nerin@contoso.com,Erin E\n",
        Format::Csv,
    )
    .await
    .expect("rename");
    assert_eq!((created, updated), (0, 2));
    let helpdesk = app
        .store()
        .find_user("helpdesk@contoso.com")
        .await
        .expect("query")
        .expect("user");
    assert_eq!(helpdesk.roles, vec![Role::AuthenticationAdministrator], "roles kept");
    let erin = app
        .store()
        .find_user("erin@contoso.com")
        .await
        .expect("query")
        .expect("user");
    assert!(!erin.account_enabled, "not enabled again");
    assert_eq!(erin.display_name, "Erin E");
}

/// Only a Global or Privileged Role Administrator assigns roles, and each assignment is audited.
pub(crate) async fn only_role_administrators_assign_roles(app: TestApp) {
    more_admins(&app).await;
    let privileged = app.signed_in_with_pass("privileged@contoso.com", false).await;
    let before = app.fingerprint().await;
    privileged
        .patch("/v1/users/alice@contoso.com", json!({"roles": ["global-reader"]}))
        .await
        .refused(403, "forbidden");
    unchanged(&app, &before, "roles by a Privileged Authentication Administrator").await;
    let roles = app.signed_in_with_pass(ROLEADMIN, false).await;
    let changed = roles
        .patch("/v1/users/alice@contoso.com", json!({"roles": ["global-reader"]}))
        .await
        .expect(200);
    assert_eq!(changed["roles"], json!(["Global Reader"]));
    let global = app.signed_in_with_pass(GLOBAL, false).await;
    global
        .patch("/v1/users/alice@contoso.com", json!({"roles": []}))
        .await
        .expect(200);
    let events = app.audit().await;
    assert_eq!(count_for(&events, Activity::AddMemberToRole, "alice@contoso.com"), 1);
    assert_eq!(
        count_for(&events, Activity::RemoveMemberFromRole, "alice@contoso.com"),
        1
    );
}

/// An Authentication Administrator issues a pass to an administrator, or to itself: refused.
pub(crate) async fn authentication_administrator_cannot_take_over_an_admin(app: TestApp) {
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    let before = app.fingerprint().await;
    for target in ["reader@contoso.com", "helpdesk@contoso.com", "privileged@contoso.com"] {
        helpdesk
            .post(
                &format!("/v1/users/{target}/authentication/temporaryAccessPassMethods"),
                json!({}),
            )
            .await
            .refused(403, "forbidden");
        helpdesk
            .post(
                &format!("/v1/users/{target}/authentication/fido2Methods/creationOptions"),
                json!({}),
            )
            .await
            .refused(403, "forbidden");
    }
    unchanged(&app, &before, "passes for admins").await;
}

/// A Privileged Authentication Administrator manages admins' methods, but not a Global Administrator's.
pub(crate) async fn privileged_authentication_administrator_cannot_touch_a_global_admin(app: TestApp) {
    more_admins(&app).await;
    let privileged = app.signed_in_with_pass("privileged@contoso.com", false).await;
    let before = app.fingerprint().await;
    privileged
        .post(
            &format!("/v1/users/{GLOBAL}/authentication/temporaryAccessPassMethods"),
            json!({}),
        )
        .await
        .refused(403, "forbidden");
    privileged
        .patch(
            &format!("/v1/users/{GLOBAL}"),
            json!({"passwordProfile": {"password": "taken-over"}}),
        )
        .await
        .refused(403, "forbidden");
    unchanged(&app, &before, "a Global Administrator's factors").await;
    privileged
        .post(
            "/v1/users/reader@contoso.com/authentication/temporaryAccessPassMethods",
            json!({}),
        )
        .await
        .expect(201);
}

/// A Global Reader and an Authentication Policy Administrator change nothing outside their role.
pub(crate) async fn readers_and_policy_admins_change_nothing_else(app: TestApp) {
    let reader = app.signed_in_with_pass("reader@contoso.com", false).await;
    let policy = app.signed_in_with_pass("policyadmin@contoso.com", false).await;
    let before = app.fingerprint().await;
    for browser in [&reader, &policy] {
        browser
            .post(
                "/v1/users/alice@contoso.com/authentication/temporaryAccessPassMethods",
                json!({}),
            )
            .await
            .refused(403, "forbidden");
        browser
            .post("/v1/users", json!({"userPrincipalName": "x@contoso.com"}))
            .await
            .refused(403, "forbidden");
        browser
            .post(
                "/v1/tokens",
                json!({"displayName": "x", "role": "global-administrator"}),
            )
            .await
            .refused(403, "forbidden");
    }
    reader
        .patch(
            "/v1/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2",
            json!({"state": "disabled"}),
        )
        .await
        .refused(403, "forbidden");
    unchanged(&app, &before, "writes outside the role").await;
}

// Administration behind strong authentication.

/// An administrator signed in with a password alone administers nothing: 403 strong_authentication_required on
/// reads and writes, and the page asks to finish signing in.
pub(crate) async fn a_password_alone_never_administers(app: TestApp) {
    let helpdesk = app.browser();
    let first = helpdesk
        .sign_in_password("helpdesk@contoso.com", "helpdesk-password")
        .await
        .expect(200);
    assert_eq!(first["status"], "signedIn", "no second factor is set up");
    let before = app.fingerprint().await;
    helpdesk
        .get("/v1/users")
        .await
        .refused(403, "strong_authentication_required");
    helpdesk
        .post(
            "/v1/users/alice@contoso.com/authentication/temporaryAccessPassMethods",
            json!({}),
        )
        .await
        .refused(403, "strong_authentication_required");
    let policy = app.browser();
    policy
        .sign_in_password("policyadmin@contoso.com", "policy-password")
        .await
        .expect(200);
    policy
        .patch(
            "/v1/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2",
            json!({"state": "disabled"}),
        )
        .await
        .refused(403, "strong_authentication_required");
    unchanged(&app, &before, "password-only administration").await;
    let page = helpdesk
        .client
        .get(format!("{}/admin/users", app.base))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status().as_u16(), 403);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("Finish signing in"),
        "the console asks to finish signing in"
    );
    // Security info stays open: that is where a method is set up.
    helpdesk.get("/v1/me").await.expect(200);
}

/// A sign-in waiting for its second factor administers nothing, nor reads.
pub(crate) async fn a_pending_second_factor_administers_nothing(app: TestApp) {
    app.totp_for("helpdesk@contoso.com").await;
    let helpdesk = app.browser();
    let first = helpdesk
        .sign_in_password("helpdesk@contoso.com", "helpdesk-password")
        .await
        .expect(200);
    assert_eq!(first["status"], "mfaRequired");
    helpdesk.get("/v1/users").await.refused(401, "mfa_required");
    helpdesk.get("/v1/me").await.refused(401, "mfa_required");
}

/// A sensitive action needs strong authentication within the hour: a stale session may still read, is asked to
/// verify again for a pass, and may issue it after verifying.
pub(crate) async fn sensitive_admin_actions_need_recent_strong_authentication(app: TestApp) {
    let secret = app.totp_for("helpdesk@contoso.com").await;
    let helpdesk = app.browser();
    helpdesk
        .sign_in_password("helpdesk@contoso.com", "helpdesk-password")
        .await
        .expect(200);
    let code = totp_code(&secret, app.clock().now()).expect("code");
    helpdesk
        .post("/v1/signin/totp", json!({"code": code}))
        .await
        .expect(200);
    app.clock().advance(Duration::minutes(61));
    let before = app.fingerprint().await;
    helpdesk.get("/v1/users/alice@contoso.com").await.expect(200);
    let refusal = helpdesk
        .post(
            "/v1/users/alice@contoso.com/authentication/temporaryAccessPassMethods",
            json!({}),
        )
        .await
        .refused(403, "recent_authentication_required");
    assert_eq!(
        refusal["error"]["details"]["verification"]["windowMinutes"], 60,
        "{refusal}"
    );
    unchanged(&app, &before, "a stale session's sensitive action").await;
    let code = totp_code(&secret, app.clock().now()).expect("code");
    helpdesk
        .post("/v1/signin/totp", json!({"code": code}))
        .await
        .expect(200);
    helpdesk
        .post(
            "/v1/users/alice@contoso.com/authentication/temporaryAccessPassMethods",
            json!({}),
        )
        .await
        .expect(201);
}

/// Tokens through the API: only a Global Administrator makes them, never another token, and a token's role is what
/// its maker chose.
pub(crate) async fn api_tokens_are_made_by_global_administrators_only(app: TestApp) {
    more_admins(&app).await;
    let admin = app.signed_in_with_pass(USERADMIN, false).await;
    let global_token = app.automation(Role::GlobalAdministrator).await;
    let before = app.fingerprint().await;
    admin
        .post(
            "/v1/tokens",
            json!({"displayName": "mine", "role": "global-administrator"}),
        )
        .await
        .refused(403, "forbidden");
    global_token
        .send(
            Method::POST,
            "/v1/tokens",
            Some(json!({"displayName": "child", "role": "global-administrator"})),
        )
        .await
        .refused(403, "forbidden");
    unchanged(&app, &before, "tokens made by a User Administrator or by a token").await;
    let global = app.signed_in_with_pass(GLOBAL, false).await;
    let made = global
        .post(
            "/v1/tokens",
            json!({"displayName": "siem", "role": "global-reader", "expiresInDays": 30}),
        )
        .await
        .expect(201);
    assert!(made["token"].as_str().is_some_and(|t| t.starts_with("kwt_")), "{made}");
    let listed = global.get("/v1/tokens").await.expect(200);
    assert!(
        !listed.to_string().contains(made["token"].as_str().unwrap_or("-")),
        "the secret is shown once"
    );
    global
        .post(
            "/v1/tokens",
            json!({"displayName": "forever", "role": "global-reader", "expiresInDays": 0}),
        )
        .await
        .refused(400, "invalid_request");
}

// Temporary Access Pass and sessions.

/// A one-time pass signs in once: three browsers, one session.
pub(crate) async fn a_one_time_pass_signs_in_once(app: TestApp) {
    let code = app.issue_pass("bob@contoso.com", true).await;
    let first = app.browser();
    first
        .post("/v1/signin/tap", json!({"username": "bob@contoso.com", "code": code}))
        .await
        .expect(200);
    for _ in 0..2 {
        let other = app.browser();
        other
            .post("/v1/signin/tap", json!({"username": "bob@contoso.com", "code": code}))
            .await
            .refused(403, "access_pass_already_used");
        other.get("/v1/me").await.refused(401, "unauthenticated");
    }
    first.get("/v1/me").await.expect(200);
}

/// A session opened with a pass lives no longer than the pass.
pub(crate) async fn a_pass_session_lives_no_longer_than_the_pass(app: TestApp) {
    let bob = app.signed_in_with_pass("bob@contoso.com", false).await;
    let me = bob.get("/v1/me").await.expect(200);
    let expires = time::OffsetDateTime::parse(
        me["session"]["expiresDateTime"].as_str().expect("expiry"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("time");
    assert!(expires <= app.clock().now() + Duration::minutes(60), "{me}");
    app.clock().advance(Duration::minutes(61));
    bob.get("/v1/me").await.refused(401, "unauthenticated");
}

/// Revoking a pass ends the sessions it opened; issuing a new one ends the old one's.
pub(crate) async fn revoking_or_replacing_a_pass_ends_its_sessions(app: TestApp) {
    let bob = app.signed_in_with_pass("bob@contoso.com", false).await;
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    let passes = helpdesk
        .get("/v1/users/bob@contoso.com/authentication/temporaryAccessPassMethods")
        .await
        .expect(200);
    let id = passes["value"][0]["id"].as_str().expect("pass id").to_string();
    helpdesk
        .delete(&format!(
            "/v1/users/bob@contoso.com/authentication/temporaryAccessPassMethods/{id}"
        ))
        .await
        .expect(204);
    bob.get("/v1/me").await.refused(401, "unauthenticated");

    let carol = app.signed_in_with_pass("carol@contoso.com", false).await;
    app.issue_pass("carol@contoso.com", false).await;
    carol.get("/v1/me").await.refused(401, "unauthenticated");
}

/// Resetting a password ends the sessions the password opened, not the passkey's.
pub(crate) async fn resetting_a_password_ends_password_sessions(app: TestApp) {
    let alice_password = app.browser();
    alice_password
        .sign_in_password("alice@contoso.com", "alice-password")
        .await
        .expect(200);
    let alice_pass = app.signed_in_with_pass("alice@contoso.com", false).await;
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    helpdesk
        .patch(
            "/v1/users/alice@contoso.com",
            json!({"passwordProfile": {"password": "alice-reset-password"}}),
        )
        .await
        .expect(200);
    alice_password.get("/v1/me").await.refused(401, "unauthenticated");
    alice_pass.get("/v1/me").await.expect(200);
}

/// Deleting a passkey ends the sessions it signed in.
pub(crate) async fn deleting_a_passkey_ends_its_sessions(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let mut key = SoftAuthenticator::new(aaguid(YUBIKEY));
    let created = app.register(&alice, &mut key).await.expect(201);
    let (with_passkey, answer) = app.sign_in_with_passkey(&mut key).await;
    answer.expect(200);
    with_passkey.get("/v1/me").await.expect(200);
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    let id = created["id"].as_str().expect("id");
    helpdesk
        .delete(&format!("/v1/users/alice@contoso.com/authentication/fido2Methods/{id}"))
        .await
        .expect(204);
    with_passkey.get("/v1/me").await.refused(401, "unauthenticated");
    alice.get("/v1/me").await.expect(200);
}

/// Graph's revokeSignInSessions ends every session of a user, by an administrator or by the user; audited.
pub(crate) async fn revoke_sign_in_sessions_ends_them_all(app: TestApp) {
    let bob_one = app.signed_in_with_pass("bob@contoso.com", false).await;
    let bob_two = app.browser();
    bob_two
        .sign_in_password("bob@contoso.com", "bob-password")
        .await
        .expect(200);
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    let answer = helpdesk
        .post("/v1/users/bob@contoso.com/revokeSignInSessions", json!({}))
        .await
        .expect(200);
    assert_eq!(answer["value"], true);
    assert_eq!(answer["endedSessions"], 2);
    bob_one.get("/v1/me").await.refused(401, "unauthenticated");
    bob_two.get("/v1/me").await.refused(401, "unauthenticated");

    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let other = app.browser();
    other
        .sign_in_password("alice@contoso.com", "alice-password")
        .await
        .expect(200);
    alice.post("/v1/me/revokeSignInSessions", json!({})).await.expect(200);
    alice.get("/v1/me").await.refused(401, "unauthenticated");
    other.get("/v1/me").await.refused(401, "unauthenticated");
    assert_eq!(count(&app.audit().await, Activity::InvalidateAllRefreshTokens), 2);
}

/// Disabling or deleting an account ends its sessions; a delete is audited as Entra's "Delete user".
pub(crate) async fn disabling_or_deleting_an_account_ends_its_sessions(app: TestApp) {
    more_admins(&app).await;
    let admin = app.signed_in_with_pass(USERADMIN, false).await;
    let bob = app.signed_in_with_pass("bob@contoso.com", false).await;
    admin
        .patch("/v1/users/bob@contoso.com", json!({"accountEnabled": false}))
        .await
        .expect(200);
    bob.get("/v1/me").await.refused(401, "unauthenticated");
    admin
        .patch("/v1/users/bob@contoso.com", json!({"accountEnabled": true}))
        .await
        .expect(200);
    bob.get("/v1/me").await.refused(401, "unauthenticated");

    let erin = app.browser();
    erin.sign_in_password("erin@contoso.com", "erin-password")
        .await
        .expect(200);
    admin.delete("/v1/users/erin@contoso.com").await.expect(204);
    erin.get("/v1/me").await.refused(401, "unauthenticated");
    app.browser()
        .sign_in_password("erin@contoso.com", "erin-password")
        .await
        .refused(403, "account_disabled");
    assert_eq!(count(&app.audit().await, Activity::DeleteUser), 1);
}

/// A token planted before the second factor is not signed in after it: every step issues a new token.
pub(crate) async fn a_session_token_is_renewed_when_a_second_factor_completes_it(app: TestApp) {
    let secret = app.totp_for("alice@contoso.com").await;
    let alice = app.browser();
    alice
        .sign_in_password("alice@contoso.com", "alice-password")
        .await
        .expect(200);
    let planted = cookie_of(&alice, &app)
        .await
        .expect("a session cookie after the password");
    let code = totp_code(&secret, app.clock().now()).expect("code");
    alice.post("/v1/signin/totp", json!({"code": code})).await.expect(200);
    let renewed = cookie_of(&alice, &app).await.expect("a session cookie after the code");
    assert_ne!(planted, renewed, "a new token");
    let attacker = reqwest::Client::new();
    let answer = attacker
        .get(format!("{}/v1/me", app.base))
        .header("cookie", format!("kw_session={planted}"))
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status().as_u16(), 401, "the planted token no longer works");
    alice.get("/v1/me").await.expect(200);
}

/// A pass or passkey step raises a session under a new token too.
pub(crate) async fn a_session_token_is_renewed_when_a_pass_raises_it(app: TestApp) {
    let alice = app.browser();
    alice
        .sign_in_password("alice@contoso.com", "alice-password")
        .await
        .expect(200);
    let before = cookie_of(&alice, &app).await.expect("cookie");
    let code = app.issue_pass("alice@contoso.com", false).await;
    alice
        .post("/v1/signin/tap", json!({"username": "alice@contoso.com", "code": code}))
        .await
        .expect(200);
    let after = cookie_of(&alice, &app).await.expect("cookie");
    assert_ne!(before, after);
    let stale = reqwest::Client::new()
        .get(format!("{}/v1/me", app.base))
        .header("cookie", format!("kw_session={before}"))
        .send()
        .await
        .expect("request");
    assert_eq!(stale.status().as_u16(), 401);
    let me = alice.get("/v1/me").await.expect(200);
    let methods: Vec<&str> = me["session"]["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .filter_map(|m| m["method"].as_str())
        .collect();
    assert_eq!(methods, ["password", "temporaryAccessPass"], "the same session, raised");
}

/// The session token in the browser's cookie jar.
async fn cookie_of(browser: &Browser, _app: &TestApp) -> Option<String> {
    let url: reqwest::Url = browser.base.parse().ok()?;
    use reqwest::cookie::CookieStore;
    let jar = browser.jar.cookies(&url)?;
    let header = jar.to_str().ok()?;
    header
        .split(';')
        .find_map(|pair| pair.trim().strip_prefix("kw_session=").map(str::to_string))
}

/// Signing out needs the CSRF token, so that another site cannot end the session.
pub(crate) async fn sign_out_needs_the_csrf_token(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let answer = alice
        .client
        .post(format!("{}/v1/signout", app.base))
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status().as_u16(), 403);
    alice.get("/v1/me").await.expect(200);
    alice.post("/v1/signout", json!({})).await.expect(204);
    alice.get("/v1/me").await.refused(401, "unauthenticated");
}

/// A token acts with the role its maker chose and no more: an Authentication Administrator token cannot issue a
/// pass to an administrator, nor change a user.
pub(crate) async fn a_token_acts_within_its_role(app: TestApp) {
    let token = app.automation(Role::AuthenticationAdministrator).await;
    let before = app.fingerprint().await;
    token
        .send(
            Method::POST,
            "/v1/users/privileged@contoso.com/authentication/temporaryAccessPassMethods",
            Some(json!({})),
        )
        .await
        .refused(403, "forbidden");
    token
        .send(
            Method::PATCH,
            "/v1/users/alice@contoso.com",
            Some(json!({"roles": ["global-reader"]})),
        )
        .await
        .refused(403, "forbidden");
    token
        .send(Method::DELETE, "/v1/users/alice@contoso.com", None)
        .await
        .refused(403, "forbidden");
    unchanged(&app, &before, "a token above its role").await;
}

/// Memberships decide which passkey rules apply: only a group manager changes them.
pub(crate) async fn only_group_managers_change_memberships(app: TestApp) {
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    let before = app.fingerprint().await;
    let events = app.audit().await.len();
    helpdesk
        .delete("/v1/groups/Contractors/members/erin@contoso.com")
        .await
        .refused(403, "forbidden");
    helpdesk
        .post("/v1/groups/Pilot/members", json!({"members": ["carol@contoso.com"]}))
        .await
        .refused(403, "forbidden");
    helpdesk
        .post("/v1/groups", json!({"displayName": "Shadow"}))
        .await
        .refused(403, "forbidden");
    unchanged(&app, &before, "membership changes by a non-manager").await;
    assert_eq!(app.audit().await.len(), events, "nothing was written");
    let groups = app.store().groups_of(
        app.store()
            .find_user("erin@contoso.com")
            .await
            .expect("query")
            .expect("erin")
            .id,
    );
    assert_eq!(groups.await.expect("groups").len(), 2, "Erin is still a contractor");
}

/// A browser write without the session's CSRF token changes nothing, for an administrator too.
pub(crate) async fn admin_writes_need_the_csrf_token(app: TestApp) {
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    let before = app.fingerprint().await;
    let answer = helpdesk
        .client
        .post(format!(
            "{}/v1/users/alice@contoso.com/authentication/temporaryAccessPassMethods",
            app.base
        ))
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status().as_u16(), 403);
    let body: Value = answer.json().await.expect("json");
    assert_eq!(body["error"]["code"], "csrf_token_invalid");
    unchanged(&app, &before, "a cross-site write").await;
}

/// A forged or stale session cookie is no session at all.
pub(crate) async fn a_forged_session_cookie_is_unauthenticated(app: TestApp) {
    for cookie in ["kw_session=kws_forged", "kw_session=", "kw_session=../../etc/passwd"] {
        let answer = reqwest::Client::new()
            .get(format!("{}/v1/users", app.base))
            .header("cookie", cookie)
            .send()
            .await
            .expect("request");
        assert_eq!(answer.status().as_u16(), 401, "{cookie}");
    }
}

/// Assigning roles and changing the policy need a recent verification; renaming a user does not.
pub(crate) async fn role_and_policy_changes_need_recent_strong_authentication(app: TestApp) {
    more_admins(&app).await;
    let secret = app.totp_for(GLOBAL).await;
    let global = app.browser();
    global.sign_in_password(GLOBAL, "global-password").await.expect(200);
    let code = totp_code(&secret, app.clock().now()).expect("code");
    global.post("/v1/signin/totp", json!({"code": code})).await.expect(200);
    app.clock().advance(Duration::minutes(90));
    let before = app.fingerprint().await;
    global
        .patch("/v1/users/alice@contoso.com", json!({"roles": ["global-reader"]}))
        .await
        .refused(403, "recent_authentication_required");
    global
        .patch(
            "/v1/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2",
            json!({"state": "disabled"}),
        )
        .await
        .refused(403, "recent_authentication_required");
    global
        .post("/v1/tokens", json!({"displayName": "x", "role": "global-reader"}))
        .await
        .refused(403, "recent_authentication_required");
    unchanged(&app, &before, "stale sensitive changes").await;
    global
        .patch("/v1/users/alice@contoso.com", json!({"displayName": "Alice A."}))
        .await
        .expect(200);
}

/// Creating a user that exists is refused: an update is a PATCH, explicit about what it changes.
pub(crate) async fn creating_an_existing_user_is_refused(app: TestApp) {
    more_admins(&app).await;
    let admin = app.signed_in_with_pass(USERADMIN, false).await;
    let before = app.fingerprint().await;
    admin
        .post(
            "/v1/users",
            json!({"userPrincipalName": "alice@contoso.com", "password": "taken-over-password"}),
        )
        .await
        .refused(409, "already_exists");
    admin
        .post(
            "/v1/users",
            json!({"userPrincipalName": "ALICE@contoso.com", "displayName": "Mallory"}),
        )
        .await
        .refused(409, "already_exists");
    unchanged(&app, &before, "a create over an existing user").await;
}

/// An administrator's pass session ends with the pass: no administration after it expires.
pub(crate) async fn an_admin_pass_session_ends_with_the_pass(app: TestApp) {
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    helpdesk.get("/v1/users").await.expect(200);
    app.clock().advance(Duration::minutes(61));
    let before = app.fingerprint().await;
    helpdesk.get("/v1/users").await.refused(401, "unauthenticated");
    helpdesk
        .post(
            "/v1/users/alice@contoso.com/authentication/temporaryAccessPassMethods",
            json!({}),
        )
        .await
        .refused(401, "unauthenticated");
    unchanged(&app, &before, "an expired pass session").await;
}

// Sign-in without leaks.

/// Wrong passwords for a name that exists and one that does not get the same answers, lock included.
pub(crate) async fn unknown_and_known_names_fail_alike(app: TestApp) {
    let mut answers = Vec::new();
    for name in ["alice@contoso.com", "nobody@contoso.com"] {
        let browser = app.browser();
        let mut seen = Vec::new();
        for _ in 0..7 {
            let answer = browser.sign_in_password(name, "wrong-password").await;
            seen.push((answer.status.as_u16(), answer.code().to_string()));
        }
        answers.push(seen);
    }
    assert_eq!(answers[0], answers[1], "the answers tell nothing about who exists");
    assert_eq!(answers[0][0], (401, "invalid_credentials".to_string()));
    assert_eq!(answers[0][6], (429, "too_many_attempts".to_string()));
    // Passes too.
    let mut pass_answers = Vec::new();
    for name in ["bob@contoso.com", "ghost@contoso.com"] {
        let browser = app.browser();
        let mut seen = Vec::new();
        for _ in 0..6 {
            let answer = browser
                .post("/v1/signin/tap", json!({"username": name, "code": "WRONG123"}))
                .await;
            seen.push((answer.status.as_u16(), answer.code().to_string()));
        }
        pass_answers.push(seen);
    }
    assert_eq!(pass_answers[0], pass_answers[1]);
}

/// Of a burst of wrong guesses sent at once, at most the configured number are checked, and the right password
/// arriving during the lock does not sign in.
pub(crate) async fn a_burst_of_guesses_is_not_checked_whole(app: TestApp) {
    let before = count(&app.audit().await, Activity::UserSignedIn);
    let browser = std::sync::Arc::new(app.browser());
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let browser = browser.clone();
        tasks.push(tokio::spawn(async move {
            browser.sign_in_password("alice@contoso.com", "wrong-password").await
        }));
    }
    let mut codes = Vec::new();
    for task in tasks {
        codes.push(task.await.expect("task").code().to_string());
    }
    let checked = codes.iter().filter(|c| *c == "invalid_credentials").count();
    assert!(checked <= 5, "at most the limit is checked: {codes:?}");
    assert!(
        codes
            .iter()
            .all(|c| c == "invalid_credentials" || c == "too_many_attempts"),
        "{codes:?}"
    );
    app.browser()
        .sign_in_password("alice@contoso.com", "alice-password")
        .await
        .refused(429, "too_many_attempts");
    let failures = count(&app.audit().await, Activity::UserSignedIn) - before;
    assert!(
        failures <= 5,
        "only checked guesses are recorded as failed sign-ins: {failures}"
    );
}

/// A passkey sign-in's begin takes no user name, so it lists nobody's credentials.
pub(crate) async fn passkey_begin_lists_no_ones_credentials(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let mut key = SoftAuthenticator::new(aaguid(YUBIKEY));
    app.register(&alice, &mut key).await.expect(201);
    app.browser()
        .post("/v1/signin/passkey/begin", json!({"username": "alice@contoso.com"}))
        .await
        .refused(400, "invalid_request");
    let anonymous = app
        .browser()
        .post("/v1/signin/passkey/begin", json!({}))
        .await
        .expect(200);
    assert_eq!(
        anonymous["publicKey"]["allowCredentials"]
            .as_array()
            .map_or(0, Vec::len),
        0,
        "{anonymous}"
    );
    // A signed-in user verifying again is offered their own.
    let own = alice.post("/v1/signin/passkey/begin", json!({})).await.expect(200);
    assert_eq!(
        own["publicKey"]["allowCredentials"].as_array().map(Vec::len),
        Some(1),
        "{own}"
    );
}

/// One address cannot hammer the sign-in endpoints: past the burst it gets 429 rate_limited with Retry-After, for
/// names that exist and names that do not, before anything is checked or written.
pub(crate) async fn sign_in_endpoints_are_limited_per_address(app: TestApp) {
    let limited = TestApp::spawn_with(app.backend, |config| {
        config.rate_limit.sign_in_per_minute = 1;
        config.rate_limit.sign_in_burst = 3;
    })
    .await
    .expect("app");
    let events = limited.audit().await.len();
    let browser = limited.browser();
    for _ in 0..3 {
        browser
            .sign_in_password("nobody@contoso.com", "wrong-password")
            .await
            .refused(401, "invalid_credentials");
    }
    let refused = browser
        .client
        .post(format!("{}/v1/signin/tap", limited.base))
        .json(&json!({"username": "alice@contoso.com", "code": "WRONG123"}))
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status().as_u16(), 429);
    let retry = refused
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .expect("Retry-After");
    assert!(retry >= 1);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(
        limited.audit().await.len(),
        events + 3,
        "the limited request wrote nothing"
    );
    // Other routes are not limited.
    browser.get("/healthz").await.expect(200);
}

// Data integrity.

/// A passkey renamed to a formula is exported as text, in the API's CSV and the CLI's.
pub(crate) async fn csv_exports_neutralise_formulas(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let mut key = SoftAuthenticator::new(aaguid(YUBIKEY));
    let created = app.register(&alice, &mut key).await.expect(201);
    let id = created["id"].as_str().expect("id");
    let formula = "=HYPERLINK(\"http://evil.example\",\"click\")";
    alice
        .patch(
            &format!("/v1/me/authentication/fido2Methods/{id}"),
            json!({"displayName": formula}),
        )
        .await
        .expect(200);
    let reader = app.signed_in_with_pass("reader@contoso.com", false).await;
    let csv = reader
        .client
        .get(format!("{}/v1/reports/passkeyInventory?format=csv", app.base))
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("csv");
    assert!(csv.contains("\"'=HYPERLINK("), "the cell is text: {csv}");
    assert!(!csv.contains(",\"=HYPERLINK("), "{csv}");
}

/// Two sign-ins at once with one passkey leave the highest counter, whichever commits last.
pub(crate) async fn concurrent_sign_ins_keep_the_highest_counter(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let mut key = SoftAuthenticator::new(aaguid(YUBIKEY)).counter_start(10);
    let created = app.register(&alice, &mut key).await.expect(201);
    let mut pending = Vec::new();
    for _ in 0..4 {
        let browser = app.browser();
        let begun = browser.post("/v1/signin/passkey/begin", json!({})).await.expect(200);
        let assertion = key.sign_in(&begun["publicKey"], &app.origin).expect("assertion");
        pending.push((std::sync::Arc::new(browser), begun, assertion));
    }
    // The highest counter first, so that lower ones commit after it.
    pending.reverse();
    let mut tasks = Vec::new();
    for (browser, begun, assertion) in pending {
        tasks.push(tokio::spawn(async move {
            browser
                .post(
                    "/v1/signin/passkey/finish",
                    json!({"challengeId": begun["challengeId"], "credential": assertion}),
                )
                .await
        }));
    }
    for task in tasks {
        let answer = task.await.expect("task");
        assert!(
            answer.status.as_u16() == 200 || answer.code() == "sign_count_regressed",
            "{answer:?}"
        );
    }
    let stored = app
        .store()
        .passkey(created["id"].as_str().expect("id").parse().expect("method id"))
        .await
        .expect("query")
        .expect("passkey");
    assert_eq!(stored.passkey.sign_count, 14, "the highest counter stays");
}

/// `/metrics` is off the public listener when it has an address of its own.
pub(crate) async fn metrics_are_served_off_the_public_listener(app: TestApp) {
    app.browser().get("/metrics").await.expect(200);
    let private = TestApp::spawn_with(app.backend, |config| {
        config.metrics_listen = Some("127.0.0.1:0".into());
    })
    .await
    .expect("app");
    private.browser().get("/metrics").await.refused(404, "route_not_found");
}

/// The seal of a passkey sign-in comes from the configured secret, not the database: a server with another secret
/// on the same database cannot open it; a rotated secret still opens what it sealed.
pub(crate) async fn sign_in_seals_come_from_the_configured_secret(app: TestApp) {
    use keywarden_server::secrets::SealingKeys;
    let old = keywarden_server::secrets::new_secret();
    let new = keywarden_server::secrets::new_secret();
    let before = SealingKeys::derive(std::slice::from_ref(&old)).expect("keys");
    let (sealed, _) = {
        let mut config = (*app.state.config).clone();
        config.secret_key = Some(old.clone());
        let state = keywarden_server::AppState::new(
            config,
            app.state.store.clone(),
            Default::default(),
            app.state.clock.clone(),
        )
        .expect("state");
        keywarden_server::ops::sign_in::passkey_begin(&state, &app.ctx(), None)
            .await
            .expect("begin")
    };
    assert!(before.open(&sealed).is_some());
    // The test server has a secret of its own: it refuses the ceremony.
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let mut key = SoftAuthenticator::new(aaguid(YUBIKEY));
    app.register(&alice, &mut key).await.expect(201);
    let begun = app
        .browser()
        .post("/v1/signin/passkey/begin", json!({}))
        .await
        .expect(200);
    let assertion = key.sign_in(&begun["publicKey"], &app.origin).expect("assertion");
    app.browser()
        .post(
            "/v1/signin/passkey/finish",
            json!({"challengeId": sealed, "credential": assertion}),
        )
        .await
        .refused(400, "challenge_unknown");
    let rotated = SealingKeys::derive(&[new, old]).expect("keys");
    assert!(rotated.open(&sealed).is_some(), "the previous secret still opens");
    let other = SealingKeys::derive(&[keywarden_server::secrets::new_secret()]).expect("keys");
    assert!(other.open(&sealed).is_none(), "another secret does not");
}

/// The server's now, read from the `Date` header the pages use (`serverNow` in kw.js).
async fn server_date(app: &TestApp) -> time::OffsetDateTime {
    let response = reqwest::get(format!("{}/healthz", app.base)).await.expect("healthz");
    let date = response.headers()[reqwest::header::DATE]
        .to_str()
        .expect("ascii date")
        .to_string();
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(&date, format)
        .expect("an HTTP date")
        .assume_utc()
}

/// A test clock (`test_clock_file`: the server adds the seconds written in a file to its time) cannot be turned on
/// where browsers reach keywarden over a public origin, nor on a public address: whoever could write the file would
/// stretch passes, sessions and verifications. The configuration refuses it, and so does the clock built from a
/// configuration that skipped validation. On localhost it is allowed, and writing the file moves the server's now
/// at once: a pass session ends, and the pages' `Date` header follows.
pub(crate) async fn a_test_clock_cannot_be_enabled_on_a_public_origin(app: TestApp) {
    use keywarden_server::{Clock, Config};
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("clock");
    std::fs::write(&file, "0").expect("write the clock file");
    type Edit = fn(&mut Config);
    let cases: [(&str, Edit); 3] = [
        ("a public https origin", |config| {
            config.rp_id = "login.contoso.com".into();
            config.origins = vec!["https://login.contoso.com".into()];
        }),
        ("an https origin beside a local one", |config| {
            config.origins.push("https://localhost".into());
        }),
        ("a listen address open to the network", |config| {
            config.listen = "0.0.0.0:8080".into();
        }),
    ];
    for (case, edit) in cases {
        let mut config = (*app.state.config).clone();
        edit(&mut config);
        config.test_clock_file = None;
        config
            .validate()
            .unwrap_or_else(|e| panic!("{case}: valid without a test clock: {e}"));
        config.test_clock_file = Some(file.clone());
        let refused = config.validate().expect_err(case);
        assert_eq!(refused.setting, "test_clock_file", "{case}: {refused}");
        let refused = Clock::for_config(&config).expect_err(case);
        assert_eq!(
            refused.setting, "test_clock_file",
            "{case}: the clock refuses too: {refused}"
        );
    }
    assert_eq!(app.clock().test_clock_file(), None, "no test clock unless configured");

    // Allowed on localhost: the file moves the server's now, for the API and for the pages.
    let local = TestApp::spawn_with(app.backend, |config| config.test_clock_file = Some(file.clone()))
        .await
        .expect("app");
    let bob = local.signed_in_with_pass("bob@contoso.com", false).await;
    bob.get("/v1/me").await.expect(200);
    let real = time::OffsetDateTime::now_utc();
    assert!(
        (server_date(&local).await - real).abs() < Duration::minutes(1),
        "offset 0 is the real time"
    );
    std::fs::write(&file, "3660").expect("write the clock file");
    bob.get("/v1/me").await.refused(401, "unauthenticated");
    let moved = server_date(&local).await - real;
    assert!(
        moved > Duration::minutes(60) && moved < Duration::minutes(62),
        "the Date header follows the file: {moved}"
    );
    assert!(
        app.clock().now() - real < Duration::minutes(1),
        "a server without a test clock ignores the file"
    );
}

// Every admin route against every role, from the route table.

/// The users who hold exactly one role each, signed in with a pass (strong and recent).
async fn one_browser_per_role(app: &TestApp) -> Vec<(Role, Browser)> {
    let mut browsers = Vec::new();
    for role in Role::ALL {
        let upn = format!("{}@contoso.com", role.slug());
        app.add_user(&upn, &[role]).await;
        browsers.push((role, app.signed_in_with_pass(&upn, false).await));
    }
    browsers
}

/// The path of a route with its parameters filled in: a member as the user, a made-up id.
fn concrete(path: &str) -> String {
    path.replace("{user}", "alice@contoso.com")
        .replace("{group}", "Pilot")
        .replace("{id}", "00000000-0000-4000-8000-00000000dead")
        .replace("{aaguid}", YUBIKEY)
}

fn actions_of(access: Access) -> Option<Vec<Action>> {
    match access {
        Access::Admin(action) => Some(vec![action]),
        Access::AdminAnyOf(actions) => Some(actions.to_vec()),
        Access::Public | Access::SignIn | Access::SignedIn => None,
    }
}

async fn call(browser: &Browser, route: &RouteInfo) -> crate::support::Answer {
    let path = concrete(route.path);
    match route.method {
        "GET" => browser.get(&path).await,
        "POST" => browser.post(&path, json!({})).await,
        "PATCH" => browser.patch(&path, json!({})).await,
        "DELETE" => browser.delete(&path).await,
        other => panic!("the route table has a method the test does not send: {other}"),
    }
}

/// Every admin route of the route table, called as a user of each role, as a member without a role, as an
/// administrator who signed in with a password alone, and without a session: the role table decides each answer.
/// A route added to the table is tried here with no more work; one under an admin prefix that is not marked
/// administrative fails the test.
pub(crate) async fn every_admin_route_checks_every_role(app: TestApp) {
    let table = keywarden_server::routes::table();
    const ADMIN_PREFIXES: [&str; 7] = [
        "/v1/users",
        "/v1/groups",
        "/v1/policies",
        "/v1/auditLogs",
        "/v1/reports",
        "/v1/diagnosis",
        "/v1/tokens",
    ];
    for route in &table {
        if ADMIN_PREFIXES.iter().any(|p| route.path.starts_with(p)) {
            assert!(
                matches!(route.access, Access::Admin(_) | Access::AdminAnyOf(_)),
                "{} {} is under an admin prefix but not marked administrative",
                route.method,
                route.path
            );
        }
    }
    let browsers = one_browser_per_role(&app).await;
    let member = app.signed_in_with_pass("bob@contoso.com", false).await;
    app.add_user("weak@contoso.com", &[Role::GlobalAdministrator]).await;
    let weak = app.browser();
    weak.sign_in_password("weak@contoso.com", "weak-password")
        .await
        .expect(200);
    let nobody = app.browser();
    let mut tried = 0;
    for route in table.iter().filter(|r| actions_of(r.access).is_some()) {
        let actions = actions_of(route.access).expect("admin route");
        let case = format!("{} {}", route.method, route.path);
        for (role, browser) in &browsers {
            let answer = call(browser, route).await;
            let allowed = actions.iter().any(|&a| access::allows_some(*role, a));
            if allowed {
                assert_ne!(
                    (answer.status.as_u16(), answer.code()),
                    (403, "forbidden"),
                    "{case} as {role:?}: the role allows it: {}",
                    answer.body
                );
            } else {
                assert_eq!(
                    (answer.status.as_u16(), answer.code()),
                    (403, "forbidden"),
                    "{case} as {role:?}: the role does not allow it: {}",
                    answer.body
                );
            }
        }
        let answer = call(&member, route).await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (403, "forbidden"),
            "{case} as a member"
        );
        let answer = call(&weak, route).await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (403, "strong_authentication_required"),
            "{case} with a password alone"
        );
        let answer = call(&nobody, route).await;
        assert_eq!(answer.status.as_u16(), 401, "{case} without a session");
        tried += 1;
    }
    assert!(tried >= 30, "the table has the admin routes: {tried}");
}

/// A session whose strong authentication is stale (a device left signed in, a stolen cookie) cannot add an
/// authenticator app of its own to a user who already has a strong method: that would be a lasting second factor
/// for whoever holds the session. Refused with question 2's evidence, and nothing changes; after verifying again it
/// may.
pub(crate) async fn a_stale_session_cannot_add_an_authenticator_app(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let mut key = SoftAuthenticator::new(aaguid(YUBIKEY));
    app.register(&alice, &mut key).await.expect(201);
    app.clock().advance(Duration::minutes(11));
    let before = app.fingerprint().await;
    let body = alice
        .post("/v1/me/authentication/softwareOathMethods", json!({}))
        .await
        .refused(403, "reauthentication_required");
    assert!(
        body["error"]["details"]["verification"]["usableMethods"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m == "fido2")),
        "{body}"
    );
    unchanged(&app, &before, "a stale session adds an authenticator app").await;
    let code = app.issue_pass("alice@contoso.com", false).await;
    alice
        .post("/v1/signin/tap", json!({"username": "alice@contoso.com", "code": code}))
        .await
        .expect(200);
    alice
        .post("/v1/me/authentication/softwareOathMethods", json!({}))
        .await
        .expect(201);
}
