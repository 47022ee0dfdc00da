//! The places port on SQLite (placeholder until its implementation lands).

/// The embedded places backend.
#[derive(Debug)]
pub struct EmbeddedPlaces;
