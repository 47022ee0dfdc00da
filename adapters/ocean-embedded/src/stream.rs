//! The stream port on SQLite: each stream's records numbered 1, 2, 3... in one table, read by
//! an index range scan after a position (the last number read), with compare-and-set consumer
//! checkpoints.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use ocean::stream::{
    Batch, MAX_APPEND_RECORDS, MAX_RECORD_BYTES, NewRecord, Position, StreamRecord,
};
use ocean::{Error, Result, Stream, check_name};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::db::{Db, prepare};
use crate::error::{from_io, from_sqlite};
use crate::group_commit::GroupCommit;

/// Tables: records numbered per stream (`seq`, from 1), and consumer checkpoints.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS stream_records (
    id INTEGER PRIMARY KEY,
    stream TEXT NOT NULL,
    seq INTEGER NOT NULL,
    partition_key TEXT NOT NULL,
    data BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS stream_records_by_seq ON stream_records (stream, seq);
CREATE TABLE IF NOT EXISTS stream_checkpoints (
    stream TEXT NOT NULL,
    consumer TEXT NOT NULL,
    position TEXT NOT NULL,
    PRIMARY KEY (stream, consumer)
) WITHOUT ROWID;
";

/// Most records one read returns, whatever `max_records` asks (Kinesis's limit too).
const MAX_READ_RECORDS: u32 = 10_000;

/// Most payload bytes one read returns (it always returns at least one record, if any).
const MAX_READ_BYTES: usize = 16 * 1024 * 1024;

/// The embedded stream backend: `<dir>/stream.sqlite3`. Every append is all or nothing
/// (appends that arrive together share a transaction, each in its savepoint), and reads return records in append order across partition keys (a
/// total order, stronger than the port's per-key order).
#[derive(Debug, Clone)]
pub struct EmbeddedStream {
    db: Arc<Db>,
    appends: Arc<GroupCommit<Append>>,
}

impl EmbeddedStream {
    /// Opens (creating `dir` and the database if needed) the stream store in `dir`.
    /// Blocking: call it before serving.
    pub fn open(dir: &Path) -> Result<EmbeddedStream> {
        std::fs::create_dir_all(dir).map_err(|e| from_io(e, "stream data directory"))?;
        let db = Db::open(&dir.join("stream.sqlite3"), SCHEMA)?;
        let appends = GroupCommit::new(Arc::clone(&db), append_records);
        Ok(EmbeddedStream { db, appends })
    }
}

/// The position after record number `seq` (0: before every record).
fn encode_position(seq: i64) -> Position {
    Position(seq.to_string())
}

/// The record number a position stands for. Strict: only the canonical decimal form this
/// backend makes is accepted, so equal positions are equal strings.
fn decode_position(position: &Position) -> Result<i64> {
    let text = position.0.as_str();
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    let seq = if canonical {
        text.parse::<i64>().ok()
    } else {
        None
    };
    seq.ok_or_else(|| {
        Error::invalid(
            "position",
            format!("{text:?} is not a position of the embedded stream"),
        )
    })
}

/// Checks an append's records: 1 to [`MAX_APPEND_RECORDS`], each 1 to [`MAX_RECORD_BYTES`].
fn check_records(records: &[NewRecord]) -> Result<()> {
    if records.is_empty() || records.len() > MAX_APPEND_RECORDS {
        return Err(Error::invalid(
            "records",
            format!(
                "{} records: append 1 to {MAX_APPEND_RECORDS}",
                records.len()
            ),
        ));
    }
    for (record_idx, record) in records.iter().enumerate() {
        if record.data.is_empty() || record.data.len() > MAX_RECORD_BYTES {
            return Err(Error::invalid(
                "records",
                format!(
                    "record {record_idx} has {} bytes: use 1 to {MAX_RECORD_BYTES}",
                    record.data.len()
                ),
            ));
        }
    }
    Ok(())
}

/// One append: `records` after `stream`'s last record.
struct Append {
    stream: String,
    records: Vec<NewRecord>,
}

/// Stores an append's records after its stream's last record, inside the turn's IMMEDIATE
/// transaction (group-committed with the appends queued beside it), so record numbers are
/// handed out in commit order: a reader never sees a gap filled later.
fn append_records(connection: &Connection, append: &Append) -> Result<()> {
    let last_seq: i64 = prepare(
        connection,
        "SELECT coalesce(max(seq), 0) FROM stream_records WHERE stream = ?1",
    )
    .and_then(|mut statement| statement.query_row([&append.stream], |row| row.get(0)))
    .map_err(from_sqlite)?;
    let mut insert = prepare(
        connection,
        "INSERT INTO stream_records (stream, seq, partition_key, data) VALUES (?1, ?2, ?3, ?4)",
    )
    .map_err(from_sqlite)?;
    for (seq, record) in (last_seq + 1..).zip(&append.records) {
        insert
            .execute(params![
                append.stream,
                seq,
                record.partition_key,
                record.data
            ])
            .map_err(from_sqlite)?;
    }
    Ok(())
}

/// Up to `max_records` records of `stream` numbered after `after_seq` and up to `until_seq`
/// (and at most about [`MAX_READ_BYTES`]), and the position after the last one read.
fn read_records(
    connection: &Connection,
    stream: &str,
    after_seq: i64,
    until_seq: i64,
    max_records: u32,
) -> Result<Batch> {
    let mut statement = prepare(
        connection,
        "SELECT seq, partition_key, data FROM stream_records
             WHERE stream = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq LIMIT ?4",
    )
    .map_err(from_sqlite)?;
    let limit = max_records.min(MAX_READ_RECORDS);
    let mut rows = statement
        .query(params![stream, after_seq, until_seq, limit])
        .map_err(from_sqlite)?;
    let mut records = Vec::new();
    let mut last_seq = after_seq;
    let mut n_bytes = 0;
    while let Some(row) = rows.next().map_err(from_sqlite)? {
        let data: Vec<u8> = row.get(2).map_err(from_sqlite)?;
        if !records.is_empty() && n_bytes + data.len() > MAX_READ_BYTES {
            break;
        }
        n_bytes += data.len();
        last_seq = row.get(0).map_err(from_sqlite)?;
        records.push(StreamRecord {
            partition_key: row.get(1).map_err(from_sqlite)?,
            data,
        });
    }
    Ok(Batch {
        records,
        next: encode_position(last_seq),
    })
}

/// The checkpoint stored for `consumer` on `stream`.
fn load_checkpoint(
    connection: &Connection,
    stream: &str,
    consumer: &str,
) -> Result<Option<String>> {
    prepare(
        connection,
        "SELECT position FROM stream_checkpoints WHERE stream = ?1 AND consumer = ?2",
    )
    .and_then(|mut statement| {
        statement
            .query_row([stream, consumer], |row| row.get(0))
            .optional()
    })
    .map_err(from_sqlite)
}

/// Moves the checkpoint from `expected` to `next` if it is still `expected`, in one
/// IMMEDIATE transaction (so two processes cannot both win).
fn compare_and_set_checkpoint(
    connection: &mut Connection,
    stream: &str,
    consumer: &str,
    expected: Option<&str>,
    next: &str,
) -> Result<()> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(from_sqlite)?;
    let current = load_checkpoint(&transaction, stream, consumer)?;
    if current.as_deref() != expected {
        return Err(Error::conflict(format!(
            "checkpoint of consumer {consumer} on stream {stream} is {current:?}, not {expected:?}"
        )));
    }
    prepare(
        &transaction,
        "INSERT INTO stream_checkpoints (stream, consumer, position) VALUES (?1, ?2, ?3)
             ON CONFLICT (stream, consumer) DO UPDATE SET position = excluded.position",
    )
    .and_then(|mut statement| statement.execute([stream, consumer, next]))
    .map_err(from_sqlite)?;
    transaction.commit().map_err(from_sqlite)
}

#[async_trait]
impl Stream for EmbeddedStream {
    async fn append(&self, stream: &str, records: Vec<NewRecord>) -> Result<()> {
        check_name("stream", stream)?;
        check_records(&records)?;
        let stream = stream.to_owned();
        self.appends.submit(Append { stream, records }).await
    }

    async fn read(
        &self,
        stream: &str,
        after: Option<&Position>,
        max_records: u32,
    ) -> Result<Batch> {
        check_name("stream", stream)?;
        if max_records == 0 {
            return Err(Error::invalid("max_records", "0: read at least 1 record"));
        }
        let after_seq = after.map(decode_position).transpose()?.unwrap_or(0);
        let stream = stream.to_owned();
        self.db
            .read(move |connection| {
                read_records(connection, &stream, after_seq, i64::MAX, max_records)
            })
            .await
    }

    async fn read_until(
        &self,
        stream: &str,
        after: Option<&Position>,
        until: &Position,
        max_records: u32,
    ) -> Result<Batch> {
        check_name("stream", stream)?;
        if max_records == 0 {
            return Err(Error::invalid("max_records", "0: read at least 1 record"));
        }
        let after_seq = after.map(decode_position).transpose()?.unwrap_or(0);
        let until_seq = decode_position(until)?;
        let stream = stream.to_owned();
        self.db
            .read(move |connection| {
                read_records(connection, &stream, after_seq, until_seq, max_records)
            })
            .await
    }

    async fn checkpoint(&self, stream: &str, consumer: &str) -> Result<Option<Position>> {
        check_name("stream", stream)?;
        check_name("consumer", consumer)?;
        let stream = stream.to_owned();
        let consumer = consumer.to_owned();
        let position = self
            .db
            .read(move |connection| load_checkpoint(connection, &stream, &consumer))
            .await?;
        Ok(position.map(Position))
    }

    async fn commit_checkpoint(
        &self,
        stream: &str,
        consumer: &str,
        expected: Option<&Position>,
        next: &Position,
    ) -> Result<()> {
        check_name("stream", stream)?;
        check_name("consumer", consumer)?;
        if let Some(expected) = expected {
            decode_position(expected)?;
        }
        decode_position(next)?;
        let stream = stream.to_owned();
        let consumer = consumer.to_owned();
        let expected = expected.map(|position| position.0.clone());
        let next = next.0.clone();
        self.db
            .write(move |connection| {
                compare_and_set_checkpoint(
                    connection,
                    &stream,
                    &consumer,
                    expected.as_deref(),
                    &next,
                )
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip() {
        for seq in [0, 1, 42, i64::MAX] {
            assert_eq!(decode_position(&encode_position(seq)).ok(), Some(seq));
        }
    }

    #[test]
    fn garbage_positions_are_invalid() {
        for garbage in ["", "-1", "+1", "01", "1a", " 1", "9223372036854775808", "x"] {
            let result = decode_position(&Position(garbage.to_owned()));
            assert!(
                matches!(
                    result,
                    Err(Error::Invalid {
                        field: "position",
                        ..
                    })
                ),
                "{garbage:?} decoded to {result:?}"
            );
        }
    }

    #[test]
    fn record_counts_and_sizes_are_checked() {
        let record = |n_bytes: usize| NewRecord {
            partition_key: "k".to_owned(),
            data: vec![0; n_bytes],
        };
        assert!(check_records(&[record(1), record(MAX_RECORD_BYTES)]).is_ok());
        assert!(check_records(&[]).is_err());
        assert!(check_records(&[record(0)]).is_err());
        assert!(check_records(&[record(MAX_RECORD_BYTES + 1)]).is_err());
        assert!(check_records(&vec![record(1); MAX_APPEND_RECORDS + 1]).is_err());
    }
}
