//! `keywarden diagnose` and `keywarden policy explain` as a help-desk agent runs them: the real binary on a
//! SQLite file holding the demo directory and policy, with the text output snapshot-tested (`UPDATE_EXPECT=1`
//! refreshes the snapshots) and the exit codes checked.

use std::path::Path;
use std::process::Command;

use expect_test::expect;

/// Runs the binary against the database in `dir`; returns the exit code and standard output.
fn keywarden(dir: &Path, args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_keywarden"))
        .args(args)
        .current_dir(dir)
        .env(
            "KEYWARDEN_DATABASE_URL",
            format!("sqlite://{}", dir.join("kw.db").display()),
        )
        .env_remove("KEYWARDEN_CONFIG")
        .env_remove("KEYWARDEN_METADATA_SOURCE")
        .output()
        .expect("the keywarden binary runs");
    let stdout = String::from_utf8(output.stdout).expect("utf-8 output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), format!("{stdout}{stderr}"))
}

fn demo(dir: &Path) {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/demo");
    for args in [
        ["users", "import", &format!("{demo}/users.csv")],
        ["groups", "import", &format!("{demo}/groups.csv")],
        ["policy", "apply", &format!("{demo}/policy.json")],
    ] {
        let (code, out) = keywarden(dir, &args);
        assert_eq!(code, 0, "{args:?}: {out}");
    }
}

#[test]
fn the_tree_needs_no_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, out) = keywarden(dir.path(), &["diagnose", "--tree"]);
    assert_eq!(code, 0);
    assert_eq!(out, keywarden_present::diagnosis::tree());
    assert!(!dir.path().join("kw.db").exists(), "--tree does not open the database");
}

#[test]
fn diagnose_prints_the_walk_and_exits_1_when_a_question_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    demo(dir.path());

    let (code, out) = keywarden(dir.path(), &["diagnose", "erin@contoso.com"]);
    assert_eq!(code, 1, "{out}");
    expect![[r#"
        Passkey diagnosis for erin@contoso.com (Erin Evans (contractor))
        Subject: now, under policy version 2
        erin@contoso.com cannot register a passkey now: question 1 fails (user_excluded).

        [1] Is the user enabled for passkeys in the authentication methods policy?
            NO (user_excluded): The user is in a group excluded from the passkey policy; exclusion wins over every include target.
            evidence:
              passkey method: enabled; self-service set up: on; path: self-service
              account: enabled, member
              member of: Contractors
              included by: none
              excluded by: Contractors (group)
              other include targets: Pilot ring 1 (group), profiles: Default passkey profile; IT admins (group), profiles: Attested device-bound keys, YubiKey 5 only; Ring 2 (group), profiles: No Microsoft Authenticator
            fix:
              update_targeting: Update policy targeting: remove erin@contoso.com from Contractors (excluded), or remove it from excludeTargets; exclusion wins over every include target.

        [2] Has the user satisfied strong authentication within the registration window?
            not reached

        [3] Can the local platform host the credential type the user is creating?
            not reached

        [4] Does a passkey profile that applies to the user accept this authenticator?
            not reached

        Profiles that apply: none
    "#]].assert_eq(&out);

    let (code, out) = keywarden(dir.path(), &["diagnose", "bob@contoso.com", "--format", "csv"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.ends_with("\r\n"), "CSV lines end with CRLF (RFC 4180)");
    let out = out.replace("\r\n", "\n");
    expect![[r#"
        Question,Title,Status,Code,Finding,FailureModes,Fixes
        1,Is the user enabled for passkeys in the authentication methods policy?,passed,,"bob@contoso.com is covered by Pilot ring 1, is not excluded, and self-service set up is on.",,
        2,Has the user satisfied strong authentication within the registration window?,failed,no_usable_mfa_method,"bob@contoso.com has no usable strong authentication method: no authenticator app, no usable passkey, no Temporary Access Pass.",,"issue_access_pass: Issue a Temporary Access Pass (one-time, 1 to 4 hours) and have the user sign in with it: keywarden tap issue bob@contoso.com --once"
        3,Can the local platform host the credential type the user is creating?,notReached,,not reached: an earlier question failed,,
        4,Does a passkey profile that applies to the user accept this authenticator?,notReached,,not reached: an earlier question failed,,
    "#]].assert_eq(&out);

    let (code, out) = keywarden(dir.path(), &["diagnose", "bob@contoso.com", "--last"]);
    assert_eq!(code, 3, "no attempt yet is a refusal: {out}");
    assert!(out.contains("not_found"), "{out}");

    let (code, out) = keywarden(dir.path(), &["tap", "issue", "bob@contoso.com", "--once"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = keywarden(dir.path(), &["diagnose", "bob@contoso.com", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("json output");
    assert_eq!(json["firstFailure"], serde_json::Value::Null);
    assert_eq!(
        json["questions"][1]["evidence"]["usableMethods"][0],
        "temporaryAccessPass"
    );
}

#[test]
fn policy_explain_prints_the_effective_policy() {
    let dir = tempfile::tempdir().expect("temp dir");
    demo(dir.path());
    let (code, out) = keywarden(dir.path(), &["policy", "explain", "grace@contoso.com"]);
    assert_eq!(code, 0, "{out}");
    expect![[r#"
        Effective passkey policy for grace@contoso.com (Grace Green), policy version 2
        Eligible to register: yes

        - Passkeys (FIDO2) are enabled in the authentication methods policy; self-service set up is on.
        - grace@contoso.com belongs to Ring 2.
        - Include target Ring 2 covers grace@contoso.com and allows No Microsoft Authenticator.
        - No exclude target covers them.
        - A passkey is accepted when it satisfies this profile in full:
        - No Microsoft Authenticator: device-bound and synced passkeys; attestation not required: the AAGUID and passkey type are the authenticator's own claims; any authenticator except: de1e552d-db1d-4423-a619-566b625cdc84, 90a3ccdf-635c-4729-a248-9b709135078f.
        - Registration needs strong authentication in the last 10 minutes (10 after a one-time Temporary Access Pass).
        - grace@contoso.com may sign in with a Temporary Access Pass (one-time or multi-use, 10 to 480 minutes).
    "#]].assert_eq(&out);
}
