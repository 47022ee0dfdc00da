//! The stream port ([`ocean::Stream`]) on Amazon Kinesis Data Streams, with consumer
//! checkpoints in a DynamoDB table: [`KinesisStream`].
//!
//! - **Streams.** Port stream `name` is the Kinesis stream `<prefix><name>`, created on first
//!   use (append or read) with the configured shard count, waiting until it is active, or
//!   ahead of time by [`KinesisStream::create_stream`] for `init-aws`.
//! - **Append** keeps each partition key's order. Kinesis processes a `PutRecords` request's
//!   entries independently ("a single record failure does not stop the processing of
//!   subsequent records", so `PutRecords` does not guarantee order), hence each request holds
//!   at most one record per partition key, the oldest not yet stored; entries that fail with
//!   a throttling or internal error go again in the next request, before their key's later
//!   records, with backoff (8 failing rounds at most). An append costs as many requests as
//!   its most frequent key has records: one for a batch of distinct keys, fifteen for a
//!   sixteen-photo tournament's games (one key). Requests also stay within 500 entries and
//!   5 MiB.
//! - **Read** covers every shard: the opaque position is `v1;<shard id>=<sequence
//!   number>;...` (the last record read in each shard, `end` for a closed shard read to its
//!   end); each shard is read with `GetShardIterator` (`AFTER_SEQUENCE_NUMBER`, or
//!   `TRIM_HORIZON` for a shard not read yet) and `GetRecords`, one shard after another
//!   until `max_records`, starting from a shard chosen by the position's hash so no shard
//!   starves. Records of one key live in one shard, so they come in order. After a split or
//!   merge, a child shard is read only once its parents are read to their end. A position
//!   this backend did not make is [`ocean::Error::Invalid`]. Kinesis allows 5 reads a
//!   second per shard; each `read` makes two calls per shard it visits.
//! - **Checkpoints** are items of the DynamoDB table `checkpoint_table` (key `pk =
//!   "<Kinesis stream name>#<consumer>"`, attribute `position`), read strongly consistent
//!   and moved by a conditional put (`attribute_not_exists(pk)` when no checkpoint is
//!   expected, `position = :expected` otherwise): a failed condition is
//!   [`ocean::Error::Conflict`] and writes nothing. [`KinesisStream::create_checkpoint_table`]
//!   creates the table (on-demand billing) for `init-aws`; the adapter does not create it
//!   lazily. The table is reached with aws-sdk-dynamodb directly (adapters never depend on
//!   each other).
//!
//! Errors map in one place, `error.rs`: throttling, internal failures and transport failures
//! are [`ocean::Error::Unavailable`] (retryable; the SDK's standard retry has run), invalid
//! arguments [`ocean::Error::Invalid`], the rest [`ocean::Error::Backend`].
//!
//! Tested against moto 5.2 in server mode with 1 and with 4 shards (the whole stream
//! conformance suite each time). moto does not close a shard the way Kinesis does after a
//! split or merge (it copies a merged shard's records into the child and never ends a
//! closed shard's iterator), so the parent-before-child rule is tested on its own (unit
//! tests) and not against the server.

mod checkpoints;
mod error;
mod position;
pub mod stream;

pub use stream::KinesisStream;
