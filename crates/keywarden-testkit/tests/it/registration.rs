//! Ceremonies between the software authenticator and webauthn-rs-core: what is accepted, and what each flag does.

use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use keywarden_domain::Aaguid;
use keywarden_testkit::{Attestation, SoftAuthenticator, SoftError, TestCa, metadata_entry};
use serde_json::json;
use webauthn_rs_core::error::WebauthnError;
use webauthn_rs_core::proto::{AttestationMetadata, ParsedAttestationData, UserVerificationPolicy};

use crate::support::{AAGUID, ORIGIN, RP_ID, Rejection, Rp, USER_ID, ca_list};

const REQUIRED: UserVerificationPolicy = UserVerificationPolicy::Required;

#[test]
fn none_attestation_registers_and_signs_in() {
    let rp = Rp::new();
    let mut authenticator = SoftAuthenticator::new(AAGUID);

    let (options, state) = rp.begin_registration(REQUIRED, None);
    let response = authenticator.register(&options, ORIGIN).expect("register");
    let credential = rp
        .finish_registration(&response, &state, None)
        .expect("core accepts fmt none");

    assert!(
        matches!(credential.attestation.data, ParsedAttestationData::None),
        "fmt none has no attestation"
    );
    assert!(credential.user_verified, "UV is on by default");
    assert!(
        !credential.backup_eligible && !credential.backup_state,
        "device-bound by default"
    );
    assert_eq!(credential.counter, 0, "counter starts at 0");
    assert_eq!(response["type"], "public-key");
    assert_eq!(response["id"], response["rawId"]);
    assert_eq!(response["authenticatorAttachment"], "platform");
    assert_eq!(response["response"]["transports"], json!(["internal", "hybrid"]));
    assert_eq!(response["response"]["publicKeyAlgorithm"], -7);

    let (options, state) = rp.begin_authentication(vec![credential], REQUIRED);
    let assertion = authenticator.sign_in(&options, ORIGIN).expect("sign in");
    let result = rp
        .finish_authentication(&assertion, &state)
        .expect("core accepts the assertion");
    assert_eq!(result.counter(), 1, "the first assertion reports 1");
    assert!(result.user_verified());
}

#[test]
fn self_attestation_is_packed_without_x5c() {
    let rp = Rp::new();
    let mut authenticator = SoftAuthenticator::new(AAGUID).attestation(Attestation::SelfPacked);

    let (options, state) = rp.begin_registration(REQUIRED, None);
    let response = authenticator.register(&options, ORIGIN).expect("register");
    let credential = rp
        .finish_registration(&response, &state, None)
        .expect("core accepts self attestation");

    assert!(
        matches!(credential.attestation.data, ParsedAttestationData::Self_),
        "self attestation"
    );
}

#[test]
fn packed_attestation_chains_to_the_test_ca() {
    let rp = Rp::new();
    let ca = Arc::new(TestCa::generate("Keywarden Test Root"));
    let mut authenticator = SoftAuthenticator::new(AAGUID).attestation(Attestation::Packed(ca.clone()));

    let (options, state) = rp.begin_registration(REQUIRED, None);
    let response = authenticator.register(&options, ORIGIN).expect("register");
    let credential = rp
        .finish_registration(&response, &state, Some(&ca_list(&ca, AAGUID)))
        .expect("core trusts the test CA");

    assert!(matches!(credential.attestation.data, ParsedAttestationData::Basic(ref chain) if chain.len() == 1));
    assert!(matches!(credential.attestation.metadata, AttestationMetadata::Packed { aaguid } if aaguid == AAGUID.0));
    assert_eq!(ca.subject(), "CN=Keywarden Test Root,O=Keywarden Test,C=US");
}

#[test]
fn packed_attestation_from_another_ca_is_not_trusted() {
    let rp = Rp::new();
    let ca = Arc::new(TestCa::generate("Vendor Root"));
    let other = TestCa::generate("Other Root");
    let mut authenticator = SoftAuthenticator::new(AAGUID).attestation(Attestation::Packed(ca));

    let (options, state) = rp.begin_registration(REQUIRED, None);
    let response = authenticator.register(&options, ORIGIN).expect("register");
    let rejected = rp.finish_registration(&response, &state, Some(&ca_list(&other, AAGUID)));

    assert!(
        matches!(
            rejected,
            Err(Rejection::Webauthn(WebauthnError::AttestationChainNotTrusted(_)))
        ),
        "a chain to an unlisted root is rejected: {rejected:?}"
    );
}

#[test]
fn many_authenticators_of_one_model_share_the_cached_leaf() {
    let ca = Arc::new(TestCa::generate("Shared Root"));
    let rp = Rp::new();
    for _ in 0..3 {
        let mut authenticator = SoftAuthenticator::new(AAGUID).attestation(Attestation::Packed(ca.clone()));
        let (options, state) = rp.begin_registration(REQUIRED, None);
        let response = authenticator.register(&options, ORIGIN).expect("register");
        rp.finish_registration(&response, &state, Some(&ca_list(&ca, AAGUID)))
            .expect("each is trusted");
    }
    let other_model = Aaguid::from_bytes([9; 16]);
    assert_ne!(
        ca.attestation_cert_der(AAGUID),
        ca.attestation_cert_der(other_model),
        "one leaf per AAGUID"
    );
}

#[test]
fn metadata_entry_names_the_test_ca_as_root() {
    let ca = TestCa::generate("Metadata Root");
    let entry = metadata_entry(AAGUID, "Test Key", &ca);
    assert_eq!(entry.aaguid, AAGUID);
    assert_eq!(entry.description, "Test Key");
    assert_eq!(entry.attestation_roots, vec![ca.root_der().to_vec()]);
    assert!(
        entry
            .current_status()
            .is_some_and(|s| s.certification_level() == Some(10))
    );
}

#[test]
fn backup_flags_are_reported_at_registration_and_sign_in() {
    let rp = Rp::new();
    let mut authenticator = SoftAuthenticator::new(AAGUID).backup(true, true);

    let (options, state) = rp.begin_registration(REQUIRED, None);
    let response = authenticator.register(&options, ORIGIN).expect("register");
    let credential = rp
        .finish_registration(&response, &state, None)
        .expect("core accepts a synced passkey");
    assert!(
        credential.backup_eligible && credential.backup_state,
        "BE=1 BS=1 at registration"
    );

    let (options, state) = rp.begin_authentication(vec![credential], REQUIRED);
    let assertion = authenticator.sign_in(&options, ORIGIN).expect("sign in");
    let result = rp.finish_authentication(&assertion, &state).expect("accepted");
    assert!(
        result.backup_eligible() && result.backup_state(),
        "BE=1 BS=1 at sign-in"
    );
}

#[test]
fn backup_state_flip_shows_in_later_assertions() {
    let rp = Rp::new();
    let mut authenticator = SoftAuthenticator::new(AAGUID).backup(true, false);
    let (options, state) = rp.begin_registration(REQUIRED, None);
    let response = authenticator.register(&options, ORIGIN).expect("register");
    let credential = rp.finish_registration(&response, &state, None).expect("accepted");
    assert!(!credential.backup_state, "BS=0 at registration");

    authenticator.set_backup_state(&credential.cred_id, true);
    let (options, state) = rp.begin_authentication(vec![credential], REQUIRED);
    let assertion = authenticator.sign_in(&options, ORIGIN).expect("sign in");
    let result = rp.finish_authentication(&assertion, &state).expect("accepted");

    assert!(result.backup_state(), "BS flipped to 1");
    assert!(result.needs_update(), "core asks to store the new backup state");
}

#[test]
fn user_not_verified_is_rejected_when_required() {
    let rp = Rp::new();
    let mut authenticator = SoftAuthenticator::new(AAGUID).user_verified(false);

    let (options, state) = rp.begin_registration(REQUIRED, None);
    let response = authenticator.register(&options, ORIGIN).expect("register");
    let rejected = rp.finish_registration(&response, &state, None);
    assert!(
        matches!(rejected, Err(Rejection::Webauthn(WebauthnError::UserNotVerified))),
        "UV=0 under a required policy: {rejected:?}"
    );

    let (options, state) = rp.begin_registration(UserVerificationPolicy::Discouraged_DO_NOT_USE, None);
    let response = authenticator.register(&options, ORIGIN).expect("register");
    let credential = rp
        .finish_registration(&response, &state, None)
        .expect("UV=0 is fine when discouraged");
    assert!(!credential.user_verified);
}

#[test]
fn discoverable_sign_in_returns_the_user_handle() {
    let rp = Rp::new();
    let mut authenticator = SoftAuthenticator::new(AAGUID);
    let (options, state) = rp.begin_registration(REQUIRED, None);
    let response = authenticator.register(&options, ORIGIN).expect("register");
    let credential = rp.finish_registration(&response, &state, None).expect("accepted");

    let (options, mut state) = rp.begin_authentication(Vec::new(), REQUIRED);
    assert_eq!(
        options["allowCredentials"],
        json!([]),
        "a discoverable request lists no credentials"
    );
    let assertion = authenticator
        .sign_in(&options, ORIGIN)
        .expect("sign in without allowCredentials");

    let user_handle = assertion["response"]["userHandle"]
        .as_str()
        .expect("userHandle is present");
    assert_eq!(
        user_handle, "BwcHBwcHBwcHBwcHBwcHBw",
        "the user handle is user.id from registration"
    );
    assert_eq!(authenticator.user_handle(&credential.cred_id), Some(USER_ID.as_slice()));
    // The RP finds the user by the handle, then the credential among theirs.
    state.set_allowed_credentials(vec![credential]);
    rp.finish_authentication(&assertion, &state)
        .expect("core accepts the discoverable assertion");
}

#[test]
fn counter_starts_where_told_and_increments_per_assertion() {
    let rp = Rp::new();
    let mut authenticator = SoftAuthenticator::new(AAGUID).counter_start(10);
    let (options, state) = rp.begin_registration(REQUIRED, None);
    let response = authenticator.register(&options, ORIGIN).expect("register");
    let mut credential = rp.finish_registration(&response, &state, None).expect("accepted");
    assert_eq!(credential.counter, 10);

    for expected in [11, 12] {
        let (options, state) = rp.begin_authentication(vec![credential.clone()], REQUIRED);
        let assertion = authenticator.sign_in(&options, ORIGIN).expect("sign in");
        let result = rp.finish_authentication(&assertion, &state).expect("accepted");
        assert_eq!(result.counter(), expected, "assertion counter");
        credential.counter = result.counter();
    }
    assert_eq!(authenticator.counter(&credential.cred_id), Some(12));

    authenticator.set_counter(&credential.cred_id, 5);
    let (options, state) = rp.begin_authentication(vec![credential], REQUIRED);
    let assertion = authenticator.sign_in(&options, ORIGIN).expect("sign in");
    let rejected = rp.finish_authentication(&assertion, &state);
    assert!(
        matches!(
            rejected,
            Err(Rejection::Webauthn(WebauthnError::CredentialPossibleCompromise))
        ),
        "a counter regression (12 -> 6) is flagged: {rejected:?}"
    );
}

#[test]
fn sign_in_uses_the_listed_credential_and_the_rp_id() {
    let rp = Rp::new();
    let mut authenticator = SoftAuthenticator::new(AAGUID);
    let mut credentials = Vec::new();
    for _ in 0..2 {
        let (options, state) = rp.begin_registration(REQUIRED, None);
        let response = authenticator.register(&options, ORIGIN).expect("register");
        credentials.push(rp.finish_registration(&response, &state, None).expect("accepted"));
    }
    assert_eq!(authenticator.credential_ids().len(), 2);

    let first = credentials[0].clone();
    let (options, state) = rp.begin_authentication(vec![first.clone()], REQUIRED);
    let assertion = authenticator.sign_in(&options, ORIGIN).expect("sign in");
    let first_id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&authenticator.credential_ids()[0]);
    assert_eq!(assertion["rawId"], first_id.as_str(), "the listed credential answers");
    rp.finish_authentication(&assertion, &state).expect("accepted");

    let (options, _) = rp.begin_authentication(credentials, REQUIRED);
    let mut other_rp = options.clone();
    other_rp["rpId"] = json!("other.test");
    assert_eq!(
        authenticator.sign_in(&other_rp, "https://other.test"),
        Err(SoftError::NoCredential {
            rp_id: "other.test".to_string()
        })
    );
}

#[test]
fn excluded_credentials_are_refused() {
    let rp = Rp::new();
    let mut authenticator = SoftAuthenticator::new(AAGUID);
    let (options, _) = rp.begin_registration(REQUIRED, None);
    authenticator.register(&options, ORIGIN).expect("register");

    let (options, _) = rp.begin_registration(REQUIRED, Some(authenticator.credential_ids()));
    assert_eq!(
        authenticator.register(&options, ORIGIN),
        Err(SoftError::CredentialExcluded)
    );
}

#[test]
fn only_es256_is_offered_or_refused() {
    let rp = Rp::new();
    let mut authenticator = SoftAuthenticator::new(AAGUID);
    let (mut options, _) = rp.begin_registration(REQUIRED, None);
    options["pubKeyCredParams"] = json!([{ "type": "public-key", "alg": -257 }]);
    assert_eq!(
        authenticator.register(&options, ORIGIN),
        Err(SoftError::NoSupportedAlgorithm)
    );

    options["challenge"] = json!("not base64!");
    assert!(matches!(
        authenticator.register(&options, ORIGIN),
        Err(SoftError::InvalidOptions(_))
    ));
}

#[test]
fn a_wrong_origin_or_rp_id_is_signed_but_rejected() {
    let rp = Rp::new();
    let mut authenticator = SoftAuthenticator::new(AAGUID);

    let (options, state) = rp.begin_registration(REQUIRED, None);
    let response = authenticator.register(&options, "https://evil.test").expect("register");
    let rejected = rp.finish_registration(&response, &state, None);
    assert!(
        matches!(rejected, Err(Rejection::Webauthn(WebauthnError::InvalidRPOrigin))),
        "origin: {rejected:?}"
    );

    let (mut options, state) = rp.begin_registration(REQUIRED, None);
    options["rp"]["id"] = json!("evil.test");
    let response = authenticator.register(&options, ORIGIN).expect("register");
    let rejected = rp.finish_registration(&response, &state, None);
    assert!(
        matches!(rejected, Err(Rejection::Webauthn(WebauthnError::InvalidRPIDHash))),
        "rp id: {rejected:?}"
    );
}

#[test]
fn fmt_override_writes_a_format_the_statement_does_not_match() {
    let rp = Rp::new();
    let mut authenticator = SoftAuthenticator::new(AAGUID)
        .attestation(Attestation::SelfPacked)
        .fmt_override("fido-u2f");
    let (options, state) = rp.begin_registration(REQUIRED, None);
    let response = authenticator.register(&options, ORIGIN).expect("register");
    let rejected = rp.finish_registration(&response, &state, None);
    assert!(rejected.is_err(), "a packed statement under fmt fido-u2f is rejected");
}

#[test]
fn respect_conveyance_sends_none_when_none_is_asked() {
    let ca = Arc::new(TestCa::generate("Conveyance Root"));
    let mut authenticator = SoftAuthenticator::new(AAGUID)
        .attestation(Attestation::Packed(ca))
        .respect_conveyance(true);
    let options = json!({
        "rp": { "id": RP_ID, "name": "Example" },
        "user": { "id": "AQID", "name": "alice", "displayName": "Alice" },
        "challenge": "AAAAAAAAAAAAAAAAAAAAAA",
        "pubKeyCredParams": [{ "type": "public-key", "alg": -7 }],
        "attestation": "none",
        "extensions": { "credProps": true },
    });
    let response = authenticator.register(&options, ORIGIN).expect("register");
    let fmt = keywarden_testkit::tamper::attestation_object(&response, |object| {
        assert_eq!(
            object.get(&serde_cbor_2::Value::Text("fmt".to_string())),
            Some(&serde_cbor_2::Value::Text("none".to_string()))
        );
    });
    assert_eq!(fmt, response, "the edit changed nothing");
    assert_eq!(
        response["clientExtensionResults"],
        json!({ "credProps": { "rk": true } })
    );
}

/// Not a benchmark, but it prints the rate (best of three rounds, as other processes share the CPU): run
/// `cargo test --release -p keywarden-testkit --test it registration_rate -- --nocapture`.
#[test]
fn registration_rate() {
    let ca = Arc::new(TestCa::generate("Rate Root"));
    let rp = Rp::new();
    let (options, _) = rp.begin_registration(REQUIRED, None);
    for (label, attestation) in [("none", Attestation::None), ("packed+x5c", Attestation::Packed(ca))] {
        let mut authenticator = SoftAuthenticator::new(AAGUID).attestation(attestation);
        let n = 200;
        let best = (0..3)
            .map(|_| {
                let started = Instant::now();
                for _ in 0..n {
                    authenticator.register(&options, ORIGIN).expect("register");
                }
                started.elapsed()
            })
            .min()
            .expect("three rounds ran");
        let rate = f64::from(n) / best.as_secs_f64();
        eprintln!("{label}: {rate:.0} registrations/s (single thread)");
    }
}
