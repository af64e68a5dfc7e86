//! `packed` (WebAuthn L3 §8.2) and `fido-u2f` (§8.6) statements, verified here only when webauthn-rs-core cannot
//! read the response's clientDataJSON (old clients sent `"tokenBinding":"unused"`), so it cannot verify them.
//!
//! The steps reuse webauthn-rs-core's public pieces (certificate requirements, the AAGUID extension check, COSE
//! signature verification) so both paths judge a statement alike.

use crypto_glue::x509::x509_verify_signature;
use serde_cbor_2::Value as Cbor;
use uuid::Uuid;
use webauthn_rs_core::attestation::{FidoGenCeAaguid, assert_packed_attest_req, validate_extension};
use webauthn_rs_core::proto::{
    AttestationFormat, AttestationMetadata, COSEEC2Key, COSEKey, COSEKeyType, ECDSACurve, ParsedAttestationData,
};

use super::{Members, Statement, parse_certificates};
use crate::error::Rejection;

/// §8.2 verification procedure: full attestation with x5c, or self attestation with the credential key.
pub(crate) fn verify_packed(
    att_stmt: &Cbor,
    auth_data: &[u8],
    client_data_hash: &[u8],
    aaguid: [u8; 16],
    credential_key: &COSEKey,
) -> Result<Statement, Rejection> {
    let members = Members::of(att_stmt)?;
    let alg = members.integer("alg")?;
    let signature = members.bytes("sig")?;
    let signed = [auth_data, client_data_hash].concat();
    if members.has("x5c") {
        let x5c = members.x5c()?;
        let certificates = parse_certificates(&x5c)?;
        let leaf = certificates
            .first()
            .ok_or_else(|| Rejection::attestation_invalid("the packed statement has no attestation certificate"))?;
        x509_verify_signature(&signed, signature, leaf)
            .map_err(|_| Rejection::attestation_invalid("the packed attestation signature does not verify"))?;
        assert_packed_attest_req(leaf).map_err(|_| {
            Rejection::attestation_invalid("the attestation certificate does not meet the packed requirements")
        })?;
        validate_extension::<FidoGenCeAaguid>(leaf, &aaguid).map_err(|_| {
            Rejection::attestation_invalid(
                "the attestation certificate's aaguid extension differs from the authenticator data aaguid",
            )
        })?;
        return Ok(Statement {
            data: ParsedAttestationData::Basic(certificates),
            metadata: AttestationMetadata::Packed {
                aaguid: Uuid::from_bytes(aaguid),
            },
            format: AttestationFormat::Packed,
            certificates: x5c,
            sha1_signature: false,
            notes: vec![],
        });
    }
    if members.has("ecdaaKeyId") {
        return Err(Rejection::attestation_invalid("ecdaa attestation is not supported"));
    }
    if alg != credential_key.type_ as i64 {
        return Err(Rejection::attestation_invalid(
            "the self attestation alg differs from the credential key algorithm",
        ));
    }
    match credential_key.verify_signature(signature, &signed) {
        Ok(true) => Ok(Statement {
            data: ParsedAttestationData::Self_,
            metadata: AttestationMetadata::None,
            format: AttestationFormat::Packed,
            certificates: vec![],
            sha1_signature: false,
            notes: vec![],
        }),
        _ => Err(Rejection::attestation_invalid(
            "the self attestation signature does not verify",
        )),
    }
}

/// §8.6 verification procedure: one certificate, a P-256 credential key, and a signature over the U2F
/// registration data.
pub(crate) fn verify_fido_u2f(
    att_stmt: &Cbor,
    auth_data: &[u8],
    client_data_hash: &[u8],
    credential_id: &[u8],
    credential_key: &COSEKey,
) -> Result<Statement, Rejection> {
    let members = Members::of(att_stmt)?;
    let signature = members.bytes("sig")?;
    let x5c = members.x5c()?;
    if x5c.len() != 1 {
        return Err(Rejection::attestation_invalid(
            "a fido-u2f statement must hold exactly one certificate",
        ));
    }
    let certificates = parse_certificates(&x5c)?;
    let COSEKeyType::EC_EC2(COSEEC2Key {
        curve: ECDSACurve::SECP256R1,
        x,
        y,
    }) = &credential_key.key
    else {
        return Err(Rejection::attestation_invalid(
            "a fido-u2f credential key must be a P-256 key",
        ));
    };
    let rp_id_hash = auth_data
        .get(..32)
        .ok_or_else(|| Rejection::malformed("the authenticator data is too short"))?;
    // verificationData = 0x00 || rpIdHash || clientDataHash || credentialId || 0x04 || x || y
    let signed = [
        &[0x00],
        rp_id_hash,
        client_data_hash,
        credential_id,
        &[0x04],
        x.as_slice(),
        y.as_slice(),
    ]
    .concat();
    let leaf = certificates
        .first()
        .ok_or_else(|| Rejection::attestation_invalid("the fido-u2f statement has no certificate"))?;
    x509_verify_signature(&signed, signature, leaf)
        .map_err(|_| Rejection::attestation_invalid("the fido-u2f attestation signature does not verify"))?;
    Ok(Statement {
        data: ParsedAttestationData::Basic(certificates),
        metadata: AttestationMetadata::None,
        format: AttestationFormat::FIDOU2F,
        certificates: x5c,
        sha1_signature: false,
        notes: vec![],
    })
}
