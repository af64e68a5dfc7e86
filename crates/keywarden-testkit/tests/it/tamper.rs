//! Each tamper function breaks a valid response in the way it says, and webauthn-rs-core rejects the result.

use std::sync::Arc;

use keywarden_testkit::{Attestation, SoftAuthenticator, TestCa, flags, tamper};
use serde_json::Value;
use webauthn_rs_core::error::WebauthnError;
use webauthn_rs_core::proto::{AttestationCaList, Credential, UserVerificationPolicy};

use crate::support::{AAGUID, ORIGIN, Rejection, Rp, ca_list};

const REQUIRED: UserVerificationPolicy = UserVerificationPolicy::Required;

/// Registers a packed credential (so that the statement has a signature and an x5c) and lets `check` see
/// how core answers tampered copies of the response.
fn with_registration(check: impl Fn(&dyn Fn(&Value) -> Result<Credential, Rejection>, &Value)) {
    let rp = Rp::new();
    let ca = Arc::new(TestCa::generate("Tamper Root"));
    let cas: AttestationCaList = ca_list(&ca, AAGUID);
    let mut authenticator = SoftAuthenticator::new(AAGUID).attestation(Attestation::Packed(ca));
    let (options, state) = rp.begin_registration(REQUIRED, None);
    let response = authenticator.register(&options, ORIGIN).expect("register");
    let finish = |r: &Value| rp.finish_registration(r, &state, Some(&cas));
    finish(&response).expect("the untampered response is accepted");
    check(&finish, &response);
}

/// How the relying party must refuse a tampered response.
enum Expected {
    /// With this webauthn-rs-core error (compared by variant).
    Core(WebauthnError),
    /// With some webauthn-rs-core error.
    AnyCore,
    /// Already when deserializing the JSON.
    Json,
}

use Expected::{AnyCore, Core, Json};

#[track_caller]
fn rejected<T: std::fmt::Debug>(case: &str, result: Result<T, Rejection>, expected: &Expected) {
    let rejection = match result {
        Ok(accepted) => panic!("{case}: accepted {accepted:?}"),
        Err(rejection) => rejection,
    };
    let as_expected = match (expected, &rejection) {
        (Core(want), Rejection::Webauthn(got)) => std::mem::discriminant(want) == std::mem::discriminant(got),
        (AnyCore, Rejection::Webauthn(_)) | (Json, Rejection::Json(_)) => true,
        _ => false,
    };
    assert!(as_expected, "{case}: rejected, but with {rejection:?}");
}

#[test]
fn tampered_registrations_are_rejected() {
    with_registration(|finish, ok| {
        let cases = [
            (
                "wrong origin",
                tamper::origin(ok, "https://evil.test"),
                Core(WebauthnError::InvalidRPOrigin),
            ),
            (
                "replaced challenge",
                tamper::challenge(ok, &[0; 32]),
                Core(WebauthnError::MismatchedChallenge),
            ),
            (
                "get instead of create",
                tamper::ceremony_type(ok, "webauthn.get"),
                Core(WebauthnError::InvalidClientDataType),
            ),
            (
                "client data not JSON",
                tamper::client_data_bytes(ok, b"not json"),
                AnyCore,
            ),
            (
                "wrong rpIdHash",
                tamper::rp_id_hash(ok, "evil.test"),
                Core(WebauthnError::InvalidRPIDHash),
            ),
            (
                "UP cleared",
                tamper::flags(ok, 0, flags::UP),
                Core(WebauthnError::UserNotPresent),
            ),
            (
                "UV cleared",
                tamper::flags(ok, 0, flags::UV),
                Core(WebauthnError::UserNotVerified),
            ),
            ("bad signature", tamper::signature(ok), AnyCore),
            ("signature removed", tamper::remove_att_stmt_field(ok, "sig"), AnyCore),
            (
                "other AAGUID",
                tamper::aaguid(ok, keywarden_domain::Aaguid::from_bytes([5; 16])),
                AnyCore,
            ),
            ("fmt fido-u2f", tamper::fmt(ok, "fido-u2f"), AnyCore),
            (
                "truncated attestation object",
                tamper::truncate_attestation_object(ok),
                AnyCore,
            ),
            (
                "trailing bytes after the attestation object",
                tamper::attestation_object_trailing_bytes(ok, &[0x00]),
                AnyCore,
            ),
            ("attestation object not CBOR", tamper::invalid_cbor(ok), AnyCore),
            ("truncated authData", tamper::truncate_auth_data(ok, 36), AnyCore),
            (
                "clientDataJSON not base64url",
                tamper::invalid_base64(ok, "/response/clientDataJSON"),
                Json,
            ),
            ("rawId removed", tamper::remove(ok, "/rawId"), Json),
        ];
        for (case, response, expected) in cases {
            rejected(case, finish(&response), &expected);
        }
    });
}

#[test]
fn x5c_from_another_ca_is_not_trusted() {
    let other = TestCa::generate("Other Root");
    with_registration(|finish, ok| {
        let response = tamper::x5c(ok, &[other.attestation_cert_der(AAGUID)]);
        rejected("x5c of another CA", finish(&response), &AnyCore);
    });
}

#[test]
fn tampered_assertions_are_rejected() {
    let rp = Rp::new();
    let mut authenticator = SoftAuthenticator::new(AAGUID);
    let (options, state) = rp.begin_registration(REQUIRED, None);
    let response = authenticator.register(&options, ORIGIN).expect("register");
    let credential = rp.finish_registration(&response, &state, None).expect("accepted");
    let (options, state) = rp.begin_authentication(vec![credential], REQUIRED);
    let ok = &authenticator.sign_in(&options, ORIGIN).expect("sign in");
    rp.finish_authentication(ok, &state)
        .expect("the untampered assertion is accepted");

    let cases = [
        (
            "wrong origin",
            tamper::origin(ok, "https://evil.test"),
            Core(WebauthnError::InvalidRPOrigin),
        ),
        (
            "replaced challenge",
            tamper::challenge(ok, &[1; 32]),
            Core(WebauthnError::MismatchedChallenge),
        ),
        (
            "create instead of get",
            tamper::ceremony_type(ok, "webauthn.create"),
            Core(WebauthnError::InvalidClientDataType),
        ),
        (
            "wrong rpIdHash",
            tamper::rp_id_hash(ok, "evil.test"),
            Core(WebauthnError::InvalidRPIDHash),
        ),
        (
            "bad signature",
            tamper::signature(ok),
            Core(WebauthnError::AuthenticationFailure),
        ),
        ("raised counter, signature stale", tamper::sign_count(ok, 99), AnyCore),
        ("UV cleared", tamper::flags(ok, 0, flags::UV), AnyCore),
        ("unknown credential id", tamper::raw_id(ok, &[0xab; 16]), AnyCore),
        (
            "truncated authenticatorData",
            tamper::truncate_auth_data(ok, 20),
            AnyCore,
        ),
        (
            "signature not base64url",
            tamper::invalid_base64(ok, "/response/signature"),
            Json,
        ),
        ("signature removed", tamper::remove(ok, "/response/signature"), Json),
    ];
    for (case, response, expected) in cases {
        rejected(case, rp.finish_authentication(&response, &state), &expected);
    }
}

#[test]
fn edits_touch_only_what_they_name() {
    let mut authenticator = SoftAuthenticator::new(AAGUID);
    let (options, _) = Rp::new().begin_registration(REQUIRED, None);
    let response = authenticator.register(&options, ORIGIN).expect("register");

    let other_id = tamper::id(&response, &[1, 2, 3]);
    assert_eq!(other_id["id"], "AQID");
    assert_eq!(other_id["rawId"], response["rawId"], "rawId is left alone");

    let flagged = tamper::flags(&response, flags::BE | flags::BS, 0);
    let auth_data = |r: &Value| {
        r["response"]["authenticatorData"]
            .as_str()
            .expect("present")
            .to_string()
    };
    assert_ne!(
        auth_data(&flagged),
        auth_data(&response),
        "the authenticatorData copy follows the edit"
    );
    let mut flag_byte = None;
    tamper::auth_data(&flagged, |a| flag_byte = Some(a[32]));
    assert_eq!(
        flag_byte,
        Some(flags::UP | flags::UV | flags::AT | flags::BE | flags::BS)
    );

    let crossed = tamper::cross_origin(&response, Some("https://top.test"));
    let mut client_data = None;
    tamper::client_data(&crossed, |c| client_data = Some(c.clone()));
    let client_data = client_data.expect("the edit ran");
    assert_eq!(client_data["crossOrigin"], true);
    assert_eq!(client_data["topOrigin"], "https://top.test");
    assert_eq!(client_data["origin"], ORIGIN);

    let null_handle = tamper::user_handle(&serde_json::json!({ "response": { "userHandle": "AQ" } }), None);
    assert_eq!(null_handle["response"]["userHandle"], Value::Null);
}
