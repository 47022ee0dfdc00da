//! One SQLite database file in WAL mode: a writer connection and a few reader connections,
//! each call run on tokio's blocking pool so the async runtime never waits on disk. Readers
//! are handed out in arrival order: a call waits (without holding a thread) for any free
//! reader, never behind one slow read on a connection picked in advance. Readers beyond the
//! first are opened when reads first overlap, so a database that is seldom read (queue,
//! notifications) keeps one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ocean::{Error, Result};
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
}

impl Db {
    /// Opens (creating if needed) the database at `path` and runs `schema` (idempotent SQL,
    /// `CREATE TABLE IF NOT EXISTS ...`) on it. Blocking: call it before serving.
    pub(crate) fn open(path: &Path, schema: &str) -> Result<Arc<Db>> {
        let writer = connect(path, WRITER_CACHE_KIB)?;
        writer.execute_batch(schema).map_err(from_sqlite)?;
        let readers = vec![connect(path, READER_CACHE_KIB)?];
        Ok(Arc::new(Db {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            write_turns: tokio::sync::Mutex::new(()),
            readers: Mutex::new(readers),
            free_readers: Arc::new(Semaphore::new(READERS)),
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

    /// Runs `write` on the one writer connection in the calling thread (a blocking one).
    pub(crate) fn with_writer<T>(&self, write: impl FnOnce(&mut Connection) -> T) -> T {
        let mut connection = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        write(&mut connection)
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
        tokio::task::spawn_blocking(move || {
            let mut connection = db.writer.lock().unwrap_or_else(|e| e.into_inner());
            write(&mut connection)
        })
        .await
        .map_err(from_join)?
    }
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

/// A connection in WAL mode. `synchronous = NORMAL` keeps every committed transaction through
/// a process crash (the WAL is written before commit returns); only an OS crash or power loss
/// can drop the last transactions. The page cache is `cache_kib` (grown only as used); the
/// WAL is checkpointed every 10,000 pages instead of 1,000 (fewer fsyncs under bulk writes
/// such as a scoring period). No memory map: each connection's map of the file would count
/// in the process's resident memory.
fn connect(path: &Path, cache_kib: i64) -> Result<Connection> {
    let connection = Connection::open(path).map_err(from_sqlite)?;
    connection
        .busy_timeout(Duration::from_secs(10))
        .map_err(from_sqlite)?;
    connection
        .execute_batch(&format!(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -{cache_kib};
             PRAGMA wal_autocheckpoint = 10000;"
        ))
        .map_err(from_sqlite)?;
    Ok(connection)
}

/// A statement from the connection's cache, so each port's SQL is compiled once per
/// connection.
pub(crate) fn prepare<'c>(
    connection: &'c Connection,
    sql: &str,
) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
    connection.prepare_cached(sql)
}
