//! Conformance checks for the stream port: append and read in partition-key order, paging by
//! opaque positions, at-least-once redelivery from checkpoints, compare-and-set checkpoints
//! and input validation.
//!
//! Positions are opaque: the checks only pass them back and compare them for equality. A
//! backend may return fewer records than asked for (even none) while more remain, so checks
//! that expect records follow `next` positions until they have them (see [`MAX_READS`]).

use std::collections::HashSet;

use futures_util::future::join_all;
use ocean::stream::{MAX_APPEND_RECORDS, MAX_RECORD_BYTES, NewRecord, Position, StreamRecord};
use ocean::{ErrorKind, Stream};

use crate::{assert_kind, unique};

/// Most reads a check makes while following `next` positions to collect the records it
/// expects, before it declares them missing.
pub const MAX_READS: usize = 200;

/// A consumer name no other check uses, short enough for every backend.
fn consumer_name() -> String {
    unique("consumer")
}

/// A record with a UTF-8 payload.
fn record(partition_key: &str, data: &str) -> NewRecord {
    NewRecord {
        partition_key: partition_key.to_owned(),
        data: data.as_bytes().to_vec(),
    }
}

/// What reading `record` must give back.
fn as_read(record: &NewRecord) -> StreamRecord {
    StreamRecord {
        partition_key: record.partition_key.clone(),
        data: record.data.clone(),
    }
}

/// Appends `records` to `name`, panicking (naming `what`) if the append fails.
async fn append_ok(stream: &dyn Stream, name: &str, records: Vec<NewRecord>, what: &str) {
    if let Err(error) = stream.append(name, records).await {
        panic!("{what}: append failed: {error:?}");
    }
}

/// Reads `name` from `after`, following each batch's `next`, until at least `n_wanted` records
/// came back or [`MAX_READS`] reads were made; checks every batch holds at most
/// `max_records`. Returns the records and the last `next` position.
async fn read_records(
    stream: &dyn Stream,
    name: &str,
    after: Option<&Position>,
    max_records: u32,
    n_wanted: usize,
) -> (Vec<StreamRecord>, Position) {
    let mut records = Vec::new();
    let mut position = read_batch_into(stream, name, after, max_records, &mut records).await;
    let mut n_reads = 1;
    while records.len() < n_wanted && n_reads < MAX_READS {
        position = read_batch_into(stream, name, Some(&position), max_records, &mut records).await;
        n_reads += 1;
    }
    (records, position)
}

/// One read of `name` after `after`, appending its records to `records`; returns `next`.
async fn read_batch_into(
    stream: &dyn Stream,
    name: &str,
    after: Option<&Position>,
    max_records: u32,
    records: &mut Vec<StreamRecord>,
) -> Position {
    let batch = match stream.read(name, after, max_records).await {
        Ok(batch) => batch,
        Err(error) => panic!("read of stream {name} after {after:?} failed: {error:?}"),
    };
    assert!(
        batch.records.len() <= max_records as usize,
        "read: up to max_records ({max_records}) records, got {}",
        batch.records.len()
    );
    records.extend(batch.records);
    batch.next
}

/// Asserts that one read of `name` after `after` returns no records (reading nothing is not
/// an error) and returns its `next`.
async fn assert_reads_nothing(
    stream: &dyn Stream,
    name: &str,
    after: Option<&Position>,
    what: &str,
) -> Position {
    let batch = match stream.read(name, after, 100).await {
        Ok(batch) => batch,
        Err(error) => panic!("{what}: reading nothing is not an error, got {error:?}"),
    };
    assert!(
        batch.records.is_empty(),
        "{what}: expected no records, got {:?}",
        batch.records
    );
    batch.next
}

/// Appends one record to a fresh stream and reads it, returning the stream name and the
/// position after the record.
async fn stream_with_position(stream: &dyn Stream, label: &str) -> (String, Position) {
    let name = unique(label);
    append_ok(stream, &name, vec![record("k", "first")], label).await;
    let (records, position) = read_records(stream, &name, None, 10, 1).await;
    assert_eq!(
        records.len(),
        1,
        "{label}: read returns the appended record"
    );
    (name, position)
}

/// Appends one more record to `name` and reads it after `after`, returning the position after
/// it (which differs from `after`, since `after` reads the new record and it does not).
async fn position_after_new_record(stream: &dyn Stream, name: &str, after: &Position) -> Position {
    append_ok(stream, name, vec![record("k", "next")], "append one more").await;
    let (records, position) = read_records(stream, name, Some(after), 10, 1).await;
    assert_eq!(
        records.len(),
        1,
        "read after a position returns the record appended after it"
    );
    assert_ne!(
        &position, after,
        "positions before and after a record read different records, so they differ"
    );
    position
}

/// Runs every stream check, one after another, each on fresh stream and consumer names.
pub async fn run_all(stream: &dyn Stream) {
    append_then_read_round_trips(stream).await;
    partition_key_order_is_kept(stream).await;
    append_is_not_idempotent(stream).await;
    concurrent_appends_each_land_once(stream).await;
    fresh_stream_reads_nothing(stream).await;
    read_after_next_returns_only_later_records(stream).await;
    empty_stream_position_reads_later_records(stream).await;
    max_records_is_honoured_and_paging_visits_each_record_once(stream).await;
    same_position_reads_same_records(stream).await;
    read_until_rereads_a_span_exactly(stream).await;
    uncommitted_records_are_redelivered(stream).await;
    new_consumer_has_no_checkpoint(stream).await;
    commit_checkpoint_moves_and_repeats_as_no_op(stream).await;
    commit_with_wrong_expected_conflicts(stream).await;
    racing_commits_have_one_winner(stream).await;
    consumers_have_separate_checkpoints(stream).await;
    streams_are_isolated(stream).await;
    largest_inputs_are_accepted(stream).await;
    invalid_appends_are_rejected(stream).await;
    invalid_names_are_rejected(stream).await;
    zero_max_records_is_rejected(stream).await;
}

/// Appended records read back with their partition keys and exact bytes (any byte values).
pub async fn append_then_read_round_trips(stream: &dyn Stream) {
    let name = unique("st-round");
    let records = vec![
        record("alpha", "one"),
        NewRecord {
            partition_key: "beta".to_owned(),
            data: (0..=255u8).collect(),
        },
        NewRecord {
            partition_key: "alpha".to_owned(),
            data: vec![0],
        },
    ];
    append_ok(stream, &name, records.clone(), "round trip").await;
    let (read, _) = read_records(stream, &name, None, 100, records.len()).await;
    assert_same_records_by_key(&read, &records, "append then read");
}

/// Records sharing a partition key are read in append order, across several appends with
/// three keys interleaved, and every record is read exactly once.
pub async fn partition_key_order_is_kept(stream: &dyn Stream) {
    let name = unique("st-order");
    let keys = ["red", "green", "blue"];
    let mut appended = Vec::new();
    for batch_idx in 0..4 {
        let batch: Vec<NewRecord> = (0..7)
            .map(|record_idx| {
                let key = keys[(batch_idx + record_idx) % keys.len()];
                record(key, &format!("{key}/{batch_idx}/{record_idx}"))
            })
            .collect();
        appended.extend(batch.iter().cloned());
        append_ok(stream, &name, batch, "partition order").await;
    }
    let (read, _) = read_records(stream, &name, None, 100, appended.len()).await;
    assert_same_records_by_key(&read, &appended, "append order per partition key");
}

/// Appends made at once, to one stream and to another beside it, each land exactly once and
/// whole: every record is read once, in its append's order, in its own stream only.
pub async fn concurrent_appends_each_land_once(stream: &dyn Stream) {
    let names = [unique("st-busy"), unique("st-beside")];
    let appends: Vec<(usize, Vec<NewRecord>)> = (0..32)
        .map(|append_idx| {
            let key = format!("judge-{append_idx}");
            let records = (0..3)
                .map(|record_idx| record(&key, &format!("{append_idx}/{record_idx}")))
                .collect();
            (append_idx % 4 / 3, records)
        })
        .collect();
    join_all(appends.iter().map(|(stream_idx, records)| {
        append_ok(
            stream,
            &names[*stream_idx],
            records.clone(),
            "concurrent append",
        )
    }))
    .await;
    for (stream_idx, name) in names.iter().enumerate() {
        let appended: Vec<NewRecord> = appends
            .iter()
            .filter(|(idx, _)| *idx == stream_idx)
            .flat_map(|(_, records)| records.iter().cloned())
            .collect();
        let (read, _) = read_records(stream, name, None, 1000, appended.len()).await;
        assert_same_records_by_key(&read, &appended, "concurrent appends");
    }
}

/// Appending the same record twice stores it twice (append is not idempotent).
pub async fn append_is_not_idempotent(stream: &dyn Stream) {
    let name = unique("st-twice");
    let once = vec![record("k", "same")];
    append_ok(stream, &name, once.clone(), "first append").await;
    append_ok(stream, &name, once.clone(), "second append").await;
    let (read, _) = read_records(stream, &name, None, 100, 2).await;
    let twice = [once.clone(), once].concat();
    assert_same_records_by_key(&read, &twice, "two appends of one record store two records");
}

/// Asserts `read` holds exactly the `appended` records, each once, and that each partition
/// key's records come in append order.
fn assert_same_records_by_key(read: &[StreamRecord], appended: &[NewRecord], what: &str) {
    assert_eq!(
        read.len(),
        appended.len(),
        "{what}: every appended record is read exactly once, got {read:?}"
    );
    let keys: HashSet<&String> = appended.iter().map(|r| &r.partition_key).collect();
    for key in keys {
        let read_for_key: Vec<&StreamRecord> =
            read.iter().filter(|r| &r.partition_key == key).collect();
        let appended_for_key: Vec<StreamRecord> = appended
            .iter()
            .filter(|r| &r.partition_key == key)
            .map(as_read)
            .collect();
        let appended_for_key: Vec<&StreamRecord> = appended_for_key.iter().collect();
        assert_eq!(
            read_for_key, appended_for_key,
            "{what}: records with partition key {key:?} are read in append order"
        );
    }
}

/// A stream never appended to comes into being on first use: reading it from `None` is not
/// an error and returns nothing, and its consumers have no checkpoint.
pub async fn fresh_stream_reads_nothing(stream: &dyn Stream) {
    let name = unique("st-fresh");
    assert_reads_nothing(stream, &name, None, "read of a fresh stream").await;
    let checkpoint = stream.checkpoint(&name, &consumer_name()).await;
    assert!(
        matches!(checkpoint, Ok(None)),
        "checkpoint on a fresh stream is None, got {checkpoint:?}"
    );
}

/// Reading after a batch's `next` returns only records appended after that batch, and
/// nothing when there are none.
pub async fn read_after_next_returns_only_later_records(stream: &dyn Stream) {
    let name = unique("st-after");
    let first = vec![record("k", "a1"), record("k", "a2"), record("k", "a3")];
    append_ok(stream, &name, first.clone(), "first append").await;
    let (read, position) = read_records(stream, &name, None, 100, first.len()).await;
    assert_same_records_by_key(&read, &first, "read from None returns everything");

    let position =
        assert_reads_nothing(stream, &name, Some(&position), "read after the last record").await;

    let second = vec![record("k", "b1"), record("j", "b2")];
    append_ok(stream, &name, second.clone(), "second append").await;
    let (read, position) = read_records(stream, &name, Some(&position), 100, second.len()).await;
    assert_same_records_by_key(&read, &second, "read after next returns only later records");
    assert_reads_nothing(
        stream,
        &name,
        Some(&position),
        "read after the newest record",
    )
    .await;
}

/// The position of a batch read from an empty stream covers nothing, so reading from it later
/// returns the records appended since.
pub async fn empty_stream_position_reads_later_records(stream: &dyn Stream) {
    let name = unique("st-empty");
    let position = assert_reads_nothing(stream, &name, None, "read of an empty stream").await;
    let later = vec![record("k", "later1"), record("k", "later2")];
    append_ok(stream, &name, later.clone(), "append after an empty read").await;
    let (read, _) = read_records(stream, &name, Some(&position), 100, later.len()).await;
    assert_same_records_by_key(
        &read,
        &later,
        "an empty stream's position reads records appended after it",
    );
}

/// No batch holds more than `max_records`, and paging by successive `next` positions visits
/// every record exactly once, in order.
pub async fn max_records_is_honoured_and_paging_visits_each_record_once(stream: &dyn Stream) {
    let name = unique("st-paging");
    let appended: Vec<NewRecord> = (0..25).map(|i| record("k", &format!("r{i}"))).collect();
    append_ok(stream, &name, appended.clone(), "append for paging").await;
    for max_records in [1, 4, 7] {
        let (read, position) = read_records(stream, &name, None, max_records, 25).await;
        assert_same_records_by_key(
            &read,
            &appended,
            &format!("paging with max_records {max_records}"),
        );
        assert_reads_nothing(stream, &name, Some(&position), "read after the last page").await;
    }
}

/// The same `after` reads the same records again.
pub async fn same_position_reads_same_records(stream: &dyn Stream) {
    let (name, position) = stream_with_position(stream, "st-same").await;
    let more = vec![record("k", "m1"), record("k", "m2"), record("j", "m3")];
    append_ok(stream, &name, more.clone(), "append after a position").await;
    let (first, _) = read_records(stream, &name, Some(&position), 100, more.len()).await;
    let (again, _) = read_records(stream, &name, Some(&position), 100, more.len()).await;
    assert_same_records_by_key(&first, &more, "read after a position");
    assert_same_records_by_key(
        &again,
        &more,
        "the same position reads the same records again",
    );
}

/// Reads `name` from `after` up to `until`, following `next`, until `n_wanted` records came
/// (or [`MAX_READS`] reads); then one more read must return nothing, since the span is read.
async fn read_span(
    stream: &dyn Stream,
    name: &str,
    after: Option<&Position>,
    until: &Position,
    max_records: u32,
    n_wanted: usize,
) -> Vec<StreamRecord> {
    let mut records = Vec::new();
    let mut position = after.cloned();
    for _ in 0..MAX_READS {
        if records.len() >= n_wanted {
            break;
        }
        let batch = match stream
            .read_until(name, position.as_ref(), until, max_records)
            .await
        {
            Ok(batch) => batch,
            Err(error) => panic!("read_until of {name} after {position:?} failed: {error:?}"),
        };
        assert!(
            batch.records.len() <= max_records as usize,
            "read_until: up to max_records ({max_records}) records, got {}",
            batch.records.len()
        );
        records.extend(batch.records);
        position = Some(batch.next);
    }
    let rest = match stream.read_until(name, position.as_ref(), until, 100).await {
        Ok(batch) => batch.records,
        Err(error) => panic!("read_until of {name} at the span's end failed: {error:?}"),
    };
    assert!(
        rest.is_empty(),
        "read_until reads nothing past its span, got {rest:?}"
    );
    records
}

/// `read_until` from a position to a later `next` reads exactly the records the first read
/// gave, in any shard, though records of many keys were appended since; a span of nothing
/// reads nothing. (Scoring re-reads a period this way after a crash.)
pub async fn read_until_rereads_a_span_exactly(stream: &dyn Stream) {
    let name = unique("st-until");
    let first: Vec<NewRecord> = (0..12)
        .map(|i| record(&format!("key-{i}"), &format!("first-{i}")))
        .collect();
    append_ok(stream, &name, first.clone(), "append the first records").await;
    let (read, until) = read_records(stream, &name, None, 5, 1).await;
    assert!(!read.is_empty(), "the first read returns records");
    let later: Vec<NewRecord> = (0..24)
        .map(|i| record(&format!("key-{i}"), &format!("later-{i}")))
        .collect();
    append_ok(stream, &name, later, "append after the first read").await;

    for max_records in [100, 1] {
        let again = read_span(stream, &name, None, &until, max_records, read.len()).await;
        let mut again_sorted = again.clone();
        let mut read_sorted = read.clone();
        again_sorted.sort_by(|a, b| (&a.partition_key, &a.data).cmp(&(&b.partition_key, &b.data)));
        read_sorted.sort_by(|a, b| (&a.partition_key, &a.data).cmp(&(&b.partition_key, &b.data)));
        assert_eq!(
            again_sorted, read_sorted,
            "read_until (max_records {max_records}) re-reads exactly the first read's records"
        );
    }
    let empty = read_span(stream, &name, Some(&until), &until, 100, 0).await;
    assert!(
        empty.is_empty(),
        "a span from a position to itself is empty"
    );
}

/// A consumer that reads but crashes before committing its checkpoint reads the same records
/// again from its last checkpoint, and after committing reads only the newer ones.
pub async fn uncommitted_records_are_redelivered(stream: &dyn Stream) {
    let name = unique("st-redeliver");
    let consumer = consumer_name();
    let first = vec![record("k", "x1"), record("k", "x2"), record("j", "x3")];
    append_ok(stream, &name, first.clone(), "redelivery").await;

    // A worker reads a batch, then crashes before committing.
    let checkpoint = checkpoint_ok(stream, &name, &consumer).await;
    let (read, _) = read_records(stream, &name, checkpoint.as_ref(), 100, first.len()).await;
    assert_same_records_by_key(&read, &first, "first delivery");

    // Its replacement starts from the checkpoint and gets the same records, then commits.
    let checkpoint = checkpoint_ok(stream, &name, &consumer).await;
    assert_eq!(checkpoint, None, "a crashed reader committed nothing");
    let (read, next) = read_records(stream, &name, checkpoint.as_ref(), 100, first.len()).await;
    assert_same_records_by_key(&read, &first, "records are read again after a crash");
    commit_ok(
        stream,
        &name,
        &consumer,
        None,
        &next,
        "commit after redelivery",
    )
    .await;

    // Later records, read and not committed, come again from the new checkpoint.
    let second = vec![record("k", "y1"), record("j", "y2")];
    append_ok(stream, &name, second.clone(), "redelivery, second append").await;
    let checkpoint = checkpoint_ok(stream, &name, &consumer).await;
    let (read, _) = read_records(stream, &name, checkpoint.as_ref(), 100, second.len()).await;
    assert_same_records_by_key(
        &read,
        &second,
        "read from a checkpoint skips committed records",
    );
    let checkpoint = checkpoint_ok(stream, &name, &consumer).await;
    let (read, _) = read_records(stream, &name, checkpoint.as_ref(), 100, second.len()).await;
    assert_same_records_by_key(&read, &second, "uncommitted records are read again");
}

/// The checkpoint of `consumer` on `name`, panicking if the call fails.
async fn checkpoint_ok(stream: &dyn Stream, name: &str, consumer: &str) -> Option<Position> {
    match stream.checkpoint(name, consumer).await {
        Ok(checkpoint) => checkpoint,
        Err(error) => panic!("checkpoint of {consumer} on {name} failed: {error:?}"),
    }
}

/// Commits `expected -> next`, panicking (naming `what`) if it fails.
async fn commit_ok(
    stream: &dyn Stream,
    name: &str,
    consumer: &str,
    expected: Option<&Position>,
    next: &Position,
    what: &str,
) {
    if let Err(error) = stream
        .commit_checkpoint(name, consumer, expected, next)
        .await
    {
        panic!("{what}: commit_checkpoint {expected:?} -> {next:?} failed: {error:?}");
    }
}

/// A consumer that never committed has no checkpoint, on a stream with records too.
pub async fn new_consumer_has_no_checkpoint(stream: &dyn Stream) {
    let (name, _) = stream_with_position(stream, "st-newcons").await;
    let checkpoint = checkpoint_ok(stream, &name, &consumer_name()).await;
    assert_eq!(checkpoint, None, "the checkpoint of a new consumer is None");
}

/// Committing `None -> p1` makes the checkpoint `p1`; committing `p1` again with
/// `expected == Some(p1)` is a no-op; committing `p1 -> p2` moves it on.
pub async fn commit_checkpoint_moves_and_repeats_as_no_op(stream: &dyn Stream) {
    let (name, first) = stream_with_position(stream, "st-commit").await;
    let consumer = consumer_name();
    commit_ok(stream, &name, &consumer, None, &first, "first commit").await;
    let checkpoint = checkpoint_ok(stream, &name, &consumer).await;
    assert_eq!(checkpoint, Some(first.clone()), "checkpoint after commit");

    commit_ok(
        stream,
        &name,
        &consumer,
        Some(&first),
        &first,
        "repeat commit",
    )
    .await;
    let checkpoint = checkpoint_ok(stream, &name, &consumer).await;
    assert_eq!(
        checkpoint,
        Some(first.clone()),
        "committing next again with expected == Some(next) is a no-op"
    );

    let second = position_after_new_record(stream, &name, &first).await;
    commit_ok(
        stream,
        &name,
        &consumer,
        Some(&first),
        &second,
        "second commit",
    )
    .await;
    let checkpoint = checkpoint_ok(stream, &name, &consumer).await;
    assert_eq!(
        checkpoint,
        Some(second),
        "checkpoint after the second commit"
    );
}

/// A commit whose `expected` is not the current checkpoint returns Conflict and changes
/// nothing.
pub async fn commit_with_wrong_expected_conflicts(stream: &dyn Stream) {
    let (name, first) = stream_with_position(stream, "st-conflict").await;
    let second = position_after_new_record(stream, &name, &first).await;
    let consumer = consumer_name();

    let result = stream
        .commit_checkpoint(&name, &consumer, Some(&first), &second)
        .await;
    assert_kind(
        &result,
        ErrorKind::Conflict,
        "commit expecting a checkpoint where none is",
    );
    let checkpoint = checkpoint_ok(stream, &name, &consumer).await;
    assert_eq!(checkpoint, None, "a conflicting commit changes nothing");

    commit_ok(stream, &name, &consumer, None, &first, "commit first").await;
    let result = stream
        .commit_checkpoint(&name, &consumer, None, &second)
        .await;
    assert_kind(
        &result,
        ErrorKind::Conflict,
        "commit expecting no checkpoint",
    );
    let result = stream
        .commit_checkpoint(&name, &consumer, Some(&second), &second)
        .await;
    assert_kind(
        &result,
        ErrorKind::Conflict,
        "commit expecting the wrong checkpoint",
    );
    let checkpoint = checkpoint_ok(stream, &name, &consumer).await;
    assert_eq!(
        checkpoint,
        Some(first),
        "conflicting commits change nothing"
    );
}

/// Workers of one consumer racing to commit from the same expected position: exactly one
/// wins, the others get Conflict, and the checkpoint is the winner's.
pub async fn racing_commits_have_one_winner(stream: &dyn Stream) {
    let (name, first) = stream_with_position(stream, "st-race").await;
    let second = position_after_new_record(stream, &name, &first).await;
    let consumer = consumer_name();

    // Two workers commit different positions over no checkpoint.
    let candidates = [first.clone(), second.clone()];
    let results = join_all(
        candidates
            .iter()
            .map(|next| stream.commit_checkpoint(&name, &consumer, None, next)),
    )
    .await;
    let winner = single_winner(&results, "two commits racing from None");
    let checkpoint = checkpoint_ok(stream, &name, &consumer).await;
    assert_eq!(
        checkpoint.as_ref(),
        Some(&candidates[winner]),
        "the checkpoint is the winning commit's position"
    );

    // Four workers commit the same move from the winner's position: still one winner.
    let expected = candidates[winner].clone();
    let next = candidates[1 - winner].clone();
    let results = join_all(
        (0..4).map(|_| stream.commit_checkpoint(&name, &consumer, Some(&expected), &next)),
    )
    .await;
    single_winner(&results, "four identical commits racing from one position");
    let checkpoint = checkpoint_ok(stream, &name, &consumer).await;
    assert_eq!(
        checkpoint,
        Some(next),
        "the checkpoint is the committed position"
    );
}

/// Asserts exactly one of `results` is Ok and the rest are Conflict; returns the winner's
/// index.
fn single_winner(results: &[ocean::Result<()>], what: &str) -> usize {
    let winners: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, result)| result.is_ok())
        .map(|(idx, _)| idx)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "{what}: exactly one commit succeeds, got {results:?}"
    );
    for result in results.iter().filter(|result| result.is_err()) {
        assert_kind(result, ErrorKind::Conflict, what);
    }
    winners[0]
}

/// Different consumers of one stream keep their own checkpoints.
pub async fn consumers_have_separate_checkpoints(stream: &dyn Stream) {
    let (name, first) = stream_with_position(stream, "st-consumers").await;
    let second = position_after_new_record(stream, &name, &first).await;
    let consumer_a = consumer_name();
    let consumer_b = consumer_name();

    commit_ok(
        stream,
        &name,
        &consumer_a,
        None,
        &first,
        "consumer a commits",
    )
    .await;
    let checkpoint_b = checkpoint_ok(stream, &name, &consumer_b).await;
    assert_eq!(
        checkpoint_b, None,
        "another consumer's commit leaves this one's alone"
    );

    commit_ok(
        stream,
        &name,
        &consumer_b,
        None,
        &second,
        "consumer b commits",
    )
    .await;
    let checkpoint_a = checkpoint_ok(stream, &name, &consumer_a).await;
    let checkpoint_b = checkpoint_ok(stream, &name, &consumer_b).await;
    assert_eq!(checkpoint_a, Some(first), "consumer a keeps its checkpoint");
    assert_eq!(
        checkpoint_b,
        Some(second),
        "consumer b has its own checkpoint"
    );
}

/// Streams do not share records or checkpoints, even for consumers of the same name.
pub async fn streams_are_isolated(stream: &dyn Stream) {
    let (name_a, position_a) = stream_with_position(stream, "st-iso-a").await;
    let name_b = unique("st-iso-b");
    assert_reads_nothing(stream, &name_b, None, "another stream's records stay there").await;

    let consumer = consumer_name();
    commit_ok(
        stream,
        &name_a,
        &consumer,
        None,
        &position_a,
        "commit on stream a",
    )
    .await;
    let checkpoint_b = checkpoint_ok(stream, &name_b, &consumer).await;
    assert_eq!(
        checkpoint_b, None,
        "a checkpoint on one stream is not on another"
    );

    let only_b = vec![record("k", "only-b")];
    append_ok(stream, &name_b, only_b.clone(), "append to stream b").await;
    let (read_b, _) = read_records(stream, &name_b, None, 100, 1).await;
    assert_same_records_by_key(&read_b, &only_b, "stream b holds only its own record");
    assert_reads_nothing(
        stream,
        &name_a,
        Some(&position_a),
        "stream a gets nothing from b",
    )
    .await;
}

/// The largest inputs the contract allows work: [`MAX_APPEND_RECORDS`] records in one
/// append, a record of [`MAX_RECORD_BYTES`], and a 64-character name using `_`, `-`, `.`.
pub async fn largest_inputs_are_accepted(stream: &dyn Stream) {
    let name = unique("st-big");
    let many: Vec<NewRecord> = (0..MAX_APPEND_RECORDS)
        .map(|i| record(&format!("k{}", i % 5), &format!("{i}")))
        .collect();
    append_ok(stream, &name, many.clone(), "MAX_APPEND_RECORDS records").await;
    let (read, position) = read_records(stream, &name, None, 1000, many.len()).await;
    assert_same_records_by_key(&read, &many, "MAX_APPEND_RECORDS records read back");

    let largest = vec![NewRecord {
        partition_key: "big".to_owned(),
        data: vec![7; MAX_RECORD_BYTES],
    }];
    append_ok(
        stream,
        &name,
        largest.clone(),
        "a record of MAX_RECORD_BYTES",
    )
    .await;
    let (read, _) = read_records(stream, &name, Some(&position), 10, 1).await;
    assert_same_records_by_key(&read, &largest, "a record of MAX_RECORD_BYTES reads back");

    let long_name = format!("{:.<64}", unique("st_long"));
    let long_consumer = format!("{:_<64}", unique("c.long"));
    append_ok(
        stream,
        &long_name,
        vec![record("k", "v")],
        "64-character name",
    )
    .await;
    let (read, position) = read_records(stream, &long_name, None, 10, 1).await;
    assert_eq!(read.len(), 1, "a 64-character stream name reads back");
    commit_ok(
        stream,
        &long_name,
        &long_consumer,
        None,
        &position,
        "64-char consumer",
    )
    .await;
    let checkpoint = checkpoint_ok(stream, &long_name, &long_consumer).await;
    assert_eq!(
        checkpoint,
        Some(position),
        "a 64-character consumer name keeps its checkpoint"
    );
}

/// Appends of 0 records, more than [`MAX_APPEND_RECORDS`], an empty record or a record over
/// [`MAX_RECORD_BYTES`] return Invalid.
pub async fn invalid_appends_are_rejected(stream: &dyn Stream) {
    let name = unique("st-invalid");
    let result = stream.append(&name, Vec::new()).await;
    assert_kind(&result, ErrorKind::Invalid, "append of 0 records");

    let too_many: Vec<NewRecord> = (0..=MAX_APPEND_RECORDS)
        .map(|i| record("k", &format!("{i}")))
        .collect();
    let result = stream.append(&name, too_many).await;
    assert_kind(
        &result,
        ErrorKind::Invalid,
        "append of MAX_APPEND_RECORDS + 1 records",
    );

    let empty = vec![record("k", "fine"), record("k", "")];
    let result = stream.append(&name, empty).await;
    assert_kind(&result, ErrorKind::Invalid, "append of an empty record");

    let too_big = vec![NewRecord {
        partition_key: "k".to_owned(),
        data: vec![1; MAX_RECORD_BYTES + 1],
    }];
    let result = stream.append(&name, too_big).await;
    assert_kind(
        &result,
        ErrorKind::Invalid,
        "append of a record over MAX_RECORD_BYTES",
    );
}

/// Names that break [`ocean::check_name`]'s rules, for streams and consumers.
fn bad_names() -> Vec<String> {
    vec![
        String::new(),
        "has space".to_owned(),
        "slash/name".to_owned(),
        "colon:name".to_owned(),
        "caf\u{e9}".to_owned(),
        "x".repeat(65),
    ]
}

/// Every call rejects stream and consumer names outside [`ocean::check_name`]'s rules with
/// Invalid.
pub async fn invalid_names_are_rejected(stream: &dyn Stream) {
    let (good_name, position) = stream_with_position(stream, "st-badname").await;
    let good_consumer = consumer_name();
    for bad in bad_names() {
        let what = format!("stream name {bad:?}");
        let result = stream.append(&bad, vec![record("k", "v")]).await;
        assert_kind(&result, ErrorKind::Invalid, &format!("append to {what}"));
        let result = stream.read(&bad, None, 10).await;
        assert_kind(&result, ErrorKind::Invalid, &format!("read of {what}"));
        let result = stream.checkpoint(&bad, &good_consumer).await;
        assert_kind(
            &result,
            ErrorKind::Invalid,
            &format!("checkpoint on {what}"),
        );
        let result = stream
            .commit_checkpoint(&bad, &good_consumer, None, &position)
            .await;
        assert_kind(&result, ErrorKind::Invalid, &format!("commit on {what}"));

        let what = format!("consumer name {bad:?}");
        let result = stream.checkpoint(&good_name, &bad).await;
        assert_kind(
            &result,
            ErrorKind::Invalid,
            &format!("checkpoint of {what}"),
        );
        let result = stream
            .commit_checkpoint(&good_name, &bad, None, &position)
            .await;
        assert_kind(&result, ErrorKind::Invalid, &format!("commit of {what}"));
    }
}

/// Reading with `max_records == 0` returns Invalid.
pub async fn zero_max_records_is_rejected(stream: &dyn Stream) {
    let (name, _) = stream_with_position(stream, "st-zero").await;
    let result = stream.read(&name, None, 0).await;
    assert_kind(&result, ErrorKind::Invalid, "read with max_records 0");
}
