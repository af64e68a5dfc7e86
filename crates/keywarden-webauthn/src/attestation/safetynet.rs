//! The `android-safetynet` attestation statement (WebAuthn L3 §8.5). Google retired SafetyNet attestation, so
//! keywarden treats such a statement as no attestation at all; it still checks the JWS signature with its leaf
//! certificate and the nonce, so that a tampered statement is refused rather than silently ignored.
//!
//! The certificate chain and the JWS timestamp are not checked: nothing is trusted on their account.

use std::str::FromStr;

use compact_jwt::crypto::JwsX509Verifier;
use compact_jwt::{JwsCompact, JwsVerifier};
use crypto_glue::x509::oiddb::rfc4519;
use serde::Deserialize;
use serde_cbor_2::Value as Cbor;
use webauthn_rs_core::proto::{AttestationFormat, AttestationMetadata, ParsedAttestationData};

use super::{Members, Statement};
use crate::encoding::{b64_standard_decode, b64_standard_encode, sha256};
use crate::error::Rejection;

/// The host name the SafetyNet attestation certificate is issued to.
const SAFETYNET_HOST: &[u8] = b"attest.android.com";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    nonce: String,
    #[serde(default)]
    cts_profile_match: Option<bool>,
}

pub(crate) fn verify(att_stmt: &Cbor, auth_data: &[u8], client_data_hash: &[u8]) -> Result<Statement, Rejection> {
    let members = Members::of(att_stmt)?;
    if members.text("ver")?.is_empty() {
        return Err(Rejection::attestation_invalid(
            "the safetynet statement has an empty ver",
        ));
    }
    let response = std::str::from_utf8(members.bytes("response")?)
        .map_err(|_| Rejection::attestation_invalid("the safetynet response is not text"))?;
    let jws = JwsCompact::from_str(response.trim())
        .map_err(|_| Rejection::attestation_invalid("the safetynet response is not a compact JWS"))?;
    let (leaf, _chain) = jws
        .get_x5c_chain()
        .ok()
        .flatten()
        .ok_or_else(|| Rejection::attestation_invalid("the safetynet JWS has no readable x5c chain"))?;
    let issued_to_safetynet = leaf
        .tbs_certificate()
        .subject()
        .iter()
        .any(|attribute| attribute.oid == rfc4519::CN && attribute.value.value() == SAFETYNET_HOST);
    if !issued_to_safetynet {
        return Err(Rejection::attestation_invalid(
            "the safetynet JWS certificate is not issued to attest.android.com",
        ));
    }
    let certificates = jws
        .header()
        .x5c
        .iter()
        .flatten()
        .filter_map(|der| b64_standard_decode(der))
        .collect();

    let verifier = JwsX509Verifier::from_x509(leaf)
        .map_err(|_| Rejection::attestation_invalid("the safetynet JWS certificate key is not usable"))?;
    let released = verifier
        .verify(&jws)
        .map_err(|_| Rejection::attestation_invalid("the safetynet JWS signature does not verify"))?;
    let payload: Payload = released
        .from_json()
        .map_err(|_| Rejection::attestation_invalid("the safetynet JWS payload is not the expected JSON"))?;

    // WebAuthn L3 §8.5: the nonce is base64(SHA-256(authenticatorData || clientDataHash)).
    let expected_nonce = b64_standard_encode(&sha256(&[auth_data, client_data_hash].concat()));
    if payload.nonce != expected_nonce {
        return Err(Rejection::attestation_invalid(
            "the safetynet nonce does not match this response",
        ));
    }

    let mut notes = vec![
        "Google retired SafetyNet attestation, so keywarden treats this android-safetynet statement as no \
         attestation (its signature and nonce were still checked)"
            .to_string(),
    ];
    if payload.cts_profile_match == Some(false) {
        notes.push("the SafetyNet verdict says the device failed the CTS profile check".to_string());
    }
    Ok(Statement {
        data: ParsedAttestationData::None,
        metadata: AttestationMetadata::None,
        format: AttestationFormat::AndroidSafetyNet,
        certificates,
        sha1_signature: false,
        notes,
    })
}
