//! [`KinesisStream`]: the stream port on Kinesis Data Streams, checkpoints in DynamoDB.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType, StreamStatus};
use ocean::stream::{
    Batch, MAX_APPEND_RECORDS, MAX_RECORD_BYTES, NewRecord, Position, StreamRecord,
};
use ocean::{Error, Result, Stream, check_name};

use crate::checkpoints::{Checkpoints, poll_delay};
use crate::error::{AwsFailure, KINESIS, aws_failure, is_retryable_code, malformed};
use crate::position::{ShardInfo, ShardMark, ShardPositions};

/// Longest partition key Kinesis accepts, in characters.
pub const MAX_PARTITION_KEY_CHARS: usize = 256;
/// Largest `PutRecords` request Kinesis accepts: 5 MiB of data and partition keys.
pub const MAX_PUT_RECORDS_BYTES: usize = 5 * 1024 * 1024;
/// Most records one `GetRecords` returns.
pub const MAX_GET_RECORDS: u32 = 10_000;
/// Longest stream prefix: a 64-character port name still fits Kinesis's 128.
pub const MAX_PREFIX: usize = 64;
/// `PutRecords` rounds with failed entries an append tolerates before it gives up.
const MAX_FAILING_ROUNDS: u32 = 8;
/// Empty `GetRecords` pages followed on one shard while Kinesis says it is behind.
const MAX_EMPTY_PAGES: u32 = 5;
/// Most `DescribeStreamSummary` polls while a new stream becomes active.
const MAX_STATUS_POLLS: u32 = 120;
/// Most `ListShards` pages read (10 000 shards each at most).
const MAX_SHARD_PAGES: u32 = 100;

/// The stream port on Amazon Kinesis Data Streams.
///
/// Port stream `name` is the Kinesis stream `<prefix><name>`, created on first use with
/// `shards` shards (provisioned mode) or ahead of time by [`KinesisStream::create_stream`].
/// Checkpoints live in the DynamoDB table `checkpoint_table`, created by
/// [`KinesisStream::create_checkpoint_table`].
pub struct KinesisStream {
    /// The Kinesis client.
    client: Client,
    /// Prefix of every Kinesis stream name.
    stream_prefix: String,
    /// Shards of the streams this backend creates.
    shards: u32,
    /// The checkpoint table.
    checkpoints: Checkpoints,
    /// Port stream names known to exist and be active.
    known_streams: Mutex<HashSet<String>>,
}

impl fmt::Debug for KinesisStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KinesisStream")
            .field("stream_prefix", &self.stream_prefix)
            .field("shards", &self.shards)
            .field("checkpoints", &self.checkpoints)
            .finish_non_exhaustive()
    }
}

/// Locks `mutex`, carrying on past a poisoned lock (the set stays consistent: every update
/// is one insert or remove).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl KinesisStream {
    /// A stream backend on the Kinesis and DynamoDB of `config`. `stream_prefix` (up to 64 of
    /// `A-Z a-z 0-9 _ - .`, e.g. `localpictourney-`) starts every Kinesis stream name;
    /// `checkpoint_table` names the DynamoDB table of consumer checkpoints; `shards` (at
    /// least 1) is the shard count of streams it creates. Checked on first use
    /// ([`Error::Invalid`]).
    pub fn new(
        config: &aws_config::SdkConfig,
        stream_prefix: impl Into<String>,
        checkpoint_table: impl Into<String>,
        shards: u32,
    ) -> Self {
        KinesisStream {
            client: Client::new(config),
            stream_prefix: stream_prefix.into(),
            shards,
            checkpoints: Checkpoints::new(
                aws_sdk_dynamodb::Client::new(config),
                checkpoint_table.into(),
            ),
            known_streams: Mutex::new(HashSet::new()),
        }
    }

    /// Creates the checkpoint table if missing (key `pk`, on-demand billing) and waits until
    /// it is active, for the `init-aws` command. Idempotent.
    pub async fn create_checkpoint_table(&self) -> Result<()> {
        self.checkpoints.create_table().await
    }

    /// Creates port stream `name` with this backend's shard count if missing and waits until
    /// it is active (an existing stream keeps its shards). Idempotent.
    pub async fn create_stream(&self, name: &str) -> Result<()> {
        check_name("stream", name)?;
        self.ensure_stream(name).await.map(|_| ())
    }

    /// The Kinesis stream name of port stream `name`: `<prefix><name>`.
    pub fn kinesis_stream_name(&self, name: &str) -> Result<String> {
        let prefix_ok = self.stream_prefix.len() <= MAX_PREFIX
            && self
                .stream_prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !prefix_ok {
            return Err(Error::invalid(
                "stream_prefix",
                format!(
                    "{:?}: use up to {MAX_PREFIX} ASCII letters, digits, _ - .",
                    self.stream_prefix
                ),
            ));
        }
        Ok(format!("{}{name}", self.stream_prefix))
    }

    /// The Kinesis name of `name`, creating the stream first if it does not exist yet.
    async fn ensure_stream(&self, name: &str) -> Result<String> {
        let kinesis_name = self.kinesis_stream_name(name)?;
        if lock(&self.known_streams).contains(name) {
            return Ok(kinesis_name);
        }
        if self.shards == 0 {
            return Err(Error::invalid(
                "shards",
                "0: a stream needs at least 1 shard",
            ));
        }
        for poll_idx in 0..MAX_STATUS_POLLS {
            let described = self
                .client
                .describe_stream_summary()
                .stream_name(&kinesis_name)
                .send()
                .await;
            let status = match described {
                Ok(output) => output
                    .stream_description_summary
                    .map(|summary| summary.stream_status),
                Err(error) => match aws_failure(KINESIS, "stream", error) {
                    AwsFailure::Missing => {
                        self.create(&kinesis_name).await?;
                        Some(StreamStatus::Creating)
                    }
                    failure => return Err(failure.into_error(KINESIS, &kinesis_name)),
                },
            };
            match status {
                Some(StreamStatus::Active | StreamStatus::Updating) => {
                    lock(&self.known_streams).insert(name.to_owned());
                    return Ok(kinesis_name);
                }
                Some(StreamStatus::Deleting) => {
                    return Err(Error::Unavailable {
                        backend: KINESIS,
                        source: format!("stream {kinesis_name} is being deleted").into(),
                    });
                }
                _ => tokio::time::sleep(poll_delay(poll_idx)).await,
            }
        }
        Err(Error::Unavailable {
            backend: KINESIS,
            source: format!("stream {kinesis_name} is not active yet").into(),
        })
    }

    /// `CreateStream` with this backend's shard count; a stream that exists or is being
    /// created already is fine.
    async fn create(&self, kinesis_name: &str) -> Result<()> {
        let shard_count = i32::try_from(self.shards)
            .map_err(|_| Error::invalid("shards", format!("{} is too many", self.shards)))?;
        let created = self
            .client
            .create_stream()
            .stream_name(kinesis_name)
            .shard_count(shard_count)
            .send()
            .await;
        match created.map_err(|error| aws_failure(KINESIS, "stream", error)) {
            Ok(_) | Err(AwsFailure::InUse) => Ok(()),
            Err(failure) => Err(failure.into_error(KINESIS, kinesis_name)),
        }
    }

    /// The ocean error for `failure` on port stream `name`: a missing stream is forgotten
    /// (the next call creates it again) and [`Error::Unavailable`].
    fn stream_error(&self, name: &str, kinesis_name: &str, failure: AwsFailure) -> Error {
        if matches!(failure, AwsFailure::Missing) {
            lock(&self.known_streams).remove(name);
            return Error::Unavailable {
                backend: KINESIS,
                source: format!("stream {kinesis_name} no longer exists").into(),
            };
        }
        failure.into_error(KINESIS, kinesis_name)
    }

    /// Every shard of the stream, open and closed, in id order.
    async fn list_shards(&self, name: &str, kinesis_name: &str) -> Result<Vec<ShardInfo>> {
        let mut shards = Vec::new();
        let mut next_token: Option<String> = None;
        for _ in 0..MAX_SHARD_PAGES {
            // ListShards takes either the stream name or a next token, not both.
            let request = match &next_token {
                None => self.client.list_shards().stream_name(kinesis_name),
                Some(token) => self.client.list_shards().next_token(token),
            };
            let output = request.send().await.map_err(|error| {
                self.stream_error(name, kinesis_name, aws_failure(KINESIS, "stream", error))
            })?;
            shards.extend(output.shards().iter().map(|shard| {
                ShardInfo {
                    shard_id: shard.shard_id().to_owned(),
                    parents: [shard.parent_shard_id(), shard.adjacent_parent_shard_id()]
                        .into_iter()
                        .flatten()
                        .map(str::to_owned)
                        .collect(),
                }
            }));
            next_token = output.next_token().map(str::to_owned);
            if next_token.is_none() {
                shards.sort_by(|a, b| a.shard_id.cmp(&b.shard_id));
                return Ok(shards);
            }
        }
        Err(malformed(
            KINESIS,
            format!("stream {kinesis_name} lists more than {MAX_SHARD_PAGES} pages of shards"),
        ))
    }

    /// The shared body of `read` and `read_until`: `until`, when given, bounds each shard.
    async fn read_span(
        &self,
        stream: &str,
        after: Option<&Position>,
        until: Option<&ShardPositions>,
        max_records: u32,
    ) -> Result<Batch> {
        check_name("stream", stream)?;
        if max_records == 0 {
            return Err(Error::invalid("max_records", "0: read at least 1 record"));
        }
        let mut positions = ShardPositions::parse(after)?;
        let kinesis_name = self.ensure_stream(stream).await?;
        let shards = self.list_shards(stream, &kinesis_name).await?;
        positions.keep_only(&shards);

        let start = after.map_or(0, |position| rotation(&position.0));
        let mut records = Vec::new();
        for offset in 0..shards.len() {
            let remaining = max_records - records.len() as u32;
            if remaining == 0 {
                break;
            }
            let shard = &shards[(start + offset) % shards.len()];
            if !positions.may_read(shard, &shards) {
                continue;
            }
            let bound = match until.map(|until| until.mark(&shard.shard_id)) {
                None | Some(Some(ShardMark::Done)) => None,
                Some(None) => continue,
                Some(Some(ShardMark::After(end))) => {
                    if positions.mark(&shard.shard_id) == Some(&ShardMark::After(end.clone())) {
                        continue;
                    }
                    Some(end.as_str())
                }
            };
            let shard_records = self
                .read_shard(
                    stream,
                    &kinesis_name,
                    &shard.shard_id,
                    &mut positions,
                    remaining,
                    bound,
                )
                .await?;
            records.extend(shard_records);
        }
        Ok(Batch {
            records,
            next: positions.to_position(),
        })
    }

    /// Up to `limit` records of one shard after its mark in `positions` (from its oldest
    /// record without one) and not after sequence number `bound`, moving the mark past them
    /// (or to `Done` at a closed shard's end when unbounded).
    async fn read_shard(
        &self,
        name: &str,
        kinesis_name: &str,
        shard_id: &str,
        positions: &mut ShardPositions,
        limit: u32,
        bound: Option<&str>,
    ) -> Result<Vec<StreamRecord>> {
        let mut request = self
            .client
            .get_shard_iterator()
            .stream_name(kinesis_name)
            .shard_id(shard_id);
        request = match positions.mark(shard_id) {
            Some(ShardMark::After(sequence_number)) => request
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .starting_sequence_number(sequence_number),
            _ => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
        };
        let to_error = |error| self.stream_error(name, kinesis_name, error);
        let output = request
            .send()
            .await
            .map_err(|error| to_error(aws_failure(KINESIS, "after", error)))?;
        let mut iterator = output.shard_iterator;

        for _ in 0..MAX_EMPTY_PAGES {
            let Some(current) = iterator.take() else {
                break;
            };
            let page = self
                .client
                .get_records()
                .shard_iterator(current)
                .limit(limit.min(MAX_GET_RECORDS) as i32)
                .send()
                .await
                .map_err(|error| to_error(aws_failure(KINESIS, "after", error)))?;
            let in_span = page
                .records()
                .iter()
                .take_while(|record| {
                    bound.is_none_or(|bound| sequence_at_most(record.sequence_number(), bound))
                })
                .count();
            let records: Vec<StreamRecord> = page.records()[..in_span]
                .iter()
                .map(|record| StreamRecord {
                    partition_key: record.partition_key().to_owned(),
                    data: record.data().as_ref().to_vec(),
                })
                .collect();
            if let Some(last) = page.records()[..in_span].last() {
                positions.set(
                    shard_id,
                    ShardMark::After(last.sequence_number().to_owned()),
                );
            }
            if let Some(bound) = bound
                && (in_span < page.records().len()
                    || positions.mark(shard_id) == Some(&ShardMark::After(bound.to_owned())))
            {
                // The span ends in this shard here; its mark is the bound (the last record
                // in the span), whatever follows.
                return Ok(records);
            }
            match page.next_shard_iterator() {
                // A closed shard read to its end: its children may be read now.
                None => positions.set(shard_id, ShardMark::Done),
                Some(next) => iterator = Some(next.to_owned()),
            }
            // Kinesis may answer a page with nothing while records follow; keep going only
            // then (it says how far behind the tip the iterator is).
            let behind = page.millis_behind_latest().unwrap_or(0) > 0;
            if !records.is_empty() || !behind {
                return Ok(records);
            }
        }
        Ok(Vec::new())
    }
}

/// Whether sequence number `a` comes at or before `b` in one shard: both are decimal
/// numbers without leading zeros, longer than 64 bits, so compare lengths, then digits.
fn sequence_at_most(a: &str, b: &str) -> bool {
    (a.len(), a) <= (b.len(), b)
}

/// Checks an append's records: 1 to [`MAX_APPEND_RECORDS`], each 1 to [`MAX_RECORD_BYTES`]
/// bytes with a partition key of 1 to [`MAX_PARTITION_KEY_CHARS`] characters.
fn check_records(records: &[NewRecord]) -> Result<()> {
    if records.is_empty() || records.len() > MAX_APPEND_RECORDS {
        return Err(Error::invalid(
            "records",
            format!(
                "{} records: append 1 to {MAX_APPEND_RECORDS}",
                records.len()
            ),
        ));
    }
    for (record_idx, record) in records.iter().enumerate() {
        if record.data.is_empty() || record.data.len() > MAX_RECORD_BYTES {
            return Err(Error::invalid(
                "data",
                format!(
                    "record {record_idx} has {} bytes: 1 to {MAX_RECORD_BYTES}",
                    record.data.len()
                ),
            ));
        }
        let key_chars = record.partition_key.chars().count();
        if key_chars == 0 || key_chars > MAX_PARTITION_KEY_CHARS {
            return Err(Error::invalid(
                "partition_key",
                format!(
                    "record {record_idx} has a key of {key_chars} characters: 1 to {MAX_PARTITION_KEY_CHARS}"
                ),
            ));
        }
    }
    Ok(())
}

/// Each partition key's record indexes, in append order, keys in order of first appearance.
fn queues_by_key(records: &[NewRecord]) -> Vec<std::collections::VecDeque<usize>> {
    let mut key_idx_of: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut queues: Vec<std::collections::VecDeque<usize>> = Vec::new();
    for (record_idx, record) in records.iter().enumerate() {
        let key_idx = *key_idx_of
            .entry(record.partition_key.as_str())
            .or_insert_with(|| {
                queues.push(std::collections::VecDeque::new());
                queues.len() - 1
            });
        queues[key_idx].push_back(record_idx);
    }
    queues
}

/// One `PutRecords` request's records: the oldest unsent record of each partition key, as
/// many keys as fit in [`MAX_APPEND_RECORDS`] entries and [`MAX_PUT_RECORDS_BYTES`]. Returns
/// `(key queue index, record index)` pairs.
fn next_round(
    records: &[NewRecord],
    queues: &[std::collections::VecDeque<usize>],
) -> Vec<(usize, usize)> {
    let mut round = Vec::new();
    let mut n_bytes = 0;
    for (key_idx, queue) in queues.iter().enumerate() {
        let Some(&record_idx) = queue.front() else {
            continue;
        };
        let record = &records[record_idx];
        let record_bytes = record.data.len() + record.partition_key.len();
        if round.len() == MAX_APPEND_RECORDS || n_bytes + record_bytes > MAX_PUT_RECORDS_BYTES {
            break;
        }
        n_bytes += record_bytes;
        round.push((key_idx, record_idx));
    }
    round
}

#[async_trait]
impl Stream for KinesisStream {
    /// `PutRecords` in rounds, each holding at most one record per partition key (the oldest
    /// not yet stored): Kinesis processes a request's entries independently, so a failed
    /// entry followed by a stored one of the same key would otherwise be overtaken when sent
    /// again. A failed entry (throttled) goes again in the next round, before its key's later
    /// records; rounds = the most records one key has, plus retries.
    async fn append(&self, stream: &str, records: Vec<NewRecord>) -> Result<()> {
        check_name("stream", stream)?;
        check_records(&records)?;
        let kinesis_name = self.ensure_stream(stream).await?;
        let mut queues = queues_by_key(&records);
        let mut n_failing_rounds = 0;
        loop {
            let round = next_round(&records, &queues);
            if round.is_empty() {
                return Ok(());
            }
            let mut entries = Vec::with_capacity(round.len());
            for &(_, record_idx) in &round {
                let record = &records[record_idx];
                let entry = PutRecordsRequestEntry::builder()
                    .partition_key(&record.partition_key)
                    .data(Blob::new(record.data.clone()))
                    .build()
                    .map_err(|error| malformed(KINESIS, error.to_string()))?;
                entries.push(entry);
            }
            let output = self
                .client
                .put_records()
                .stream_name(&kinesis_name)
                .set_records(Some(entries))
                .send()
                .await
                .map_err(|error| {
                    self.stream_error(
                        stream,
                        &kinesis_name,
                        aws_failure(KINESIS, "records", error),
                    )
                })?;
            if output.records().len() != round.len() {
                return Err(malformed(
                    KINESIS,
                    format!(
                        "PutRecords answered {} entries for {}",
                        output.records().len(),
                        round.len()
                    ),
                ));
            }
            let mut first_failure = None;
            for (&(key_idx, _), result) in round.iter().zip(output.records()) {
                match result.error_code() {
                    None => {
                        queues[key_idx].pop_front();
                    }
                    Some(code) if is_retryable_code(code) => {
                        first_failure.get_or_insert_with(|| {
                            format!("{code}: {}", result.error_message().unwrap_or_default())
                        });
                    }
                    Some(code) => {
                        return Err(malformed(
                            KINESIS,
                            format!(
                                "PutRecords refused a record ({code}: {}); earlier rounds are stored",
                                result.error_message().unwrap_or_default()
                            ),
                        ));
                    }
                }
            }
            if let Some(failure) = first_failure {
                n_failing_rounds += 1;
                if n_failing_rounds > MAX_FAILING_ROUNDS {
                    return Err(Error::Unavailable {
                        backend: KINESIS,
                        source: format!(
                            "PutRecords kept failing ({failure}); some records may be stored"
                        )
                        .into(),
                    });
                }
                tokio::time::sleep(poll_delay(n_failing_rounds)).await;
            }
        }
    }

    /// Reads the shards after their marks in `after`, one after another from a start that
    /// rotates with the position (so a busy shard cannot starve the others), until
    /// `max_records` records came or every shard was read once. A child shard (after a split
    /// or merge) is read only once its parents are read to their end.
    async fn read(
        &self,
        stream: &str,
        after: Option<&Position>,
        max_records: u32,
    ) -> Result<Batch> {
        self.read_span(stream, after, None, max_records).await
    }

    /// [`KinesisStream::read`], each shard only up to its mark in `until`: a shard that
    /// `until` has not read is skipped, one it read to a closed end is read to that end.
    async fn read_until(
        &self,
        stream: &str,
        after: Option<&Position>,
        until: &Position,
        max_records: u32,
    ) -> Result<Batch> {
        let until = ShardPositions::parse(Some(until))?;
        self.read_span(stream, after, Some(&until), max_records)
            .await
    }

    async fn checkpoint(&self, stream: &str, consumer: &str) -> Result<Option<Position>> {
        check_name("stream", stream)?;
        check_name("consumer", consumer)?;
        let key = self.checkpoint_key(stream, consumer)?;
        self.checkpoints.get(&key).await
    }

    async fn commit_checkpoint(
        &self,
        stream: &str,
        consumer: &str,
        expected: Option<&Position>,
        next: &Position,
    ) -> Result<()> {
        check_name("stream", stream)?;
        check_name("consumer", consumer)?;
        ShardPositions::parse(Some(next))?;
        if let Some(expected) = expected {
            ShardPositions::parse(Some(expected))?;
        }
        let key = self.checkpoint_key(stream, consumer)?;
        self.checkpoints.compare_and_set(&key, expected, next).await
    }
}

impl KinesisStream {
    /// The checkpoint item key of `consumer` on port stream `stream`:
    /// `<Kinesis stream name>#<consumer>` (`#` is in neither name).
    fn checkpoint_key(&self, stream: &str, consumer: &str) -> Result<String> {
        Ok(format!("{}#{consumer}", self.kinesis_stream_name(stream)?))
    }
}

/// The shard a read after `position` starts from, as an offset: FNV-1a of the position.
fn rotation(position: &str) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in position.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % 1_000_003) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record of `data` under `key`.
    fn record(key: &str, data: &str) -> NewRecord {
        NewRecord {
            partition_key: key.to_owned(),
            data: data.as_bytes().to_vec(),
        }
    }

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        let low = "49590338271490256608559692538361571095921575989136588898";
        let high = "49590338271490256608559692540925702759324208523137515618";
        assert!(sequence_at_most(low, high));
        assert!(sequence_at_most(low, low));
        assert!(!sequence_at_most(high, low));
        // Longer is larger, whatever the digits.
        assert!(sequence_at_most("999", "1000"));
        assert!(!sequence_at_most("1000", "999"));
    }

    #[test]
    fn a_round_takes_one_record_per_key_in_order() {
        let records = [record("a", "a1"), record("b", "b1"), record("a", "a2")];
        let mut queues = queues_by_key(&records);
        assert_eq!(next_round(&records, &queues), [(0, 0), (1, 1)]);
        // b1 stored, a1 failed: a1 goes again before a2.
        queues[1].pop_front();
        assert_eq!(next_round(&records, &queues), [(0, 0)]);
        queues[0].pop_front();
        assert_eq!(next_round(&records, &queues), [(0, 2)]);
        queues[0].pop_front();
        assert!(next_round(&records, &queues).is_empty());
    }

    #[test]
    fn a_round_stays_within_the_request_size() {
        let big = "x".repeat(MAX_RECORD_BYTES);
        let records: Vec<NewRecord> = (0..12).map(|i| record(&format!("k{i}"), &big)).collect();
        let queues = queues_by_key(&records);
        let round = next_round(&records, &queues);
        assert_eq!(
            round.len(),
            9,
            "nine 512 KiB records fit in 5 MiB, ten do not"
        );
    }

    #[test]
    fn records_are_checked() {
        let too_long_key = record(&"k".repeat(MAX_PARTITION_KEY_CHARS + 1), "x");
        for bad in [
            vec![],
            vec![record("k", "")],
            vec![record("", "x")],
            vec![too_long_key],
        ] {
            let error = check_records(&bad).unwrap_err();
            assert_eq!(error.kind(), ocean::ErrorKind::Invalid, "{bad:?}");
        }
        assert!(check_records(&[record(&"k".repeat(MAX_PARTITION_KEY_CHARS), "x")]).is_ok());
    }
}
