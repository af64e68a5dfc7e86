//! Bulk writing: multi-row `INSERT`s in large transactions on SQLite, `COPY ... FROM STDIN` (CSV) on PostgreSQL.
//! Values are given in the store's stored forms (text ids, microsecond integers, 0/1 flags, JSON text).

use std::time::Instant;

use anyhow::Context;
use sqlx::postgres::{PgPool, PgPoolCopyExt, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Executor, Sqlite};

/// One stored value.
pub(crate) enum Cell {
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
    Null,
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<Option<i64>> for Cell {
    fn from(n: Option<i64>) -> Cell {
        n.map_or(Cell::Null, Cell::Int)
    }
}

impl From<Option<String>> for Cell {
    fn from(s: Option<String>) -> Cell {
        s.map_or(Cell::Null, Cell::Text)
    }
}

pub(crate) enum Writer {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Rows per SQLite statement (at most 32766 parameters) and per transaction.
const SQLITE_ROWS_PER_TRANSACTION: u64 = 250_000;
/// Bytes of CSV per COPY message.
const COPY_CHUNK: usize = 4 << 20;

impl Writer {
    /// Connects for bulk writing (the store's migrations must have run already).
    pub(crate) async fn connect(url: &str) -> anyhow::Result<Writer> {
        if url.starts_with("sqlite:") {
            let options: SqliteConnectOptions = url.parse().context("sqlite url")?;
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -524288; \
                             PRAGMA temp_store = MEMORY;",
                        )
                        .await
                        .map(|_| ())
                    })
                })
                .connect_with(options)
                .await?;
            Ok(Writer::Sqlite(pool))
        } else {
            Ok(Writer::Postgres(
                PgPoolOptions::new().max_connections(2).connect(url).await?,
            ))
        }
    }

    /// Writes `rows` into `table`; returns how many.
    pub(crate) async fn table(
        &self,
        table: &str,
        columns: &[&str],
        rows: impl Iterator<Item = Vec<Cell>>,
    ) -> anyhow::Result<u64> {
        let started = Instant::now();
        let n = match self {
            Writer::Sqlite(pool) => sqlite(pool, table, columns, rows).await,
            Writer::Postgres(pool) => postgres(pool, table, columns, rows).await,
        }
        .with_context(|| format!("writing {table}"))?;
        eprintln!("  {table}: {n} rows in {:.1} s", started.elapsed().as_secs_f64());
        Ok(n)
    }

    /// Runs statements after loading (statistics on PostgreSQL, as autovacuum would).
    pub(crate) async fn finish(&self) -> anyhow::Result<()> {
        match self {
            Writer::Sqlite(pool) => {
                pool.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?;
                pool.close().await;
            }
            Writer::Postgres(pool) => {
                pool.execute("VACUUM ANALYZE").await?;
                pool.close().await;
            }
        }
        Ok(())
    }
}

async fn sqlite(
    pool: &SqlitePool,
    table: &str,
    columns: &[&str],
    rows: impl Iterator<Item = Vec<Cell>>,
) -> anyhow::Result<u64> {
    let per_statement = (30_000 / columns.len()).clamp(1, 500);
    let placeholders = format!("({})", vec!["?"; columns.len()].join(", "));
    let statement = |n: usize| {
        format!(
            "INSERT INTO {table} ({}) VALUES {}",
            columns.join(", "),
            vec![placeholders.as_str(); n].join(", ")
        )
    };
    let full = statement(per_statement);
    let mut conn = pool.acquire().await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let mut batch: Vec<Vec<Cell>> = Vec::with_capacity(per_statement);
    let mut written = 0u64;
    let mut rows = rows.peekable();
    while rows.peek().is_some() {
        batch.clear();
        batch.extend(rows.by_ref().take(per_statement));
        let sql = if batch.len() == per_statement {
            full.clone()
        } else {
            statement(batch.len())
        };
        let mut query = sqlx::query::<Sqlite>(&sql);
        for row in batch.drain(..) {
            for cell in row {
                query = match cell {
                    Cell::Int(n) => query.bind(n),
                    Cell::Text(t) => query.bind(t),
                    Cell::Bytes(b) => query.bind(b),
                    Cell::Null => query.bind(Option::<String>::None),
                };
            }
            written += 1;
        }
        query.execute(&mut *tx).await?;
        if written % SQLITE_ROWS_PER_TRANSACTION < per_statement as u64 {
            tx.commit().await?;
            tx = sqlx::Connection::begin(&mut *conn).await?;
        }
    }
    tx.commit().await?;
    Ok(written)
}

fn csv_cell(out: &mut String, cell: &Cell) {
    match cell {
        Cell::Int(n) => out.push_str(&n.to_string()),
        Cell::Null => {}
        Cell::Text(t) => {
            out.push('"');
            out.push_str(&t.replace('"', "\"\""));
            out.push('"');
        }
        Cell::Bytes(b) => {
            out.push_str("\"\\x");
            for byte in b {
                out.push_str(&format!("{byte:02x}"));
            }
            out.push('"');
        }
    }
}

async fn postgres(
    pool: &PgPool,
    table: &str,
    columns: &[&str],
    rows: impl Iterator<Item = Vec<Cell>>,
) -> anyhow::Result<u64> {
    let mut copy = pool
        .copy_in_raw(&format!(
            "COPY {table} ({}) FROM STDIN WITH (FORMAT csv)",
            columns.join(", ")
        ))
        .await?;
    let mut buffer = String::with_capacity(COPY_CHUNK + 64 * 1024);
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                buffer.push(',');
            }
            csv_cell(&mut buffer, cell);
        }
        buffer.push('\n');
        if buffer.len() >= COPY_CHUNK {
            copy.send(std::mem::take(&mut buffer).into_bytes()).await?;
            buffer.reserve(COPY_CHUNK + 64 * 1024);
        }
    }
    if !buffer.is_empty() {
        copy.send(buffer.into_bytes()).await?;
    }
    Ok(copy.finish().await?)
}
