//! Judges attestation trust: does the statement's certificate chain lead, at a given instant, to a root that the
//! FIDO metadata lists for the claimed AAGUID? The chain check itself is webauthn-rs-core's
//! `verify_attestation_ca_chain`; this module only chooses the roots and words the answer.
//!
//! It never refuses a registration: an untrusted chain is a fact for policy to weigh.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crypto_glue::x509::X509VerificationError;
use keywarden_domain::Aaguid;
use keywarden_domain::metadata::Catalog;
use keywarden_domain::registration::{AttestationFormat, Trust};
use time::OffsetDateTime;
use webauthn_rs_core::attestation::verify_attestation_ca_chain;
use webauthn_rs_core::error::WebauthnError;
use webauthn_rs_core::proto::{AttestationCaListBuilder, ParsedAttestationData};

use keywarden_domain::instant::rfc3339;

pub(crate) fn judge(
    data: &ParsedAttestationData,
    format: AttestationFormat,
    aaguid: Aaguid,
    catalog: &Catalog,
    at: OffsetDateTime,
) -> Trust {
    match data {
        ParsedAttestationData::Basic(_) | ParsedAttestationData::AttCa(_) | ParsedAttestationData::AnonCa(_) => {}
        ParsedAttestationData::Self_
        | ParsedAttestationData::None
        | ParsedAttestationData::ECDAA
        | ParsedAttestationData::Uncertain => return Trust::Absent,
    }
    let untrusted = |reason: String| Trust::Untrusted { reason };
    if aaguid.is_zero() {
        return untrusted(format!(
            "the {} attestation names the all-zero aaguid, so no metadata entry lists roots for it",
            format.as_str()
        ));
    }
    let Some(entry) = catalog.entry(&aaguid) else {
        return untrusted(format!("the metadata has no entry for aaguid {aaguid}"));
    };
    let mut roots = AttestationCaListBuilder::new();
    let mut n_roots = 0usize;
    for root in &entry.attestation_roots {
        match roots.insert_device_der(root, aaguid.0, entry.description.clone(), BTreeMap::new()) {
            Ok(()) => n_roots += 1,
            Err(error) => tracing::warn!(%aaguid, %error, "skipping a metadata attestation root that is not valid DER"),
        }
    }
    if n_roots == 0 {
        return untrusted(format!(
            "the metadata entry for {aaguid} lists no usable attestation roots"
        ));
    }
    let roots = roots.build();
    match verify_attestation_ca_chain(data, &roots, SystemTime::from(at)) {
        Ok(Some(root)) => Trust::Verified {
            root: root.ca().tbs_certificate().subject().to_string(),
        },
        Ok(None) => Trust::Absent,
        Err(WebauthnError::AttestationChainNotTrusted(error)) => untrusted(chain_reason(error, aaguid, at)),
        Err(error) => untrusted(format!("the attestation chain could not be checked ({error})")),
    }
}

fn chain_reason(error: X509VerificationError, aaguid: Aaguid, at: OffsetDateTime) -> String {
    use X509VerificationError as E;
    match error {
        E::NotBefore | E::NotAfter => format!("a certificate in the attestation chain is not valid at {}", rfc3339(at)),
        E::NoMatchingIssuer | E::InvalidIssuer => {
            format!("the attestation chain does not lead to a root the metadata lists for {aaguid}")
        }
        E::SignatureVerificationFailed | E::SignatureAlgorithmMismatch | E::DerSignatureInvalid => {
            "a certificate signature in the attestation chain does not verify".to_string()
        }
        other => format!("the attestation chain does not verify to the metadata roots for {aaguid} ({other:?})"),
    }
}
