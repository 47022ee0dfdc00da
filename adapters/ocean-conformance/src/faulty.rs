//! Fault-injecting wrappers (placeholder).
