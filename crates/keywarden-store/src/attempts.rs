//! Registration attempts: each begin, its single-use challenge, the four questions' evidence, and the outcome,
//! committed atomically with the passkey and the one-time pass it consumes.

use keywarden_domain::audit::{Event, Initiator};
use keywarden_domain::codes::{Code, Question};
use keywarden_domain::ids::{AttemptId, MethodId, UserId};
use keywarden_domain::passkey::Passkey;
use keywarden_domain::platform::ClientReport;
use keywarden_domain::registration::{Evidence, Facts, Status};
use std::sync::LazyLock;

use sqlx::Any;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use time::OffsetDateTime;

use crate::batch::WriteTx;
use crate::{Error, Result, Store, audit, flag, from_json, from_micros, get, json, micros, opt_from_micros, parse_id};

/// An attempt as begun.
#[derive(Clone, Debug)]
pub struct NewAttempt {
    pub id: AttemptId,
    pub user_id: UserId,
    pub initiator: Initiator,
    pub on_behalf: bool,
    pub started_at: OffsetDateTime,
    pub correlation_id: uuid::Uuid,
    pub policy_version: i64,
    pub session_id: Option<uuid::Uuid>,
    /// The pending webauthn ceremony; `None` when the attempt was refused at begin.
    pub ceremony: Option<String>,
    pub challenge_expires_at: Option<OffsetDateTime>,
    pub status: Status,
    pub outcome: Option<Code>,
    pub evidence: Evidence,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// An attempt as stored.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub id: AttemptId,
    pub user_id: UserId,
    pub initiator: Initiator,
    pub on_behalf: bool,
    pub started_at: OffsetDateTime,
    pub correlation_id: uuid::Uuid,
    pub policy_version: i64,
    pub session_id: Option<uuid::Uuid>,
    pub ceremony: Option<String>,
    pub challenge_expires_at: Option<OffsetDateTime>,
    pub challenge_used_at: Option<OffsetDateTime>,
    pub status: Status,
    pub outcome: Option<Code>,
    pub failed_question: Option<Question>,
    pub evidence: Evidence,
    pub facts: Option<Facts>,
    pub client_report: Option<ClientReport>,
    pub finished_at: Option<OffsetDateTime>,
    pub passkey_id: Option<MethodId>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Why a registration's commit wrote nothing: the single-use rule that refused it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitRefusal {
    /// The attempt was closed (its challenge used) by another finish, a refusal or a browser report meanwhile.
    AttemptClosed,
    /// The credential is registered already (to this user or another).
    CredentialAlreadyRegistered,
}

/// An attempt that was closed already (its challenge used), so that a later outcome for it writes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptClosed;

/// A registration that passed every question: the passkey to store, with its outcome and event.
#[derive(Clone, Debug)]
pub struct RegistrationCommit<'a> {
    pub attempt: AttemptId,
    pub now: OffsetDateTime,
    pub passkey: &'a Passkey,
    pub webauthn: &'a str,
    pub evidence: &'a Evidence,
    pub event: &'a Event,
}

/// A registration refused after the ceremony (question 3 or 4): the challenge is used up, the outcome recorded.
#[derive(Clone, Debug)]
pub struct RegistrationFailure<'a> {
    pub attempt: AttemptId,
    pub now: OffsetDateTime,
    pub code: Code,
    pub evidence: &'a Evidence,
    pub facts: Option<&'a Facts>,
    pub event: &'a Event,
}

/// A ceremony the browser reported as failed.
#[derive(Clone, Debug)]
pub struct ClientErrorRecord<'a> {
    pub attempt: AttemptId,
    pub now: OffsetDateTime,
    pub code: Code,
    pub report: &'a ClientReport,
    pub evidence: &'a Evidence,
    pub event: &'a Event,
}

const COLUMNS: &str = "id, user_id, initiator, on_behalf, started_at, correlation_id, policy_version, session_id, \
                       ceremony, challenge_expires_at, challenge_used_at, status, outcome_code, failed_question, \
                       evidence, facts, client_report, finished_at, credential_method_id, ip, user_agent";

/// An attempt by id (`$1`).
pub(crate) static ATTEMPT: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {COLUMNS} FROM registration_attempts WHERE id = $1"));

pub(crate) fn attempt_from_row(row: &AnyRow) -> Result<Attempt> {
    let status: String = get(row, "status")?;
    let outcome: Option<String> = get(row, "outcome_code")?;
    let question: Option<i64> = get(row, "failed_question")?;
    let session: Option<String> = get(row, "session_id")?;
    let facts: Option<String> = get(row, "facts")?;
    let report: Option<String> = get(row, "client_report")?;
    let passkey: Option<String> = get(row, "credential_method_id")?;
    Ok(Attempt {
        id: parse_id("registration_attempts.id", &get::<String>(row, "id")?)?,
        user_id: parse_id("registration_attempts.user_id", &get::<String>(row, "user_id")?)?,
        initiator: from_json("registration_attempts.initiator", &get::<String>(row, "initiator")?)?,
        on_behalf: flag(row, "on_behalf")?,
        started_at: from_micros(get(row, "started_at")?)?,
        correlation_id: parse_id(
            "registration_attempts.correlation_id",
            &get::<String>(row, "correlation_id")?,
        )?,
        policy_version: get(row, "policy_version")?,
        session_id: session
            .map(|s| parse_id("registration_attempts.session_id", &s))
            .transpose()?,
        ceremony: get(row, "ceremony")?,
        challenge_expires_at: opt_from_micros(get(row, "challenge_expires_at")?)?,
        challenge_used_at: opt_from_micros(get(row, "challenge_used_at")?)?,
        status: Status::parse(&status).ok_or_else(|| Error::Corrupt(format!("attempt status {status:?}")))?,
        outcome: outcome
            .map(|c| Code::parse(&c).ok_or_else(|| Error::Corrupt(format!("code {c:?}"))))
            .transpose()?,
        failed_question: question
            .and_then(|q| u8::try_from(q).ok())
            .and_then(|q| Question::try_from(q).ok()),
        evidence: from_json("registration_attempts.evidence", &get::<String>(row, "evidence")?)?,
        facts: facts
            .map(|f| from_json("registration_attempts.facts", &f))
            .transpose()?,
        client_report: report
            .map(|r| from_json("registration_attempts.client_report", &r))
            .transpose()?,
        finished_at: opt_from_micros(get(row, "finished_at")?)?,
        passkey_id: passkey
            .map(|p| parse_id("registration_attempts.credential_method_id", &p))
            .transpose()?,
        ip: get(row, "ip")?,
        user_agent: get(row, "user_agent")?,
    })
}

/// How an attempt ends.
#[derive(Clone, Copy)]
struct Closing<'a> {
    status: Status,
    outcome: Option<Code>,
    evidence: &'a Evidence,
    facts: Option<&'a Facts>,
    passkey: Option<MethodId>,
}

/// The statement that closes an open attempt whose challenge is unused (it affects no row otherwise).
fn close_attempt(
    attempt: AttemptId,
    now: OffsetDateTime,
    closing: Closing<'_>,
) -> Query<'static, Any, AnyArguments<'static>> {
    let Closing {
        status,
        outcome,
        evidence,
        facts,
        passkey,
    } = closing;
    sqlx::query(
        "UPDATE registration_attempts SET challenge_used_at = $1, finished_at = $1, status = $2, outcome_code = $3, \
         failed_question = $4, evidence = $5, facts = $6, credential_method_id = $7 \
         WHERE id = $8 AND status = 'open' AND challenge_used_at IS NULL",
    )
    .bind(micros(now))
    .bind(status.as_str())
    .bind(outcome.map(|c| c.as_str()))
    .bind(evidence.first_failure().map(|(q, _)| i64::from(q.number())))
    .bind(json(evidence))
    .bind(facts.map(json))
    .bind(passkey.map(|p| p.to_string()))
    .bind(attempt.to_string())
}

impl Store {
    pub async fn insert_attempt(&self, attempt: &NewAttempt, event: &Event) -> Result<()> {
        let mut tx = self.write();
        tx.push(
            sqlx::query(
                "INSERT INTO registration_attempts (id, user_id, initiator, on_behalf, started_at, correlation_id, \
             policy_version, session_id, ceremony, challenge_expires_at, status, outcome_code, failed_question, \
             evidence, finished_at, ip, user_agent) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
            )
            .bind(attempt.id.to_string())
            .bind(attempt.user_id.to_string())
            .bind(json(&attempt.initiator))
            .bind(i64::from(attempt.on_behalf))
            .bind(micros(attempt.started_at))
            .bind(attempt.correlation_id.to_string())
            .bind(attempt.policy_version)
            .bind(attempt.session_id.map(|s| s.to_string()))
            .bind(attempt.ceremony.clone())
            .bind(attempt.challenge_expires_at.map(micros))
            .bind(attempt.status.as_str())
            .bind(attempt.outcome.map(|c| c.as_str()))
            .bind(attempt.evidence.first_failure().map(|(q, _)| i64::from(q.number())))
            .bind(json(&attempt.evidence))
            .bind((attempt.status != Status::Open).then(|| micros(attempt.started_at)))
            .bind(attempt.ip.clone())
            .bind(attempt.user_agent.clone()),
        );
        tx.push(audit::insert_query(event));
        self.on_writer(async move { tx.commit().await.map(drop) }).await
    }

    pub async fn attempt(&self, id: AttemptId) -> Result<Option<Attempt>> {
        let row = sqlx::query(ATTEMPT.as_str())
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(attempt_from_row).transpose()
    }

    /// A user's attempts, newest first.
    pub async fn attempts_of(&self, user: UserId, limit: u32) -> Result<Vec<Attempt>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM registration_attempts WHERE user_id = $1 ORDER BY started_at DESC LIMIT $2"
        ))
        .bind(user.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(attempt_from_row).collect()
    }

    /// Commits a successful registration: uses up the challenge, stores the passkey, records the outcome and the
    /// audit event, all or nothing. The refusal says which single-use rule refused it; then nothing was written.
    pub async fn commit_registration(&self, commit: RegistrationCommit<'_>) -> Result<Result<(), CommitRefusal>> {
        let closing = Closing {
            status: Status::Succeeded,
            outcome: None,
            evidence: commit.evidence,
            facts: Some(&commit.passkey.facts),
            passkey: Some(commit.passkey.id),
        };
        let mut tx = self.write();
        tx.push(close_attempt(commit.attempt, commit.now, closing));
        let mut rest = self.write();
        rest.push(crate::passkeys::insert_query(commit.passkey, commit.webauthn));
        rest.push(audit::insert_query(commit.event));
        // Two batches: the single-use statement, looked at first (`tx` dropped rolls back), then the rest with the
        // commit.
        self.on_writer(async move {
            let affected = tx.run().await?;
            if affected.first() != Some(&1) {
                return Ok(Err(CommitRefusal::AttemptClosed));
            }
            tx.append(rest);
            match tx.commit().await {
                Ok(_) => Ok(Ok(())),
                Err(Error::Database(e)) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
                    Ok(Err(CommitRefusal::CredentialAlreadyRegistered))
                }
                Err(e) => Err(e),
            }
        })
        .await
    }

    /// Records a refusal after the ceremony; [`AttemptClosed`] when the attempt was closed already (then nothing was
    /// written).
    pub async fn fail_registration(&self, failure: RegistrationFailure<'_>) -> Result<Result<(), AttemptClosed>> {
        let closing = Closing {
            status: Status::Failed,
            outcome: Some(failure.code),
            evidence: failure.evidence,
            facts: failure.facts,
            passkey: None,
        };
        let mut tx = self.write();
        tx.push(close_attempt(failure.attempt, failure.now, closing));
        tx.push(audit::insert_query(failure.event));
        self.commit_closing(tx).await
    }

    /// Records a ceremony the browser reported as failed: question 3's evidence. Closes the attempt.
    pub async fn record_client_error(&self, record: ClientErrorRecord<'_>) -> Result<Result<(), AttemptClosed>> {
        let closing = Closing {
            status: Status::Failed,
            outcome: Some(record.code),
            evidence: record.evidence,
            facts: None,
            passkey: None,
        };
        let mut tx = self.write();
        tx.push(close_attempt(record.attempt, record.now, closing));
        tx.push(
            sqlx::query("UPDATE registration_attempts SET client_report = $1 WHERE id = $2")
                .bind(json(record.report))
                .bind(record.attempt.to_string()),
        );
        tx.push(audit::insert_query(record.event));
        self.commit_closing(tx).await
    }

    /// Commits `tx`, whose first statement closes an attempt, on the writer: [`AttemptClosed`], with nothing
    /// written, when the attempt was closed already.
    async fn commit_closing(&self, mut tx: WriteTx<'static>) -> Result<Result<(), AttemptClosed>> {
        self.on_writer(async move {
            if tx.run().await?.first() != Some(&1) {
                return Ok(Err(AttemptClosed));
            }
            tx.commit().await?;
            Ok(Ok(()))
        })
        .await
    }
}
