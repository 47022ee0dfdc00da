//! Conformance checks for the stream port (placeholder until they land).
