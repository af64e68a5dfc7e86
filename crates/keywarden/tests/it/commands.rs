//! Each command's contract: what it prints, what it writes, and its exit code.

use serde_json::Value;

use crate::support::{Cli, shared};

const USERS: &str = "userPrincipalName,displayName,userType,roles,password\n\
alice@contoso.com,Alice,member,,alice-password\n\
bob@contoso.com,Bob,member,global-reader,bob-password\n";

#[test]
fn a_bad_row_names_its_line_and_nothing_is_imported() {
    let cli = Cli::new();
    let file = cli.write(
        "users.csv",
        "userPrincipalName,displayName,userType,roles\n\
         alice@contoso.com,Alice,member,\n\
         not-an-upn,Broken,member,\n\
         carol@contoso.com,Carol,visitor,\n\
         dave@contoso.com,Dave,member,root\n\
         ALICE@contoso.com,Alice again,member,\n\
         eve@contoso.com,Eve\u{0},member,\n",
    );
    let run = cli.run(&["users", "import", file.to_str().expect("path")]).exit(3);
    for line in ["line 3", "line 4", "line 5", "line 6", "line 7: displayName"] {
        assert!(run.stderr.contains(line), "{line} not named in: {}", run.stderr);
    }
    assert!(
        !run.stderr.contains("line 2:"),
        "the good row is not blamed: {}",
        run.stderr
    );
    let listed = cli.run(&["users", "list", "--format", "json"]).ok();
    let users: Value = serde_json::from_str(&listed.stdout).expect("json");
    assert_eq!(users.as_array().map(Vec::len), Some(0), "nothing half-imported");
}

#[test]
fn an_id_names_one_user() {
    let cli = Cli::new();
    let first = cli.write(
        "users.csv",
        "id,userPrincipalName,displayName\n\
         11111111-0000-4000-8000-000000000001,alice@contoso.com,Alice\n",
    );
    cli.run(&["users", "import", first.to_str().expect("path")]).ok();
    let clash = cli.write(
        "clash.csv",
        "id,userPrincipalName,displayName\n\
         11111111-0000-4000-8000-000000000001,alias@contoso.com,Alias\n\
         11111111-0000-4000-8000-000000000002,alice@contoso.com,Alice\n\
         11111111-0000-4000-8000-000000000003,carol@contoso.com,Carol\n\
         11111111-0000-4000-8000-000000000003,dave@contoso.com,Dave\n",
    );
    let run = cli.run(&["users", "import", clash.to_str().expect("path")]).exit(3);
    for expected in [
        "line 2: id 11111111-0000-4000-8000-000000000001 belongs to alice@contoso.com",
        "line 3: alice@contoso.com has the id 11111111-0000-4000-8000-000000000001",
        "line 5: id 11111111-0000-4000-8000-000000000003 is also on line 4",
    ] {
        assert!(run.stderr.contains(expected), "{expected} not in: {}", run.stderr);
    }
    let listed: Value =
        serde_json::from_str(&cli.run(&["users", "list", "--format", "json"]).ok().stdout).expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "nothing imported: {listed}");

    // Groups the same way: a group is found by its name, and a given id must be that group's.
    let groups = cli.write(
        "groups.csv",
        "id,displayName,members
22222222-0000-4000-8000-000000000001,Pilot,alice@contoso.com
",
    );
    cli.run(&["groups", "import", groups.to_str().expect("path")]).ok();
    let clash = cli.write(
        "groups-clash.csv",
        "id,displayName,members
         22222222-0000-4000-8000-000000000001,Ring 2,
         22222222-0000-4000-8000-000000000002,Pilot,
         22222222-0000-4000-8000-000000000003,Ring 3,
         22222222-0000-4000-8000-000000000003,Ring 4,
         22222222-0000-4000-8000-000000000003,ring 3,alice@contoso.com
",
    );
    let run = cli.run(&["groups", "import", clash.to_str().expect("path")]).exit(3);
    for expected in [
        "line 2: id 22222222-0000-4000-8000-000000000001 belongs to group \"Pilot\"",
        "line 3: group \"Pilot\" has the id 22222222-0000-4000-8000-000000000001",
        "line 5: id 22222222-0000-4000-8000-000000000003 is also on line 4, for another group",
    ] {
        assert!(run.stderr.contains(expected), "{expected} not in: {}", run.stderr);
    }
    assert!(
        !run.stderr.contains("line 6"),
        "the same group twice is fine: {}",
        run.stderr
    );
    let listed: Value =
        serde_json::from_str(&cli.run(&["groups", "list", "--format", "json"]).ok().stdout).expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "nothing imported: {listed}");
}

#[test]
fn import_then_list_then_update() {
    let cli = Cli::new();
    let file = cli.write("users.csv", USERS);
    let run = cli.run(&["users", "import", file.to_str().expect("path")]).ok();
    assert!(run.stdout.contains("2 created, 0 updated"), "{}", run.stdout);
    let table = cli.run(&["users", "list"]).ok().stdout;
    assert!(table.starts_with("UserPrincipalName"), "{table}");
    assert!(
        table.contains("bob@contoso.com") && table.contains("global-reader"),
        "{table}"
    );
    let json = cli.write(
        "users.json",
        r#"[{"userPrincipalName": "bob@contoso.com", "displayName": "Robert"}]"#,
    );
    cli.run(&["users", "import", json.to_str().expect("path")]).ok();
    let csv = cli.run(&["users", "list", "--format", "csv"]).ok().stdout;
    assert!(csv.contains("bob@contoso.com,Robert,member"), "{csv}");
    let groups = cli.write(
        "groups.csv",
        "displayName,members\nPilot,alice@contoso.com;bob@contoso.com\n",
    );
    cli.run(&["groups", "import", groups.to_str().expect("path")]).ok();
    let groups = cli.run(&["groups", "list"]).ok().stdout;
    assert!(groups.contains("Pilot") && groups.contains('2'), "{groups}");
    cli.run(&["groups", "remove-member", "Pilot", "bob@contoso.com"]).ok();
    let json: Value =
        serde_json::from_str(&cli.run(&["groups", "list", "--format", "json"]).ok().stdout).expect("json");
    assert_eq!(json[0]["members"], 1, "{json}");
    let removal = cli
        .run(&[
            "audit",
            "list",
            "--activity",
            "Remove member from group",
            "--target",
            "bob@contoso.com",
        ])
        .ok()
        .stdout;
    assert!(removal.contains("Remove member from group"), "{removal}");
    let run = cli
        .run(&["groups", "remove-member", "Pilot", "bob@contoso.com"])
        .exit(3);
    assert!(run.stderr.contains("not a member"), "{}", run.stderr);
    let missing = cli.write("missing.csv", "displayName,members\nRing 2,nobody@contoso.com\n");
    let run = cli.run(&["groups", "import", missing.to_str().expect("path")]).exit(3);
    assert!(
        run.stderr.contains("nobody@contoso.com does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn policy_show_apply_and_refusal() {
    let cli = Cli::new();
    let shown: Value = serde_json::from_str(&cli.run(&["policy", "show"]).ok().stdout).expect("json");
    assert_eq!(shown["policyVersion"], 1);
    assert_eq!(
        shown["authenticationMethodConfigurations"][0]["state"], "disabled",
        "passkeys start disabled"
    );
    let enable = cli.write("enable.json", r#"{"id": "Fido2", "state": "enabled"}"#);
    let run = cli.run(&["policy", "apply", enable.to_str().expect("path")]).ok();
    assert!(run.stdout.contains("version 2"), "{}", run.stdout);
    let run = cli.run(&["policy", "apply", enable.to_str().expect("path")]).ok();
    assert!(run.stdout.contains("no change"), "{}", run.stdout);
    let bad = cli.write(
        "bad.json",
        r#"{"id": "Fido2", "state": "maybe", "isSelfServiceRegistrationAllowed": 3}"#,
    );
    let run = cli.run(&["policy", "apply", bad.to_str().expect("path")]).exit(3);
    assert!(run.stderr.contains("code: invalid_policy"), "{}", run.stderr);
    assert!(
        run.stderr.contains("Fido2.state") && run.stderr.contains("Fido2.isSelfServiceRegistrationAllowed"),
        "{}",
        run.stderr
    );
    let audit = cli
        .run(&[
            "audit",
            "list",
            "--activity",
            "Authentication Methods Policy Update",
            "--format",
            "json",
        ])
        .ok();
    let events: Value = serde_json::from_str(&audit.stdout).expect("json");
    let events = events["value"].as_array().expect("events");
    assert_eq!(events.len(), 2, "the default policy and one change");
    assert_eq!(
        events[0]["initiatedBy"]["app"]["displayName"], "keywarden CLI (cli-test)",
        "the local operator is audited"
    );
}

#[test]
fn pass_is_printed_once() {
    let cli = Cli::new();
    let file = cli.write("users.csv", USERS);
    cli.run(&["users", "import", file.to_str().expect("path")]).ok();
    let issued = cli
        .run(&[
            "tap",
            "issue",
            "alice@contoso.com",
            "--once",
            "--lifetime",
            "120",
            "--format",
            "json",
        ])
        .ok();
    let pass: Value = serde_json::from_str(&issued.stdout).expect("json");
    let code = pass["temporaryAccessPass"].as_str().expect("code printed").to_string();
    assert_eq!(
        (pass["isUsableOnce"].as_bool(), pass["lifetimeInMinutes"].as_u64()),
        (Some(true), Some(120))
    );
    let shown = cli.run(&["tap", "show", "alice@contoso.com"]).ok();
    assert!(
        !shown.stdout.contains(&code) && shown.stdout.contains("\"temporaryAccessPass\": null"),
        "{}",
        shown.stdout
    );
    let audit = cli.run(&["audit", "list", "--target", "alice@contoso.com"]).ok();
    assert!(!audit.stdout.contains(&code), "never in the audit log");
    let refused = cli
        .run(&["tap", "issue", "alice@contoso.com", "--lifetime", "5"])
        .exit(3);
    assert!(
        refused.stderr.contains("access_pass_policy_violation"),
        "{}",
        refused.stderr
    );
    cli.run(&["tap", "revoke", "alice@contoso.com"]).ok();
    cli.run(&["tap", "revoke", "alice@contoso.com"]).exit(3);
    cli.run(&["tap", "issue", "nobody@contoso.com"]).exit(3);
}

#[test]
fn tokens_are_created_listed_and_revoked() {
    let cli = Cli::new();
    let created = cli
        .run(&["token", "create", "--name", "siem", "--role", "global-reader"])
        .ok();
    let secret = created.stdout.lines().last().expect("secret line");
    assert!(secret.starts_with("kwt_"), "{}", created.stdout);
    let listed = cli.run(&["token", "list"]).ok().stdout;
    assert!(
        listed.contains("siem") && listed.contains("global-reader") && !listed.contains(secret),
        "{listed}"
    );
    let id = listed
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .expect("token id");
    cli.run(&["token", "revoke", id]).ok();
    cli.run(&["token", "create", "--name", "x", "--role", "root"]).exit(2);
}

#[test]
fn configuration_errors_name_the_setting() {
    let cli = Cli::new();
    let run = cli
        .run_with(&["policy", "show"], &[("KEYWARDEN_RP_ID", "192.168.1.1")])
        .exit(2);
    assert!(run.stderr.contains("rp_id"), "{}", run.stderr);
    let config = cli.write(
        "keywarden.toml",
        "listen = \"127.0.0.1:8080\"\nunknown_setting = true\n",
    );
    let run = cli
        .run(&["--config", config.to_str().expect("path"), "policy", "show"])
        .exit(2);
    assert!(run.stderr.contains("unknown_setting"), "{}", run.stderr);
}

#[test]
fn attestation_verify_reports_facts_and_exit_codes() {
    let cli = Cli::new();
    let vectors = shared().join("vectors/registration");
    let mds = shared().join("data/aaguid/mds3_payload_no291.json");
    let vector = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(vectors.join(format!("{name}.json"))).expect("vector"))
            .expect("json")
    };
    let args = |v: &Value, file: &str| -> Vec<String> {
        let origin = v["origin"]
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| v["origin"][0].as_str().expect("origin").to_string());
        vec![
            "attestation".into(),
            "verify".into(),
            file.into(),
            "--rp-id".into(),
            v["rp_id"].as_str().expect("rp id").into(),
            "--origin".into(),
            origin,
            "--challenge".into(),
            v["challenge_b64url"].as_str().expect("challenge").into(),
        ]
    };
    // A YubiKey's packed attestation, trusted through the FIDO metadata.
    let yubikey = vector("pywebauthn_packed_yubico_sk_nfc_firefox");
    let file = vectors.join("pywebauthn_packed_yubico_sk_nfc_firefox.json");
    let mut run_args = args(&yubikey, file.to_str().expect("path"));
    run_args.extend(["--mds".into(), mds.to_str().expect("path").into()]);
    let refs: Vec<&str> = run_args.iter().map(String::as_str).collect();
    let out: Value = serde_json::from_str(&cli.run(&refs).ok().stdout).expect("json");
    assert_eq!(out["verified"], true);
    assert_eq!(out["format"], "packed");
    assert_eq!(out["attestation"]["level"], "attested");
    assert!(out["model"].as_str().is_some_and(|m| m.contains("Yubico")), "{out}");
    // A TPM statement from Windows Hello, checked at the instant the vector was captured.
    let tpm = vector("pywebauthn_tpm_dell_xps13_nuvoton");
    let file = vectors.join("pywebauthn_tpm_dell_xps13_nuvoton.json");
    let mut run_args = args(&tpm, file.to_str().expect("path"));
    let at = tpm["decoded"]["x5c_validity_intersection"]["not_before"]
        .as_str()
        .unwrap_or("2020-01-01T00:00:00Z")
        .to_string();
    run_args.extend(["--at".into(), at]);
    let refs: Vec<&str> = run_args.iter().map(String::as_str).collect();
    let out: Value = serde_json::from_str(&cli.run(&refs).ok().stdout).expect("json");
    assert_eq!(
        (out["format"].as_str(), out["attestation"]["sha1Signature"].as_bool()),
        (Some("tpm"), Some(true))
    );
    // A tampered response: exit 1 with its code.
    let reject = vector("go_reject_rawid_not_attested_credential_id");
    let file = vectors.join("go_reject_rawid_not_attested_credential_id.json");
    let run_args = args(&reject, file.to_str().expect("path"));
    let refs: Vec<&str> = run_args.iter().map(String::as_str).collect();
    let out: Value = serde_json::from_str(&cli.run(&refs).exit(1).stdout).expect("json");
    assert_eq!(
        (out["verified"].as_bool(), out["code"].as_str()),
        (Some(false), Some("credential_id_mismatch"))
    );
    // A bad instant is a usage error.
    let mut run_args = args(
        &yubikey,
        vectors
            .join("pywebauthn_packed_yubico_sk_nfc_firefox.json")
            .to_str()
            .expect("path"),
    );
    run_args.extend(["--at".into(), "yesterday".into()]);
    let refs: Vec<&str> = run_args.iter().map(String::as_str).collect();
    cli.run(&refs).exit(2);
}

#[test]
fn signed_metadata_blob_verifies_at_a_pinned_time() {
    let cli = Cli::new();
    let blob = shared().join("data/aaguid/mds3_blob_no9_2021.jwt");
    let vectors = shared().join("vectors/registration");
    let yubikey: Value = serde_json::from_str(
        &std::fs::read_to_string(vectors.join("pywebauthn_packed_yubico_sk_nfc_firefox.json")).expect("vector"),
    )
    .expect("json");
    let file = vectors.join("pywebauthn_packed_yubico_sk_nfc_firefox.json");
    let base = [
        "attestation",
        "verify",
        file.to_str().expect("path"),
        "--rp-id",
        yubikey["rp_id"].as_str().expect("rp"),
        "--origin",
        yubikey["origin"].as_str().expect("origin"),
        "--challenge",
        yubikey["challenge_b64url"].as_str().expect("challenge"),
        "--mds",
        blob.to_str().expect("path"),
    ];
    let mut pinned = base.to_vec();
    pinned.extend(["--at", "2021-11-15T00:00:00Z"]);
    cli.run(&pinned).ok();
    // Today the BLOB's signing certificate has expired: the metadata is refused, a usage error naming it.
    let run = cli.run(&base).exit(2);
    assert!(run.stderr.contains("--mds"), "{}", run.stderr);
}

#[test]
fn aaguid_lookup_by_id_and_by_name() {
    let cli = Cli::new();
    let mds = shared().join("data/aaguid/mds3_payload_no291.json");
    let names = shared().join("data/aaguid/aaguid.json");
    let run = cli
        .run(&[
            "aaguid",
            "lookup",
            "ee882879-721c-4913-9775-3dfcce97072a",
            "--mds",
            mds.to_str().expect("path"),
            "--format",
            "json",
        ])
        .ok();
    let found: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(found[0]["source"], "metadata");
    assert!(
        found[0]["name"].as_str().is_some_and(|n| n.contains("YubiKey")),
        "{found}"
    );
    assert!(found[0]["certificationLevel"].is_string(), "{found}");
    assert!(
        found[0]["groups"]
            .as_array()
            .is_some_and(|g| g.iter().any(|x| x == "fidoCertified")),
        "{found}"
    );
    let run = cli
        .run(&["aaguid", "lookup", "iCloud", "--names", names.to_str().expect("path")])
        .ok();
    assert!(
        run.stdout.contains("dd4ec289-e01d-41c9-bb89-70fa845d4bf2"),
        "{}",
        run.stdout
    );
    cli.run(&[
        "aaguid",
        "lookup",
        "no such model",
        "--names",
        names.to_str().expect("path"),
    ])
    .exit(3);
    cli.run(&["aaguid", "lookup", "iCloud"]).exit(2);
}

/// `keywarden openapi` prints the document the server serves, and `--output` writes the same bytes: the command the
/// repository's `openapi.json` is refreshed with.
#[test]
fn openapi_prints_and_writes_the_served_document() {
    let cli = Cli::new();
    let printed = cli.run(&["openapi"]).ok().stdout;
    assert_eq!(printed, keywarden_server::routes::openapi_json());
    let document: serde_json::Value = serde_json::from_str(&printed).expect("JSON");
    assert_eq!(document["openapi"], "3.1.0");
    assert!(document["paths"]["/v1/users/{user}/passkeyDiagnosis"]["get"].is_object());
    let path = cli.path("openapi.json");
    cli.run(&["openapi", "--output", path.to_str().expect("path")]).ok();
    assert_eq!(std::fs::read_to_string(&path).expect("written"), printed);
}
