//! The media port's conformance run (placeholder).
