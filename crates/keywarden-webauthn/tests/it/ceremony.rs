//! Whole ceremonies through `RelyingParty`: options as the browser receives them, then responses from a small
//! software authenticator written here (ES256, `none` attestation, any flags and counter), verified by finish.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use crypto_glue::ecdsa_p256::{EcdsaP256DerSignature, EcdsaP256SigningKey, new_key};
use crypto_glue::traits::{Digest, Signer};
use keywarden_domain::metadata::Catalog;
use keywarden_domain::platform::CeremonyPath;
use keywarden_domain::registration::{AttestationFormat, AttestationType, Trust};
use keywarden_domain::{Aaguid, Code};
use keywarden_webauthn::{
    Conveyance, PendingCeremony, RegistrationRequest, RelyingParty, StoredCredential, VerifiedRegistration,
    peek_assertion,
};
use serde_cbor_2::Value as Cbor;
use serde_json::{Value, json};
use time::macros::datetime;

const ORIGIN: &str = "http://localhost:8080";
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;
const AT: u8 = 0x40;
const AAGUID: [u8; 16] = [
    0xbd, 0xa5, 0x56, 0x66, 0xa7, 0xaa, 0x40, 0x1f, 0xbd, 0x96, 0x45, 0x61, 0x9a, 0x55, 0x12, 0x0d,
];

fn relying_party() -> RelyingParty {
    RelyingParty::new("localhost", "keywarden test", &[ORIGIN.to_string()]).expect("valid relying party")
}

fn catalog() -> Catalog {
    let mut catalog = Catalog::default();
    catalog
        .fallback_names
        .insert(Aaguid::from_bytes(AAGUID), "Test Passkey Provider".into());
    catalog
}

fn request(path: Option<CeremonyPath>) -> RegistrationRequest {
    RegistrationRequest {
        user_handle: vec![42; 16],
        user_name: "alice@contoso.com".into(),
        display_name: "Alice".into(),
        exclude_credentials: vec![vec![9; 16]],
        attestation: Conveyance::Direct,
        timeout: Duration::from_secs(120),
        path,
    }
}

fn sha256(data: &[u8]) -> Vec<u8> {
    crypto_glue::s256::Sha256::digest(data).to_vec()
}

fn b64url(data: &[u8]) -> String {
    B64URL.encode(data)
}

/// A platform authenticator holding one ES256 passkey.
struct SoftAuthenticator {
    key: EcdsaP256SigningKey,
    credential_id: Vec<u8>,
    counter: u32,
}

impl SoftAuthenticator {
    fn new(credential_id: &[u8]) -> SoftAuthenticator {
        SoftAuthenticator {
            key: EcdsaP256SigningKey::from(&new_key()),
            credential_id: credential_id.to_vec(),
            counter: 0,
        }
    }

    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_sec1_point(false);
        let mut members = BTreeMap::new();
        members.insert(Cbor::Integer(1), Cbor::Integer(2));
        members.insert(Cbor::Integer(3), Cbor::Integer(-7));
        members.insert(Cbor::Integer(-1), Cbor::Integer(1));
        members.insert(
            Cbor::Integer(-2),
            Cbor::Bytes(point.x().expect("uncompressed point").to_vec()),
        );
        members.insert(
            Cbor::Integer(-3),
            Cbor::Bytes(point.y().expect("uncompressed point").to_vec()),
        );
        serde_cbor_2::to_vec(&Cbor::Map(members)).expect("COSE key encodes")
    }

    /// A RegistrationResponseJSON for creation options, with a `none` statement and the given flags.
    fn register(&self, options: &Value, origin: &str, flags: u8) -> Value {
        let client_data = json!({
            "type": "webauthn.create",
            "challenge": options["challenge"],
            "origin": origin,
            "crossOrigin": false,
        })
        .to_string();
        let mut auth_data = sha256(options["rp"]["id"].as_str().expect("rp.id").as_bytes());
        auth_data.push(flags | AT);
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        auth_data.extend_from_slice(&AAGUID);
        auth_data.extend_from_slice(&u16::try_from(self.credential_id.len()).expect("short id").to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&self.cose_key());
        let mut object = BTreeMap::new();
        object.insert(Cbor::Text("fmt".into()), Cbor::Text("none".into()));
        object.insert(Cbor::Text("attStmt".into()), Cbor::Map(BTreeMap::new()));
        object.insert(Cbor::Text("authData".into()), Cbor::Bytes(auth_data));
        let attestation_object = serde_cbor_2::to_vec(&Cbor::Map(object)).expect("attestation object encodes");
        json!({
            "id": b64url(&self.credential_id),
            "rawId": b64url(&self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64url(client_data.as_bytes()),
                "attestationObject": b64url(&attestation_object),
                "transports": ["internal", "hybrid"],
            },
            "clientExtensionResults": {"credProps": {"rk": true}},
        })
    }

    /// An AuthenticationResponseJSON for request options; the counter goes up by one.
    fn sign_in(&mut self, options: &Value, flags: u8) -> Value {
        self.counter += 1;
        let client_data = json!({
            "type": "webauthn.get",
            "challenge": options["challenge"],
            "origin": ORIGIN,
            "crossOrigin": false,
        })
        .to_string();
        let mut auth_data = sha256(options["rpId"].as_str().expect("rpId").as_bytes());
        auth_data.push(flags);
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        let signed = [auth_data.as_slice(), &sha256(client_data.as_bytes())].concat();
        let signature: EcdsaP256DerSignature = self.key.sign(&signed);
        json!({
            "id": b64url(&self.credential_id),
            "rawId": b64url(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data.as_bytes()),
                "authenticatorData": b64url(&auth_data),
                "signature": b64url(signature.as_bytes()),
                "userHandle": b64url(&[42; 16]),
            },
            "clientExtensionResults": {},
        })
    }
}

fn contains_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().any(contains_null),
        Value::Object(members) => members.values().any(contains_null),
        _ => false,
    }
}

fn is_base64url(value: &Value) -> bool {
    value.as_str().is_some_and(|text| B64URL.decode(text).is_ok())
}

fn registered(authenticator: &SoftAuthenticator) -> VerifiedRegistration {
    let rp = relying_party();
    let (options, pending) = rp.begin_registration(&request(None)).expect("options");
    let response = authenticator.register(&options, ORIGIN, UP | UV | BE | BS);
    rp.finish_registration(&response, &pending, &catalog(), datetime!(2026-11-25 12:00 UTC))
        .expect("registration verifies")
}

#[test]
fn creation_options_are_level_3_json_without_nulls() {
    let (options, _) = relying_party()
        .begin_registration(&request(Some(CeremonyPath::ThisDevice)))
        .expect("options");
    assert!(!contains_null(&options), "{options:#}");
    assert!(is_base64url(&options["challenge"]), "challenge is base64url");
    assert!(is_base64url(&options["user"]["id"]), "user.id is base64url");
    assert_eq!(options["user"]["id"], b64url(&[42; 16]));
    assert_eq!(options["rp"], json!({"id": "localhost", "name": "keywarden test"}));
    let algorithms: Vec<i64> = options["pubKeyCredParams"]
        .as_array()
        .expect("pubKeyCredParams")
        .iter()
        .map(|p| {
            assert_eq!(p["type"], "public-key");
            p["alg"].as_i64().expect("alg")
        })
        .collect();
    assert_eq!(algorithms, vec![-7, -257]);
    let selection = &options["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "required");
    assert_eq!(selection["requireResidentKey"], true);
    assert_eq!(selection["userVerification"], "required");
    assert_eq!(selection["authenticatorAttachment"], "platform");
    assert_eq!(options["hints"], json!(["client-device"]));
    assert_eq!(options["timeout"], 120_000);
    assert_eq!(options["attestation"], "direct");
    assert_eq!(options["extensions"], json!({"credProps": true}));
    assert_eq!(
        options["excludeCredentials"],
        json!([{"type": "public-key", "id": b64url(&[9; 16])}])
    );
}

#[test]
fn platform_path_sets_hints_and_attachment() {
    for (path, hint, attachment) in [
        (Some(CeremonyPath::Phone), Some("hybrid"), Some("cross-platform")),
        (
            Some(CeremonyPath::SecurityKey),
            Some("security-key"),
            Some("cross-platform"),
        ),
        (None, None, None),
    ] {
        let (options, _) = relying_party().begin_registration(&request(path)).expect("options");
        assert_eq!(options["hints"][0].as_str(), hint, "{path:?}");
        assert_eq!(
            options["authenticatorSelection"]["authenticatorAttachment"].as_str(),
            attachment,
            "{path:?}"
        );
        if path.is_none() {
            assert!(options.get("hints").is_none(), "no hints member without a path");
        }
    }
}

#[test]
fn attestation_none_is_requested_when_asked() {
    let mut without = request(None);
    without.attestation = Conveyance::None;
    let (options, _) = relying_party().begin_registration(&without).expect("options");
    assert_eq!(options["attestation"], "none");
}

#[test]
fn empty_user_handle_is_an_invalid_request() {
    let mut empty = request(None);
    empty.user_handle.clear();
    assert!(relying_party().begin_registration(&empty).is_err());
}

#[test]
fn registration_yields_facts_and_a_stored_credential() {
    let authenticator = SoftAuthenticator::new(&[1; 16]);
    let verified = registered(&authenticator);
    let facts = &verified.facts;
    assert_eq!(verified.credential_id, vec![1; 16]);
    assert_eq!(verified.public_key, authenticator.cose_key());
    assert_eq!(facts.format, AttestationFormat::None);
    assert_eq!(facts.attestation_type, AttestationType::None);
    assert_eq!(facts.trust, Trust::Absent);
    assert_eq!(facts.aaguid, Aaguid::from_bytes(AAGUID));
    assert_eq!(facts.model.as_deref(), Some("Test Passkey Provider"));
    assert!(facts.flags.user_present && facts.flags.user_verified);
    assert!(facts.flags.backup_eligible && facts.flags.backup_state);
    assert_eq!(facts.algorithm, -7);
    assert_eq!(facts.transports, vec!["hybrid".to_string(), "internal".to_string()]);
    assert!(!verified.stored.0.is_empty());
}

#[test]
fn sign_in_round_trip_updates_the_counter_and_refuses_a_replay() {
    let rp = relying_party();
    let mut authenticator = SoftAuthenticator::new(&[2; 16]);
    let stored = registered(&authenticator).stored;

    let (options, pending) = rp
        .begin_sign_in(std::slice::from_ref(&stored))
        .expect("request options");
    assert!(!contains_null(&options), "{options:#}");
    assert_eq!(options["userVerification"], "required");
    assert_eq!(options["rpId"], "localhost");
    assert_eq!(options["allowCredentials"][0]["id"], b64url(&[2; 16]));
    let response = authenticator.sign_in(&options, UP | UV | BE | BS);

    let (credential_id, user_handle) = peek_assertion(&response).expect("readable");
    assert_eq!(credential_id, vec![2; 16]);
    assert_eq!(user_handle, Some(vec![42; 16]));

    let verified = rp
        .finish_sign_in(&response, &pending, &stored)
        .expect("assertion verifies");
    assert_eq!(verified.sign_count, 1);
    assert!(verified.user_verified && verified.backup_eligible && verified.backup_state);
    assert_ne!(verified.stored, stored, "the counter is stored");

    let replay = rp
        .finish_sign_in(&response, &pending, &verified.stored)
        .expect_err("replayed counter");
    assert_eq!(replay.code, Code::SignCountRegressed);
}

#[test]
fn discoverable_sign_in_offers_no_credentials_and_accepts_the_one_found() {
    let rp = relying_party();
    let mut authenticator = SoftAuthenticator::new(&[3; 16]);
    let stored = registered(&authenticator).stored;
    let (options, pending) = rp.begin_sign_in(&[]).expect("request options");
    assert_eq!(options["allowCredentials"], json!([]));
    let response = authenticator.sign_in(&options, UP | UV | BE | BS);
    assert!(rp.finish_sign_in(&response, &pending, &stored).is_ok());
}

#[test]
fn tampered_assertion_signature_is_refused() {
    let rp = relying_party();
    let mut authenticator = SoftAuthenticator::new(&[4; 16]);
    let stored = registered(&authenticator).stored;
    let (options, pending) = rp
        .begin_sign_in(std::slice::from_ref(&stored))
        .expect("request options");
    let mut response = authenticator.sign_in(&options, UP | UV | BE | BS);
    let other = SoftAuthenticator::new(&[4; 16]).sign_in(&options, UP | UV | BE | BS);
    response["response"]["signature"] = other["response"]["signature"].clone();
    let rejection = rp.finish_sign_in(&response, &pending, &stored).expect_err("wrong key");
    assert_eq!(rejection.code, Code::SignatureInvalid);
}

#[test]
fn sign_in_without_user_verification_is_refused() {
    let rp = relying_party();
    let mut authenticator = SoftAuthenticator::new(&[5; 16]);
    let stored = registered(&authenticator).stored;
    let (options, pending) = rp
        .begin_sign_in(std::slice::from_ref(&stored))
        .expect("request options");
    let response = authenticator.sign_in(&options, UP | BE | BS);
    let rejection = rp.finish_sign_in(&response, &pending, &stored).expect_err("no UV");
    assert_eq!(rejection.code, Code::UserVerificationNotPerformed);
}

#[test]
fn credential_not_offered_for_the_sign_in_is_unknown() {
    let rp = relying_party();
    let offered = registered(&SoftAuthenticator::new(&[6; 16])).stored;
    let mut other = SoftAuthenticator::new(&[7; 16]);
    let other_stored = registered(&other).stored;
    let (options, pending) = rp.begin_sign_in(&[offered]).expect("request options");
    let response = other.sign_in(&options, UP | UV | BE | BS);
    let rejection = rp
        .finish_sign_in(&response, &pending, &other_stored)
        .expect_err("not offered");
    assert_eq!(rejection.code, Code::UnknownCredential);
}

#[test]
fn excluded_credential_is_already_registered() {
    let rp = relying_party();
    let (options, pending) = rp.begin_registration(&request(None)).expect("options");
    let response = SoftAuthenticator::new(&[9; 16]).register(&options, ORIGIN, UP | UV);
    let rejection = rp
        .finish_registration(&response, &pending, &catalog(), datetime!(2026-11-25 12:00 UTC))
        .expect_err("excluded");
    assert_eq!(rejection.code, Code::CredentialAlreadyRegistered);
}

#[test]
fn registration_without_user_verification_is_refused() {
    let rp = relying_party();
    let (options, pending) = rp.begin_registration(&request(None)).expect("options");
    let response = SoftAuthenticator::new(&[10; 16]).register(&options, ORIGIN, UP);
    let rejection = rp
        .finish_registration(&response, &pending, &catalog(), datetime!(2026-11-25 12:00 UTC))
        .expect_err("no UV");
    assert_eq!(rejection.code, Code::UserVerificationNotPerformed);
}

#[test]
fn response_to_another_ceremony_is_refused() {
    let rp = relying_party();
    let (first, _) = rp.begin_registration(&request(None)).expect("options");
    let (_, second_pending) = rp.begin_registration(&request(None)).expect("options");
    let response = SoftAuthenticator::new(&[11; 16]).register(&first, ORIGIN, UP | UV);
    let rejection = rp
        .finish_registration(&response, &second_pending, &catalog(), datetime!(2026-11-25 12:00 UTC))
        .expect_err("other challenge");
    assert_eq!(rejection.code, Code::ChallengeUnknown);
}

#[test]
fn response_from_another_origin_is_refused() {
    let rp = relying_party();
    let (options, pending) = rp.begin_registration(&request(None)).expect("options");
    let response = SoftAuthenticator::new(&[12; 16]).register(&options, "https://evil.example", UP | UV);
    let rejection = rp
        .finish_registration(&response, &pending, &catalog(), datetime!(2026-11-25 12:00 UTC))
        .expect_err("other origin");
    assert_eq!(rejection.code, Code::OriginMismatch);
}

#[test]
fn response_for_another_rp_id_is_refused() {
    let rp = relying_party();
    let (mut options, pending) = rp.begin_registration(&request(None)).expect("options");
    options["rp"]["id"] = json!("example.com");
    let response = SoftAuthenticator::new(&[13; 16]).register(&options, ORIGIN, UP | UV);
    let rejection = rp
        .finish_registration(&response, &pending, &catalog(), datetime!(2026-11-25 12:00 UTC))
        .expect_err("other rp id");
    assert_eq!(rejection.code, Code::RpIdMismatch);
}

#[test]
fn sign_in_state_cannot_finish_a_registration() {
    let rp = relying_party();
    let (_, sign_in_pending) = rp.begin_sign_in(&[]).expect("request options");
    let (options, _) = rp.begin_registration(&request(None)).expect("options");
    let response = SoftAuthenticator::new(&[14; 16]).register(&options, ORIGIN, UP | UV);
    let rejection = rp
        .finish_registration(&response, &sign_in_pending, &catalog(), datetime!(2026-11-25 12:00 UTC))
        .expect_err("wrong kind of state");
    assert_eq!(rejection.code, Code::ChallengeUnknown);
}

#[test]
fn garbage_responses_are_malformed_and_unreadable_state_is_internal() {
    let rp = relying_party();
    let (_, pending) = rp.begin_registration(&request(None)).expect("options");
    for garbage in [
        json!(null),
        json!("text"),
        json!({"id": "AA"}),
        json!({"id": "AA", "rawId": "AA", "type": "public-key", "response": {"clientDataJSON": "!!", "attestationObject": "AA"}}),
    ] {
        let rejection = rp
            .finish_registration(&garbage, &pending, &catalog(), datetime!(2026-11-25 12:00 UTC))
            .expect_err("garbage");
        assert_eq!(rejection.code, Code::MalformedResponse, "{garbage}");
    }
    let rejection = rp
        .finish_registration(
            &json!({}),
            &PendingCeremony("not json".into()),
            &catalog(),
            datetime!(2026-11-25 12:00 UTC),
        )
        .expect_err("unreadable state");
    assert_eq!(rejection.code, Code::InternalError);
    assert!(rp.begin_sign_in(&[StoredCredential("not json".into())]).is_err());
}
