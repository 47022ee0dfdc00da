//! The job-queue port on SQLite: one messages table holding every queue (dead-letter queues
//! included), where receiving hides a message by moving its `visible_at` time forward.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use ocean::queue::{
    Delivery, MAX_MESSAGE_BYTES, MAX_RECEIVE, MAX_VISIBILITY, Receipt, dead_letter_queue,
};
use ocean::{Error, JobQueue, Result, check_name};
use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use crate::db::{Db, prepare};
use crate::error::{from_io, from_sqlite};

/// One table for all queues. `visible_at` is in milliseconds since the Unix epoch; `receipt`
/// names the current delivery (`<message_id>.<receive_count>`), NULL before the first.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS queue_messages (
    id INTEGER PRIMARY KEY,
    queue TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL,
    receive_count INTEGER NOT NULL,
    visible_at INTEGER NOT NULL,
    receipt TEXT
);
CREATE INDEX IF NOT EXISTS queue_messages_visible ON queue_messages (queue, visible_at, id);
CREATE INDEX IF NOT EXISTS queue_messages_receipt ON queue_messages (receipt)
    WHERE receipt IS NOT NULL;
";

/// Settings of the embedded queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueOptions {
    /// Deliveries of a message before the next receive moves it to the dead-letter queue
    /// instead (at least 1).
    pub max_receives: u32,
}

impl Default for QueueOptions {
    /// Five deliveries, then the dead-letter queue.
    fn default() -> Self {
        QueueOptions { max_receives: 5 }
    }
}

/// The embedded queue backend: `<dir>/queue.sqlite3`. Each receive is one IMMEDIATE
/// transaction, so two receivers (even in two processes) never get the same delivery.
/// Messages come oldest-visible first.
#[derive(Debug, Clone)]
pub struct EmbeddedQueue {
    db: Arc<Db>,
    options: QueueOptions,
}

impl EmbeddedQueue {
    /// Opens (creating `dir` and the database if needed) the queue store in `dir`.
    /// Blocking: call it before serving.
    pub fn open(dir: &Path, options: QueueOptions) -> Result<EmbeddedQueue> {
        if options.max_receives == 0 {
            return Err(Error::invalid(
                "max_receives",
                "0: allow at least 1 delivery before dead-lettering",
            ));
        }
        std::fs::create_dir_all(dir).map_err(|e| from_io(e, "queue data directory"))?;
        let db = Db::open(&dir.join("queue.sqlite3"), SCHEMA)?;
        Ok(EmbeddedQueue { db, options })
    }
}

/// Milliseconds since the Unix epoch, now.
fn now_millis() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    duration_millis(since_epoch)
}

/// `duration` in whole milliseconds (saturating; visibilities are at most 12 hours).
fn duration_millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// A message id unique across processes: the time in nanoseconds, the process id and a
/// per-process counter.
fn new_message_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{nanos:x}-{:x}-{n:x}", std::process::id())
}

/// The receipt of delivery number `receive_count` of `message_id`.
fn receipt_for(message_id: &str, receive_count: u32) -> String {
    format!("{message_id}.{receive_count}")
}

/// Checks a visibility timeout: at most [`MAX_VISIBILITY`].
fn check_visibility(visibility: Duration) -> Result<()> {
    if visibility > MAX_VISIBILITY {
        return Err(Error::invalid(
            "visibility",
            format!("{visibility:?}: at most {MAX_VISIBILITY:?}"),
        ));
    }
    Ok(())
}

/// A visible message picked by a receive.
struct Candidate {
    id: i64,
    message_id: String,
    body: Vec<u8>,
    receive_count: u32,
}

/// Up to `limit` messages of `queue` visible at `now`, oldest-visible first.
fn visible_candidates(
    transaction: &Transaction<'_>,
    queue: &str,
    now: i64,
    limit: usize,
) -> Result<Vec<Candidate>> {
    let mut statement = prepare(
        transaction,
        "SELECT id, message_id, body, receive_count FROM queue_messages
             WHERE queue = ?1 AND visible_at <= ?2 ORDER BY visible_at, id LIMIT ?3",
    )
    .map_err(from_sqlite)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = statement
        .query_map(params![queue, now, limit], |row| {
            Ok(Candidate {
                id: row.get(0)?,
                message_id: row.get(1)?,
                body: row.get(2)?,
                receive_count: row.get(3)?,
            })
        })
        .map_err(from_sqlite)?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(from_sqlite)
}

/// Moves message `id` to `dead_queue`, visible at once, as never received.
fn dead_letter(transaction: &Transaction<'_>, id: i64, dead_queue: &str, now: i64) -> Result<()> {
    prepare(
        transaction,
        "UPDATE queue_messages SET queue = ?2, receive_count = 0, visible_at = ?3,
             receipt = NULL WHERE id = ?1",
    )
    .and_then(|mut statement| statement.execute(params![id, dead_queue, now]))
    .map_err(from_sqlite)?;
    Ok(())
}

/// Delivers `candidate`: counts the receive, hides it until `visible_at`, and gives it a
/// fresh receipt.
fn deliver(
    transaction: &Transaction<'_>,
    candidate: Candidate,
    visible_at: i64,
) -> Result<Delivery> {
    let receive_count = candidate.receive_count + 1;
    let receipt = receipt_for(&candidate.message_id, receive_count);
    prepare(
        transaction,
        "UPDATE queue_messages SET receive_count = ?2, visible_at = ?3, receipt = ?4
             WHERE id = ?1",
    )
    .and_then(|mut statement| {
        statement.execute(params![candidate.id, receive_count, visible_at, receipt])
    })
    .map_err(from_sqlite)?;
    Ok(Delivery {
        message_id: candidate.message_id,
        receipt: Receipt(receipt),
        receive_count,
        body: candidate.body,
    })
}

/// One receive, in one IMMEDIATE transaction: picks visible messages, dead-letters those
/// already delivered `max_receives` times, and delivers the rest.
fn receive_messages(
    connection: &mut Connection,
    queue: &str,
    max_messages: u32,
    visibility: Duration,
    max_receives: u32,
) -> Result<Vec<Delivery>> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(from_sqlite)?;
    let now = now_millis();
    let visible_at = now.saturating_add(duration_millis(visibility));
    let dead_queue = dead_letter_queue(queue);
    let n_wanted = max_messages as usize;
    let mut deliveries = Vec::new();
    loop {
        let candidates = visible_candidates(&transaction, queue, now, n_wanted - deliveries.len())?;
        let n_candidates = candidates.len();
        let mut n_dead_lettered = 0;
        for candidate in candidates {
            if candidate.receive_count >= max_receives {
                dead_letter(&transaction, candidate.id, &dead_queue, now)?;
                n_dead_lettered += 1;
            } else {
                deliveries.push(deliver(&transaction, candidate, visible_at)?);
            }
        }
        // Dead-lettered messages left room; look again. Otherwise every visible message
        // was taken, or the batch is full.
        let full = deliveries.len() == n_wanted;
        if n_dead_lettered == 0 || full || n_candidates == 0 {
            break;
        }
    }
    transaction.commit().map_err(from_sqlite)?;
    Ok(deliveries)
}

#[async_trait]
impl JobQueue for EmbeddedQueue {
    async fn send(&self, queue: &str, body: Vec<u8>) -> Result<String> {
        check_name("queue", queue)?;
        if body.is_empty() || body.len() > MAX_MESSAGE_BYTES {
            return Err(Error::invalid(
                "body",
                format!("{} bytes: send 1 to {MAX_MESSAGE_BYTES}", body.len()),
            ));
        }
        let queue = queue.to_owned();
        let message_id = new_message_id();
        let stored_id = message_id.clone();
        self.db
            .write(move |connection| {
                prepare(
                    connection,
                    "INSERT INTO queue_messages
                         (queue, message_id, body, receive_count, visible_at)
                         VALUES (?1, ?2, ?3, 0, ?4)",
                )
                .and_then(|mut statement| {
                    statement.execute(params![queue, stored_id, body, now_millis()])
                })
                .map_err(from_sqlite)
            })
            .await?;
        Ok(message_id)
    }

    async fn receive(
        &self,
        queue: &str,
        max_messages: u32,
        visibility: Duration,
    ) -> Result<Vec<Delivery>> {
        check_name("queue", queue)?;
        if max_messages == 0 || max_messages > MAX_RECEIVE {
            return Err(Error::invalid(
                "max_messages",
                format!("{max_messages}: receive 1 to {MAX_RECEIVE}"),
            ));
        }
        check_visibility(visibility)?;
        let queue = queue.to_owned();
        let max_receives = self.options.max_receives;
        self.db
            .write(move |connection| {
                receive_messages(connection, &queue, max_messages, visibility, max_receives)
            })
            .await
    }

    async fn ack(&self, queue: &str, receipt: &Receipt) -> Result<()> {
        check_name("queue", queue)?;
        let queue = queue.to_owned();
        let receipt = receipt.0.clone();
        self.db
            .write(move |connection| {
                prepare(
                    connection,
                    "DELETE FROM queue_messages WHERE receipt = ?1 AND queue = ?2",
                )
                .and_then(|mut statement| statement.execute([receipt, queue]))
                .map_err(from_sqlite)
            })
            .await?;
        Ok(())
    }

    async fn set_visibility(
        &self,
        queue: &str,
        receipt: &Receipt,
        visibility: Duration,
    ) -> Result<()> {
        check_name("queue", queue)?;
        check_visibility(visibility)?;
        let queue_name = queue.to_owned();
        let receipt_text = receipt.0.clone();
        let n_updated = self
            .db
            .write(move |connection| {
                let visible_at = now_millis().saturating_add(duration_millis(visibility));
                prepare(
                    connection,
                    "UPDATE queue_messages SET visible_at = ?3
                         WHERE receipt = ?1 AND queue = ?2",
                )
                .and_then(|mut statement| {
                    statement.execute(params![receipt_text, queue_name, visible_at])
                })
                .map_err(from_sqlite)
            })
            .await?;
        if n_updated == 0 {
            return Err(Error::not_found(format!(
                "delivery {} on queue {queue} (acknowledged, or the receipt is stale)",
                receipt.0
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_unique() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_message_id()).collect();
        assert_eq!(ids.len(), 1000);
    }

    #[test]
    fn receipts_name_the_delivery() {
        assert_eq!(receipt_for("abc", 3), "abc.3");
    }

    #[test]
    fn visibility_is_capped() {
        assert!(check_visibility(MAX_VISIBILITY).is_ok());
        assert!(check_visibility(Duration::ZERO).is_ok());
        assert!(check_visibility(MAX_VISIBILITY + Duration::from_millis(1)).is_err());
    }

    #[test]
    fn durations_become_milliseconds() {
        assert_eq!(duration_millis(Duration::from_millis(1500)), 1500);
        assert_eq!(duration_millis(Duration::MAX), i64::MAX);
    }
}
