//! The notifications port's conformance run (placeholder).
