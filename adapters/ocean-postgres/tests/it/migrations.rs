//! Migrations: applied once per database even when several processes connect at the same
//! time, and idempotent on every later connect.

use ocean::{Places, Search};
use ocean_postgres::{PostgresPlaces, PostgresSearch};

use crate::support::TestDb;

/// The ledger's rows, `(version, name)` in version order.
async fn ledger(db: &TestDb) -> Vec<(i32, String)> {
    let client = db.client().await;
    client
        .query(
            "SELECT version, name FROM ocean_migrations ORDER BY version",
            &[],
        )
        .await
        .expect("read ocean_migrations")
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

fn expected_ledger() -> Vec<(i32, String)> {
    vec![
        (1, "0001_places.sql".to_owned()),
        (2, "0002_search.sql".to_owned()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_connects_migrate_once() {
    let Some(db) = TestDb::create_with_postgis("migrations concurrent connects").await else {
        return;
    };
    let (places_a, places_b, search_a, search_b) = tokio::join!(
        PostgresPlaces::connect(&db.url),
        PostgresPlaces::connect(&db.url),
        PostgresSearch::connect(&db.url),
        PostgresSearch::connect(&db.url),
    );
    let (places_a, places_b) = (places_a.unwrap(), places_b.unwrap());
    let (search_a, search_b) = (search_a.unwrap(), search_b.unwrap());
    assert_eq!(ledger(&db).await, expected_ledger(), "each migration once");

    let again = PostgresPlaces::connect(&db.url).await.expect("reconnect");
    PostgresSearch::connect(&db.url).await.expect("reconnect");
    assert_eq!(
        ledger(&db).await,
        expected_ledger(),
        "reconnecting is idempotent"
    );

    assert_eq!(places_a.count().await.unwrap(), 0);
    assert_eq!(places_b.count().await.unwrap(), 0);
    assert_eq!(again.count().await.unwrap(), 0);
    search_a.index("tags", "Harbour").await.unwrap();
    let hits = search_b.search("tags", "harb", 10).await.unwrap();
    assert_eq!(hits.len(), 1, "the other pool sees the term: {hits:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn search_alone_needs_only_its_own_migration() {
    let Some(db) = TestDb::create("migrations search alone").await else {
        return;
    };
    PostgresSearch::connect(&db.url)
        .await
        .expect("connect search");
    assert_eq!(
        ledger(&db).await,
        vec![(2, "0002_search.sql".to_owned())],
        "the places migration (PostGIS) is not applied by search"
    );
}
