//! A registered passkey: Graph's `fido2AuthenticationMethod` plus what governance needs to keep about it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::{Aaguid, AttemptId, MethodId, UserId};
use crate::policy::PasskeyType;
use crate::registration::{AttestationLevel, Facts};

/// Who registered a passkey: the user in Security info, or an administrator on their behalf.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Registrar {
    User,
    Admin { id: String, name: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Passkey {
    pub id: MethodId,
    pub user_id: UserId,
    /// The WebAuthn credential id (raw bytes).
    #[serde(skip)]
    pub credential_id: Vec<u8>,
    pub display_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_date_time: OffsetDateTime,
    pub aa_guid: Aaguid,
    pub model: Option<String>,
    pub attestation_level: AttestationLevel,
    /// SHA-1 thumbprints of the attestation certificates, leaf first.
    pub attestation_certificates: Vec<String>,
    pub passkey_type: PasskeyType,
    pub sign_count: u32,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub transports: Vec<String>,
    /// The passkey profile that accepted the passkey at registration.
    pub admitting_profile: String,
    pub registered_by: Registrar,
    pub attempt_id: AttemptId,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_date_time: Option<OffsetDateTime>,
    /// When the backup state last changed at a sign-in (a device-bound credential that started syncing).
    #[serde(with = "time::serde::rfc3339::option")]
    pub backup_state_changed_date_time: Option<OffsetDateTime>,
    /// How many sign-ins presented a signature counter lower than the stored one.
    pub counter_regressions: u32,
    /// The full facts recorded at registration.
    pub facts: Facts,
}
