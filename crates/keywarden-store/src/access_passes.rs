//! Temporary Access Passes: at most one per user; the code is stored only as an argon2id hash.

use keywarden_domain::access_pass::AccessPass;
use keywarden_domain::audit::Event;
use keywarden_domain::ids::{MethodId, UserId};
use keywarden_domain::session::Ending;
use sqlx::Any;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use time::OffsetDateTime;

use crate::sessions::end_sessions_in;
use crate::{Result, Store, audit, flag, from_micros, get, micros, opt_from_micros, parse_id};

/// A pass with the hash of its code and who issued it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAccessPass {
    pub pass: AccessPass,
    pub code_hash: String,
    /// The issuer's name (UPN, app name or `keywarden CLI (...)`).
    pub created_by: String,
}

/// A user's pass (`$1`: the user id).
pub(crate) const ACCESS_PASS_OF: &str = "SELECT id, user_id, code_hash, created_at, start_at, lifetime_minutes, is_usable_once, \
                                         used_at, created_by FROM access_passes WHERE user_id = $1";

pub(crate) fn pass_from_row(row: &AnyRow) -> Result<StoredAccessPass> {
    let lifetime: i64 = get(row, "lifetime_minutes")?;
    Ok(StoredAccessPass {
        pass: AccessPass {
            id: parse_id("access_passes.id", &get::<String>(row, "id")?)?,
            user_id: parse_id("access_passes.user_id", &get::<String>(row, "user_id")?)?,
            created_date_time: from_micros(get(row, "created_at")?)?,
            start_date_time: from_micros(get(row, "start_at")?)?,
            lifetime_in_minutes: u32::try_from(lifetime).unwrap_or(u32::MAX),
            is_usable_once: flag(row, "is_usable_once")?,
            used_date_time: opt_from_micros(get(row, "used_at")?)?,
        },
        code_hash: get(row, "code_hash")?,
        created_by: get(row, "created_by")?,
    })
}

/// The statement a sign-in with a pass runs in its transaction: it affects the pass's row only while the pass
/// exists and, for a one-time pass (`once`), has not been used, and it consumes a one-time pass. A pass revoked or
/// replaced meanwhile, or a one-time pass another sign-in consumed, affects no row.
pub(crate) fn use_query(id: MethodId, once: bool, now: OffsetDateTime) -> Query<'static, Any, AnyArguments<'static>> {
    if once {
        sqlx::query("UPDATE access_passes SET used_at = $1 WHERE id = $2 AND is_usable_once = 1 AND used_at IS NULL")
            .bind(micros(now))
            .bind(id.to_string())
    } else {
        sqlx::query("UPDATE access_passes SET used_at = used_at WHERE id = $1 AND is_usable_once = 0")
            .bind(id.to_string())
    }
}

impl Store {
    /// Issues a pass, replacing the user's previous one (Entra keeps one per user). The sessions the previous pass
    /// opened end with it.
    pub async fn replace_access_pass(&self, pass: &StoredAccessPass, event: &Event) -> Result<()> {
        let mut tx = self.begin().await?;
        let previous: Option<String> = sqlx::query_scalar("SELECT id FROM access_passes WHERE user_id = $1")
            .bind(pass.pass.user_id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(previous) = previous {
            let previous: MethodId = parse_id("access_passes.id", &previous)?;
            end_sessions_in(&mut tx, pass.pass.user_id, Ending::UsingMethod(previous)).await?;
        }
        // One statement, so that two passes issued at once cannot both find no pass and both insert one.
        sqlx::query(
            "INSERT INTO access_passes (id, user_id, code_hash, created_at, start_at, lifetime_minutes, \
             is_usable_once, used_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8) \
             ON CONFLICT (user_id) DO UPDATE SET id = excluded.id, code_hash = excluded.code_hash, \
             created_at = excluded.created_at, start_at = excluded.start_at, \
             lifetime_minutes = excluded.lifetime_minutes, is_usable_once = excluded.is_usable_once, \
             used_at = NULL, created_by = excluded.created_by",
        )
        .bind(pass.pass.id.to_string())
        .bind(pass.pass.user_id.to_string())
        .bind(&pass.code_hash)
        .bind(micros(pass.pass.created_date_time))
        .bind(micros(pass.pass.start_date_time))
        .bind(i64::from(pass.pass.lifetime_in_minutes))
        .bind(i64::from(pass.pass.is_usable_once))
        .bind(&pass.created_by)
        .execute(&mut *tx)
        .await?;
        audit::insert(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn access_pass_of(&self, user: UserId) -> Result<Option<StoredAccessPass>> {
        let row = sqlx::query(ACCESS_PASS_OF)
            .bind(user.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(pass_from_row).transpose()
    }

    /// Deletes a pass, and ends the sessions it opened; returns whether it existed.
    pub async fn delete_access_pass(&self, user: UserId, id: MethodId, event: &Event) -> Result<bool> {
        let change = sqlx::query("DELETE FROM access_passes WHERE id = $1 AND user_id = $2")
            .bind(id.to_string())
            .bind(user.to_string());
        self.audited_change(change, Some((user, Ending::UsingMethod(id))), event)
            .await
    }
}
