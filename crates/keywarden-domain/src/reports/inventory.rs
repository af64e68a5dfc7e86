//! The passkey inventory: one row per registered passkey with the columns of the playbook's Graph PowerShell script
//! (`passkey-inventory.csv`), then keywarden's governance columns; and the same passkeys counted per model.
//!
//! The metadata status is today's, from the catalog in use, not the one seen at registration.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use time::OffsetDateTime;

use super::rfc3339;
use crate::ids::Aaguid;
use crate::metadata::Catalog;
use crate::policy::evaluate::{Candidate, denials};
use crate::policy::{AttestationEnforcement, Fido2Configuration, PasskeyType, PasskeyTypes};
use crate::registration::AttestationLevel;

/// The inventory's columns, in order: the playbook's eight, then keywarden's four.
pub const COLUMNS: [&str; 12] = [
    "UserPrincipalName",
    "DisplayName",
    "MethodDisplayName",
    "AAGUID",
    "Model",
    "CreatedDateTime",
    "AttestationLevel",
    "AttestationCertificateThumbprint",
    "PasskeyType",
    "LastUsedDateTime",
    "AdmittingProfile",
    "MetadataStatus",
];

/// `MetadataStatus` when the catalog has entries but none for the AAGUID.
pub const NOT_IN_METADATA: &str = "NOT_IN_METADATA";

/// A registered passkey with its user's names, as the store reads it for the inventory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub user_principal_name: String,
    /// The user's display name.
    pub display_name: String,
    /// The passkey's display name (Graph's `displayName` of the method).
    pub method_display_name: String,
    pub aaguid: Aaguid,
    /// The model name recorded at registration.
    pub model: Option<String>,
    pub created_date_time: OffsetDateTime,
    pub attestation_level: AttestationLevel,
    /// The leaf attestation certificate's SHA-1 thumbprint (Graph's `attestationCertificates[0]`).
    pub attestation_certificate_thumbprint: Option<String>,
    pub passkey_type: PasskeyType,
    pub last_used_date_time: Option<OffsetDateTime>,
    pub admitting_profile: String,
}

/// One inventory row. Serialised with the column names, so JSON and CSV say the same thing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    #[serde(rename = "UserPrincipalName")]
    pub user_principal_name: String,
    #[serde(rename = "DisplayName")]
    pub display_name: String,
    #[serde(rename = "MethodDisplayName")]
    pub method_display_name: String,
    #[serde(rename = "AAGUID")]
    pub aaguid: String,
    #[serde(rename = "Model")]
    pub model: Option<String>,
    #[serde(rename = "CreatedDateTime")]
    pub created_date_time: String,
    #[serde(rename = "AttestationLevel")]
    pub attestation_level: &'static str,
    #[serde(rename = "AttestationCertificateThumbprint")]
    pub attestation_certificate_thumbprint: Option<String>,
    #[serde(rename = "PasskeyType")]
    pub passkey_type: &'static str,
    #[serde(rename = "LastUsedDateTime")]
    pub last_used_date_time: Option<String>,
    #[serde(rename = "AdmittingProfile")]
    pub admitting_profile: String,
    #[serde(rename = "MetadataStatus")]
    pub metadata_status: String,
}

impl Row {
    /// The cells in [`COLUMNS`] order; a missing value is an empty cell.
    pub fn cells(&self) -> [&str; 12] {
        fn opt(v: &Option<String>) -> &str {
            v.as_deref().unwrap_or("")
        }
        [
            &self.user_principal_name,
            &self.display_name,
            &self.method_display_name,
            &self.aaguid,
            opt(&self.model),
            &self.created_date_time,
            self.attestation_level,
            opt(&self.attestation_certificate_thumbprint),
            self.passkey_type,
            opt(&self.last_used_date_time),
            &self.admitting_profile,
            &self.metadata_status,
        ]
    }
}

/// A model's FIDO metadata status today: the alert if there is one (revoked, a compromise, a user-verification
/// bypass), else the latest status report; [`NOT_IN_METADATA`] when the catalog does not list the AAGUID; empty when
/// no metadata is loaded at all (nothing is known either way).
pub fn metadata_status(catalog: &Catalog, aaguid: &Aaguid) -> String {
    if catalog.entries.is_empty() {
        return String::new();
    }
    match catalog.entry(aaguid) {
        None => NOT_IN_METADATA.to_string(),
        Some(entry) => entry
            .alert()
            .map(|r| &r.status)
            .or(entry.current_status())
            .map(|s| s.as_str())
            .unwrap_or_default(),
    }
}

/// Turns records into rows, computing each model's status once per catalog.
#[derive(Debug, Default)]
pub struct Inventory {
    statuses: HashMap<Aaguid, String>,
}

impl Inventory {
    /// The row for `record`; always pass the same catalog to one `Inventory`.
    pub fn row(&mut self, catalog: &Catalog, record: Record) -> Row {
        let status = self
            .statuses
            .entry(record.aaguid)
            .or_insert_with(|| metadata_status(catalog, &record.aaguid))
            .clone();
        Row {
            model: record
                .model
                .or_else(|| catalog.name(&record.aaguid).map(str::to_string)),
            aaguid: record.aaguid.to_string(),
            user_principal_name: record.user_principal_name,
            display_name: record.display_name,
            method_display_name: record.method_display_name,
            created_date_time: rfc3339(record.created_date_time),
            attestation_level: record.attestation_level.as_str(),
            attestation_certificate_thumbprint: record.attestation_certificate_thumbprint,
            passkey_type: record.passkey_type.as_str(),
            last_used_date_time: record.last_used_date_time.map(rfc3339),
            admitting_profile: record.admitting_profile,
            metadata_status: status,
        }
    }
}

/// Passkeys of one AAGUID, passkey type and attestation level, as the store counts them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelCount {
    pub aaguid: Aaguid,
    /// A model name recorded at registration for these passkeys, if any.
    pub model: Option<String>,
    pub passkey_type: PasskeyType,
    pub attestation_level: AttestationLevel,
    pub credentials: u64,
}

/// A profile that accepts a model today, and for which of the model's passkey types.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Allowance {
    pub profile_id: String,
    pub profile_name: String,
    /// The passkey types of this model's registered passkeys that the profile accepts.
    pub passkey_types: PasskeyTypes,
    /// New registrations under this profile need verified attestation (existing passkeys are not re-checked).
    pub attestation_required: bool,
}

/// One authenticator model in the inventory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelSummary {
    pub aaguid: Aaguid,
    pub model: Option<String>,
    pub credentials: u64,
    pub attested: u64,
    pub not_attested: u64,
    pub device_bound: u64,
    pub synced: u64,
    pub metadata_status: String,
    /// The passkey profiles that accept the model at sign-in today (passkey type and key restrictions, as Entra
    /// re-checks them); empty means no profile does.
    pub allowed_by: Vec<Allowance>,
}

/// The `--by model` columns.
pub const BY_MODEL_COLUMNS: [&str; 9] = [
    "Model",
    "AAGUID",
    "Credentials",
    "Attested",
    "NotAttested",
    "DeviceBound",
    "Synced",
    "MetadataStatus",
    "AllowedBy",
];

impl ModelSummary {
    /// The cells in [`BY_MODEL_COLUMNS`] order. `AllowedBy` reads `Profile (deviceBound,synced); Other (synced)`.
    pub fn cells(&self) -> Vec<String> {
        let allowed: Vec<String> = self
            .allowed_by
            .iter()
            .map(|a| format!("{} ({})", a.profile_name, a.passkey_types))
            .collect();
        vec![
            self.model.clone().unwrap_or_default(),
            self.aaguid.to_string(),
            self.credentials.to_string(),
            self.attested.to_string(),
            self.not_attested.to_string(),
            self.device_bound.to_string(),
            self.synced.to_string(),
            self.metadata_status.clone(),
            allowed.join("; "),
        ]
    }
}

/// Groups the store's counts per AAGUID, names each model (recorded name, else the catalog's), adds its metadata
/// status and the profiles that accept it today. The result is ordered by number of passkeys, most first.
pub fn by_model(
    counts: impl IntoIterator<Item = ModelCount>,
    fido2: &Fido2Configuration,
    catalog: &Catalog,
) -> Vec<ModelSummary> {
    let mut models: BTreeMap<Aaguid, ModelSummary> = BTreeMap::new();
    for count in counts {
        let summary = models.entry(count.aaguid).or_insert_with(|| ModelSummary {
            aaguid: count.aaguid,
            model: None,
            credentials: 0,
            attested: 0,
            not_attested: 0,
            device_bound: 0,
            synced: 0,
            metadata_status: metadata_status(catalog, &count.aaguid),
            allowed_by: vec![],
        });
        if summary.model.is_none() {
            summary.model = count.model;
        }
        summary.credentials += count.credentials;
        match count.attestation_level {
            AttestationLevel::Attested => summary.attested += count.credentials,
            AttestationLevel::NotAttested => summary.not_attested += count.credentials,
        }
        match count.passkey_type {
            PasskeyType::DeviceBound => summary.device_bound += count.credentials,
            PasskeyType::Synced => summary.synced += count.credentials,
        }
    }
    let mut summaries: Vec<ModelSummary> = models
        .into_values()
        .map(|mut summary| {
            if summary.model.is_none() {
                summary.model = catalog.name(&summary.aaguid).map(str::to_string);
            }
            summary.allowed_by = allowances(fido2, &summary);
            summary
        })
        .collect();
    summaries.sort_by(|a, b| b.credentials.cmp(&a.credentials).then(a.aaguid.cmp(&b.aaguid)));
    summaries
}

fn allowances(fido2: &Fido2Configuration, summary: &ModelSummary) -> Vec<Allowance> {
    let observed = [
        (PasskeyType::DeviceBound, summary.device_bound > 0),
        (PasskeyType::Synced, summary.synced > 0),
    ];
    fido2
        .passkey_profiles
        .iter()
        .filter_map(|profile| {
            let mut types = PasskeyTypes::default();
            for (passkey_type, seen) in observed {
                let candidate = Candidate {
                    aaguid: summary.aaguid,
                    passkey_type,
                    attestation: None,
                };
                if seen && denials(profile, &candidate, None).is_empty() {
                    match passkey_type {
                        PasskeyType::DeviceBound => types.device_bound = true,
                        PasskeyType::Synced => types.synced = true,
                    }
                }
            }
            (!types.is_empty()).then(|| Allowance {
                profile_id: profile.id.clone(),
                profile_name: profile.name.clone(),
                passkey_types: types,
                attestation_required: profile.attestation_enforcement == AttestationEnforcement::RegistrationOnly,
            })
        })
        .collect()
}
