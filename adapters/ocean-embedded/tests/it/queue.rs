//! The embedded queue against the queue conformance suite, plus what only a local file can
//! show: durability across reopening, exact batch sizes, and two open instances draining one
//! queue without sharing a delivery.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use ocean::JobQueue;
use ocean::queue::dead_letter_queue;
use ocean_embedded::EmbeddedQueue;
use ocean_embedded::queue::QueueOptions;

/// A visibility long enough to outlast a test.
const LONG: Duration = Duration::from_secs(120);

/// Opens the queue store in `dir` with the default options.
fn open(dir: &Path) -> EmbeddedQueue {
    EmbeddedQueue::open(dir, QueueOptions::default()).expect("open queue")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = QueueOptions::default();
    let queue = EmbeddedQueue::open(dir.path(), options).expect("open queue");
    ocean_conformance::queue::run_all(&queue, options.max_receives).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_with_a_low_dead_letter_threshold() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = QueueOptions { max_receives: 3 };
    let queue = EmbeddedQueue::open(dir.path(), options).expect("open queue");
    ocean_conformance::queue::dead_letters_after_max_receives(&queue, options.max_receives).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn zero_max_receives_is_invalid() {
    let dir = tempfile::tempdir().expect("temp dir");
    let result = EmbeddedQueue::open(dir.path(), QueueOptions { max_receives: 0 });
    ocean_conformance::assert_kind(&result, ocean::ErrorKind::Invalid, "max_receives 0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn messages_and_deliveries_survive_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (waiting_id, in_flight_id) = {
        let queue = open(dir.path());
        let in_flight_id = queue.send("media", b"first".to_vec()).await.expect("send");
        let waiting_id = queue.send("media", b"second".to_vec()).await.expect("send");
        let deliveries = queue.receive("media", 1, LONG).await.expect("receive");
        assert_eq!(deliveries.len(), 1);
        assert_eq!(deliveries[0].message_id, in_flight_id, "oldest first");
        (waiting_id, in_flight_id)
    };

    let queue = open(dir.path());
    let deliveries = queue
        .receive("media", 10, LONG)
        .await
        .expect("receive after reopening");
    let ids: Vec<&str> = deliveries.iter().map(|d| d.message_id.as_str()).collect();
    assert_eq!(
        ids,
        [waiting_id.as_str()],
        "a waiting message survives reopening and an in-flight one ({in_flight_id}) stays hidden"
    );
    assert_eq!(deliveries[0].body, b"second");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn receive_fills_the_batch_and_dead_letters_reset_the_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let queue = EmbeddedQueue::open(dir.path(), QueueOptions { max_receives: 1 }).expect("open");
    for message_idx in 0..15 {
        let body = format!("job {message_idx}");
        queue.send("sync", body.into_bytes()).await.expect("send");
    }
    let first = queue
        .receive("sync", 10, Duration::ZERO)
        .await
        .expect("receive");
    assert_eq!(
        first.len(),
        10,
        "the embedded queue fills the batch when it can"
    );
    let bodies: Vec<String> = first
        .iter()
        .map(|d| String::from_utf8_lossy(&d.body).into_owned())
        .collect();
    let expected: Vec<String> = (0..10).map(|i| format!("job {i}")).collect();
    assert_eq!(bodies, expected, "oldest first");

    // The 10 delivered (and visible again) are dead-lettered; the other 5 are delivered.
    let second = queue.receive("sync", 10, LONG).await.expect("receive");
    assert_eq!(second.len(), 5, "dead-lettering leaves room for the rest");
    let dead_queue = dead_letter_queue("sync");
    let dead = queue
        .receive(&dead_queue, 10, LONG)
        .await
        .expect("receive dead");
    assert_eq!(
        dead.len(),
        10,
        "every over-delivered message is dead-lettered"
    );
    assert!(
        dead.iter().all(|d| d.receive_count == 1),
        "the dead-letter queue counts its own receives"
    );
    let dead_ids: HashSet<&str> = dead.iter().map(|d| d.message_id.as_str()).collect();
    let first_ids: HashSet<&str> = first.iter().map(|d| d.message_id.as_str()).collect();
    assert_eq!(dead_ids, first_ids, "dead letters keep their message ids");
}

/// Drains `queue_name` from `queue`, acking every delivery, until a receive returns nothing;
/// returns the ids received.
async fn drain(queue: &EmbeddedQueue, queue_name: &str) -> Vec<String> {
    let mut ids = Vec::new();
    loop {
        let deliveries = queue.receive(queue_name, 10, LONG).await.expect("receive");
        if deliveries.is_empty() {
            return ids;
        }
        for delivery in deliveries {
            queue.ack(queue_name, &delivery.receipt).await.expect("ack");
            ids.push(delivery.message_id);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_never_share_a_delivery() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = open(dir.path());
    let second = open(dir.path());
    let mut sent_ids = HashSet::new();
    for message_idx in 0..200 {
        let body = format!("job {message_idx}").into_bytes();
        sent_ids.insert(first.send("shared", body).await.expect("send"));
    }

    // Two drainers per instance, so receives race within each instance and across the two.
    let drained = tokio::join!(
        drain(&first, "shared"),
        drain(&second, "shared"),
        drain(&first, "shared"),
        drain(&second, "shared"),
    );
    let drained_ids = [drained.0, drained.1, drained.2, drained.3].concat();
    let mut received_ids = HashSet::new();
    for id in &drained_ids {
        assert!(
            received_ids.insert(id.clone()),
            "message {id} was delivered twice"
        );
    }
    assert_eq!(
        received_ids, sent_ids,
        "every message is delivered exactly once"
    );
}
