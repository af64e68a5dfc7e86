//! The report commands: `inventory` (the playbook's CSV, per model, users without a phishing-resistant method),
//! `findings` and `audit export`, on a database where passkeys were registered through the real ceremony.

use keywarden_domain::Aaguid;
use keywarden_domain::access_pass::IssueRequest;
use keywarden_domain::metadata::Catalog;
use keywarden_server::auth::Actor;
use keywarden_server::ops::access_pass;
use keywarden_server::{AppState, Clock, Config, RequestContext};
use keywarden_store::Store;
use keywarden_testkit::SoftAuthenticator;
use serde_json::{Value, json};

use crate::support::Cli;

const USERS: &str = "userPrincipalName,displayName,userType,roles,password\n\
alice@contoso.com,Alice,member,,alice-password\n\
bob@contoso.com,Bob,member,,bob-password\n\
carol@contoso.com,Carol,member,,carol-password\n";

pub(crate) const YUBIKEY: &str = "ee882879-721c-4913-9775-3dfcce97072a";

/// Imports the users and enables passkeys for everyone (the default profile accepts any passkey).
pub(crate) fn directory(cli: &Cli) {
    let users = cli.write("users.csv", USERS);
    cli.run(&["users", "import", users.to_str().expect("path")]).ok();
    let enable = cli.write("enable.json", r#"{"id": "Fido2", "state": "enabled"}"#);
    cli.run(&["policy", "apply", enable.to_str().expect("path")]).ok();
}

/// Registers a passkey for `upn` through the real ceremony: a keywarden server on the CLI's database, a one-time
/// pass, sign-in with it, begin, a software authenticator, finish.
pub(crate) fn register_passkey(cli: &Cli, upn: &str, aaguid: &str) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let url = format!("sqlite://{}", cli.path("keywarden.db").display());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let origin = format!("http://localhost:{port}");
        let config = Config {
            database_url: url.clone(),
            origins: vec![origin.clone()],
            listen: format!("127.0.0.1:{port}"),
            ..Config::default()
        };
        let store = Store::connect(&url).await.expect("store");
        let state = AppState::new(config, store, Catalog::default(), Clock::system()).expect("state");
        let user = state.store.find_user(upn).await.expect("query").expect("user");
        let issued = access_pass::issue(
            &state,
            &RequestContext::local(state.clock.now()),
            &Actor::LocalOperator { os_user: "test".into() },
            &user,
            &IssueRequest {
                lifetime_in_minutes: Some(60),
                is_usable_once: Some(true),
                start_date_time: None,
            },
        )
        .await
        .expect("pass");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(keywarden_server::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::builder().cookie_store(true).build().expect("client");
        let signed_in: Value = client
            .post(format!("{base}/v1/signin/tap"))
            .json(&json!({"username": upn, "code": issued.code}))
            .send()
            .await
            .expect("sign-in")
            .json()
            .await
            .expect("json");
        let csrf = signed_in["csrfToken"].as_str().expect("csrf token").to_string();
        let begun: Value = client
            .post(format!("{base}/v1/me/authentication/fido2Methods/registration/begin"))
            .header("x-csrf-token", &csrf)
            .json(&json!({}))
            .send()
            .await
            .expect("begin")
            .json()
            .await
            .expect("json");
        let mut key = SoftAuthenticator::new(aaguid.parse::<Aaguid>().expect("aaguid"));
        let credential = key
            .register(&begun["publicKey"], &origin)
            .expect("authenticator answers");
        let finished = client
            .post(format!("{base}/v1/me/authentication/fido2Methods/registration/finish"))
            .header("x-csrf-token", &csrf)
            .json(&json!({"attemptId": begun["attemptId"], "displayName": "Desk key", "credential": credential}))
            .send()
            .await
            .expect("finish");
        assert_eq!(finished.status().as_u16(), 201, "registered");
        let _ = stop.send(());
        let _ = server.await;
    });
}

#[test]
fn inventory_csv_is_the_playbooks_file() {
    let cli = Cli::new();
    directory(&cli);
    register_passkey(&cli, "bob@contoso.com", YUBIKEY);
    let run = cli.run(&["inventory", "--format", "csv"]).ok();
    assert!(
        run.stderr.contains("wrote 1 passkeys to passkey-inventory.csv"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "the CSV goes to the file");
    assert!(
        !run.stderr.contains('['),
        "no progress bar when stderr is not a terminal"
    );
    let csv = std::fs::read_to_string(cli.path("passkey-inventory.csv")).expect("passkey-inventory.csv written");
    let mut lines = csv.split("\r\n");
    assert_eq!(
        lines.next(),
        Some(
            "\"UserPrincipalName\",\"DisplayName\",\"MethodDisplayName\",\"AAGUID\",\"Model\",\"CreatedDateTime\",\
             \"AttestationLevel\",\"AttestationCertificateThumbprint\",\"PasskeyType\",\"LastUsedDateTime\",\
             \"AdmittingProfile\",\"MetadataStatus\""
        )
    );
    let row = lines.next().expect("a row");
    assert!(
        row.starts_with(&format!("\"bob@contoso.com\",\"Bob\",\"Desk key\",\"{YUBIKEY}\",")),
        "{row}"
    );
    assert!(row.contains("\"notAttested\",\"\",\"deviceBound\",\"\""), "{row}");

    let stdout = cli.run(&["inventory", "--format", "csv", "--output", "-"]).ok().stdout;
    assert_eq!(stdout, csv, "--output - writes the same bytes to standard output");
    let table = cli.run(&["inventory"]).ok().stdout;
    assert!(
        table.starts_with("UserPrincipalName") && table.contains("bob@contoso.com"),
        "{table}"
    );
    let json: Value = serde_json::from_str(&cli.run(&["inventory", "--format", "json"]).ok().stdout).expect("json");
    assert_eq!(json["value"][0]["MethodDisplayName"], "Desk key");
    let models: Value =
        serde_json::from_str(&cli.run(&["inventory", "--by", "model", "--format", "json"]).ok().stdout).expect("json");
    assert_eq!(models["value"][0]["aaguid"], YUBIKEY);
    assert_eq!(models["value"][0]["credentials"], 1);
    assert_eq!(
        models["value"][0]["allowedBy"][0]["profileName"],
        "Default passkey profile"
    );
}

#[test]
fn users_without_a_passkey_and_findings() {
    let cli = Cli::new();
    directory(&cli);
    register_passkey(&cli, "alice@contoso.com", YUBIKEY);
    let table = cli.run(&["inventory", "--without-phishing-resistant"]).ok().stdout;
    assert!(table.starts_with("UserPrincipalName"), "{table}");
    assert!(
        table.contains("bob@contoso.com") && !table.contains("alice@contoso.com"),
        "{table}"
    );
    // The pass for the ceremony and two more, all by the local operator within a minute: a bulk registration at
    // a threshold of three.
    for upn in ["bob@contoso.com", "carol@contoso.com"] {
        cli.run(&["tap", "issue", upn, "--lifetime", "480"]).ok();
    }
    let found: Value = serde_json::from_str(
        &cli.run(&[
            "findings",
            "--bulk-threshold",
            "3",
            "--bulk-window",
            "10m",
            "--format",
            "json",
        ])
        .ok()
        .stdout,
    )
    .expect("json");
    let kinds: Vec<&str> = found["value"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    for kind in [
        "bulkAdminRegistration",
        "longMultiUseAccessPass",
        "noPhishingResistantMethod",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let table = cli.run(&["findings", "--bulk-threshold", "3"]).ok().stdout;
    assert!(table.contains("bulkAdminRegistration"), "{table}");
    assert!(table.contains("action: "), "{table}");
    cli.run(&["findings", "--bulk-window", "soon"]).exit(3);
}

#[test]
fn audit_export_writes_auditlogs_records() {
    let cli = Cli::new();
    directory(&cli);
    register_passkey(&cli, "carol@contoso.com", YUBIKEY);
    let jsonl = cli.run(&["audit", "export"]).ok().stdout;
    let records: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON record per line"))
        .collect();
    let registered = records
        .iter()
        .find(|r| r["OperationName"] == "User registered security info" && r["Result"] == "success")
        .expect("the registration");
    assert_eq!(
        registered["TargetResources"][0]["modifiedProperties"][0]["newValue"],
        "Passkey (device-bound)"
    );
    assert_eq!(
        registered["InitiatedBy"]["user"]["userPrincipalName"],
        "carol@contoso.com"
    );
    let file = cli.path("audit.csv");
    let run = cli
        .run(&[
            "audit",
            "export",
            "--format",
            "csv",
            "--target",
            "carol@contoso.com",
            "--output",
            file.to_str().expect("path"),
        ])
        .ok();
    assert!(run.stderr.contains("audit events to"), "{}", run.stderr);
    let csv = std::fs::read_to_string(&file).expect("written");
    assert!(csv.starts_with("\"TimeGenerated\",\"Id\",\"OperationName\""), "{csv}");
    assert!(csv.contains("\"User registered security info\""));
    assert!(!csv.contains("\"Add group\""), "filtered by target");
    cli.run(&["audit", "export", "--since", "yesterday"]).exit(3);
}
