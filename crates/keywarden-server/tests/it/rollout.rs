//! The rollout over HTTP, on data made through the real registration path: ring status and its chart, tightening a
//! profile (proposed, then applied and audited), readiness before requiring a strength, and the what-if of a
//! proposed policy, which changes nothing.

use keywarden_domain::audit::Activity;
use keywarden_testkit::SoftAuthenticator;
use serde_json::{Value, json};

use crate::TestApp;
use crate::support::{ADMINS, Browser, CONTRACTORS, ICLOUD, PILOT, YUBIKEY, aaguid, base_policy};

const ZERO: &str = "00000000-0000-0000-0000-000000000000";

/// Registers a passkey for `upn` in Security info (signed in with a pass); the answer is the server's.
async fn register(app: &TestApp, upn: &str, key: &mut SoftAuthenticator) -> crate::support::Answer {
    let browser = app.signed_in_with_pass(upn, false).await;
    app.register(&browser, key).await
}

fn device_bound(aaguid_text: &str) -> SoftAuthenticator {
    SoftAuthenticator::new(aaguid(aaguid_text))
}

fn synced() -> SoftAuthenticator {
    SoftAuthenticator::new(aaguid(ICLOUD)).backup(true, true)
}

/// The ring named `name` in a rollout status.
fn ring<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["value"]
        .as_array()
        .expect("rings")
        .iter()
        .find(|r| r["displayName"] == name)
        .unwrap_or_else(|| panic!("ring {name} in {status:#}"))
}

fn counts(ring: &Value) -> [i64; 4] {
    ["members", "targeted", "covered", "refused"].map(|k| ring[k].as_i64().expect("a count"))
}

fn upns(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| item["user"]["userPrincipalName"].as_str().expect("upn").to_string())
        .collect();
    names.sort();
    names
}

async fn policy_version(browser: &Browser) -> i64 {
    browser
        .get("/v1/policies/authenticationMethodsPolicy")
        .await
        .expect(200)["policyVersion"]
        .as_i64()
        .expect("version")
}

async fn raw_get(browser: &Browser, path: &str) -> (u16, String, String) {
    let response = browser
        .client
        .get(format!("{}{path}", browser.base))
        .send()
        .await
        .expect("request reaches the server");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, content_type, response.text().await.expect("body"))
}

pub(crate) async fn rollout_status_counts_each_ring_with_attempts_and_a_chart(app: TestApp) {
    register(&app, "alice@contoso.com", &mut device_bound(YUBIKEY))
        .await
        .expect(201);
    register(&app, "bob@contoso.com", &mut synced()).await.expect(201);
    // Admins' profile accepts attested device-bound passkeys only: Carol's synced one is refused.
    let refused = register(&app, "carol@contoso.com", &mut synced()).await;
    assert_eq!(refused.status.as_u16(), 422, "{}", refused.body);
    let carol_code = refused.code().to_string();

    let reader = app.signed_in_with_pass("reader@contoso.com", false).await;
    let status = reader.get("/v1/reports/rollout").await.expect(200);
    assert_eq!(status["methodState"], "enabled");
    let pilot = ring(&status, "Pilot");
    assert_eq!(pilot["id"], PILOT);
    assert_eq!(pilot["targeting"], "included");
    // Seven members; Erin is also in Contractors, which is excluded, so six are targeted; Alice and Bob covered.
    assert_eq!(counts(pilot), [7, 6, 2, 0], "Pilot: {pilot:#}");
    assert_eq!(pilot["attempts"]["succeeded"], 2);
    assert_eq!(pilot["attempts"]["failed"], 0);
    let admins = ring(&status, "Admins");
    assert_eq!(admins["id"], ADMINS);
    assert_eq!(counts(admins), [1, 1, 0, 0], "Admins: {admins:#}");
    assert_eq!(admins["attempts"]["failed"], 1);
    assert_eq!(
        admins["attempts"]["failureCodes"],
        json!([{"code": carol_code, "attempts": 1}]),
        "the failure code of Carol's attempt"
    );
    let contractors = ring(&status, "Contractors");
    assert_eq!(contractors["id"], CONTRACTORS);
    assert_eq!(contractors["targeting"], "excluded");
    assert_eq!(counts(contractors), [1, 0, 0, 0]);
    assert_eq!(status["allUsers"]["members"], 9);
    assert_eq!(status["allUsers"]["covered"], 2);
    assert_eq!(status["allUsers"]["attempts"]["total"], 3);

    // The chart, at its own path and with format=svg: the same bytes, every number stated.
    let (code, content_type, svg) = raw_get(&reader, "/v1/reports/rollout.svg").await;
    assert_eq!(code, 200);
    assert!(content_type.starts_with("image/svg+xml"), "{content_type}");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{svg}");
    assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
    assert!(svg.contains("Pilot: 7 members, 6 targeted, 2 covered (29%)"), "{svg}");
    let (_, _, same) = raw_get(&reader, "/v1/reports/rollout?format=svg").await;
    assert_eq!(same, svg);
    reader
        .get("/v1/reports/rollout?format=png")
        .await
        .refused(400, "invalid_request");

    // Today's policy is what counts: once the profile refuses synced passkeys, Bob's no longer covers him.
    let mut document = base_policy();
    document["passkeyProfiles"][0]["passkeyTypes"] = json!("deviceBound");
    app.apply_policy(&document).await;
    let status = reader.get("/v1/reports/rollout").await.expect(200);
    assert_eq!(counts(ring(&status, "Pilot")), [7, 6, 1, 1]);

    // A member without a role cannot read it.
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    alice.get("/v1/reports/rollout").await.refused(403, "forbidden");
}

pub(crate) async fn tighten_proposes_the_observed_models_and_applies_only_when_asked(app: TestApp) {
    register(&app, "alice@contoso.com", &mut device_bound(YUBIKEY))
        .await
        .expect(201);
    register(&app, "privileged@contoso.com", &mut device_bound(YUBIKEY))
        .await
        .expect(201);
    register(&app, "bob@contoso.com", &mut synced()).await.expect(201);
    // A passkey whose AAGUID the browser hid: no allow list can name it.
    register(&app, "helpdesk@contoso.com", &mut device_bound(ZERO))
        .await
        .expect(201);

    let admin = app.signed_in_with_pass("policyadmin@contoso.com", false).await;
    let reader = app.signed_in_with_pass("reader@contoso.com", false).await;
    let version = policy_version(&admin).await;
    let events = app.audit().await.len();
    let proposal = admin
        .post("/v1/reports/rollout/tighten", json!({"profile": "Any passkey"}))
        .await
        .expect(200);
    assert_eq!(proposal["profile"]["id"], "any");
    assert_eq!(proposal["usersWithPasskeys"], 4);
    let observed: Vec<(String, i64, i64, bool)> = proposal["observed"]
        .as_array()
        .expect("observed models")
        .iter()
        .map(|m| {
            (
                m["aaguid"].as_str().expect("aaguid").to_string(),
                m["passkeys"].as_i64().expect("passkeys"),
                m["users"].as_i64().expect("users"),
                m["proposed"].as_bool().expect("proposed"),
            )
        })
        .collect();
    assert_eq!(
        observed,
        vec![
            (YUBIKEY.to_string(), 2, 2, true),
            (ZERO.to_string(), 1, 1, false),
            (ICLOUD.to_string(), 1, 1, true),
        ],
        "most passkeys first; the zero AAGUID is shown but not proposed"
    );
    assert_eq!(
        proposal["proposed"]["keyRestrictions"]["aaGuids"]
            .as_array()
            .map(|a| a.len()),
        Some(2),
        "{:#}",
        proposal["proposed"]
    );
    assert_eq!(
        upns(&proposal["whatIf"]["credentialsStopWorking"]),
        vec!["helpdesk@contoso.com"],
        "who would lose a credential"
    );
    assert_eq!(proposal["applied"], false);
    assert_eq!(policy_version(&admin).await, version, "a proposal changes nothing");
    assert_eq!(app.audit().await.len(), events, "and writes no audit event");

    // Applying needs the Authentication Policy Administrator role.
    reader
        .post("/v1/reports/rollout/tighten", json!({"profile": "any"}))
        .await
        .expect(200);
    reader
        .post("/v1/reports/rollout/tighten", json!({"profile": "any", "apply": true}))
        .await
        .refused(403, "forbidden");
    admin
        .post("/v1/reports/rollout/tighten", json!({"profile": "nope"}))
        .await
        .refused(404, "not_found");
    assert_eq!(policy_version(&admin).await, version);

    let applied = admin
        .post("/v1/reports/rollout/tighten", json!({"profile": "any", "apply": true}))
        .await
        .expect(200);
    assert_eq!(applied["applied"], true);
    assert_eq!(applied["policyVersion"].as_i64(), Some(version + 1));
    let document = admin.get("/v1/policies/authenticationMethodsPolicy").await.expect(200);
    assert_eq!(document["policyVersion"].as_i64(), Some(version + 1));
    let profile = &document["authenticationMethodConfigurations"][0]["passkeyProfiles"][0];
    assert_eq!(profile["id"], "any");
    assert_eq!(profile["keyRestrictions"]["isEnforced"], true);
    assert_eq!(profile["keyRestrictions"]["enforcementType"], "allow");
    let mut allowed: Vec<&str> = profile["keyRestrictions"]["aaGuids"]
        .as_array()
        .expect("allow list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    allowed.sort();
    assert_eq!(allowed, vec![YUBIKEY, ICLOUD]);
    let event = app
        .audit()
        .await
        .into_iter()
        .rfind(|e| e.activity == Activity::AuthenticationMethodsPolicyUpdate)
        .expect("a policy update event");
    assert_eq!(event.initiated_by.name(), "policyadmin@contoso.com");
    let changes = &event.target_resources[0].modified_properties;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].display_name, "Fido2.passkeyProfiles");
    let after = changes[0].new_value.as_deref().unwrap_or_default();
    assert!(
        after.contains(YUBIKEY) && after.contains(ICLOUD) && !after.contains(ZERO),
        "the diff carries the allow list: {after}"
    );
    assert_eq!(app.audit().await.len(), events + 1, "exactly one event for the change");

    // Once applied, the readiness report sees the help desk's passkey refused.
    let readiness = admin
        .get("/v1/reports/readiness?strength=phishing-resistant")
        .await
        .expect(200);
    let helpdesk = readiness["value"]
        .as_array()
        .expect("locked out")
        .iter()
        .find(|l| l["user"]["userPrincipalName"] == "helpdesk@contoso.com")
        .expect("the help desk would be locked out");
    assert_eq!(helpdesk["reason"], "passkeysRefused");
}

pub(crate) async fn readiness_lists_who_would_be_locked_out_and_why(app: TestApp) {
    register(&app, "alice@contoso.com", &mut device_bound(YUBIKEY))
        .await
        .expect(201);
    register(&app, "bob@contoso.com", &mut synced()).await.expect(201);
    // Synced passkeys stop being accepted: Bob's is refused at sign-in.
    let mut document = base_policy();
    document["passkeyProfiles"][0]["passkeyTypes"] = json!("deviceBound");
    app.apply_policy(&document).await;

    let reader = app.signed_in_with_pass("reader@contoso.com", false).await;
    let report = reader
        .get("/v1/reports/readiness?strength=phishing-resistant&group=Pilot")
        .await
        .expect(200);
    assert_eq!(report["strength"]["displayName"], "Phishing resistant MFA");
    assert_eq!(report["group"]["id"], PILOT);
    assert_eq!(
        (
            report["users"].as_i64(),
            report["ready"].as_i64(),
            report["lockedOut"].as_i64()
        ),
        (Some(7), Some(1), Some(6)),
        "only Alice is ready: {report:#}"
    );
    let locked: Vec<&Value> = report["value"].as_array().expect("locked out").iter().collect();
    assert!(
        locked
            .iter()
            .all(|l| l["user"]["userPrincipalName"] != "alice@contoso.com"),
        "Alice's passkey is accepted"
    );
    let find = |upn: &str| {
        *locked
            .iter()
            .find(|l| l["user"]["userPrincipalName"] == upn)
            .unwrap_or_else(|| panic!("{upn} in {report:#}"))
    };
    let bob = find("bob@contoso.com");
    assert_eq!(bob["reason"], "passkeysRefused");
    assert_eq!(bob["refusedPasskeys"][0]["passkey"]["aaguid"], ICLOUD);
    assert_eq!(bob["canRegisterPasskey"], true);
    assert!(!bob["fix"].as_str().unwrap_or_default().is_empty());
    let erin = find("erin@contoso.com");
    assert_eq!(erin["reason"], "noPasskey");
    assert_eq!(erin["canRegisterPasskey"], false, "Contractors are excluded");
    assert_eq!(
        report["byReason"],
        json!([{"reason": "passkeysRefused", "users": 1}, {"reason": "noPasskey", "users": 5}])
    );

    // The Multifactor strength is satisfied by a password with an authenticator app too, so the report changes.
    let mfa = reader.get("/v1/reports/readiness?strength=mfa").await.expect(200);
    assert_eq!(mfa["users"], 9);
    assert!(
        mfa["value"]
            .as_array()
            .expect("locked out")
            .iter()
            .all(|l| l["reason"] != "noPasskey"),
        "a strength a passkey is not the only way to satisfy gives another reason: {mfa:#}"
    );

    reader
        .get("/v1/reports/readiness?strength=telepathy")
        .await
        .refused(400, "invalid_request");
    reader
        .get("/v1/reports/readiness?group=Nobody")
        .await
        .refused(404, "not_found");
}

pub(crate) async fn what_if_judges_a_proposal_against_todays_passkeys_and_changes_nothing(app: TestApp) {
    register(&app, "alice@contoso.com", &mut device_bound(YUBIKEY))
        .await
        .expect(201);
    register(&app, "bob@contoso.com", &mut synced()).await.expect(201);
    let admin = app.signed_in_with_pass("policyadmin@contoso.com", false).await;
    let reader = app.signed_in_with_pass("reader@contoso.com", false).await;
    let version = policy_version(&admin).await;
    let events = app.audit().await.len();

    // Synced passkeys refused, Admins no longer included, Contractors no longer excluded.
    let mut proposal = base_policy();
    proposal["passkeyProfiles"][0]["passkeyTypes"] = json!("deviceBound");
    proposal["includeTargets"] = json!([{"targetType": "group", "id": PILOT, "allowedPasskeyProfiles": ["any"]}]);
    proposal["excludeTargets"] = json!([]);
    // The shape the admin console's policy editor sends.
    let body = json!({"authenticationMethodConfigurations": [proposal]});
    let what_if = admin
        .post("/v1/policies/authenticationMethodsPolicy/whatIf", body)
        .await
        .expect(200);
    assert_eq!(what_if["policyVersion"].as_i64(), Some(version));
    let stop = &what_if["credentialsStopWorking"];
    assert_eq!(upns(stop), vec!["bob@contoso.com"]);
    assert_eq!(stop[0]["passkey"]["aaguid"], ICLOUD);
    assert!(stop[0]["code"].is_string() && stop[0]["reason"].is_string(), "{stop:#}");
    assert_eq!(upns(&what_if["usersLoseRegistration"]), vec!["carol@contoso.com"]);
    assert_eq!(upns(&what_if["usersGainRegistration"]), vec!["erin@contoso.com"]);
    let summary = &what_if["summary"];
    assert_eq!(summary["users"], 9);
    assert_eq!(summary["passkeys"], 2);
    assert_eq!(summary["credentialsStopWorking"], 1);
    assert_eq!(summary["usersLeftWithoutPasskey"], 1);
    assert!(
        !what_if["changes"].as_array().expect("changes").is_empty(),
        "the diff of the proposal"
    );

    // The policy in force is unchanged and nothing is audited.
    assert_eq!(policy_version(&admin).await, version);
    assert_eq!(app.audit().await.len(), events);

    // A reader may preview too; the policy in force as a proposal changes nothing.
    let same = reader
        .post("/v1/policies/authenticationMethodsPolicy/whatIf", base_policy())
        .await
        .expect(200);
    assert_eq!(same["summary"]["credentialsStopWorking"], 0);
    assert_eq!(same["changes"], json!([]));

    // An invalid document is refused with every problem listed, as applying it would be.
    let mut invalid = base_policy();
    invalid["state"] = json!("sometimes");
    invalid["passkeyProfiles"][0]["passkeyTypes"] = json!("telepathic");
    let refused = admin
        .post("/v1/policies/authenticationMethodsPolicy/whatIf", invalid)
        .await
        .refused(400, "invalid_policy");
    let problems = refused["error"]["details"]["problems"].as_array().expect("problems");
    assert!(problems.len() >= 2, "every problem is listed: {refused:#}");
    assert_eq!(policy_version(&admin).await, version);
    assert_eq!(app.audit().await.len(), events);
}
