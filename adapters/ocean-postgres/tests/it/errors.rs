//! Error kinds at connect: a bad URL, a server that is not there, a database that is not.

use ocean::ErrorKind;
use ocean_postgres::{ConnectOptions, PostgresPlaces, PostgresSearch};

use crate::support::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bad_url_is_invalid() {
    let error = PostgresSearch::connect("postgres://user:hunter2@localhost:port/db")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Invalid, "{error}");
    assert!(!format!("{error:?}").contains("hunter2"), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_not_listening_is_unavailable() {
    // Port 9 (discard) has no PostgreSQL on a test machine: the connection is refused.
    let error = PostgresPlaces::connect_with(
        "postgres://postgres@127.0.0.1:9/test",
        ConnectOptions {
            max_connections: 1,
            timeout: std::time::Duration::from_secs(2),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_missing_database_is_a_backend_failure() {
    let Some(db) = TestDb::create("errors missing database").await else {
        return;
    };
    let missing = db.url.replace("ocean_test_", "ocean_missing_");
    let error = PostgresSearch::connect(&missing).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Backend, "{error:?}");
}
