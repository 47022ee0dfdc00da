//! The embedded stream against the stream conformance suite, plus what only a local file can
//! show: durability across reopening, and checkpoint races between two open instances.

use ocean::Stream;
use ocean::stream::{NewRecord, Position};
use ocean_embedded::EmbeddedStream;

/// A record with a UTF-8 payload.
fn record(partition_key: &str, data: &str) -> NewRecord {
    NewRecord {
        partition_key: partition_key.to_owned(),
        data: data.as_bytes().to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stream = EmbeddedStream::open(dir.path()).expect("open stream");
    ocean_conformance::stream::run_all(&stream).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn records_and_checkpoints_survive_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let appended = vec![record("a", "one"), record("b", "two"), record("a", "three")];
    let position = {
        let stream = EmbeddedStream::open(dir.path()).expect("open stream");
        stream
            .append("votes", appended.clone())
            .await
            .expect("append");
        let batch = stream.read("votes", None, 10).await.expect("read");
        stream
            .commit_checkpoint("votes", "tally", None, &batch.next)
            .await
            .expect("commit");
        batch.next
    };

    let stream = EmbeddedStream::open(dir.path()).expect("reopen stream");
    let batch = stream
        .read("votes", None, 10)
        .await
        .expect("read after reopening");
    let data: Vec<&[u8]> = batch.records.iter().map(|r| r.data.as_slice()).collect();
    let expected: Vec<&[u8]> = appended.iter().map(|r| r.data.as_slice()).collect();
    assert_eq!(
        data, expected,
        "appended records survive reopening, in order"
    );
    let checkpoint = stream
        .checkpoint("votes", "tally")
        .await
        .expect("checkpoint");
    assert_eq!(
        checkpoint,
        Some(position.clone()),
        "checkpoints survive reopening"
    );

    stream
        .append("votes", vec![record("c", "four")])
        .await
        .expect("append after reopening");
    let batch = stream
        .read("votes", Some(&position), 10)
        .await
        .expect("read after the checkpoint");
    assert_eq!(
        batch.records.len(),
        1,
        "numbering continues after reopening"
    );
    assert_eq!(batch.records[0].data, b"four");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_follow_append_order_across_partition_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stream = EmbeddedStream::open(dir.path()).expect("open stream");
    let appended: Vec<NewRecord> = (0..30)
        .map(|i| record(&format!("k{}", i % 4), &format!("{i}")))
        .collect();
    for chunk in appended.chunks(7) {
        stream.append("tags", chunk.to_vec()).await.expect("append");
    }
    let batch = stream.read("tags", None, 100).await.expect("read");
    let data: Vec<&[u8]> = batch.records.iter().map(|r| r.data.as_slice()).collect();
    let expected: Vec<&[u8]> = appended.iter().map(|r| r.data.as_slice()).collect();
    assert_eq!(data, expected, "the embedded stream keeps one total order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn garbage_positions_are_invalid() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stream = EmbeddedStream::open(dir.path()).expect("open stream");
    let garbage = Position("not-a-position".to_owned());
    let result = stream.read("s", Some(&garbage), 10).await;
    ocean_conformance::assert_kind(&result, ocean::ErrorKind::Invalid, "read after garbage");
    let result = stream.commit_checkpoint("s", "c", None, &garbage).await;
    ocean_conformance::assert_kind(&result, ocean::ErrorKind::Invalid, "commit of garbage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_racing_to_commit_have_one_winner() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = EmbeddedStream::open(dir.path()).expect("open first instance");
    let second = EmbeddedStream::open(dir.path()).expect("open second instance");
    let records: Vec<NewRecord> = (0..40).map(|i| record("k", &format!("{i}"))).collect();
    first.append("jobs", records).await.expect("append");

    let mut expected: Option<Position> = None;
    for round in 0..20 {
        let batch = first
            .read("jobs", expected.as_ref(), 2)
            .await
            .expect("read a batch");
        let (result_first, result_second) = tokio::join!(
            first.commit_checkpoint("jobs", "worker", expected.as_ref(), &batch.next),
            second.commit_checkpoint("jobs", "worker", expected.as_ref(), &batch.next),
        );
        let results = [result_first, result_second];
        let n_winners = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(
            n_winners, 1,
            "round {round}: exactly one instance commits, got {results:?}"
        );
        for result in results.iter().filter(|r| r.is_err()) {
            ocean_conformance::assert_kind(result, ocean::ErrorKind::Conflict, "the loser");
        }
        let checkpoint = second
            .checkpoint("jobs", "worker")
            .await
            .expect("checkpoint");
        assert_eq!(
            checkpoint.as_ref(),
            Some(&batch.next),
            "round {round}: checkpoint moved"
        );
        expected = checkpoint;
    }
}
