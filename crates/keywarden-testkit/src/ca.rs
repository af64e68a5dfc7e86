//! A throw-away attestation PKI: a root CA and, per AAGUID, one "packed" attestation leaf certificate it signs.
//!
//! The certificates meet what webauthn-rs-core 0.6.2 checks (packed leaf subject C/O/OU/CN, basicConstraints
//! CA=false, digitalSignature, the id-fido-gen-ce-aaguid extension; CA with keyCertSign). Keys are P-256.
//! Leaves are generated once per (CA, AAGUID) and cached, because certificate building is the slow part.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crypto_glue::ecdsa_p256::{EcdsaP256DerSignature, EcdsaP256SigningKey};
use crypto_glue::traits::{EncodeDer, Generate};
use crypto_glue::x509::profile::BuilderProfile;
use crypto_glue::x509::{
    BasicConstraints, Builder, CertBuilderError, CertificateBuilder, Extension, KeyUsage, KeyUsages, Name,
    ObjectIdentifier, OctetString, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef, TbsCertificate, Time, Validity,
    uuid_to_serial,
};
use keywarden_domain::Aaguid;
use keywarden_domain::metadata::{Entry, Status, StatusReport};

/// id-fido-gen-ce-aaguid: the attestation certificate extension that names the authenticator model.
const ID_FIDO_GEN_CE_AAGUID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.45724.1.1.4");

/// How far back certificates are dated, so that a test machine's clock skew never makes them "not yet valid".
const BACKDATE: Duration = Duration::from_secs(24 * 60 * 60);
/// How long certificates stay valid.
const LIFETIME: Duration = Duration::from_secs(20 * 365 * 24 * 60 * 60);

/// A generated attestation root CA. Put [`TestCa::root_der`] in the relying party's trust store (for example
/// an `AttestationCaList`, or a metadata entry from [`metadata_entry`]) to make its attestations trusted.
pub struct TestCa {
    name: String,
    subject: Name,
    key: EcdsaP256SigningKey,
    root_der: Vec<u8>,
    leaves: Mutex<HashMap<Aaguid, Arc<AttestationLeaf>>>,
}

/// One attestation certificate and its key, shared by every credential of one AAGUID under one CA.
pub(crate) struct AttestationLeaf {
    pub(crate) key: EcdsaP256SigningKey,
    pub(crate) der: Vec<u8>,
}

impl TestCa {
    /// Generates a new root CA named `name` (`CN=<name>,O=Keywarden Test,C=US`), valid from a day ago for 20 years.
    pub fn generate(name: &str) -> TestCa {
        let subject = Name::from_str(&format!("CN={},O=Keywarden Test,C=US", escape_rdn_value(name)))
            .expect("an escaped RFC 4514 name parses");
        let key = EcdsaP256SigningKey::generate();
        let mut builder = CertificateBuilder::new(
            Profile {
                issuer: subject.clone(),
                subject: subject.clone(),
            },
            uuid_to_serial(uuid::Uuid::new_v4()),
            validity(),
            spki(&key),
        )
        .expect("a P-256 root certificate is well formed");
        builder
            .add_extension(&BasicConstraints {
                ca: true,
                path_len_constraint: None,
            })
            .expect("basicConstraints encodes");
        builder
            .add_extension(&KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign))
            .expect("keyUsage encodes");
        let cert = builder
            .build::<EcdsaP256SigningKey, EcdsaP256DerSignature>(&key)
            .expect("signing with a fresh P-256 key cannot fail");
        TestCa {
            name: name.to_string(),
            subject,
            key,
            root_der: cert.to_der().expect("a built certificate encodes"),
            leaves: Mutex::new(HashMap::new()),
        }
    }

    /// The root certificate, DER-encoded.
    pub fn root_der(&self) -> &[u8] {
        &self.root_der
    }

    /// The root's subject as an RFC 4514 string, e.g. `CN=Test Root,O=Keywarden Test,C=US`.
    pub fn subject(&self) -> String {
        self.subject.to_string()
    }

    /// The attestation leaf for `aaguid`, generated on first use and cached.
    pub(crate) fn leaf(&self, aaguid: Aaguid) -> Arc<AttestationLeaf> {
        let mut leaves = self.leaves.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        leaves
            .entry(aaguid)
            .or_insert_with(|| Arc::new(self.issue_leaf(aaguid)))
            .clone()
    }

    /// The DER attestation certificate that credentials of `aaguid` carry in their `x5c`.
    pub fn attestation_cert_der(&self, aaguid: Aaguid) -> Vec<u8> {
        self.leaf(aaguid).der.clone()
    }

    fn issue_leaf(&self, aaguid: Aaguid) -> AttestationLeaf {
        let subject = Name::from_str(&format!(
            "CN={} Batch {aaguid},OU=Authenticator Attestation,O={},C=US",
            escape_rdn_value(&self.name),
            escape_rdn_value(&self.name)
        ))
        .expect("an escaped RFC 4514 name parses");
        let key = EcdsaP256SigningKey::generate();
        let mut builder = CertificateBuilder::new(
            Profile {
                issuer: self.subject.clone(),
                subject,
            },
            uuid_to_serial(uuid::Uuid::new_v4()),
            validity(),
            spki(&key),
        )
        .expect("a P-256 leaf certificate is well formed");
        builder
            .add_extension(&BasicConstraints {
                ca: false,
                path_len_constraint: None,
            })
            .expect("basicConstraints encodes");
        builder
            .add_extension(&KeyUsage(KeyUsages::DigitalSignature.into()))
            .expect("keyUsage encodes");
        let aaguid_value = OctetString::new(aaguid.0.as_bytes().to_vec())
            .and_then(|octets| octets.to_der())
            .and_then(OctetString::new)
            .expect("a 16-byte OCTET STRING encodes");
        builder
            .add_extension(Extension {
                extn_id: ID_FIDO_GEN_CE_AAGUID,
                critical: false,
                extn_value: aaguid_value,
            })
            .expect("a prepared extension is added as is");
        let cert = builder
            .build::<EcdsaP256SigningKey, EcdsaP256DerSignature>(&self.key)
            .expect("signing with the CA's P-256 key cannot fail");
        AttestationLeaf {
            key,
            der: cert.to_der().expect("a built certificate encodes"),
        }
    }
}

impl fmt::Debug for TestCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCa")
            .field("subject", &self.subject())
            .finish_non_exhaustive()
    }
}

/// A metadata entry naming `ca` as the attestation root of `aaguid`, for tests of attestation trust.
///
/// The entry claims FIDO_CERTIFIED_L1, basic_full attestation and hardware key protection over USB; its fields
/// are public, so a test can change them (e.g. push a `REVOKED` status report).
pub fn metadata_entry(aaguid: Aaguid, description: &str, ca: &TestCa) -> Entry {
    Entry {
        aaguid,
        description: description.to_string(),
        status_reports: vec![StatusReport {
            status: Status::FidoCertifiedL1,
            effective_date: None,
            authenticator_version: None,
            certificate_number: None,
        }],
        attestation_types: vec!["basic_full".to_string()],
        key_protection: vec!["hardware".to_string(), "secure_element".to_string()],
        transports: vec!["usb".to_string()],
        protocol_versions: vec!["FIDO_2_0".to_string(), "FIDO_2_1".to_string()],
        attestation_roots: vec![ca.root_der().to_vec()],
        icon: None,
        fips_levels: Vec::new(),
    }
}

/// A certificate profile that adds nothing by itself: the extensions are added explicitly above.
struct Profile {
    issuer: Name,
    subject: Name,
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> Result<Vec<Extension>, CertBuilderError> {
        Ok(Vec::new())
    }
}

fn validity() -> Validity {
    let now = SystemTime::now();
    Validity::new(
        Time::try_from(now - BACKDATE).expect("the current time is representable in X.509"),
        Time::try_from(now + LIFETIME).expect("twenty years from now is representable in X.509"),
    )
}

fn spki(key: &EcdsaP256SigningKey) -> SubjectPublicKeyInfoOwned {
    SubjectPublicKeyInfoOwned::from_key(key.verifying_key()).expect("a P-256 public key has an SPKI encoding")
}

/// Escapes the characters RFC 4514 reserves in attribute values.
fn escape_rdn_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        let leading_or_trailing_space = c == ' ' && (i == 0 || i + 1 == value.chars().count());
        if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (c == '#' && i == 0)
            || leading_or_trailing_space
        {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_are_cached_per_aaguid() {
        let ca = TestCa::generate("Cache Test");
        let a = Aaguid::from_bytes([1; 16]);
        let b = Aaguid::from_bytes([2; 16]);
        assert!(Arc::ptr_eq(&ca.leaf(a), &ca.leaf(a)), "same AAGUID, same leaf");
        assert!(!Arc::ptr_eq(&ca.leaf(a), &ca.leaf(b)), "another AAGUID, another leaf");
    }

    #[test]
    fn names_with_reserved_characters_are_escaped() {
        let ca = TestCa::generate("Acme, Inc. = \"keys\"");
        assert_eq!(
            ca.subject(),
            r#"CN=Acme\, Inc. = \"keys\",O=Keywarden Test,C=US"#,
            "escaped where RFC 4514 requires"
        );
        assert!(!ca.attestation_cert_der(Aaguid::from_bytes([3; 16])).is_empty());
    }
}
