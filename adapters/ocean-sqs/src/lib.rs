//! The job-queue port ([`ocean::JobQueue`]) on Amazon SQS standard queues: [`SqsQueue`].
//!
//! - **Names.** Port queue `name` is the SQS queue `<prefix><name>`. SQS names allow
//!   `A-Z a-z 0-9 _ -` up to 80 characters; ocean's allow `.` too, so a name with `.`, one too
//!   long with the prefix, or one ending like a hashed name becomes `<prefix><name with . as
//!   _, cut to fit>-<16 hex digits of its FNV-1a hash>` ([`SqsQueue::sqs_queue_name`]).
//! - **Dead letters.** Each queue is created with a redrive policy to its dead-letter queue
//!   ([`ocean::queue::dead_letter_queue`], itself a plain SQS queue kept 14 days) and
//!   `maxReceiveCount = max_receives`: SQS moves a message there on the receive after its
//!   `max_receives`-th, as the port says. Queues are created on first use (`GetQueueUrl`, else
//!   `CreateQueue`, URL cached) or by [`SqsQueue::create_queue`] for `init-aws`, which also
//!   resets the redrive policy of an existing queue.
//! - **Bodies.** SQS bodies are strings of XML characters. A body that already is one goes as
//!   it is (readable in the console; other producers, e.g. S3 event notifications, send such
//!   bodies and are received as their UTF-8 bytes); any other body goes as base64 with the
//!   message attribute `ocean.body-encoding = base64`. Base64 of ocean's largest body (256
//!   KiB) is 342 KiB: queues are created with `MaximumMessageSize` 1 MiB (SQS's largest since
//!   2025). A queue created elsewhere with the old 256 KiB limit refuses binary bodies over
//!   192 KiB with [`ocean::Error::Invalid`].
//! - **Receives** ask for `ApproximateReceiveCount` (the delivery's `receive_count`), use the
//!   given visibility rounded up to whole seconds, and never wait (`WaitTimeSeconds = 0`).
//!   SQS samples its servers, so a receive may return fewer messages than are visible.
//! - **Receipts** are `<message id>:<SQS receipt handle>`. `ack` is `DeleteMessage`; a handle
//!   SQS no longer knows is ignored, and SQS itself accepts a handle from an earlier delivery
//!   (it deletes the message), both allowed by the port. `set_visibility` is
//!   `ChangeMessageVisibility`; an unknown or expired handle is `NotFound`.
//!
//! **What SQS lacks: stale receipts.** SQS (AWS, and moto, which copies AWS here) accepts a
//! receipt handle from an earlier delivery of a message that is in flight again, and changes
//! the *current* delivery's visibility; the port wants `NotFound`. This adapter remembers the
//! newest handle of each message *it* received (the last 10 000 messages) and refuses an older
//! one, so within one process (one worker's tasks) a stale `set_visibility` is `NotFound`. A
//! handle made stale by a receive in *another* process is not detected: the call succeeds
//! and moves the other delivery's visibility (at-least-once delivery still holds).
//!
//! Errors map in one place, `error.rs`: throttling and transport failures are
//! [`ocean::Error::Unavailable`] (retryable; the SDK's standard retry has run), parameters
//! SQS refuses are [`ocean::Error::Invalid`], the rest [`ocean::Error::Backend`].
//!
//! Tested against moto 5.2 in server mode (the whole queue conformance suite); moto
//! implements visibility, redrive and receive counts as SQS does.

mod body;
mod error;
mod names;
pub mod queue;
mod receipts;

pub use queue::SqsQueue;
