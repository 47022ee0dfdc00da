//! Conformance checks for the places port (placeholder until they land).
