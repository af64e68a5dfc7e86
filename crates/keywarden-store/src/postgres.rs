//! PostgreSQL specifics: one pool for reads and writes, migrations.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;

use crate::{Backend, Result, Store};

pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

pub(crate) async fn connect(url: &str) -> Result<Store> {
    let pool = AnyPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(30))
        .connect(url)
        .await?;
    Ok(Store {
        backend: Backend::Postgres,
        writer: pool.clone(),
        reader: pool,
        writer_thread: None,
    })
}
