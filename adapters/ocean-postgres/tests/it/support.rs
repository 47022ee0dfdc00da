//! A fresh database per test, created on the test server and dropped (even after a panic)
//! when the test ends.

use ocean_conformance::{servers, unique};
use tokio_postgres::NoTls;

/// A database of the test's own on the PostgreSQL test server.
#[derive(Debug)]
pub(crate) struct TestDb {
    /// The server URL the database was created through (its `test` database).
    admin_url: String,
    /// The database's name, `ocean_test_<unique>`.
    name: String,
    /// A URL of the new database, for the adapters.
    pub(crate) url: String,
}

impl TestDb {
    /// Creates the database, or `None` (after a skip line) when no server answers outside CI.
    pub(crate) async fn create(test: &str) -> Option<TestDb> {
        let admin_url = servers::server(&servers::POSTGRES, test)?;
        Some(Self::create_on(admin_url).await)
    }

    /// [`TestDb::create`] for a test of the places adapter, which needs PostGIS: `None`
    /// (after a skip line) when the server has none to install, outside CI.
    pub(crate) async fn create_with_postgis(test: &str) -> Option<TestDb> {
        let admin_url = servers::server(&servers::POSTGRES, test)?;
        let available: bool = admin_client(&admin_url)
            .await
            .query_one(servers::POSTGIS_AVAILABLE_SQL, &[])
            .await
            .unwrap_or_else(|e| panic!("{test}: ask for PostGIS: {e}"))
            .get(0);
        if !available {
            return servers::lacking(test, &servers::postgis_missing(&admin_url));
        }
        Some(Self::create_on(admin_url).await)
    }

    async fn create_on(admin_url: String) -> TestDb {
        let name = format!("ocean_test_{}", unique("db").replace('-', "_"));
        let client = admin_client(&admin_url).await;
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let url = with_dbname(&admin_url, &name);
        TestDb {
            admin_url,
            name,
            url,
        }
    }

    /// A plain connection to this database, for looking behind the adapters.
    pub(crate) async fn client(&self) -> tokio_postgres::Client {
        admin_client(&self.url).await
    }
}

impl Drop for TestDb {
    /// Drops the database from a thread of its own (Drop cannot await), terminating the
    /// adapters' pooled connections.
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to drop the test database");
            runtime.block_on(async {
                let client = admin_client(&admin_url).await;
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) && !std::thread::panicking() {
            panic!(
                "could not drop the test database {}: {dropped:?}",
                self.name
            );
        }
    }
}

/// A connection to `url`, its connection task spawned on the current runtime.
async fn admin_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to the test server: {e}"));
    tokio::spawn(connection);
    client
}

/// `url` (`postgres://user@host:port/db?params`) pointing at database `name` instead.
fn with_dbname(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let (authority, path_and_query) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let query = path_and_query
        .find('?')
        .map_or("", |start| &path_and_query[start..]);
    format!("{scheme}://{authority}/{name}{query}")
}

#[test]
fn with_dbname_replaces_only_the_database() {
    assert_eq!(
        with_dbname("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_dbname("postgres://u:p@h:1/test?sslmode=disable", "x"),
        "postgres://u:p@h:1/x?sslmode=disable"
    );
    assert_eq!(with_dbname("postgres://h:1", "x"), "postgres://h:1/x");
}
