//! Integration tests of `glicko2`: the paper's golden values, properties, and a cross-check
//! against an independent implementation.

mod cross_check;
mod golden;
mod properties;
mod serde;
