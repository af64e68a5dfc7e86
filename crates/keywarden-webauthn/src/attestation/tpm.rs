//! The `tpm` attestation statement (WebAuthn L3 §8.3), verified here because webauthn-rs-core 0.6.2 verifies none:
//! its extraData hash helper refuses every algorithm, and its AIK certificate check expects a SAN and EKU shape that
//! Windows does not produce.
//!
//! `certInfo` is read with webauthn-rs-core's public `TpmsAttest` parser; `pubArea` (TPMT_PUBLIC) with the small
//! reader below, since core keeps its own private. SHA-1 (`RS1`) signatures are accepted and reported, so policy
//! can refuse them later.

use crypto_glue::rsa::{RS256PublicKey, pkcs1v15};
use crypto_glue::traits::{OwnedToRef, Verifier};
use crypto_glue::x509::{
    self, BasicConstraints, Certificate, ExtendedKeyUsage, GeneralName, ObjectIdentifier, SubjectAltName,
};
use serde_cbor_2::Value as Cbor;
use uuid::Uuid;
use webauthn_rs_core::attestation::{FidoGenCeAaguid, validate_extension};
use webauthn_rs_core::internals::{TPM_GENERATED_VALUE, Tpm2bName, TpmSt, TpmsAttest, TpmuAttest};
use webauthn_rs_core::proto::{
    AttestationFormat, AttestationMetadata, COSEEC2Key, COSEKey, COSEKeyType, COSERSAKey, ECDSACurve,
    ParsedAttestationData,
};

use super::{Members, Statement, parse_certificates};
use crate::encoding::{sha1, sha256, sha384, sha512};
use crate::error::Rejection;

/// COSE `RS1`: RSASSA-PKCS1-v1_5 with SHA-1.
pub(crate) const ALG_RS1: i64 = -65535;

const TPM_ALG_RSA: u16 = 0x0001;
const TPM_ALG_SHA1: u16 = 0x0004;
const TPM_ALG_SHA256: u16 = 0x000B;
const TPM_ALG_SHA384: u16 = 0x000C;
const TPM_ALG_SHA512: u16 = 0x000D;
const TPM_ALG_NULL: u16 = 0x0010;
const TPM_ALG_ECC: u16 = 0x0023;

const TPM_ECC_NIST_P256: u16 = 0x0003;
const TPM_ECC_NIST_P384: u16 = 0x0004;
const TPM_ECC_NIST_P521: u16 = 0x0005;

/// tcg-kp-AIKCertificate, the extended key usage an AIK certificate must carry (§8.3.1).
const OID_TCG_KP_AIK_CERTIFICATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.133.8.3");
/// TPMv2-EK-Profile §3.2.9: the subject alternative name attributes.
const OID_TPM_MANUFACTURER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.133.2.1");
const OID_TPM_MODEL: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.133.2.2");
const OID_TPM_VERSION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.133.2.3");

/// The TCG TPM Vendor ID Registry (v1.06), as the hex of each 4-byte id, plus the id FIDO's conformance tools use.
const TPM_VENDORS: [&str; 25] = [
    "414D4400", // AMD
    "41544D4C", // Atmel
    "4252434D", // Broadcom
    "4353434F", // Cisco
    "464C5953", // Flyslice Technologies
    "524F4343", // Fuzhou Rockchip
    "474F4F47", // Google
    "48504500", // HPE
    "48495349", // Huawei
    "49424D00", // IBM
    "49465800", // Infineon
    "494E5443", // Intel
    "4C454E00", // Lenovo
    "4D534654", // Microsoft
    "4E534D20", // National Semiconductor
    "4E545A00", // Nationz
    "4E544300", // Nuvoton Technology
    "51434F4D", // Qualcomm
    "534D534E", // Samsung
    "534E5300", // Sinosun
    "534D5343", // SMSC
    "53544D20", // STMicroelectronics
    "54584E00", // Texas Instruments
    "57454300", // Winbond
    "FFFFF1D0", // FIDO Alliance conformance testing
];

/// Verifies a `tpm` statement for the credential key in the authenticator data (WebAuthn L3 §8.3,
/// verification procedure).
pub(crate) fn verify(
    att_stmt: &Cbor,
    auth_data: &[u8],
    client_data_hash: &[u8],
    aaguid: [u8; 16],
    credential_key: &COSEKey,
) -> Result<Statement, Rejection> {
    let members = Members::of(att_stmt)?;
    let version = members.text("ver")?;
    if version != "2.0" {
        return Err(Rejection::attestation_invalid("the tpm statement version is not 2.0"));
    }
    if members.has("ecdaaKeyId") {
        return Err(Rejection::attestation_invalid("tpm ecdaa attestation is not supported"));
    }
    let alg = members.integer("alg")?;
    let signature = members.bytes("sig")?;
    let cert_info_bytes = members.bytes("certInfo")?;
    let pub_area_bytes = members.bytes("pubArea")?;
    let x5c = members.x5c()?;

    // The public key in pubArea is the credential public key.
    let pub_area = TpmPublic::parse(pub_area_bytes)?;
    if !pub_area.matches(credential_key) {
        return Err(Rejection::attestation_invalid(
            "the tpm pubArea key differs from the credential public key",
        ));
    }

    // certInfo: magic, type, extraData and the attested name.
    let cert_info = TpmsAttest::try_from(cert_info_bytes).map_err(|_| {
        Rejection::attestation_invalid("the tpm certInfo is malformed or does not start with TPM_GENERATED_VALUE")
    })?;
    if cert_info.magic != TPM_GENERATED_VALUE {
        return Err(Rejection::attestation_invalid(
            "the tpm certInfo magic is not TPM_GENERATED_VALUE",
        ));
    }
    if cert_info.type_ != TpmSt::AttestCertify {
        return Err(Rejection::attestation_invalid(
            "the tpm certInfo type is not TPM_ST_ATTEST_CERTIFY",
        ));
    }
    let att_to_be_signed = [auth_data, client_data_hash].concat();
    let expected_extra_data = hash_for_signature_alg(alg)?(&att_to_be_signed);
    if cert_info.extra_data.as_deref() != Some(expected_extra_data.as_slice()) {
        return Err(Rejection::attestation_invalid(
            "the tpm certInfo extraData is not the hash of authenticator data and client data hash",
        ));
    }
    let TpmuAttest::AttestCertify(Tpm2bName::Digest(name), _) = &cert_info.typeattested else {
        return Err(Rejection::attestation_invalid(
            "the tpm certInfo does not name the attested key",
        ));
    };
    let expected_name = [
        pub_area.name_alg.to_be_bytes().to_vec(),
        hash_for_name_alg(pub_area.name_alg)?(pub_area_bytes),
    ]
    .concat();
    if *name != expected_name {
        return Err(Rejection::attestation_invalid(
            "the tpm certInfo name is not the name of pubArea",
        ));
    }

    // The AIK signed certInfo, and its certificate meets §8.3.1.
    let certificates = parse_certificates(&x5c)?;
    let aik = certificates
        .first()
        .ok_or_else(|| Rejection::attestation_invalid("the tpm statement has no AIK certificate"))?;
    verify_aik_signature(alg, aik, signature, cert_info_bytes)?;
    check_aik_certificate(aik)?;
    validate_extension::<FidoGenCeAaguid>(aik, &aaguid).map_err(|_| {
        Rejection::attestation_invalid(
            "the AIK certificate's aaguid extension differs from the authenticator data aaguid",
        )
    })?;

    let sha1_signature = alg == ALG_RS1;
    let mut notes = Vec::new();
    if sha1_signature {
        notes.push("the TPM attestation signature uses SHA-1 (RS1), as most Windows Hello TPMs do".to_string());
    }
    Ok(Statement {
        data: ParsedAttestationData::AttCa(certificates),
        metadata: AttestationMetadata::Tpm {
            aaguid: Uuid::from_bytes(aaguid),
            firmware_version: cert_info.firmware_version,
        },
        format: AttestationFormat::Tpm,
        certificates: x5c,
        sha1_signature,
        notes,
    })
}

type HashFn = fn(&[u8]) -> Vec<u8>;

/// The hash a COSE signature algorithm uses, for certInfo.extraData.
fn hash_for_signature_alg(alg: i64) -> Result<HashFn, Rejection> {
    match alg {
        ALG_RS1 => Ok(sha1),
        -257 | -7 | -37 => Ok(sha256),
        -258 | -35 | -38 => Ok(sha384),
        -259 | -36 | -39 => Ok(sha512),
        _ => Err(Rejection::attestation_invalid(format!(
            "the tpm statement algorithm {alg} is not supported"
        ))),
    }
}

/// The hash a TPM nameAlg names, for the attested name.
fn hash_for_name_alg(name_alg: u16) -> Result<HashFn, Rejection> {
    match name_alg {
        TPM_ALG_SHA1 => Ok(sha1),
        TPM_ALG_SHA256 => Ok(sha256),
        TPM_ALG_SHA384 => Ok(sha384),
        TPM_ALG_SHA512 => Ok(sha512),
        _ => Err(Rejection::attestation_invalid(
            "the tpm pubArea nameAlg is not a supported hash",
        )),
    }
}

/// Verifies the raw signature over certInfo with the AIK certificate's key, using `alg`.
fn verify_aik_signature(alg: i64, aik: &Certificate, signature: &[u8], cert_info: &[u8]) -> Result<(), Rejection> {
    let invalid = || Rejection::attestation_invalid("the tpm attestation signature does not verify with the AIK");
    let rsa_key = || {
        RS256PublicKey::try_from(aik.tbs_certificate().subject_public_key_info().owned_to_ref())
            .map_err(|_| Rejection::attestation_invalid("the AIK certificate key is not an RSA key"))
    };
    let rsa_signature = || pkcs1v15::Signature::try_from(signature).map_err(|_| invalid());
    let verified = match alg {
        ALG_RS1 => pkcs1v15::VerifyingKey::<crypto_glue::sha1::Sha1>::new(rsa_key()?)
            .verify(cert_info, &rsa_signature()?)
            .is_ok(),
        -257 => pkcs1v15::VerifyingKey::<crypto_glue::s256::Sha256>::new(rsa_key()?)
            .verify(cert_info, &rsa_signature()?)
            .is_ok(),
        -258 => pkcs1v15::VerifyingKey::<crypto_glue::s384::Sha384>::new(rsa_key()?)
            .verify(cert_info, &rsa_signature()?)
            .is_ok(),
        -259 => pkcs1v15::VerifyingKey::<crypto_glue::s512::Sha512>::new(rsa_key()?)
            .verify(cert_info, &rsa_signature()?)
            .is_ok(),
        // ECDSA with the curve's own hash (a DER signature): crypto-glue picks P-256 or P-384 from the key.
        -7 | -35 => x509::x509_verify_signature(cert_info, signature, aik).is_ok(),
        _ => {
            return Err(Rejection::attestation_invalid(format!(
                "the tpm attestation signature algorithm {alg} is not supported"
            )));
        }
    };
    if verified { Ok(()) } else { Err(invalid()) }
}

/// WebAuthn L3 §8.3.1, TPM Attestation Statement Certificate Requirements.
fn check_aik_certificate(aik: &Certificate) -> Result<(), Rejection> {
    let unmet = |what: &str| Rejection::attestation_invalid(format!("the AIK certificate {what}"));
    let tbs = aik.tbs_certificate();
    if tbs.version() != x509::Version::V3 {
        return Err(unmet("is not version 3"));
    }
    if !tbs.subject().is_empty() {
        return Err(unmet("has a subject, which must be empty"));
    }

    // The subject alternative name is critical (the subject is empty) and names the TPM, as TPMv2-EK-Profile
    // §3.2.9 defines: a directoryName with manufacturer, model and version attributes.
    let Ok(Some((critical, san))) = tbs.get_extension::<SubjectAltName>() else {
        return Err(unmet("has no readable subject alternative name"));
    };
    if !critical {
        return Err(unmet("has a subject alternative name that is not critical"));
    }
    let tpm =
        TpmDevice::from_san(&san).ok_or_else(|| unmet("does not name the TPM manufacturer, model and version"))?;
    if !is_known_vendor(&tpm.manufacturer) {
        return Err(unmet("names a TPM manufacturer that is not in the TCG vendor registry"));
    }

    let Ok(Some((_, usages))) = tbs.get_extension::<ExtendedKeyUsage>() else {
        return Err(unmet("has no readable extended key usage"));
    };
    if !usages.0.contains(&OID_TCG_KP_AIK_CERTIFICATE) {
        return Err(unmet("lacks the tcg-kp-AIKCertificate extended key usage"));
    }
    match tbs.get_extension::<BasicConstraints>() {
        Ok(Some((_, constraints))) if !constraints.ca => Ok(()),
        Ok(Some(_)) => Err(unmet("is a CA certificate")),
        _ => Err(unmet("has no readable basic constraints")),
    }
}

/// What the AIK certificate's subject alternative name says about the TPM.
struct TpmDevice {
    manufacturer: String,
}

impl TpmDevice {
    fn from_san(san: &SubjectAltName) -> Option<TpmDevice> {
        let mut manufacturer = None;
        let mut model = false;
        let mut version = false;
        let mut note = |oid: &ObjectIdentifier, value: &[u8]| {
            let Ok(text) = std::str::from_utf8(value) else {
                return;
            };
            if *oid == OID_TPM_MANUFACTURER {
                manufacturer = Some(text.to_string());
            } else if *oid == OID_TPM_MODEL {
                model = true;
            } else if *oid == OID_TPM_VERSION {
                version = true;
            }
        };
        for name in &san.0 {
            match name {
                GeneralName::DirectoryName(directory) => {
                    for attribute in directory.iter() {
                        note(&attribute.oid, attribute.value.value());
                    }
                }
                // Some TPMs put the attributes in otherName entries instead.
                GeneralName::OtherName(other) => note(&other.type_id, other.value.value()),
                _ => {}
            }
        }
        (model && version).then_some(())?;
        manufacturer.map(|manufacturer| TpmDevice { manufacturer })
    }
}

/// `id:` followed by the vendor id as eight hex digits (TPMv2-EK-Profile §3.2.9).
fn is_known_vendor(manufacturer: &str) -> bool {
    manufacturer
        .strip_prefix("id:")
        .is_some_and(|id| TPM_VENDORS.iter().any(|known| known.eq_ignore_ascii_case(id)))
}

/// A TPMT_PUBLIC (TPM 2.0 Part 2 §12.2.4), as far as WebAuthn needs it.
#[derive(Debug, PartialEq, Eq)]
struct TpmPublic {
    name_alg: u16,
    key: TpmKey,
}

#[derive(Debug, PartialEq, Eq)]
enum TpmKey {
    Rsa { exponent: u32, modulus: Vec<u8> },
    Ecc { curve: u16, x: Vec<u8>, y: Vec<u8> },
}

impl TpmPublic {
    fn parse(bytes: &[u8]) -> Result<TpmPublic, Rejection> {
        Self::read(&mut Reader(bytes)).ok_or_else(|| Rejection::attestation_invalid("the tpm pubArea is malformed"))
    }

    fn read(reader: &mut Reader<'_>) -> Option<TpmPublic> {
        let key_type = reader.u16()?;
        let name_alg = reader.u16()?;
        let _object_attributes = reader.u32()?;
        let _auth_policy = reader.sized()?;
        let key = match key_type {
            TPM_ALG_RSA => {
                reader.symmetric_definition()?;
                reader.scheme()?;
                let _key_bits = reader.u16()?;
                let exponent = reader.u32()?;
                let modulus = reader.sized()?.to_vec();
                TpmKey::Rsa { exponent, modulus }
            }
            TPM_ALG_ECC => {
                reader.symmetric_definition()?;
                reader.scheme()?;
                let curve = reader.u16()?;
                reader.scheme()?; // the KDF scheme
                let x = reader.sized()?.to_vec();
                let y = reader.sized()?.to_vec();
                TpmKey::Ecc { curve, x, y }
            }
            _ => return None,
        };
        reader.is_empty().then_some(TpmPublic { name_alg, key })
    }

    /// WebAuthn L3 §8.3: the key in `parameters` and `unique` is the credential public key.
    fn matches(&self, credential_key: &COSEKey) -> bool {
        match (&self.key, &credential_key.key) {
            (TpmKey::Rsa { exponent, modulus }, COSEKeyType::RSA(COSERSAKey { n, e })) => {
                // TPM 2.0 Part 2 §12.2.3.5: an exponent of zero means the default, 2^16 + 1.
                let exponent = if *exponent == 0 { 65537 } else { *exponent };
                let cose_exponent = u32::from_be_bytes([0, e[0], e[1], e[2]]);
                modulus == n && exponent == cose_exponent
            }
            (
                TpmKey::Ecc { curve, x, y },
                COSEKeyType::EC_EC2(COSEEC2Key {
                    curve: cose_curve,
                    x: cx,
                    y: cy,
                }),
            ) => {
                let same_curve = matches!(
                    (*curve, cose_curve),
                    (TPM_ECC_NIST_P256, ECDSACurve::SECP256R1)
                        | (TPM_ECC_NIST_P384, ECDSACurve::SECP384R1)
                        | (TPM_ECC_NIST_P521, ECDSACurve::SECP521R1)
                );
                same_curve && x == cx && y == cy
            }
            _ => false,
        }
    }
}

/// A big-endian reader over TPM structures; every read fails cleanly at the end of the input.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A TPM2B: a 16-bit size, then that many bytes.
    fn sized(&mut self) -> Option<&'a [u8]> {
        let size = self.u16()?;
        self.take(usize::from(size))
    }

    /// TPMT_SYM_DEF_OBJECT: an algorithm, then key bits and mode unless it is TPM_ALG_NULL.
    fn symmetric_definition(&mut self) -> Option<()> {
        if self.u16()? != TPM_ALG_NULL {
            self.u16()?;
            self.u16()?;
        }
        Some(())
    }

    /// TPMT_RSA_SCHEME, TPMT_ECC_SCHEME, TPMT_KDF_SCHEME: a scheme, then its hash unless it is TPM_ALG_NULL.
    fn scheme(&mut self) -> Option<()> {
        if self.u16()? != TPM_ALG_NULL {
            self.u16()?;
        }
        Some(())
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TPMT_PUBLIC for an RSA-2048 key with the default exponent, as Windows Hello writes it.
    fn rsa_pub_area(modulus: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0x00, 0x01, 0x00, 0x0b, 0x00, 0x06, 0x04, 0x72, 0x00, 0x00];
        bytes.extend_from_slice(&[0x00, 0x10, 0x00, 0x10, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00]);
        bytes.extend_from_slice(&u16::try_from(modulus.len()).expect("small modulus").to_be_bytes());
        bytes.extend_from_slice(modulus);
        bytes
    }

    #[test]
    fn rsa_pub_area_with_default_exponent_is_read() {
        let pub_area = TpmPublic::parse(&rsa_pub_area(&[7; 256])).expect("well-formed pubArea");
        assert_eq!(pub_area.name_alg, TPM_ALG_SHA256);
        assert_eq!(
            pub_area.key,
            TpmKey::Rsa {
                exponent: 0,
                modulus: vec![7; 256]
            }
        );
    }

    #[test]
    fn truncated_or_padded_pub_area_is_refused() {
        let whole = rsa_pub_area(&[7; 256]);
        assert!(TpmPublic::parse(&whole[..whole.len() - 1]).is_err());
        let mut padded = whole.clone();
        padded.push(0);
        assert!(TpmPublic::parse(&padded).is_err());
    }

    #[test]
    fn default_exponent_matches_a_cose_key_with_65537() {
        let pub_area = TpmPublic::parse(&rsa_pub_area(&[7; 256])).expect("well-formed pubArea");
        let key = COSEKey {
            type_: webauthn_rs_core::proto::COSEAlgorithm::RS256,
            key: COSEKeyType::RSA(COSERSAKey {
                n: vec![7; 256],
                e: [1, 0, 1],
            }),
        };
        assert!(pub_area.matches(&key));
    }

    #[test]
    fn vendor_ids_are_checked_against_the_registry() {
        assert!(is_known_vendor("id:4E544300"));
        assert!(is_known_vendor("id:494e5443"));
        assert!(!is_known_vendor("id:12345678"));
        assert!(!is_known_vendor("4E544300"));
    }
}
