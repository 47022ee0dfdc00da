//! The job-queue port: messages received with a visibility timeout, acknowledged when done,
//! dead-lettered after too many receives (SQS's shape), for media processing and profile syncs.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;

/// Largest message body, in bytes (SQS's limit).
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// Most messages one [`JobQueue::receive`] returns (SQS's limit).
pub const MAX_RECEIVE: u32 = 10;
/// Longest visibility timeout (SQS's limit, 12 hours).
pub const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 60 * 60);

/// A received message, hidden from other receivers until its visibility timeout ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The message's id, the same on every delivery.
    pub message_id: String,
    /// This delivery's handle for [`JobQueue::ack`] and [`JobQueue::set_visibility`].
    pub receipt: Receipt,
    /// How many times the message has been received, this time included (1 the first time).
    pub receive_count: u32,
    /// The body as sent.
    pub body: Vec<u8>,
}

/// A handle on one delivery of a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Receipt(pub String);

/// Work items with at-least-once delivery.
///
/// A message is delivered to one receiver at a time; if it is not acknowledged before its
/// visibility timeout ends, it is delivered again. After the queue's `max_receives`
/// (a setting), the next receive moves it to the queue's dead-letter queue, named
/// [`dead_letter_queue`]`(queue)`, instead of delivering it. Order is best-effort. Queues
/// come into being on first use.
#[async_trait]
pub trait JobQueue: Send + Sync + fmt::Debug + 'static {
    /// Enqueues a message durably (1 to [`MAX_MESSAGE_BYTES`] bytes) and returns its id.
    /// Not idempotent: sending twice enqueues two messages.
    async fn send(&self, queue: &str, body: Vec<u8>) -> Result<String>;

    /// Up to `max_messages` (1 to [`MAX_RECEIVE`]) visible messages, each hidden for
    /// `visibility` (at most [`MAX_VISIBILITY`]). Returns at once, possibly empty.
    async fn receive(
        &self,
        queue: &str,
        max_messages: u32,
        visibility: Duration,
    ) -> Result<Vec<Delivery>>;

    /// Deletes the delivered message: done. Idempotent; a receipt from an earlier delivery
    /// may still delete the message or be ignored, never an error.
    async fn ack(&self, queue: &str, receipt: &Receipt) -> Result<()>;

    /// Hides the delivered message for `visibility` (at most [`MAX_VISIBILITY`]) from now
    /// (zero: deliver again at once, a "nack"; longer: a slow job keeps it). [`crate::Error::NotFound`] if the message was
    /// acknowledged or the receipt is stale.
    async fn set_visibility(
        &self,
        queue: &str,
        receipt: &Receipt,
        visibility: Duration,
    ) -> Result<()>;
}

/// The name of `queue`'s dead-letter queue, where messages received too often end up; read it
/// like any queue. It is 5 characters longer than `queue`, so queue names that need a
/// dead-letter queue stay within 59 characters.
pub fn dead_letter_queue(queue: &str) -> String {
    format!("{queue}-dead")
}
