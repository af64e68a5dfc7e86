//! keywarden's storage: every persistent fact, behind methods named after domain operations.
//!
//! One SQL implementation runs on both backends through sqlx's `Any` driver: the schema is kept to the portable
//! subset (text ids, integer microsecond times, JSON as text) and the few differences live in `sqlite.rs` and
//! `postgres.rs` (connection set-up and migrations). Every method that changes state takes the audit event that
//! describes the change and writes it in the same transaction.

mod access_passes;
mod attempts;
mod audit;
mod batch;
mod directory;
mod passkeys;
mod policy;
mod postgres;
mod reports;
mod rollout;
mod scan;
mod sessions;
mod sqlite;
mod subjects;
mod tokens;

use sqlx::AnyPool;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use time::OffsetDateTime;

pub use access_passes::StoredAccessPass;
pub use attempts::{
    Attempt, AttemptClosed, ClientErrorRecord, CommitRefusal, NewAttempt, RegistrationCommit, RegistrationFailure,
};
pub use audit::{AuditFilter, AuditPage};
pub use directory::{ImportedGroup, NewUser, UserChange, UserPage, UserWrite};
pub use passkeys::{AssertionUpdate, HeldPasskey, PasskeyRecord, SignInSubject};
pub use policy::StoredPolicy;
pub use reports::Selection;
pub use rollout::SubjectPart;
pub use scan::Scan;
pub use sessions::{Admission, Session, SignInChallenge, SignInConflict, SignInStep, ThrottleLimits, Totp};
pub use subjects::RegistrationSubject;
pub use tokens::ApiToken;

/// Which database a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Storage errors: small and matchable, with the database cause kept.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    /// A uniqueness or optimistic-concurrency rule refused the write; the text names which.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("migration error")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// SQLite's writer thread could not be started, or a write transaction on it ended abnormally.
    #[error("the SQLite writer thread: {0}")]
    Writer(String),
    #[error("unsupported database url {0:?}: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
}

impl Error {
    /// Whether the database could not be reached (the pool timed out or closed, or the connection failed), as
    /// opposed to refusing or failing the statement: the caller answers "try again shortly", not "internal error".
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Error::Database(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_))
        )
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The handle to the database. Cheap to clone.
///
/// On SQLite, writes go through a pool of one connection (SQLite has one writer; serialising in-process avoids
/// `SQLITE_BUSY`) and reads through a pool of several; on PostgreSQL both are the same pool.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
    writer: AnyPool,
    reader: AnyPool,
    /// SQLite: the thread that runs the hot write transactions (see `batch.rs`).
    writer_thread: Option<batch::WriterThread>,
}

impl Store {
    /// Connects to `url` (`sqlite://path`, `sqlite:path`, `postgres://...`) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let store = if url.starts_with("sqlite:") {
            sqlite::connect(url).await?
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            postgres::connect(url).await?
        } else {
            return Err(Error::UnsupportedUrl(url.to_string()));
        };
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => sqlite::MIGRATOR.run(&self.writer).await?,
            Backend::Postgres => postgres::MIGRATOR.run(&self.writer).await?,
        }
        Ok(())
    }

    /// Whether the database answers and every migration this build knows is applied (for `/readyz`).
    pub async fn ready(&self) -> Result<bool> {
        let migrator = match self.backend {
            Backend::Sqlite => &sqlite::MIGRATOR,
            Backend::Postgres => &postgres::MIGRATOR,
        };
        let latest = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        let applied: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&self.reader)
            .await?;
        Ok(applied == Some(latest))
    }

    async fn begin(&self) -> Result<Transaction<'static, Any>> {
        Ok(self.writer.begin().await?)
    }

    /// One audited change in one transaction: runs `change`, and when it touched a row, ends the sessions `ending`
    /// names and writes `event`. Returns whether a row changed; when none did, nothing is written.
    async fn audited_change<'q>(
        &self,
        change: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
        ending: Option<(keywarden_domain::ids::UserId, keywarden_domain::session::Ending)>,
        event: &keywarden_domain::audit::Event,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        if change.execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        if let Some((user, ending)) = ending {
            sessions::end_sessions_in(&mut tx, user, ending).await?;
        }
        audit::insert(&mut tx, event).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A statement and its audit event in one transaction; the event is written whatever the statement touched.
    async fn audited_statement<'q>(
        &self,
        statement: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
        event: &keywarden_domain::audit::Event,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        statement.execute(&mut *tx).await?;
        audit::insert(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Closes both pools, waiting for connections in use.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

/// `NotFound` when an audited change touched no row.
pub(crate) fn found(changed: bool) -> Result<()> {
    if changed { Ok(()) } else { Err(Error::NotFound) }
}

/// Microseconds since the Unix epoch: the stored form of every instant.
pub(crate) fn micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

pub(crate) fn from_micros(us: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .map_err(|e| Error::Corrupt(format!("time {us}: {e}")))
}

pub(crate) fn opt_from_micros(us: Option<i64>) -> Result<Option<OffsetDateTime>> {
    us.map(from_micros).transpose()
}

pub(crate) fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("keywarden types serialise to JSON")
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Corrupt(format!("{column}: {e}")))
}

pub(crate) fn parse_id<T: std::str::FromStr>(column: &str, text: &str) -> Result<T> {
    text.parse()
        .map_err(|_| Error::Corrupt(format!("{column}: {text:?} is not an id")))
}

pub(crate) fn get<'r, T>(row: &'r AnyRow, column: &str) -> Result<T>
where
    T: sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    Ok(row.try_get(column)?)
}

/// Reads a boolean stored as 0 or 1 (the portable form: sqlx's `Any` driver cannot decode SQLite booleans).
pub(crate) fn flag(row: &AnyRow, column: &str) -> Result<bool> {
    Ok(get::<i64>(row, column)? != 0)
}

/// Maps a unique-constraint violation to [`Error::Conflict`].
pub(crate) fn conflict_on_unique(e: sqlx::Error, what: &'static str) -> Error {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => Error::Conflict(what),
        _ => Error::Database(e),
    }
}
