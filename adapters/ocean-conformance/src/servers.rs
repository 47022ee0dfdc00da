//! Finding the real servers an adapter's integration tests run against.
//!
//! Each server's address comes from an environment variable (`scripts/services.sh env`
//! prints them all), with the address `scripts/services.sh start` uses as the default. A
//! test asks [`server`] first: when nothing answers there, it fails under `CI=true` (naming
//! the command that starts the server) and otherwise prints one skip line and gets `None`.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// A local server an adapter's tests need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Server {
    /// What it is, for messages (`"moto (DynamoDB, SQS, SNS, Kinesis)"`).
    pub name: &'static str,
    /// The environment variable holding its URL.
    pub variable: &'static str,
    /// Its URL when the variable is unset.
    pub default_url: &'static str,
}

/// moto in server mode: DynamoDB, SQS, SNS and Kinesis on one port.
pub const MOTO: Server = Server {
    name: "moto (DynamoDB, SQS, SNS, Kinesis)",
    variable: "OCEAN_TEST_MOTO_URL",
    default_url: "http://127.0.0.1:5000",
};

/// s3s-fs behind the repository's `s3-local` binary: S3 with SigV4 checks.
pub const S3: Server = Server {
    name: "s3-local (S3 through s3s-fs)",
    variable: "OCEAN_TEST_S3_URL",
    default_url: "http://127.0.0.1:9000",
};

/// PostgreSQL; tests create a database of their own on it.
pub const POSTGRES: Server = Server {
    name: "PostgreSQL",
    variable: "OCEAN_TEST_POSTGRES_URL",
    default_url: "postgres://postgres@127.0.0.1:5432/test",
};

/// The command that starts every test server.
pub const START_COMMAND: &str = "scripts/services.sh start";

impl Server {
    /// The configured URL: the environment variable's value, else the default.
    pub fn url(&self) -> String {
        std::env::var(self.variable)
            .ok()
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| self.default_url.to_owned())
    }
}

/// The server's URL when something answers there. Otherwise: under `CI=true` a panic naming
/// the server, its variable and [`START_COMMAND`]; elsewhere a skip line for `test` on
/// stderr and `None`, so the calling test returns early.
#[track_caller]
pub fn server(server: &Server, test: &str) -> Option<String> {
    let url = server.url();
    if reachable(&url) {
        return Some(url);
    }
    let problem = format!(
        "{} is not reachable at {url} (set {} to its URL); start it with `{START_COMMAND}`",
        server.name, server.variable
    );
    lacking(test, &problem)
}

/// What `test` needs and this machine lacks (`problem` says what and how to get it): under
/// `CI=true` a panic, so a CI run never passes without it; elsewhere a skip line for `test`
/// on stderr and `None`, so the test returns early.
#[track_caller]
pub fn lacking<T>(test: &str, problem: &str) -> Option<T> {
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{test}: {problem}");
    }
    #[expect(
        clippy::print_stderr,
        reason = "the skip line is for the person running the tests, beside cargo's own output"
    )]
    {
        eprintln!("skipped {test}: {problem}");
    }
    None
}

/// The SQL that tells whether a PostgreSQL server can install PostGIS (one boolean), for
/// tests of the places adapter to ask before they need it.
pub const POSTGIS_AVAILABLE_SQL: &str =
    "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis')";

/// The problem a test names when the server of `url` has no PostGIS to install.
pub fn postgis_missing(url: &str) -> String {
    format!(
        "the PostgreSQL at {url} has no PostGIS to install (the places adapter needs it); \
         `{START_COMMAND}` installs it"
    )
}

/// Whether a TCP connection to the URL's host and port opens within a second.
fn reachable(url: &str) -> bool {
    let Some(authority) = authority(url) else {
        return false;
    };
    let Ok(addresses) = authority.to_socket_addrs() else {
        return false;
    };
    addresses
        .into_iter()
        .any(|address| TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok())
}

/// `host:port` of `scheme://[user[:password]@]host:port[/path]`.
fn authority(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    host_port.contains(':').then_some(host_port)
}

#[cfg(test)]
mod tests {
    use super::authority;

    #[test]
    fn authority_strips_scheme_credentials_and_path() {
        assert_eq!(authority("http://127.0.0.1:5000"), Some("127.0.0.1:5000"));
        assert_eq!(
            authority("postgres://postgres:pw@localhost:5432/test?sslmode=disable"),
            Some("localhost:5432")
        );
        assert_eq!(authority("http://example.com/x"), None);
        assert_eq!(authority("not a url"), None);
    }
}
