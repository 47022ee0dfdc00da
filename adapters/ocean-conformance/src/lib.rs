//! One conformance suite for every `ocean` port: an async check per documented behaviour, a
//! `run_all` per port, and [`faulty`] wrappers that fail after N calls for crash tests. With
//! the `fake-graph` feature, `fake_graph::FakeGraph` is a fake Facebook Graph API on a
//! loopback port for the identity port's tests.
//!
//! Every check takes the port as `&dyn Port`, panics with a message naming the broken
//! contract, and works in its own fresh keys, names and namespaces (from [`unique`]), so
//! checks may run in parallel against one shared server. Adapters call each port's `run_all`
//! from their tests, under a multi-threaded tokio runtime.

#[cfg(feature = "fake-graph")]
pub mod fake_graph;
pub mod faulty;
pub mod identity;
pub mod media;
pub mod notifications;
pub mod places;
pub mod queue;
pub mod records;
pub mod search;
pub mod servers;
pub mod stream;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A name no other check (in this process or another) uses: `<label>-<time>-<pid>-<n>`,
/// made only of characters every port accepts in names and keys.
pub fn unique(label: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{label}-{nanos:x}-{:x}-{n}", std::process::id())
}

/// Asserts that `result` is an error of `kind`, naming `what` was being checked.
#[track_caller]
pub fn assert_kind<T: std::fmt::Debug>(
    result: &ocean::Result<T>,
    kind: ocean::ErrorKind,
    what: &str,
) {
    match result {
        Err(error) if error.kind() == kind => {}
        other => panic!("{what}: expected a {kind:?} error, got {other:?}"),
    }
}
