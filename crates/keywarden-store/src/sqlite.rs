//! SQLite specifics: file creation, WAL and pragmas on every connection, one writer connection, migrations.

use std::time::Duration;

use sqlx::Executor;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;

use crate::{Backend, Result, Store};

pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

const PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                       PRAGMA busy_timeout = 10000; PRAGMA temp_store = MEMORY;";

pub(crate) async fn connect(url: &str) -> Result<Store> {
    // `mode=rwc` creates the file when it is missing.
    let url = if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    };
    // sqlx pings a connection before handing it out unless told not to. A SQLite connection is a file handle in
    // this process, served by its own thread: the ping cannot find it broken, and costs a round trip to that
    // thread on every query, and one more while the single writer is held.
    let writer = AnyPoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _| Box::pin(async move { conn.execute(PRAGMAS).await.map(|_| ()) }))
        .connect(&url)
        .await?;
    let reader = AnyPoolOptions::new()
        .max_connections(4)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _| Box::pin(async move { conn.execute(PRAGMAS).await.map(|_| ()) }))
        .connect(&url)
        .await?;
    Ok(Store {
        backend: Backend::Sqlite,
        writer,
        reader,
        writer_thread: Some(crate::batch::WriterThread::start()?),
    })
}
