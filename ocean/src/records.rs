//! The records port: items under a partition and sort key, queries on the primary key and on
//! declared secondary indexes, and conditional writes (DynamoDB's shape, which an SQL store can
//! implement faithfully).

use std::fmt;

use async_trait::async_trait;

use crate::error::{Error, Result};

/// Longest partition or sort key, in bytes (DynamoDB's sort-key limit).
pub const MAX_KEY_BYTES: usize = 1024;
/// Largest item body, in bytes (under DynamoDB's 400 KB item limit, leaving room for keys).
pub const MAX_BODY_BYTES: usize = 350 * 1024;
/// Most writes in one [`Records::commit`] (DynamoDB's `TransactWriteItems` limit).
pub const MAX_COMMIT_WRITES: usize = 100;
/// Most items a [`Query`] returns in one page.
pub const MAX_PAGE_ITEMS: u32 = 1000;

/// Where an item lives: a partition and a sort key, both non-empty, at most
/// [`MAX_KEY_BYTES`] bytes. Items of a partition are ordered by the sort key's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// Groups items that are read together (one user, one board shard).
    pub partition: String,
    /// Orders items within the partition (byte-wise).
    pub sort: String,
}

impl Key {
    /// A key from its two parts; checked when it reaches a port.
    pub fn new(partition: impl Into<String>, sort: impl Into<String>) -> Self {
        Self {
            partition: partition.into(),
            sort: sort.into(),
        }
    }

    /// Refuses an empty or oversized part, naming `field` (`key` or `index_key`).
    pub fn check(&self, field: &'static str) -> Result<()> {
        for (part, text) in [("partition", &self.partition), ("sort", &self.sort)] {
            if text.is_empty() {
                return Err(Error::invalid(field, format!("the {part} key is empty")));
            }
            if text.len() > MAX_KEY_BYTES {
                return Err(Error::invalid(
                    field,
                    format!(
                        "the {part} key has {} bytes, more than {MAX_KEY_BYTES}",
                        text.len()
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", self.partition, self.sort)
    }
}

/// A secondary index an application declares up front (at most [`Index::MAX`] of them,
/// numbered `0..MAX`). Backends map number `n` to a fixed pair of key attributes or columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Index(u8);

impl Index {
    /// How many secondary indexes a backend provides.
    pub const MAX: u8 = 4;

    /// Index number `n`, if `n < MAX`.
    pub const fn new(n: u8) -> Option<Self> {
        if n < Self::MAX { Some(Self(n)) } else { None }
    }

    /// This index's number, `0..MAX`.
    pub const fn number(self) -> u8 {
        self.0
    }

    /// Every index, in order.
    pub fn all() -> impl Iterator<Item = Index> {
        (0..Self::MAX).map(Index)
    }
}

/// One stored item: its key, the caller-chosen version, its entries in secondary indexes and
/// an opaque body (the application serialises its own records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The primary key.
    pub key: Key,
    /// The version the writer gave it; [`Condition::VersionIs`] compares against it.
    pub version: u64,
    /// The item's key in each secondary index it appears in (`None`: absent from that index).
    pub index_keys: [Option<Key>; Index::MAX as usize],
    /// The application's bytes, at most [`MAX_BODY_BYTES`].
    pub body: Vec<u8>,
}

impl Item {
    /// An item at `version` that appears in no secondary index.
    pub fn new(key: Key, version: u64, body: Vec<u8>) -> Self {
        Self {
            key,
            version,
            index_keys: Default::default(),
            body,
        }
    }

    /// This item with `key` as its key in secondary `index`.
    #[must_use]
    pub fn with_index_key(mut self, index: Index, key: Key) -> Self {
        self.index_keys[usize::from(index.0)] = Some(key);
        self
    }

    /// Its key in secondary `index`, if it appears there.
    pub fn index_key(&self, index: Index) -> Option<&Key> {
        self.index_keys[usize::from(index.0)].as_ref()
    }

    /// Refuses bad keys or an oversized body, so adapters check the same things the same way.
    pub fn check(&self) -> Result<()> {
        self.key.check("key")?;
        for key in self.index_keys.iter().flatten() {
            key.check("index_key")?;
        }
        if self.body.len() > MAX_BODY_BYTES {
            return Err(Error::invalid(
                "body",
                format!(
                    "the body has {} bytes, more than {MAX_BODY_BYTES}",
                    self.body.len()
                ),
            ));
        }
        Ok(())
    }
}

/// When a write may happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Always (an upsert, or a delete of whatever is there).
    Always,
    /// Only if no item has this key (create-if-absent).
    Absent,
    /// Only if an item has this key at exactly this version (update-if-version).
    VersionIs(u64),
}

/// One write of a [`Records::write`], [`Records::commit`] or [`Records::write_batch`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "writes are built once and moved into a batch; boxing would allocate per write"
)]
pub enum Write {
    /// Store `item` whole, replacing any item with its key, if `condition` holds.
    Put {
        /// What to store.
        item: Item,
        /// When.
        condition: Condition,
    },
    /// Remove the item with `key` (nothing there is not an error) if `condition` holds.
    Delete {
        /// What to remove.
        key: Key,
        /// When.
        condition: Condition,
    },
    /// Write nothing, but fail the commit unless `condition` holds for `key`.
    Check {
        /// What to look at.
        key: Key,
        /// What must hold.
        condition: Condition,
    },
}

impl Write {
    /// An unconditional put.
    pub fn put(item: Item) -> Self {
        Write::Put {
            item,
            condition: Condition::Always,
        }
    }

    /// The key this write touches.
    pub fn key(&self) -> &Key {
        match self {
            Write::Put { item, .. } => &item.key,
            Write::Delete { key, .. } | Write::Check { key, .. } => key,
        }
    }

    /// The condition this write carries.
    pub fn condition(&self) -> Condition {
        match self {
            Write::Put { condition, .. }
            | Write::Delete { condition, .. }
            | Write::Check { condition, .. } => *condition,
        }
    }

    /// Refuses bad keys or bodies.
    pub fn check(&self) -> Result<()> {
        match self {
            Write::Put { item, .. } => item.check(),
            Write::Delete { key, .. } | Write::Check { key, .. } => key.check("key"),
        }
    }
}

/// Checks a commit's shape as every backend must: 1 to [`MAX_COMMIT_WRITES`] valid writes,
/// no key written twice.
pub fn check_commit(writes: &[Write]) -> Result<()> {
    if writes.is_empty() || writes.len() > MAX_COMMIT_WRITES {
        return Err(Error::invalid(
            "writes",
            format!(
                "a commit holds 1 to {MAX_COMMIT_WRITES} writes, not {}",
                writes.len()
            ),
        ));
    }
    let mut keys = std::collections::HashSet::with_capacity(writes.len());
    for write in writes {
        write.check()?;
        if !keys.insert(write.key()) {
            return Err(Error::invalid(
                "writes",
                format!("key {} appears twice in one commit", write.key()),
            ));
        }
    }
    Ok(())
}

/// Which sort keys a query covers, compared byte-wise.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SortRange {
    /// Every item of the partition.
    #[default]
    All,
    /// Sort keys starting with this text.
    Prefix(String),
    /// Sort keys in `[start, end]`, both ends included.
    Between {
        /// The smallest sort key included.
        start: String,
        /// The largest sort key included.
        end: String,
    },
}

impl SortRange {
    /// Whether `sort` falls in this range.
    pub fn contains(&self, sort: &str) -> bool {
        match self {
            SortRange::All => true,
            SortRange::Prefix(prefix) => sort.starts_with(prefix.as_str()),
            SortRange::Between { start, end } => start.as_str() <= sort && sort <= end.as_str(),
        }
    }
}

/// Sort-key order of a query's results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Smallest sort key first.
    #[default]
    Ascending,
    /// Largest sort key first.
    Descending,
}

/// An opaque position after the last item of a page; only the backend that made it reads it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor(pub String);

/// One page of a partition, in the primary key or in a secondary index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// `None` for the primary key, else the secondary index to read.
    pub index: Option<Index>,
    /// The partition (of the primary key or of the index).
    pub partition: String,
    /// Which sort keys.
    pub range: SortRange,
    /// In which order.
    pub order: Order,
    /// At most this many items (1 to [`MAX_PAGE_ITEMS`]).
    pub limit: u32,
    /// Continue after this position (from the previous page's [`Page::next`]).
    pub cursor: Option<Cursor>,
}

impl Query {
    /// The first `limit` items of a primary-key partition, ascending.
    pub fn partition(partition: impl Into<String>, limit: u32) -> Self {
        Self {
            index: None,
            partition: partition.into(),
            range: SortRange::All,
            order: Order::Ascending,
            limit,
            cursor: None,
        }
    }

    /// Refuses an empty partition or a limit outside `1..=MAX_PAGE_ITEMS`.
    pub fn check(&self) -> Result<()> {
        if self.partition.is_empty() || self.partition.len() > MAX_KEY_BYTES {
            return Err(Error::invalid(
                "partition",
                format!("a partition key has 1 to {MAX_KEY_BYTES} bytes"),
            ));
        }
        if self.limit == 0 || self.limit > MAX_PAGE_ITEMS {
            return Err(Error::invalid(
                "limit",
                format!(
                    "a page holds 1 to {MAX_PAGE_ITEMS} items, not {}",
                    self.limit
                ),
            ));
        }
        Ok(())
    }
}

/// A page of query results.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    /// The items, in the query's order. In an index, items with equal index sort keys come in
    /// primary-key order (reversed when descending).
    pub items: Vec<Item>,
    /// Where the next page starts; `None` when nothing follows. A page may be short (even
    /// empty) while `next` is `Some`.
    pub next: Option<Cursor>,
}

/// Keyed items with conditional writes: the store every use case's data lives in.
///
/// One instance is one table. Reads are strongly consistent on the primary key; secondary
/// index reads may lag a completed write briefly (as DynamoDB's GSIs do). Keys compare
/// byte-wise. Every method is safe to call from many tasks at once.
#[async_trait]
pub trait Records: Send + Sync + fmt::Debug + 'static {
    /// The item with `key`, or `None`. Never [`Error::NotFound`].
    async fn get(&self, key: &Key) -> Result<Option<Item>>;

    /// The items with these keys, in the same order (`None` where absent). Not a snapshot:
    /// each item is read consistently, but not all at one instant. Any number of keys; the
    /// backend splits them into its own batch sizes and retries what it could not read.
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>>;

    /// One page of a partition in the primary key or a secondary index, in sort-key order.
    /// Following `next` to the end visits every item that stayed in the range exactly once.
    async fn query(&self, query: &Query) -> Result<Page>;

    /// One write, atomic. A failed condition returns [`Error::Conflict`] naming the key and
    /// writes nothing. [`Write::Check`] alone is allowed (a conditional read).
    async fn write(&self, write: Write) -> Result<()>;

    /// Several writes, all or nothing: if any condition fails, none is applied and the error
    /// is [`Error::Conflict`] naming the first failing write's index and key. 1 to
    /// [`MAX_COMMIT_WRITES`] writes, each key at most once (else [`Error::Invalid`]).
    /// Concurrent commits are serialisable: each sees the others wholly or not at all.
    async fn commit(&self, writes: Vec<Write>) -> Result<()>;

    /// Many unconditional writes ([`Condition::Always`] only, else [`Error::Invalid`]),
    /// each atomic on its own but not together; retrying the whole batch is idempotent.
    /// Backends send them in their largest batch size, retrying unprocessed items.
    async fn write_batch(&self, writes: Vec<Write>) -> Result<()>;
}
