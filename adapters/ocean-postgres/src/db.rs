//! Connecting: the connection pool each port holds, and the migrations applied before it
//! serves (each port applies only its own, once per database, safely from many processes).

use std::fmt;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use ocean::{Error, Result};
use tokio_postgres::NoTls;

use crate::error::{backend, from_pool, from_postgres};

/// How a port connects to PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectOptions {
    /// Most connections the port's pool opens (at least 1).
    pub max_connections: usize,
    /// How long a call waits for a free connection, or for a new one to open, before it
    /// fails with `Unavailable`.
    pub timeout: Duration,
}

impl Default for ConnectOptions {
    /// Four connections, ten seconds.
    fn default() -> Self {
        ConnectOptions {
            max_connections: 4,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Which port's tables a migration creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Component {
    /// `ocean_places` (needs PostGIS).
    Places,
    /// `ocean_search_terms` (needs pg_trgm and btree_gin).
    Search,
}

/// One schema change, applied at most once per database.
struct Migration {
    /// Unique across all components; the row in `ocean_migrations`.
    version: i32,
    /// The file name, recorded beside the version.
    name: &'static str,
    component: Component,
    sql: &'static str,
}

/// Every migration, in the order each component applies its own. New ones get the next
/// version and a new file; applied files are never edited.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_places.sql",
        component: Component::Places,
        sql: include_str!("../migrations/0001_places.sql"),
    },
    Migration {
        version: 2,
        name: "0002_search.sql",
        component: Component::Search,
        sql: include_str!("../migrations/0002_search.sql"),
    },
];

/// The transaction-scoped advisory lock every migrating process takes first (the bytes of
/// "oceanmig"), so concurrent starts apply each migration once.
const MIGRATION_LOCK: i64 = 0x6f63_6561_6e6d_6967;

/// The migrations ledger, created under the lock.
const LEDGER: &str = "CREATE TABLE IF NOT EXISTS ocean_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)";

/// A pool of connections to one database; prints where it points, never the password.
#[derive(Clone)]
pub(crate) struct Database {
    pub(crate) pool: Pool,
    /// `host:port/dbname`, for Debug.
    target: String,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.pool.status();
        f.debug_struct("Database")
            .field("target", &self.target)
            .field("max_connections", &status.max_size)
            .field("open_connections", &status.size)
            .finish()
    }
}

impl Database {
    /// Opens a pool on `url` (a `postgres://` URL or a key=value connection string) and
    /// applies `component`'s pending migrations.
    pub(crate) async fn connect(
        url: &str,
        options: ConnectOptions,
        component: Component,
    ) -> Result<Database> {
        let database = Database::open(url, options)?;
        let mut client = database.pool.get().await.map_err(from_pool)?;
        migrate(&mut client, component).await?;
        Ok(database)
    }

    /// Builds the pool; no connection opens until the first call.
    fn open(url: &str, options: ConnectOptions) -> Result<Database> {
        if options.max_connections == 0 {
            return Err(Error::invalid("max_connections", "must be at least 1"));
        }
        // The driver's parse errors never quote the URL, so the password stays out of them.
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
            Error::invalid(
                "postgres_url",
                format!("not a PostgreSQL connection URL: {e}"),
            )
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("ocean");
        }
        let target = describe(&config);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.max_connections)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.timeout))
            .create_timeout(Some(options.timeout))
            .build()
            .map_err(backend)?;
        Ok(Database { pool, target })
    }
}

/// Applies `component`'s migrations that the ledger does not list, in one transaction under
/// [`MIGRATION_LOCK`]: a second process starting at the same time waits, then finds them
/// applied. Idempotent.
async fn migrate(client: &mut deadpool_postgres::Client, component: Component) -> Result<()> {
    let tx = client.transaction().await.map_err(from_postgres)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(from_postgres)?;
    tx.batch_execute(LEDGER).await.map_err(from_postgres)?;
    let applied: Vec<i32> = tx
        .query("SELECT version FROM ocean_migrations", &[])
        .await
        .map_err(from_postgres)?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(from_postgres)?;
    for migration in MIGRATIONS {
        if migration.component != component || applied.contains(&migration.version) {
            continue;
        }
        tx.batch_execute(migration.sql)
            .await
            .map_err(from_postgres)?;
        tx.execute(
            "INSERT INTO ocean_migrations (version, name) VALUES ($1, $2)",
            &[&migration.version, &migration.name],
        )
        .await
        .map_err(from_postgres)?;
        tracing::info!(migration = migration.name, "applied a PostgreSQL migration");
    }
    tx.commit().await.map_err(from_postgres)
}

/// `host:port/dbname` of a connection config, without credentials.
fn describe(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        Some(_) => "a Unix socket".to_owned(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let dbname = config.get_dbname().unwrap_or("(the user's database)");
    format!("{host}:{port}/{dbname}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_unique_and_files_are_numbered_by_them() {
        for (n, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(
                migration.name[..4].parse::<i32>().ok(),
                Some(migration.version),
                "{}",
                migration.name
            );
            assert!(
                MIGRATIONS[..n]
                    .iter()
                    .all(|earlier| earlier.version < migration.version),
                "versions ascend"
            );
        }
    }

    #[test]
    fn the_description_hides_the_password() {
        let config: tokio_postgres::Config = "postgres://alice:s3cret@db.example:6543/places"
            .parse()
            .unwrap();
        assert_eq!(describe(&config), "db.example:6543/places");
    }

    #[test]
    fn a_bad_url_is_invalid_without_quoting_it() {
        let error = Database::open(
            "postgres://u:pw@host:notaport/db",
            ConnectOptions::default(),
        )
        .unwrap_err();
        assert_eq!(error.kind(), ocean::ErrorKind::Invalid);
        assert!(!error.to_string().contains("pw"), "{error}");
    }
}
