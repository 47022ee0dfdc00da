//! Conformance checks for the records port (placeholder until they land).
