//! The throw-away cluster hands out separate, empty databases that sqlx connects to.

use std::str::FromStr;

use keywarden_testkit::postgres;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

#[tokio::test]
async fn fresh_databases_are_separate_and_reachable() {
    let Some(cluster) = postgres::cluster() else {
        return; // cluster() said why; REQUIRE_POSTGRES=1 turns this into a failure
    };
    let first = cluster.fresh_database();
    let second = cluster.fresh_database();
    assert_ne!(first, second, "each call makes a new database");

    for url in [&first, &second] {
        PgConnectOptions::from_str(url).unwrap_or_else(|e| panic!("sqlx parses {url}: {e}"));
        let mut connection = PgConnection::connect(url)
            .await
            .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
        let (name,): (String,) = sqlx::query_as("SELECT current_database()")
            .fetch_one(&mut connection)
            .await
            .expect("query");
        assert!(url.contains(&format!("/{name}?")), "{url} names database {name}");
        let (n_tables,): (i64,) = sqlx::query_as("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            .fetch_one(&mut connection)
            .await
            .expect("query");
        assert_eq!(n_tables, 0, "{name} starts empty");
        sqlx::query("CREATE TABLE marker (id int)")
            .execute(&mut connection)
            .await
            .expect("create table");
        connection.close().await.expect("close");
    }
}

#[tokio::test]
async fn any_pool_accepts_the_url() {
    let Some(cluster) = postgres::cluster() else {
        return;
    };
    sqlx::any::install_default_drivers();
    let url = cluster.fresh_database();
    let pool = sqlx::AnyPool::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("AnyPool connects to {url}: {e}"));
    let (one,): (i32,) = sqlx::query_as("SELECT 1").fetch_one(&pool).await.expect("query");
    assert_eq!(one, 1);
    pool.close().await;
}
