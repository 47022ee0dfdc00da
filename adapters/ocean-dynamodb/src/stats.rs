//! Counting the DynamoDB requests an adapter makes and the write capacity they cost, to
//! measure use cases (what one vote costs) without a profiler.

use std::sync::atomic::{AtomicU64, Ordering};

/// DynamoDB requests made so far: one per SDK call (the SDK's own retries of one call are not
/// counted again; a batch's resend of unprocessed items is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestStats {
    /// `GetItem`, `BatchGetItem` and `Query` calls.
    pub reads: u64,
    /// `PutItem`, `DeleteItem`, `TransactWriteItems` and `BatchWriteItem` calls.
    pub writes: u64,
    /// Write capacity units those writes cost, estimated as DynamoDB bills an applied write:
    /// one per started KB of each item written (one per delete), twice that in a
    /// transaction.
    pub write_units: u64,
}

/// The live counters behind [`RequestStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    reads: AtomicU64,
    writes: AtomicU64,
    write_units: AtomicU64,
}

impl Counters {
    /// Counts one read request.
    pub(crate) fn count_read(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one write request.
    pub(crate) fn count_write(&self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `units` write capacity units.
    pub(crate) fn add_write_units(&self, units: u64) {
        self.write_units.fetch_add(units, Ordering::Relaxed);
    }

    /// The counts now.
    pub(crate) fn snapshot(&self) -> RequestStats {
        RequestStats {
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
            write_units: self.write_units.load(Ordering::Relaxed),
        }
    }
}
