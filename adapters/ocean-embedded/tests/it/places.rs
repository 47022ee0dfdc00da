//! The places port's conformance run (placeholder).
