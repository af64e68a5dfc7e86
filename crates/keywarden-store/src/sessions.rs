//! Sign-in state: sessions, the TOTP method, passkey sign-in challenges and the per-user throttle on wrong codes.

use keywarden_domain::audit::Event;
use keywarden_domain::directory::User;
use keywarden_domain::ids::{MethodId, UserId};
use keywarden_domain::session::Authentication;
use sqlx::Any;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use time::{Duration, OffsetDateTime};

use crate::directory::user_from_row_with_id;
use crate::{Error, Result, Store, audit, from_json, from_micros, get, json, micros, parse_id};

/// A session. The token that names it is known only to the client; the store keeps its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: uuid::Uuid,
    pub user_id: UserId,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub authentication: Authentication,
    pub csrf_token: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// One successful sign-in step, written by [`Store::record_sign_in`].
#[derive(Clone, Copy, Debug)]
pub struct SignInStep<'a> {
    pub session: &'a Session,
    /// The new session's token hash; `None` updates an existing session.
    pub new_token_hash: Option<&'a [u8]>,
    /// The throttle key of the method used (`password`, `softwareOath`, `temporaryAccessPass`, `fido2`).
    pub method: &'a str,
    /// For a TOTP step: the method and the time step, which must be newer than the last one used.
    pub totp_step: Option<(MethodId, i64)>,
    /// For a passkey step: what the assertion changes on the stored passkey.
    pub passkey: Option<&'a crate::AssertionUpdate>,
    /// For a passkey step: the sign-in challenge it answers and the time, used up in the same transaction.
    pub challenge: Option<(SignInChallenge, OffsetDateTime)>,
    pub event: &'a Event,
}

/// A user's TOTP (RFC 6238) method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Totp {
    pub id: MethodId,
    pub user_id: UserId,
    pub secret: Vec<u8>,
    pub display_name: String,
    pub created_at: OffsetDateTime,
    /// The last time step accepted, so that a code cannot be replayed.
    pub last_used_step: i64,
}

/// A passkey sign-in challenge: its id and until when its ceremony may finish. A pending ceremony is not stored
/// (the server hands it to the client sealed); a challenge is stored when it is used, so that it is used once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignInChallenge {
    pub id: uuid::Uuid,
    pub expires_at: OffsetDateTime,
}

/// How many wrong attempts a user may make with one method before it locks, and for how long.
#[derive(Clone, Copy, Debug)]
pub struct ThrottleLimits {
    pub max_failures: u32,
    pub window: Duration,
    pub lock: Duration,
}

/// A user's TOTP method (`$1`: the user id).
pub(crate) const TOTP_OF: &str =
    "SELECT id, user_id, secret, display_name, created_at, last_used_step FROM totp_methods WHERE user_id = $1";

pub(crate) fn totp_from_row(row: &AnyRow) -> Result<Totp> {
    Ok(Totp {
        id: parse_id("totp_methods.id", &get::<String>(row, "id")?)?,
        user_id: parse_id("totp_methods.user_id", &get::<String>(row, "user_id")?)?,
        secret: get(row, "secret")?,
        display_name: get(row, "display_name")?,
        created_at: from_micros(get(row, "created_at")?)?,
        last_used_step: get(row, "last_used_step")?,
    })
}

fn session_from_row(row: &AnyRow) -> Result<Session> {
    Ok(Session {
        id: parse_id("sessions.id", &get::<String>(row, "id")?)?,
        user_id: parse_id("sessions.user_id", &get::<String>(row, "user_id")?)?,
        created_at: from_micros(get(row, "created_at")?)?,
        expires_at: from_micros(get(row, "expires_at")?)?,
        authentication: from_json("sessions.authentication", &get::<String>(row, "authentication")?)?,
        csrf_token: get(row, "csrf_token")?,
        ip: get(row, "ip")?,
        user_agent: get(row, "user_agent")?,
    })
}

impl Store {
    /// Records a successful sign-in step in one transaction: creates the session (when `new_token_hash` is given)
    /// or updates it, advances the TOTP step or the passkey's counter when the step used one, clears the
    /// throttle of the method, uses up the passkey step's challenge, and writes the sign-in event. Returns
    /// `false`, changing nothing, when the TOTP step was already used (a replayed code) or the challenge was used.
    /// (The challenge's expiry is checked by the caller, from the sealed ceremony.)
    pub async fn record_sign_in(&self, step: SignInStep<'_>) -> Result<bool> {
        let challenge = step.challenge.is_some();
        let totp = step.totp_step.is_some();
        let passkey = step.passkey.is_some();
        let updates_session = step.new_token_hash.is_none();
        let mut tx = self.write();
        if let Some((id, now)) = step.challenge {
            tx.push(use_sign_in_challenge(id, now));
        }
        if let Some((method, time_step)) = step.totp_step {
            tx.push(
                sqlx::query("UPDATE totp_methods SET last_used_step = $1 WHERE id = $2 AND last_used_step < $1")
                    .bind(time_step)
                    .bind(method.to_string()),
            );
        }
        if let Some(update) = step.passkey {
            tx.push(crate::passkeys::apply_assertion_query(update));
        }
        if updates_session {
            tx.push(update_session(step.session));
        }
        let mut rest = self.write();
        if let Some(hash) = step.new_token_hash {
            rest.push(insert_session(step.session, hash));
        }
        rest.push(
            sqlx::query("DELETE FROM signin_throttle WHERE user_id = $1 AND method = $2")
                .bind(step.session.user_id.to_string())
                .bind(step.method.to_string()),
        );
        rest.push(audit::insert_query(step.event));
        // Two batches: the statements that may change nothing, looked at in order (`tx` dropped rolls back), then
        // the rest with the commit.
        self.on_writer(async move {
            let mut affected = tx.run().await?.into_iter();
            if challenge && affected.next() != Some(1) {
                // Used since it was read (another finish of the same ceremony, or its refusal).
                return Ok(false);
            }
            if totp && affected.next() != Some(1) {
                // A replayed code: its time step was used already.
                return Ok(false);
            }
            if (passkey && affected.next() != Some(1)) || (updates_session && affected.next() != Some(1)) {
                return Err(Error::NotFound);
            }
            tx.append(rest);
            match tx.commit().await {
                Ok(_) => Ok(true),
                Err(Error::Database(e)) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
                    Err(Error::Conflict("session token"))
                }
                Err(e) => Err(e),
            }
        })
        .await
    }

    pub async fn session_by_token(&self, token_hash: &[u8]) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT id, user_id, created_at, expires_at, authentication, csrf_token, ip, user_agent \
             FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash.to_vec())
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    /// The session a token names and its user, in one query (every authenticated request needs both).
    pub async fn session_with_user_by_token(&self, token_hash: &[u8]) -> Result<Option<(Session, User)>> {
        let row = sqlx::query(
            "SELECT s.id, s.user_id, s.created_at, s.expires_at, s.authentication, s.csrf_token, s.ip, s.user_agent, \
             u.upn, u.display_name, u.user_type, u.account_enabled, u.roles \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        )
        .bind(token_hash.to_vec())
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref()
            .map(|row| Ok((session_from_row(row)?, user_from_row_with_id(row, "user_id")?)))
            .transpose()
    }

    pub async fn delete_session(&self, id: uuid::Uuid, event: &Event) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        audit::insert(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// When the method is locked for the user, until when.
    pub async fn locked_until(
        &self,
        user: UserId,
        method: &str,
        now: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>> {
        let locked: Option<Option<i64>> =
            sqlx::query_scalar("SELECT locked_until FROM signin_throttle WHERE user_id = $1 AND method = $2")
                .bind(user.to_string())
                .bind(method)
                .fetch_optional(&self.reader)
                .await?;
        match locked.flatten() {
            Some(until) if until > micros(now) => Ok(Some(from_micros(until)?)),
            _ => Ok(None),
        }
    }

    /// Counts a wrong attempt with `method` and locks the method when the limit is reached, writing `event` in the
    /// same transaction. Returns the lock's end when the method is locked: by this failure, or already (a wrong
    /// code that passed the lock check before the lock came is still counted, and lifts nothing).
    ///
    /// The count is one statement that adds to the stored count, so that wrong codes sent at once are all counted
    /// on PostgreSQL too (a read, then a write of the count read plus one, would lose all but one of them).
    pub async fn record_sign_in_failure(
        &self,
        user: UserId,
        method: &str,
        now: OffsetDateTime,
        limits: ThrottleLimits,
        event: &Event,
    ) -> Result<Option<OffsetDateTime>> {
        let mut tx = self.begin().await?;
        let (failures, locked_until): (i64, Option<i64>) = sqlx::query_as(
            "INSERT INTO signin_throttle (user_id, method, failures, window_start, locked_until) \
             VALUES ($1, $2, 1, $3, NULL) ON CONFLICT (user_id, method) DO UPDATE SET \
             failures = CASE WHEN $3 - signin_throttle.window_start < $4 THEN signin_throttle.failures + 1 ELSE 1 END, \
             window_start = CASE WHEN $3 - signin_throttle.window_start < $4 THEN signin_throttle.window_start \
             ELSE $3 END \
             RETURNING failures, locked_until",
        )
        .bind(user.to_string())
        .bind(method)
        .bind(micros(now))
        .bind(micros_of(limits.window))
        .fetch_one(&mut *tx)
        .await?;
        let locked_until = match locked_until {
            Some(until) if until > micros(now) => Some(until),
            _ if failures >= i64::from(limits.max_failures) => {
                let until = micros(now) + micros_of(limits.lock);
                sqlx::query(
                    "UPDATE signin_throttle SET failures = 0, window_start = $3, locked_until = $4 \
                     WHERE user_id = $1 AND method = $2",
                )
                .bind(user.to_string())
                .bind(method)
                .bind(micros(now))
                .bind(until)
                .execute(&mut *tx)
                .await?;
                Some(until)
            }
            _ => None,
        };
        audit::insert(&mut tx, event).await?;
        tx.commit().await?;
        locked_until.map(from_micros).transpose()
    }

    pub async fn totp_of(&self, user: UserId) -> Result<Option<Totp>> {
        let row = sqlx::query(TOTP_OF)
            .bind(user.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(totp_from_row).transpose()
    }

    /// Sets the user's TOTP method, replacing any previous one.
    pub async fn replace_totp(&self, totp: &Totp, event: &Event) -> Result<()> {
        let mut tx = self.begin().await?;
        // One statement, so that two enrolments at once cannot both find no method and both insert one.
        sqlx::query(
            "INSERT INTO totp_methods (id, user_id, secret, display_name, created_at, last_used_step) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET id = excluded.id, \
             secret = excluded.secret, display_name = excluded.display_name, created_at = excluded.created_at, \
             last_used_step = excluded.last_used_step",
        )
        .bind(totp.id.to_string())
        .bind(totp.user_id.to_string())
        .bind(totp.secret.clone())
        .bind(&totp.display_name)
        .bind(micros(totp.created_at))
        .bind(totp.last_used_step)
        .execute(&mut *tx)
        .await?;
        audit::insert(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Uses up a sign-in challenge whose ceremony was refused, so that it cannot be tried again. `false` when it
    /// was used already. Challenges are ceremony state, not a governance change: their use is audited (the sign-in
    /// or its refusal), not the row.
    pub async fn use_up_sign_in_challenge(&self, challenge: SignInChallenge, now: OffsetDateTime) -> Result<bool> {
        let insert = use_sign_in_challenge(challenge, now);
        let writer = self.writer.clone();
        self.on_writer(async move { Ok(insert.execute(&writer).await?.rows_affected() == 1) })
            .await
    }

    /// The secret the server keeps under `name`, shared by every server on the database: `candidate` becomes it
    /// when there is none yet (the first server to ask wins). Not audited: no administrator sets it.
    pub async fn server_key(&self, name: &str, candidate: &[u8], now: OffsetDateTime) -> Result<Vec<u8>> {
        sqlx::query(
            "INSERT INTO server_keys (name, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.to_string())
        .bind(candidate.to_vec())
        .bind(micros(now))
        .execute(&self.writer)
        .await?;
        Ok(sqlx::query_scalar("SELECT secret FROM server_keys WHERE name = $1")
            .bind(name.to_string())
            .fetch_one(&self.writer)
            .await?)
    }

    /// Deletes sign-in challenges and sessions that expired before `before`; returns how many rows went.
    pub async fn purge_expired(&self, before: OffsetDateTime) -> Result<u64> {
        let mut tx = self.begin().await?;
        let a = sqlx::query("DELETE FROM signin_challenges WHERE expires_at < $1")
            .bind(micros(before))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let b = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(micros(before))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(a + b)
    }
}

fn micros_of(d: Duration) -> i64 {
    i64::try_from(d.whole_microseconds()).unwrap_or(i64::MAX)
}

/// The statement that records a sign-in challenge as used; it changes no row when the challenge was used already.
/// The row stays until the challenge expires, after which the ceremony's own expiry refuses it.
fn use_sign_in_challenge(
    challenge: SignInChallenge,
    now: OffsetDateTime,
) -> Query<'static, Any, AnyArguments<'static>> {
    sqlx::query(
        "INSERT INTO signin_challenges (id, ceremony, created_at, expires_at, used_at) VALUES ($1, '', $2, $3, $2) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(challenge.id.to_string())
    .bind(micros(now))
    .bind(micros(challenge.expires_at))
}

/// Whether a sign-in challenge was used (`$1`: its id): a row when it was.
pub(crate) const SIGN_IN_CHALLENGE_USED: &str = "SELECT 1 AS used FROM signin_challenges WHERE id = $1";

/// The statement that stores a new session (a unique violation means the token is in use).
fn insert_session(session: &Session, token_hash: &[u8]) -> Query<'static, Any, AnyArguments<'static>> {
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, user_id, created_at, expires_at, authentication, csrf_token, ip, \
         user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(session.id.to_string())
    .bind(token_hash.to_vec())
    .bind(session.user_id.to_string())
    .bind(micros(session.created_at))
    .bind(micros(session.expires_at))
    .bind(json(&session.authentication))
    .bind(session.csrf_token.clone())
    .bind(session.ip.clone())
    .bind(session.user_agent.clone())
}

/// The statement that records a further step on an existing session (it affects no row when the session is gone).
fn update_session(session: &Session) -> Query<'static, Any, AnyArguments<'static>> {
    sqlx::query("UPDATE sessions SET authentication = $1, expires_at = $2 WHERE id = $3")
        .bind(json(&session.authentication))
        .bind(micros(session.expires_at))
        .bind(session.id.to_string())
}
