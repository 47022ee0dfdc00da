//! The stream port on SQLite (placeholder until its implementation lands).

/// The embedded stream backend.
#[derive(Debug)]
pub struct EmbeddedStream;
