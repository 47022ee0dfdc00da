//! The records port ([`ocean::Records`]) on one DynamoDB table, through `aws-sdk-dynamodb`.
//!
//! - Conditional writes are `PutItem`/`DeleteItem` with a `ConditionExpression`
//!   (`attribute_not_exists(pk)` for [`Condition::Absent`](ocean::records::Condition::Absent),
//!   `v = :v` for `VersionIs`); a lone `Check` is a strongly consistent `GetItem`.
//! - `commit` is one `TransactWriteItems` (checks become `ConditionCheck`s); a cancelled
//!   transaction names its first failing write from the `CancellationReasons`.
//! - `get_many` is `BatchGetItem` in chunks of 100, `write_batch` is `BatchWriteItem` in
//!   chunks of 25 (a key written twice keeps its last write, as applying them in order
//!   would), both retrying unprocessed keys with a bounded backoff.
//! - `query` is `Query` on the table (strongly consistent) or on GSI `gsiN` for secondary
//!   index N (eventually consistent, as the port allows); see the `query` module for cursors
//!   and for how ties in an index come in primary-key order.
//!
//! The table layout (attributes `pk`, `sk`, `v`, `b`, `gNp`/`gNs`; GSIs `gsi0`..`gsi3` with
//! projection ALL, sparse: an item not in index N has no `gNp`/`gNs`) is in the `item`
//! module, and [`DynamoRecords::create_table`] creates it (on-demand billing). Errors map to
//! ocean's kinds in `error.rs`; the SDK's standard retry mode retries throttling and
//! transport failures.
//!
//! Tested against moto 5.2 in server mode, which passes the whole records conformance suite
//! once it handles DynamoDB requests one at a time: stock `moto_server` runs requests on
//! concurrent threads, and its `TransactWriteItems` restores a snapshot of the whole table
//! when a condition fails, so concurrent transactions on one table can lose or resurrect
//! each other's writes (the commit races of the suite fail). moto's GSIs are consistent and
//! order ties by primary key, so the lag tolerance and the tie handling here run but are not
//! stressed by it.

mod error;
mod item;
mod query;
mod records;
mod stats;
mod table;

use std::sync::Arc;

use aws_sdk_dynamodb::config::retry::RetryConfig;

pub use stats::RequestStats;

/// The records port on the DynamoDB table it was built with. Cheap to clone: clones share
/// the SDK client and the request counters.
#[derive(Debug, Clone)]
pub struct DynamoRecords {
    /// The DynamoDB client (it prints no credentials).
    client: aws_sdk_dynamodb::Client,
    /// The table every item lives in.
    table: String,
    /// Requests made so far, for [`DynamoRecords::stats`].
    stats: Arc<stats::Counters>,
}

impl DynamoRecords {
    /// The records in `table`, reached with `config` (region, credentials, endpoint; from
    /// `ocean_aws::sdk_config` or `ocean_aws::test_config`). The SDK's standard retry mode
    /// applies unless `config` sets another. The table must exist: see
    /// [`DynamoRecords::create_table`].
    pub fn new(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        let mut builder = aws_sdk_dynamodb::config::Builder::from(config);
        if config.retry_config().is_none() {
            builder = builder.retry_config(RetryConfig::standard());
        }
        DynamoRecords {
            client: aws_sdk_dynamodb::Client::from_conf(builder.build()),
            table: table.into(),
            stats: Arc::default(),
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// How many DynamoDB requests this instance (and its clones) made so far, and the write
    /// capacity units they cost, for measuring what a use case costs.
    pub fn stats(&self) -> RequestStats {
        self.stats.snapshot()
    }
}
