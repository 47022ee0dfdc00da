//! The queue port's conformance run (placeholder).
