//! The stream port's conformance run (placeholder).
