//! A software authenticator plus client that speaks the WebAuthn L3 JSON wire format.
//!
//! It takes the `publicKey` options a relying party sends to the browser and returns the
//! `RegistrationResponseJSON` / `AuthenticationResponseJSON` a browser would post back, with any AAGUID, any
//! UV/BE/BS flags, any sign counter and none, packed-self or packed-with-x5c attestation. It only does ES256
//! (P-256), and it checks nothing a relying party should check (origin, RP ID validity, UV policy):
//! that is left to the server under test.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use crypto_glue::ecdsa_p256::EcdsaP256DerSignature;
use crypto_glue::s256::Sha256;
use crypto_glue::traits::{Digest, Signer};
use keywarden_domain::Aaguid;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};

use crate::ca::{AttestationLeaf, TestCa};

/// A new credential key pair. Credential keys use ring, whose P-256 is several times faster than the pure-Rust
/// one: the load generator signs with them on the same cores as the server it measures. (The test CA and its
/// attestation leaves keep crypto-glue, which builds their certificates.)
fn new_credential_key() -> EcdsaKeyPair {
    let random = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &random)
        .expect("the system's random source answers");
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &random)
        .expect("a key ring just generated parses")
}

/// An ES256 signature of `message`, DER-encoded as WebAuthn carries it.
fn sign(key: &EcdsaKeyPair, message: &[u8]) -> Vec<u8> {
    key.sign(&SystemRandom::new(), message)
        .expect("the system's random source answers")
        .as_ref()
        .to_vec()
}
use crate::{B64, B64_LENIENT, cbor};

/// COSE algorithm identifier of ES256, the only algorithm this authenticator implements.
pub const ES256: i64 = -7;

/// authenticatorData flag bits.
pub mod flags {
    pub const UP: u8 = 0x01;
    pub const UV: u8 = 0x04;
    pub const BE: u8 = 0x08;
    pub const BS: u8 = 0x10;
    pub const AT: u8 = 0x40;
    pub const ED: u8 = 0x80;
}

/// The DER prefix of a P-256 SubjectPublicKeyInfo (id-ecPublicKey, prime256v1, BIT STRING of 66 bytes).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// What the authenticator puts in `attStmt`.
#[derive(Clone, Debug, Default)]
pub enum Attestation {
    /// `fmt: "none"` with an empty statement.
    #[default]
    None,
    /// `fmt: "packed"` self attestation: signed by the credential key itself, no `x5c`.
    SelfPacked,
    /// `fmt: "packed"` with `x5c: [leaf]`, the leaf issued by this CA for the authenticator's AAGUID.
    Packed(Arc<TestCa>),
}

/// Why the authenticator (or the client part of it) refused an operation.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SoftError {
    /// The options are not valid L3 JSON options (a field is missing or has the wrong type or encoding).
    #[error("invalid options: {0}")]
    InvalidOptions(String),
    /// The origin is not of the form `scheme://host[:port]`.
    #[error("invalid origin {0:?}")]
    InvalidOrigin(String),
    /// `pubKeyCredParams` does not offer ES256.
    #[error("no supported algorithm offered (only ES256, -7, is implemented)")]
    NoSupportedAlgorithm,
    /// A credential listed in `excludeCredentials` lives on this authenticator (a browser's InvalidStateError).
    #[error("a credential in excludeCredentials already exists on this authenticator")]
    CredentialExcluded,
    /// No stored credential matches the RP ID and `allowCredentials` (a browser's NotAllowedError).
    #[error("no credential for RP ID {rp_id:?} matches the request")]
    NoCredential { rp_id: String },
}

/// One stored credential (a discoverable credential: the authenticator keeps everything).
struct Credential {
    id: Vec<u8>,
    rp_id: String,
    user_handle: Vec<u8>,
    key: EcdsaKeyPair,
    counter: u32,
    backup_eligible: bool,
    backup_state: bool,
}

/// A software authenticator holding its credentials in memory. Configure it with the builder methods, then call
/// [`SoftAuthenticator::register`] and [`SoftAuthenticator::sign_in`] with the relying party's JSON options.
pub struct SoftAuthenticator {
    aaguid: Aaguid,
    user_verified: bool,
    backup_eligible: bool,
    backup_state: bool,
    attestation: Attestation,
    leaf: Option<Arc<AttestationLeaf>>,
    counter_start: u32,
    fmt_override: Option<String>,
    respect_conveyance: bool,
    transports: Vec<String>,
    attachment: Option<String>,
    credentials: Vec<Credential>,
    by_id: HashMap<Vec<u8>, usize>,
}

impl SoftAuthenticator {
    /// A new authenticator of model `aaguid`: user verification on, device-bound (BE=0, BS=0), no attestation,
    /// counter 0, ES256, platform attachment with transports `["internal", "hybrid"]`.
    pub fn new(aaguid: Aaguid) -> Self {
        SoftAuthenticator {
            aaguid,
            user_verified: true,
            backup_eligible: false,
            backup_state: false,
            attestation: Attestation::None,
            leaf: None,
            counter_start: 0,
            fmt_override: None,
            respect_conveyance: false,
            transports: vec!["internal".to_string(), "hybrid".to_string()],
            attachment: Some("platform".to_string()),
            credentials: Vec::new(),
            by_id: HashMap::new(),
        }
    }

    /// Whether the UV flag is set on new credentials and assertions. The authenticator sets it as told whatever
    /// the options ask, so that a test can check the server rejects UV=0 when it requires UV.
    pub fn user_verified(mut self, on: bool) -> Self {
        self.user_verified = on;
        self
    }

    /// The BE (backup eligible) and BS (backed up) flags of new credentials, and so of their assertions.
    pub fn backup(mut self, eligible: bool, state: bool) -> Self {
        self.backup_eligible = eligible;
        self.backup_state = state;
        self
    }

    /// The attestation new credentials carry. With [`Attestation::Packed`] the leaf certificate for this
    /// authenticator's AAGUID is issued now (or taken from the CA's cache).
    pub fn attestation(mut self, attestation: Attestation) -> Self {
        self.leaf = match &attestation {
            Attestation::Packed(ca) => Some(ca.leaf(self.aaguid)),
            Attestation::None | Attestation::SelfPacked => None,
        };
        self.attestation = attestation;
        self
    }

    /// The sign count written at registration; each assertion adds one.
    pub fn counter_start(mut self, n: u32) -> Self {
        self.counter_start = n;
        self
    }

    /// Writes `fmt` as the attestation format but keeps the statement the configured attestation produces, for
    /// negative tests (`"fido-u2f"` with a packed statement, an unknown format...).
    pub fn fmt_override(mut self, fmt: &str) -> Self {
        self.fmt_override = Some(fmt.to_string());
        self
    }

    /// Behave like a browser about attestation conveyance: when the options ask for `attestation: "none"` (or
    /// say nothing), answer `fmt: "none"` whatever is configured, keeping the AAGUID as platform
    /// authenticators do. Off by default, so that what is configured is what is sent.
    pub fn respect_conveyance(mut self, on: bool) -> Self {
        self.respect_conveyance = on;
        self
    }

    /// The transports reported in the registration response (`response.transports`).
    pub fn transports(mut self, transports: &[&str]) -> Self {
        self.transports = transports.iter().map(|t| t.to_string()).collect();
        self
    }

    /// The `authenticatorAttachment` reported (`"platform"`, `"cross-platform"`), or none to leave it out.
    pub fn attachment(mut self, attachment: Option<&str>) -> Self {
        self.attachment = attachment.map(str::to_string);
        self
    }

    /// The AAGUID written in new credentials.
    pub fn aaguid(&self) -> Aaguid {
        self.aaguid
    }

    /// Changes the UV flag for later registrations and assertions.
    pub fn set_user_verified(&mut self, on: bool) {
        self.user_verified = on;
    }

    /// Performs `navigator.credentials.create()`: `options` is the L3 JSON `publicKey` object (base64url
    /// strings, as given to `PublicKeyCredential.parseCreationOptionsFromJSON`); the result is a
    /// `RegistrationResponseJSON` for `origin`. It honours `rp.id` (else the origin's host), `user.id`
    /// (kept as the credential's user handle), `challenge`, `pubKeyCredParams` (ES256 must be offered),
    /// `excludeCredentials` and the `credProps` extension. An object wrapping the options in a `publicKey`
    /// member (the whole `CredentialCreationOptions`) is accepted too.
    pub fn register(&mut self, options: &Value, origin: &str) -> Result<Value, SoftError> {
        let options = unwrap_public_key(options);
        let rp_id = match options.pointer("/rp/id").and_then(Value::as_str) {
            Some(rp_id) => rp_id.to_string(),
            None => origin_host(origin)?.to_string(),
        };
        let user_handle = b64_field(options, "/user/id")?;
        let challenge = b64_field(options, "/challenge")?;
        check_algorithms(options)?;
        for excluded in descriptor_ids(options, "/excludeCredentials")? {
            if self
                .by_id
                .get(&excluded)
                .is_some_and(|&i| self.credentials[i].rp_id == rp_id)
            {
                return Err(SoftError::CredentialExcluded);
            }
        }

        let key = new_credential_key();
        let id: [u8; 16] = crypto_glue::rand::random();
        // Uncompressed SEC1: 0x04, x, y.
        let point = key.public_key().as_ref();
        let (x, y) = (&point[1..33], &point[33..65]);

        let mut cose_key = Vec::with_capacity(77);
        cbor::map(&mut cose_key, 5);
        cbor::int(&mut cose_key, 1); // kty
        cbor::int(&mut cose_key, 2); // EC2
        cbor::int(&mut cose_key, 3); // alg
        cbor::int(&mut cose_key, ES256);
        cbor::int(&mut cose_key, -1); // crv
        cbor::int(&mut cose_key, 1); // P-256
        cbor::int(&mut cose_key, -2);
        cbor::bytes(&mut cose_key, x);
        cbor::int(&mut cose_key, -3);
        cbor::bytes(&mut cose_key, y);

        let mut auth_data = Vec::with_capacity(37 + 16 + 2 + id.len() + cose_key.len());
        auth_data.extend_from_slice(&Sha256::digest(rp_id.as_bytes()));
        auth_data.push(self.flags(self.backup_eligible, self.backup_state) | flags::AT);
        auth_data.extend_from_slice(&self.counter_start.to_be_bytes());
        auth_data.extend_from_slice(self.aaguid.0.as_bytes());
        auth_data.extend_from_slice(&(id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&id);
        auth_data.extend_from_slice(&cose_key);

        let client_data_json = client_data("webauthn.create", &challenge, origin);
        let conveyed = if self.respect_conveyance
            && matches!(options.get("attestation").and_then(Value::as_str), None | Some("none"))
        {
            &Attestation::None
        } else {
            &self.attestation
        };
        let attestation_object = self.attestation_object(conveyed, &auth_data, &client_data_json, &key);

        let mut spki = Vec::with_capacity(91);
        spki.extend_from_slice(&P256_SPKI_PREFIX);
        spki.extend_from_slice(point);

        let mut extension_results = serde_json::Map::new();
        if options.pointer("/extensions/credProps").and_then(Value::as_bool) == Some(true) {
            extension_results.insert("credProps".to_string(), json!({ "rk": true }));
        }

        let id_b64 = B64.encode(id);
        let mut response = json!({
            "id": id_b64,
            "rawId": id_b64,
            "type": "public-key",
            "response": {
                "clientDataJSON": B64.encode(&client_data_json),
                "authenticatorData": B64.encode(&auth_data),
                "transports": self.transports,
                "publicKey": B64.encode(&spki),
                "publicKeyAlgorithm": ES256,
                "attestationObject": B64.encode(&attestation_object),
            },
            "clientExtensionResults": extension_results,
        });
        if let (Some(attachment), Some(object)) = (&self.attachment, response.as_object_mut()) {
            object.insert("authenticatorAttachment".to_string(), json!(attachment));
        }

        self.by_id.insert(id.to_vec(), self.credentials.len());
        self.credentials.push(Credential {
            id: id.to_vec(),
            rp_id,
            user_handle,
            key,
            counter: self.counter_start,
            backup_eligible: self.backup_eligible,
            backup_state: self.backup_state,
        });
        Ok(response)
    }

    /// Performs `navigator.credentials.get()`: `options` is the L3 JSON `publicKey` request object. With a
    /// non-empty `allowCredentials` the first listed credential held here for `rpId` answers; with an empty or
    /// missing one (discoverable login) the most recently registered credential for `rpId` does. The sign
    /// counter goes up by one; the response includes the `userHandle`. A `{"publicKey": ...}` wrapper is
    /// accepted too.
    pub fn sign_in(&mut self, options: &Value, origin: &str) -> Result<Value, SoftError> {
        let options = unwrap_public_key(options);
        let rp_id = request_rp_id(options, origin)?;
        let allowed = descriptor_ids(options, "/allowCredentials")?;
        let index = if allowed.is_empty() {
            self.credentials.iter().rposition(|c| c.rp_id == rp_id)
        } else {
            allowed
                .iter()
                .filter_map(|id| self.by_id.get(id).copied())
                .find(|&i| self.credentials[i].rp_id == rp_id)
        };
        let index = index.ok_or(SoftError::NoCredential { rp_id })?;
        self.assert(index, options, origin)
    }

    /// Like [`SoftAuthenticator::sign_in`], but answers with the given credential (as a user picking one in the
    /// account chooser), whatever `allowCredentials` says; its RP ID must still match.
    pub fn sign_in_with(&mut self, credential_id: &[u8], options: &Value, origin: &str) -> Result<Value, SoftError> {
        let options = unwrap_public_key(options);
        let rp_id = request_rp_id(options, origin)?;
        let index = self
            .by_id
            .get(credential_id)
            .copied()
            .filter(|&i| self.credentials[i].rp_id == rp_id);
        let index = index.ok_or(SoftError::NoCredential { rp_id })?;
        self.assert(index, options, origin)
    }

    /// The ids of the credentials held, oldest first.
    pub fn credential_ids(&self) -> Vec<Vec<u8>> {
        self.credentials.iter().map(|c| c.id.clone()).collect()
    }

    /// The user handle (`user.id` at registration) of a held credential.
    pub fn user_handle(&self, credential_id: &[u8]) -> Option<&[u8]> {
        self.by_id
            .get(credential_id)
            .map(|&i| self.credentials[i].user_handle.as_slice())
    }

    /// The current sign count of a held credential.
    pub fn counter(&self, credential_id: &[u8]) -> Option<u32> {
        self.by_id.get(credential_id).map(|&i| self.credentials[i].counter)
    }

    /// Sets the BS flag of a held credential for later assertions (simulates a 0→1 backup state flip).
    ///
    /// Panics when the credential is not held here: a test asking for it has a bug.
    pub fn set_backup_state(&mut self, credential_id: &[u8], state: bool) {
        self.credential_mut(credential_id).backup_state = state;
    }

    /// Sets the BE flag of a held credential for later assertions. Panics when the credential is not held here.
    pub fn set_backup_eligible(&mut self, credential_id: &[u8], eligible: bool) {
        self.credential_mut(credential_id).backup_eligible = eligible;
    }

    /// Sets the sign count of a held credential; the next assertion reports `n + 1` (simulates a cloned
    /// authenticator or a counter regression). Panics when the credential is not held here.
    pub fn set_counter(&mut self, credential_id: &[u8], n: u32) {
        self.credential_mut(credential_id).counter = n;
    }

    fn credential_mut(&mut self, credential_id: &[u8]) -> &mut Credential {
        let index = self
            .by_id
            .get(credential_id)
            .copied()
            .expect("the test asks about a credential this SoftAuthenticator holds");
        &mut self.credentials[index]
    }

    fn flags(&self, backup_eligible: bool, backup_state: bool) -> u8 {
        let mut bits = flags::UP;
        if self.user_verified {
            bits |= flags::UV;
        }
        if backup_eligible {
            bits |= flags::BE;
        }
        if backup_state {
            bits |= flags::BS;
        }
        bits
    }

    fn attestation_object(
        &self,
        attestation: &Attestation,
        auth_data: &[u8],
        client_data_json: &[u8],
        credential_key: &EcdsaKeyPair,
    ) -> Vec<u8> {
        let signed = || {
            let mut message = Vec::with_capacity(auth_data.len() + 32);
            message.extend_from_slice(auth_data);
            message.extend_from_slice(&Sha256::digest(client_data_json));
            message
        };
        let mut out = Vec::with_capacity(auth_data.len() + 600);
        cbor::map(&mut out, 3);
        cbor::text(&mut out, "fmt");
        let fmt = match attestation {
            Attestation::None => "none",
            Attestation::SelfPacked | Attestation::Packed(_) => "packed",
        };
        cbor::text(&mut out, self.fmt_override.as_deref().unwrap_or(fmt));
        cbor::text(&mut out, "attStmt");
        match (attestation, &self.leaf) {
            (Attestation::None, _) => cbor::map(&mut out, 0),
            (Attestation::SelfPacked, _) => {
                let signature = sign(credential_key, &signed());
                cbor::map(&mut out, 2);
                cbor::text(&mut out, "alg");
                cbor::int(&mut out, ES256);
                cbor::text(&mut out, "sig");
                cbor::bytes(&mut out, &signature);
            }
            (Attestation::Packed(ca), leaf) => {
                let leaf = leaf.clone().unwrap_or_else(|| ca.leaf(self.aaguid));
                let signature: EcdsaP256DerSignature = leaf.key.sign(&signed());
                cbor::map(&mut out, 3);
                cbor::text(&mut out, "alg");
                cbor::int(&mut out, ES256);
                cbor::text(&mut out, "sig");
                cbor::bytes(&mut out, signature.as_bytes());
                cbor::text(&mut out, "x5c");
                cbor::array(&mut out, 1);
                cbor::bytes(&mut out, &leaf.der);
            }
        }
        cbor::text(&mut out, "authData");
        cbor::bytes(&mut out, auth_data);
        out
    }

    fn assert(&mut self, index: usize, options: &Value, origin: &str) -> Result<Value, SoftError> {
        let challenge = b64_field(options, "/challenge")?;
        let user_verified = self.user_verified;
        let credential = &mut self.credentials[index];
        credential.counter = credential.counter.wrapping_add(1);

        let mut bits = flags::UP;
        if user_verified {
            bits |= flags::UV;
        }
        if credential.backup_eligible {
            bits |= flags::BE;
        }
        if credential.backup_state {
            bits |= flags::BS;
        }
        let mut auth_data = Vec::with_capacity(37);
        auth_data.extend_from_slice(&Sha256::digest(credential.rp_id.as_bytes()));
        auth_data.push(bits);
        auth_data.extend_from_slice(&credential.counter.to_be_bytes());

        let client_data_json = client_data("webauthn.get", &challenge, origin);
        let mut message = Vec::with_capacity(auth_data.len() + 32);
        message.extend_from_slice(&auth_data);
        message.extend_from_slice(&Sha256::digest(&client_data_json));
        let signature = sign(&credential.key, &message);

        let id_b64 = B64.encode(&credential.id);
        let mut response = json!({
            "id": id_b64,
            "rawId": id_b64,
            "type": "public-key",
            "response": {
                "clientDataJSON": B64.encode(&client_data_json),
                "authenticatorData": B64.encode(&auth_data),
                "signature": B64.encode(&signature),
                "userHandle": B64.encode(&credential.user_handle),
            },
            "clientExtensionResults": {},
        });
        if let (Some(attachment), Some(object)) = (&self.attachment, response.as_object_mut()) {
            object.insert("authenticatorAttachment".to_string(), json!(attachment));
        }
        Ok(response)
    }
}

impl std::fmt::Debug for SoftAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftAuthenticator")
            .field("aaguid", &self.aaguid)
            .field("user_verified", &self.user_verified)
            .field("backup_eligible", &self.backup_eligible)
            .field("backup_state", &self.backup_state)
            .field("attestation", &self.attestation)
            .field("counter_start", &self.counter_start)
            .field("n_credentials", &self.credentials.len())
            .finish_non_exhaustive()
    }
}

/// The options themselves when they come wrapped as `{"publicKey": options}`.
fn unwrap_public_key(options: &Value) -> &Value {
    options
        .get("publicKey")
        .filter(|inner| inner.is_object())
        .unwrap_or(options)
}

/// The clientDataJSON a browser writes, members in the browser's order.
fn client_data(kind: &str, challenge: &[u8], origin: &str) -> Vec<u8> {
    let origin = serde_json::to_string(origin).expect("a string serializes to JSON");
    format!(
        r#"{{"type":"{kind}","challenge":"{}","origin":{origin},"crossOrigin":false}}"#,
        B64.encode(challenge)
    )
    .into_bytes()
}

/// The host of an origin `scheme://host[:port]`, without brackets for IPv6 literals.
fn origin_host(origin: &str) -> Result<&str, SoftError> {
    let invalid = || SoftError::InvalidOrigin(origin.to_string());
    let (_scheme, rest) = origin.split_once("://").ok_or_else(invalid)?;
    let authority = rest.split('/').next().unwrap_or_default();
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split_once(']').map(|(host, _)| host).ok_or_else(invalid)?
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    if host.is_empty() { Err(invalid()) } else { Ok(host) }
}

fn request_rp_id(options: &Value, origin: &str) -> Result<String, SoftError> {
    match options.get("rpId").and_then(Value::as_str) {
        Some(rp_id) => Ok(rp_id.to_string()),
        None => Ok(origin_host(origin)?.to_string()),
    }
}

fn b64_field(options: &Value, pointer: &str) -> Result<Vec<u8>, SoftError> {
    let text = options
        .pointer(pointer)
        .and_then(Value::as_str)
        .ok_or_else(|| SoftError::InvalidOptions(format!("{pointer} is missing or not a string")))?;
    B64_LENIENT
        .decode(text)
        .map_err(|e| SoftError::InvalidOptions(format!("{pointer} is not base64url: {e}")))
}

/// The ids of a list of PublicKeyCredentialDescriptorJSON; a missing list is empty.
fn descriptor_ids(options: &Value, pointer: &str) -> Result<Vec<Vec<u8>>, SoftError> {
    let Some(list) = options.pointer(pointer).filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| SoftError::InvalidOptions(format!("{pointer} is not an array")))?;
    (0..list.len())
        .map(|i| b64_field(options, &format!("{pointer}/{i}/id")))
        .collect()
}

fn check_algorithms(options: &Value) -> Result<(), SoftError> {
    let Some(params) = options.get("pubKeyCredParams").filter(|v| !v.is_null()) else {
        return Ok(()); // absent: the client defaults to ES256 and RS256
    };
    let params = params
        .as_array()
        .ok_or_else(|| SoftError::InvalidOptions("/pubKeyCredParams is not an array".to_string()))?;
    if params.is_empty()
        || params
            .iter()
            .any(|p| p.get("alg").and_then(Value::as_i64) == Some(ES256))
    {
        Ok(())
    } else {
        Err(SoftError::NoSupportedAlgorithm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authenticators_can_move_between_threads() {
        fn assert_send<T: Send + 'static>() {}
        assert_send::<SoftAuthenticator>();
        assert_send::<Arc<TestCa>>();
    }

    #[test]
    fn origin_host_strips_scheme_port_and_brackets() {
        assert_eq!(origin_host("https://example.test"), Ok("example.test"));
        assert_eq!(origin_host("http://localhost:8080"), Ok("localhost"));
        assert_eq!(origin_host("http://[::1]:3000"), Ok("::1"));
        assert_eq!(
            origin_host("example.test"),
            Err(SoftError::InvalidOrigin("example.test".to_string()))
        );
        assert_eq!(
            origin_host("https://"),
            Err(SoftError::InvalidOrigin("https://".to_string()))
        );
    }

    #[test]
    fn client_data_escapes_the_origin() {
        let json = client_data("webauthn.get", b"abc", "https://a\"b");
        let parsed: Value = serde_json::from_slice(&json).expect("clientDataJSON is JSON");
        assert_eq!(parsed["origin"], "https://a\"b");
        assert_eq!(parsed["challenge"], "YWJj");
        assert_eq!(parsed["type"], "webauthn.get");
    }
}
