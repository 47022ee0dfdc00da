//! Typed, layered settings (placeholder until they land).
