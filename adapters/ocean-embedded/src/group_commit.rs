//! Group commit for the records writer: writes that arrive while the writer is busy wait in
//! one queue, in arrival order, and the next turn applies them all in one IMMEDIATE
//! transaction, each inside its own savepoint. A write whose condition fails rolls back to
//! its savepoint alone, so every write is still all or nothing and sees every write queued
//! before it; the transaction's commit is paid once per turn instead of once per write, and
//! no caller waits behind a lock that later callers can overtake.

use std::sync::{Arc, Mutex, MutexGuard};

use ocean::records::Write;
use ocean::{Error, Result};
use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use crate::db::Db;
use crate::error::{BACKEND, from_sqlite};

/// Writes applied in one transaction at most; the rest wait for the next turn.
const MAX_JOBS_PER_TURN: usize = 256;

/// How a job's writes are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Each write's condition is checked; the first that fails makes the job a conflict
    /// and none of its writes stay.
    Conditional,
    /// Unconditional writes, applied as given.
    Unconditional,
}

/// One caller's writes and where its result goes.
struct Job {
    writes: Vec<Write>,
    mode: Mode,
    reply: oneshot::Sender<Result<()>>,
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    /// A blocking task is applying queued jobs and will look at the queue again before it
    /// ends.
    draining: bool,
}

/// The queue in front of one database's writer connection.
pub(crate) struct GroupCommit {
    db: Arc<Db>,
    queue: Mutex<Queue>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").finish_non_exhaustive()
    }
}

/// Applies `write` on `conn` (a savepoint): `Ok(Some(reason))` when its condition fails.
pub(crate) type ApplyChecked = fn(&Connection, &Write) -> Result<Option<String>>;
/// Applies an unconditional `write` on `conn`.
pub(crate) type Apply = fn(&Connection, &Write) -> Result<()>;

impl GroupCommit {
    pub(crate) fn new(db: Arc<Db>) -> Arc<Self> {
        Arc::new(Self {
            db,
            queue: Mutex::new(Queue::default()),
        })
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `writes` and waits until the turn that applies them has committed. A
    /// conditional job's failed condition is [`Error::Conflict`] naming the write's index
    /// (when there are several) and key.
    pub(crate) async fn submit(
        self: &Arc<Self>,
        mut writes: Vec<Write>,
        mode: Mode,
        apply_checked: ApplyChecked,
        apply: Apply,
    ) -> Result<()> {
        let (reply, result) = oneshot::channel();
        if mode == Mode::Unconditional {
            // In key order, so a large batch (a scoring period's wins and vote markers)
            // inserts into neighbouring index entries one after another instead of all over
            // the key index. Stable: a key given twice still ends with its last write.
            writes.sort_by(|a, b| a.key().cmp(b.key()));
        }
        let start_draining = {
            let mut queue = self.queue();
            queue.jobs.push(Job {
                writes,
                mode,
                reply,
            });
            !std::mem::replace(&mut queue.draining, true)
        };
        if start_draining {
            let group = Arc::clone(self);
            tokio::task::spawn_blocking(move || group.drain(apply_checked, apply));
        }
        result.await.map_err(|_| Error::Backend {
            backend: BACKEND,
            source: "the records writer stopped before answering".into(),
        })?
    }

    /// Applies queued jobs, turn after turn, until the queue is empty.
    fn drain(&self, apply_checked: ApplyChecked, apply: Apply) {
        // Should a turn panic, the next caller starts a new drain; the panicking turn's
        // callers get the "writer stopped" error when their reply senders drop.
        struct Reset<'a>(&'a GroupCommit);
        impl Drop for Reset<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.queue().draining = false;
                }
            }
        }
        let _reset = Reset(self);
        loop {
            let jobs = {
                let mut queue = self.queue();
                if queue.jobs.is_empty() {
                    queue.draining = false;
                    return;
                }
                let n = queue.jobs.len().min(MAX_JOBS_PER_TURN);
                queue.jobs.drain(..n).collect::<Vec<_>>()
            };
            self.db
                .with_writer(|conn| run_turn(conn, jobs, apply_checked, apply));
        }
    }
}

/// One transaction over `jobs`, each in a savepoint; every job's caller gets its result once
/// the transaction has committed (or the commit's failure).
fn run_turn(conn: &mut Connection, jobs: Vec<Job>, apply_checked: ApplyChecked, apply: Apply) {
    let mut transaction = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(transaction) => transaction,
        Err(error) => {
            for job in jobs {
                let _ = job.reply.send(Err(copy_error(&error)));
            }
            return;
        }
    };
    let mut results = Vec::with_capacity(jobs.len());
    for job in &jobs {
        let result = transaction
            .savepoint()
            .map_err(from_sqlite)
            .and_then(|savepoint| {
                let outcome = apply_job(&savepoint, job, apply_checked, apply);
                if outcome.is_ok() {
                    savepoint.commit().map_err(from_sqlite)?;
                }
                // Dropping an uncommitted savepoint rolls back to it.
                outcome
            });
        results.push(result);
    }
    let committed = transaction.commit();
    for (job, result) in jobs.into_iter().zip(results) {
        let result = match (&committed, result) {
            (Ok(()), result) => result,
            (Err(_), Err(conflict)) => Err(conflict),
            (Err(error), Ok(())) => Err(copy_error(error)),
        };
        let _ = job.reply.send(result);
    }
}

/// Applies one job's writes on `conn` (its savepoint).
fn apply_job(
    conn: &Connection,
    job: &Job,
    apply_checked: ApplyChecked,
    apply: Apply,
) -> Result<()> {
    match job.mode {
        Mode::Unconditional => job.writes.iter().try_for_each(|write| apply(conn, write)),
        Mode::Conditional => {
            // Keys are distinct within a job, so checking and applying each write in turn
            // sees the same conditions as checking them all first.
            for (n, write) in job.writes.iter().enumerate() {
                if let Some(failure) = apply_checked(conn, write)? {
                    let message = if job.writes.len() == 1 {
                        format!("key {}: {failure}", write.key())
                    } else {
                        format!("write {n} on key {}: {failure}", write.key())
                    };
                    return Err(Error::conflict(message));
                }
            }
            Ok(())
        }
    }
}

/// The same failure again, for each caller of a turn that failed as a whole.
fn copy_error(error: &rusqlite::Error) -> Error {
    match error {
        rusqlite::Error::SqliteFailure(code, message) => {
            from_sqlite(rusqlite::Error::SqliteFailure(*code, message.clone()))
        }
        other => Error::Backend {
            backend: BACKEND,
            source: other.to_string().into(),
        },
    }
}
