//! [`SqsQueue`]: the job-queue port on SQS standard queues.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use ocean::queue::{
    Delivery, MAX_MESSAGE_BYTES, MAX_RECEIVE, MAX_VISIBILITY, Receipt, dead_letter_queue,
};
use ocean::{Error, JobQueue, Result, check_name};

use crate::body::{self, ENCODING_ATTRIBUTE};
use crate::error::{SqsFailure, malformed, sqs_failure};
use crate::names::sqs_queue_name;
use crate::receipts::{self, NewestHandles};

/// `MaximumMessageSize` of the queues this adapter creates: SQS's largest, 1 MiB, which
/// holds a base64 body of [`MAX_MESSAGE_BYTES`].
pub const SQS_MAX_MESSAGE_SIZE: u32 = 1024 * 1024;
/// `MessageRetentionPeriod` of the dead-letter queues it creates: SQS's longest, 14 days,
/// so a dead letter outlives its original's retention (4 days by default).
pub const DEAD_LETTER_RETENTION_SECONDS: u32 = 14 * 24 * 60 * 60;
/// Largest `maxReceiveCount` SQS accepts in a redrive policy.
pub const MAX_RECEIVES_LIMIT: u32 = 1000;

/// The job-queue port on Amazon SQS standard queues.
///
/// Port queue `name` is the SQS queue `<prefix><name>` (names with `.` or too long for SQS's
/// 80 characters get a hashed form, see the crate docs); its dead-letter queue
/// [`dead_letter_queue`]`(name)` is an SQS queue named the same way, target of `name`'s
/// redrive policy with `maxReceiveCount = max_receives`. Queues are created on first use
/// (their URLs cached) or ahead of time by [`SqsQueue::create_queue`].
pub struct SqsQueue {
    /// The SQS client.
    client: Client,
    /// Prefix of every SQS queue name.
    queue_prefix: String,
    /// Receives before SQS moves a message to the dead-letter queue.
    max_receives: u32,
    /// Port queue name -> SQS queue URL, for queues known to exist.
    urls: Mutex<HashMap<String, String>>,
    /// The newest receipt handle of each message received here (stale-receipt checks).
    handles: Mutex<NewestHandles>,
}

impl fmt::Debug for SqsQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqsQueue")
            .field("queue_prefix", &self.queue_prefix)
            .field("max_receives", &self.max_receives)
            .field("n_known_queues", &lock(&self.urls).len())
            .finish_non_exhaustive()
    }
}

/// Locks `mutex`, carrying on past a poisoned lock (the maps stay consistent: every update
/// is a single insert or remove).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SqsQueue {
    /// A queue backend on the SQS of `config`. `queue_prefix` (up to 40 of `A-Z a-z 0-9 _ -`,
    /// e.g. `localpictourney-`) starts every SQS queue name; `max_receives` (1 to 1000) is
    /// the dead-letter threshold written into each queue's redrive policy. Both are checked on
    /// first use ([`Error::Invalid`]).
    pub fn new(
        config: &aws_config::SdkConfig,
        queue_prefix: impl Into<String>,
        max_receives: u32,
    ) -> Self {
        SqsQueue {
            client: Client::new(config),
            queue_prefix: queue_prefix.into(),
            max_receives,
            urls: Mutex::new(HashMap::new()),
            handles: Mutex::new(NewestHandles::default()),
        }
    }

    /// Creates port queue `name` and its dead-letter queue if missing, and sets its redrive
    /// policy to this backend's `max_receives` if it exists (for the `init-aws` command).
    /// Idempotent.
    pub async fn create_queue(&self, name: &str) -> Result<()> {
        check_name("queue", name)?;
        let url = self.create_with_dead_letter_queue(name).await?;
        lock(&self.urls).insert(name.to_owned(), url);
        Ok(())
    }

    /// The SQS queue name of port queue `name` (`<prefix><name>` or its hashed form).
    pub fn sqs_queue_name(&self, name: &str) -> Result<String> {
        sqs_queue_name(&self.queue_prefix, name)
    }

    /// The URL of port queue `name`, creating the queue (and its dead-letter queue) if it
    /// does not exist.
    async fn url(&self, name: &str) -> Result<String> {
        if let Some(url) = lock(&self.urls).get(name) {
            return Ok(url.clone());
        }
        let sqs_name = self.sqs_queue_name(name)?;
        let url = match self.existing_url(&sqs_name).await {
            Ok(url) => url,
            Err(SqsFailure::QueueMissing) => self.create_with_dead_letter_queue(name).await?,
            Err(failure) => return Err(failure.into_error(name)),
        };
        lock(&self.urls).insert(name.to_owned(), url.clone());
        Ok(url)
    }

    /// The URL of the existing SQS queue `sqs_name`.
    async fn existing_url(&self, sqs_name: &str) -> Result<String, SqsFailure> {
        let output = self
            .client
            .get_queue_url()
            .queue_name(sqs_name)
            .send()
            .await
            .map_err(|error| sqs_failure("queue", error))?;
        output
            .queue_url
            .ok_or_else(|| SqsFailure::Other(malformed("GetQueueUrl returned no URL")))
    }

    /// Creates (or finds) `name`'s dead-letter queue, then `name` with a redrive policy to
    /// it; if `name` exists already, sets that redrive policy on it. Returns `name`'s URL.
    async fn create_with_dead_letter_queue(&self, name: &str) -> Result<String> {
        if !(1..=MAX_RECEIVES_LIMIT).contains(&self.max_receives) {
            return Err(Error::invalid(
                "max_receives",
                format!(
                    "{}: SQS redrives after 1 to {MAX_RECEIVES_LIMIT} receives",
                    self.max_receives
                ),
            ));
        }
        let sqs_name = self.sqs_queue_name(name)?;
        let dead_name = dead_letter_queue(name);
        let dead_sqs_name = self.sqs_queue_name(&dead_name)?;
        let dead_url = self
            .create_dead_letter_queue(&dead_sqs_name, &dead_name)
            .await?;
        let dead_arn = self.queue_arn(&dead_url, &dead_name).await?;
        let redrive_policy = format!(
            r#"{{"deadLetterTargetArn":"{dead_arn}","maxReceiveCount":"{}"}}"#,
            self.max_receives
        );

        let created = self
            .client
            .create_queue()
            .queue_name(&sqs_name)
            .attributes(
                QueueAttributeName::MaximumMessageSize,
                SQS_MAX_MESSAGE_SIZE.to_string(),
            )
            .attributes(QueueAttributeName::RedrivePolicy, redrive_policy.clone())
            .send()
            .await;
        match created {
            Ok(output) => output
                .queue_url
                .ok_or_else(|| malformed("CreateQueue returned no URL")),
            Err(error) => match sqs_failure("queue", error) {
                SqsFailure::QueueExists => {
                    let url = self
                        .existing_url(&sqs_name)
                        .await
                        .map_err(|failure| failure.into_error(name))?;
                    self.client
                        .set_queue_attributes()
                        .queue_url(&url)
                        .attributes(QueueAttributeName::RedrivePolicy, redrive_policy)
                        .send()
                        .await
                        .map_err(|error| sqs_failure("queue", error).into_error(name))?;
                    Ok(url)
                }
                failure => Err(failure.into_error(name)),
            },
        }
    }

    /// Creates the dead-letter queue `sqs_name` (port name `name`), or finds it when it
    /// exists (with these attributes or others); returns its URL.
    async fn create_dead_letter_queue(&self, sqs_name: &str, name: &str) -> Result<String> {
        let created = self
            .client
            .create_queue()
            .queue_name(sqs_name)
            .attributes(
                QueueAttributeName::MaximumMessageSize,
                SQS_MAX_MESSAGE_SIZE.to_string(),
            )
            .attributes(
                QueueAttributeName::MessageRetentionPeriod,
                DEAD_LETTER_RETENTION_SECONDS.to_string(),
            )
            .send()
            .await;
        match created {
            Ok(output) => output
                .queue_url
                .ok_or_else(|| malformed("CreateQueue returned no URL")),
            Err(error) => match sqs_failure("queue", error) {
                SqsFailure::QueueExists => self
                    .existing_url(sqs_name)
                    .await
                    .map_err(|failure| failure.into_error(name)),
                failure => Err(failure.into_error(name)),
            },
        }
    }

    /// The ARN of the queue at `url` (port name `name`).
    async fn queue_arn(&self, url: &str, name: &str) -> Result<String> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|error| sqs_failure("queue", error).into_error(name))?;
        output
            .attributes
            .and_then(|mut attributes| attributes.remove(&QueueAttributeName::QueueArn))
            .ok_or_else(|| malformed(format!("no QueueArn for queue {name}")))
    }

    /// The ocean error for `failure` on `queue`, forgetting the queue's URL when the queue
    /// has gone (the next call creates it again).
    fn error(&self, queue: &str, failure: SqsFailure) -> Error {
        if matches!(failure, SqsFailure::QueueMissing) {
            lock(&self.urls).remove(queue);
        }
        failure.into_error(queue)
    }
}

/// Whole seconds for SQS, rounded up so a message stays hidden at least `visibility`;
/// [`Error::Invalid`] over [`MAX_VISIBILITY`].
fn visibility_seconds(visibility: Duration) -> Result<i32> {
    if visibility > MAX_VISIBILITY {
        return Err(Error::invalid(
            "visibility",
            format!("{visibility:?}: at most {MAX_VISIBILITY:?}"),
        ));
    }
    let seconds = visibility.as_secs() + u64::from(visibility.subsec_nanos() > 0);
    i32::try_from(seconds).map_err(|_| Error::invalid("visibility", "too long"))
}

#[async_trait]
impl JobQueue for SqsQueue {
    async fn send(&self, queue: &str, body: Vec<u8>) -> Result<String> {
        check_name("queue", queue)?;
        if body.is_empty() || body.len() > MAX_MESSAGE_BYTES {
            return Err(Error::invalid(
                "body",
                format!("{} bytes: send 1 to {MAX_MESSAGE_BYTES}", body.len()),
            ));
        }
        let url = self.url(queue).await?;
        let encoded = body::encode(body);
        let mut request = self
            .client
            .send_message()
            .queue_url(url)
            .message_body(encoded.text);
        if let Some(encoding) = encoded.encoding {
            request = request.message_attributes(ENCODING_ATTRIBUTE, encoding);
        }
        let output = request
            .send()
            .await
            .map_err(|error| self.error(queue, sqs_failure("body", error)))?;
        output
            .message_id
            .ok_or_else(|| malformed("SendMessage returned no message id"))
    }

    async fn receive(
        &self,
        queue: &str,
        max_messages: u32,
        visibility: Duration,
    ) -> Result<Vec<Delivery>> {
        check_name("queue", queue)?;
        if !(1..=MAX_RECEIVE).contains(&max_messages) {
            return Err(Error::invalid(
                "max_messages",
                format!("{max_messages}: receive 1 to {MAX_RECEIVE}"),
            ));
        }
        let visibility = visibility_seconds(visibility)?;
        let url = self.url(queue).await?;
        let output = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(max_messages as i32)
            .visibility_timeout(visibility)
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_attribute_names(ENCODING_ATTRIBUTE)
            .send()
            .await
            .map_err(|error| self.error(queue, sqs_failure("receive", error)))?;

        let mut deliveries = Vec::new();
        for message in output.messages() {
            let (Some(message_id), Some(handle)) = (message.message_id(), message.receipt_handle())
            else {
                return Err(malformed(
                    "ReceiveMessage returned a message without id or handle",
                ));
            };
            let receive_count = message
                .attributes()
                .and_then(|attributes| {
                    attributes.get(&MessageSystemAttributeName::ApproximateReceiveCount)
                })
                .and_then(|count| count.parse::<u32>().ok())
                .ok_or_else(|| malformed(format!("message {message_id} has no receive count")))?;
            deliveries.push(Delivery {
                message_id: message_id.to_owned(),
                receipt: receipts::receipt(message_id, handle),
                receive_count,
                body: body::decode(message)?,
            });
        }
        let mut handles = lock(&self.handles);
        for delivery in &deliveries {
            if let Ok((message_id, handle)) = receipts::parse(&delivery.receipt) {
                handles.received(message_id, handle);
            }
        }
        Ok(deliveries)
    }

    async fn ack(&self, queue: &str, receipt: &Receipt) -> Result<()> {
        check_name("queue", queue)?;
        let (message_id, handle) = receipts::parse(receipt)?;
        let url = self.url(queue).await?;
        let deleted = self
            .client
            .delete_message()
            .queue_url(url)
            .receipt_handle(handle)
            .send()
            .await;
        match deleted {
            // Deleted now, or before (SQS accepts a handle of a deleted message), or the
            // handle is one SQS no longer knows: the port never makes a stale ack an error.
            Ok(_) => {}
            Err(error) => match sqs_failure("receipt", error) {
                SqsFailure::ReceiptInvalid => {}
                failure => return Err(self.error(queue, failure)),
            },
        }
        lock(&self.handles).deleted(message_id);
        Ok(())
    }

    async fn set_visibility(
        &self,
        queue: &str,
        receipt: &Receipt,
        visibility: Duration,
    ) -> Result<()> {
        check_name("queue", queue)?;
        let visibility = visibility_seconds(visibility)?;
        let (message_id, handle) = receipts::parse(receipt)?;
        let not_found = || Error::not_found(format!("delivery {message_id} on queue {queue}"));
        if lock(&self.handles).is_stale(message_id, handle) {
            return Err(not_found());
        }
        let url = self.url(queue).await?;
        let changed = self
            .client
            .change_message_visibility()
            .queue_url(url)
            .receipt_handle(handle)
            .visibility_timeout(visibility)
            .send()
            .await;
        match changed {
            Ok(_) => Ok(()),
            Err(error) => match sqs_failure("visibility", error) {
                SqsFailure::ReceiptInvalid => Err(not_found()),
                failure => Err(self.error(queue, failure)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_rounds_up_to_whole_seconds_and_has_a_limit() {
        assert_eq!(visibility_seconds(Duration::ZERO).unwrap(), 0);
        assert_eq!(visibility_seconds(Duration::from_millis(1500)).unwrap(), 2);
        assert_eq!(visibility_seconds(MAX_VISIBILITY).unwrap(), 43_200);
        let error = visibility_seconds(MAX_VISIBILITY + Duration::from_millis(1)).unwrap_err();
        assert_eq!(error.kind(), ocean::ErrorKind::Invalid);
    }
}
