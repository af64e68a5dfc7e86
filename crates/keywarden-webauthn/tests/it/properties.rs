//! Property tests of every parser here that reads untrusted bytes: registration and sign-in responses (their JSON,
//! clientDataJSON, the CBOR attestation object, the authenticator data, signatures and user handles), credential
//! public keys kept elsewhere (`StoredCredential::from_cose_key`) and FIDO metadata (payload, name lists, the
//! signed BLOB). No input may panic, and every refusal must carry one of the codes documented for that parser.
//!
//! Inputs are arbitrary values and mutations (byte flips, truncations, splices, substitutions) of responses that
//! verify: keywarden-testkit's `SoftAuthenticator` (none, packed self and packed x5c attestation) and the recorded
//! vectors of `../shared/vectors`. A mutated response may still verify only where nothing signs what was changed,
//! and then what was accepted must be what was sent. Each property runs 64 cases (`PROPTEST_CASES` overrides it)
//! and never writes regression files.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use crypto_glue::traits::Digest;
use keywarden_domain::metadata::Catalog;
use keywarden_domain::{Aaguid, Code};
use keywarden_testkit::{Attestation, SoftAuthenticator, TestCa, metadata_entry, tamper};
use keywarden_webauthn::metadata::{MetadataError, globalsign_roots, load_blob, load_fallback_names, load_payload};
use keywarden_webauthn::{
    Conveyance, CredentialFlags, OfflineAssertionOptions, OfflineOptions, PendingCeremony, RegistrationRequest,
    Rejection, RelyingParty, StoredCredential, VerifiedAssertion, VerifiedRegistration, peek_assertion,
    verify_assertion_offline, verify_offline,
};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::TestCaseError;
use serde_cbor_2::Value as Cbor;
use serde_json::Value;
use time::OffsetDateTime;
use url::Url;

use crate::support::{catalog, origins, read_shared, rfc3339, vectors, verification_time};

const RP_ID: &str = "localhost";
const ORIGIN: &str = "http://localhost:8080";
const AAGUID: &str = "6b657977-6172-6465-6e2d-70726f707465";

/// The codes a registration response may be refused with (`verify_offline` and `finish_registration`). Not
/// `internal_error`: nothing a client sends may look like a failure of the server.
const REGISTRATION_CODES: &[Code] = &[
    Code::MalformedResponse,
    Code::CredentialIdMismatch,
    Code::UnsupportedAlgorithm,
    Code::AttestationInvalid,
    Code::AttestationFormatUnsupported,
    Code::ChallengeUnknown,
    Code::OriginMismatch,
    Code::RpIdMismatch,
    Code::UserVerificationNotPerformed,
];

/// `finish_registration` also refuses a credential the request excluded.
const FINISH_REGISTRATION_CODES: &[Code] = &[
    Code::MalformedResponse,
    Code::CredentialIdMismatch,
    Code::UnsupportedAlgorithm,
    Code::AttestationInvalid,
    Code::AttestationFormatUnsupported,
    Code::ChallengeUnknown,
    Code::OriginMismatch,
    Code::RpIdMismatch,
    Code::UserVerificationNotPerformed,
    Code::CredentialAlreadyRegistered,
];

/// The codes a sign-in response may be refused with (`finish_sign_in` and `verify_assertion_offline`).
const SIGN_IN_CODES: &[Code] = &[
    Code::MalformedResponse,
    Code::CredentialIdMismatch,
    Code::UnknownCredential,
    Code::ChallengeUnknown,
    Code::OriginMismatch,
    Code::RpIdMismatch,
    Code::UserVerificationNotPerformed,
    Code::SignatureInvalid,
    Code::SignCountRegressed,
    Code::CredentialNotAllowedAtSignIn,
];

/// The codes `peek_assertion`, which reads without verifying, may refuse with.
const PEEK_CODES: &[Code] = &[Code::MalformedResponse, Code::CredentialIdMismatch];

/// The codes `StoredCredential::from_cose_key` refuses a public key kept elsewhere with.
const COSE_KEY_CODES: &[Code] = &[Code::MalformedResponse, Code::UnsupportedAlgorithm];

/// 64 cases a property, unless `PROPTEST_CASES` asks for another number; failures are not persisted, so no
/// regression files are written into the repository.
fn config() -> ProptestConfig {
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        ProptestConfig::default().cases
    } else {
        64
    };
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A refusal must carry a code from `allowed` and say something.
fn check_refusal(rejection: &Rejection, allowed: &[Code]) -> Result<(), TestCaseError> {
    prop_assert!(
        allowed.contains(&rejection.code),
        "refused with {}, which is not one of {allowed:?}: {}",
        rejection.code,
        rejection.detail
    );
    prop_assert!(!rejection.detail.is_empty(), "{} without a detail", rejection.code);
    Ok(())
}

fn b64url(bytes: &[u8]) -> String {
    B64URL.encode(bytes)
}

/// Base64 as leniently as any decoder on the way may read it (either alphabet, padded or not, loose trailing
/// bits), for checking what an accepted response said.
fn decode_any(text: &str) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT)
        .decode(text)
        .ok()
        .or_else(|| {
            GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT)
                .decode(text)
                .ok()
        })
}

fn bytes_at(response: &Value, pointer: &str) -> Vec<u8> {
    let text = response
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("the response has a string at {pointer}"));
    decode_any(text).unwrap_or_else(|| panic!("{pointer} is base64"))
}

fn sha256(data: &[u8]) -> Vec<u8> {
    crypto_glue::s256::Sha256::digest(data).to_vec()
}

// ---- mutations ------------------------------------------------------------------------------------------------

/// One change to a byte string.
#[derive(Clone, Debug)]
enum Edit {
    /// XOR one byte with a non-zero mask.
    Flip { at: Index, mask: u8 },
    /// XOR a byte among the first 64, where the fixed headers (rpIdHash, flags, counter, AAGUID) are.
    FlipNearStart { offset: u8, mask: u8 },
    /// Keep only a prefix.
    Truncate { at: Index },
    /// Replace up to `remove` bytes at `at` with `insert` (so also insert or delete).
    Splice { at: Index, remove: usize, insert: Vec<u8> },
    /// Replace everything.
    Replace(Vec<u8>),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<Index>(), 1..=u8::MAX).prop_map(|(at, mask)| Edit::Flip { at, mask }),
        2 => (0..64u8, 1..=u8::MAX).prop_map(|(offset, mask)| Edit::FlipNearStart { offset, mask }),
        2 => any::<Index>().prop_map(|at| Edit::Truncate { at }),
        2 => (any::<Index>(), 0..8usize, vec(any::<u8>(), 0..8))
            .prop_map(|(at, remove, insert)| Edit::Splice { at, remove, insert }),
        1 => vec(any::<u8>(), 0..96).prop_map(Edit::Replace),
    ]
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    vec(edit(), 1..=3)
}

fn apply(bytes: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for edit in edits {
        match edit {
            Edit::Flip { at, mask } => {
                if !out.is_empty() {
                    let i = at.index(out.len());
                    out[i] ^= mask;
                }
            }
            Edit::FlipNearStart { offset, mask } => {
                if !out.is_empty() {
                    let i = usize::from(*offset).min(out.len() - 1);
                    out[i] ^= mask;
                }
            }
            Edit::Truncate { at } => out.truncate(at.index(out.len() + 1)),
            Edit::Splice { at, remove, insert } => {
                let start = at.index(out.len() + 1);
                let end = (start + remove).min(out.len());
                out.splice(start..end, insert.iter().copied());
            }
            Edit::Replace(bytes) => out = bytes.clone(),
        }
    }
    out
}

/// Object keys WebAuthn responses and their parts use, so that arbitrary JSON often has the right names.
const RESPONSE_KEYS: &[&str] = &[
    "id",
    "rawId",
    "type",
    "response",
    "clientDataJSON",
    "attestationObject",
    "authenticatorData",
    "signature",
    "userHandle",
    "transports",
    "publicKey",
    "publicKeyAlgorithm",
    "authenticatorAttachment",
    "clientExtensionResults",
    "extensions",
    "credProps",
    "rk",
    "appid",
    "challenge",
    "origin",
    "crossOrigin",
    "topOrigin",
    "tokenBinding",
];

/// Arbitrary JSON: every type, nested, with keys mostly from `keys` and strings that are often base64url.
fn json_value(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,24}".prop_map(Value::String),
        vec(any::<u8>(), 0..48).prop_map(|bytes| Value::String(b64url(&bytes))),
        select(
            &[
                "public-key",
                "webauthn.create",
                "webauthn.get",
                ORIGIN,
                "platform",
                "internal"
            ][..]
        )
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        let key = prop_oneof![3 => select(keys).prop_map(str::to_string), 1 => ".{0,12}"];
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((key, inner), 0..8).prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// Text that is base64url, base64 or nearly either, as a field of a response might hold.
fn base64ish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_-]{0,120}",
        "[A-Za-z0-9+/=_-]{0,120}",
        "[A-Za-z0-9_-]{0,60}={0,3}",
        vec(any::<u8>(), 0..96).prop_map(|bytes| b64url(&bytes)),
        ".{0,40}",
    ]
}

/// Arbitrary CBOR, nested, with text keys mostly from the attestation statement formats.
fn cbor_value() -> impl Strategy<Value = Cbor> {
    let leaf = prop_oneof![
        Just(Cbor::Null),
        any::<bool>().prop_map(Cbor::Bool),
        any::<i64>().prop_map(|n| Cbor::Integer(n.into())),
        prop_oneof![Just(-7i64), Just(-8), Just(-35), Just(-257), Just(-65535)].prop_map(|n| Cbor::Integer(n.into())),
        any::<f64>().prop_map(Cbor::Float),
        vec(any::<u8>(), 0..96).prop_map(Cbor::Bytes),
        ".{0,16}".prop_map(Cbor::Text),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Cbor::Array),
            btree_map(statement_key(), inner.clone(), 0..6).prop_map(Cbor::Map),
            (any::<u64>(), inner).prop_map(|(tag, value)| Cbor::Tag(tag, Box::new(value))),
        ]
    })
}

/// A key of an attestation statement: the names the formats use, an integer, or any text.
fn statement_key() -> impl Strategy<Value = Cbor> {
    prop_oneof![
        4 => select(&["alg", "sig", "x5c", "ver", "certInfo", "pubArea", "response", "ecdaaKeyId"][..])
            .prop_map(|key| Cbor::Text(key.to_string())),
        1 => any::<i8>().prop_map(|n| Cbor::Integer(n.into())),
        1 => ".{0,8}".prop_map(Cbor::Text),
    ]
}

/// An attestation statement format: every one WebAuthn defines, and any other text.
fn format_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(&["none", "packed", "tpm", "android-key", "android-safetynet", "apple", "fido-u2f"][..])
            .prop_map(str::to_string),
        1 => ".{0,16}",
    ]
}

// ---- registration seeds ---------------------------------------------------------------------------------------

/// Which parts of a response the attestation statement signs: a change to a signed part must be refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Coverage {
    /// `none`: nothing is signed at registration.
    Nothing,
    /// `fido-u2f` signs the rpIdHash, client data hash, credential id and key, not the flags, counter or AAGUID
    /// (authenticator data bytes 32 to 52; WebAuthn L3 §8.6).
    AllButFlagsCounterAaguid,
    /// Every other format binds the whole authenticator data and the client data hash into what it signs (a
    /// signature over them, the nonce of an apple or safetynet statement, a TPM certInfo's extraData).
    Everything,
}

impl Coverage {
    fn of(fmt: &str) -> Coverage {
        match fmt {
            "none" => Coverage::Nothing,
            "fido-u2f" => Coverage::AllButFlagsCounterAaguid,
            _ => Coverage::Everything,
        }
    }
}

/// How a registration response is verified: a live ceremony of this relying party, or a recorded vector offline.
enum Verify {
    Live { pending: PendingCeremony },
    Offline { at: OffsetDateTime },
}

/// A registration response that verifies, with what it is checked against.
struct RegistrationSeed {
    name: String,
    response: Value,
    verify: Verify,
    rp_id: String,
    origins: Vec<String>,
    challenge: Vec<u8>,
    require_user_verification: bool,
    coverage: Coverage,
    catalog: &'static Catalog,
}

impl std::fmt::Debug for RegistrationSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl RegistrationSeed {
    fn run(&self, response: &Value) -> Result<VerifiedRegistration, Rejection> {
        match &self.verify {
            Verify::Live { pending } => {
                relying_party().finish_registration(response, pending, self.catalog, datetime_of_tests())
            }
            Verify::Offline { at } => verify_offline(
                response,
                &OfflineOptions {
                    rp_id: self.rp_id.clone(),
                    origins: self.origins.clone(),
                    challenge_b64url: b64url(&self.challenge),
                    at: *at,
                    catalog: self.catalog,
                    require_user_verification: self.require_user_verification,
                },
            ),
        }
    }

    fn allowed_codes(&self) -> &'static [Code] {
        match self.verify {
            Verify::Live { .. } => FINISH_REGISTRATION_CODES,
            Verify::Offline { .. } => REGISTRATION_CODES,
        }
    }

    /// Verifies `response` and checks the outcome: a refusal with an allowed code, or an acceptance of exactly
    /// what was sent, in which nothing the statement signs was changed.
    fn check(&self, response: &Value) -> Result<(), TestCaseError> {
        match self.run(response) {
            Err(rejection) => check_refusal(&rejection, self.allowed_codes()),
            Ok(verified) => self.check_accepted(response, &verified),
        }
    }

    fn check_accepted(&self, response: &Value, verified: &VerifiedRegistration) -> Result<(), TestCaseError> {
        let name = &self.name;
        let client_data_bytes = bytes_at(response, "/response/clientDataJSON");
        let client_data: Value = serde_json::from_slice(&client_data_bytes)
            .map_err(|error| TestCaseError::fail(format!("{name}: accepted client data that is not JSON: {error}")))?;
        prop_assert_eq!(&client_data["type"], "webauthn.create", "{}: accepted type", name);
        let challenge = client_data["challenge"].as_str().and_then(decode_any);
        prop_assert_eq!(
            challenge.as_deref(),
            Some(self.challenge.as_slice()),
            "{}: accepted challenge",
            name
        );
        let origin = client_data["origin"].as_str().unwrap_or_default();
        prop_assert!(same_origin(origin, &self.origins), "{name}: accepted origin {origin:?}");
        prop_assert_ne!(
            &client_data["crossOrigin"],
            &Value::Bool(true),
            "{}: accepted a cross-origin ceremony",
            name
        );

        let auth_data = registration_auth_data(response)
            .ok_or_else(|| TestCaseError::fail(format!("{name}: accepted an unreadable attestation object")))?;
        prop_assert!(
            auth_data.len() >= 55,
            "{name}: accepted authenticator data of {} bytes",
            auth_data.len()
        );
        let rp_id_hash = sha256(self.rp_id.as_bytes());
        prop_assert_eq!(&auth_data[..32], rp_id_hash.as_slice(), "{}: accepted rpIdHash", name);
        let flags = auth_data[32];
        let facts = &verified.facts;
        prop_assert!(
            flags & 0x01 != 0 && facts.flags.user_present,
            "{name}: accepted without user presence"
        );
        if self.require_user_verification {
            prop_assert!(flags & 0x04 != 0, "{name}: accepted without user verification");
        }
        prop_assert_eq!(facts.flags.user_verified, flags & 0x04 != 0, "{}: UV fact", name);
        prop_assert_eq!(facts.flags.backup_eligible, flags & 0x08 != 0, "{}: BE fact", name);
        prop_assert_eq!(facts.flags.backup_state, flags & 0x10 != 0, "{}: BS fact", name);
        let counter = u32::from_be_bytes([auth_data[33], auth_data[34], auth_data[35], auth_data[36]]);
        prop_assert_eq!(facts.sign_count, counter, "{}: sign count fact", name);
        prop_assert_eq!(
            facts.aaguid.0.as_bytes().as_slice(),
            &auth_data[37..53],
            "{}: AAGUID fact",
            name
        );
        let id_len = usize::from(u16::from_be_bytes([auth_data[53], auth_data[54]]));
        prop_assert_eq!(
            Some(verified.credential_id.as_slice()),
            auth_data.get(55..55 + id_len),
            "{}: credential id",
            name
        );
        prop_assert_eq!(
            &bytes_at(response, "/rawId"),
            &verified.credential_id,
            "{}: rawId",
            name
        );
        prop_assert_eq!(&bytes_at(response, "/id"), &verified.credential_id, "{}: id", name);

        let original_client_data = bytes_at(&self.response, "/response/clientDataJSON");
        let original_auth_data = registration_auth_data(&self.response).expect("a seed's attestation object reads");
        match self.coverage {
            Coverage::Nothing => {}
            Coverage::Everything => {
                prop_assert_eq!(
                    &client_data_bytes,
                    &original_client_data,
                    "{}: signed client data changed",
                    name
                );
                prop_assert_eq!(
                    &auth_data,
                    &original_auth_data,
                    "{}: signed authenticator data changed",
                    name
                );
            }
            Coverage::AllButFlagsCounterAaguid => {
                prop_assert_eq!(
                    &client_data_bytes,
                    &original_client_data,
                    "{}: signed client data changed",
                    name
                );
                let outside = |data: &[u8]| [&data[..32], &data[53..]].concat();
                prop_assert_eq!(
                    auth_data.len(),
                    original_auth_data.len(),
                    "{}: authenticator data length",
                    name
                );
                prop_assert_eq!(
                    outside(&auth_data),
                    outside(&original_auth_data),
                    "{}: signed authenticator data changed",
                    name
                );
            }
        }
        Ok(())
    }
}

/// The origin is one of `allowed` as WebAuthn compares origins: scheme, host and port (or the exact string for an
/// app origin).
fn same_origin(origin: &str, allowed: &[String]) -> bool {
    let Ok(origin) = Url::parse(origin) else {
        return false;
    };
    allowed
        .iter()
        .filter_map(|a| Url::parse(a).ok())
        .any(|allowed| allowed == origin || (allowed.origin().is_tuple() && allowed.origin() == origin.origin()))
}

/// The authenticator data inside a registration response's attestation object.
fn registration_auth_data(response: &Value) -> Option<Vec<u8>> {
    let text = response.pointer("/response/attestationObject")?.as_str()?;
    let Cbor::Map(object) = serde_cbor_2::from_slice(&decode_any(text)?).ok()? else {
        return None;
    };
    match object.get(&Cbor::Text("authData".into())) {
        Some(Cbor::Bytes(auth_data)) => Some(auth_data.clone()),
        _ => None,
    }
}

fn relying_party() -> RelyingParty {
    RelyingParty::new(RP_ID, "keywarden properties", &[ORIGIN.to_string()]).expect("a valid relying party")
}

fn datetime_of_tests() -> OffsetDateTime {
    rfc3339("2026-11-25T12:00:00Z")
}

fn request() -> RegistrationRequest {
    RegistrationRequest {
        user_handle: vec![42; 16],
        user_name: "alice@contoso.com".into(),
        display_name: "Alice".into(),
        exclude_credentials: vec![vec![9; 16]],
        attestation: Conveyance::Direct,
        timeout: Duration::from_secs(120),
        path: None,
    }
}

/// The catalog for live ceremonies: the test CA as the attestation root of the soft authenticator's AAGUID.
fn live_catalog(ca: &TestCa) -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let aaguid = Aaguid::from_str(AAGUID).expect("a valid AAGUID");
        let mut catalog = Catalog::default();
        catalog
            .entries
            .insert(aaguid, metadata_entry(aaguid, "keywarden property authenticator", ca));
        catalog
    })
}

fn test_ca() -> Arc<TestCa> {
    static CA: OnceLock<Arc<TestCa>> = OnceLock::new();
    CA.get_or_init(|| Arc::new(TestCa::generate("keywarden property attestation root")))
        .clone()
}

/// Live responses of the soft authenticator with none, packed self and packed x5c attestation.
fn live_registrations() -> &'static [RegistrationSeed] {
    static SEEDS: OnceLock<Vec<RegistrationSeed>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let ca = test_ca();
        let catalog = live_catalog(&ca);
        let rp = relying_party();
        [
            ("soft none", Attestation::None, "none"),
            ("soft packed self", Attestation::SelfPacked, "packed"),
            ("soft packed x5c", Attestation::Packed(ca.clone()), "packed"),
        ]
        .into_iter()
        .map(|(name, attestation, fmt)| {
            let (options, pending) = rp.begin_registration(&request()).expect("creation options");
            let aaguid = Aaguid::from_str(AAGUID).expect("a valid AAGUID");
            let response = SoftAuthenticator::new(aaguid)
                .backup(true, false)
                .attestation(attestation)
                .register(&options, ORIGIN)
                .expect("the soft authenticator registers");
            let challenge = decode_any(options["challenge"].as_str().expect("a challenge")).expect("base64url");
            let seed = RegistrationSeed {
                name: name.to_string(),
                response,
                verify: Verify::Live { pending },
                rp_id: RP_ID.to_string(),
                origins: vec![ORIGIN.to_string()],
                challenge,
                require_user_verification: true,
                coverage: Coverage::of(fmt),
                catalog,
            };
            seed.run(&seed.response)
                .unwrap_or_else(|rejection| panic!("{name} does not verify unchanged: {rejection}"));
            seed
        })
        .collect()
    })
}

/// Every recorded registration vector that verifies unchanged (whatever its expected outcome: a vector that
/// keywarden accepts is a valid starting point).
fn vector_registrations() -> &'static [RegistrationSeed] {
    static SEEDS: OnceLock<Vec<RegistrationSeed>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let seeds: Vec<RegistrationSeed> = vectors("registration")
            .into_iter()
            .filter_map(|vector| {
                let seed = RegistrationSeed {
                    name: vector["name"].as_str().expect("name").to_string(),
                    response: vector["response"].clone(),
                    verify: Verify::Offline {
                        at: verification_time(&vector),
                    },
                    rp_id: vector["rp_id"].as_str().expect("rp_id").to_string(),
                    origins: origins(&vector),
                    challenge: decode_any(vector["challenge_b64url"].as_str().expect("challenge")).expect("base64"),
                    require_user_verification: false,
                    coverage: Coverage::of(vector["fmt"].as_str().expect("fmt")),
                    catalog: catalog(),
                };
                seed.run(&seed.response).is_ok().then_some(seed)
            })
            .collect();
        let formats: std::collections::BTreeSet<Coverage> = seeds.iter().map(|s| s.coverage).collect();
        assert!(seeds.len() >= 20, "only {} registration vectors verify", seeds.len());
        assert_eq!(formats.len(), 3, "vectors of every coverage verify");
        seeds
    })
}

fn any_registration() -> impl Strategy<Value = &'static RegistrationSeed> {
    let seeds: Vec<&'static RegistrationSeed> = live_registrations().iter().chain(vector_registrations()).collect();
    select(seeds)
}

fn live_registration() -> impl Strategy<Value = &'static RegistrationSeed> {
    select(live_registrations().iter().collect::<Vec<_>>())
}

/// The parts of a registration response that are bytes, as JSON pointers.
const REGISTRATION_BYTES: &[&str] = &[
    "/response/clientDataJSON",
    "/response/attestationObject",
    "/rawId",
    "/id",
];

/// The members a registration response may hold, for replacement by arbitrary JSON.
const REGISTRATION_MEMBERS: &[&str] = &[
    "/id",
    "/rawId",
    "/type",
    "/response",
    "/response/clientDataJSON",
    "/response/attestationObject",
    "/response/transports",
    "/clientExtensionResults",
    "/authenticatorAttachment",
];

/// The response with the member at `pointer` set to `value`; a member its parent object lacks is added.
fn with_member(response: &Value, pointer: &str, value: Value) -> Value {
    let mut response = response.clone();
    let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
    if let Some(object) = response.pointer_mut(parent).and_then(Value::as_object_mut) {
        object.insert(key.to_string(), value);
    }
    response
}

fn with_bytes(response: &Value, pointer: &str, bytes: &[u8]) -> Value {
    with_member(response, pointer, Value::from(b64url(bytes)))
}

/// The response with a member of its attestation statement changed, or a new one added.
fn with_statement_member(response: &Value, key: &Cbor, change: &StatementChange) -> Value {
    tamper::att_stmt(response, |statement| {
        let current = statement.get(key).cloned();
        let changed = match (change, current) {
            (StatementChange::Edit(edits), Some(Cbor::Bytes(bytes))) => Cbor::Bytes(apply(&bytes, edits)),
            (StatementChange::Edit(edits), Some(Cbor::Array(mut items))) => {
                // x5c: change the first certificate, which the statement is verified with.
                if let Some(Cbor::Bytes(first)) = items.first_mut() {
                    *first = apply(first, edits);
                }
                Cbor::Array(items)
            }
            (StatementChange::Edit(_), Some(other)) => other,
            (StatementChange::Edit(edits), None) => Cbor::Bytes(apply(&[], edits)),
            (StatementChange::Set(value), _) => value.clone(),
        };
        statement.insert(key.clone(), changed);
    })
}

#[derive(Clone, Debug)]
enum StatementChange {
    Edit(Vec<Edit>),
    Set(Cbor),
}

fn statement_change() -> impl Strategy<Value = StatementChange> {
    prop_oneof![
        3 => edits().prop_map(StatementChange::Edit),
        1 => cbor_value().prop_map(StatementChange::Set),
    ]
}

// ---- sign-in seeds --------------------------------------------------------------------------------------------

/// A sign-in response that verifies, with the stored credential and what it is checked against.
struct SignInSeed {
    name: String,
    response: Value,
    credential: StoredCredential,
    verify: SignInVerify,
    rp_id: String,
    origins: Vec<String>,
    challenge: Vec<u8>,
    require_user_verification: bool,
}

enum SignInVerify {
    Live { pending: PendingCeremony },
    Offline,
}

impl std::fmt::Debug for SignInSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl SignInSeed {
    fn run(&self, response: &Value) -> Result<VerifiedAssertion, Rejection> {
        match &self.verify {
            SignInVerify::Live { pending } => relying_party().finish_sign_in(response, pending, &self.credential),
            SignInVerify::Offline => verify_assertion_offline(
                response,
                &OfflineAssertionOptions {
                    rp_id: self.rp_id.clone(),
                    origins: self.origins.clone(),
                    challenge_b64url: b64url(&self.challenge),
                    require_user_verification: self.require_user_verification,
                },
                &self.credential,
            ),
        }
    }

    /// Verifies `response` and checks the outcome: a refusal with an allowed code, or an acceptance in which the
    /// signed authenticator data, client data and signature are the ones the authenticator made.
    fn check(&self, response: &Value) -> Result<(), TestCaseError> {
        match self.run(response) {
            Err(rejection) => check_refusal(&rejection, SIGN_IN_CODES),
            Ok(verified) => {
                let name = &self.name;
                for pointer in [
                    "/response/authenticatorData",
                    "/response/clientDataJSON",
                    "/response/signature",
                ] {
                    prop_assert_eq!(
                        bytes_at(response, pointer),
                        bytes_at(&self.response, pointer),
                        "{}: accepted a changed {}",
                        name,
                        pointer
                    );
                }
                prop_assert_eq!(
                    &bytes_at(response, "/rawId"),
                    &verified.credential_id,
                    "{}: rawId",
                    name
                );
                let auth_data = bytes_at(response, "/response/authenticatorData");
                let counter = u32::from_be_bytes([auth_data[33], auth_data[34], auth_data[35], auth_data[36]]);
                prop_assert_eq!(verified.sign_count, counter, "{}: sign count", name);
                prop_assert_eq!(verified.user_verified, auth_data[32] & 0x04 != 0, "{}: UV", name);
                Ok(())
            }
        }
    }
}

/// A live sign-in with the soft authenticator, and every recorded sign-in vector that verifies unchanged.
fn sign_ins() -> &'static [SignInSeed] {
    static SEEDS: OnceLock<Vec<SignInSeed>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let rp = relying_party();
        let aaguid = Aaguid::from_str(AAGUID).expect("a valid AAGUID");
        let mut authenticator = SoftAuthenticator::new(aaguid).backup(true, true);
        let (options, pending) = rp.begin_registration(&request()).expect("creation options");
        let registration = authenticator.register(&options, ORIGIN).expect("registers");
        let stored = rp
            .finish_registration(&registration, &pending, &Catalog::default(), datetime_of_tests())
            .expect("registration verifies")
            .stored;
        let (options, pending) = rp
            .begin_sign_in(std::slice::from_ref(&stored))
            .expect("request options");
        let response = authenticator.sign_in(&options, ORIGIN).expect("signs in");
        let mut seeds = vec![SignInSeed {
            name: "soft sign-in".into(),
            response,
            credential: stored,
            verify: SignInVerify::Live { pending },
            rp_id: RP_ID.into(),
            origins: vec![ORIGIN.into()],
            challenge: decode_any(options["challenge"].as_str().expect("a challenge")).expect("base64url"),
            require_user_verification: true,
        }];
        for vector in vectors("authentication") {
            let response = vector["response"].clone();
            let auth_data = bytes_at(&response, "/response/authenticatorData");
            let require_user_verification = vector["options"]["require_user_verification"].as_bool() == Some(true)
                || vector["options"]["policy"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("Required"));
            let stored_sign_count = vector["credential"]["stored_sign_count"].as_u64().unwrap_or(0);
            let Ok(credential) = StoredCredential::from_cose_key(
                &bytes_at(&response, "/rawId"),
                &decode_any(
                    vector["credential"]["publicKey_cose_b64url"]
                        .as_str()
                        .expect("COSE key"),
                )
                .expect("base64url"),
                u32::try_from(stored_sign_count).expect("a counter fits"),
                CredentialFlags {
                    user_verified: require_user_verification,
                    backup_eligible: auth_data[32] & 0x08 != 0,
                    backup_state: auth_data[32] & 0x10 != 0,
                },
            ) else {
                continue; // An Ed25519 key, which keywarden does not take.
            };
            let seed = SignInSeed {
                name: vector["name"].as_str().expect("name").to_string(),
                response,
                credential,
                verify: SignInVerify::Offline,
                rp_id: vector["rp_id"].as_str().expect("rp_id").to_string(),
                origins: origins(&vector),
                challenge: decode_any(vector["challenge_b64url"].as_str().expect("challenge")).expect("base64"),
                require_user_verification,
            };
            if seed.run(&seed.response).is_ok() {
                seeds.push(seed);
            }
        }
        assert!(seeds.len() >= 5, "only {} sign-in seeds verify", seeds.len());
        seeds
    })
}

fn any_sign_in() -> impl Strategy<Value = &'static SignInSeed> {
    select(sign_ins().iter().collect::<Vec<_>>())
}

/// The signed parts of a sign-in response, as JSON pointers.
const SIGNED_SIGN_IN_BYTES: &[&str] = &[
    "/response/authenticatorData",
    "/response/clientDataJSON",
    "/response/signature",
];

/// The members a sign-in response may hold, for replacement by arbitrary JSON.
const SIGN_IN_MEMBERS: &[&str] = &[
    "/id",
    "/rawId",
    "/type",
    "/response",
    "/response/authenticatorData",
    "/response/clientDataJSON",
    "/response/signature",
    "/response/userHandle",
    "/clientExtensionResults",
];

// ---- COSE keys ------------------------------------------------------------------------------------------------

/// Real credential public keys: the soft authenticator's (ES256) and those of the sign-in vectors (ES256, RS256,
/// Ed25519).
fn cose_keys() -> &'static [Vec<u8>] {
    static KEYS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys: Vec<Vec<u8>> = vectors("authentication")
            .iter()
            .filter_map(|vector| {
                vector["credential"]["publicKey_cose_b64url"]
                    .as_str()
                    .and_then(decode_any)
            })
            .collect();
        keys.push(
            live_registrations()
                .first()
                .and_then(|seed| seed.run(&seed.response).ok())
                .expect("the soft none registration verifies")
                .public_key,
        );
        keys
    })
}

/// A COSE_Key map with the labels keys use (kty 1, alg 3, crv/n -1, x/e -2, y -3) and values of plausible sizes.
fn cose_map() -> impl Strategy<Value = Cbor> {
    let label = prop_oneof![4 => select(&[1i8, 3, -1, -2, -3][..]), 1 => any::<i8>()];
    let value = prop_oneof![
        3 => select(&[1i64, 2, 3, 6, -7, -8, -35, -36, -257, -258, -37, 0][..]).prop_map(|n| Cbor::Integer(n.into())),
        3 => select(&[3usize, 32, 48, 66, 256, 255, 0][..])
            .prop_flat_map(|len| vec(any::<u8>(), len))
            .prop_map(Cbor::Bytes),
        1 => cbor_value(),
    ];
    btree_map(label.prop_map(|n| Cbor::Integer(n.into())), value, 0..7).prop_map(Cbor::Map)
}

/// A key is refused with a documented code, or becomes a credential that a sign-in can be begun with.
fn check_cose_key(cose_key: &[u8]) -> Result<(), TestCaseError> {
    match StoredCredential::from_cose_key(&[7; 16], cose_key, 0, CredentialFlags::default()) {
        Ok(stored) => {
            prop_assert!(
                relying_party().begin_sign_in(std::slice::from_ref(&stored)).is_ok(),
                "an accepted key made an unreadable credential"
            );
            Ok(())
        }
        Err(rejection) => check_refusal(&rejection, COSE_KEY_CODES),
    }
}

// ---- metadata seeds -------------------------------------------------------------------------------------------

fn payload_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| read_shared("data/aaguid/mds3_payload_no291.json"))
}

/// A small real payload: no. 291's header and its first entries, so that a case parses in milliseconds.
fn small_payload_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut payload: Value = serde_json::from_str(payload_text()).expect("payload no. 291 is JSON");
        if let Some(entries) = payload["entries"].as_array_mut() {
            entries.truncate(12);
        }
        payload.to_string()
    })
}

fn name_lists() -> &'static [String] {
    static LISTS: OnceLock<Vec<String>> = OnceLock::new();
    LISTS.get_or_init(|| {
        vec![
            read_shared("data/aaguid/combined_aaguid_names.json"),
            read_shared("data/aaguid/aaguid.json"),
        ]
    })
}

fn blob_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| read_shared("data/aaguid/mds3_blob_no9_2021.jwt"))
}

/// When the 2021 BLOB's chain is valid.
fn blob_time() -> OffsetDateTime {
    rfc3339("2021-11-15T00:00:00Z")
}

fn blob_catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| load_blob(blob_text(), &globalsign_roots(), blob_time()).expect("the 2021 BLOB verifies"))
}

/// An accepted payload has a catalog keyed by its entries' own AAGUIDs.
fn check_catalog(catalog: &Catalog) -> Result<(), TestCaseError> {
    for (aaguid, entry) in &catalog.entries {
        prop_assert_eq!(aaguid, &entry.aaguid, "an entry filed under another AAGUID");
    }
    Ok(())
}

/// A text with edits applied to its bytes, read back as UTF-8 where the edits broke it (as a server reading a
/// file would not: the loaders take `&str`).
fn edited_text(text: &str, edits: &[Edit]) -> String {
    String::from_utf8_lossy(&apply(text.as_bytes(), edits)).into_owned()
}

fn check_names(result: Result<std::collections::HashMap<Aaguid, String>, MetadataError>) -> Result<(), TestCaseError> {
    match result {
        Ok(names) => {
            for (aaguid, name) in names {
                prop_assert!(
                    !name.is_empty() && name.trim() == name,
                    "{aaguid} has the name {name:?}, which is empty or untrimmed"
                );
            }
            Ok(())
        }
        Err(MetadataError::Names(message)) => {
            prop_assert!(!message.is_empty());
            Ok(())
        }
        Err(other) => Err(TestCaseError::fail(format!("a name list refused as {other:?}"))),
    }
}

fn check_payload(result: Result<Catalog, MetadataError>) -> Result<(), TestCaseError> {
    match result {
        Ok(catalog) => check_catalog(&catalog),
        Err(MetadataError::Payload(message)) => {
            prop_assert!(!message.is_empty());
            Ok(())
        }
        Err(other) => Err(TestCaseError::fail(format!("a payload refused as {other:?}"))),
    }
}

/// A BLOB is refused for what is wrong with it; one that still verifies must say exactly what the original said.
fn check_blob(result: Result<Catalog, MetadataError>) -> Result<(), TestCaseError> {
    match result {
        Ok(catalog) => {
            let original = blob_catalog();
            prop_assert_eq!(
                catalog.serial,
                original.serial,
                "a changed BLOB verified with another serial"
            );
            prop_assert_eq!(catalog.next_update, original.next_update);
            prop_assert!(
                catalog.entries == original.entries,
                "a changed BLOB verified with other entries"
            );
            Ok(())
        }
        Err(
            MetadataError::NotAJws
            | MetadataError::NoCertificateChain
            | MetadataError::UntrustedChain { .. }
            | MetadataError::InvalidSignature
            | MetadataError::Payload(_),
        ) => Ok(()),
        Err(other) => Err(TestCaseError::fail(format!("a BLOB refused as {other:?}"))),
    }
}

// ---- the properties -------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_json_is_never_a_registration(response in json_value(RESPONSE_KEYS), seed in any_registration()) {
        seed.check(&response)?;
    }

    #[test]
    fn a_registration_with_an_arbitrary_member_is_refused_or_is_what_was_sent(
        seed in any_registration(),
        pointer in select(REGISTRATION_MEMBERS),
        value in json_value(RESPONSE_KEYS),
    ) {
        seed.check(&with_member(&seed.response, pointer, value))?;
    }

    #[test]
    fn a_registration_with_arbitrary_base64_text_is_refused_or_is_what_was_sent(
        seed in any_registration(),
        pointer in select(REGISTRATION_BYTES),
        text in base64ish(),
    ) {
        seed.check(&with_member(&seed.response, pointer, Value::from(text)))?;
    }

    #[test]
    fn a_changed_attestation_object_is_refused_or_changed_nothing_signed(
        seed in any_registration(),
        edits in edits(),
    ) {
        let bytes = bytes_at(&seed.response, "/response/attestationObject");
        seed.check(&with_bytes(&seed.response, "/response/attestationObject", &apply(&bytes, &edits)))?;
    }

    #[test]
    fn a_changed_client_data_json_is_refused_unless_nothing_signs_it(seed in any_registration(), edits in edits()) {
        let bytes = bytes_at(&seed.response, "/response/clientDataJSON");
        seed.check(&with_bytes(&seed.response, "/response/clientDataJSON", &apply(&bytes, &edits)))?;
    }

    #[test]
    fn changed_authenticator_data_is_refused_unless_nothing_signs_it(seed in any_registration(), edits in edits()) {
        seed.check(&tamper::auth_data(&seed.response, |auth_data| *auth_data = apply(auth_data, &edits)))?;
    }

    #[test]
    fn a_changed_attestation_statement_is_refused_or_changed_nothing_signed(
        seed in any_registration(),
        key in statement_key(),
        change in statement_change(),
    ) {
        seed.check(&with_statement_member(&seed.response, &key, &change))?;
    }

    #[test]
    fn an_arbitrary_attestation_object_is_refused_or_is_what_was_sent(
        seed in live_registration(),
        fmt in format_name(),
        statement in btree_map(statement_key(), cbor_value(), 0..6),
        extra in proptest::option::of((".{0,8}", cbor_value())),
    ) {
        // The soft authenticator's own authenticator data, so that verification reaches the statement.
        let auth_data = registration_auth_data(&seed.response).expect("a seed's attestation object reads");
        let mut object = BTreeMap::new();
        object.insert(Cbor::Text("fmt".into()), Cbor::Text(fmt));
        object.insert(Cbor::Text("attStmt".into()), Cbor::Map(statement));
        object.insert(Cbor::Text("authData".into()), Cbor::Bytes(auth_data));
        if let Some((key, value)) = extra {
            object.insert(Cbor::Text(key), value);
        }
        let bytes = serde_cbor_2::to_vec(&Cbor::Map(object)).expect("CBOR values encode");
        seed.check(&with_bytes(&seed.response, "/response/attestationObject", &bytes))?;
    }

    #[test]
    fn arbitrary_cbor_is_never_an_attestation_object(seed in live_registration(), value in cbor_value()) {
        let bytes = serde_cbor_2::to_vec(&value).expect("CBOR values encode");
        seed.check(&with_bytes(&seed.response, "/response/attestationObject", &bytes))?;
    }

    #[test]
    fn members_keywarden_does_not_read_change_nothing(
        seed in live_registration(),
        pointer in select(&["/response/authenticatorData", "/response/publicKey"][..]),
        edits in edits(),
        algorithm in any::<i64>(),
    ) {
        // The convenience copies of WebAuthn L3 §5.2.1.1 are not what is verified: the attestation object is.
        let bytes = bytes_at(&seed.response, pointer);
        let changed = with_bytes(&seed.response, pointer, &apply(&bytes, &edits));
        let changed = with_member(&changed, "/response/publicKeyAlgorithm", Value::from(algorithm));
        let expected = seed.run(&seed.response).expect("the seed verifies");
        let got = seed.run(&changed);
        prop_assert!(got.as_ref() == Ok(&expected), "{}: {:?}", seed.name, got.err());
    }

    #[test]
    fn arbitrary_json_is_never_an_assertion(response in json_value(RESPONSE_KEYS), seed in any_sign_in()) {
        match peek_assertion(&response) {
            Ok((credential_id, _)) => {
                prop_assert_eq!(decode_any(response["id"].as_str().unwrap_or_default()), Some(credential_id));
            }
            Err(rejection) => check_refusal(&rejection, PEEK_CODES)?,
        }
        seed.check(&response)?;
    }

    #[test]
    fn an_assertion_with_an_arbitrary_member_is_refused_or_unchanged_where_signed(
        seed in any_sign_in(),
        pointer in select(SIGN_IN_MEMBERS),
        value in json_value(RESPONSE_KEYS),
    ) {
        let response = with_member(&seed.response, pointer, value);
        if let Err(rejection) = peek_assertion(&response) {
            check_refusal(&rejection, PEEK_CODES)?;
        }
        seed.check(&response)?;
    }

    #[test]
    fn an_assertion_with_arbitrary_base64_text_is_refused_or_unchanged_where_signed(
        seed in any_sign_in(),
        pointer in select(&[
            "/id",
            "/rawId",
            "/response/authenticatorData",
            "/response/clientDataJSON",
            "/response/signature",
            "/response/userHandle",
        ][..]),
        text in base64ish(),
    ) {
        let response = with_member(&seed.response, pointer, Value::from(text));
        if let Err(rejection) = peek_assertion(&response) {
            check_refusal(&rejection, PEEK_CODES)?;
        }
        seed.check(&response)?;
    }

    #[test]
    fn changed_signed_assertion_bytes_are_refused(
        seed in any_sign_in(),
        pointer in select(SIGNED_SIGN_IN_BYTES),
        edits in edits(),
    ) {
        let original = bytes_at(&seed.response, pointer);
        let changed = apply(&original, &edits);
        let response = with_bytes(&seed.response, pointer, &changed);
        prop_assert!(peek_assertion(&response).is_ok(), "{}: peeking reads no signed part", seed.name);
        match seed.run(&response) {
            Ok(_) => prop_assert_eq!(changed, original, "{}: a changed {} verified", &seed.name, pointer),
            Err(rejection) => check_refusal(&rejection, SIGN_IN_CODES)?,
        }
    }

    #[test]
    fn a_changed_user_handle_is_read_as_sent_and_is_not_the_signature_s_business(
        seed in any_sign_in(),
        handle in vec(any::<u8>(), 0..80),
    ) {
        // The user handle is not signed (WebAuthn L3 §7.2 step 6 leaves matching it to the relying party, which the
        // server does with what peek_assertion returns); so verification does not change, and peek reads it as sent.
        let response = with_bytes(&seed.response, "/response/userHandle", &handle);
        let (credential_id, user_handle) = peek_assertion(&response).expect("a readable assertion");
        prop_assert_eq!(credential_id, bytes_at(&seed.response, "/rawId"));
        prop_assert_eq!(user_handle, (!handle.is_empty()).then_some(handle));
        let expected = seed.run(&seed.response).map(|verified| verified.sign_count);
        prop_assert_eq!(seed.run(&response).map(|verified| verified.sign_count), expected);
    }

    #[test]
    fn a_cose_key_kept_elsewhere_is_a_credential_or_refused(
        key in prop_oneof![
            2 => (select(cose_keys()), edits()).prop_map(|(key, edits)| apply(&key, &edits)),
            2 => cose_map().prop_map(|map| serde_cbor_2::to_vec(&map).expect("CBOR values encode")),
            1 => vec(any::<u8>(), 0..300),
        ],
    ) {
        check_cose_key(&key)?;
    }

    #[test]
    fn arbitrary_text_is_never_metadata(text in ".{0,200}") {
        check_payload(load_payload(&text))?;
        check_names(load_fallback_names(&text))?;
        check_blob(load_blob(&text, &globalsign_roots(), blob_time()))?;
    }

    #[test]
    fn arbitrary_json_is_a_payload_or_a_refusal(value in json_value(&[
        "no", "nextUpdate", "legalHeader", "entries", "aaguid", "metadataStatement", "statusReports", "status",
        "effectiveDate", "description", "attestationRootCertificates", "authenticatorGetInfo", "transports",
        "certifications", "attachmentHint", "keyProtection", "attestationTypes", "versions", "icon", "name",
    ])) {
        check_payload(load_payload(&value.to_string()))?;
        check_names(load_fallback_names(&value.to_string()))?;
    }

    #[test]
    fn a_changed_real_payload_is_a_payload_or_a_refusal(edits in edits()) {
        check_payload(load_payload(&edited_text(small_payload_text(), &edits)))?;
    }

    #[test]
    fn a_changed_real_name_list_is_a_list_or_a_refusal(list in select(name_lists()), edits in edits()) {
        check_names(load_fallback_names(&edited_text(&list, &edits)))?;
    }

    #[test]
    fn arbitrary_roots_are_refused_as_roots_or_do_not_lead_anywhere(root in vec(any::<u8>(), 0..200)) {
        match load_blob(blob_text(), &[root], blob_time()) {
            Err(MetadataError::InvalidRoot | MetadataError::UntrustedChain { .. }) => {}
            other => prop_assert!(false, "an arbitrary root gave {:?}", other.map(|c| c.serial)),
        }
    }
}

proptest! {
    // The BLOB is a megabyte and the full payload eight: each case costs a tenth of a second or more, so these
    // run fewer cases than the rest.
    #![proptest_config(ProptestConfig { cases: (config().cases / 8).max(1), ..config() })]

    #[test]
    fn a_changed_blob_is_refused_or_says_what_the_original_said(edits in edits()) {
        check_blob(load_blob(&edited_text(blob_text(), &edits), &globalsign_roots(), blob_time()))?;
    }

    #[test]
    fn a_changed_blob_segment_is_refused_or_says_what_the_original_said(
        segment in 0..3usize,
        edits in edits(),
    ) {
        // Edits confined to the header, the payload or the signature, kept base64url-shaped or not.
        let mut parts: Vec<String> = blob_text().trim().split('.').map(str::to_string).collect();
        parts[segment] = edited_text(&parts[segment], &edits);
        check_blob(load_blob(&parts.join("."), &globalsign_roots(), blob_time()))?;
    }

    #[test]
    fn a_changed_full_payload_is_a_payload_or_a_refusal(edits in edits()) {
        check_payload(load_payload(&edited_text(payload_text(), &edits)))?;
    }
}

#[test]
fn the_seeds_verify_unchanged() {
    // The properties start from these; a seed that stopped verifying would make them vacuous. Each list checks
    // its seeds as it is built.
    assert_eq!(live_registrations().len(), 3);
    assert!(!vector_registrations().is_empty());
    assert!(!sign_ins().is_empty());
}
