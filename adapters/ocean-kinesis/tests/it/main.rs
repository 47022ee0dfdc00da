//! The Kinesis stream against moto: the whole stream conformance suite on 1 and on 4 shards,
//! plus durable checkpoints, records spread over shards, and positions from elsewhere.

use std::collections::HashSet;

use ocean::Stream;
use ocean::stream::{NewRecord, Position};
use ocean_conformance::servers::{self, MOTO};
use ocean_conformance::unique;
use ocean_kinesis::KinesisStream;

/// The prefix of every stream these tests make.
const PREFIX: &str = "ocean-test-";

/// A stream backend on moto at `url` with checkpoints in a fresh table, created.
async fn stream_on(url: &str, shards: u32) -> (KinesisStream, String) {
    let table = unique("checkpoints");
    let stream = backend(url, &table, shards);
    stream
        .create_checkpoint_table()
        .await
        .expect("create checkpoint table");
    (stream, table)
}

/// A stream backend on moto at `url` with checkpoints in `table`.
fn backend(url: &str, table: &str, shards: u32) -> KinesisStream {
    KinesisStream::new(&ocean_aws::test_config(url), PREFIX, table, shards)
}

/// A record with a UTF-8 payload.
fn record(partition_key: &str, data: &str) -> NewRecord {
    NewRecord {
        partition_key: partition_key.to_owned(),
        data: data.as_bytes().to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_on_one_shard() {
    let Some(url) = servers::server(&MOTO, "ocean-kinesis conformance on 1 shard") else {
        return;
    };
    let (stream, _) = stream_on(&url, 1).await;
    ocean_conformance::stream::run_all(&stream).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_on_four_shards() {
    let Some(url) = servers::server(&MOTO, "ocean-kinesis conformance on 4 shards") else {
        return;
    };
    let (stream, _) = stream_on(&url, 4).await;
    ocean_conformance::stream::run_all(&stream).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn checkpoints_survive_a_new_instance() {
    let Some(url) = servers::server(&MOTO, "ocean-kinesis durable checkpoints") else {
        return;
    };
    let (first, table) = stream_on(&url, 2).await;
    let name = unique("st-durable");
    first
        .append(&name, vec![record("a", "one"), record("b", "two")])
        .await
        .expect("append");
    let batch = first.read(&name, None, 10).await.expect("read");
    assert_eq!(batch.records.len(), 2);
    first
        .commit_checkpoint(&name, "tally", None, &batch.next)
        .await
        .expect("commit");

    // A new process: a new client, the same table.
    let second = backend(&url, &table, 2);
    second
        .create_checkpoint_table()
        .await
        .expect("create the table again (idempotent)");
    let checkpoint = second.checkpoint(&name, "tally").await.expect("checkpoint");
    assert_eq!(checkpoint.as_ref(), Some(&batch.next));
    second
        .append(&name, vec![record("a", "three")])
        .await
        .expect("append");
    let later = second
        .read(&name, checkpoint.as_ref(), 10)
        .await
        .expect("read from the checkpoint");
    let data: Vec<&[u8]> = later.records.iter().map(|r| r.data.as_slice()).collect();
    assert_eq!(data, [b"three"], "only the record after the checkpoint");
    let result = second
        .commit_checkpoint(&name, "tally", None, &later.next)
        .await;
    ocean_conformance::assert_kind(&result, ocean::ErrorKind::Conflict, "stale expectation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn records_spread_over_shards_are_all_read_in_key_order() {
    let Some(url) = servers::server(&MOTO, "ocean-kinesis shards") else {
        return;
    };
    let (stream, _) = stream_on(&url, 4).await;
    let name = unique("st-spread");
    let keys: Vec<String> = (0..40).map(|i| format!("match-{i}")).collect();
    let appended: Vec<NewRecord> = (0..3)
        .flat_map(|round| {
            keys.iter()
                .map(move |key| record(key, &format!("{key}/{round}")))
        })
        .collect();
    stream
        .append(&name, appended.clone())
        .await
        .expect("append");

    let mut read = Vec::new();
    let mut after: Option<Position> = None;
    for _ in 0..100 {
        let batch = stream.read(&name, after.as_ref(), 7).await.expect("read");
        assert!(batch.records.len() <= 7);
        let done = batch.records.is_empty();
        read.extend(batch.records);
        after = Some(batch.next);
        if done && read.len() == appended.len() {
            break;
        }
    }
    assert_eq!(read.len(), appended.len(), "every record once");
    for key in &keys {
        let for_key: Vec<&[u8]> = read
            .iter()
            .filter(|r| &r.partition_key == key)
            .map(|r| r.data.as_slice())
            .collect();
        let expected: Vec<Vec<u8>> = (0..3)
            .map(|round| format!("{key}/{round}").into_bytes())
            .collect();
        assert_eq!(for_key, expected, "key {key} in append order");
    }
    let position = after.expect("a position");
    let shards_read: HashSet<&str> = position
        .0
        .split(';')
        .skip(1)
        .filter_map(|part| part.split_once('=').map(|(shard, _)| shard))
        .collect();
    assert_eq!(
        shards_read.len(),
        4,
        "40 keys reach every shard: {position:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn positions_from_elsewhere_are_invalid() {
    let Some(url) = servers::server(&MOTO, "ocean-kinesis foreign positions") else {
        return;
    };
    let (stream, _) = stream_on(&url, 1).await;
    let name = unique("st-garbage");
    for garbage in ["", "42", "v1;shardId-0=abc", "{\"shard\":1}"] {
        let position = Position(garbage.to_owned());
        let result = stream.read(&name, Some(&position), 10).await;
        ocean_conformance::assert_kind(&result, ocean::ErrorKind::Invalid, garbage);
        let result = stream.commit_checkpoint(&name, "c", None, &position).await;
        ocean_conformance::assert_kind(&result, ocean::ErrorKind::Invalid, garbage);
    }
}
