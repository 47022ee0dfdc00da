//! Group commit for a database's writer: jobs that arrive while the writer is busy wait in
//! one queue, in arrival order, and the next turn applies them all in one IMMEDIATE
//! transaction, each inside its own savepoint, so a job that fails rolls back alone and every
//! job sees every job queued before it. The transaction's commit is paid once per turn
//! instead of once per job, and no caller waits behind a lock that later callers can
//! overtake. The records writer ([`record_writes`]) and the stream's appends use it.

use std::sync::{Arc, Mutex, MutexGuard};

use ocean::records::Write;
use ocean::{Error, Result};
use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use crate::db::Db;
use crate::error::{BACKEND, from_sqlite};

/// Jobs applied in one transaction at most; the rest wait for the next turn.
const MAX_JOBS_PER_TURN: usize = 256;

/// Applies one job on the turn's transaction (inside the job's savepoint). An error rolls
/// the job back to its savepoint and is what its caller gets.
pub(crate) type ApplyJob<J> = fn(&Connection, &J) -> Result<()>;

/// One caller's job and where its result goes.
struct Queued<J> {
    job: J,
    reply: oneshot::Sender<Result<()>>,
}

struct Queue<J> {
    jobs: Vec<Queued<J>>,
    /// A blocking task is applying queued jobs and will look at the queue again before it
    /// ends.
    draining: bool,
}

/// The queue in front of one database's writer connection, for jobs of one kind.
pub(crate) struct GroupCommit<J> {
    db: Arc<Db>,
    queue: Mutex<Queue<J>>,
    apply: ApplyJob<J>,
}

impl<J> std::fmt::Debug for GroupCommit<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").finish_non_exhaustive()
    }
}

impl<J> GroupCommit<J> {
    fn queue(&self) -> MutexGuard<'_, Queue<J>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<J: Send + 'static> GroupCommit<J> {
    /// A queue in front of `db`'s writer whose turns apply each job with `apply`.
    pub(crate) fn new(db: Arc<Db>, apply: ApplyJob<J>) -> Arc<Self> {
        Arc::new(Self {
            db,
            queue: Mutex::new(Queue {
                jobs: Vec::new(),
                draining: false,
            }),
            apply,
        })
    }

    /// Queues `job` and waits until the turn that applies it has committed: its result,
    /// or the commit's failure.
    pub(crate) async fn submit(self: &Arc<Self>, job: J) -> Result<()> {
        let (reply, result) = oneshot::channel();
        let start_draining = {
            let mut queue = self.queue();
            queue.jobs.push(Queued { job, reply });
            !std::mem::replace(&mut queue.draining, true)
        };
        if start_draining {
            let group = Arc::clone(self);
            tokio::task::spawn_blocking(move || group.drain());
        }
        result.await.map_err(|_| Error::Backend {
            backend: BACKEND,
            source: "the writer stopped before answering".into(),
        })?
    }

    /// Applies queued jobs, turn after turn, until the queue is empty.
    fn drain(&self) {
        // Should a turn panic, the next caller starts a new drain; the panicking turn's
        // callers get the "writer stopped" error when their reply senders drop.
        struct Reset<'a, J>(&'a GroupCommit<J>);
        impl<J> Drop for Reset<'_, J> {
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
            self.db.with_writer(|conn| run_turn(conn, jobs, self.apply));
        }
    }
}

/// Record writes as a group-committed job.
pub(crate) mod record_writes {
    use super::*;

    /// Applies `write` on `conn` (a savepoint): `Ok(Some(reason))` when its condition fails.
    pub(crate) type ApplyChecked = fn(&Connection, &Write) -> Result<Option<String>>;
    /// Applies an unconditional `write` on `conn`.
    pub(crate) type Apply = fn(&Connection, &Write) -> Result<()>;

    /// How a job's writes are applied.
    #[derive(Debug, Clone, Copy)]
    pub(crate) enum Mode {
        /// Each write's condition is checked; the first that fails makes the job a conflict
        /// (naming the write's index, when there are several, and key) and none of its
        /// writes stay.
        Conditional(ApplyChecked),
        /// Unconditional writes, applied as given.
        Unconditional(Apply),
    }

    /// One caller's writes.
    pub(crate) struct Job {
        writes: Vec<Write>,
        mode: Mode,
    }

    impl Job {
        /// `writes`, applied by `mode`. Unconditional writes are put in key order, so a large
        /// batch (a scoring period's wins and vote markers) inserts into neighbouring index
        /// entries one after another instead of all over the key index; stably, so a key
        /// given twice still ends with its last write.
        pub(crate) fn new(mut writes: Vec<Write>, mode: Mode) -> Self {
            if matches!(mode, Mode::Unconditional(_)) {
                writes.sort_by(|a, b| a.key().cmp(b.key()));
            }
            Self { writes, mode }
        }
    }

    /// Applies one job's writes on `conn` (its savepoint).
    pub(crate) fn apply(conn: &Connection, job: &Job) -> Result<()> {
        match job.mode {
            Mode::Unconditional(apply) => {
                job.writes.iter().try_for_each(|write| apply(conn, write))
            }
            Mode::Conditional(apply_checked) => {
                // Keys are distinct within a job, so checking and applying each write in
                // turn sees the same conditions as checking them all first.
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
}

/// One transaction over `jobs`, each in a savepoint; every job's caller gets its result once
/// the transaction has committed (or the commit's failure).
fn run_turn<J>(conn: &mut Connection, jobs: Vec<Queued<J>>, apply: ApplyJob<J>) {
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
                let outcome = apply(&savepoint, &job.job);
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
