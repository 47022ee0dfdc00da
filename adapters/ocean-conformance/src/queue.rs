//! Conformance checks for the job-queue port: send, receive and ack; visibility timeouts and
//! nacks; idempotent acks; dead-lettering after `max_receives`; batch limits; input
//! validation.
//!
//! A backend may return fewer messages than are visible (SQS samples its servers), so checks
//! that expect a message receive again until it comes (see [`MAX_RECEIVES_PER_WAIT`]), while
//! checks that expect nothing trust a single empty receive.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use ocean::queue::{Delivery, MAX_MESSAGE_BYTES, MAX_RECEIVE, MAX_VISIBILITY, dead_letter_queue};
use ocean::{ErrorKind, JobQueue};

use crate::{assert_kind, unique};

/// Most receives a check makes while waiting for messages it expects to be visible.
pub const MAX_RECEIVES_PER_WAIT: usize = 100;

/// A visibility long enough that a message stays hidden for the rest of a check.
const LONG: Duration = Duration::from_secs(120);

/// Runs every queue check, one after another, each on fresh queue names. `max_receives` is
/// the queue's configured dead-letter threshold (at least 2).
pub async fn run_all(queue: &dyn JobQueue, max_receives: u32) {
    assert!(
        max_receives >= 2,
        "run_all needs max_receives >= 2 to check redelivery, got {max_receives}"
    );
    send_receive_ack(queue).await;
    send_is_not_idempotent(queue).await;
    received_message_is_hidden(queue).await;
    concurrent_receivers_get_one_delivery(queue).await;
    zero_visibility_redelivers_at_once(queue).await;
    visibility_timeout_expires(queue).await;
    ack_is_idempotent(queue).await;
    set_visibility_after_ack_or_with_stale_receipt_is_not_found(queue).await;
    set_visibility_extends_hiding(queue).await;
    dead_letters_after_max_receives(queue, max_receives).await;
    max_messages_is_honoured(queue).await;
    queues_are_isolated(queue).await;
    receive_returns_at_once(queue).await;
    largest_inputs_are_accepted(queue).await;
    invalid_inputs_are_rejected(queue).await;
    invalid_names_are_rejected(queue).await;
}

/// Sends `body` to `name`, panicking (naming `what`) if it fails; returns the message id.
async fn send_ok(queue: &dyn JobQueue, name: &str, body: &[u8], what: &str) -> String {
    match queue.send(name, body.to_vec()).await {
        Ok(message_id) => message_id,
        Err(error) => panic!("{what}: send to {name} failed: {error:?}"),
    }
}

/// One receive of up to `max_messages`, panicking if it fails or returns too many.
async fn receive_ok(
    queue: &dyn JobQueue,
    name: &str,
    max_messages: u32,
    visibility: Duration,
) -> Vec<Delivery> {
    let deliveries = match queue.receive(name, max_messages, visibility).await {
        Ok(deliveries) => deliveries,
        Err(error) => panic!("receive from {name} failed: {error:?}"),
    };
    assert!(
        deliveries.len() <= max_messages as usize,
        "receive returns up to max_messages ({max_messages}), got {}",
        deliveries.len()
    );
    deliveries
}

/// Receives from `name` until one message comes (up to [`MAX_RECEIVES_PER_WAIT`] tries).
async fn receive_one(
    queue: &dyn JobQueue,
    name: &str,
    visibility: Duration,
    what: &str,
) -> Delivery {
    for _ in 0..MAX_RECEIVES_PER_WAIT {
        let mut deliveries = receive_ok(queue, name, 1, visibility).await;
        if let Some(delivery) = deliveries.pop() {
            return delivery;
        }
    }
    panic!("{what}: no message came from {name} in {MAX_RECEIVES_PER_WAIT} receives")
}

/// Asserts one receive from `name` returns nothing.
async fn assert_receives_nothing(queue: &dyn JobQueue, name: &str, what: &str) {
    let deliveries = receive_ok(queue, name, MAX_RECEIVE, LONG).await;
    assert!(
        deliveries.is_empty(),
        "{what}: expected no message, got {deliveries:?}"
    );
}

/// Acks `delivery`, panicking (naming `what`) if it fails.
async fn ack_ok(queue: &dyn JobQueue, name: &str, delivery: &Delivery, what: &str) {
    if let Err(error) = queue.ack(name, &delivery.receipt).await {
        panic!("{what}: ack of {:?} failed: {error:?}", delivery.receipt);
    }
}

/// Makes `delivery`'s message visible again at once (a nack), panicking if it fails.
async fn nack_ok(queue: &dyn JobQueue, name: &str, delivery: &Delivery, what: &str) {
    if let Err(error) = queue
        .set_visibility(name, &delivery.receipt, Duration::ZERO)
        .await
    {
        panic!(
            "{what}: set_visibility(zero) of {:?} failed: {error:?}",
            delivery.receipt
        );
    }
}

/// A body with every byte value, so a backend that mangles binary shows it.
fn binary_body() -> Vec<u8> {
    (0..=255u8).chain(0..=255u8).collect()
}

/// A sent message is received with its id and body and a receive count of 1, is gone once
/// acknowledged, and the send returned the id the delivery carries.
pub async fn send_receive_ack(queue: &dyn JobQueue) {
    let name = unique("q-basic");
    let body = binary_body();
    let message_id = send_ok(queue, &name, &body, "send").await;
    let delivery = receive_one(queue, &name, LONG, "receive after send").await;
    assert_eq!(
        delivery.message_id, message_id,
        "the delivery carries the id send returned"
    );
    assert_eq!(delivery.body, body, "the body arrives as sent");
    assert_eq!(
        delivery.receive_count, 1,
        "the first delivery has receive_count 1"
    );
    ack_ok(queue, &name, &delivery, "ack").await;
    assert_receives_nothing(queue, &name, "an acknowledged message is gone").await;
}

/// Sending the same body twice enqueues two messages with different ids.
pub async fn send_is_not_idempotent(queue: &dyn JobQueue) {
    let name = unique("q-twice");
    let first_id = send_ok(queue, &name, b"same", "first send").await;
    let second_id = send_ok(queue, &name, b"same", "second send").await;
    assert_ne!(
        first_id, second_id,
        "two sends make two messages with their own ids"
    );
    let mut received_ids = HashSet::new();
    for _ in 0..2 {
        let delivery = receive_one(queue, &name, LONG, "receive one of two sends").await;
        assert_eq!(delivery.body, b"same", "each copy keeps the body");
        received_ids.insert(delivery.message_id.clone());
        ack_ok(queue, &name, &delivery, "ack one of two").await;
    }
    let sent_ids = HashSet::from([first_id, second_id]);
    assert_eq!(received_ids, sent_ids, "both messages are delivered");
}

/// A received message is hidden from other receives during its visibility timeout.
pub async fn received_message_is_hidden(queue: &dyn JobQueue) {
    let name = unique("q-hidden");
    send_ok(queue, &name, b"job", "send").await;
    let delivery = receive_one(queue, &name, LONG, "first receive").await;
    assert_receives_nothing(queue, &name, "a received message is hidden").await;
    assert_receives_nothing(queue, &name, "a received message stays hidden").await;
    ack_ok(queue, &name, &delivery, "ack").await;
}

/// Receivers racing for one message: exactly one of them gets it.
pub async fn concurrent_receivers_get_one_delivery(queue: &dyn JobQueue) {
    let name = unique("q-race");
    let message_id = send_ok(queue, &name, b"contested", "send").await;
    // Make sure the message is visible to the backend's receivers before the race.
    let warmup = receive_one(queue, &name, LONG, "warm-up receive").await;
    nack_ok(queue, &name, &warmup, "warm-up nack").await;

    let results = join_all((0..4).map(|_| queue.receive(&name, MAX_RECEIVE, LONG))).await;
    let mut deliveries = Vec::new();
    for result in results {
        match result {
            Ok(batch) => deliveries.extend(batch),
            Err(error) => panic!("a racing receive failed: {error:?}"),
        }
    }
    assert!(
        deliveries.len() <= 1,
        "a message is delivered to one receiver at a time, got {deliveries:?}"
    );
    let delivery = match deliveries.pop() {
        Some(delivery) => delivery,
        None => receive_one(queue, &name, LONG, "receive after the race").await,
    };
    assert_eq!(
        delivery.message_id, message_id,
        "the raced message is the one sent"
    );
    ack_ok(queue, &name, &delivery, "ack after the race").await;
}

/// `set_visibility(zero)` makes the message deliverable again at once, with the same id and
/// body and its receive count one higher.
pub async fn zero_visibility_redelivers_at_once(queue: &dyn JobQueue) {
    let name = unique("q-nack");
    let message_id = send_ok(queue, &name, b"retry me", "send").await;
    let first = receive_one(queue, &name, LONG, "first receive").await;
    nack_ok(queue, &name, &first, "nack").await;
    let second = receive_one(queue, &name, LONG, "receive after nack").await;
    assert_eq!(
        second.message_id, message_id,
        "the message id is stable across deliveries"
    );
    assert_eq!(
        second.body, b"retry me",
        "the body is the same on redelivery"
    );
    assert_eq!(
        second.receive_count, 2,
        "the second delivery has receive_count 2"
    );
    nack_ok(queue, &name, &second, "second nack").await;
    let third = receive_one(queue, &name, LONG, "receive after second nack").await;
    assert_eq!(
        third.message_id, message_id,
        "the message id is stable across deliveries"
    );
    assert_eq!(
        third.receive_count, 3,
        "the third delivery has receive_count 3"
    );
    ack_ok(queue, &name, &third, "ack").await;
}

/// A message not acknowledged before its (1 s) visibility timeout ends is delivered again.
pub async fn visibility_timeout_expires(queue: &dyn JobQueue) {
    let name = unique("q-expire");
    let message_id = send_ok(queue, &name, b"slow", "send").await;
    let first = receive_one(queue, &name, Duration::from_secs(1), "first receive").await;
    assert_receives_nothing(queue, &name, "hidden during the 1 s visibility").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second = receive_one(queue, &name, LONG, "receive after the visibility ended").await;
    assert_eq!(second.message_id, message_id, "the same message comes back");
    assert_eq!(
        second.receive_count, 2,
        "the redelivery has receive_count 2"
    );
    assert_eq!(
        first.body, second.body,
        "the body is the same on redelivery"
    );
    ack_ok(queue, &name, &second, "ack").await;
}

/// Acking twice is fine, a receipt from an earlier delivery is never an error, and an acked
/// message never comes back.
pub async fn ack_is_idempotent(queue: &dyn JobQueue) {
    let name = unique("q-ack");
    send_ok(queue, &name, b"once", "send").await;
    let first = receive_one(queue, &name, LONG, "first receive").await;
    nack_ok(queue, &name, &first, "nack").await;
    let second = receive_one(queue, &name, LONG, "second receive").await;
    let stale = queue.ack(&name, &first.receipt).await;
    assert!(
        stale.is_ok(),
        "ack with a receipt from an earlier delivery is never an error, got {stale:?}"
    );
    ack_ok(queue, &name, &second, "ack").await;
    ack_ok(queue, &name, &second, "ack again (idempotent)").await;
    ack_ok(queue, &name, &first, "stale ack after the ack").await;
    assert_receives_nothing(queue, &name, "an acknowledged message never returns").await;
}

/// `set_visibility` on an acknowledged message, or with a receipt from an earlier delivery,
/// returns NotFound; the current receipt still works.
pub async fn set_visibility_after_ack_or_with_stale_receipt_is_not_found(queue: &dyn JobQueue) {
    let name = unique("q-stale");
    send_ok(queue, &name, b"stale", "send").await;
    let first = receive_one(queue, &name, LONG, "first receive").await;
    nack_ok(queue, &name, &first, "nack").await;
    let second = receive_one(queue, &name, LONG, "second receive").await;

    let result = queue
        .set_visibility(&name, &first.receipt, Duration::ZERO)
        .await;
    assert_kind(
        &result,
        ErrorKind::NotFound,
        "set_visibility with a stale receipt",
    );
    assert_receives_nothing(queue, &name, "a stale set_visibility changes nothing").await;

    ack_ok(queue, &name, &second, "ack").await;
    let result = queue
        .set_visibility(&name, &second.receipt, Duration::ZERO)
        .await;
    assert_kind(
        &result,
        ErrorKind::NotFound,
        "set_visibility on an acknowledged message",
    );
    assert_receives_nothing(queue, &name, "an acknowledged message stays gone").await;
}

/// A longer `set_visibility` keeps a slow job's message hidden.
pub async fn set_visibility_extends_hiding(queue: &dyn JobQueue) {
    let name = unique("q-extend");
    send_ok(queue, &name, b"slow job", "send").await;
    let delivery = receive_one(queue, &name, Duration::from_secs(5), "receive").await;
    if let Err(error) = queue.set_visibility(&name, &delivery.receipt, LONG).await {
        panic!("set_visibility to keep a slow job's message failed: {error:?}");
    }
    assert_receives_nothing(
        queue,
        &name,
        "a message kept by set_visibility stays hidden",
    )
    .await;
    ack_ok(
        queue,
        &name,
        &delivery,
        "ack with the receipt after set_visibility",
    )
    .await;
    assert_receives_nothing(queue, &name, "acknowledged after set_visibility").await;
}

/// After `max_receives` receives without ack, the next receive does not deliver the message
/// and it appears, with its body, on the dead-letter queue.
pub async fn dead_letters_after_max_receives(queue: &dyn JobQueue, max_receives: u32) {
    let name = unique("q-poison");
    let body = b"poison pill".to_vec();
    let message_id = send_ok(queue, &name, &body, "send").await;
    for receive_count in 1..=max_receives {
        let delivery = receive_one(queue, &name, LONG, "receive before dead-lettering").await;
        assert_eq!(
            delivery.message_id, message_id,
            "the same message is redelivered"
        );
        assert_eq!(
            delivery.receive_count, receive_count,
            "receive_count counts every delivery"
        );
        nack_ok(queue, &name, &delivery, "nack before dead-lettering").await;
    }
    assert_receives_nothing(
        queue,
        &name,
        "after max_receives deliveries the next receive does not deliver the message",
    )
    .await;

    let dead_name = dead_letter_queue(&name);
    let dead = receive_one(
        queue,
        &dead_name,
        LONG,
        "receive from the dead-letter queue",
    )
    .await;
    assert_eq!(dead.body, body, "the dead-lettered message keeps its body");
    assert!(
        dead.receive_count >= 1,
        "a delivery's receive_count is at least 1"
    );
    ack_ok(queue, &dead_name, &dead, "ack on the dead-letter queue").await;
    assert_receives_nothing(queue, &dead_name, "the dead letter is acknowledged").await;
    assert_receives_nothing(queue, &name, "the dead letter left its queue").await;
}

/// No receive returns more than `max_messages`, and draining with acks delivers each of 15
/// messages exactly once.
pub async fn max_messages_is_honoured(queue: &dyn JobQueue) {
    let name = unique("q-batch");
    let mut sent_ids = HashSet::new();
    for message_idx in 0..15 {
        let body = format!("message {message_idx}");
        sent_ids.insert(send_ok(queue, &name, body.as_bytes(), "send").await);
    }
    let single = receive_ok(queue, &name, 1, LONG).await;
    for delivery in &single {
        ack_ok(queue, &name, delivery, "ack of a single receive").await;
    }

    let mut received_ids: HashSet<String> = single.iter().map(|d| d.message_id.clone()).collect();
    for _ in 0..MAX_RECEIVES_PER_WAIT {
        if received_ids.len() == sent_ids.len() {
            break;
        }
        for delivery in receive_ok(queue, &name, MAX_RECEIVE, LONG).await {
            ack_ok(queue, &name, &delivery, "ack while draining").await;
            let first_time = received_ids.insert(delivery.message_id.clone());
            assert!(
                first_time,
                "an acknowledged message is never delivered again: {}",
                delivery.message_id
            );
        }
    }
    assert_eq!(received_ids, sent_ids, "draining delivers every message");
    assert_receives_nothing(queue, &name, "a drained queue is empty").await;
}

/// Queues do not share messages, and a queue's dead-letter queue starts empty.
pub async fn queues_are_isolated(queue: &dyn JobQueue) {
    let name_a = unique("q-iso-a");
    let name_b = unique("q-iso-b");
    let message_id = send_ok(queue, &name_a, b"for a", "send to a").await;
    assert_receives_nothing(queue, &name_b, "another queue's message stays there").await;
    assert_receives_nothing(
        queue,
        &dead_letter_queue(&name_a),
        "a fresh dead-letter queue",
    )
    .await;
    let delivery = receive_one(queue, &name_a, LONG, "receive from a").await;
    assert_eq!(delivery.message_id, message_id, "queue a holds its message");

    ack_ok(queue, &name_a, &delivery, "ack on a").await;
}

/// A receive on an empty queue returns at once (no long polling).
pub async fn receive_returns_at_once(queue: &dyn JobQueue) {
    let name = unique("q-empty");
    let started = Instant::now();
    assert_receives_nothing(queue, &name, "a fresh queue comes into being empty").await;
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(5),
        "receive returns at once, possibly empty; took {elapsed:?}"
    );
}

/// The largest inputs the contract allows work: a body of [`MAX_MESSAGE_BYTES`],
/// `max_messages == MAX_RECEIVE`, a visibility of [`MAX_VISIBILITY`], a 58-character queue
/// name using `_`, `-`, `.` (its dead-letter queue's name is 63 characters).
pub async fn largest_inputs_are_accepted(queue: &dyn JobQueue) {
    let name = format!("{:.<58}", unique("q_big"));
    let body = vec![9; MAX_MESSAGE_BYTES];
    let message_id = send_ok(queue, &name, &body, "a body of MAX_MESSAGE_BYTES").await;
    let mut delivery = None;
    for _ in 0..MAX_RECEIVES_PER_WAIT {
        let result = queue.receive(&name, MAX_RECEIVE, MAX_VISIBILITY).await;
        let mut deliveries = match result {
            Ok(deliveries) => deliveries,
            Err(error) => panic!("receive with MAX_RECEIVE and MAX_VISIBILITY failed: {error:?}"),
        };
        delivery = deliveries.pop();
        if delivery.is_some() {
            break;
        }
    }
    let Some(delivery) = delivery else {
        panic!("the message with a body of MAX_MESSAGE_BYTES never came");
    };
    assert_eq!(
        delivery.message_id, message_id,
        "the largest message comes back"
    );
    assert_eq!(
        delivery.body, body,
        "a body of MAX_MESSAGE_BYTES arrives whole"
    );
    ack_ok(queue, &name, &delivery, "ack of the largest message").await;
}

/// Empty or oversized bodies, `max_messages` of 0 or over [`MAX_RECEIVE`], and a visibility
/// over [`MAX_VISIBILITY`] return Invalid.
pub async fn invalid_inputs_are_rejected(queue: &dyn JobQueue) {
    let name = unique("q-invalid");
    let result = queue.send(&name, Vec::new()).await;
    assert_kind(&result, ErrorKind::Invalid, "send of an empty body");
    let result = queue.send(&name, vec![1; MAX_MESSAGE_BYTES + 1]).await;
    assert_kind(
        &result,
        ErrorKind::Invalid,
        "send of a body over MAX_MESSAGE_BYTES",
    );
    let result = queue.receive(&name, 0, LONG).await;
    assert_kind(&result, ErrorKind::Invalid, "receive of 0 messages");
    let result = queue.receive(&name, MAX_RECEIVE + 1, LONG).await;
    assert_kind(
        &result,
        ErrorKind::Invalid,
        "receive of more than MAX_RECEIVE messages",
    );
    let too_long = MAX_VISIBILITY + Duration::from_secs(1);
    let result = queue.receive(&name, 1, too_long).await;
    assert_kind(
        &result,
        ErrorKind::Invalid,
        "receive with a visibility over MAX_VISIBILITY",
    );
    assert_receives_nothing(queue, &name, "invalid sends enqueue nothing").await;
}

/// Every call rejects queue names outside [`ocean::check_name`]'s rules with Invalid.
pub async fn invalid_names_are_rejected(queue: &dyn JobQueue) {
    let good_name = unique("q-badname");
    send_ok(queue, &good_name, b"job", "send").await;
    let delivery = receive_one(queue, &good_name, LONG, "receive").await;
    let bad_names = [
        String::new(),
        "has space".to_owned(),
        "slash/name".to_owned(),
        "colon:name".to_owned(),
        "caf\u{e9}".to_owned(),
        "x".repeat(65),
    ];
    for bad in &bad_names {
        let result = queue.send(bad, b"job".to_vec()).await;
        assert_kind(
            &result,
            ErrorKind::Invalid,
            &format!("send to queue {bad:?}"),
        );
        let result = queue.receive(bad, 1, LONG).await;
        assert_kind(
            &result,
            ErrorKind::Invalid,
            &format!("receive from queue {bad:?}"),
        );
        let result = queue.ack(bad, &delivery.receipt).await;
        assert_kind(
            &result,
            ErrorKind::Invalid,
            &format!("ack on queue {bad:?}"),
        );
        let result = queue
            .set_visibility(bad, &delivery.receipt, Duration::ZERO)
            .await;
        assert_kind(
            &result,
            ErrorKind::Invalid,
            &format!("set_visibility on queue {bad:?}"),
        );
    }
    ack_ok(queue, &good_name, &delivery, "ack").await;
}
