//! Conformance checks for the search port (placeholder until they land).
