//! Conformance checks for the notifications port (placeholder until they land).
