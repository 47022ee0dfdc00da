//! [`Records`] for [`DynamoRecords`]: single and transactional conditional writes, batch
//! reads and writes with unprocessed-item retry, and queries (in the `query` module).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, DeleteRequest, KeysAndAttributes, Put, PutRequest, TransactWriteItem,
    WriteRequest,
};
use ocean::records::{Condition, Item, Key, Page, Query, Write, check_commit};
use ocean::{BoxError, Error, Records, Result};

use crate::DynamoRecords;
use crate::error::{BACKEND, from_sdk, from_transaction};
use crate::item::{
    VERSION, check_expression, condition_expression, describe_condition, item_attributes,
    item_from_attributes, key_attributes, write_units,
};
use crate::query::query_page;
use crate::table::from_build;

/// Most keys in one `BatchGetItem` (DynamoDB's limit).
const GET_BATCH: usize = 100;

/// Most writes in one `BatchWriteItem` (DynamoDB's limit).
const WRITE_BATCH: usize = 25;

/// Most requests for one batch whose items DynamoDB keeps leaving unprocessed.
const MAX_BATCH_ROUNDS: u32 = 8;

/// Pause before resending unprocessed items, doubled each round up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(50);

/// Longest pause before resending unprocessed items.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

#[async_trait]
impl Records for DynamoRecords {
    async fn get(&self, key: &Key) -> Result<Option<Item>> {
        key.check("key")?;
        self.stats.count_read();
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| from_sdk(error, &self.table, || format!("key {key}")))?;
        output.item().map(item_from_attributes).transpose()
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>> {
        for key in keys {
            key.check("key")?;
        }
        // DynamoDB refuses a key twice in one request: read each once.
        let mut seen = HashSet::with_capacity(keys.len());
        let unique: Vec<&Key> = keys.iter().filter(|key| seen.insert(*key)).collect();
        let mut found = HashMap::with_capacity(unique.len());
        for chunk in unique.chunks(GET_BATCH) {
            self.get_chunk(chunk, &mut found).await?;
        }
        Ok(keys.iter().map(|key| found.get(key).cloned()).collect())
    }

    async fn query(&self, query: &Query) -> Result<Page> {
        query_page(self, query).await
    }

    async fn write(&self, write: Write) -> Result<()> {
        write.check()?;
        let key = write.key().clone();
        let conflict = || format!("key {key}: {}", describe_condition(write.condition()));
        match &write {
            Write::Put { item, condition } => {
                let attributes = item_attributes(item);
                self.stats.count_write();
                self.stats.add_write_units(write_units(&attributes));
                let mut request = self
                    .client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(attributes));
                if let Some(expression) = condition_expression(*condition) {
                    request = request
                        .condition_expression(expression.text)
                        .set_expression_attribute_names(Some(expression.names))
                        .set_expression_attribute_values(expression.values);
                }
                request
                    .send()
                    .await
                    .map_err(|error| from_sdk(error, &self.table, conflict))?;
            }
            Write::Delete { key, condition } => {
                self.stats.count_write();
                self.stats.add_write_units(1);
                let mut request = self
                    .client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(key_attributes(key)));
                if let Some(expression) = condition_expression(*condition) {
                    request = request
                        .condition_expression(expression.text)
                        .set_expression_attribute_names(Some(expression.names))
                        .set_expression_attribute_values(expression.values);
                }
                request
                    .send()
                    .await
                    .map_err(|error| from_sdk(error, &self.table, conflict))?;
            }
            Write::Check { key, condition } => {
                if !self.holds(key, *condition).await? {
                    return Err(Error::conflict(conflict()));
                }
            }
        }
        Ok(())
    }

    async fn commit(&self, writes: Vec<Write>) -> Result<()> {
        check_commit(&writes)?;
        let mut units = 0;
        let items = writes
            .iter()
            .map(|write| {
                let (item, write_cost) = transact_item(&self.table, write)?;
                units += 2 * write_cost;
                Ok(item)
            })
            .collect::<Result<Vec<_>>>()?;
        self.stats.count_write();
        self.stats.add_write_units(units);
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(|error| from_transaction(error, &self.table, &writes))?;
        Ok(())
    }

    async fn write_batch(&self, writes: Vec<Write>) -> Result<()> {
        for write in &writes {
            check_batch_write(write)?;
        }
        // DynamoDB refuses a key twice in one request; applying the writes in order leaves
        // each key as its last write says, so that one alone is sent.
        let mut last_write_of = HashMap::with_capacity(writes.len());
        for (n, write) in writes.iter().enumerate() {
            last_write_of.insert(write.key(), n);
        }
        let requests = writes
            .iter()
            .enumerate()
            .filter(|(n, write)| last_write_of.get(write.key()) == Some(n))
            .map(|(_, write)| batch_request(write))
            .collect::<Result<Vec<_>>>()?;
        for chunk in requests.chunks(WRITE_BATCH) {
            self.write_chunk(chunk.to_vec()).await?;
        }
        Ok(())
    }
}

impl DynamoRecords {
    /// Whether `condition` holds for `key` now (a strongly consistent read of its version).
    async fn holds(&self, key: &Key, condition: Condition) -> Result<bool> {
        if condition == Condition::Always {
            return Ok(true);
        }
        self.stats.count_read();
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .consistent_read(true)
            .projection_expression("#v")
            .expression_attribute_names("#v", VERSION)
            .send()
            .await
            .map_err(|error| from_sdk(error, &self.table, || format!("key {key}")))?;
        let version = output.item().and_then(|item| match item.get(VERSION) {
            Some(aws_sdk_dynamodb::types::AttributeValue::N(number)) => number.parse::<u64>().ok(),
            _ => None,
        });
        Ok(match condition {
            Condition::Always => true,
            Condition::Absent => output.item().is_none(),
            Condition::VersionIs(expected) => version == Some(expected),
        })
    }

    /// Reads the items with `keys` (at most [`GET_BATCH`], each once) into `found`, resending
    /// unprocessed keys.
    async fn get_chunk(&self, keys: &[&Key], found: &mut HashMap<Key, Item>) -> Result<()> {
        let mut pending = KeysAndAttributes::builder()
            .set_keys(Some(keys.iter().map(|key| key_attributes(key)).collect()))
            .consistent_read(true)
            .build()
            .map_err(from_build)?;
        let mut backoff = FIRST_BACKOFF;
        for round in 0..MAX_BATCH_ROUNDS {
            if round > 0 {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            self.stats.count_read();
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, pending.clone())
                .send()
                .await
                .map_err(|error| {
                    from_sdk(error, &self.table, || {
                        format!("a read of {} keys", keys.len())
                    })
                })?;
            for attributes in output
                .responses()
                .and_then(|responses| responses.get(&self.table))
                .into_iter()
                .flatten()
            {
                let item = item_from_attributes(attributes)?;
                found.insert(item.key.clone(), item);
            }
            match output
                .unprocessed_keys()
                .and_then(|unprocessed| unprocessed.get(&self.table))
            {
                Some(unprocessed) if !unprocessed.keys().is_empty() => {
                    tracing::debug!(
                        table = %self.table,
                        unprocessed = unprocessed.keys().len(),
                        "resending unprocessed keys"
                    );
                    pending = unprocessed.clone();
                }
                _ => return Ok(()),
            }
        }
        Err(unprocessed_error(pending.keys().len(), "keys"))
    }

    /// Applies `requests` (at most [`WRITE_BATCH`], each key once), resending unprocessed
    /// items.
    async fn write_chunk(&self, mut pending: Vec<WriteRequest>) -> Result<()> {
        let mut backoff = FIRST_BACKOFF;
        let count = pending.len();
        for round in 0..MAX_BATCH_ROUNDS {
            if round > 0 {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            self.stats.count_write();
            let sent_units: u64 = pending.iter().map(request_units).sum();
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table, pending)
                .send()
                .await
                .map_err(|error| {
                    from_sdk(error, &self.table, || format!("a batch of {count} writes"))
                })?;
            let unprocessed = output
                .unprocessed_items()
                .and_then(|unprocessed| unprocessed.get(&self.table))
                .cloned()
                .unwrap_or_default();
            let unprocessed_units: u64 = unprocessed.iter().map(request_units).sum();
            self.stats
                .add_write_units(sent_units.saturating_sub(unprocessed_units));
            if unprocessed.is_empty() {
                return Ok(());
            }
            tracing::debug!(
                table = %self.table,
                unprocessed = unprocessed.len(),
                "resending unprocessed writes"
            );
            pending = unprocessed;
        }
        Err(unprocessed_error(count, "writes"))
    }
}

/// The `TransactWriteItems` entry for `write` on `table`, and its write units outside a
/// transaction.
fn transact_item(table: &str, write: &Write) -> Result<(TransactWriteItem, u64)> {
    let entry = TransactWriteItem::builder();
    Ok(match write {
        Write::Put { item, condition } => {
            let attributes = item_attributes(item);
            let units = write_units(&attributes);
            let mut put = Put::builder().table_name(table).set_item(Some(attributes));
            if let Some(expression) = condition_expression(*condition) {
                put = put
                    .condition_expression(expression.text)
                    .set_expression_attribute_names(Some(expression.names))
                    .set_expression_attribute_values(expression.values);
            }
            (entry.put(put.build().map_err(from_build)?).build(), units)
        }
        Write::Delete { key, condition } => {
            let mut delete = Delete::builder()
                .table_name(table)
                .set_key(Some(key_attributes(key)));
            if let Some(expression) = condition_expression(*condition) {
                delete = delete
                    .condition_expression(expression.text)
                    .set_expression_attribute_names(Some(expression.names))
                    .set_expression_attribute_values(expression.values);
            }
            (entry.delete(delete.build().map_err(from_build)?).build(), 1)
        }
        Write::Check { key, condition } => {
            let expression = check_expression(*condition);
            let check = ConditionCheck::builder()
                .table_name(table)
                .set_key(Some(key_attributes(key)))
                .condition_expression(expression.text)
                .set_expression_attribute_names(Some(expression.names))
                .set_expression_attribute_values(expression.values)
                .build()
                .map_err(from_build)?;
            (entry.condition_check(check).build(), 1)
        }
    })
}

/// Refuses a batch write that is not an unconditional put or delete, or has bad keys.
fn check_batch_write(write: &Write) -> Result<()> {
    write.check()?;
    if matches!(write, Write::Check { .. }) {
        return Err(Error::invalid(
            "writes",
            format!(
                "a batch holds puts and deletes, not a check (key {})",
                write.key()
            ),
        ));
    }
    if write.condition() != Condition::Always {
        return Err(Error::invalid(
            "writes",
            format!(
                "a batch write is unconditional, but key {} has {:?}",
                write.key(),
                write.condition()
            ),
        ));
    }
    Ok(())
}

/// The `BatchWriteItem` request for an unconditional put or delete.
fn batch_request(write: &Write) -> Result<WriteRequest> {
    let request = WriteRequest::builder();
    Ok(match write {
        Write::Put { item, .. } => request
            .put_request(
                PutRequest::builder()
                    .set_item(Some(item_attributes(item)))
                    .build()
                    .map_err(from_build)?,
            )
            .build(),
        Write::Delete { key, .. } | Write::Check { key, .. } => request
            .delete_request(
                DeleteRequest::builder()
                    .set_key(Some(key_attributes(key)))
                    .build()
                    .map_err(from_build)?,
            )
            .build(),
    })
}

/// The write units of one batch request (a delete costs one).
fn request_units(request: &WriteRequest) -> u64 {
    request
        .put_request()
        .map_or(1, |put| write_units(put.item()))
}

/// The failure of a batch DynamoDB kept leaving `count` `what` unprocessed: throttling,
/// worth a retry.
fn unprocessed_error(count: usize, what: &str) -> Error {
    Error::Unavailable {
        backend: BACKEND,
        source: BoxError::from(format!(
            "{count} {what} stayed unprocessed after {MAX_BATCH_ROUNDS} requests"
        )),
    }
}

/// The primary key an unprocessed request names (for messages and tests).
#[cfg(test)]
fn request_key(request: &WriteRequest) -> Option<Key> {
    use crate::item::{Attributes, PARTITION, SORT, required_text};
    let attributes: &Attributes = match (request.put_request(), request.delete_request()) {
        (Some(put), _) => put.item(),
        (None, Some(delete)) => delete.key(),
        (None, None) => return None,
    };
    Some(Key::new(
        required_text(attributes, PARTITION).ok()?,
        required_text(attributes, SORT).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_requests_name_their_keys_and_cost_units() {
        let key = Key::new("p", "s");
        let put = batch_request(&Write::put(Item::new(key.clone(), 1, vec![0; 2048])))
            .expect("a put request");
        assert_eq!(request_key(&put), Some(key.clone()));
        assert_eq!(request_units(&put), 3);
        let delete = batch_request(&Write::Delete {
            key: key.clone(),
            condition: Condition::Always,
        })
        .expect("a delete request");
        assert_eq!(request_key(&delete), Some(key));
        assert_eq!(request_units(&delete), 1);
    }

    #[test]
    fn batches_refuse_conditions_and_checks() {
        let key = Key::new("p", "s");
        for write in [
            Write::Put {
                item: Item::new(key.clone(), 1, Vec::new()),
                condition: Condition::Absent,
            },
            Write::Check {
                key,
                condition: Condition::Always,
            },
        ] {
            let result = check_batch_write(&write);
            assert!(result.is_err_and(|error| error.kind() == ocean::ErrorKind::Invalid));
        }
    }
}
