//! Statements sent in batches: on SQLite one batch is one command to a connection's thread, for a write
//! transaction ([`WriteTx`]) and for the reads one operation needs before it decides ([`Store::read_batch`]).
//!
//! sqlx runs every SQLite connection on a thread of its own, so each statement, and each `BEGIN` and `COMMIT`
//! (which also wait for an acknowledgement), is a hand-off between threads, and the single writer connection is
//! held for all of them. A [`WriteTx`] collects a transaction's statements and sends them as one multi-statement
//! text (`BEGIN IMMEDIATE; ...; COMMIT`), with the parameters renumbered so that each statement keeps its own
//! `$1, $2, ...`: the hot writes (a registration's start and commit, a sign-in) become one or two hand-offs instead
//! of six to nine. On PostgreSQL the same statements run one by one in an ordinary transaction, so there is still one
//! SQL text per statement for both backends.
//!
//! Multi-statement texts with arguments are something only sqlx's SQLite driver runs (SQLite prepares every
//! statement of a text in turn); sqlx has deprecated reaching them through `Query::fetch_many` and discusses their
//! future in launchbadge/sqlx#3108. keywarden relies on them deliberately, through the `Executor` methods, with the
//! sqlx version pinned in Cargo.lock; every batched write and read is covered by the store's conformance tests, so
//! an upgrade that drops them fails there, not in production.
//!
//! A transaction that is dropped unfinished (an error, or a request whose client went away while a batch was in
//! flight) is rolled back: on PostgreSQL by sqlx, on SQLite by a task that takes the connection, so that it cannot
//! go back to the pool inside a transaction.

use std::fmt::Write as _;

use futures_util::TryStreamExt;
use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::query::Query;
use sqlx::{Any, Either, Execute, Executor, Transaction};

use crate::{Backend, Result, Store};

/// A statement waiting in a [`WriteTx`]: its text and its arguments.
struct Pending<'a> {
    sql: &'a str,
    arguments: AnyArguments<'a>,
}

impl<'a> Pending<'a> {
    fn of(mut query: Query<'a, Any, AnyArguments<'a>>) -> Result<Pending<'a>, sqlx::Error> {
        let arguments = query.take_arguments().map_err(sqlx::Error::Encode)?;
        Ok(Pending {
            sql: query.sql(),
            arguments: arguments.unwrap_or_default(),
        })
    }
}

/// A write transaction whose statements are queued with [`WriteTx::push`] and sent with [`WriteTx::run`] or
/// [`WriteTx::commit`], each of which returns the rows affected by every statement it sent, in order.
pub(crate) struct WriteTx<'a> {
    store: Store,
    pending: Vec<Pending<'a>>,
    /// A statement whose arguments could not be encoded: reported by the next send, which then sends nothing.
    unencodable: Option<sqlx::Error>,
    /// SQLite: the writer connection, taken with the first batch (which begins with `BEGIN IMMEDIATE`).
    sqlite: Option<PoolConnection<Any>>,
    postgres: Option<Transaction<'static, Any>>,
}

impl Store {
    /// Runs `work` (a write transaction) on the writer thread on SQLite, where it is not delayed between its
    /// statements by the request tasks that keep the runtime's workers busy; on PostgreSQL, here.
    pub(crate) async fn on_writer<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
    {
        match &self.writer_thread {
            Some(thread) => thread
                .runtime
                .spawn(work)
                .await
                .map_err(|e| crate::Error::Writer(format!("a write transaction ended abnormally: {e}")))?,
            None => work.await,
        }
    }

    /// A new write transaction. Nothing is sent, and the writer is not taken, before the first batch.
    pub(crate) fn write<'a>(&self) -> WriteTx<'a> {
        WriteTx {
            store: self.clone(),
            pending: Vec::new(),
            unencodable: None,
            sqlite: None,
            postgres: None,
        }
    }
}

impl<'a> WriteTx<'a> {
    /// Queues a statement, with its arguments bound (`sqlx::query(...).bind(...)`).
    pub(crate) fn push(&mut self, query: Query<'a, Any, AnyArguments<'a>>) {
        match Pending::of(query) {
            Ok(pending) => self.pending.push(pending),
            Err(e) => {
                self.unencodable.get_or_insert(e);
            }
        }
    }

    /// Queues the statements of `other`, which has sent none.
    pub(crate) fn append(&mut self, mut other: WriteTx<'a>) {
        self.pending.append(&mut other.pending);
        if let Some(e) = other.unencodable.take() {
            self.unencodable.get_or_insert(e);
        }
    }

    /// Sends the queued statements (the first batch begins the transaction) and returns the rows each affected.
    /// The transaction stays open: [`WriteTx::commit`] it, or drop it to roll back.
    pub(crate) async fn run(&mut self) -> Result<Vec<u64>> {
        self.send(false).await
    }

    /// Sends the queued statements and commits; returns the rows each of them affected.
    pub(crate) async fn commit(mut self) -> Result<Vec<u64>> {
        self.send(true).await
    }

    async fn send(&mut self, commit: bool) -> Result<Vec<u64>> {
        if let Some(e) = self.unencodable.take() {
            return Err(e.into());
        }
        let pending = std::mem::take(&mut self.pending);
        match self.store.backend {
            Backend::Postgres => {
                let tx = match &mut self.postgres {
                    Some(tx) => tx,
                    None => self.postgres.insert(self.store.writer.begin().await?),
                };
                let mut affected = Vec::with_capacity(pending.len());
                for Pending { sql, arguments } in pending {
                    affected.push(
                        sqlx::query_with(sql, arguments)
                            .execute(&mut **tx)
                            .await?
                            .rows_affected(),
                    );
                }
                if commit && let Some(tx) = self.postgres.take() {
                    tx.commit().await?;
                }
                Ok(affected)
            }
            Backend::Sqlite => {
                let begin = self.sqlite.is_none();
                let conn = match &mut self.sqlite {
                    Some(conn) => conn,
                    None => self.sqlite.insert(self.store.writer.acquire().await?),
                };
                let statements = pending.len();
                let (sql, arguments) = join(pending, begin, commit);
                let results: Vec<Either<AnyQueryResult, AnyRow>> =
                    conn.fetch_many(sqlx::query_with(&sql, arguments)).try_collect().await?;
                if commit {
                    // Committed: the connection goes back to the pool outside any transaction.
                    self.sqlite = None;
                }
                // One result per statement, in order; those of `BEGIN` and `COMMIT` are not the caller's.
                Ok(results
                    .into_iter()
                    .filter_map(|r| match r {
                        Either::Left(done) => Some(done.rows_affected()),
                        Either::Right(_) => None,
                    })
                    .skip(usize::from(begin))
                    .take(statements)
                    .collect())
            }
        }
    }
}

impl Store {
    /// Runs read queries and returns the rows of each: on SQLite as one multi-statement text on a reader connection
    /// (one hand-off to its thread instead of one per query), on PostgreSQL one by one.
    pub(crate) async fn read_batch<'a, const N: usize>(
        &self,
        queries: [Query<'a, Any, AnyArguments<'a>>; N],
    ) -> Result<[Vec<AnyRow>; N]> {
        let mut results: [Vec<AnyRow>; N] = std::array::from_fn(|_| Vec::new());
        match self.backend {
            Backend::Postgres => {
                for (query, rows) in queries.into_iter().zip(results.iter_mut()) {
                    *rows = query.fetch_all(&self.reader).await?;
                }
            }
            Backend::Sqlite => {
                let pending = queries.into_iter().map(Pending::of).collect::<Result<_, _>>()?;
                let (sql, arguments) = join(pending, false, false);
                // Each statement's rows come before its result.
                let mut stream = (&self.reader).fetch_many(sqlx::query_with(&sql, arguments));
                let mut at = 0;
                while let Some(item) = stream.try_next().await? {
                    match item {
                        Either::Right(row) => {
                            if let Some(rows) = results.get_mut(at) {
                                rows.push(row);
                            }
                        }
                        Either::Left(_) => at += 1,
                    }
                }
            }
        }
        Ok(results)
    }
}

impl Drop for WriteTx<'_> {
    fn drop(&mut self) {
        // PostgreSQL: sqlx's `Transaction` rolls back on drop. SQLite: the connection may be inside a transaction
        // (unfinished, failed, or with a batch still running on its thread, which a `ROLLBACK` queued behind it
        // undoes). Roll back before the pool can hand it out again. When `ROLLBACK` fails (there was no transaction
        // left, or the connection is broken) or there is no runtime to send it, close the connection instead:
        // SQLite rolls back what a closed connection left open, and the pool opens a new one.
        if let Some(mut conn) = self.sqlite.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(async move {
                        if conn.execute("ROLLBACK").await.is_err() {
                            conn.close_on_drop();
                        }
                    });
                }
                Err(_) => conn.close_on_drop(),
            }
        }
    }
}

/// SQLite's writer thread: a Tokio runtime of one thread that does nothing but drive write transactions.
///
/// On the request runtime, the task holding the single writer connection waits for a worker between every two
/// hand-offs to SQLite's thread, and a worker may be busy verifying a signature for a third of a millisecond;
/// meanwhile no one else can write. Here the wait is only the hand-off. The thread ends when the last [`Store`]
/// clone is dropped.
#[derive(Clone, Debug)]
pub(crate) struct WriterThread {
    runtime: tokio::runtime::Handle,
    _stop: std::sync::Arc<tokio::sync::oneshot::Sender<()>>,
}

impl WriterThread {
    pub(crate) fn start() -> Result<WriterThread> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| crate::Error::Writer(format!("cannot start its runtime: {e}")))?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("keywarden-writer".into())
            .spawn(move || {
                // Ends when the sender is dropped with the last `Store`.
                let _ = runtime.block_on(stopped);
            })
            .map_err(|e| crate::Error::Writer(format!("cannot start the thread: {e}")))?;
        Ok(WriterThread {
            runtime: handle,
            _stop: std::sync::Arc::new(stop),
        })
    }
}

/// One multi-statement text for SQLite: each statement's `$n` renumbered after the arguments before it, the
/// arguments concatenated, wrapped in `BEGIN IMMEDIATE` and `COMMIT` as asked. (Statements use numbered `$n`
/// parameters only, never `?`, and no `$` in literals. `AnyArguments::values` is sqlx's public but doc-hidden buffer:
/// the one way to concatenate two argument lists; sqlx is pinned in Cargo.lock.)
fn join<'a>(pending: Vec<Pending<'a>>, begin: bool, commit: bool) -> (String, AnyArguments<'a>) {
    let mut sql = String::new();
    let mut arguments = AnyArguments::default();
    if begin {
        sql.push_str("BEGIN IMMEDIATE;\n");
    }
    for Pending {
        sql: text,
        arguments: args,
    } in pending
    {
        renumber(&mut sql, text, arguments.values.0.len());
        sql.push_str(";\n");
        arguments.values.0.extend(args.values.0);
    }
    if commit {
        sql.push_str("COMMIT;");
    }
    (sql, arguments)
}

/// Appends `text` to `out` with every parameter `$n` written as `$(n + offset)`.
fn renumber(out: &mut String, text: &str, offset: usize) {
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits].parse::<usize>() {
            Ok(n) => {
                let _ = write!(out, "${}", n + offset);
            }
            Err(_) => {
                out.push('$');
                out.push_str(&after[..digits]);
            }
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::renumber;
    use crate::Store;

    async fn challenges(store: &Store) -> Vec<(String, i64)> {
        sqlx::query_as("SELECT id, expires_at FROM signin_challenges ORDER BY id")
            .fetch_all(&store.reader)
            .await
            .expect("query")
    }

    fn insert(id: &str, expires: i64) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments<'static>> {
        sqlx::query("INSERT INTO signin_challenges (id, ceremony, created_at, expires_at) VALUES ($1, '{}', 0, $2)")
            .bind(id.to_string())
            .bind(expires)
    }

    /// On SQLite, where `WriteTx` sends `BEGIN`, `COMMIT` and `ROLLBACK` itself: each statement gets its own
    /// arguments, and a transaction dropped unfinished or failed leaves nothing and the writer usable.
    #[tokio::test]
    async fn sqlite_batches_commit_whole_or_roll_back() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("batch.db").display());
        let store = Store::connect(&url).await.expect("store");

        let mut tx = store.write();
        tx.push(insert("a", 1));
        tx.push(insert("b", 2));
        assert_eq!(tx.run().await.expect("run"), vec![1, 1]);
        tx.push(
            sqlx::query("UPDATE signin_challenges SET expires_at = $1 WHERE id = $2")
                .bind(20_i64)
                .bind("b"),
        );
        assert_eq!(tx.commit().await.expect("commit"), vec![1]);
        assert_eq!(challenges(&store).await, vec![("a".into(), 1), ("b".into(), 20)]);

        let mut unfinished = store.write();
        unfinished.push(insert("c", 3));
        assert_eq!(unfinished.run().await.expect("run"), vec![1]);
        drop(unfinished);
        let mut failing = store.write();
        failing.push(insert("d", 4));
        failing.push(insert("a", 5));
        assert!(failing.commit().await.is_err(), "a duplicate id fails the batch");
        assert_eq!(
            challenges(&store).await.len(),
            2,
            "nothing of the unfinished or the failed transaction"
        );

        let mut after = store.write();
        after.push(insert("e", 6));
        assert_eq!(after.commit().await.expect("the writer is usable"), vec![1]);
        assert_eq!(challenges(&store).await.len(), 3);
    }

    #[test]
    fn parameters_are_renumbered_after_the_offset() {
        let mut out = String::new();
        renumber(&mut out, "UPDATE t SET a = $1, b = $2 WHERE id = $10 AND c = '$x'", 3);
        assert_eq!(out, "UPDATE t SET a = $4, b = $5 WHERE id = $13 AND c = '$x'");
        let mut same = String::new();
        renumber(&mut same, "SELECT $1", 0);
        assert_eq!(same, "SELECT $1");
    }
}
