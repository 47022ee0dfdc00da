//! The search port on SQLite (placeholder until its implementation lands).

/// The embedded search backend.
#[derive(Debug)]
pub struct EmbeddedSearch;
