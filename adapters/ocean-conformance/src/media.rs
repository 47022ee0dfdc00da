//! Conformance checks for the media port (placeholder until they land).
