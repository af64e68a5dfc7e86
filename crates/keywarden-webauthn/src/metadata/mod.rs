//! FIDO Metadata Service (MDS3): verifying the signed BLOB at a chosen instant, reading its payload with lenient
//! serde structs of our own, and reading the community AAGUID name lists. The result is the domain's `Catalog`.
//!
//! The `fido-mds` crate is deliberately not used: its strict serde rejects older and newer BLOBs, and it checks the
//! signing chain only at the current time. Fetching the BLOB over the network is the caller's business.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::time::SystemTime;

use compact_jwt::crypto::JwsX509VerifierBuilder;
use compact_jwt::{JwsCompact, JwsVerifier};
use crypto_glue::traits::DecodeDer;
use crypto_glue::x509::Certificate;
use keywarden_domain::Aaguid;
use keywarden_domain::metadata::{Catalog, Entry, Status, StatusReport};
use serde::Deserialize;
use serde_json::Value;
use time::{Date, OffsetDateTime};

use crate::encoding::{b64_standard_decode, clip};

/// GlobalSign Root CA - R3 (DER), the root of the FIDO MDS3 BLOB signing chain; valid until 2029-03-18.
/// SHA-256 fingerprint `CB:B5:22:D7:…:C9:63:C5:3B`.
pub const GLOBALSIGN_ROOT_R3: &[u8] = include_bytes!("globalsign_root_r3.der");

/// GlobalSign Root R46 (DER), the successor root FIDO may sign the BLOB under; valid until 2046-03-20.
/// SHA-256 fingerprint `4F:A3:12:6D:…:D9:3C:40:C9`.
pub const GLOBALSIGN_ROOT_R46: &[u8] = include_bytes!("globalsign_root_r46.der");

/// The roots the FIDO MDS3 BLOB is signed under.
pub const GLOBALSIGN_ROOTS: [&[u8]; 2] = [GLOBALSIGN_ROOT_R3, GLOBALSIGN_ROOT_R46];

/// [`GLOBALSIGN_ROOTS`] in the form [`load_blob`] takes.
pub fn globalsign_roots() -> Vec<Vec<u8>> {
    GLOBALSIGN_ROOTS.iter().map(|root| root.to_vec()).collect()
}

/// Why metadata could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error("the metadata BLOB is not a compact JWS")]
    NotAJws,
    #[error("the metadata BLOB carries no readable x5c certificate chain")]
    NoCertificateChain,
    #[error("a trusted root certificate is not valid DER X.509")]
    InvalidRoot,
    #[error("the metadata BLOB's certificate chain does not lead to a trusted root at {at}")]
    UntrustedChain { at: OffsetDateTime },
    #[error("the metadata BLOB's signature does not verify with its certificate")]
    InvalidSignature,
    #[error("the metadata payload is not valid: {0}")]
    Payload(String),
    #[error("the AAGUID name list is not valid: {0}")]
    Names(String),
}

/// Verifies an MDS3 BLOB (a JWT whose x5c chain must lead to one of `roots_der` at instant `at`) and reads its
/// payload.
pub fn load_blob(jwt: &str, roots_der: &[Vec<u8>], at: OffsetDateTime) -> Result<Catalog, MetadataError> {
    let jws = JwsCompact::from_str(jwt.trim()).map_err(|_| MetadataError::NotAJws)?;
    let (leaf, chain) = jws
        .get_x5c_chain()
        .ok()
        .flatten()
        .ok_or(MetadataError::NoCertificateChain)?;
    let mut builder = JwsX509VerifierBuilder::new(&leaf, &chain);
    for root in roots_der {
        builder = builder.add_trust_root(Certificate::from_der(root).map_err(|_| MetadataError::InvalidRoot)?);
    }
    let verifier = builder
        .build(SystemTime::from(at))
        .map_err(|_| MetadataError::UntrustedChain { at })?;
    let released = verifier.verify(&jws).map_err(|_| MetadataError::InvalidSignature)?;
    let payload = std::str::from_utf8(released.payload())
        .map_err(|_| MetadataError::Payload("the payload is not UTF-8".into()))?;
    load_payload(payload)
}

/// Reads an already-trusted MDS3 payload (`{legalHeader, no, nextUpdate, entries}`).
///
/// Only FIDO2 entries (those with an `aaguid`) are kept. An entry that cannot be read is skipped with a warning
/// rather than failing the whole payload, so one odd entry in a new BLOB does not take the catalog down.
pub fn load_payload(json: &str) -> Result<Catalog, MetadataError> {
    let payload: RawPayload =
        serde_json::from_str(json).map_err(|error| MetadataError::Payload(clip(&error.to_string(), 160)))?;
    let mut catalog = Catalog {
        serial: payload.no,
        next_update: payload.next_update.as_deref().and_then(parse_date),
        ..Catalog::default()
    };
    for (index, raw) in payload.entries.into_iter().enumerate() {
        let raw: RawEntry = match serde_json::from_value(raw) {
            Ok(raw) => raw,
            Err(error) => {
                tracing::warn!(index, %error, "skipping a metadata entry that cannot be read");
                continue;
            }
        };
        let Some(aaguid) = raw.aaguid.as_deref() else {
            continue; // A U2F or UAF entry: keywarden only registers FIDO2 authenticators.
        };
        let Ok(aaguid) = Aaguid::from_str(aaguid) else {
            tracing::warn!(index, "skipping a metadata entry whose aaguid is not a UUID");
            continue;
        };
        catalog.entries.insert(aaguid, entry(aaguid, raw));
    }
    Ok(catalog)
}

/// Reads a community AAGUID name list, in either shape: `{aaguid: "name"}` (combined_aaguid_names.json) or
/// `{aaguid: {name, icon_dark, icon_light}}` (aaguid.json). `{}` is a valid, empty list.
pub fn load_fallback_names(json: &str) -> Result<HashMap<Aaguid, String>, MetadataError> {
    let list: serde_json::Map<String, Value> =
        serde_json::from_str(json).map_err(|error| MetadataError::Names(clip(&error.to_string(), 160)))?;
    let mut names = HashMap::with_capacity(list.len());
    for (key, value) in list {
        let Ok(aaguid) = Aaguid::from_str(&key) else {
            tracing::warn!(key = %clip(&key, 40), "skipping a name list key that is not an AAGUID");
            continue;
        };
        let name = match &value {
            Value::String(name) => Some(name.as_str()),
            Value::Object(members) => members.get("name").and_then(Value::as_str),
            _ => None,
        };
        match name.map(str::trim).filter(|name| !name.is_empty()) {
            Some(name) => {
                names.insert(aaguid, name.to_string());
            }
            None => tracing::warn!(%aaguid, "skipping a name list entry without a name"),
        }
    }
    Ok(names)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPayload {
    #[serde(default)]
    no: Option<u64>,
    #[serde(default)]
    next_update: Option<String>,
    #[serde(default)]
    entries: Vec<Value>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RawEntry {
    aaguid: Option<String>,
    metadata_statement: RawStatement,
    status_reports: Vec<RawStatusReport>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RawStatement {
    description: Option<String>,
    attestation_types: Vec<String>,
    /// Standard base64 DER certificates.
    attestation_root_certificates: Vec<String>,
    key_protection: Vec<String>,
    attachment_hint: Vec<String>,
    icon: Option<String>,
    authenticator_get_info: RawGetInfo,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RawGetInfo {
    versions: Vec<String>,
    transports: Vec<String>,
    /// CTAP 2.1 `certifications`, such as `{"FIPS-CMVP-3": 2}`.
    certifications: BTreeMap<String, Value>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RawStatusReport {
    status: String,
    effective_date: Option<String>,
    authenticator_version: Option<u64>,
    certificate_number: Option<String>,
}

fn entry(aaguid: Aaguid, raw: RawEntry) -> Entry {
    let statement = raw.metadata_statement;
    let attestation_roots = statement
        .attestation_root_certificates
        .iter()
        .filter_map(|root| {
            let der = b64_standard_decode(root.trim());
            if der.is_none() {
                tracing::warn!(%aaguid, "skipping a metadata attestation root that is not base64");
            }
            der
        })
        .collect();
    let mut status_reports: Vec<StatusReport> = raw
        .status_reports
        .into_iter()
        .map(|report| StatusReport {
            status: status(report.status),
            effective_date: report.effective_date.as_deref().and_then(parse_date),
            authenticator_version: report.authenticator_version,
            certificate_number: report.certificate_number,
        })
        .collect();
    // Oldest first, so that the last report is the current status; reports of one date keep the BLOB's order.
    status_reports.sort_by_key(|report| report.effective_date);
    let transports = if statement.authenticator_get_info.transports.is_empty() {
        transports_from_hints(&statement.attachment_hint)
    } else {
        statement.authenticator_get_info.transports
    };
    let fips_levels = statement
        .authenticator_get_info
        .certifications
        .iter()
        .filter(|(name, _)| name.starts_with("FIPS"))
        .map(|(name, level)| format!("{name} level {level}"))
        .collect();
    Entry {
        aaguid,
        description: statement.description.unwrap_or_default(),
        status_reports,
        attestation_types: statement.attestation_types,
        key_protection: statement.key_protection,
        transports,
        protocol_versions: statement.authenticator_get_info.versions,
        attestation_roots,
        icon: statement.icon,
        fips_levels,
    }
}

/// An `AuthenticatorStatus`; one this version does not know is kept verbatim.
fn status(text: String) -> Status {
    serde_json::from_value(Value::String(text.clone())).unwrap_or(Status::Other(text))
}

fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// WebAuthn transports implied by MDS `attachmentHint`s, for entries whose getInfo lists none.
fn transports_from_hints(hints: &[String]) -> Vec<String> {
    let mut transports: Vec<String> = hints
        .iter()
        .filter_map(|hint| match hint.as_str() {
            "internal" => Some("internal"),
            "wired" => Some("usb"),
            "nfc" => Some("nfc"),
            "bluetooth" => Some("ble"),
            "smart-card" => Some("smart-card"),
            _ => None,
        })
        .map(str::to_string)
        .collect();
    transports.sort();
    transports.dedup();
    transports
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_status_is_kept_verbatim() {
        assert_eq!(status("FIDO_CERTIFIED_L2".into()), Status::FidoCertifiedL2);
        assert_eq!(status("SOMETHING_NEW".into()), Status::Other("SOMETHING_NEW".into()));
    }

    #[test]
    fn entries_without_aaguid_are_skipped_and_odd_ones_do_not_fail_the_payload() {
        let catalog = load_payload(
            r#"{"no": 3, "nextUpdate": "2026-11-01", "entries": [
                {"aaguid": "ee882879-721c-4913-9775-3dfcce97072a",
                 "metadataStatement": {"description": "YubiKey 5", "attestationRootCertificates": ["AQID"]},
                 "statusReports": [{"status": "FIDO_CERTIFIED", "effectiveDate": "2020-05-12"}]},
                {"attestationCertificateKeyIdentifiers": ["00"], "metadataStatement": {"description": "U2F"}},
                {"aaguid": 7}
            ]}"#,
        )
        .expect("payload loads");
        assert_eq!(catalog.serial, Some(3));
        assert_eq!(catalog.entries.len(), 1);
        let aaguid = Aaguid::from_str("ee882879-721c-4913-9775-3dfcce97072a").expect("aaguid");
        let entry = catalog.entry(&aaguid).expect("entry");
        assert_eq!(entry.attestation_roots, vec![vec![1, 2, 3]]);
        assert_eq!(entry.current_status(), Some(&Status::FidoCertified));
    }

    #[test]
    fn empty_name_list_is_valid() {
        assert!(load_fallback_names("{}").expect("empty list").is_empty());
        assert!(load_fallback_names("[]").is_err());
    }

    #[test]
    fn embedded_roots_are_certificates() {
        for root in GLOBALSIGN_ROOTS {
            assert!(Certificate::from_der(root).is_ok());
        }
    }
}
