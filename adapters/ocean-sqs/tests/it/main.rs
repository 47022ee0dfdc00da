//! The SQS queue against moto: the whole queue conformance suite, plus what only SQS shows:
//! the redrive policy on the SQS queue, bodies from other producers, hashed names, and the
//! documented limit on stale receipts across processes.

use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use ocean::JobQueue;
use ocean::queue::dead_letter_queue;
use ocean_conformance::servers::{self, MOTO};
use ocean_conformance::unique;
use ocean_sqs::SqsQueue;

/// The prefix of every queue these tests make.
const PREFIX: &str = "ocean-test-";
/// A visibility long enough to outlast a test.
const LONG: Duration = Duration::from_secs(120);

/// A queue backend on moto at `url` with dead-lettering after `max_receives`.
fn queue_on(url: &str, max_receives: u32) -> SqsQueue {
    SqsQueue::new(&ocean_aws::test_config(url), PREFIX, max_receives)
}

/// A raw SQS client on moto at `url`, to look behind the adapter.
fn sqs_client(url: &str) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&ocean_aws::test_config(url))
}

/// The URL of the SQS queue behind port queue `name`.
async fn sqs_url(client: &aws_sdk_sqs::Client, queue: &SqsQueue, name: &str) -> String {
    let sqs_name = queue.sqs_queue_name(name).expect("sqs name");
    let output = client
        .get_queue_url()
        .queue_name(sqs_name)
        .send()
        .await
        .expect("get queue url");
    output.queue_url.expect("queue url")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance() {
    let Some(url) = servers::server(&MOTO, "ocean-sqs conformance") else {
        return;
    };
    let max_receives = 5;
    ocean_conformance::queue::run_all(&queue_on(&url, max_receives), max_receives).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_with_a_low_dead_letter_threshold() {
    let Some(url) = servers::server(&MOTO, "ocean-sqs low dead-letter threshold") else {
        return;
    };
    let queue = queue_on(&url, 2);
    ocean_conformance::queue::dead_letters_after_max_receives(&queue, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_queue_is_idempotent_and_sets_the_redrive_policy() {
    let Some(url) = servers::server(&MOTO, "ocean-sqs create_queue") else {
        return;
    };
    let name = unique("q-init");
    queue_on(&url, 3).create_queue(&name).await.expect("create");
    queue_on(&url, 3)
        .create_queue(&name)
        .await
        .expect("create again");
    // Another threshold: the existing queue's policy is reset to it.
    let queue = queue_on(&url, 7);
    queue.create_queue(&name).await.expect("create with 7");

    let client = sqs_client(&url);
    let queue_url = sqs_url(&client, &queue, &name).await;
    let dead_url = sqs_url(&client, &queue, &dead_letter_queue(&name)).await;
    let attributes = client
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .expect("attributes")
        .attributes
        .expect("some attributes");
    let dead_arn = client
        .get_queue_attributes()
        .queue_url(dead_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("dead-letter attributes")
        .attributes
        .and_then(|mut attributes| attributes.remove(&QueueAttributeName::QueueArn))
        .expect("dead-letter arn");
    let redrive = &attributes[&QueueAttributeName::RedrivePolicy];
    assert!(redrive.contains(&dead_arn), "{redrive} targets {dead_arn}");
    assert!(
        redrive.replace(' ', "").contains("\"maxReceiveCount\":7"),
        "{redrive} has the newest threshold"
    );
    assert_eq!(
        attributes[&QueueAttributeName::MaximumMessageSize],
        "1048576"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bodies_from_other_producers_arrive_as_their_bytes() {
    let Some(url) = servers::server(&MOTO, "ocean-sqs foreign bodies") else {
        return;
    };
    let queue = queue_on(&url, 5);
    let name = unique("q-foreign");
    queue.create_queue(&name).await.expect("create");
    let client = sqs_client(&url);
    // What an S3 event notification looks like on the queue: JSON text, no attributes.
    let event = r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"key":"up/a"}}}]}"#;
    client
        .send_message()
        .queue_url(sqs_url(&client, &queue, &name).await)
        .message_body(event)
        .send()
        .await
        .expect("raw send");
    let deliveries = queue.receive(&name, 10, LONG).await.expect("receive");
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].body, event.as_bytes());

    // And the adapter's own text bodies go as they are, readable by other consumers.
    queue
        .send(&name, b"{\"photo\":\"ab\"}".to_vec())
        .await
        .expect("send");
    let raw = client
        .receive_message()
        .queue_url(sqs_url(&client, &queue, &name).await)
        .send()
        .await
        .expect("raw receive");
    assert_eq!(raw.messages()[0].body(), Some("{\"photo\":\"ab\"}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dotted_names_get_their_own_sqs_queues() {
    let Some(url) = servers::server(&MOTO, "ocean-sqs dotted names") else {
        return;
    };
    let queue = queue_on(&url, 5);
    let base = unique("q");
    let dotted = format!("{base}.x");
    let underscored = format!("{base}_x");
    queue
        .send(&dotted, b"dot".to_vec())
        .await
        .expect("send dot");
    queue
        .send(&underscored, b"underscore".to_vec())
        .await
        .expect("send underscore");
    assert_ne!(
        queue.sqs_queue_name(&dotted).unwrap(),
        queue.sqs_queue_name(&underscored).unwrap()
    );
    for (name, body) in [(&dotted, &b"dot"[..]), (&underscored, &b"underscore"[..])] {
        let deliveries = queue.receive(name, 10, LONG).await.expect("receive");
        let bodies: Vec<&[u8]> = deliveries.iter().map(|d| d.body.as_slice()).collect();
        assert_eq!(bodies, [body], "queue {name} holds only its own message");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_receipt_made_stale_by_another_process_is_not_detected() {
    let Some(url) = servers::server(&MOTO, "ocean-sqs stale receipt across processes") else {
        return;
    };
    let first_worker = queue_on(&url, 5);
    let second_worker = queue_on(&url, 5);
    let name = unique("q-stale2");
    first_worker
        .send(&name, b"job".to_vec())
        .await
        .expect("send");
    let first = first_worker.receive(&name, 1, LONG).await.expect("receive");
    first_worker
        .set_visibility(&name, &first[0].receipt, Duration::ZERO)
        .await
        .expect("nack");
    let second = second_worker
        .receive(&name, 1, LONG)
        .await
        .expect("receive in the other process");
    assert_eq!(second[0].receive_count, 2);

    // The documented limit: SQS accepts the first worker's old handle and moves the second
    // worker's delivery; within one process the same call is NotFound (the suite checks it).
    let stale = first_worker
        .set_visibility(&name, &first[0].receipt, Duration::ZERO)
        .await;
    assert!(stale.is_ok(), "SQS accepts an old handle: {stale:?}");
    let again = first_worker
        .receive(&name, 1, LONG)
        .await
        .expect("receive again");
    assert_eq!(again.len(), 1, "the stale call made the message visible");
    first_worker
        .ack(&name, &again[0].receipt)
        .await
        .expect("ack");
}
