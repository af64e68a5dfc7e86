//! Sign-in state: sessions, the TOTP method, passkey sign-in challenges and the per-user throttle on wrong codes.

use keywarden_domain::audit::Event;
use keywarden_domain::directory::User;
use keywarden_domain::ids::{MethodId, UserId};
use keywarden_domain::session::{Authentication, Ending};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Transaction};
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
    /// The token that names the session from now on: a new session's, or a new one for a session the step raises
    /// (the old token stops working).
    pub token_hash: &'a [u8],
    /// Whether the session is new (else the step raises an existing one, which must still exist).
    pub creates_session: bool,
    /// The throttle key of the sign-in name (see [`Store::admit_sign_in_attempt`]) and of the method used
    /// (`password`, `softwareOath`, `temporaryAccessPass`, `fido2`); a success clears it.
    pub throttle: (&'a str, &'a str),
    /// For a password step: the user and the password hash that was checked, which must still be the user's (a
    /// reset meanwhile ends password sessions, so this one must not start).
    pub password: Option<(UserId, &'a str)>,
    /// For a TOTP step: the method and the time step, which must be newer than the last one used.
    pub totp_step: Option<(MethodId, i64)>,
    /// For a pass step: the pass, which must still exist; a one-time pass is consumed by this step.
    pub access_pass: Option<(MethodId, bool)>,
    /// For a passkey step: what the assertion changes on the stored passkey.
    pub passkey: Option<&'a crate::AssertionUpdate>,
    /// For a passkey step: the sign-in challenge it answers and the time, used up in the same transaction.
    pub challenge: Option<(SignInChallenge, OffsetDateTime)>,
    pub event: &'a Event,
}

/// Why a sign-in step was not written: a single-use rule, or something the step relied on that changed meanwhile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInConflict {
    /// The passkey sign-in's challenge was used (another finish of the same ceremony, or its refusal).
    ChallengeUsed,
    /// The TOTP code's time step was used already (a replayed code).
    CodeReplayed,
    /// The one-time pass was consumed by another sign-in, or the pass was revoked or replaced.
    AccessPassUsed,
    /// The password was reset since it was checked.
    PasswordChanged,
    /// The passkey was deleted since it was read.
    PasskeyGone,
    /// The session the step raises was ended (signed out or revoked) meanwhile.
    SessionEnded,
}

/// Whether a sign-in attempt may be checked, from the throttle of its name and method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Check it: it is counted already, and a success clears the count.
    Admitted,
    /// Do not check it: the name and method are locked until then.
    Locked(OffsetDateTime),
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
    /// Records a successful sign-in step in one transaction: creates the session or raises it (under a new
    /// token), consumes a one-time pass, advances the TOTP step or the passkey's counter, clears the throttle of the
    /// name and method, uses up a passkey step's challenge, and writes the sign-in event. Returns the conflict, with
    /// nothing written, when a single-use rule refuses the step or something it relied on changed meanwhile. (The
    /// challenge's expiry is checked by the caller, from the sealed ceremony.)
    pub async fn record_sign_in(&self, step: SignInStep<'_>) -> Result<Result<(), SignInConflict>> {
        // The statements that may change nothing, each with the conflict it means, in order.
        let mut checks = Vec::new();
        let mut tx = self.write();
        if let Some((id, now)) = step.challenge {
            tx.push(use_sign_in_challenge(id, now));
            checks.push(SignInConflict::ChallengeUsed);
        }
        if let Some((user, hash)) = step.password {
            tx.push(
                sqlx::query("UPDATE users SET password_hash = password_hash WHERE id = $1 AND password_hash = $2")
                    .bind(user.to_string())
                    .bind(hash.to_string()),
            );
            checks.push(SignInConflict::PasswordChanged);
        }
        if let Some((method, time_step)) = step.totp_step {
            tx.push(
                sqlx::query("UPDATE totp_methods SET last_used_step = $1 WHERE id = $2 AND last_used_step < $1")
                    .bind(time_step)
                    .bind(method.to_string()),
            );
            checks.push(SignInConflict::CodeReplayed);
        }
        if let Some((pass, once)) = step.access_pass {
            tx.push(crate::access_passes::use_query(
                pass,
                once,
                step.event.activity_date_time,
            ));
            checks.push(SignInConflict::AccessPassUsed);
        }
        if let Some(update) = step.passkey {
            tx.push(crate::passkeys::apply_assertion_query(update));
            checks.push(SignInConflict::PasskeyGone);
        }
        if !step.creates_session {
            tx.push(raise_session(step.session, step.token_hash));
            checks.push(SignInConflict::SessionEnded);
        }
        let mut rest = self.write();
        if step.creates_session {
            rest.push(insert_session(step.session, step.token_hash));
        }
        rest.push(
            sqlx::query("DELETE FROM signin_throttle WHERE subject = $1 AND method = $2")
                .bind(step.throttle.0.to_string())
                .bind(step.throttle.1.to_string()),
        );
        rest.push(audit::insert_query(step.event));
        // Two batches: the statements that may change nothing, looked at in order (`tx` dropped rolls back), then the
        // rest with the commit.
        self.on_writer(async move {
            let affected = tx.run().await?;
            if let Some((conflict, _)) = checks.iter().zip(&affected).find(|(_, n)| **n != 1) {
                return Ok(Err(*conflict));
            }
            tx.append(rest);
            match tx.commit().await {
                Ok(_) => Ok(Ok(())),
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
        let statement = sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id.to_string());
        self.audited_statement(statement, event).await
    }

    /// Admits a sign-in attempt with `method` for the name `subject` (the caller's key for the name typed, the same
    /// for names that exist and names that do not), counting it before it is checked: of many attempts sent at once,
    /// no more than `limits.max_failures` are admitted in a window, and none while the name and method are locked.
    /// A success clears the count ([`Store::record_sign_in`]); a failure is recorded with
    /// [`Store::record_sign_in_failure`].
    pub async fn admit_sign_in_attempt(
        &self,
        subject: &str,
        method: &str,
        now: OffsetDateTime,
        limits: ThrottleLimits,
    ) -> Result<Admission> {
        let mut tx = self.begin().await?;
        // One statement that adds to the stored count, so that attempts sent at once are all counted, on PostgreSQL
        // too. A lock that has ended starts a new window.
        let (failures, locked_until): (i64, Option<i64>) = sqlx::query_as(
            "INSERT INTO signin_throttle (subject, method, failures, window_start, locked_until) \
             VALUES ($1, $2, 1, $3, NULL) ON CONFLICT (subject, method) DO UPDATE SET \
             failures = CASE WHEN signin_throttle.locked_until > $3 THEN signin_throttle.failures \
             WHEN signin_throttle.locked_until IS NULL AND $3 - signin_throttle.window_start < $4 \
             THEN signin_throttle.failures + 1 ELSE 1 END, \
             window_start = CASE WHEN signin_throttle.locked_until > $3 THEN signin_throttle.window_start \
             WHEN signin_throttle.locked_until IS NULL AND $3 - signin_throttle.window_start < $4 \
             THEN signin_throttle.window_start ELSE $3 END, \
             locked_until = CASE WHEN signin_throttle.locked_until > $3 THEN signin_throttle.locked_until \
             ELSE NULL END \
             RETURNING failures, locked_until",
        )
        .bind(subject.to_string())
        .bind(method.to_string())
        .bind(micros(now))
        .bind(micros_of(limits.window))
        .fetch_one(&mut *tx)
        .await?;
        let admission = match locked_until {
            Some(until) if until > micros(now) => Admission::Locked(from_micros(until)?),
            _ if failures > i64::from(limits.max_failures) => {
                // More attempts than the limit in one window: the ones before this are being checked or failed.
                let until = micros(now) + micros_of(limits.lock);
                lock(&mut tx, subject, method, until).await?;
                Admission::Locked(from_micros(until)?)
            }
            _ => Admission::Admitted,
        };
        tx.commit().await?;
        Ok(admission)
    }

    /// Records that an admitted attempt failed, writing `event` in the same transaction. Returns the lock's end
    /// when the name and method are locked now: by this failure (the last the limit allows), or already.
    pub async fn record_sign_in_failure(
        &self,
        subject: &str,
        method: &str,
        now: OffsetDateTime,
        limits: ThrottleLimits,
        event: &Event,
    ) -> Result<Option<OffsetDateTime>> {
        let mut tx = self.begin().await?;
        let row: Option<(i64, Option<i64>)> =
            sqlx::query_as("SELECT failures, locked_until FROM signin_throttle WHERE subject = $1 AND method = $2")
                .bind(subject.to_string())
                .bind(method.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        let locked_until = match row {
            Some((_, Some(until))) if until > micros(now) => Some(until),
            Some((failures, _)) if failures >= i64::from(limits.max_failures) => {
                let until = micros(now) + micros_of(limits.lock);
                lock(&mut tx, subject, method, until).await?;
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

    /// Ends the sessions of `user` that `ending` names, writing `event` in the same transaction; returns how many
    /// ended.
    pub async fn end_sessions(&self, user: UserId, ending: Ending, event: &Event) -> Result<u64> {
        let mut tx = self.begin().await?;
        let ended = end_sessions_in(&mut tx, user, ending).await?;
        audit::insert(&mut tx, event).await?;
        tx.commit().await?;
        Ok(ended)
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
        // Throttle rows whose window and lock are over: they count nothing any more.
        let c = sqlx::query(
            "DELETE FROM signin_throttle WHERE window_start < $1 AND (locked_until IS NULL OR locked_until < $1)",
        )
        .bind(micros(before))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(a + b + c)
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

/// The statement that records a further step on an existing session under its new token and CSRF token (it
/// affects no row when the session is gone).
fn raise_session(session: &Session, token_hash: &[u8]) -> Query<'static, Any, AnyArguments<'static>> {
    sqlx::query(
        "UPDATE sessions SET token_hash = $1, csrf_token = $2, authentication = $3, expires_at = $4 WHERE id = $5",
    )
    .bind(token_hash.to_vec())
    .bind(session.csrf_token.clone())
    .bind(json(&session.authentication))
    .bind(micros(session.expires_at))
    .bind(session.id.to_string())
}

/// Locks the throttle of `subject` and `method` until `until` (microseconds), starting its count again.
async fn lock(tx: &mut Transaction<'static, Any>, subject: &str, method: &str, until: i64) -> Result<()> {
    sqlx::query("UPDATE signin_throttle SET failures = 0, locked_until = $3 WHERE subject = $1 AND method = $2")
        .bind(subject.to_string())
        .bind(method.to_string())
        .bind(until)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Ends, inside `tx`, the sessions of `user` that `ending` names; returns how many. The sessions are read in the
/// transaction, so that on PostgreSQL a sign-in that commits first is seen and ended, and one that commits later
/// finds what it relied on gone (its own checks refuse it).
pub(crate) async fn end_sessions_in(tx: &mut Transaction<'static, Any>, user: UserId, ending: Ending) -> Result<u64> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, authentication FROM sessions WHERE user_id = $1")
        .bind(user.to_string())
        .fetch_all(&mut **tx)
        .await?;
    let mut ended = 0;
    for (id, authentication) in rows {
        let authentication: Authentication = from_json("sessions.authentication", &authentication)?;
        if ending.ends(&authentication) {
            ended += sqlx::query("DELETE FROM sessions WHERE id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?
                .rows_affected();
        }
    }
    Ok(ended)
}
