//! The stream port: named, ordered, durable logs read in batches after a consumer's checkpoint
//! (Kinesis's shape), for votes and tag events.

use std::fmt;

use async_trait::async_trait;

use crate::error::Result;

/// Largest record payload, in bytes (under Kinesis's 1 MiB record limit).
pub const MAX_RECORD_BYTES: usize = 512 * 1024;
/// Most records one [`Stream::append`] takes.
pub const MAX_APPEND_RECORDS: usize = 500;

/// A record to append: the payload and the key that orders it (records with the same
/// partition key are read in the order they were appended).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    /// Orders records that share it; spreads the others across shards.
    pub partition_key: String,
    /// The payload, 1 to [`MAX_RECORD_BYTES`] bytes.
    pub data: Vec<u8>,
}

/// A record read from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRecord {
    /// The key it was appended with.
    pub partition_key: String,
    /// The payload.
    pub data: Vec<u8>,
}

/// An opaque position in a whole stream (every shard), made by the backend that reads it.
/// A position covers every record before it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Position(pub String);

/// Records read after a position, and the position just after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The records, in append order within each partition key.
    pub records: Vec<StreamRecord>,
    /// Read from here next; checkpoint it once the records are processed.
    pub next: Position,
}

/// Durable append-only logs with consumer checkpoints: at-least-once delivery.
///
/// An appended record (once `append` returns `Ok`) survives a crash and is read by every
/// consumer that reads past it. A consumer that crashes before checkpointing reads the same
/// records again from its last checkpoint. Reading nothing is not an error. Streams come into
/// being on first use.
#[async_trait]
pub trait Stream: Send + Sync + fmt::Debug + 'static {
    /// Appends records to `stream` durably; all of them are stored when it returns `Ok`, and
    /// none or only some may be stored when it returns an error (append is not idempotent:
    /// a retry may store duplicates, so records carry their own ids). 1 to
    /// [`MAX_APPEND_RECORDS`] records, else [`crate::Error::Invalid`].
    async fn append(&self, stream: &str, records: Vec<NewRecord>) -> Result<()>;

    /// Up to `max_records` records of `stream` after `after` (`None`: from the oldest
    /// retained record), and the position after them. The same `after` reads the same
    /// records again (until the stream's retention drops them).
    async fn read(&self, stream: &str, after: Option<&Position>, max_records: u32)
    -> Result<Batch>;

    /// Up to `max_records` records of `stream` after `after` and not after `until`, and the
    /// position after them. `until` is a position that reads from `after` returned: reading
    /// from `after` to `until` again gives the same records however many were appended since,
    /// in any shard (a rating period re-read after a crash, or by a second worker, covers
    /// exactly the votes it first covered). Reading nothing means the span is read.
    async fn read_until(
        &self,
        stream: &str,
        after: Option<&Position>,
        until: &Position,
        max_records: u32,
    ) -> Result<Batch>;

    /// The position `consumer` last committed for `stream`, or `None`.
    async fn checkpoint(&self, stream: &str, consumer: &str) -> Result<Option<Position>>;

    /// Moves `consumer`'s checkpoint from `expected` to `next`, atomically; if another
    /// process moved it first, returns [`crate::Error::Conflict`] and changes nothing (so two
    /// workers cannot both commit the same batch). Committing `next` again after success
    /// with `expected == Some(next)` is a no-op.
    async fn commit_checkpoint(
        &self,
        stream: &str,
        consumer: &str,
        expected: Option<&Position>,
        next: &Position,
    ) -> Result<()>;
}
