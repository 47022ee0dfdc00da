//! The media port on SQLite (placeholder until its implementation lands).

/// The embedded media backend.
#[derive(Debug)]
pub struct EmbeddedMedia;
