//! The one place PostgreSQL driver and pool errors become port error kinds, and which of
//! them are worth a retry.
//!
//! | what happened | kind | retryable |
//! |---|---|---|
//! | connection refused, reset or closed; connect timeout; no connection free in time | `Unavailable` | yes |
//! | SQLSTATE class 08 (connection), 40 (serialization failure, deadlock), 53 (out of resources), 57 (shutdown, cancelled), 55P03 (lock not available) | `Unavailable` | yes |
//! | 23505 unique violation | `Conflict` | no |
//! | class 22 (data exception: a value the server refuses) | `Invalid` | no |
//! | an extension the server cannot install (PostGIS missing) | `Unsupported` | no |
//! | everything else (bad credentials, missing privileges, a type mismatch) | `Backend` | no |

use std::error::Error as _;

use deadpool_postgres::PoolError;
use ocean::Error;
use tokio_postgres::error::SqlState;

/// The backend name of the errors made here; the ports replace it with their database's
/// (`postgresql places`, `postgresql search`: `Component::attribute`) before returning them.
pub(crate) const BACKEND: &str = "postgres";

/// Maps a driver error (a failed query, connect or transaction) to its port error kind.
pub(crate) fn from_postgres(error: tokio_postgres::Error) -> Error {
    if let Some(code) = error.code().cloned() {
        return from_sqlstate(&code, error);
    }
    if is_transport_failure(&error) {
        return unavailable(error);
    }
    backend(error)
}

/// Maps a pool error: timeouts and a closed pool are transient, a backend error is mapped
/// like any other driver error.
pub(crate) fn from_pool(error: PoolError) -> Error {
    match error {
        PoolError::Backend(error) => from_postgres(error),
        PoolError::Timeout(_) | PoolError::Closed => unavailable(error),
        other => backend(other),
    }
}

/// A [`Error::Backend`] wrapping `source`.
pub(crate) fn backend(source: impl Into<ocean::BoxError>) -> Error {
    Error::Backend {
        backend: BACKEND,
        source: source.into(),
    }
}

/// An [`Error::Unavailable`] wrapping `source`.
fn unavailable(source: impl Into<ocean::BoxError>) -> Error {
    Error::Unavailable {
        backend: BACKEND,
        source: source.into(),
    }
}

/// Maps a server-reported error by its SQLSTATE.
fn from_sqlstate(code: &SqlState, error: tokio_postgres::Error) -> Error {
    if *code == SqlState::UNIQUE_VIOLATION {
        let constraint = error
            .as_db_error()
            .and_then(|db| db.constraint())
            .unwrap_or("a unique constraint");
        return Error::conflict(format!("{constraint} already holds that value"));
    }
    if *code == SqlState::FEATURE_NOT_SUPPORTED && is_missing_extension(&error) {
        return Error::Unsupported {
            operation: "installing a missing extension (is PostGIS installed on the server?)",
            backend: BACKEND,
        };
    }
    let state = code.code();
    if is_retryable_sqlstate(state) {
        return unavailable(error);
    }
    if state.starts_with("22") {
        let message = error
            .as_db_error()
            .map_or_else(|| error.to_string(), |db| db.message().to_owned());
        return Error::invalid("value", message);
    }
    backend(error)
}

/// Whether a SQLSTATE names a transient condition: a lost connection (class 08), a
/// serialization failure or deadlock (40), exhausted resources (53), an administrator's or
/// timeout's cancellation or a server shutting down (57), or a lock not granted (55P03).
fn is_retryable_sqlstate(state: &str) -> bool {
    ["08", "40", "53", "57"]
        .iter()
        .any(|class| state.starts_with(class))
        || state == "55P03"
}

/// Whether a feature-not-supported error is `CREATE EXTENSION` of an extension the server
/// does not have installed (`extension "postgis" is not available`).
fn is_missing_extension(error: &tokio_postgres::Error) -> bool {
    error.as_db_error().is_some_and(|db| {
        db.message().starts_with("extension ") && db.message().ends_with("is not available")
    })
}

/// Whether an error without a SQLSTATE is the transport failing: the connection closed, an
/// I/O error anywhere in its causes (refused, reset), or the connect timeout.
fn is_transport_failure(error: &tokio_postgres::Error) -> bool {
    if error.is_closed() || error.to_string() == "timeout waiting for server" {
        return true;
    }
    let mut cause = error.source();
    while let Some(current) = cause {
        if current.is::<std::io::Error>() {
            return true;
        }
        cause = current.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_sqlstates_are_retryable() {
        for state in [
            "08006", "40001", "40P01", "53300", "57P01", "57014", "55P03",
        ] {
            assert!(is_retryable_sqlstate(state), "{state}");
        }
        for state in ["23505", "22021", "42P01", "28P01", "55000"] {
            assert!(!is_retryable_sqlstate(state), "{state}");
        }
    }
}
