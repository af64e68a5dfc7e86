//! Attestation statements that webauthn-rs-core 0.6.2 cannot verify, verified here from the original bytes:
//! `tpm` (core verifies none), `android-safetynet` (core has none), and `packed` or `fido-u2f` statements whose
//! clientDataJSON core cannot read. Also the trust judgement against FIDO metadata, for every format.
//!
//! Each verifier returns a [`Statement`] shaped like webauthn-rs-core's own result, so the stored credential looks
//! the same whichever code verified it.

use std::collections::BTreeMap;

use crypto_glue::traits::DecodeDer;
use crypto_glue::x509::Certificate;
use serde_cbor_2::Value as Cbor;
use webauthn_rs_core::proto::{AttestationFormat, AttestationMetadata, ParsedAttestationData};

use crate::error::Rejection;

pub(crate) mod detached;
pub(crate) mod safetynet;
pub(crate) mod tpm;
pub(crate) mod trust;

/// What a verified attestation statement proved.
pub(crate) struct Statement {
    pub(crate) data: ParsedAttestationData,
    pub(crate) metadata: AttestationMetadata,
    pub(crate) format: AttestationFormat,
    /// The certificates of the statement, DER, leaf first (for thumbprints).
    pub(crate) certificates: Vec<Vec<u8>>,
    /// The statement's signature used SHA-1 (TPM `RS1`).
    pub(crate) sha1_signature: bool,
    pub(crate) notes: Vec<String>,
}

/// The members of an attestation statement map, read by name.
pub(crate) struct Members<'a>(&'a BTreeMap<Cbor, Cbor>);

impl<'a> Members<'a> {
    pub(crate) fn of(att_stmt: &'a Cbor) -> Result<Members<'a>, Rejection> {
        match att_stmt {
            Cbor::Map(members) => Ok(Members(members)),
            _ => Err(Rejection::attestation_invalid("the attestation statement is not a map")),
        }
    }

    fn get(&self, name: &str) -> Option<&'a Cbor> {
        self.0.get(&Cbor::Text(name.to_string()))
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub(crate) fn bytes(&self, name: &str) -> Result<&'a [u8], Rejection> {
        match self.get(name) {
            Some(Cbor::Bytes(bytes)) => Ok(bytes),
            _ => Err(Rejection::attestation_invalid(format!(
                "the attestation statement has no {name} bytes"
            ))),
        }
    }

    pub(crate) fn text(&self, name: &str) -> Result<&'a str, Rejection> {
        match self.get(name) {
            Some(Cbor::Text(text)) => Ok(text),
            _ => Err(Rejection::attestation_invalid(format!(
                "the attestation statement has no {name} text"
            ))),
        }
    }

    pub(crate) fn integer(&self, name: &str) -> Result<i64, Rejection> {
        match self.get(name) {
            Some(Cbor::Integer(value)) => i64::try_from(*value).map_err(|_| {
                Rejection::attestation_invalid(format!("the attestation statement {name} is out of range"))
            }),
            _ => Err(Rejection::attestation_invalid(format!(
                "the attestation statement has no {name} integer"
            ))),
        }
    }

    /// `x5c`: a non-empty array of DER certificates, leaf first.
    pub(crate) fn x5c(&self) -> Result<Vec<Vec<u8>>, Rejection> {
        let Some(Cbor::Array(items)) = self.get("x5c") else {
            return Err(Rejection::attestation_invalid(
                "the attestation statement has no x5c array",
            ));
        };
        let certificates = items
            .iter()
            .map(|item| match item {
                Cbor::Bytes(der) => Ok(der.clone()),
                _ => Err(Rejection::attestation_invalid("an x5c entry is not a byte string")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if certificates.is_empty() {
            return Err(Rejection::attestation_invalid(
                "the attestation statement's x5c is empty",
            ));
        }
        Ok(certificates)
    }
}

/// The `x5c` certificates of a statement, when it has them, for thumbprints; malformed entries are skipped
/// because the statement verifier has already judged them.
pub(crate) fn x5c_of(att_stmt: &Cbor) -> Vec<Vec<u8>> {
    Members::of(att_stmt)
        .ok()
        .filter(|members| members.has("x5c"))
        .and_then(|members| members.x5c().ok())
        .unwrap_or_default()
}

pub(crate) fn parse_certificates(ders: &[Vec<u8>]) -> Result<Vec<Certificate>, Rejection> {
    ders.iter()
        .map(|der| {
            Certificate::from_der(der)
                .map_err(|_| Rejection::attestation_invalid("an attestation certificate is not valid DER X.509"))
        })
        .collect()
}
