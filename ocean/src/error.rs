//! The port error kinds every adapter maps its backend's failures into.

use std::error::Error as StdError;

/// A boxed cause from a backend (an SDK error, an I/O error, a database error).
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong in a port call, by kind, so callers can act without knowing the backend.
///
/// Each port method says which kind it returns for "not found", "conflict" and
/// "unsupported"; everything else a backend reports becomes [`Error::Unavailable`] (worth a
/// retry) or [`Error::Backend`] (not).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The thing asked for does not exist (an object, an endpoint, a place, a message).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `object photos/ab.jpg`.
        what: String,
    },
    /// A condition did not hold: create-if-absent found a record, a version did not match,
    /// a checkpoint moved. Nothing was written by the call that returned it.
    #[error("conflict: {what}")]
    Conflict {
        /// Which condition failed, naming the key (and the write's index in a commit).
        what: String,
    },
    /// The request itself is wrong (an empty key, too many writes, a body too large).
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The parameter or setting at fault.
        field: &'static str,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// This backend cannot do it; the port documents which operations may say so.
    #[error("{operation} is not supported by the {backend} backend")]
    Unsupported {
        /// The operation asked for.
        operation: &'static str,
        /// The backend that refused.
        backend: &'static str,
    },
    /// A transient failure (throttled, timed out, connection lost): the same call may succeed
    /// later. Whether a write took effect is unknown, so only retry idempotent calls blindly.
    #[error("{backend} is unavailable")]
    Unavailable {
        /// The backend that failed.
        backend: &'static str,
        /// The backend's own error.
        #[source]
        source: BoxError,
    },
    /// A permanent backend failure (bad credentials, a missing table, corrupt data).
    #[error("{backend} failed")]
    Backend {
        /// The backend that failed.
        backend: &'static str,
        /// The backend's own error.
        #[source]
        source: BoxError,
    },
}

/// The kind of an [`Error`], for matching without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// See [`Error::NotFound`].
    NotFound,
    /// See [`Error::Conflict`].
    Conflict,
    /// See [`Error::Invalid`].
    Invalid,
    /// See [`Error::Unsupported`].
    Unsupported,
    /// See [`Error::Unavailable`].
    Unavailable,
    /// See [`Error::Backend`].
    Backend,
}

impl Error {
    /// This error's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Conflict { .. } => ErrorKind::Conflict,
            Error::Invalid { .. } => ErrorKind::Invalid,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
            Error::Unavailable { .. } => ErrorKind::Unavailable,
            Error::Backend { .. } => ErrorKind::Backend,
        }
    }

    /// Whether repeating the call may succeed (only [`Error::Unavailable`]).
    pub fn is_retryable(&self) -> bool {
        self.kind() == ErrorKind::Unavailable
    }

    /// A [`Error::NotFound`] for `what`.
    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound { what: what.into() }
    }

    /// A [`Error::Conflict`] for `what`.
    pub fn conflict(what: impl Into<String>) -> Self {
        Error::Conflict { what: what.into() }
    }

    /// An [`Error::Invalid`] naming `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// The result of a port call.
pub type Result<T, E = Error> = std::result::Result<T, E>;
