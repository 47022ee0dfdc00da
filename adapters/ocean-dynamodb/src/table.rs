//! The table definition, in code: [`DynamoRecords::create_table`] creates it idempotently
//! and waits until it and its GSIs are active.

use std::time::Duration;

use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    Projection, ProjectionType, ScalarAttributeType, TableStatus,
};
use ocean::records::Index;
use ocean::{BoxError, Error, Result};

use crate::DynamoRecords;
use crate::error::{BACKEND, from_sdk};
use crate::item::{PARTITION, SORT, index_name, index_partition, index_sort};

/// Pause between two looks at a table that is not active yet.
const ACTIVE_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Most looks before giving up on a table becoming active (five minutes).
const MAX_ACTIVE_POLLS: u32 = 600;

impl DynamoRecords {
    /// Creates the table (on-demand billing, key `pk`/`sk`, GSIs `gsi0`..`gsi3` on
    /// `gNp`/`gNs` projecting everything) unless it exists, then waits until the table and
    /// its indexes are active. Idempotent; an existing table lacking an index is a backend
    /// error. For the `init-aws` command and tests.
    pub async fn create_table(&self) -> Result<()> {
        let request = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(attribute_definitions().map_err(from_build)?))
            .key_schema(key_element(PARTITION, KeyType::Hash).map_err(from_build)?)
            .key_schema(key_element(SORT, KeyType::Range).map_err(from_build)?)
            .set_global_secondary_indexes(Some(global_indexes().map_err(from_build)?));
        match request.send().await {
            Ok(_) => tracing::info!(table = %self.table, "created the DynamoDB table"),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|service| service.is_resource_in_use_exception()) => {}
            Err(error) => {
                return Err(from_sdk(error, &self.table, || {
                    format!("table {}", self.table)
                }));
            }
        }
        self.wait_until_active().await
    }

    /// Polls the table until it and every GSI are active.
    async fn wait_until_active(&self) -> Result<()> {
        for _ in 0..MAX_ACTIVE_POLLS {
            let output = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(|error| {
                    from_sdk(error, &self.table, || format!("table {}", self.table))
                })?;
            let Some(table) = output.table() else {
                return Err(backend(format!("no description of table {}", self.table)));
            };
            let indexes = table.global_secondary_indexes();
            for index in Index::all() {
                let name = index_name(index.number());
                if !indexes
                    .iter()
                    .any(|description| description.index_name() == Some(name.as_str()))
                {
                    return Err(backend(format!(
                        "table {} exists without the index {name}; delete it or add the index",
                        self.table
                    )));
                }
            }
            let table_active = table.table_status() == Some(&TableStatus::Active);
            let indexes_active = indexes.iter().all(|index| {
                index
                    .index_status()
                    .is_none_or(|s| *s == IndexStatus::Active)
            });
            if table_active && indexes_active {
                return Ok(());
            }
            tokio::time::sleep(ACTIVE_POLL_INTERVAL).await;
        }
        Err(Error::Unavailable {
            backend: BACKEND,
            source: BoxError::from(format!(
                "table {} was not active after {MAX_ACTIVE_POLLS} checks",
                self.table
            )),
        })
    }
}

/// Every key attribute: the table's and each GSI's, all strings.
fn attribute_definitions() -> Result<Vec<AttributeDefinition>, BuildError> {
    let mut names = vec![PARTITION.to_owned(), SORT.to_owned()];
    for index in Index::all() {
        names.push(index_partition(index.number()));
        names.push(index_sort(index.number()));
    }
    names
        .into_iter()
        .map(|name| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        })
        .collect()
}

/// One key schema element.
fn key_element(name: &str, key_type: KeyType) -> Result<KeySchemaElement, BuildError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
}

/// GSI `gsiN` on `gNp`/`gNs` for each secondary index, projecting every attribute.
fn global_indexes() -> Result<Vec<GlobalSecondaryIndex>, BuildError> {
    Index::all()
        .map(|index| {
            let n = index.number();
            GlobalSecondaryIndex::builder()
                .index_name(index_name(n))
                .key_schema(key_element(&index_partition(n), KeyType::Hash)?)
                .key_schema(key_element(&index_sort(n), KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
        })
        .collect()
}

/// A request the SDK refused to build: a bug here, not worth a retry.
pub(crate) fn from_build(error: BuildError) -> Error {
    Error::Backend {
        backend: BACKEND,
        source: BoxError::from(error),
    }
}

/// A backend failure described by `message`.
fn backend(message: String) -> Error {
    Error::Backend {
        backend: BACKEND,
        source: BoxError::from(message),
    }
}
