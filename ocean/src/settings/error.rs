//! [`SettingsError`]: why settings failed to load, naming the key and where its value came from.

use std::io;
use std::path::PathBuf;

/// Why [`Settings`](super::Settings) could not be loaded or validated.
///
/// Every message about a value names its dotted key (`queue.max_receives`) and its origin:
/// `settings file <path>`, `environment variable OCEAN__<KEY>`, or `defaults`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// `OCEAN_SETTINGS` is not a plain file stem (letters, digits, `_`, `-`).
    #[error(
        "OCEAN_SETTINGS={name:?} does not name a settings file (would read {}): use ASCII letters, digits, `_` and `-`, without directory or `.toml`",
        path.display()
    )]
    BadName {
        /// The name as given.
        name: String,
        /// The file it would have named.
        path: PathBuf,
    },
    /// The file named by `OCEAN_SETTINGS` does not exist.
    #[error("settings file {} (named by OCEAN_SETTINGS={name}) does not exist", path.display())]
    MissingFile {
        /// The name as given.
        name: String,
        /// The file looked for.
        path: PathBuf,
    },
    /// The settings file could not be read.
    #[error("cannot read settings file {}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The settings file is not valid TOML.
    #[error("settings file {} is not valid TOML: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// An `OCEAN__` environment variable whose name is not a key path.
    #[error(
        "environment variable {variable} does not name a settings key: use OCEAN__<KEY>, nested with `__`, keys of ASCII letters, digits and single `_`"
    )]
    BadVariable {
        /// The variable's name.
        variable: String,
    },
    /// A key no setting has (in the chosen backend, for a port's keys).
    #[error("unknown key `{key}` in {origin}: {allowed}")]
    UnknownKey {
        /// The dotted key, e.g. `queue.max_recieves`.
        key: String,
        /// Where it was set.
        origin: String,
        /// Which keys are allowed there.
        allowed: String,
    },
    /// A key the chosen backend needs is not set.
    #[error("missing key `{key}`: {reason} (backend chosen in {origin})")]
    MissingKey {
        /// The dotted key, e.g. `records.table`.
        key: String,
        /// Where the backend needing it was chosen.
        origin: String,
        /// Why it is needed.
        reason: String,
    },
    /// A value that does not parse to its key's type (or names no backend).
    #[error("bad value for `{key}` in {origin}: {message}")]
    BadValue {
        /// The dotted key.
        key: String,
        /// Where it was set.
        origin: String,
        /// What is wrong with it.
        message: String,
    },
    /// A value of the right type that validation refused (an empty name, a URL without
    /// scheme, zero receives).
    #[error("invalid `{key}` in {origin}: {message}")]
    Invalid {
        /// The dotted key.
        key: String,
        /// Where it was set.
        origin: String,
        /// What is wrong and what is allowed.
        message: String,
    },
}

impl SettingsError {
    /// The dotted key the error is about, when it is about one.
    pub fn key(&self) -> Option<&str> {
        match self {
            SettingsError::UnknownKey { key, .. }
            | SettingsError::MissingKey { key, .. }
            | SettingsError::BadValue { key, .. }
            | SettingsError::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }
}
