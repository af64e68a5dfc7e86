//! API tokens for automation: a role, a name, and the SHA-256 of the secret.

use keywarden_domain::audit::Event;
use keywarden_domain::directory::Role;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use crate::{Error, Result, Store, audit, found, from_micros, get, micros, opt_from_micros, parse_id};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub id: uuid::Uuid,
    pub name: String,
    pub role: Role,
    pub created_at: OffsetDateTime,
    pub created_by: String,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

fn token_from_row(row: &AnyRow) -> Result<ApiToken> {
    let role: String = get(row, "role")?;
    Ok(ApiToken {
        id: parse_id("api_tokens.id", &get::<String>(row, "id")?)?,
        name: get(row, "name")?,
        role: role.parse().map_err(Error::Corrupt)?,
        created_at: from_micros(get(row, "created_at")?)?,
        created_by: get(row, "created_by")?,
        expires_at: opt_from_micros(get(row, "expires_at")?)?,
        revoked_at: opt_from_micros(get(row, "revoked_at")?)?,
    })
}

const COLUMNS: &str = "id, name, role, created_at, created_by, expires_at, revoked_at";

impl Store {
    pub async fn insert_token(&self, token: &ApiToken, token_hash: &[u8], event: &Event) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, name, token_hash, role, created_at, created_by, expires_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
        )
        .bind(token.id.to_string())
        .bind(&token.name)
        .bind(token_hash.to_vec())
        .bind(token.role.slug())
        .bind(micros(token.created_at))
        .bind(&token.created_by)
        .bind(token.expires_at.map(micros))
        .execute(&mut *tx)
        .await
        .map_err(|e| crate::conflict_on_unique(e, "token"))?;
        audit::insert(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn token_by_hash(&self, token_hash: &[u8]) -> Result<Option<ApiToken>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1"))
            .bind(token_hash.to_vec())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    pub async fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens ORDER BY created_at"))
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes a token; `NotFound` when it does not exist or is already revoked.
    pub async fn revoke_token(&self, id: uuid::Uuid, now: OffsetDateTime, event: &Event) -> Result<()> {
        let change = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(micros(now))
            .bind(id.to_string());
        found(self.audited_change(change, None, event).await?)
    }
}
