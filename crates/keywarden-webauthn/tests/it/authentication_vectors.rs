//! Recorded sign-in responses (`../shared/vectors/authentication`), verified against the credential public key each
//! vector carries as a COSE_Key. The credential is rebuilt with `StoredCredential::from_cose_key` under the id the
//! response names (as the server finds it with `peek_assertion`; some sources record another id), taking its
//! backup flags from the response (the vectors do not record them).
//!
//! Not covered: the FIDO AppID extension (keywarden does not support U2F-era AppIDs, so
//! `wrs_auth_yubikey5_u2f_appid` is refused) and subdomain origins (keywarden lists origins exactly, so
//! `wrs_auth_yubikey_subdomain_origin`, signed at `sub.idm.example.com`, is refused with `origin_mismatch`).

use keywarden_domain::Code;
use keywarden_webauthn::{
    CredentialFlags, OfflineAssertionOptions, Rejection, StoredCredential, VerifiedAssertion, peek_assertion,
    verify_assertion_offline,
};
use serde_json::Value;

use crate::support::{origins, vector, vectors};

fn b64url(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .unwrap_or_else(|error| panic!("{text:?} is not base64url: {error}"))
}

fn requires_user_verification(vector: &Value) -> bool {
    vector["options"]["require_user_verification"].as_bool() == Some(true)
        || vector["options"]["policy"]
            .as_str()
            .is_some_and(|p| p.starts_with("Required"))
}

/// The flags byte of the response's authenticator data.
fn response_flags(vector: &Value) -> u8 {
    let auth_data = b64url(
        vector["response"]["response"]["authenticatorData"]
            .as_str()
            .expect("authenticatorData"),
    );
    auth_data[32]
}

fn stored_credential(vector: &Value, stored_sign_count: u32) -> Result<StoredCredential, Rejection> {
    let credential = &vector["credential"];
    let flags = response_flags(vector);
    StoredCredential::from_cose_key(
        &b64url(vector["response"]["rawId"].as_str().expect("rawId")),
        &b64url(credential["publicKey_cose_b64url"].as_str().expect("COSE key")),
        stored_sign_count,
        CredentialFlags {
            user_verified: requires_user_verification(vector),
            backup_eligible: flags & 0x08 != 0,
            backup_state: flags & 0x10 != 0,
        },
    )
}

fn verify_with_count(vector: &Value, stored_sign_count: u32) -> Result<VerifiedAssertion, Rejection> {
    let credential = stored_credential(vector, stored_sign_count)?;
    let options = OfflineAssertionOptions {
        rp_id: vector["rp_id"].as_str().expect("rp_id").to_string(),
        origins: origins(vector),
        challenge_b64url: vector["challenge_b64url"].as_str().expect("challenge").to_string(),
        require_user_verification: requires_user_verification(vector),
    };
    verify_assertion_offline(&vector["response"], &options, &credential)
}

fn verify(vector: &Value) -> Result<VerifiedAssertion, Rejection> {
    let stored = vector["credential"]["stored_sign_count"].as_u64().unwrap_or(0);
    verify_with_count(vector, u32::try_from(stored).expect("counter fits"))
}

#[test]
fn every_sign_in_vector_has_the_expected_outcome() {
    let mut rows = Vec::new();
    let mut n_wrong = 0;
    for vector in vectors("authentication") {
        let name = vector["name"].as_str().expect("name");
        let expect = vector["expect"].as_str().expect("expect");
        let result = verify(&vector);
        let verdict = match (name, expect, &result) {
            (_, _, _) if vector["policy_dependent"].as_bool() == Some(true) => "policy-dependent, not compared",
            ("pywebauthn_auth_ed25519", _, Err(rejection)) if rejection.code == Code::UnsupportedAlgorithm => {
                "ok (Ed25519 unsupported)"
            }
            ("wrs_auth_yubikey5_u2f_appid", _, Err(_)) => "ok (AppID not supported)",
            ("wrs_auth_yubikey_subdomain_origin", _, Err(rejection)) if rejection.code == Code::OriginMismatch => {
                "ok (no subdomain origins)"
            }
            ("wrs_auth_yubikey5_u2f_appid" | "wrs_auth_yubikey_subdomain_origin", _, _) => "WRONG",
            (_, "accept", Ok(verified))
                if Some(u64::from(verified.sign_count)) == vector["expected"]["new_sign_count"].as_u64()
                    && vector["expected"]["user_verified"]
                        .as_bool()
                        .is_none_or(|uv| uv == verified.user_verified) =>
            {
                "ok"
            }
            (_, "reject", Err(_)) => "ok",
            _ => "WRONG",
        };
        if verdict == "WRONG" {
            n_wrong += 1;
        }
        let got = match &result {
            Ok(verified) => format!(
                "accept sign_count {} uv {}",
                verified.sign_count, verified.user_verified
            ),
            Err(rejection) => format!("reject {rejection}"),
        };
        rows.push(format!("{name:<52} {expect:<7} {verdict:<31} {got}"));
    }
    let table = format!(
        "{:<52} {:<7} {:<31} got\n{}",
        "vector",
        "expect",
        "verdict",
        rows.join("\n")
    );
    eprintln!("{table}");
    assert_eq!(n_wrong, 0, "{n_wrong} sign-in vectors have the wrong outcome:\n{table}");
}

#[test]
fn specific_sign_in_failures_carry_specific_codes() {
    for (name, code) in [
        (
            "pywebauthn_auth_reject_uv_required_not_set",
            Code::UserVerificationNotPerformed,
        ),
        ("pywebauthn_auth_reject_wrong_public_key", Code::SignatureInvalid),
        ("wrs_auth_reject_appid_hash_without_appid_extension", Code::RpIdMismatch),
        ("pywebauthn_auth_ed25519", Code::UnsupportedAlgorithm),
    ] {
        let rejection = verify(&vector("authentication", name)).expect_err(name);
        assert_eq!(rejection.code, code, "{name}: {rejection}");
    }
}

#[test]
fn counter_that_does_not_increase_is_refused() {
    let vector = vector("authentication", "pywebauthn_auth_es256_yubikey_legacy");
    let rejection = verify_with_count(&vector, 78).expect_err("78 is not above 78");
    assert_eq!(rejection.code, Code::SignCountRegressed);
}

#[test]
fn verified_sign_in_returns_the_credential_with_its_new_counter() {
    let vector = vector("authentication", "wrs_auth_windows_hello_rs256");
    let verified = verify(&vector).expect("accepted");
    assert_eq!(verified.sign_count, 1);
    assert!(verified.user_verified);
    let options = OfflineAssertionOptions {
        rp_id: vector["rp_id"].as_str().expect("rp_id").to_string(),
        origins: origins(&vector),
        challenge_b64url: vector["challenge_b64url"].as_str().expect("challenge").to_string(),
        require_user_verification: true,
    };
    let replay = verify_assertion_offline(&vector["response"], &options, &verified.stored).expect_err("replayed");
    assert_eq!(replay.code, Code::SignCountRegressed);
}

#[test]
fn origin_outside_the_configured_list_is_refused() {
    let mut vector = vector("authentication", "pywebauthn_auth_rs256_uv");
    vector["origin"] = Value::String("https://elsewhere.example".into());
    assert_eq!(verify(&vector).expect_err("wrong origin").code, Code::OriginMismatch);
}

#[test]
fn peek_reads_credential_id_and_user_handle_without_verifying() {
    let vector = vector("authentication", "pywebauthn_auth_rs256_uv");
    let (credential_id, user_handle) = peek_assertion(&vector["response"]).expect("readable");
    assert_eq!(
        credential_id,
        b64url(vector["response"]["rawId"].as_str().expect("rawId"))
    );
    assert_eq!(
        user_handle,
        Some(b64url(
            vector["response"]["response"]["userHandle"]
                .as_str()
                .expect("userHandle")
        ))
    );
    let (_, none) =
        peek_assertion(&crate::support::vector("authentication", "wrs_auth_yubikey_subdomain_origin")["response"])
            .expect("readable");
    assert_eq!(none, None, "an empty user handle counts as none");
}

#[test]
fn peek_refuses_a_response_that_is_not_an_assertion() {
    let rejection = peek_assertion(&serde_json::json!({"id": "AA"})).expect_err("not an assertion");
    assert_eq!(rejection.code, Code::MalformedResponse);
}
