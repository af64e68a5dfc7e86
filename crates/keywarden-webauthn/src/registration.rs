//! Verifies a registration response and turns it into domain `Facts`.
//!
//! webauthn-rs-core checks client data, challenge, origin, rpIdHash, flags, the credential key and, for the formats
//! it supports, the attestation statement. For statements it cannot verify (tpm, android-safetynet, and any whose
//! clientDataJSON it cannot read) it is shown the same response with a `none` statement, and the original statement
//! is verified in [`crate::attestation`]. Trust is then judged against the metadata at the caller's instant, never
//! at webauthn-rs-core's clock.

use keywarden_domain::metadata::Catalog;
use keywarden_domain::registration::{AttestationFormat, AttestationType, Facts, Flags};
use keywarden_domain::{Aaguid, Code};
use serde_json::Value;
use time::OffsetDateTime;
use webauthn_rs_core::WebauthnCore;
use webauthn_rs_core::proto::{
    AttestationFormat as CoreFormat, AttestationMetadata, COSEKey, Credential, ParsedAttestation,
    ParsedAttestationData, RegistrationState,
};

use crate::attestation::{Statement, detached, safetynet, tpm, trust, x5c_of};
use crate::encoding::{clip, thumbprint};
use crate::error::{Ceremony, Rejection, from_core};
use crate::relying_party::{ALGORITHMS, StoredCredential, VerifiedRegistration};
use crate::response::{RegistrationResponse, as_none_attestation, parse_registration};

/// Who verifies the attestation statement.
enum Verifier {
    /// webauthn-rs-core, on the response as sent.
    Core,
    /// keywarden, from the original statement; webauthn-rs-core sees a `none` statement.
    Keywarden(Detached),
}

#[derive(Clone, Copy)]
enum Detached {
    Tpm,
    SafetyNet,
    Packed,
    FidoU2f,
    None,
}

/// webauthn-rs-core reports an excluded credential as `CredentialAlteredAlgFromRequest`, after it verified the
/// response; keywarden checks the algorithm itself beforehand, so that error with an excluded id is a duplicate.
fn registration_error(
    error: &webauthn_rs_core::error::WebauthnError,
    credential_id: &[u8],
    excluded: &[Vec<u8>],
) -> Rejection {
    if matches!(
        error,
        webauthn_rs_core::error::WebauthnError::CredentialAlteredAlgFromRequest
    ) && excluded.iter().any(|id| id.as_slice() == credential_id)
    {
        return Rejection::new(
            Code::CredentialAlreadyRegistered,
            "the authenticator returned a credential that is already registered",
        );
    }
    from_core(error, Ceremony::Registration)
}

pub(crate) fn verify(
    core: &WebauthnCore,
    response: &Value,
    state: &RegistrationState,
    exclude_credentials: &[Vec<u8>],
    catalog: &Catalog,
    at: OffsetDateTime,
) -> Result<VerifiedRegistration, Rejection> {
    let parsed = parse_registration(response)?;
    if !ALGORITHMS.iter().any(|alg| *alg as i64 == parsed.algorithm) {
        return Err(Rejection::new(
            Code::UnsupportedAlgorithm,
            format!(
                "the credential key algorithm {} is not one keywarden accepts (ES256 -7 or RS256 -257)",
                parsed.algorithm
            ),
        ));
    }
    let verifier = choose_verifier(&parsed)?;
    // WebAuthn L3 §8.7: a `none` statement is an empty map; webauthn-rs-core does not look.
    if parsed.fmt == "none" && !matches!(&parsed.att_stmt, serde_cbor_2::Value::Map(members) if members.is_empty()) {
        return Err(Rejection::attestation_invalid(
            "a none attestation statement must be empty",
        ));
    }

    let (credential, statement) = match verifier {
        Verifier::Core => {
            let credential = core
                .register_credential(&parsed.credential, state, None)
                .map_err(|error| registration_error(&error, &parsed.credential_id, exclude_credentials))?;
            let statement = Statement {
                data: credential.attestation.data.clone(),
                metadata: credential.attestation.metadata.clone(),
                format: credential.attestation_format.clone(),
                certificates: x5c_of(&parsed.att_stmt),
                sha1_signature: false,
                notes: vec![],
            };
            (credential, statement)
        }
        Verifier::Keywarden(detached) => {
            // Core checks everything but the statement on a copy whose statement is `none` (and whose client data
            // it can read); the original statement is then verified against the original bytes.
            let mut shown = parsed.credential.clone();
            shown.response.attestation_object = as_none_attestation(&parsed.auth_data)?;
            if let Some(client_data) = &parsed.sanitised_client_data {
                shown.response.client_data_json = client_data.clone();
            }
            let credential = core
                .register_credential(&shown, state, None)
                .map_err(|error| registration_error(&error, &parsed.credential_id, exclude_credentials))?;
            let statement = verify_statement(detached, &parsed, &credential.cred)?;
            (with_statement(credential, &statement, &parsed), statement)
        }
    };

    // Only a response proven to answer this ceremony's challenge may decide the attempt, so the duplicate check
    // comes after verification: a replayed old response is refused as such, not as a duplicate.
    if exclude_credentials.contains(&parsed.credential_id) {
        return Err(Rejection::new(
            Code::CredentialAlreadyRegistered,
            "the authenticator returned a credential that is already registered",
        ));
    }
    let facts = facts(&parsed, &credential, statement, catalog, at)?;
    let stored = serde_json::to_string(&credential)
        .map(StoredCredential)
        .map_err(|_| Rejection::new(Code::InternalError, "the credential could not be serialised"))?;
    Ok(VerifiedRegistration {
        facts,
        credential_id: parsed.credential_id,
        public_key: parsed.cose_key,
        stored,
    })
}

fn choose_verifier(parsed: &RegistrationResponse) -> Result<Verifier, Rejection> {
    let client_data_unreadable = parsed.sanitised_client_data.is_some();
    Ok(match (parsed.fmt.as_str(), client_data_unreadable) {
        ("tpm", _) => Verifier::Keywarden(Detached::Tpm),
        ("android-safetynet", _) => Verifier::Keywarden(Detached::SafetyNet),
        ("packed" | "fido-u2f" | "apple" | "android-key" | "none", false) => Verifier::Core,
        ("packed", true) => Verifier::Keywarden(Detached::Packed),
        ("fido-u2f", true) => Verifier::Keywarden(Detached::FidoU2f),
        ("none", true) => Verifier::Keywarden(Detached::None),
        ("apple" | "android-key", true) => {
            return Err(Rejection::malformed(
                "clientDataJSON.tokenBinding is not an object, which keywarden accepts only for packed, fido-u2f, \
                 tpm and none statements",
            ));
        }
        (other, _) => {
            return Err(Rejection::new(
                Code::AttestationFormatUnsupported,
                format!(
                    "the attestation format {:?} is not one WebAuthn defines",
                    clip(other, 32)
                ),
            ));
        }
    })
}

fn verify_statement(detached: Detached, parsed: &RegistrationResponse, key: &COSEKey) -> Result<Statement, Rejection> {
    let (att_stmt, auth_data, hash) = (
        &parsed.att_stmt,
        parsed.auth_data.as_slice(),
        parsed.client_data_hash.as_slice(),
    );
    match detached {
        Detached::Tpm => tpm::verify(att_stmt, auth_data, hash, parsed.aaguid, key),
        Detached::SafetyNet => safetynet::verify(att_stmt, auth_data, hash),
        Detached::Packed => detached::verify_packed(att_stmt, auth_data, hash, parsed.aaguid, key),
        Detached::FidoU2f => detached::verify_fido_u2f(att_stmt, auth_data, hash, &parsed.credential_id, key),
        Detached::None => Ok(Statement {
            data: ParsedAttestationData::None,
            metadata: AttestationMetadata::None,
            format: CoreFormat::None,
            certificates: vec![],
            sha1_signature: false,
            notes: vec![],
        }),
    }
}

/// The credential webauthn-rs-core built from the `none` view, with the statement keywarden verified, so the stored
/// credential looks as if core had verified it.
fn with_statement(mut credential: Credential, statement: &Statement, parsed: &RegistrationResponse) -> Credential {
    credential.attestation = ParsedAttestation {
        data: statement.data.clone(),
        metadata: statement.metadata.clone(),
    };
    credential.attestation_format = statement.format.clone();
    // Core keeps the reported transports for packed and tpm statements only; do the same.
    if matches!(statement.format, CoreFormat::Packed | CoreFormat::Tpm) {
        credential.transports = parsed.credential.response.transports.clone();
    }
    credential
}

fn facts(
    parsed: &RegistrationResponse,
    credential: &Credential,
    statement: Statement,
    catalog: &Catalog,
    at: OffsetDateTime,
) -> Result<Facts, Rejection> {
    let format = AttestationFormat::parse(&parsed.fmt).ok_or_else(|| {
        Rejection::new(
            Code::AttestationFormatUnsupported,
            "the attestation format is not one WebAuthn defines",
        )
    })?;
    let aaguid = Aaguid::from_bytes(parsed.aaguid);
    let attestation_type = match &statement.data {
        ParsedAttestationData::Basic(_) => AttestationType::Basic,
        ParsedAttestationData::Self_ => AttestationType::SelfAttestation,
        ParsedAttestationData::AttCa(_) => AttestationType::AttCa,
        ParsedAttestationData::AnonCa(_) => AttestationType::AnonCa,
        ParsedAttestationData::ECDAA | ParsedAttestationData::Uncertain | ParsedAttestationData::None => {
            AttestationType::None
        }
    };
    let trust = trust::judge(&statement.data, format, aaguid, catalog, at);
    let hardware_backed = match &statement.metadata {
        AttestationMetadata::AndroidKey { is_km_tee, .. } => Some(*is_km_tee),
        _ => None,
    };
    let mut notes = statement.notes;
    if !aaguid.is_zero()
        && matches!(
            attestation_type,
            AttestationType::None | AttestationType::SelfAttestation
        )
    {
        notes.push("the AAGUID is the authenticator's own claim; no attestation certificate backs it".to_string());
    }
    Ok(Facts {
        format,
        aaguid,
        model: catalog.name(&aaguid).map(str::to_string),
        attestation_type,
        trust,
        certificate_thumbprints: statement.certificates.iter().map(|der| thumbprint(der)).collect(),
        flags: Flags {
            user_present: parsed.authenticator.user_present,
            user_verified: credential.user_verified,
            backup_eligible: credential.backup_eligible,
            backup_state: credential.backup_state,
        },
        sign_count: credential.counter,
        algorithm: credential.cred.type_ as i64,
        transports: parsed.transports.clone(),
        sha1_signature: statement.sha1_signature,
        hardware_backed,
        notes,
    })
}
