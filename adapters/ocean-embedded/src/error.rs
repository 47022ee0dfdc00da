//! The one place SQLite and file-system errors become port error kinds.

use ocean::Error;

/// The backend name in every error this crate returns.
pub(crate) const BACKEND: &str = "embedded";

/// Maps a SQLite error: a busy or locked database is worth a retry, the rest is not.
pub(crate) fn from_sqlite(error: rusqlite::Error) -> Error {
    let retryable = matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    if retryable {
        Error::Unavailable {
            backend: BACKEND,
            source: Box::new(error),
        }
    } else {
        Error::Backend {
            backend: BACKEND,
            source: Box::new(error),
        }
    }
}

/// Maps a file-system error: not found stays not found (naming `what`), the rest is a
/// backend failure.
pub(crate) fn from_io(error: std::io::Error, what: &str) -> Error {
    if error.kind() == std::io::ErrorKind::NotFound {
        Error::not_found(what)
    } else {
        Error::Backend {
            backend: BACKEND,
            source: Box::new(error),
        }
    }
}

/// A background task that panicked or was cancelled.
pub(crate) fn from_join(error: tokio::task::JoinError) -> Error {
    Error::Backend {
        backend: BACKEND,
        source: Box::new(error),
    }
}
