//! The rollout commands and `policy what-if`, on a database where passkeys were registered through the real
//! ceremony: the chart written as SVG, tighten changing nothing without `--apply` and one audited version with
//! it, readiness, and a what-if that saves nothing.

use serde_json::Value;

use crate::reports::{YUBIKEY, directory, register_passkey};
use crate::support::Cli;

/// The id of the default policy's only profile.
const DEFAULT_PROFILE: &str = "00000000-0000-0000-0000-000000000001";
const TOKEN: &str = "ab32f0c6-2239-afbb-c470-d2ef4e254db7";

/// Alice and Bob in Pilot, each with a passkey of a different model; Carol in no group and without one.
fn rollout(cli: &Cli) {
    directory(cli);
    let groups = cli.write(
        "groups.csv",
        "displayName,description,members\nPilot,First ring,alice@contoso.com;bob@contoso.com\n",
    );
    cli.run(&["groups", "import", groups.to_str().expect("path")]).ok();
    register_passkey(cli, "alice@contoso.com", YUBIKEY);
    register_passkey(cli, "bob@contoso.com", TOKEN);
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("JSON expected ({e}): {text}"))
}

fn policy_version(cli: &Cli) -> i64 {
    json(&cli.run(&["policy", "show"]).ok().stdout)["policyVersion"]
        .as_i64()
        .expect("version")
}

fn audit_events(cli: &Cli) -> Vec<Value> {
    cli.run(&["audit", "export"]).ok().stdout.lines().map(json).collect()
}

/// Whether `text` is well-formed markup: every element closed in order, attributes quoted, nothing after the
/// root. Enough to catch a broken chart without an XML parser.
fn well_formed(text: &str) -> Result<(), String> {
    let mut open: Vec<String> = Vec::new();
    let mut rest = text.trim_end();
    let mut closed_root = false;
    while let Some(start) = rest.find('<') {
        if closed_root {
            return Err(format!("content after the root element: {rest}"));
        }
        let end = rest[start..].find('>').ok_or("a tag is not closed")? + start;
        let tag = &rest[start + 1..end];
        if !tag.matches('"').count().is_multiple_of(2) {
            return Err(format!("unbalanced quotes in <{tag}>"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            match open.pop() {
                Some(opened) if opened == name.trim() => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            closed_root = open.is_empty();
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().ok_or("an empty tag")?;
            open.push(name.to_string());
        }
        let text_between = &rest[..start];
        if text_between.contains('&') && !text_between.split('&').skip(1).all(|e| e.contains(';')) {
            return Err(format!("an unescaped & in {text_between}"));
        }
        rest = &rest[end + 1..];
    }
    if open.is_empty() && closed_root {
        Ok(())
    } else {
        Err(format!("elements left open: {open:?}"))
    }
}

#[test]
fn the_markup_check_catches_broken_markup() {
    assert!(well_formed("<svg><g><text>a &amp; b</text></g></svg>\n").is_ok());
    assert!(well_formed("<svg><g></svg>").is_err());
    assert!(well_formed("<svg><rect x=\"1/></svg>").is_err());
    assert!(well_formed("<svg></svg><svg></svg>").is_err());
}

#[test]
fn rollout_status_writes_the_chart_as_svg_and_the_numbers_as_json() {
    let cli = Cli::new();
    rollout(&cli);
    let chart = cli.path("rollout.svg");
    let run = cli
        .run(&[
            "rollout",
            "status",
            "--svg",
            chart.to_str().expect("path"),
            "--format",
            "json",
        ])
        .ok();
    assert!(run.stderr.contains("wrote the rollout chart to"), "{}", run.stderr);
    let status = json(&run.stdout);
    let pilot = &status["value"][0];
    assert_eq!(pilot["displayName"], "Pilot");
    assert_eq!(
        ["members", "targeted", "covered"].map(|k| pilot[k].as_i64()),
        [Some(2), Some(2), Some(2)],
        "{pilot:#}"
    );
    assert_eq!(pilot["attempts"]["succeeded"], 2);
    assert_eq!(status["allUsers"]["members"], 3);
    assert_eq!(status["allUsers"]["covered"], 2);

    let svg = std::fs::read_to_string(&chart).expect("the chart is written");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{svg}");
    well_formed(&svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
    assert!(svg.contains("Pilot: 2 members, 2 targeted, 2 covered (100%)"), "{svg}");
    assert!(
        svg.contains("All users: 3 members, 3 targeted, 2 covered (67%)"),
        "{svg}"
    );

    let table = cli.run(&["rollout", "status"]).ok().stdout;
    assert!(table.starts_with("Ring"), "{table}");
    assert!(table.contains("Pilot") && table.contains("All users"), "{table}");
    let csv = cli.run(&["rollout", "status", "--format", "csv"]).ok().stdout;
    assert_eq!(csv.lines().count(), 3, "a header, Pilot and all users: {csv}");
    cli.run(&["rollout", "status", "--since", "lately"]).exit(3);
}

#[test]
fn rollout_tighten_changes_nothing_without_apply_and_one_audited_version_with_it() {
    let cli = Cli::new();
    rollout(&cli);
    let version = policy_version(&cli);
    let events = audit_events(&cli).len();

    let proposal = cli.run(&["rollout", "tighten", "Default passkey profile"]).ok().stdout;
    assert!(proposal.contains(YUBIKEY) && proposal.contains(TOKEN), "{proposal}");
    assert!(proposal.contains("not applied"), "{proposal}");
    let answer = json(
        &cli.run(&["rollout", "tighten", DEFAULT_PROFILE, "--format", "json"])
            .ok()
            .stdout,
    );
    assert_eq!(answer["applied"], false);
    let mut proposed: Vec<&str> = answer["observed"]
        .as_array()
        .expect("observed")
        .iter()
        .filter(|m| m["proposed"] == true)
        .filter_map(|m| m["aaguid"].as_str())
        .collect();
    proposed.sort();
    assert_eq!(proposed, vec![TOKEN, YUBIKEY]);
    assert_eq!(answer["whatIf"]["summary"]["credentialsStopWorking"], 0);
    let csv = cli
        .run(&["rollout", "tighten", DEFAULT_PROFILE, "--format", "csv"])
        .ok()
        .stdout;
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("AAGUID,Model,Passkeys,Users,Types,Proposed,Note"));
    let mut rows: Vec<&str> = lines
        .filter(|l| l.split(',').nth(5) == Some("yes"))
        .filter_map(|l| l.split(',').next())
        .collect();
    rows.sort();
    assert_eq!(rows, proposed, "the CSV proposes what the JSON does: {csv}");
    assert_eq!(policy_version(&cli), version, "without --apply the policy is unchanged");
    assert_eq!(audit_events(&cli).len(), events, "and nothing is audited");

    cli.run(&["rollout", "tighten", "no such profile"]).exit(3);

    let applied = cli
        .run(&["rollout", "tighten", "default passkey profile", "--apply"])
        .ok()
        .stdout;
    assert!(
        applied.contains(&format!("applied: policy version {}", version + 1)),
        "{applied}"
    );
    let document = json(&cli.run(&["policy", "show"]).ok().stdout);
    assert_eq!(document["policyVersion"].as_i64(), Some(version + 1));
    let restrictions = &document["authenticationMethodConfigurations"][0]["passkeyProfiles"][0]["keyRestrictions"];
    assert_eq!(restrictions["isEnforced"], true);
    assert_eq!(restrictions["aaGuids"].as_array().map(Vec::len), Some(2));
    let after = audit_events(&cli);
    assert_eq!(after.len(), events + 1);
    assert_eq!(
        after.last().expect("an event")["OperationName"],
        "Authentication Methods Policy Update"
    );
    let again = cli
        .run(&["rollout", "tighten", "default passkey profile", "--apply"])
        .ok()
        .stdout;
    assert!(
        again.contains("already allow-lists exactly these models") && again.contains("nothing to apply"),
        "tightening twice changes nothing: {again}"
    );
    assert_eq!(policy_version(&cli), version + 1);
}

#[test]
fn rollout_readiness_and_policy_what_if() {
    let cli = Cli::new();
    rollout(&cli);
    let report = json(
        &cli.run(&[
            "rollout",
            "readiness",
            "--strength",
            "phishing-resistant",
            "--format",
            "json",
        ])
        .ok()
        .stdout,
    );
    assert_eq!(
        (
            report["users"].as_i64(),
            report["ready"].as_i64(),
            report["lockedOut"].as_i64()
        ),
        (Some(3), Some(2), Some(1)),
        "{report:#}"
    );
    assert_eq!(report["value"][0]["user"]["userPrincipalName"], "carol@contoso.com");
    assert_eq!(report["value"][0]["reason"], "noPasskey");
    let pilot = json(
        &cli.run(&["rollout", "readiness", "--group", "Pilot", "--format", "json"])
            .ok()
            .stdout,
    );
    assert_eq!(pilot["lockedOut"], 0, "{pilot:#}");
    let table = cli.run(&["rollout", "readiness"]).ok().stdout;
    assert!(
        table.contains("1 would be locked out") && table.contains("carol@contoso.com"),
        "{table}"
    );
    cli.run(&["rollout", "readiness", "--strength", "telepathy"]).exit(3);

    let version = policy_version(&cli);
    let events = audit_events(&cli).len();
    let disable = cli.write("disable.json", r#"{"id": "Fido2", "state": "disabled"}"#);
    let what_if = json(
        &cli.run(&["policy", "what-if", disable.to_str().expect("path"), "--format", "json"])
            .ok()
            .stdout,
    );
    assert_eq!(what_if["summary"]["credentialsStopWorking"], 2, "{what_if:#}");
    assert_eq!(what_if["summary"]["usersLoseRegistration"], 3);
    assert_eq!(what_if["policyVersion"].as_i64(), Some(version));
    let table = cli
        .run(&["policy", "what-if", disable.to_str().expect("path")])
        .ok()
        .stdout;
    assert!(table.contains("stops working: alice@contoso.com"), "{table}");
    assert!(table.contains("nothing was saved"), "{table}");
    let csv = cli
        .run(&["policy", "what-if", disable.to_str().expect("path"), "--format", "csv"])
        .ok()
        .stdout;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Effect,UserPrincipalName,Passkey,AAGUID,Model,AcceptedTodayBy,Code,Reason"
    );
    let effects = |effect: &str| lines.iter().filter(|l| l.starts_with(&format!("{effect},"))).count();
    assert_eq!(effects("stopsWorkingAtSignIn"), 2, "{csv}");
    assert_eq!(effects("losesRegistration"), 3, "{csv}");
    assert_eq!(lines.len(), 1 + 2 + 3, "one row per change: {csv}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("stopsWorkingAtSignIn,alice@contoso.com,")),
        "{csv}"
    );
    let invalid = cli.write("invalid.json", r#"{"id": "Fido2", "state": "sometimes"}"#);
    let refused = cli.run(&["policy", "what-if", invalid.to_str().expect("path")]).exit(3);
    assert!(refused.stderr.contains("invalid_policy"), "{}", refused.stderr);
    assert_eq!(policy_version(&cli), version, "what-if saves nothing");
    assert_eq!(audit_events(&cli).len(), events, "and audits nothing");
}
