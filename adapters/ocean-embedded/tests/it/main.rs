//! The embedded backend against the whole conformance suite, one module per port, each in a
//! fresh temporary data directory.

mod faulty;
mod injection;
mod media;
mod notifications;
mod places;
mod queue;
mod records;
mod search;
mod stream;
