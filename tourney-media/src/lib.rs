//! Media validation and renditions (placeholder).
