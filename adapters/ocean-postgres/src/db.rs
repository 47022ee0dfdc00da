//! Connecting: the connection pool each port holds, and the migrations applied before it
//! serves (each port applies only its own, once per database, safely from many processes).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use ocean::{Error, ErrorKind, Result};
use tokio_postgres::NoTls;

use crate::error::{backend, from_pool, from_postgres};

/// How a port connects to PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectOptions {
    /// Most connections the port's pool opens (at least 1).
    pub max_connections: usize,
    /// How long a call waits for a free connection, or for a new one to open, before it
    /// fails with `Unavailable`; also how long a connection's packets may go unacknowledged
    /// (TCP_USER_TIMEOUT, unless the URL sets `tcp_user_timeout`) before it counts as lost,
    /// so a query on a connection to a server that vanished fails instead of hanging.
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

impl Component {
    /// The backend name this component's errors carry, so an operator (and the API's 503
    /// answers) can tell the places database from the search database.
    pub(crate) fn backend(self) -> &'static str {
        match self {
            Component::Places => "postgresql places",
            Component::Search => "postgresql search",
        }
    }

    /// `error` with this component's backend name instead of the crate's generic one.
    pub(crate) fn attribute(self, error: Error) -> Error {
        match error {
            Error::Unavailable { source, .. } => Error::Unavailable {
                backend: self.backend(),
                source,
            },
            Error::Backend { source, .. } => Error::Backend {
                backend: self.backend(),
                source,
            },
            Error::Unsupported { operation, .. } => Error::Unsupported {
                operation,
                backend: self.backend(),
            },
            other => other,
        }
    }
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
    pool: Pool,
    /// `host:port/dbname`, for Debug.
    target: String,
    /// Whose migrations [`Database::client`] applies first.
    component: Component,
    /// Whether `component`'s migrations are known to be applied (shared by the clones).
    migrated: Arc<AtomicBool>,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.pool.status();
        f.debug_struct("Database")
            .field("target", &self.target)
            .field("max_connections", &status.max_size)
            .field("open_connections", &status.size)
            .field("migrated", &self.migrated.load(Ordering::Relaxed))
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
        let database = Database::open(url, options, component)?;
        drop(database.client().await?);
        Ok(database)
    }

    /// [`Database::connect`], except that a server it cannot reach now (`Unavailable`) is
    /// logged, not an error: the migrations wait for the first call that reaches it, and
    /// until then calls fail with `Unavailable`. A malformed URL and permanent failures (bad
    /// credentials, a missing database or extension) are still errors.
    pub(crate) async fn connect_or_defer(
        url: &str,
        options: ConnectOptions,
        component: Component,
    ) -> Result<Database> {
        let database = Database::open(url, options, component)?;
        match database.client().await {
            Ok(_) => Ok(database),
            Err(error) if error.kind() == ErrorKind::Unavailable => {
                tracing::warn!(
                    database = %database.target,
                    backend = component.backend(),
                    error = %error,
                    "postgresql is unreachable; serving anyway, its calls fail until it answers"
                );
                Ok(database)
            }
            Err(error) => Err(error),
        }
    }

    /// A pooled connection, after applying the component's pending migrations if no call
    /// has yet (a port opened while the server was down migrates on its first call that
    /// reaches it). Errors carry the component's backend name.
    pub(crate) async fn client(&self) -> Result<deadpool_postgres::Client> {
        let mut client = self
            .pool
            .get()
            .await
            .map_err(|error| self.component.attribute(from_pool(error)))?;
        if !self.migrated.load(Ordering::Acquire) {
            // Two first calls at once may both migrate: harmless, `migrate` is idempotent.
            migrate(&mut client, self.component)
                .await
                .map_err(|error| self.component.attribute(error))?;
            self.migrated.store(true, Ordering::Release);
        }
        Ok(client)
    }

    /// `error` named after this database's component (see [`Component::attribute`]).
    pub(crate) fn attribute(&self, error: Error) -> Error {
        self.component.attribute(error)
    }

    /// Builds the pool; no connection opens until the first call.
    fn open(url: &str, options: ConnectOptions, component: Component) -> Result<Database> {
        if options.max_connections == 0 {
            return Err(Error::invalid("max_connections", "must be at least 1"));
        }
        let config = connection_config(url, options)?;
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
        Ok(Database {
            pool,
            target,
            component,
            migrated: Arc::new(AtomicBool::new(false)),
        })
    }
}

/// The driver's settings for `url`, with the bounds of `options` where the URL sets none.
fn connection_config(url: &str, options: ConnectOptions) -> Result<tokio_postgres::Config> {
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
    if config.get_tcp_user_timeout().is_none() {
        // Without it a query on a connection whose server vanished (no reset, just silence)
        // waits for the kernel to give up retransmitting: a quarter of an hour on Linux.
        config.tcp_user_timeout(options.timeout);
    }
    if config.get_application_name().is_none() {
        config.application_name("ocean");
    }
    Ok(config)
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

    /// A listener that completes TCP handshakes (the kernel's backlog) but never answers:
    /// a server that hangs, or a firewall that swallows packets after the handshake.
    fn silent_server() -> (std::net::TcpListener, String) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        (
            listener,
            format!("postgres://postgres@127.0.0.1:{port}/test"),
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_server_that_never_answers_is_unavailable_within_the_timeout() {
        let (_listener, url) = silent_server();
        let options = ConnectOptions {
            max_connections: 1,
            timeout: Duration::from_millis(300),
        };
        // Without a bound the call would wait forever; the guard turns that into a failure.
        let connecting = Database::connect(&url, options, Component::Search);
        let error = tokio::time::timeout(Duration::from_secs(60), connecting)
            .await
            .expect("the pool's timeout ends the wait")
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unavailable, "{error:?}");
        assert!(
            matches!(
                error,
                Error::Unavailable {
                    backend: "postgresql search",
                    ..
                }
            ),
            "the error names the component: {error:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn deferring_serves_a_port_whose_calls_fail_until_the_server_answers() {
        let (listener, url) = silent_server();
        let options = ConnectOptions {
            max_connections: 1,
            timeout: Duration::from_millis(300),
        };
        let database = Database::connect_or_defer(&url, options, Component::Places)
            .await
            .expect("an unreachable server is no start-up error");
        assert!(
            !database.migrated.load(Ordering::SeqCst),
            "nothing migrated yet"
        );
        let error = database.client().await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::Unavailable {
                    backend: "postgresql places",
                    ..
                }
            ),
            "{error:?}"
        );
        drop(listener);
        // Refused now: still unavailable, still deferred.
        let error = database.client().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unavailable, "{error:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn deferring_still_refuses_a_bad_url() {
        let error = Database::connect_or_defer(
            "postgres://u:pw@host:notaport/db",
            ConnectOptions::default(),
            Component::Places,
        )
        .await
        .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Invalid, "{error:?}");
    }

    #[test]
    fn connections_are_bounded_unless_the_url_says_otherwise() {
        let options = ConnectOptions {
            max_connections: 1,
            timeout: Duration::from_secs(3),
        };
        let config = connection_config("postgres://u@db.example/places", options).unwrap();
        assert_eq!(config.get_connect_timeout(), Some(&options.timeout));
        assert_eq!(config.get_tcp_user_timeout(), Some(&options.timeout));
        let config = connection_config(
            "postgres://u@db.example/places?connect_timeout=1&tcp_user_timeout=20",
            options,
        )
        .unwrap();
        assert_eq!(config.get_connect_timeout(), Some(&Duration::from_secs(1)));
        assert_eq!(
            config.get_tcp_user_timeout(),
            Some(&Duration::from_secs(20))
        );
    }

    #[test]
    fn attribution_renames_only_backend_errors() {
        let renamed = Component::Places.attribute(Error::Unavailable {
            backend: "postgres",
            source: "refused".into(),
        });
        assert!(
            matches!(
                renamed,
                Error::Unavailable {
                    backend: "postgresql places",
                    ..
                }
            ),
            "{renamed:?}"
        );
        let kept = Component::Search.attribute(Error::invalid("term", "empty"));
        assert!(
            matches!(kept, Error::Invalid { field: "term", .. }),
            "{kept:?}"
        );
    }

    #[test]
    fn a_bad_url_is_invalid_without_quoting_it() {
        let error = Database::open(
            "postgres://u:pw@host:notaport/db",
            ConnectOptions::default(),
            Component::Places,
        )
        .unwrap_err();
        assert_eq!(error.kind(), ocean::ErrorKind::Invalid);
        assert!(!error.to_string().contains("pw"), "{error}");
    }
}
