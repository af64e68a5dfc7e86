//! Reports over data made through the real registration path: the inventory (per passkey, per model, CSV as the
//! playbook writes it), users without a phishing-resistant method, the findings, and the audit export that the
//! playbook's KQL query reads.

use keywarden_domain::access_pass::IssueRequest;
use keywarden_domain::metadata::Status;
use keywarden_server::auth::Actor;
use keywarden_server::ops::access_pass;
use keywarden_testkit::{Attestation, SoftAuthenticator};
use serde_json::{Value, json};
use time::Duration;

use crate::TestApp;
use crate::support::{Browser, ICLOUD, YUBIKEY, aaguid, shared_ca, yubikey_catalog};

/// A raw GET: status, headers and body text (reports are not always JSON).
async fn fetch(browser: &Browser, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = browser
        .client
        .get(format!("{}{path}", browser.base))
        .send()
        .await
        .expect("request reaches the server");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.expect("body"))
}

/// An administrator registers a passkey for `upn` (Graph's provisioning on behalf).
async fn register_on_behalf(app: &TestApp, admin: &Browser, upn: &str, key: &mut SoftAuthenticator) -> Value {
    let begun = admin
        .post(
            &format!("/v1/users/{upn}/authentication/fido2Methods/creationOptions"),
            json!({"path": "securityKey"}),
        )
        .await
        .expect(200);
    let credential = key
        .register(&begun["publicKey"], &app.origin)
        .expect("authenticator answers");
    admin
        .post(
            &format!("/v1/users/{upn}/authentication/fido2Methods"),
            json!({"attemptId": begun["attemptId"], "displayName": "Issued key", "publicKeyCredential": credential}),
        )
        .await
        .expect(201)
}

pub(crate) async fn inventory_lists_passkeys_in_the_playbooks_columns(app: TestApp) {
    let ca = shared_ca();
    app.state.set_catalog(yubikey_catalog(&ca, &[]));
    let carol = app.signed_in_with_pass("carol@contoso.com", false).await;
    let mut attested = SoftAuthenticator::new(aaguid(YUBIKEY)).attestation(Attestation::Packed(ca.clone()));
    let created = app.register(&carol, &mut attested).await.expect(201);
    let bob = app.signed_in_with_pass("bob@contoso.com", false).await;
    let mut synced = SoftAuthenticator::new(aaguid(ICLOUD)).backup(true, true);
    app.register(&bob, &mut synced).await.expect(201);
    let (_, answer) = app.sign_in_with_passkey(&mut synced).await;
    answer.expect(200);

    let reader = app.signed_in_with_pass("reader@contoso.com", false).await;
    let (status, headers, text) = fetch(&reader, "/v1/reports/passkeyInventory").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    let columns = [
        "UserPrincipalName",
        "DisplayName",
        "MethodDisplayName",
        "AAGUID",
        "Model",
        "CreatedDateTime",
        "AttestationLevel",
        "AttestationCertificateThumbprint",
        "PasskeyType",
        "LastUsedDateTime",
        "AdmittingProfile",
        "MetadataStatus",
    ];
    let first_row = text.lines().nth(1).expect("a row on the second line");
    let positions: Vec<usize> = columns
        .iter()
        .map(|c| first_row.find(&format!("\"{c}\":")).expect("column present"))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "the playbook's columns, in order, then keywarden's: {first_row}"
    );
    let inventory: Value = serde_json::from_str(&text).expect("a JSON collection");
    let rows = inventory["value"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].as_object().map(|o| o.len()), Some(12));
    assert_eq!(rows[0]["UserPrincipalName"], "bob@contoso.com", "ordered by UPN");
    assert_eq!(rows[0]["PasskeyType"], "synced");
    assert!(rows[0]["LastUsedDateTime"].is_string(), "the sign-in is recorded");
    assert_eq!(rows[0]["MetadataStatus"], "NOT_IN_METADATA");
    let carol_row = &rows[1];
    assert_eq!(carol_row["DisplayName"], "Carol");
    assert_eq!(carol_row["MethodDisplayName"], "My key");
    assert_eq!(carol_row["AAGUID"], YUBIKEY);
    assert_eq!(carol_row["Model"], "YubiKey 5 (test)");
    assert_eq!(carol_row["AttestationLevel"], "attested");
    assert_eq!(
        carol_row["AttestationCertificateThumbprint"], created["attestationCertificates"][0],
        "the leaf certificate's thumbprint"
    );
    assert_eq!(carol_row["AdmittingProfile"], "attested");
    assert!(carol_row["LastUsedDateTime"].is_null());

    let (status, headers, csv) = fetch(&reader, "/v1/reports/passkeyInventory?format=csv").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        headers["content-disposition"]
            .to_str()
            .is_ok_and(|d| d.contains("passkey-inventory.csv"))
    );
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "\"UserPrincipalName\",\"DisplayName\",\"MethodDisplayName\",\"AAGUID\",\"Model\",\"CreatedDateTime\",\
         \"AttestationLevel\",\"AttestationCertificateThumbprint\",\"PasskeyType\",\"LastUsedDateTime\",\
         \"AdmittingProfile\",\"MetadataStatus\"",
        "Export-Csv's header: every name quoted"
    );
    assert_eq!(lines.len(), 4, "header, two rows, and the final CRLF: {csv:?}");
    assert!(
        lines[2].starts_with("\"carol@contoso.com\",\"Carol\",\"My key\""),
        "{}",
        lines[2]
    );

    let models = reader.get("/v1/reports/passkeyInventory?by=model").await.expect(200);
    let models = models["value"].as_array().expect("models");
    assert_eq!(models.len(), 2);
    let yubikey = models.iter().find(|m| m["aaguid"] == YUBIKEY).expect("YubiKey row");
    assert_eq!(
        (&yubikey["credentials"], &yubikey["attested"], &yubikey["deviceBound"]),
        (&json!(1), &json!(1), &json!(1))
    );
    let allowed: Vec<&str> = yubikey["allowedBy"]
        .as_array()
        .expect("profiles")
        .iter()
        .filter_map(|a| a["profileId"].as_str())
        .collect();
    assert_eq!(allowed, vec!["any", "attested"]);
    let icloud = models.iter().find(|m| m["aaguid"] == ICLOUD).expect("iCloud row");
    let allowed: Vec<&str> = icloud["allowedBy"]
        .as_array()
        .expect("profiles")
        .iter()
        .filter_map(|a| a["profileId"].as_str())
        .collect();
    assert_eq!(
        allowed,
        vec!["any"],
        "the attested profile takes device-bound passkeys only"
    );

    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    alice
        .get("/v1/reports/passkeyInventory")
        .await
        .refused(403, "forbidden");
    app.browser()
        .get("/v1/reports/findings")
        .await
        .refused(401, "unauthenticated");
    reader
        .get("/v1/reports/passkeyInventory?format=xml")
        .await
        .refused(400, "invalid_request");
}

pub(crate) async fn users_without_a_passkey_are_listed_with_their_methods(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let mut key = SoftAuthenticator::new(aaguid(YUBIKEY));
    app.register(&alice, &mut key).await.expect(201);
    let bob = app
        .store()
        .find_user("bob@contoso.com")
        .await
        .expect("query")
        .expect("bob");
    keywarden_server::ops::sign_in::enroll_totp(
        &app.state,
        &app.ctx(),
        keywarden_domain::audit::Initiator::LocalOperator { os_user: "test".into() },
        &bob,
        keywarden_domain::audit::Activity::AdminRegisteredSecurityInfo,
    )
    .await
    .expect("totp");
    let reader = app.signed_in_with_pass("reader@contoso.com", false).await;
    let report = reader
        .get("/v1/reports/usersWithoutPhishingResistantMethod")
        .await
        .expect(200);
    let users = report["value"].as_array().expect("users");
    let upns: Vec<&str> = users.iter().filter_map(|u| u["userPrincipalName"].as_str()).collect();
    assert!(!upns.contains(&"alice@contoso.com"), "alice holds a passkey");
    let bob_row = users
        .iter()
        .find(|u| u["userPrincipalName"] == "bob@contoso.com")
        .expect("bob listed");
    assert_eq!(bob_row["methodsRegistered"], json!(["softwareOath", "password"]));
    assert_eq!(bob_row["isMfaRegistered"], true);
    let reader_row = users
        .iter()
        .find(|u| u["userPrincipalName"] == "reader@contoso.com")
        .expect("reader listed");
    assert_eq!(
        reader_row["methodsRegistered"],
        json!(["temporaryAccessPass", "password"])
    );
    let (status, _, csv) = fetch(&reader, "/v1/reports/usersWithoutPhishingResistantMethod?format=csv").await;
    assert_eq!(status, 200);
    assert!(
        csv.starts_with("\"UserPrincipalName\",\"UserDisplayName\",\"UserType\""),
        "{csv}"
    );
    assert!(csv.contains("\"bob@contoso.com\",\"Bob\",\"member\",\"true\",\"softwareOath;password\",\"true\""));
}

fn of_kind<'v>(findings: &'v [Value], kind: &str) -> Vec<&'v Value> {
    findings.iter().filter(|f| f["kind"] == kind).collect()
}

fn upns(finding: &Value) -> Vec<&str> {
    finding["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["userPrincipalName"].as_str())
        .collect()
}

pub(crate) async fn findings_cover_the_patterns_to_watch(app: TestApp) {
    // Bulk: the help desk registers four keys on behalf of users within minutes.
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    for upn in [
        "alice@contoso.com",
        "bob@contoso.com",
        "alice@contoso.com",
        "bob@contoso.com",
    ] {
        let mut issued = SoftAuthenticator::new(aaguid(YUBIKEY));
        register_on_behalf(&app, &helpdesk, upn, &mut issued).await;
    }
    // A revoked model: Alice's YubiKey is registered, then the metadata reports the model revoked.
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let mut yubikey = SoftAuthenticator::new(aaguid(YUBIKEY)).counter_start(50);
    let alice_key = app.register(&alice, &mut yubikey).await.expect(201);
    // A counter regression on that key.
    let (_, answer) = app.sign_in_with_passkey(&mut yubikey).await;
    answer.expect(200);
    let credential = yubikey.credential_ids().remove(0);
    yubikey.set_counter(&credential, 10);
    let (_, answer) = app.sign_in_with_passkey(&mut yubikey).await;
    answer.refused(401, "sign_count_regressed");
    // A backup-state flip: Bob's passkey was not backed up at registration and is at a later sign-in.
    let bob = app.signed_in_with_pass("bob@contoso.com", false).await;
    let mut phone = SoftAuthenticator::new(aaguid(ICLOUD)).backup(true, false);
    let bob_key = app.register(&bob, &mut phone).await.expect(201);
    let credential = phone.credential_ids().remove(0);
    phone.set_backup_state(&credential, true);
    let (_, answer) = app.sign_in_with_passkey(&mut phone).await;
    answer.expect(200);
    // Passes: a one-time pass that will expire unused, and a long multi-use one.
    app.issue_pass("erin@contoso.com", true).await;
    let policyadmin = app
        .store()
        .find_user("policyadmin@contoso.com")
        .await
        .expect("query")
        .expect("user");
    access_pass::issue(
        &app.state,
        &app.ctx(),
        &Actor::LocalOperator { os_user: "test".into() },
        &policyadmin,
        &IssueRequest {
            lifetime_in_minutes: Some(480),
            is_usable_once: Some(false),
            start_date_time: None,
        },
    )
    .await
    .expect("long pass");
    // Today: Pilot's profile takes YubiKeys only, and the metadata revokes the YubiKey model.
    app.patch_fido2(json!({
        "passkeyProfiles": [
            {"id": "any", "name": "Any passkey", "passkeyTypes": "deviceBound,synced", "attestationEnforcement": "disabled",
             "keyRestrictions": {"isEnforced": true, "enforcementType": "allow", "aaGuids": [YUBIKEY]}},
            {"id": "attested", "name": "Attested device-bound", "passkeyTypes": "deviceBound", "attestationEnforcement": "registrationOnly",
             "keyRestrictions": {"isEnforced": false, "enforcementType": "allow", "aaGuids": []}},
        ],
    }))
    .await;
    app.state.set_catalog(yubikey_catalog(&shared_ca(), &[Status::Revoked]));
    app.clock().advance(Duration::hours(2));

    let reader = app.signed_in_with_pass("reader@contoso.com", false).await;
    let body = reader
        .get("/v1/reports/findings?bulkThreshold=4&bulkWindow=10m")
        .await
        .expect(200);
    assert_eq!(body["options"]["bulkThreshold"], 4);
    let findings = body["value"].as_array().expect("findings").clone();
    let severities: Vec<&str> = findings.iter().filter_map(|f| f["severity"].as_str()).collect();
    let rank = |s: &str| ["high", "medium", "low", "info"].iter().position(|r| *r == s);
    assert!(
        severities.windows(2).all(|w| rank(w[0]) <= rank(w[1])),
        "most severe first: {severities:?}"
    );

    let alerts = of_kind(&findings, "metadataAlert");
    assert_eq!(alerts.len(), 1, "{findings:#?}");
    assert_eq!(alerts[0]["severity"], "high");
    assert_eq!(alerts[0]["evidence"]["metadata"]["status"], "REVOKED");
    assert_eq!(
        alerts[0]["credentialCount"], 5,
        "Alice's own key and the four issued ones, re-checked against today's metadata"
    );

    let regressions = of_kind(&findings, "counterRegression");
    assert_eq!(regressions.len(), 1);
    assert_eq!(regressions[0]["credentials"][0]["id"], alice_key["id"]);

    let flips = of_kind(&findings, "backupStateFlipped");
    assert_eq!(flips.len(), 1);
    assert_eq!(flips[0]["credentials"][0]["id"], bob_key["id"]);
    assert_eq!(upns(flips[0]), vec!["bob@contoso.com"]);

    let not_allowed = of_kind(&findings, "aaguidNotAllowed");
    assert_eq!(not_allowed.len(), 1);
    assert_eq!(not_allowed[0]["evidence"]["aaguid"], ICLOUD);
    assert_eq!(upns(not_allowed[0]), vec!["bob@contoso.com"]);

    let bulk = of_kind(&findings, "bulkAdminRegistration");
    let by_helpdesk: Vec<&&Value> = bulk
        .iter()
        .filter(|f| f["evidence"]["initiator"] == "helpdesk@contoso.com")
        .collect();
    assert_eq!(by_helpdesk.len(), 1, "{bulk:#?}");
    assert_eq!(by_helpdesk[0]["evidence"]["registrations"], 4);
    assert_eq!(upns(by_helpdesk[0]), vec!["alice@contoso.com", "bob@contoso.com"]);
    assert_eq!(by_helpdesk[0]["credentialCount"], 4);

    let unused = of_kind(&findings, "unusedOneTimeAccessPass");
    assert_eq!(unused.len(), 1);
    assert_eq!(upns(unused[0]), vec!["erin@contoso.com"]);
    let long = of_kind(&findings, "longMultiUseAccessPass");
    assert_eq!(long.len(), 1);
    assert_eq!(upns(long[0]), vec!["policyadmin@contoso.com"]);

    let without = of_kind(&findings, "noPhishingResistantMethod");
    assert!(!without.is_empty());
    assert!(
        without
            .iter()
            .all(|f| !upns(f).contains(&"alice@contoso.com") && !upns(f).contains(&"guest@fabrikam.com")),
        "passkey holders and guests are not listed"
    );
    assert!(without.iter().any(|f| upns(f).contains(&"erin@contoso.com")));

    let default_threshold = reader.get("/v1/reports/findings").await.expect(200);
    assert!(
        of_kind(
            default_threshold["value"].as_array().expect("findings"),
            "bulkAdminRegistration"
        )
        .iter()
        .all(|f| f["evidence"]["initiator"] != "helpdesk@contoso.com"),
        "four registrations are below the default threshold of ten"
    );
    reader
        .get("/v1/reports/findings?bulkWindow=soon")
        .await
        .refused(400, "invalid_request");
}

/// Splits text into KQL terms (runs of letters and digits), lower-cased, as `has` compares them.
fn terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The playbook's KQL query over exported records, step by step, with `operation` as its OperationName filter.
fn playbook_query(records: &[Value], operation: impl Fn(&str) -> bool, now: time::OffsetDateTime) -> Vec<Value> {
    use time::format_description::well_known::Rfc3339;
    let mut rows: Vec<Value> = records
        .iter()
        // | where TimeGenerated > ago(90d)
        .filter(|r| {
            r["TimeGenerated"]
                .as_str()
                .and_then(|t| time::OffsetDateTime::parse(t, &Rfc3339).ok())
                .is_some_and(|t| t > now - Duration::days(90))
        })
        // | where OperationName == "Register security info"
        .filter(|r| operation(r["OperationName"].as_str().unwrap_or_default()))
        // | extend Method = tostring(TargetResources[0].modifiedProperties[0].newValue)
        // | where Method has_any ("Passkey", "FIDO2", "Authenticator")
        .filter_map(|r| {
            let method = r["TargetResources"][0]["modifiedProperties"][0]["newValue"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let has_any = terms(&method)
                .iter()
                .any(|t| ["passkey", "fido2", "authenticator"].contains(&t.as_str()));
            // | project TimeGenerated, Initiator = tostring(InitiatedBy.user.userPrincipalName),
            //   Target = tostring(TargetResources[0].userPrincipalName), Method, Result = tostring(Result), CorrelationId
            has_any.then(|| {
                json!({
                    "TimeGenerated": r["TimeGenerated"],
                    "Initiator": r["InitiatedBy"]["user"]["userPrincipalName"].as_str().unwrap_or_default(),
                    "Target": r["TargetResources"][0]["userPrincipalName"].as_str().unwrap_or_default(),
                    "Method": method,
                    "Result": r["Result"],
                    "CorrelationId": r["CorrelationId"],
                })
            })
        })
        .collect();
    // | order by TimeGenerated desc
    rows.sort_by(|a, b| b["TimeGenerated"].as_str().cmp(&a["TimeGenerated"].as_str()));
    rows
}

pub(crate) async fn audit_export_is_entra_auditlogs_and_the_playbook_query_reads_it(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let mut own = SoftAuthenticator::new(aaguid(YUBIKEY));
    app.register(&alice, &mut own).await.expect(201);
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    let mut issued = SoftAuthenticator::new(aaguid(ICLOUD)).backup(true, true);
    register_on_behalf(&app, &helpdesk, "bob@contoso.com", &mut issued).await;

    let reader = app.signed_in_with_pass("reader@contoso.com", false).await;
    let (status, headers, text) = fetch(&reader, "/v1/auditLogs/directoryAudits/export?since=90d").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/x-ndjson");
    let records: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON record"))
        .collect();
    assert_eq!(records.len(), app.audit().await.len(), "every event, one per line");
    for column in [
        "TimeGenerated",
        "OperationName",
        "Category",
        "Result",
        "ResultReason",
        "CorrelationId",
        "InitiatedBy",
        "TargetResources",
        "AdditionalDetails",
        "LoggedByService",
        "AADOperationType",
        "Id",
    ] {
        assert!(records.iter().all(|r| r.get(column).is_some()), "{column} missing");
    }
    let exported: Vec<&str> = records.iter().filter_map(|r| r["Id"].as_str()).collect();
    let written: Vec<String> = app.audit().await.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(exported, written, "in the order they were written, oldest first");

    let now = app.clock().now();
    assert!(
        playbook_query(&records, |op| op == "Register security info", now).is_empty(),
        "the playbook's literal filter names no Entra activity, so it finds nothing, here as on Entra"
    );
    let rows = playbook_query(
        &records,
        |op| ["User registered security info", "Admin registered security info"].contains(&op),
        now,
    );
    let projected: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["Initiator"].as_str().unwrap_or_default(),
                r["Target"].as_str().unwrap_or_default(),
                r["Method"].as_str().unwrap_or_default(),
                r["Result"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        projected,
        vec![
            ("helpdesk@contoso.com", "bob@contoso.com", "Passkey (synced)", "success"),
            (
                "alice@contoso.com",
                "alice@contoso.com",
                "Passkey (device-bound)",
                "success"
            ),
        ],
        "with the activity names fixed, the rest of the query reads the export unchanged"
    );
    assert!(
        rows.iter()
            .all(|r| r["CorrelationId"].as_str().is_some_and(|c| c.len() == 36))
    );

    let (status, headers, csv) = fetch(
        &reader,
        "/v1/auditLogs/directoryAudits/export?format=csv&target=bob@contoso.com&activity=Admin%20registered%20security%20info",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(
        lines[0].starts_with("\"TimeGenerated\",\"Id\",\"OperationName\""),
        "{}",
        lines[0]
    );
    assert!(
        lines.len() >= 2,
        "the pass issued to Bob and the passkey registered for him: {csv}"
    );
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.contains("\"Admin registered security info\""))
    );
    reader
        .get("/v1/auditLogs/directoryAudits/export?format=json")
        .await
        .refused(400, "invalid_request");
    let alice_browser = app.signed_in_with_pass("alice@contoso.com", false).await;
    alice_browser
        .get("/v1/auditLogs/directoryAudits/export")
        .await
        .refused(403, "forbidden");
}
