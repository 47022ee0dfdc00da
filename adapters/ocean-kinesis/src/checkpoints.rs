//! Consumer checkpoints in a DynamoDB table: one item per (stream, consumer), key
//! `pk = "<Kinesis stream name>#<consumer>"`, attribute `position`; moved by conditional
//! puts, so two workers cannot both commit from the same checkpoint.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TableStatus,
};
use ocean::stream::Position;
use ocean::{Error, Result};

use crate::error::{AwsFailure, DYNAMODB, aws_failure, malformed};

/// The table's partition key attribute.
const KEY: &str = "pk";
/// The attribute holding the committed position.
const POSITION: &str = "position";
/// Most `DescribeTable` polls while a new table becomes active.
const MAX_STATUS_POLLS: u32 = 120;

/// The checkpoint table.
#[derive(Debug, Clone)]
pub(crate) struct Checkpoints {
    /// The DynamoDB client.
    client: Client,
    /// The table name.
    table: String,
}

impl Checkpoints {
    /// Checkpoints in `table` through `client`.
    pub(crate) fn new(client: Client, table: String) -> Self {
        Checkpoints { client, table }
    }

    /// Creates the table (key `pk`, on-demand billing) if missing and waits until it is
    /// active. Idempotent.
    pub(crate) async fn create_table(&self) -> Result<()> {
        let key_attribute = AttributeDefinition::builder()
            .attribute_name(KEY)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|error| malformed(DYNAMODB, error.to_string()))?;
        let key_schema = KeySchemaElement::builder()
            .attribute_name(KEY)
            .key_type(KeyType::Hash)
            .build()
            .map_err(|error| malformed(DYNAMODB, error.to_string()))?;
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .attribute_definitions(key_attribute)
            .key_schema(key_schema)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        match created.map_err(|error| aws_failure(DYNAMODB, "checkpoint_table", error)) {
            Ok(_) | Err(AwsFailure::InUse) => {}
            Err(failure) => return Err(failure.into_error(DYNAMODB, &self.what())),
        }
        self.wait_until_active().await
    }

    /// Polls `DescribeTable` until the table is active (up to [`MAX_STATUS_POLLS`] times).
    async fn wait_until_active(&self) -> Result<()> {
        for poll_idx in 0..MAX_STATUS_POLLS {
            let described = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(|error| {
                    aws_failure(DYNAMODB, "checkpoint_table", error)
                        .into_error(DYNAMODB, &self.what())
                })?;
            let status = described.table().and_then(|table| table.table_status());
            if status == Some(&TableStatus::Active) {
                return Ok(());
            }
            tokio::time::sleep(poll_delay(poll_idx)).await;
        }
        Err(Error::Unavailable {
            backend: DYNAMODB,
            source: format!("{} is not active yet", self.what()).into(),
        })
    }

    /// The committed position of `key`, or `None`. A strongly consistent read, so a commit
    /// that returned is seen.
    pub(crate) async fn get(&self, key: &str) -> Result<Option<Position>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(key.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| self.error(aws_failure(DYNAMODB, "checkpoint", error)))?;
        let Some(item) = output.item() else {
            return Ok(None);
        };
        match item.get(POSITION).map(AttributeValue::as_s) {
            Some(Ok(position)) => Ok(Some(Position(position.clone()))),
            _ => Err(malformed(
                DYNAMODB,
                format!("checkpoint {key} in {} has no position", self.table),
            )),
        }
    }

    /// Moves `key`'s checkpoint from `expected` to `next` with one conditional put:
    /// `attribute_not_exists(pk)` for `None`, `position = expected` otherwise.
    /// [`Error::Conflict`] when the checkpoint is not `expected`.
    pub(crate) async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&Position>,
        next: &Position,
    ) -> Result<()> {
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(KEY, AttributeValue::S(key.to_owned()))
            .item(POSITION, AttributeValue::S(next.0.clone()));
        request = match expected {
            None => request
                .condition_expression("attribute_not_exists(#key)")
                .expression_attribute_names("#key", KEY),
            Some(expected) => request
                .condition_expression("#position = :expected")
                .expression_attribute_names("#position", POSITION)
                .expression_attribute_values(":expected", AttributeValue::S(expected.0.clone())),
        };
        match request.send().await {
            Ok(_) => Ok(()),
            Err(error) => match aws_failure(DYNAMODB, "checkpoint", error) {
                AwsFailure::ConditionFailed => Err(Error::conflict(format!(
                    "checkpoint {key} is not {expected:?}"
                ))),
                failure => Err(self.error(failure)),
            },
        }
    }

    /// The ocean error for `failure`; a missing table says how to create it.
    fn error(&self, failure: AwsFailure) -> Error {
        match failure {
            AwsFailure::Missing => malformed(
                DYNAMODB,
                format!(
                    "{} does not exist: create it with `create_checkpoint_table` (init-aws)",
                    self.what()
                ),
            ),
            failure => failure.into_error(DYNAMODB, &self.what()),
        }
    }

    /// `checkpoint table <name>`, for messages.
    fn what(&self) -> String {
        format!("checkpoint table {}", self.table)
    }
}

/// The wait before status poll `poll_idx`: 50 ms doubling up to 2 s.
pub(crate) fn poll_delay(poll_idx: u32) -> Duration {
    Duration::from_millis(50u64.saturating_mul(1 << poll_idx.min(6)).min(2000))
}
