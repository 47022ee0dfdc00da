//! The search port's conformance run (placeholder).
