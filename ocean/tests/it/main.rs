//! The ocean crate's one integration-test binary.

mod settings;
