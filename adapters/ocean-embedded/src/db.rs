//! One SQLite database file in WAL mode: a writer connection and a few reader connections,
//! each call run on tokio's blocking pool so the async runtime never waits on disk.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ocean::Result;
use rusqlite::Connection;

use crate::error::{from_join, from_sqlite};

/// Readers per database file: WAL lets them read while the writer writes.
const READERS: usize = 4;

/// A SQLite file shared by one port's calls.
#[derive(Debug)]
pub(crate) struct Db {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

impl Db {
    /// Opens (creating if needed) the database at `path` and runs `schema` (idempotent SQL,
    /// `CREATE TABLE IF NOT EXISTS ...`) on it. Blocking: call it before serving.
    pub(crate) fn open(path: &Path, schema: &str) -> Result<Arc<Db>> {
        let writer = connect(path)?;
        writer.execute_batch(schema).map_err(from_sqlite)?;
        let readers = (0..READERS)
            .map(|_| connect(path).map(Mutex::new))
            .collect::<Result<Vec<_>>>()?;
        Ok(Arc::new(Db {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
        }))
    }

    /// Runs `read` on a reader connection off the async runtime. Each call sees every write
    /// committed before it started.
    pub(crate) async fn read<T, F>(self: &Arc<Self>, read: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let n = db.next_reader.fetch_add(1, Ordering::Relaxed) % db.readers.len();
            let connection = db.readers[n].lock().unwrap_or_else(|e| e.into_inner());
            read(&connection)
        })
        .await
        .map_err(from_join)?
    }

    /// Runs `write` on the one writer connection off the async runtime; `write` opens its own
    /// transaction, so whatever it commits is all or nothing.
    pub(crate) async fn write<T, F>(self: &Arc<Self>, write: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut connection = db.writer.lock().unwrap_or_else(|e| e.into_inner());
            write(&mut connection)
        })
        .await
        .map_err(from_join)?
    }
}

/// A connection in WAL mode. `synchronous = NORMAL` keeps every committed transaction through
/// a process crash (the WAL is written before commit returns); only an OS crash or power loss
/// can drop the last transactions. Each connection may cache up to 64 MiB of pages (grown
/// only as used), reads the file through a 256 MiB memory map instead of a copy per page,
/// and checkpoints the WAL every 10,000 pages instead of 1,000 (fewer fsyncs under bulk
/// writes such as a scoring period).
fn connect(path: &Path) -> Result<Connection> {
    let connection = Connection::open(path).map_err(from_sqlite)?;
    connection
        .busy_timeout(Duration::from_secs(10))
        .map_err(from_sqlite)?;
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -65536;
             PRAGMA mmap_size = 268435456;
             PRAGMA wal_autocheckpoint = 10000;",
        )
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
