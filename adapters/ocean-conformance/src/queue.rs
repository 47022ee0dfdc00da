//! Conformance checks for the queue port (placeholder until they land).
