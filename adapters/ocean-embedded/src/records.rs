//! The records port on SQLite: one `items` table keyed by (partition, sort), with a pair of
//! nullable columns and a partial index per secondary index, and conditions checked inside
//! IMMEDIATE transactions so they hold across processes sharing the data directory.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use ocean::records::{
    Condition, Cursor, Index, Item, Key, Order, Page, Query, SortRange, Write, check_commit,
};
use ocean::{Error, Records, Result};
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use crate::db::{Db, with_reader_cache};
use crate::error::{from_io, from_join, from_sqlite};
use crate::group_commit::GroupCommit;
use crate::group_commit::record_writes::{self, Job, Mode};

/// One table for every item. Keys are TEXT, which SQLite's default BINARY collation compares
/// byte-wise, as the port requires. `version` holds the caller's `u64` bit for bit (see
/// [`version_to_sql`]). `iNpk`/`iNsk` are the item's key in secondary index N, both NULL when
/// the item is absent from it; each index is a partial index covering only present entries.
///
/// A rowid table: its B-tree's interior pages hold only rowids, and a row (a photo is about
/// 1.1 KB with its index keys) fits in its leaf page; the primary key is a unique index of
/// (pk, sk) beside it. Rewriting an item's body rewrites one leaf page, and a new item is
/// appended at the end of the table (markers, wins). Files made before this layout held
/// the items in a `WITHOUT ROWID` table keyed by (pk, sk), whose B-tree carries whole rows
/// in its interior pages and puts most of a row above a kilobyte on an overflow page
/// (three to four times the pages, and a rating update touched two or more of them);
/// [`migrate`] copies such a file's items into this layout when it is opened.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    version INTEGER NOT NULL,
    body BLOB NOT NULL,
    i0pk TEXT, i0sk TEXT,
    i1pk TEXT, i1sk TEXT,
    i2pk TEXT, i2sk TEXT,
    i3pk TEXT, i3sk TEXT,
    PRIMARY KEY (pk, sk)
);
CREATE INDEX IF NOT EXISTS items_i0 ON items (i0pk, i0sk, pk, sk) WHERE i0pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_i1 ON items (i1pk, i1sk, pk, sk) WHERE i1pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_i2 ON items (i2pk, i2sk, pk, sk) WHERE i2pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_i3 ON items (i3pk, i3sk, pk, sk) WHERE i3pk IS NOT NULL;
";

/// Moves the items of a file in the earlier `WITHOUT ROWID` layout into the one [`SCHEMA`]
/// creates, in one IMMEDIATE transaction (another process opening the file at the same
/// time waits, then finds nothing to do). The secondary indexes are dropped with the old
/// table and made again by [`SCHEMA`]. A new or already migrated file is left alone.
fn migrate(conn: &mut Connection) -> Result<()> {
    const FIND_OLD_LAYOUT: &str = "SELECT count(*) FROM sqlite_schema \
         WHERE type = 'table' AND name = 'items' AND sql LIKE '%WITHOUT ROWID%'";
    let old_layout = |conn: &Connection| -> Result<bool> {
        conn.query_row(FIND_OLD_LAYOUT, [], |row| row.get::<_, i64>(0))
            .map(|n| n > 0)
            .map_err(from_sqlite)
    };
    if !old_layout(conn)? {
        return Ok(());
    }
    let transaction = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(from_sqlite)?;
    if old_layout(&transaction)? {
        let table_sql = SCHEMA
            .split_once(';')
            .map_or(SCHEMA, |(table, _)| table)
            .replace("IF NOT EXISTS ", "");
        transaction
            .execute_batch(&format!(
                "DROP INDEX IF EXISTS items_i0;
                 DROP INDEX IF EXISTS items_i1;
                 DROP INDEX IF EXISTS items_i2;
                 DROP INDEX IF EXISTS items_i3;
                 ALTER TABLE items RENAME TO items_without_rowid;
                 {table_sql};
                 INSERT INTO items ({COLUMNS}) SELECT {COLUMNS} FROM items_without_rowid;
                 DROP TABLE items_without_rowid;"
            ))
            .map_err(from_sqlite)?;
    }
    transaction.commit().map_err(from_sqlite)
}

/// Every column of an item, in the order [`item_from_row`] reads them.
const COLUMNS: &str = "pk, sk, version, body, i0pk, i0sk, i1pk, i1sk, i2pk, i2sk, i3pk, i3sk";

/// Statements each connection keeps prepared: the few fixed ones plus every query shape
/// (index, range kind, cursor or not, order) an application uses.
const STATEMENT_CACHE_CAPACITY: usize = 128;

/// The embedded records backend: `<dir>/records.sqlite3`. Writes are applied in IMMEDIATE
/// transactions (several callers' writes group-committed in one, each in its savepoint), so
/// conditions hold even between processes sharing the directory; reads are strongly
/// consistent, secondary indexes included.
#[derive(Debug, Clone)]
pub struct EmbeddedRecords {
    db: Arc<Db>,
    writer: Arc<GroupCommit<Job>>,
}

impl EmbeddedRecords {
    /// Opens (creating `dir` and the database if needed) the records store in `dir`.
    /// Blocking: call it before serving.
    pub fn open(dir: &Path) -> Result<EmbeddedRecords> {
        std::fs::create_dir_all(dir).map_err(|e| from_io(e, "records data directory"))?;
        let db = Db::open_migrating(&dir.join("records.sqlite3"), migrate, SCHEMA)?;
        let writer = GroupCommit::new(Arc::clone(&db), record_writes::apply);
        Ok(EmbeddedRecords { db, writer })
    }
}

#[async_trait]
impl Records for EmbeddedRecords {
    async fn get(&self, key: &Key) -> Result<Option<Item>> {
        key.check("key")?;
        let key = key.clone();
        self.db.read_short(move |conn| read_item(conn, &key)).await
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>> {
        for key in keys {
            key.check("key")?;
        }
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        if keys.len() <= SMALL_GET_MANY {
            // A response's worth (a match page's photo details): one reader, its own cache.
            let keys = keys.to_vec();
            return self
                .db
                .read_short(move |conn| read_items(conn, &keys))
                .await;
        }
        // Many keys are read in parts on several readers at once (a scoring period reads
        // tens of thousands of photos; each read is mostly page lookups, on its own core).
        let n_parts = keys.len().div_ceil(GET_MANY_PART).min(READERS_PER_GET_MANY);
        let part_len = keys.len().div_ceil(n_parts);
        let reads: Vec<_> = keys
            .chunks(part_len)
            .map(|part| {
                let part = part.to_vec();
                let db = Arc::clone(&self.db);
                tokio::spawn(async move {
                    db.read(move |conn| {
                        with_reader_cache(conn, GET_MANY_CACHE_KIB, |conn| read_items(conn, &part))
                    })
                    .await
                })
            })
            .collect();
        let mut items = Vec::with_capacity(keys.len());
        for read in reads {
            items.extend(read.await.map_err(from_join)??);
        }
        Ok(items)
    }

    async fn query(&self, query: &Query) -> Result<Page> {
        query.check()?;
        let plan = QueryPlan::new(query)?;
        self.db.read(move |conn| plan.run(conn)).await
    }

    async fn write(&self, write: Write) -> Result<()> {
        write.check()?;
        self.writer
            .submit(Job::new(vec![write], Mode::Conditional(apply_checked)))
            .await
    }

    async fn commit(&self, writes: Vec<Write>) -> Result<()> {
        check_commit(&writes)?;
        self.writer
            .submit(Job::new(writes, Mode::Conditional(apply_checked)))
            .await
    }

    async fn write_batch(&self, writes: Vec<Write>) -> Result<()> {
        for write in &writes {
            check_batch_write(write)?;
        }
        if writes.is_empty() {
            return Ok(());
        }
        self.writer
            .submit(Job::new(writes, Mode::Unconditional(apply)))
            .await
    }
}

/// Refuses a batch write that is not an unconditional put or delete, or has bad keys.
fn check_batch_write(write: &Write) -> Result<()> {
    write.check()?;
    if matches!(write, Write::Check { .. }) {
        return Err(Error::invalid(
            "writes",
            format!(
                "a batch holds puts and deletes, not a check (key {})",
                write.key()
            ),
        ));
    }
    if write.condition() != Condition::Always {
        return Err(Error::invalid(
            "writes",
            format!(
                "a batch write is unconditional, but key {} has {:?}",
                write.key(),
                write.condition()
            ),
        ));
    }
    Ok(())
}

/// Reads one item by key.
const SELECT_ITEM: &str = "SELECT pk, sk, version, body, i0pk, i0sk, i1pk, i1sk, i2pk, i2sk, \
     i3pk, i3sk FROM items WHERE pk = ?1 AND sk = ?2";
/// Reads one item's version by key.
const SELECT_VERSION: &str = "SELECT version FROM items WHERE pk = ?1 AND sk = ?2";
/// Stores one whole item, replacing any item with its key (and so its index entries).
const PUT_ITEM: &str = "INSERT OR REPLACE INTO items (pk, sk, version, body, i0pk, i0sk, \
     i1pk, i1sk, i2pk, i2sk, i3pk, i3sk) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
/// Rewrites one item's version and body where its version and index keys are as given.
const UPDATE_IN_PLACE: &str = "UPDATE items SET version = ?3, body = ?4 \
     WHERE pk = ?1 AND sk = ?2 AND version = ?5 \
     AND i0pk IS ?6 AND i0sk IS ?7 AND i1pk IS ?8 AND i1sk IS ?9 \
     AND i2pk IS ?10 AND i2sk IS ?11 AND i3pk IS ?12 AND i3sk IS ?13";
/// Removes one item by key.
const DELETE_ITEM: &str = "DELETE FROM items WHERE pk = ?1 AND sk = ?2";

/// Keys up to which [`Records::get_many`] is one short read on one reader with its usual
/// cache, like a [`Records::get`] (no task of its own, no cache resizing).
const SMALL_GET_MANY: usize = 64;
/// Keys below which [`Records::get_many`] reads on one reader.
const GET_MANY_PART: usize = 2_048;
/// Readers one [`Records::get_many`] uses at most.
const READERS_PER_GET_MANY: usize = 2;
/// Page cache (KiB) of a reader while it reads part of a [`Records::get_many`]: enough for
/// the interior pages of the items table and its key index at a few million items.
const GET_MANY_CACHE_KIB: i64 = 4 * 1024;

/// The items with `keys`, in one read transaction (one snapshot lock for all of them
/// instead of one each).
fn read_items(conn: &Connection, keys: &[Key]) -> Result<Vec<Option<Item>>> {
    let read_transaction = conn.unchecked_transaction().map_err(from_sqlite)?;
    let items = keys
        .iter()
        .map(|key| read_item(&read_transaction, key))
        .collect::<Result<Vec<_>>>()?;
    read_transaction.finish().map_err(from_sqlite)?;
    Ok(items)
}

/// The item with `key`.
fn read_item(conn: &Connection, key: &Key) -> Result<Option<Item>> {
    conn.prepare_cached(SELECT_ITEM)
        .map_err(from_sqlite)?
        .query_row(params![key.partition, key.sort], item_from_row)
        .optional()
        .map_err(from_sqlite)
}

/// The version of the item with `key`, if there is one.
fn current_version(conn: &Connection, key: &Key) -> Result<Option<u64>> {
    let version = conn
        .prepare_cached(SELECT_VERSION)
        .map_err(from_sqlite)?
        .query_row(params![key.partition, key.sort], |row| row.get::<_, i64>(0))
        .optional()
        .map_err(from_sqlite)?;
    Ok(version.map(version_from_sql))
}

/// Why `write`'s condition does not hold now, or `None` when it does.
fn condition_failure(conn: &Connection, write: &Write) -> Result<Option<String>> {
    let condition = write.condition();
    if condition == Condition::Always {
        return Ok(None);
    }
    let current = current_version(conn, write.key())?;
    let failure = match (condition, current) {
        (Condition::Absent, Some(version)) => {
            Some(format!("expected no item, found one at version {version}"))
        }
        (Condition::VersionIs(expected), None) => {
            Some(format!("expected version {expected}, found no item"))
        }
        (Condition::VersionIs(expected), Some(version)) if version != expected => Some(format!(
            "expected version {expected}, found version {version}"
        )),
        _ => None,
    };
    Ok(failure)
}

/// Rewrites the version and body of the item at `item`'s key if it is at version
/// `expected` with exactly `item`'s index keys: one row rewritten in place, no index entry
/// touched (SQLite updates only the indexes over changed columns). `false` when no row
/// matched, and nothing was written.
fn update_in_place(conn: &Connection, item: &Item, expected: u64) -> Result<bool> {
    let part = |n: usize, sort: bool| index_part(item, n, sort);
    let changed = conn
        .prepare_cached(UPDATE_IN_PLACE)
        .map_err(from_sqlite)?
        .execute(params![
            item.key.partition,
            item.key.sort,
            version_to_sql(item.version),
            item.body,
            version_to_sql(expected),
            part(0, false),
            part(0, true),
            part(1, false),
            part(1, true),
            part(2, false),
            part(2, true),
            part(3, false),
            part(3, true),
        ])
        .map_err(from_sqlite)?;
    Ok(changed == 1)
}

/// Index `n`'s partition (or, with `sort`, sort) key column of `item`; `None` (NULL) when the
/// item is not in that index.
fn index_part(item: &Item, n: usize, sort: bool) -> Option<&String> {
    item.index_keys[n]
        .as_ref()
        .map(|key| if sort { &key.sort } else { &key.partition })
}

/// Applies `write` if its condition holds, else returns why not (writing nothing). A put
/// conditional on the stored version that keeps the item's index keys (a rating update) is
/// one in-place update; anything else is a check, then a whole-item put or delete.
fn apply_checked(conn: &Connection, write: &Write) -> Result<Option<String>> {
    if let Write::Put {
        item,
        condition: Condition::VersionIs(expected),
    } = write
        && update_in_place(conn, item, *expected)?
    {
        return Ok(None);
    }
    if let Some(failure) = condition_failure(conn, write)? {
        return Ok(Some(failure));
    }
    apply(conn, write)?;
    Ok(None)
}

/// Applies `write` (its condition already checked): stores a put whole, removes a delete's
/// item, does nothing for a check.
fn apply(conn: &Connection, write: &Write) -> Result<()> {
    match write {
        Write::Put { item, .. } => put_item(conn, item),
        Write::Delete { key, .. } => delete_item(conn, key),
        Write::Check { .. } => Ok(()),
    }
}

/// Stores `item`, replacing any item with its key (and so its index entries).
fn put_item(conn: &Connection, item: &Item) -> Result<()> {
    let part = |n: usize, sort: bool| index_part(item, n, sort);
    conn.prepare_cached(PUT_ITEM)
        .map_err(from_sqlite)?
        .execute(params![
            item.key.partition,
            item.key.sort,
            version_to_sql(item.version),
            item.body,
            part(0, false),
            part(0, true),
            part(1, false),
            part(1, true),
            part(2, false),
            part(2, true),
            part(3, false),
            part(3, true),
        ])
        .map_err(from_sqlite)?;
    Ok(())
}

/// Removes the item with `key`, if any.
fn delete_item(conn: &Connection, key: &Key) -> Result<()> {
    conn.prepare_cached(DELETE_ITEM)
        .map_err(from_sqlite)?
        .execute(params![key.partition, key.sort])
        .map_err(from_sqlite)?;
    Ok(())
}

/// An item from a row of [`COLUMNS`].
fn item_from_row(row: &Row<'_>) -> rusqlite::Result<Item> {
    let mut item = Item::new(
        Key::new(row.get::<_, String>(0)?, row.get::<_, String>(1)?),
        version_from_sql(row.get(2)?),
        row.get(3)?,
    );
    for (n, slot) in item.index_keys.iter_mut().enumerate() {
        let partition: Option<String> = row.get(4 + 2 * n)?;
        let sort: Option<String> = row.get(5 + 2 * n)?;
        if let (Some(partition), Some(sort)) = (partition, sort) {
            *slot = Some(Key::new(partition, sort));
        }
    }
    Ok(item)
}

/// A `u64` version as SQLite's signed 64-bit integer, bit for bit (only equality matters).
fn version_to_sql(version: u64) -> i64 {
    i64::from_ne_bytes(version.to_ne_bytes())
}

/// The inverse of [`version_to_sql`].
fn version_from_sql(stored: i64) -> u64 {
    u64::from_ne_bytes(stored.to_ne_bytes())
}

/// One query as SQL text and its text parameters, built before reaching the database.
#[derive(Debug)]
struct QueryPlan {
    sql: String,
    params: Vec<String>,
    limit: usize,
    index: Option<Index>,
}

impl QueryPlan {
    /// The SQL for `query` (already checked), with its cursor decoded.
    fn new(query: &Query) -> Result<QueryPlan> {
        let (partition_column, sort_column, order_columns) = match query.index {
            None => ("pk".to_owned(), "sk".to_owned(), vec!["sk".to_owned()]),
            Some(index) => {
                let n = index.number();
                let sort_column = format!("i{n}sk");
                let order_columns = vec![sort_column.clone(), "pk".to_owned(), "sk".to_owned()];
                (format!("i{n}pk"), sort_column, order_columns)
            }
        };
        let mut sql = format!("SELECT {COLUMNS} FROM items WHERE {partition_column} = ?1");
        let mut params = vec![query.partition.clone()];
        let mut bind = |sql: &mut String, condition: &str, value: String| {
            params.push(value);
            let _ = write!(sql, " AND {condition} ?{}", params.len());
        };
        let (comparison, direction) = match query.order {
            Order::Ascending => (">", "ASC"),
            Order::Descending => ("<", "DESC"),
        };
        let cursor = query
            .cursor
            .as_ref()
            .map(|cursor| decode_cursor(cursor, order_columns.len()))
            .transpose()?;
        // The range's (low, high) bounds on the sort column, `high` inclusive unless the
        // flag says otherwise.
        let (low, high) = match &query.range {
            SortRange::All => (None, None),
            SortRange::Prefix(prefix) => (
                Some(prefix.clone()),
                prefix_successor(prefix).map(|after| (after, false)),
            ),
            SortRange::Between { start, end } => (Some(start.clone()), Some((end.clone(), true))),
        };
        // A cursor is itself a bound on the side the query walks from. SQLite takes one
        // bound per side for its index range, and given both it may pick the range's, then
        // filter from the range's start on every page (quadratic over a long walk). So give
        // it only the tighter of the two: equivalent, since rows past the tighter bound are
        // past the other too.
        let cursor_sort = cursor.as_ref().map(|position| position[0].as_str());
        let (low, high) = match (query.order, cursor_sort) {
            (Order::Ascending, Some(from)) => (low.filter(|low| low.as_str() > from), high),
            (Order::Descending, Some(from)) => (
                low,
                high.filter(|(high, inclusive)| {
                    if *inclusive {
                        high.as_str() < from
                    } else {
                        high.as_str() <= from
                    }
                }),
            ),
            (_, None) => (low, high),
        };
        // The cursor is needed unless the range's bound on its side was kept above: that
        // bound is strictly past the cursor, so every row in range is past it too.
        let cursor = cursor.filter(|_| match query.order {
            Order::Ascending => low.is_none(),
            Order::Descending => high.is_none(),
        });
        if let Some(low) = low {
            bind(&mut sql, &format!("{sort_column} >="), low);
        }
        if let Some((high, inclusive)) = high {
            let operator = if inclusive { "<=" } else { "<" };
            bind(&mut sql, &format!("{sort_column} {operator}"), high);
        }
        if let Some(position) = cursor {
            let first = params.len() + 1;
            let placeholders = (first..first + position.len())
                .map(|n| format!("?{n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = write!(
                sql,
                " AND ({}) {comparison} ({placeholders})",
                order_columns.join(", ")
            );
            params.extend(position);
        }
        let order_by = order_columns
            .iter()
            .map(|column| format!("{column} {direction}"))
            .collect::<Vec<_>>()
            .join(", ");
        let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
        // One extra row says whether another page follows.
        let _ = write!(sql, " ORDER BY {order_by} LIMIT {}", limit + 1);
        Ok(QueryPlan {
            sql,
            params,
            limit,
            index: query.index,
        })
    }

    /// Runs the plan: at most `limit` items, and a cursor when more follow.
    fn run(&self, conn: &Connection) -> Result<Page> {
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
        let mut statement = conn.prepare_cached(&self.sql).map_err(from_sqlite)?;
        let mut items = statement
            .query_map(params_from_iter(self.params.iter()), item_from_row)
            .map_err(from_sqlite)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(from_sqlite)?;
        if items.len() <= self.limit {
            return Ok(Page { items, next: None });
        }
        items.truncate(self.limit);
        let next = items.last().map(|last| self.cursor_after(last));
        Ok(Page { items, next })
    }

    /// The cursor positioned just after `item` in this plan's order.
    fn cursor_after(&self, item: &Item) -> Cursor {
        match self.index.and_then(|index| item.index_key(index)) {
            None => encode_cursor(&[&item.key.sort]),
            Some(index_key) => {
                encode_cursor(&[&index_key.sort, &item.key.partition, &item.key.sort])
            }
        }
    }
}

/// The smallest text greater than every text starting with `prefix` (in byte order, which for
/// UTF-8 is code-point order), or `None` when no such text exists.
fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = next_char(last) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// The code point after `c`, skipping surrogates; `None` after `char::MAX`.
fn next_char(c: char) -> Option<char> {
    let mut code = u32::from(c) + 1;
    if (0xD800..0xE000).contains(&code) {
        code = 0xE000;
    }
    char::from_u32(code)
}

/// Separates a cursor's lowercase-hex parts.
const CURSOR_SEPARATOR: char = '.';

/// A cursor of `parts` (non-empty texts), each as lowercase hex of its UTF-8 bytes.
fn encode_cursor(parts: &[&str]) -> Cursor {
    let mut text = String::new();
    for (n, part) in parts.iter().enumerate() {
        if n > 0 {
            text.push(CURSOR_SEPARATOR);
        }
        for byte in part.bytes() {
            let _ = write!(text, "{byte:02x}");
        }
    }
    Cursor(text)
}

/// The `n_parts` texts of a cursor made by [`encode_cursor`]; anything else is invalid.
fn decode_cursor(cursor: &Cursor, n_parts: usize) -> Result<Vec<String>> {
    let invalid = || Error::invalid("cursor", "not a cursor this query returned");
    let parts = cursor
        .0
        .split(CURSOR_SEPARATOR)
        .map(|part| decode_hex_text(part).ok_or_else(invalid))
        .collect::<Result<Vec<_>>>()?;
    if parts.len() != n_parts {
        return Err(invalid());
    }
    Ok(parts)
}

/// The non-empty UTF-8 text whose bytes `hex` spells in lowercase hex, if it does.
fn decode_hex_text(hex: &str) -> Option<String> {
    if hex.is_empty() || !hex.len().is_multiple_of(2) {
        return None;
    }
    let digit = |byte: u8| match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        _ => None,
    };
    let bytes = hex
        .as_bytes()
        .chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The items table as files made before the rowid layout hold it.
    const WITHOUT_ROWID_SCHEMA: &str = "
        CREATE TABLE items (
            pk TEXT NOT NULL, sk TEXT NOT NULL, version INTEGER NOT NULL, body BLOB NOT NULL,
            i0pk TEXT, i0sk TEXT, i1pk TEXT, i1sk TEXT,
            i2pk TEXT, i2sk TEXT, i3pk TEXT, i3sk TEXT,
            PRIMARY KEY (pk, sk)
        ) WITHOUT ROWID;
        CREATE INDEX items_i0 ON items (i0pk, i0sk, pk, sk) WHERE i0pk IS NOT NULL;
        CREATE INDEX items_i1 ON items (i1pk, i1sk, pk, sk) WHERE i1pk IS NOT NULL;
        CREATE INDEX items_i2 ON items (i2pk, i2sk, pk, sk) WHERE i2pk IS NOT NULL;
        CREATE INDEX items_i3 ON items (i3pk, i3sk, pk, sk) WHERE i3pk IS NOT NULL;";

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_file_in_the_without_rowid_layout_is_migrated_on_open() {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = Index::new(2).expect("index 2");
        let indexed = Item::new(Key::new("p#1", "photo"), 7, b"{\"r\":1500}".to_vec())
            .with_index_key(index, Key::new("pool#a", "0001#p1"));
        let plain = Item::new(Key::new("v#9", "vote"), u64::MAX, b"{}".to_vec());
        {
            let conn = Connection::open(dir.path().join("records.sqlite3")).expect("open");
            conn.execute_batch(WITHOUT_ROWID_SCHEMA)
                .expect("old schema");
            put_item(&conn, &indexed).expect("put indexed");
            put_item(&conn, &plain).expect("put plain");
        }
        for _ in 0..2 {
            // Twice: the second open finds the file migrated and leaves it alone.
            let records = EmbeddedRecords::open(dir.path()).expect("open and migrate");
            let read = records
                .get_many(&[indexed.key.clone(), plain.key.clone()])
                .await
                .expect("get after migrating");
            assert_eq!(read, vec![Some(indexed.clone()), Some(plain.clone())]);
            let query = Query {
                index: Some(index),
                ..Query::partition("pool#a", 10)
            };
            let page = records.query(&query).await.expect("index query");
            assert_eq!(
                page.items,
                vec![indexed.clone()],
                "index entries are rebuilt"
            );
            let update = Item::new(indexed.key.clone(), 8, b"{}".to_vec())
                .with_index_key(index, Key::new("pool#a", "0001#p1"));
            records
                .write(Write::Put {
                    item: update,
                    condition: Condition::VersionIs(7),
                })
                .await
                .expect("conditional update after migrating");
            records
                .write(Write::Put {
                    item: indexed.clone(),
                    condition: Condition::Always,
                })
                .await
                .expect("put back");
        }
        let conn = Connection::open(dir.path().join("records.sqlite3")).expect("open");
        let layout: String = conn
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'items'",
                [],
                |row| row.get(0),
            )
            .expect("items table");
        assert!(!layout.contains("WITHOUT ROWID"), "{layout}");
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
                [],
                |row| row.get(0),
            )
            .expect("tables");
        assert_eq!(tables, 1, "the old table is gone");
    }

    #[test]
    fn cursors_round_trip_any_text() {
        let parts = ["a", "é.b", "\u{10ffff}", "with space", "0"];
        let cursor = encode_cursor(&parts);
        let decoded = decode_cursor(&cursor, parts.len()).expect("decode");
        assert_eq!(decoded, parts);
    }

    #[test]
    fn garbage_cursors_are_invalid() {
        for garbage in ["", "zz", "abc", "6", "61..62", "AB", "ff", "61.", "61 "] {
            let result = decode_cursor(&Cursor(garbage.to_owned()), 1);
            assert!(result.is_err(), "{garbage:?} decoded as {result:?}");
        }
        let two_parts = encode_cursor(&["a", "b"]);
        assert!(decode_cursor(&two_parts, 1).is_err());
        assert!(decode_cursor(&two_parts, 3).is_err());
    }

    #[test]
    fn prefix_successor_bounds_exactly_the_prefixed_texts() {
        assert_eq!(prefix_successor("ab").as_deref(), Some("ac"));
        assert_eq!(prefix_successor("a\u{d7ff}").as_deref(), Some("a\u{e000}"));
        assert_eq!(prefix_successor("a\u{10ffff}").as_deref(), Some("b"));
        assert_eq!(prefix_successor("\u{10ffff}"), None);
        assert_eq!(prefix_successor(""), None);
        let successor = prefix_successor("a\u{ff}").expect("successor");
        for text in ["a\u{ff}", "a\u{ff}\u{10ffff}", "a\u{ff}zz"] {
            assert!(
                text < successor.as_str(),
                "{text:?} is not below {successor:?}"
            );
        }
        assert!(successor.as_str() <= "a\u{100}");
    }

    #[test]
    fn versions_survive_the_signed_column() {
        for version in [0, 1, u64::from(u32::MAX), u64::MAX / 2, u64::MAX] {
            assert_eq!(version_from_sql(version_to_sql(version)), version);
        }
    }
}
