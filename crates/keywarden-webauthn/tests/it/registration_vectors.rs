//! Recorded registration responses from real authenticators (`../shared/vectors/registration`), replayed against
//! their own RP ID, origins and challenge: the outcome must match the vector's `expect`, and a few specific
//! failures must carry specific codes.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use keywarden_domain::Code;
use keywarden_domain::registration::{AttestationFormat, AttestationType, Trust};
use keywarden_webauthn::{OfflineOptions, Rejection, VerifiedRegistration, verify_offline};
use serde_cbor_2::Value as Cbor;
use serde_json::Value;
use time::OffsetDateTime;

use crate::support::{catalog, origins, vector, vectors, verification_time};

fn verify_at(vector: &Value, at: OffsetDateTime) -> Result<VerifiedRegistration, Rejection> {
    let options = OfflineOptions {
        rp_id: vector["rp_id"].as_str().expect("rp_id").to_string(),
        origins: origins(vector),
        challenge_b64url: vector["challenge_b64url"].as_str().expect("challenge").to_string(),
        at,
        catalog: catalog(),
        require_user_verification: false,
    };
    verify_offline(&vector["response"], &options)
}

fn verify(vector: &Value) -> Result<VerifiedRegistration, Rejection> {
    verify_at(vector, verification_time(vector))
}

fn name(vector: &Value) -> &str {
    vector["name"].as_str().expect("name")
}

fn is_ed25519(vector: &Value) -> bool {
    vector["decoded"]["authData"]["credentialPublicKey_alg"]
        .as_str()
        .is_some_and(|alg| alg.starts_with("-8"))
}

fn describe(result: &Result<VerifiedRegistration, Rejection>) -> String {
    match result {
        Ok(verified) => {
            let trust = match &verified.facts.trust {
                Trust::Verified { root } => format!("verified by {root}"),
                Trust::Untrusted { reason } => format!("untrusted: {reason}"),
                Trust::Absent => "absent".to_string(),
            };
            format!(
                "accept {} {:?} trust {trust}",
                verified.facts.format.as_str(),
                verified.facts.attestation_type
            )
        }
        Err(rejection) => format!("reject {rejection}"),
    }
}

#[test]
fn every_vector_outside_policy_has_the_expected_outcome() {
    let mut rows = Vec::new();
    let mut n_wrong = 0;
    for vector in vectors("registration") {
        let expect = vector["expect"].as_str().expect("expect");
        let result = verify(&vector);
        let verdict = if vector["policy_dependent"].as_bool().unwrap_or(false) {
            "policy-dependent, not compared"
        } else {
            match (expect, &result) {
                ("accept", Ok(_)) | ("reject", Err(_)) => "ok",
                // webauthn-rs-core 0.6.2 has no Ed25519; refusing such keys with a clear code is acceptable.
                ("accept", Err(rejection)) if is_ed25519(&vector) && rejection.code == Code::UnsupportedAlgorithm => {
                    "ok (Ed25519 unsupported)"
                }
                _ => {
                    n_wrong += 1;
                    "WRONG"
                }
            }
        };
        rows.push(format!(
            "{:<52} {:<7} {:<31} {}",
            name(&vector),
            expect,
            verdict,
            describe(&result)
        ));
    }
    let table = format!(
        "{:<52} {:<7} {:<31} got\n{}",
        "vector",
        "expect",
        "verdict",
        rows.join("\n")
    );
    eprintln!("{table}");
    assert_eq!(n_wrong, 0, "{n_wrong} vectors have the wrong outcome:\n{table}");
}

#[test]
fn windows_hello_tpm_statements_verify_as_attca_and_flag_sha1() {
    let tpm_vectors: Vec<Value> = vectors("registration")
        .into_iter()
        .filter(|v| name(v).starts_with("pywebauthn_tpm_"))
        .collect();
    assert_eq!(tpm_vectors.len(), 4, "the four py_webauthn TPM vectors");
    for vector in &tpm_vectors {
        let facts = verify(vector)
            .unwrap_or_else(|rejection| panic!("{} was refused: {rejection}", name(vector)))
            .facts;
        let statement_alg = vector["checks"]["attestation_statement_independent_check"]["alg"].as_str();
        assert_eq!(facts.format, AttestationFormat::Tpm, "{}", name(vector));
        assert_eq!(facts.attestation_type, AttestationType::AttCa, "{}", name(vector));
        assert_eq!(facts.sha1_signature, statement_alg == Some("RS1"), "{}", name(vector));
        assert_eq!(
            facts.certificate_thumbprints.len(),
            2,
            "{}: AIK and intermediate",
            name(vector)
        );
        assert!(
            matches!(&facts.trust, Trust::Verified { root } if root.contains("Microsoft TPM Root Certificate Authority 2014")),
            "{}: {:?}",
            name(vector),
            facts.trust
        );
    }
}

#[test]
fn tpm_chain_judged_after_its_certificates_expired_is_untrusted_but_accepted() {
    let vector = vector("registration", "pywebauthn_tpm_dell_xps13_nuvoton");
    let facts = verify_at(&vector, crate::support::rfc3339("2026-11-25T00:00:00Z"))
        .expect("the statement itself still verifies")
        .facts;
    assert!(
        matches!(&facts.trust, Trust::Untrusted { reason } if reason.contains("not valid at")),
        "{:?}",
        facts.trust
    );
}

#[test]
fn specific_failures_carry_specific_codes() {
    for (vector_name, code) in [
        ("go_reject_attestation_object_trailing_byte", Code::MalformedResponse),
        ("go_reject_rawid_not_attested_credential_id", Code::CredentialIdMismatch),
        (
            "wrs_reject_packed_yubikey_aaguid_ext_tampered",
            Code::AttestationInvalid,
        ),
        (
            "pywebauthn_reject_unknown_fmt_tampered",
            Code::AttestationFormatUnsupported,
        ),
        ("wrs_reject_apple_nonce_tampered", Code::AttestationInvalid),
        ("go_reject_safetynet_jws_header_altered", Code::AttestationInvalid),
        ("wrs_reject_firefox98_hello_truncated_aaguid", Code::MalformedResponse),
        ("pywebauthn_packed_yubikey5ci_ed25519", Code::UnsupportedAlgorithm),
    ] {
        match verify(&vector("registration", vector_name)) {
            Err(rejection) => assert_eq!(rejection.code, code, "{vector_name}: {rejection}"),
            Ok(_) => panic!("{vector_name} was accepted"),
        }
    }
}

#[test]
fn yubikey_packed_attestation_chains_to_the_yubico_root_listed_in_metadata() {
    let facts = verify(&vector("registration", "wrs_packed_yubikey5_credprotect"))
        .expect("accepted")
        .facts;
    assert_eq!(facts.format, AttestationFormat::Packed);
    assert_eq!(facts.attestation_type, AttestationType::Basic);
    assert_eq!(facts.model.as_deref(), Some("YubiKey 5 Series with NFC"));
    assert!(
        matches!(&facts.trust, Trust::Verified { root } if root.contains("Yubico U2F Root CA Serial 457200631")),
        "{:?}",
        facts.trust
    );
    assert_eq!(facts.certificate_thumbprints.len(), 1);
    assert!(
        facts.certificate_thumbprints[0]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
}

#[test]
fn fido_u2f_attestation_is_untrusted_because_it_names_no_aaguid() {
    let facts = verify(&vector("registration", "wrs_fido_u2f_yubikey5_zero_challenge"))
        .expect("accepted")
        .facts;
    assert_eq!(facts.format, AttestationFormat::FidoU2f);
    assert!(
        matches!(&facts.trust, Trust::Untrusted { reason } if reason.contains("all-zero aaguid")),
        "{:?}",
        facts.trust
    );
}

#[test]
fn fido_u2f_response_with_token_binding_string_verifies() {
    // Regression: webauthn-rs-core cannot read `"tokenBinding":"unused"`, which py_webauthn accepts.
    let facts = verify(&vector(
        "registration",
        "pywebauthn_fido_u2f_tokenbinding_unused_string",
    ))
    .expect("accepted")
    .facts;
    assert_eq!(facts.format, AttestationFormat::FidoU2f);
    assert_eq!(facts.attestation_type, AttestationType::Basic);
}

#[test]
fn android_safetynet_is_accepted_as_unattested_with_a_note() {
    let facts = verify(&vector("registration", "pywebauthn_android_safetynet_2021"))
        .expect("accepted")
        .facts;
    assert_eq!(facts.format, AttestationFormat::AndroidSafetynet);
    assert_eq!(facts.attestation_type, AttestationType::None);
    assert_eq!(facts.trust, Trust::Absent);
    assert!(
        facts.notes.iter().any(|note| note.contains("retired SafetyNet")),
        "{:?}",
        facts.notes
    );
}

#[test]
fn android_key_reports_whether_the_key_is_hardware_backed() {
    let facts = verify(&vector("registration", "pywebauthn_android_key_pixel8a"))
        .expect("accepted")
        .facts;
    assert_eq!(facts.format, AttestationFormat::AndroidKey);
    assert_eq!(facts.hardware_backed, Some(true));
}

#[test]
fn synced_passkey_with_none_attestation_reports_backup_flags_and_an_unbacked_aaguid() {
    let verified = verify(&vector("registration", "wrs_none_icloud_keychain_passkey")).expect("accepted");
    let facts = &verified.facts;
    assert_eq!(facts.trust, Trust::Absent);
    assert!(facts.flags.backup_eligible && facts.flags.backup_state && facts.flags.user_verified);
    assert_eq!(facts.model.as_deref(), Some("Apple Passwords"));
    assert_eq!(facts.transports, vec!["hybrid".to_string(), "internal".to_string()]);
    assert!(
        facts.notes.iter().any(|note| note.contains("own claim")),
        "{:?}",
        facts.notes
    );
    assert_eq!(facts.algorithm, -7);
    assert!(!verified.public_key.is_empty());
}

#[test]
fn user_verification_is_enforced_when_required() {
    let vector = vector("registration", "go_fido_u2f_yubikey_webauthn_io");
    let options = OfflineOptions {
        rp_id: vector["rp_id"].as_str().expect("rp_id").to_string(),
        origins: origins(&vector),
        challenge_b64url: vector["challenge_b64url"].as_str().expect("challenge").to_string(),
        at: verification_time(&vector),
        catalog: catalog(),
        require_user_verification: true,
    };
    let rejection = verify_offline(&vector["response"], &options).expect_err("UV is not set in this response");
    assert_eq!(rejection.code, Code::UserVerificationNotPerformed);
}

type StatementEdit = Box<dyn FnOnce(&mut BTreeMap<Cbor, Cbor>)>;

/// The vector's response with its attestation statement changed by `edit`.
fn with_statement(vector: &Value, edit: impl FnOnce(&mut BTreeMap<Cbor, Cbor>)) -> Value {
    let encoded = vector["response"]["response"]["attestationObject"]
        .as_str()
        .expect("attestationObject");
    let bytes = B64URL.decode(encoded).expect("base64url");
    let Cbor::Map(mut object) = serde_cbor_2::from_slice::<Cbor>(&bytes).expect("CBOR") else {
        panic!("the attestation object is not a map");
    };
    let Some(Cbor::Map(statement)) = object.get_mut(&Cbor::Text("attStmt".into())) else {
        panic!("no attStmt map");
    };
    edit(statement);
    let mut tampered = vector.clone();
    tampered["response"]["response"]["attestationObject"] =
        Value::String(B64URL.encode(serde_cbor_2::to_vec(&Cbor::Map(object)).expect("CBOR encodes")));
    tampered
}

#[test]
fn tampered_tpm_statements_are_refused_as_invalid_attestation() {
    let vector = vector("registration", "pywebauthn_tpm_surface_pro_4_intel");
    let text = |s: &str| Cbor::Text(s.into());
    let edits: Vec<(&str, StatementEdit)> = vec![
        (
            "flipped signature byte",
            Box::new(move |st| {
                if let Some(Cbor::Bytes(sig)) = st.get_mut(&text("sig")) {
                    sig[10] ^= 0x01;
                }
            }),
        ),
        (
            "alg claims SHA-256",
            Box::new(move |st| {
                st.insert(text("alg"), Cbor::Integer(-257));
            }),
        ),
        (
            "version 1.2",
            Box::new(move |st| {
                st.insert(text("ver"), text("1.2"));
            }),
        ),
        (
            "flipped pubArea byte",
            Box::new(move |st| {
                if let Some(Cbor::Bytes(pub_area)) = st.get_mut(&text("pubArea")) {
                    let last = pub_area.len() - 1;
                    pub_area[last] ^= 0x01;
                }
            }),
        ),
        (
            "flipped certInfo byte",
            Box::new(move |st| {
                if let Some(Cbor::Bytes(cert_info)) = st.get_mut(&text("certInfo")) {
                    cert_info[12] ^= 0x01;
                }
            }),
        ),
        (
            "intermediate first in x5c",
            Box::new(move |st| {
                if let Some(Cbor::Array(x5c)) = st.get_mut(&text("x5c")) {
                    x5c.reverse();
                }
            }),
        ),
        (
            "no x5c",
            Box::new(move |st| {
                st.remove(&text("x5c"));
            }),
        ),
    ];
    for (what, edit) in edits {
        let mut tampered = with_statement(&vector, edit);
        // Keep the vector's options; only the response changes.
        tampered["name"] = Value::String(format!("tpm with {what}"));
        match verify(&tampered) {
            Err(rejection) => assert_eq!(rejection.code, Code::AttestationInvalid, "{what}: {rejection}"),
            Ok(_) => panic!("tpm with {what} was accepted"),
        }
    }
}

#[test]
fn tpm_attestation_object_with_a_trailing_byte_is_malformed() {
    let mut vector = vector("registration", "pywebauthn_tpm_dell_xps13_nuvoton");
    let encoded = vector["response"]["response"]["attestationObject"]
        .as_str()
        .expect("attestationObject");
    let mut bytes = B64URL.decode(encoded).expect("base64url");
    bytes.push(0x01);
    vector["response"]["response"]["attestationObject"] = Value::String(B64URL.encode(bytes));
    assert_eq!(
        verify(&vector).expect_err("trailing byte").code,
        Code::MalformedResponse
    );
}

#[test]
fn none_attestation_with_a_statement_is_refused() {
    let vector = vector("registration", "pywebauthn_none_localhost_es256");
    let tampered = with_statement(&vector, |st| {
        st.insert(Cbor::Text("sig".into()), Cbor::Bytes(vec![1, 2, 3]));
    });
    assert_eq!(
        verify(&tampered).expect_err("non-empty none").code,
        Code::AttestationInvalid
    );
}

#[test]
fn tampered_safetynet_response_is_refused() {
    let vector = vector("registration", "pywebauthn_android_safetynet_2021");
    let tampered = with_statement(&vector, |st| {
        if let Some(Cbor::Bytes(jws)) = st.get_mut(&Cbor::Text("response".into())) {
            // Change one payload character (the payload is the JWS's middle part).
            let middle = jws.iter().position(|b| *b == b'.').expect("a compact JWS") + 20;
            jws[middle] = if jws[middle] == b'A' { b'B' } else { b'A' };
        }
    });
    assert_eq!(
        verify(&tampered).expect_err("tampered JWS").code,
        Code::AttestationInvalid
    );
}
