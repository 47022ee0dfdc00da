//! One SQLite database file in WAL mode: a writer connection and a few reader connections,
//! each call run on tokio's blocking pool so the async runtime never waits on disk, except
//! point reads ([`Db::read_short`]), which are shorter than the hand-off. Readers
//! are handed out in arrival order: a call waits (without holding a thread) for any free
//! reader, never behind one slow read on a connection picked in advance. Readers beyond the
//! first are opened when reads first overlap, so a database that is seldom read (queue,
//! notifications) keeps one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ocean::{Error, ErrorKind, Result};
use rusqlite::Connection;
use tokio::sync::Semaphore;

use crate::error::{BACKEND, from_join, from_sqlite};

/// Readers per database file: WAL lets them read while the writer writes.
const READERS: usize = 4;

/// A SQLite file shared by one port's calls.
#[derive(Debug)]
pub(crate) struct Db {
    path: PathBuf,
    writer: Mutex<Connection>,
    /// Callers of [`Db::write`] take turns in arrival order here, waiting without a thread.
    write_turns: tokio::sync::Mutex<()>,
    /// The free reader connections; a permit of `free_readers` guarantees one, or room to
    /// open one.
    readers: Mutex<Vec<Connection>>,
    free_readers: Arc<Semaphore>,
    checkpointer: Arc<Checkpointer>,
}

impl Db {
    /// Opens (creating if needed) the database at `path` and runs `schema` (idempotent SQL,
    /// `CREATE TABLE IF NOT EXISTS ...`) on it. Blocking: call it before serving.
    pub(crate) fn open(path: &Path, schema: &str) -> Result<Arc<Db>> {
        Db::open_migrating(path, |_| Ok(()), schema)
    }

    /// [`Db::open`], first running `migrate` on the writer connection (it brings a file
    /// made by an earlier version to the layout `schema` expects; idempotent, in its own
    /// transaction).
    pub(crate) fn open_migrating(
        path: &Path,
        migrate: impl FnOnce(&mut Connection) -> Result<()>,
        schema: &str,
    ) -> Result<Arc<Db>> {
        let mut writer = connect(path, WRITER_CACHE_KIB)?;
        migrate(&mut writer)?;
        writer.execute_batch(schema).map_err(from_sqlite)?;
        let readers = vec![connect(path, READER_CACHE_KIB)?];
        Ok(Arc::new(Db {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            write_turns: tokio::sync::Mutex::new(()),
            readers: Mutex::new(readers),
            free_readers: Arc::new(Semaphore::new(READERS)),
            checkpointer: Arc::new(Checkpointer {
                path: path.to_owned(),
                running: AtomicBool::new(false),
                connection: Mutex::new(None),
            }),
        }))
    }

    /// Runs `read` on a reader connection off the async runtime. Each call sees every write
    /// committed before it started.
    pub(crate) async fn read<T, F>(self: &Arc<Self>, read: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let permit = Arc::clone(&self.free_readers)
            .acquire_owned()
            .await
            .map_err(|_| Error::Backend {
                backend: BACKEND,
                source: "the reader pool is closed".into(),
            })?;
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let reader = Reader::take(&db)?;
            let result = read(reader.connection());
            drop(reader);
            drop(permit);
            result
        })
        .await
        .map_err(from_join)?
    }

    /// Runs a short `read` (a few point lookups) on a free reader right on the calling
    /// thread, or as [`Db::read`] when every reader is busy. A point read takes a few
    /// microseconds from SQLite's page cache or the OS's; handing it to the blocking pool
    /// and back costs more than that (two thread wake-ups), and under load that hand-off
    /// was most of a vote's read. Longer reads (queries, large batches) use [`Db::read`].
    ///
    /// The inline attempt never waits for a lock: when another connection holds the file
    /// (another process in exclusive locking mode, a recovery after a crash), it gives up at
    /// once and the read waits its busy timeout on the blocking pool instead, so the async
    /// runtime's thread and every task on it keep running meanwhile.
    pub(crate) async fn read_short<T, F>(self: &Arc<Self>, read: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<T> + Send + 'static,
    {
        if let Ok(permit) = Arc::clone(&self.free_readers).try_acquire_owned() {
            let reader = Reader::take(self)?;
            let inline = without_waiting(reader.connection(), &read);
            drop(reader);
            drop(permit);
            match inline {
                Err(error) if error.kind() == ErrorKind::Unavailable => {}
                done => return done,
            }
        }
        self.read(read).await
    }

    /// Runs `write` on the one writer connection in the calling thread (a blocking one).
    pub(crate) fn with_writer<T>(&self, write: impl FnOnce(&mut Connection) -> T) -> T {
        let mut connection = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let result = write(&mut connection);
        Checkpointer::start_if_due(&self.checkpointer, &connection);
        result
    }

    /// Runs `write` on the one writer connection off the async runtime, after the callers
    /// that came first; `write` opens its own transaction, so whatever it commits is all or
    /// nothing.
    pub(crate) async fn write<T, F>(self: &Arc<Self>, write: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let _turn = self.write_turns.lock().await;
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || db.with_writer(write))
            .await
            .map_err(from_join)?
    }
}

/// Checkpoints the WAL into the database file off the writer's thread. The connections do
/// not checkpoint on commit (SQLite's automatic checkpoint runs inside the commit that
/// crosses its threshold, so that caller waited for the copy and two fsyncs: a sixth of a
/// scoring period's time); instead, after each write the writer asks (without doing any
/// work) how many WAL frames are not yet in the database, and past
/// [`CHECKPOINT_FRAMES`] one passive checkpoint runs on tokio's blocking pool on its own
/// connection while the writer goes on. A passive checkpoint never blocks the writer or
/// readers; it copies what no reader still needs, and the WAL starts over when a write
/// begins with all of it copied (or, past [`MAX_WAL_FRAMES`], after the writer has copied
/// the rest itself).
#[derive(Debug)]
struct Checkpointer {
    path: PathBuf,
    /// A checkpoint has been started and has not ended.
    running: AtomicBool,
    /// The connection checkpoints run on, opened by the first.
    connection: Mutex<Option<Connection>>,
}

/// WAL frames (pages) not yet copied into the database that start a checkpoint (about
/// 40 MiB at SQLite's 4 KiB pages; SQLite's automatic checkpoint starts at 1,000).
const CHECKPOINT_FRAMES: i64 = 10_000;
/// WAL length (frames, copied or not) past which the writer checkpoints itself, so the log
/// starts over (about 160 MiB).
const MAX_WAL_FRAMES: i64 = 4 * CHECKPOINT_FRAMES;

impl Checkpointer {
    /// Starts a checkpoint if the WAL holds [`CHECKPOINT_FRAMES`] uncopied frames and none is
    /// running. `writer` has just committed (or failed to).
    fn start_if_due(checkpointer: &Arc<Checkpointer>, writer: &Connection) {
        // (busy, frames in the WAL, frames already copied); NOOP does no work.
        let frames = writer
            .prepare_cached("PRAGMA wal_checkpoint(NOOP)")
            .and_then(|mut statement| {
                statement.query_row([], |row| Ok((row.get::<_, i64>(1)?, row.get(2)?)))
            });
        let Ok((log, copied)) = frames else { return };
        if log >= MAX_WAL_FRAMES && log > copied {
            // The log starts over only when a write begins with every frame copied, which
            // checkpoints beside a busy writer seldom leave; so past this length the
            // writer copies the rest itself (frames since the last checkpoint: a few
            // thousand), and its next write starts the log over. A running checkpoint makes
            // this one busy, and the next write tries again.
            checkpointer.report(run_checkpoint(writer));
            return;
        }
        if log - copied < CHECKPOINT_FRAMES || checkpointer.running.swap(true, Ordering::AcqRel) {
            return;
        }
        let checkpointer = Arc::clone(checkpointer);
        let run = move || {
            checkpointer.report(checkpointer.checkpoint());
            checkpointer.running.store(false, Ordering::Release);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(run)),
            Err(_) => run(),
        }
    }

    /// Logs a failed checkpoint (the next write starts another).
    fn report(&self, checkpointed: Result<()>) {
        if let Err(error) = checkpointed {
            let path = self.path.display();
            tracing::warn!(%path, %error, "WAL checkpoint failed");
        }
    }

    /// One passive checkpoint on the checkpointer's own connection.
    fn checkpoint(&self) -> Result<()> {
        let mut connection = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        if connection.is_none() {
            *connection = Some(connect(&self.path, CHECKPOINTER_CACHE_KIB)?);
        }
        match connection.as_ref() {
            Some(connection) => run_checkpoint(connection),
            None => Ok(()),
        }
    }
}

/// One passive checkpoint on `connection`: copies the WAL frames no reader still needs.
fn run_checkpoint(connection: &Connection) -> Result<()> {
    connection
        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        .map_err(from_sqlite)
}

/// A reader connection taken from the pool, put back when dropped (even by a panicking
/// read).
struct Reader<'a> {
    db: &'a Db,
    connection: Option<Connection>,
}

impl<'a> Reader<'a> {
    /// Takes a free reader, opening one if none is free; the caller holds a permit, so at
    /// most [`READERS`] are open.
    fn take(db: &'a Db) -> Result<Self> {
        let free = db.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let connection = match free {
            Some(connection) => connection,
            None => connect(&db.path, READER_CACHE_KIB)?,
        };
        Ok(Self {
            db,
            connection: Some(connection),
        })
    }

    fn connection(&self) -> &Connection {
        self.connection
            .as_ref()
            .expect("a reader holds its connection until dropped")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            self.db
                .readers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(connection);
        }
    }
}

/// How long a connection waits for a lock another connection holds before the call fails
/// as [`ErrorKind::Unavailable`] (retryable).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Pages (KiB, as SQLite's negative `cache_size`) the writer connection may cache: a
/// scoring period rewrites thousands of photos, and every page it re-reads from its own
/// cache is a `pread` saved (from the OS page cache: a few microseconds). 4 MiB holds every
/// interior page of a B-tree of a GiB or two and the leaves written lately; more mostly
/// held pages the server did not touch again (with two busy writers, records and votes,
/// 32 MiB each was a third of the server's memory under load; BENCHMARKS.md).
const WRITER_CACHE_KIB: i64 = 4 * 1024;
/// Pages (KiB) each reader connection may cache. In WAL mode a connection drops its whole
/// cache when a read transaction starts after any write, which under load is every read:
/// the cache only has to hold one read's pages (a pool read touches a few dozen), and the
/// OS page cache backs the rest.
const READER_CACHE_KIB: i64 = 512;
/// SQLite's default page size, which these files use.
const PAGE_BYTES: i64 = 4096;
/// Pages (KiB) the checkpointer's connection may cache: a checkpoint copies WAL frames
/// without the page cache.
const CHECKPOINTER_CACHE_KIB: i64 = 64;
/// Dirty pages (KiB) a write transaction may hold in its connection's cache, beyond
/// `cache_size`, before SQLite writes them to the WAL early ("spills" them, to write them
/// again at commit if they change again). A group-committed turn of a scoring period's
/// photo commits dirties a few thousand pages; memory above `cache_size` is given back
/// when the transaction ends.
const SPILL_KIB: i64 = 16 * 1024;

/// A connection in WAL mode. `synchronous = NORMAL` keeps every committed transaction through
/// a process crash (the WAL is written before commit returns); only an OS crash or power loss
/// can drop the last transactions. The page cache is `cache_kib` (grown only as used), and
/// a write transaction spills dirty pages only past [`SPILL_KIB`]. No automatic checkpoint
/// ([`Checkpointer`] runs them). Temporary data (the savepoint journal of a group-committed
/// turn, which holds each page's content before its savepoint first changed it) in memory:
/// on disk it was a temporary file written for every page a turn changed. No memory map:
/// each connection's map of the file would count in the process's resident memory.
fn connect(path: &Path, cache_kib: i64) -> Result<Connection> {
    let connection = Connection::open(path).map_err(from_sqlite)?;
    connection.busy_timeout(BUSY_TIMEOUT).map_err(from_sqlite)?;
    let spill_pages = SPILL_KIB * 1024 / PAGE_BYTES;
    connection
        .execute_batch(&format!(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -{cache_kib};
             PRAGMA cache_spill = {spill_pages};
             PRAGMA temp_store = MEMORY;
             PRAGMA wal_autocheckpoint = 0;"
        ))
        .map_err(from_sqlite)?;
    Ok(connection)
}

/// Runs `read` on `connection` with no busy timeout (a locked file is
/// [`ErrorKind::Unavailable`] at once), then gives the connection its timeout back, however
/// the read ends (a panic included: the connection goes back to the pool).
fn without_waiting<T>(
    connection: &Connection,
    read: impl FnOnce(&Connection) -> Result<T>,
) -> Result<T> {
    struct Restore<'c>(&'c Connection);
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            // Setting a timeout fails only on a closed or misused handle.
            let _ = self.0.busy_timeout(BUSY_TIMEOUT);
        }
    }
    connection
        .busy_timeout(Duration::ZERO)
        .map_err(from_sqlite)?;
    let _restore = Restore(connection);
    read(connection)
}

/// Runs `read` on a reader connection whose page cache may grow to `cache_kib` meanwhile
/// (a read of thousands of keys revisits the B-trees' interior pages, which the small
/// reader cache would let its leaves push out); the cache is back to its usual size, and
/// the memory above it freed, when this returns.
pub(crate) fn with_reader_cache<T>(
    reader: &Connection,
    cache_kib: i64,
    read: impl FnOnce(&Connection) -> Result<T>,
) -> Result<T> {
    let resize = |kib: i64| {
        reader
            .execute_batch(&format!("PRAGMA cache_size = -{kib};"))
            .map_err(from_sqlite)
    };
    resize(cache_kib)?;
    let result = read(reader);
    resize(READER_CACHE_KIB)?;
    result
}

/// A statement from the connection's cache, so each port's SQL is compiled once per
/// connection.
pub(crate) fn prepare<'c>(
    connection: &'c Connection,
    sql: &str,
) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
    connection.prepare_cached(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database in a temporary directory (kept while the directory is).
    fn open() -> (tempfile::TempDir, Arc<Db>) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = Db::open(
            &dir.path().join("t.sqlite3"),
            "CREATE TABLE IF NOT EXISTS t (x);",
        )
        .expect("open");
        (dir, db)
    }

    /// [`BUSY_TIMEOUT`] as `PRAGMA busy_timeout` reports it.
    fn usual_timeout_ms() -> i64 {
        i64::try_from(BUSY_TIMEOUT.as_millis()).expect("ms")
    }

    /// A read on the blocking pool finds its connection with the usual busy timeout.
    async fn assert_pooled_reads_wait(db: &Arc<Db>) {
        let pooled = db.read(busy_timeout_ms).await.expect("pooled read");
        assert_eq!(pooled, usual_timeout_ms(), "a pooled read waits for locks");
    }

    fn busy_timeout_ms(connection: &Connection) -> Result<i64> {
        connection
            .query_row("PRAGMA busy_timeout", [], |row| row.get(0))
            .map_err(from_sqlite)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_short_read_never_waits_for_a_lock_on_the_runtime_thread() {
        let (_dir, db) = open();
        assert_eq!(db.read_short(busy_timeout_ms).await.expect("inline"), 0);
        assert_pooled_reads_wait(&db).await;
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_short_read_that_panics_leaves_its_connection_its_busy_timeout() {
        let (_dir, db) = open();
        let panicking = tokio::spawn({
            let db = Arc::clone(&db);
            async move {
                db.read_short(|_: &Connection| -> Result<()> { panic!("a read that panics") })
                    .await
            }
        });
        assert!(panicking.await.is_err(), "the read's task panicked");
        // The one reader connection went back to the pool; it waits for locks again.
        assert_pooled_reads_wait(&db).await;
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_short_read_that_finds_the_file_locked_waits_on_the_blocking_pool() {
        let (_dir, db) = open();
        let runtime_thread = std::thread::current().id();
        let read = move |connection: &Connection| {
            if std::thread::current().id() == runtime_thread {
                // What SQLite answers when another connection holds the file.
                return Err(from_sqlite(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    None,
                )));
            }
            busy_timeout_ms(connection)
        };
        assert_eq!(db.read_short(read).await.expect("read"), usual_timeout_ms());
    }
}
