//! The notifications port on SQLite (placeholder until its implementation lands).

/// The embedded notifications backend.
#[derive(Debug)]
pub struct EmbeddedNotifications;
