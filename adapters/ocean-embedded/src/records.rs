//! The records port on SQLite (placeholder until its implementation lands).

/// The embedded records backend.
#[derive(Debug)]
pub struct EmbeddedRecords;
