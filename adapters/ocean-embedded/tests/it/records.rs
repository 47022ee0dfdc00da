//! The records port's conformance run (placeholder).
