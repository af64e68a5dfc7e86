//! Registered passkeys (Graph's fido2AuthenticationMethod) and what each sign-in changes on them.

use keywarden_domain::audit::Event;
use keywarden_domain::directory::User;
use keywarden_domain::ids::{Aaguid, GroupId, MethodId, UserId};
use keywarden_domain::passkey::{Passkey, Registrar};
use keywarden_domain::policy::PasskeyType;
use keywarden_domain::registration::{AttestationLevel, Facts};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::LazyLock;

use sqlx::Any;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use time::OffsetDateTime;

use crate::directory::user_from_row_named;
use crate::{Result, Store, flag, found, from_json, from_micros, get, json, micros, opt_from_micros, parse_id};

/// A passkey with the opaque webauthn-rs credential needed to verify its assertions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeyRecord {
    pub passkey: Passkey,
    pub webauthn: String,
}

/// What a verified assertion changes on the stored passkey.
#[derive(Clone, Debug)]
pub struct AssertionUpdate {
    pub method_id: MethodId,
    pub sign_count: u32,
    pub backup_state: bool,
    /// The backup state differs from the stored one (recorded with the time).
    pub backup_state_changed: bool,
    pub webauthn: String,
    pub used_at: OffsetDateTime,
}

/// Columns of a passkey kept as one JSON document: read whole, never filtered on.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Details {
    attestation_certificates: Vec<String>,
    transports: Vec<String>,
    registered_by: Registrar,
    facts: Facts,
}

const COLUMNS: &str = "id, user_id, credential_id, display_name, created_at, aaguid, model, attestation_level, \
                       passkey_type, sign_count, backup_eligible, backup_state, admitting_profile, attempt_id, \
                       last_used_at, backup_state_changed_at, counter_regressions, details, webauthn";

/// What a passkey sign-in reads about the credential presented: the passkey, its user, the user's groups and the
/// policy version in force (read in one query, see [`Store::sign_in_subject`]).
#[derive(Clone, Debug)]
pub struct SignInSubject {
    pub record: PasskeyRecord,
    pub user: User,
    pub groups: BTreeSet<GroupId>,
    pub policy_version: i64,
}

/// What beginning a registration needs of each passkey the user holds: the credential id, which the creation
/// options exclude, and the model and type, which question 2 checks against today's policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldPasskey {
    pub credential_id: Vec<u8>,
    pub aa_guid: Aaguid,
    pub passkey_type: PasskeyType,
}

impl From<&Passkey> for HeldPasskey {
    fn from(p: &Passkey) -> HeldPasskey {
        HeldPasskey {
            credential_id: p.credential_id.clone(),
            aa_guid: p.aa_guid,
            passkey_type: p.passkey_type,
        }
    }
}

/// [`HeldPasskey`]s of a user, oldest first (`$1`: the user id): three short columns, where a whole passkey row
/// carries its details and webauthn-rs credential as JSON.
pub(crate) const HELD_PASSKEYS: &str =
    "SELECT credential_id, aaguid, passkey_type FROM credentials WHERE user_id = $1 ORDER BY created_at";

pub(crate) fn held_from_row(row: &AnyRow) -> Result<HeldPasskey> {
    let passkey_type: String = get(row, "passkey_type")?;
    Ok(HeldPasskey {
        credential_id: get(row, "credential_id")?,
        aa_guid: parse_id("credentials.aaguid", &get::<String>(row, "aaguid")?)?,
        passkey_type: from_json("credentials.passkey_type", &format!("\"{passkey_type}\""))?,
    })
}

/// A user's passkeys, oldest first (`$1`: the user id).
static PASSKEYS_OF: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {COLUMNS} FROM credentials WHERE user_id = $1 ORDER BY created_at"));

pub(crate) fn sign_in_subject_from_row(row: &AnyRow) -> Result<SignInSubject> {
    let groups = get::<Option<String>>(row, "group_ids")?
        .unwrap_or_default()
        .split(',')
        .filter(|id| !id.is_empty())
        .map(|id| parse_id("group_members.group_id", id))
        .collect::<Result<_>>()?;
    Ok(SignInSubject {
        record: record_from_row(row)?,
        user: user_from_row_named(row, "user_id", "user_display_name")?,
        groups,
        policy_version: get::<Option<i64>>(row, "policy_version")?.unwrap_or(0),
    })
}

/// [`SignInSubject`] by credential id (`$1`).
pub(crate) static SIGN_IN_SUBJECT: LazyLock<String> = LazyLock::new(|| {
    let passkey = COLUMNS
        .split(',')
        .map(|c| format!("c.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {passkey}, u.upn, u.display_name AS user_display_name, u.user_type, u.account_enabled, u.roles, \
         (SELECT MAX(version) FROM policy_versions) AS policy_version, \
         (SELECT string_agg(g.group_id, ',') FROM group_members g WHERE g.user_id = c.user_id) AS group_ids \
         FROM credentials c JOIN users u ON u.id = c.user_id WHERE c.credential_id = $1"
    )
});

fn record_from_row(row: &AnyRow) -> Result<PasskeyRecord> {
    let details: Details = from_json("credentials.details", &get::<String>(row, "details")?)?;
    let level: String = get(row, "attestation_level")?;
    let passkey_type: String = get(row, "passkey_type")?;
    let sign_count: i64 = get(row, "sign_count")?;
    let regressions: i64 = get(row, "counter_regressions")?;
    Ok(PasskeyRecord {
        passkey: Passkey {
            id: parse_id("credentials.id", &get::<String>(row, "id")?)?,
            user_id: parse_id("credentials.user_id", &get::<String>(row, "user_id")?)?,
            credential_id: get(row, "credential_id")?,
            display_name: get(row, "display_name")?,
            created_date_time: from_micros(get(row, "created_at")?)?,
            aa_guid: parse_id("credentials.aaguid", &get::<String>(row, "aaguid")?)?,
            model: get(row, "model")?,
            attestation_level: if level == "attested" {
                AttestationLevel::Attested
            } else {
                AttestationLevel::NotAttested
            },
            attestation_certificates: details.attestation_certificates,
            passkey_type: from_json("credentials.passkey_type", &format!("\"{passkey_type}\""))?,
            sign_count: u32::try_from(sign_count).unwrap_or(u32::MAX),
            backup_eligible: flag(row, "backup_eligible")?,
            backup_state: flag(row, "backup_state")?,
            transports: details.transports,
            admitting_profile: get(row, "admitting_profile")?,
            registered_by: details.registered_by,
            attempt_id: parse_id("credentials.attempt_id", &get::<String>(row, "attempt_id")?)?,
            last_used_date_time: opt_from_micros(get(row, "last_used_at")?)?,
            backup_state_changed_date_time: opt_from_micros(get(row, "backup_state_changed_at")?)?,
            counter_regressions: u32::try_from(regressions).unwrap_or(u32::MAX),
            facts: details.facts,
        },
        webauthn: get(row, "webauthn")?,
    })
}

static INSERT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO credentials ({COLUMNS}, registered_by, attestation_thumbprint) VALUES ($1, $2, $3, $4, $5, $6, \
         $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
    )
});

/// The statement that stores a new passkey (a unique violation means the credential id is registered already).
pub(crate) fn insert_query(passkey: &Passkey, webauthn: &str) -> Query<'static, Any, AnyArguments<'static>> {
    let details = Details {
        attestation_certificates: passkey.attestation_certificates.clone(),
        transports: passkey.transports.clone(),
        registered_by: passkey.registered_by.clone(),
        facts: passkey.facts.clone(),
    };
    sqlx::query(INSERT.as_str())
        .bind(passkey.id.to_string())
        .bind(passkey.user_id.to_string())
        .bind(passkey.credential_id.clone())
        .bind(passkey.display_name.clone())
        .bind(micros(passkey.created_date_time))
        .bind(passkey.aa_guid.to_string())
        .bind(passkey.model.clone())
        .bind(passkey.attestation_level.as_str())
        .bind(passkey.passkey_type.as_str())
        .bind(i64::from(passkey.sign_count))
        .bind(i64::from(passkey.backup_eligible))
        .bind(i64::from(passkey.backup_state))
        .bind(passkey.admitting_profile.clone())
        .bind(passkey.attempt_id.to_string())
        .bind(passkey.last_used_date_time.map(micros))
        .bind(passkey.backup_state_changed_date_time.map(micros))
        .bind(i64::from(passkey.counter_regressions))
        .bind(json(&details))
        .bind(webauthn.to_string())
        .bind(match &passkey.registered_by {
            Registrar::User => "self".to_string(),
            Registrar::Admin { id, .. } => id.clone(),
        })
        .bind(passkey.attestation_certificates.first().cloned())
}

/// The statement that records a verified assertion on the stored passkey (it affects no row when the passkey is
/// gone).
pub(crate) fn apply_assertion_query(update: &AssertionUpdate) -> Query<'static, Any, AnyArguments<'static>> {
    sqlx::query(
        // The counter never goes down: of two sign-ins at once with one passkey, the higher counter stays whichever
        // commits last (and so does its webauthn-rs state, which holds the counter too).
        "UPDATE credentials SET \
         webauthn = CASE WHEN sign_count <= $1 THEN $3 ELSE webauthn END, \
         sign_count = CASE WHEN sign_count < $1 THEN $1 ELSE sign_count END, \
         backup_state = $2, last_used_at = $4, \
         backup_state_changed_at = CASE WHEN $5 = 1 THEN $4 ELSE backup_state_changed_at END WHERE id = $6",
    )
    .bind(i64::from(update.sign_count))
    .bind(i64::from(update.backup_state))
    .bind(update.webauthn.clone())
    .bind(micros(update.used_at))
    .bind(i64::from(update.backup_state_changed))
    .bind(update.method_id.to_string())
}

impl Store {
    pub async fn passkeys_of(&self, user: UserId) -> Result<Vec<Passkey>> {
        let rows = sqlx::query(PASSKEYS_OF.as_str())
            .bind(user.to_string())
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(|row| record_from_row(row).map(|r| r.passkey)).collect()
    }

    /// The user's passkeys with their webauthn-rs credentials (for sign-in and exclude lists).
    pub async fn passkey_records_of(&self, user: UserId) -> Result<Vec<PasskeyRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM credentials WHERE user_id = $1 ORDER BY created_at"
        ))
        .bind(user.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    pub async fn passkey(&self, id: MethodId) -> Result<Option<PasskeyRecord>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM credentials WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// The passkey with this credential id, its user, the user's groups and the policy version in force (0
    /// before the first), in one query: a sign-in needs them all.
    pub async fn sign_in_subject(&self, credential_id: &[u8]) -> Result<Option<SignInSubject>> {
        let row = sqlx::query(SIGN_IN_SUBJECT.as_str())
            .bind(credential_id.to_vec())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(sign_in_subject_from_row).transpose()
    }

    pub async fn passkey_by_credential_id(&self, credential_id: &[u8]) -> Result<Option<PasskeyRecord>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM credentials WHERE credential_id = $1"))
            .bind(credential_id.to_vec())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    pub async fn rename_passkey(&self, user: UserId, id: MethodId, name: &str, event: &Event) -> Result<()> {
        let change = sqlx::query("UPDATE credentials SET display_name = $1 WHERE id = $2 AND user_id = $3")
            .bind(name)
            .bind(id.to_string())
            .bind(user.to_string());
        found(self.audited_change(change, None, event).await?)
    }

    /// Deletes a passkey and ends the sessions it signed in or verified.
    pub async fn delete_passkey(&self, user: UserId, id: MethodId, event: &Event) -> Result<()> {
        let change = sqlx::query("DELETE FROM credentials WHERE id = $1 AND user_id = $2")
            .bind(id.to_string())
            .bind(user.to_string());
        let ending = keywarden_domain::session::Ending::UsingMethod(id);
        found(self.audited_change(change, Some((user, ending)), event).await?)
    }

    /// Counts a sign-in that presented a signature counter lower than the stored one, with its (failed) sign-in
    /// event.
    pub async fn record_counter_regression(&self, id: MethodId, event: &Event) -> Result<()> {
        let change = sqlx::query("UPDATE credentials SET counter_regressions = counter_regressions + 1 WHERE id = $1")
            .bind(id.to_string());
        self.audited_statement(change, event).await
    }
}
