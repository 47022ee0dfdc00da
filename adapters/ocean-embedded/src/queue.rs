//! The queue port on SQLite (placeholder until its implementation lands).

/// The embedded queue backend.
#[derive(Debug)]
pub struct EmbeddedQueue;
