//! What the FIDO Metadata Service (MDS3) says about authenticator models, as plain data.
//!
//! Loading and verifying the signed BLOB happens in `keywarden-webauthn`; this module only holds the result
//! and answers questions about it (name, current status, roots), so that policy code can stay pure.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::ids::Aaguid;

/// An MDS3 `AuthenticatorStatus`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    NotFidoCertified,
    FidoCertified,
    UserVerificationBypass,
    AttestationKeyCompromise,
    UserKeyRemoteCompromise,
    UserKeyPhysicalCompromise,
    UpdateAvailable,
    Revoked,
    SelfAssertionSubmitted,
    #[serde(rename = "FIDO_CERTIFIED_L1")]
    FidoCertifiedL1,
    #[serde(rename = "FIDO_CERTIFIED_L1plus")]
    FidoCertifiedL1Plus,
    #[serde(rename = "FIDO_CERTIFIED_L2")]
    FidoCertifiedL2,
    #[serde(rename = "FIDO_CERTIFIED_L2plus")]
    FidoCertifiedL2Plus,
    #[serde(rename = "FIDO_CERTIFIED_L3")]
    FidoCertifiedL3,
    #[serde(rename = "FIDO_CERTIFIED_L3plus")]
    FidoCertifiedL3Plus,
    /// A status this version of keywarden does not know; kept verbatim.
    #[serde(untagged)]
    Other(String),
}

impl Status {
    /// Revoked, or a compromise of the attestation key or of user keys: credentials of this model cannot be trusted.
    pub fn is_revoked_or_compromised(&self) -> bool {
        matches!(
            self,
            Status::Revoked
                | Status::AttestationKeyCompromise
                | Status::UserKeyRemoteCompromise
                | Status::UserKeyPhysicalCompromise
        )
    }

    /// A certification status, as opposed to an incident or an update notice.
    pub fn certification_level(&self) -> Option<u8> {
        match self {
            Status::FidoCertified | Status::FidoCertifiedL1 => Some(10),
            Status::FidoCertifiedL1Plus => Some(15),
            Status::FidoCertifiedL2 => Some(20),
            Status::FidoCertifiedL2Plus => Some(25),
            Status::FidoCertifiedL3 => Some(30),
            Status::FidoCertifiedL3Plus => Some(35),
            _ => None,
        }
    }

    pub fn as_str(&self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(s)) => s,
            _ => String::from("UNKNOWN"),
        }
    }
}

/// One entry of an authenticator's status history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub status: Status,
    #[serde(with = "crate::metadata::iso_date::option")]
    pub effective_date: Option<Date>,
    /// For `USER_VERIFICATION_BYPASS` and similar: the firmware version from which the issue is fixed.
    pub authenticator_version: Option<u64>,
    pub certificate_number: Option<String>,
}

/// What the metadata says about one FIDO2 authenticator model.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub aaguid: Aaguid,
    pub description: String,
    /// Oldest first, as in the BLOB.
    pub status_reports: Vec<StatusReport>,
    /// `basic_full`, `basic_surrogate`, `attca`, `anonca`, `none`.
    pub attestation_types: Vec<String>,
    /// `hardware`, `secure_element`, `tee`, `software`, `remote_handle`.
    pub key_protection: Vec<String>,
    /// `usb`, `nfc`, `ble`, `internal`, `hybrid`... from the authenticator's getInfo.
    pub transports: Vec<String>,
    /// CTAP versions from getInfo (`FIDO_2_0`, `FIDO_2_1`, `U2F_V2`...).
    pub protocol_versions: Vec<String>,
    /// DER attestation root certificates.
    #[serde(skip)]
    pub attestation_roots: Vec<Vec<u8>>,
    /// A `data:` URI.
    #[serde(skip)]
    pub icon: Option<String>,
    /// FIPS 140 certification levels claimed by the metadata statement, when present.
    pub fips_levels: Vec<String>,
}

impl Entry {
    /// The last status report, which is the model's current status.
    pub fn current_status(&self) -> Option<&Status> {
        self.status_reports.last().map(|r| &r.status)
    }

    /// The most recent incident status (revoked, compromise) in the history, if any.
    pub fn worst_incident(&self) -> Option<&StatusReport> {
        self.status_reports
            .iter()
            .rev()
            .find(|r| r.status.is_revoked_or_compromised())
    }

    /// The most recent report that should make an administrator review the credentials already registered with
    /// this model: a revocation or compromise (see [`Entry::worst_incident`]), else the latest
    /// `USER_VERIFICATION_BYPASS`. A later `UPDATE_AVAILABLE` does not clear it: a registered credential's firmware
    /// version is unknown, so every credential of the model may still be affected.
    pub fn alert(&self) -> Option<&StatusReport> {
        self.worst_incident().or_else(|| {
            self.status_reports
                .iter()
                .rev()
                .find(|r| r.status == Status::UserVerificationBypass)
        })
    }

    /// The highest FIDO certification level reached (10 = L1, 15 = L1+, 20 = L2, ...).
    pub fn certification_level(&self) -> Option<u8> {
        self.status_reports
            .iter()
            .filter_map(|r| r.status.certification_level())
            .max()
    }

    /// Whether the key is protected by hardware (secure element, TEE or a hardware chip), per the metadata.
    pub fn is_hardware_protected(&self) -> bool {
        self.key_protection
            .iter()
            .any(|k| matches!(k.as_str(), "hardware" | "secure_element" | "tee"))
            && !self.key_protection.iter().any(|k| k == "software")
    }
}

/// The loaded metadata: entries by AAGUID, plus a fallback list of names for display only.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// The BLOB's serial number (`no`), when one was loaded.
    pub serial: Option<u64>,
    pub next_update: Option<Date>,
    pub entries: HashMap<Aaguid, Entry>,
    /// Names from the community AAGUID list: used for display when the metadata has no entry. Never trusted.
    pub fallback_names: HashMap<Aaguid, String>,
}

impl Catalog {
    pub fn entry(&self, aaguid: &Aaguid) -> Option<&Entry> {
        self.entries.get(aaguid)
    }

    /// A name for display: the metadata's description, else the fallback list, else nothing.
    pub fn name(&self, aaguid: &Aaguid) -> Option<&str> {
        self.entries
            .get(aaguid)
            .map(|e| e.description.as_str())
            .or_else(|| self.fallback_names.get(aaguid).map(String::as_str))
    }

    /// Finds AAGUIDs whose name contains `needle`, case-insensitively, across entries and fallback names.
    pub fn search(&self, needle: &str) -> Vec<(Aaguid, String)> {
        let needle = needle.to_lowercase();
        let mut found: Vec<(Aaguid, String)> = self
            .entries
            .values()
            .map(|e| (e.aaguid, e.description.clone()))
            .chain(self.fallback_names.iter().map(|(a, n)| (*a, n.clone())))
            .filter(|(_, n)| n.to_lowercase().contains(&needle))
            .collect();
        found.sort();
        found.dedup_by(|a, b| a.0 == b.0);
        found
    }
}

/// What keywarden can say about one authenticator model, for `aaguid lookup` and the API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Description {
    pub aaguid: Aaguid,
    pub name: Option<String>,
    /// `metadata` when the FIDO metadata has an entry, `nameList` when only the community list names it.
    pub source: &'static str,
    pub certification_level: Option<String>,
    pub current_status: Option<String>,
    pub status_history: Vec<StatusReport>,
    pub attestation_types: Vec<String>,
    pub key_protection: Vec<String>,
    pub transports: Vec<String>,
    pub protocol_versions: Vec<String>,
    pub fips_levels: Vec<String>,
    pub attestation_root_count: usize,
    /// The named authenticator groups (`fidoCertifiedL2OrHigher`...) the model belongs to today.
    pub groups: Vec<&'static str>,
}

fn level_name(level: u8) -> String {
    match level {
        10 => "L1".into(),
        15 => "L1+".into(),
        20 => "L2".into(),
        25 => "L2+".into(),
        30 => "L3".into(),
        35 => "L3+".into(),
        other => format!("level {other}"),
    }
}

impl Catalog {
    /// Everything known about `aaguid`, or `None` when neither the metadata nor the name list knows it.
    pub fn describe(&self, aaguid: &Aaguid) -> Option<Description> {
        match self.entries.get(aaguid) {
            Some(entry) => Some(Description {
                aaguid: *aaguid,
                name: Some(entry.description.clone()),
                source: "metadata",
                certification_level: entry.certification_level().map(level_name),
                current_status: entry.current_status().map(Status::as_str),
                status_history: entry.status_reports.clone(),
                attestation_types: entry.attestation_types.clone(),
                key_protection: entry.key_protection.clone(),
                transports: entry.transports.clone(),
                protocol_versions: entry.protocol_versions.clone(),
                fips_levels: entry.fips_levels.clone(),
                attestation_root_count: entry.attestation_roots.len(),
                groups: crate::policy::AuthenticatorGroup::ALL
                    .into_iter()
                    .filter(|g| g.contains(entry))
                    .map(|g| g.as_str())
                    .collect(),
            }),
            None => self.fallback_names.get(aaguid).map(|name| Description {
                aaguid: *aaguid,
                name: Some(name.clone()),
                source: "nameList",
                certification_level: None,
                current_status: None,
                status_history: vec![],
                attestation_types: vec![],
                key_protection: vec![],
                transports: vec![],
                protocol_versions: vec![],
                fips_levels: vec![],
                attestation_root_count: 0,
                groups: vec![],
            }),
        }
    }

    /// Looks up an AAGUID, or searches names: the models matching `query`.
    pub fn lookup(&self, query: &str) -> Vec<Description> {
        match query.parse::<Aaguid>() {
            Ok(aaguid) => self.describe(&aaguid).into_iter().collect(),
            Err(_) => self
                .search(query)
                .iter()
                .filter_map(|(aaguid, _)| self.describe(aaguid))
                .collect(),
        }
    }
}

/// Dates as `YYYY-MM-DD` in JSON (the MDS format), not `time`'s default tuple.
pub mod iso_date {
    time::serde::format_description!(pub(crate) format, Date, "[year]-[month]-[day]");
    pub use format::*;
}
