//! The authentication methods policy, versioned: every change is a new row, never an update.

use keywarden_domain::audit::Event;
use keywarden_domain::policy::{Policy, parse_stored};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use crate::{Error, Result, Store, audit, from_micros, get, json, micros};

/// A version of the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPolicy {
    pub version: i64,
    pub policy: Policy,
    pub modified_at: OffsetDateTime,
    pub modified_by: String,
}

fn policy_from_row(row: &AnyRow) -> Result<StoredPolicy> {
    let document: String = get(row, "document")?;
    Ok(StoredPolicy {
        version: get(row, "version")?,
        policy: parse_stored(&document).map_err(|e| Error::Corrupt(format!("policy document: {e}")))?,
        modified_at: from_micros(get(row, "created_at")?)?,
        modified_by: get(row, "created_by")?,
    })
}

impl Store {
    /// The policy in force, or `None` before the first one is saved.
    pub async fn current_policy(&self) -> Result<Option<StoredPolicy>> {
        let row = sqlx::query(
            "SELECT version, document, created_at, created_by FROM policy_versions ORDER BY version DESC LIMIT 1",
        )
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(policy_from_row).transpose()
    }

    pub async fn policy_version(&self, version: i64) -> Result<Option<StoredPolicy>> {
        let row =
            sqlx::query("SELECT version, document, created_at, created_by FROM policy_versions WHERE version = $1")
                .bind(version)
                .fetch_optional(&self.reader)
                .await?;
        row.as_ref().map(policy_from_row).transpose()
    }

    /// Saves `policy` as the version after `expected_version` (0 for the first). Fails with `Conflict` when
    /// another change was saved in between, so that two administrators never overwrite each other silently.
    pub async fn save_policy(
        &self,
        expected_version: i64,
        policy: &Policy,
        by: &str,
        now: OffsetDateTime,
        event: &Event,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let current: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM policy_versions")
            .fetch_one(&mut *tx)
            .await?;
        if current.unwrap_or(0) != expected_version {
            return Err(Error::Conflict("the policy changed since it was read"));
        }
        let version = expected_version + 1;
        sqlx::query("INSERT INTO policy_versions (version, document, created_at, created_by) VALUES ($1, $2, $3, $4)")
            .bind(version)
            .bind(json(policy))
            .bind(micros(now))
            .bind(by)
            .execute(&mut *tx)
            .await
            .map_err(|e| crate::conflict_on_unique(e, "the policy changed since it was read"))?;
        audit::insert(&mut tx, event).await?;
        tx.commit().await?;
        Ok(version)
    }
}
