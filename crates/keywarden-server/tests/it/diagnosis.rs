//! The help desk's diagnosis over HTTP: a user now, a failed attempt made through the real registration path
//! (with the policy of the time and today's), a browser failure matched against the knowledge base, and the
//! effective policy explained.

use keywarden_testkit::SoftAuthenticator;
use serde_json::{Value, json};

use crate::TestApp;
use crate::support::{Browser, PILOT, YUBIKEY, aaguid};

const FEITIAN: &str = "ee041bce-25e5-4cdb-8f86-897fd6418464";

async fn diagnosis(helpdesk: &Browser, upn: &str, attempt: Option<&str>) -> Value {
    let query = attempt.map(|a| format!("?attempt={a}")).unwrap_or_default();
    helpdesk
        .get(&format!("/v1/users/{upn}/passkeyDiagnosis{query}"))
        .await
        .expect(200)
}

/// Pilot may register YubiKeys only.
fn yubikeys_only(aaguids: &[&str]) -> Value {
    json!({
        "includeTargets": [{"targetType": "group", "id": PILOT, "allowedPasskeyProfiles": ["yubikeys"]}],
        "passkeyProfiles": [
            {"id": "yubikeys", "name": "YubiKeys", "passkeyTypes": "deviceBound", "attestationEnforcement": "disabled",
             "keyRestrictions": {"isEnforced": true, "enforcementType": "allow", "aaGuids": aaguids}},
        ],
        "defaultPasskeyProfile": "yubikeys",
    })
}

pub(crate) async fn a_refused_user_is_diagnosed_now_with_the_fix(app: TestApp) {
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;

    // Reader belongs to no included group: question 1 fails, the fix names the groups to add them to.
    let body = diagnosis(&helpdesk, "reader@contoso.com", None).await;
    assert_eq!(body["subject"]["kind"], "now");
    assert_eq!(
        body["firstFailure"],
        json!({"question": 1, "code": "user_not_in_policy_scope"})
    );
    let q1 = &body["questions"][0];
    assert_eq!(q1["status"], "failed");
    assert_eq!(q1["fixes"][0]["action"], "update_targeting");
    assert!(
        q1["fixes"][0]["text"].as_str().is_some_and(|t| t.contains("Pilot")),
        "{q1}"
    );
    assert_eq!(body["questions"][1]["status"], "notReached");

    // Alice is eligible but has no strong method: issue a pass.
    let body = diagnosis(&helpdesk, "alice@contoso.com", None).await;
    assert_eq!(
        body["firstFailure"],
        json!({"question": 2, "code": "no_usable_mfa_method"})
    );
    assert_eq!(body["questions"][1]["fixes"][0]["action"], "issue_access_pass");

    // With a pass she can register now, with what the profile accepts.
    app.issue_pass("alice@contoso.com", true).await;
    let body = diagnosis(&helpdesk, "alice@contoso.com", None).await;
    assert_eq!(body["firstFailure"], Value::Null, "{body}");
    assert_eq!(
        body["questions"][1]["evidence"]["usableMethods"],
        json!(["temporaryAccessPass"])
    );
    assert_eq!(body["questions"][2]["status"], "unknown");
    assert_eq!(body["profiles"][0]["id"], "any");
}

pub(crate) async fn a_failed_attempt_is_read_from_its_evidence_and_under_todays_policy(app: TestApp) {
    app.patch_fido2(yubikeys_only(&[YUBIKEY])).await;
    let version_then = app
        .store()
        .current_policy()
        .await
        .expect("query")
        .expect("policy")
        .version;
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let mut feitian = SoftAuthenticator::new(aaguid(FEITIAN)).transports(&["usb", "nfc"]);
    let refused = app
        .register(&alice, &mut feitian)
        .await
        .refused(422, "aaguid_not_allowed");
    let attempt = refused["error"]["attemptId"].as_str().expect("attempt id").to_string();

    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    let body = diagnosis(&helpdesk, "alice@contoso.com", Some("last")).await;
    assert_eq!(body["subject"]["kind"], "attempt");
    assert_eq!(body["subject"]["id"], attempt.as_str());
    assert_eq!(body["policyVersion"], version_then);
    assert_eq!(
        body["firstFailure"],
        json!({"question": 4, "code": "aaguid_not_allowed"})
    );
    let q4 = &body["questions"][3];
    assert_eq!(q4["evidence"]["authenticator"]["aaguid"], FEITIAN);
    assert_eq!(q4["failureModes"][0]["id"], "security_key_aaguid_not_allowed");
    assert_eq!(q4["fixes"][0]["action"], "add_aaguid");
    assert!(
        q4["fixes"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains(FEITIAN) && t.contains("YubiKeys"))
    );
    assert_eq!(body["today"]["changed"], false);

    // Today the AAGUID is allowed: the same attempt would pass, and so would the authenticator now.
    app.patch_fido2(yubikeys_only(&[YUBIKEY, FEITIAN])).await;
    let body = diagnosis(&helpdesk, "alice@contoso.com", Some(&attempt)).await;
    assert_eq!(body["policyVersion"], version_then, "the policy of the time");
    assert_eq!(body["firstFailure"]["code"], "aaguid_not_allowed");
    assert_eq!(body["today"]["changed"], true);
    assert_eq!(body["today"]["firstFailure"], Value::Null);
    assert_eq!(body["today"]["policyVersion"], version_then + 1);
    let now = diagnosis(&helpdesk, "alice@contoso.com", None).await;
    assert_eq!(now["questions"][3]["status"], "passed", "{now}");

    // The same registration now succeeds, and its attempt reads as such.
    let mut yubikey = SoftAuthenticator::new(aaguid(YUBIKEY));
    app.register(&alice, &mut yubikey).await.expect(201);
    let body = diagnosis(&helpdesk, "alice@contoso.com", Some("last")).await;
    assert_eq!(body["subject"]["status"], "succeeded");
    assert!(
        body["questions"]
            .as_array()
            .is_some_and(|q| q.iter().all(|s| s["status"] == "passed")),
        "{body}"
    );
}

pub(crate) async fn a_browser_failure_is_matched_against_the_knowledge_base(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let begun = alice
        .post(
            "/v1/me/authentication/fido2Methods/registration/begin",
            json!({"path": "phone"}),
        )
        .await
        .expect(200);
    alice
        .post(
            "/v1/me/authentication/fido2Methods/registration/clientError",
            json!({
                "attemptId": begun["attemptId"],
                "name": "NotAllowedError",
                "message": "The operation either timed out or was not allowed.",
                "clientCapabilities": {"hybridTransport": true},
                "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
                "path": "phone",
            }),
        )
        .await
        .expect(200);
    let reader = app.signed_in_with_pass("reader@contoso.com", false).await;
    let attempt = begun["attemptId"].as_str().expect("attempt id");
    let body = diagnosis(&reader, "alice@contoso.com", Some(attempt)).await;
    let q3 = &body["questions"][2];
    assert_eq!(q3["code"], "ceremony_not_allowed");
    assert_eq!(q3["evidence"]["clientPlatform"], "Windows");
    assert_eq!(q3["evidence"]["path"], "phone");
    assert_eq!(q3["failureModes"][0]["id"], "cross_device_bluetooth_off");
    assert_eq!(q3["failureModes"][0]["fix"]["action"], "prepare_platform");
    assert_eq!(body["questions"][3]["status"], "notReached");

    // "Now" reads question 3 from that last ceremony.
    let body = diagnosis(&reader, "alice@contoso.com", None).await;
    assert_eq!(
        body["firstFailure"],
        json!({"question": 3, "code": "ceremony_not_allowed"})
    );
}

pub(crate) async fn the_effective_policy_names_targets_and_profiles(app: TestApp) {
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    let body = helpdesk
        .get("/v1/users/alice@contoso.com/effectivePolicy")
        .await
        .expect(200);
    assert_eq!(body["eligibility"], Value::Null);
    assert_eq!(body["eligibilityEvidence"]["includedBy"][0]["name"], "Pilot");
    assert_eq!(body["profiles"][0]["name"], "Any passkey");
    assert!(
        body["statements"]
            .as_array()
            .is_some_and(|s| s.iter().any(|l| l.as_str().is_some_and(|l| l.contains("Any passkey")))),
        "{body}"
    );
    let body = helpdesk
        .get("/v1/users/erin@contoso.com/effectivePolicy")
        .await
        .expect(200);
    assert_eq!(body["eligibility"], "user_excluded");
    assert_eq!(body["eligibilityEvidence"]["excludedBy"][0]["name"], "Contractors");
    assert_eq!(body["profiles"], json!([]));
}

pub(crate) async fn diagnosis_needs_a_reading_role_and_a_known_attempt(app: TestApp) {
    let bob = app.signed_in_with_pass("bob@contoso.com", false).await;
    bob.get("/v1/users/alice@contoso.com/passkeyDiagnosis")
        .await
        .refused(403, "forbidden");
    bob.get("/v1/users/alice@contoso.com/effectivePolicy")
        .await
        .refused(403, "forbidden");
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    helpdesk
        .get("/v1/users/alice@contoso.com/passkeyDiagnosis?attempt=last")
        .await
        .refused(404, "not_found");
    helpdesk
        .get(&format!(
            "/v1/users/alice@contoso.com/passkeyDiagnosis?attempt={}",
            uuid::Uuid::new_v4()
        ))
        .await
        .refused(404, "not_found");
    helpdesk
        .get("/v1/users/alice@contoso.com/passkeyDiagnosis?attempt=yesterday")
        .await
        .refused(400, "invalid_request");
    helpdesk
        .get("/v1/users/nobody@contoso.com/passkeyDiagnosis")
        .await
        .refused(404, "not_found");

    // The tree itself, as the CLI prints it: text, for readers only.
    let tree = helpdesk
        .client
        .get(format!("{}/v1/diagnosis/decisionTree", helpdesk.base))
        .send()
        .await
        .expect("request reaches the server");
    assert_eq!(tree.status().as_u16(), 200);
    assert!(
        tree.headers()["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/plain")),
        "{:?}",
        tree.headers()
    );
    let text = tree.text().await.expect("body");
    assert_eq!(text, keywarden_present::diagnosis::tree());
    for code in ["user_excluded", "reauthentication_required", "aaguid_not_allowed"] {
        assert!(text.contains(code), "{code} missing from the tree");
    }
    bob.get("/v1/diagnosis/decisionTree").await.refused(403, "forbidden");
}
