//! Several partitions of one index read as if they were one: a category's global pool is
//! split over `store::GLOBAL_POOL_SHARDS` partitions so that no single partition takes
//! every photo's writes (on DynamoDB each index is a GSI, and one GSI partition per
//! category would be hot), and readers merge the shards back in the index's sort-key order.
//!
//! [`MergedScan`] keeps one query per partition with its own backend cursor and a buffer of
//! items read but not yet handed out; each page it hands out takes the smallest (or, when
//! descending, largest) buffered sort key next, refilling every empty buffer at once. So a
//! merged page is exactly the page a single partition holding all the items would give, and
//! following pages to the end visits every item once, as one partition's cursor would.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;

use ocean::Records;
use ocean::records::{Item, Key, Order, Page, Query};

use crate::service::ServiceError;

/// A scan of several partitions of one index (or of the primary key) in one sort-key
/// order, handed out in pages.
#[derive(Debug)]
pub(crate) struct MergedScan<'a> {
    records: &'a dyn Records,
    query: Query,
    shards: Vec<Shard>,
}

/// One partition's part of a scan.
#[derive(Debug)]
struct Shard {
    /// Its query, carrying the backend's cursor after the last page read.
    query: Query,
    /// Items read and not yet handed out, in the query's order.
    buffered: VecDeque<Item>,
    /// Whether the backend has nothing after `buffered`.
    exhausted: bool,
}

impl<'a> MergedScan<'a> {
    /// A scan of `partitions` with `query`'s index, range and order; `query.limit` is the
    /// page size read from each partition, and its partition and cursor are ignored.
    pub(crate) fn new(
        records: &'a dyn Records,
        query: Query,
        partitions: impl IntoIterator<Item = String>,
    ) -> Self {
        let shards = partitions
            .into_iter()
            .map(|partition| Shard {
                query: Query {
                    partition,
                    cursor: None,
                    ..query.clone()
                },
                buffered: VecDeque::new(),
                exhausted: false,
            })
            .collect();
        Self {
            records,
            query,
            shards,
        }
    }

    /// The next at most `limit` items over every partition, in the query's order (equal
    /// sort keys in primary-key order, reversed when descending, as in one partition).
    /// Empty when the scan is over.
    pub(crate) async fn next_page(&mut self, limit: usize) -> Result<Vec<Item>, ServiceError> {
        let mut page = Vec::with_capacity(limit.min(self.query.limit as usize));
        while page.len() < limit {
            self.refill().await?;
            let Some(next) = self.next_shard() else {
                break;
            };
            if let Some(item) = self.shards[next].buffered.pop_front() {
                page.push(item);
            }
        }
        Ok(page)
    }

    /// Every remaining item, in the query's order.
    pub(crate) async fn collect_all(&mut self) -> Result<Vec<Item>, ServiceError> {
        let mut items = Vec::new();
        loop {
            let page = self.next_page(self.query.limit as usize).await?;
            if page.is_empty() {
                return Ok(items);
            }
            items.extend(page);
        }
    }

    /// The shard whose first buffered item comes next, if any has one.
    fn next_shard(&self) -> Option<usize> {
        let heads =
            self.shards.iter().enumerate().filter_map(|(n, shard)| {
                shard.buffered.front().map(|item| (n, self.order_key(item)))
            });
        match self.query.order {
            Order::Ascending => heads.min_by(|a, b| a.1.cmp(&b.1)),
            Order::Descending => heads.max_by(|a, b| a.1.cmp(&b.1)),
        }
        .map(|(n, _)| n)
    }

    /// What items are ordered by: the index sort key, then the primary key.
    fn order_key<'i>(&self, item: &'i Item) -> (&'i str, &'i Key) {
        let sort = self
            .query
            .index
            .and_then(|index| item.index_key(index))
            .unwrap_or(&item.key);
        (&sort.sort, &item.key)
    }

    /// Reads the next page of every partition whose buffer is empty and that has more,
    /// all at once, until each buffer holds an item or its partition is exhausted (a page
    /// may be empty while more follows).
    async fn refill(&mut self) -> Result<(), ServiceError> {
        loop {
            let empty: Vec<usize> = (0..self.shards.len())
                .filter(|&n| self.shards[n].buffered.is_empty() && !self.shards[n].exhausted)
                .collect();
            if empty.is_empty() {
                return Ok(());
            }
            let records = self.records;
            let reads = empty
                .iter()
                .map(|&n| records.query(&self.shards[n].query))
                .collect();
            let pages = join_all(reads).await;
            for (n, page) in empty.into_iter().zip(pages) {
                let Page { items, next } = page?;
                if let Some(index) = self.query.index
                    && let Some(item) = items.iter().find(|item| item.index_key(index).is_none())
                {
                    return Err(ServiceError::Corrupt {
                        what: format!("record {} read from an index without its key", item.key),
                    });
                }
                let shard = &mut self.shards[n];
                shard.buffered.extend(items);
                shard.exhausted = next.is_none();
                shard.query.cursor = next;
            }
        }
    }
}

/// A boxed future borrowing the records port, as `Records` methods return.
type PortFuture<'f, T> = Pin<Box<dyn Future<Output = T> + Send + 'f>>;

/// Runs `futures` concurrently; their outputs in the same order.
async fn join_all<T>(mut futures: Vec<PortFuture<'_, T>>) -> Vec<T> {
    let mut outputs: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ocean::records::{Index, SortRange, Write};
    use ocean_embedded::EmbeddedRecords;
    use rand::rngs::SmallRng;
    use rand::{RngExt, SeedableRng};

    use super::*;

    const SHARDED: Index = match Index::new(3) {
        Some(index) => index,
        None => panic!("index 3"),
    };
    const SINGLE: Index = match Index::new(1) {
        Some(index) => index,
        None => panic!("index 1"),
    };

    /// 60 items spread at random over 5 partitions of one index and all in one partition
    /// of another, with repeated sort keys (and a shard left empty).
    async fn records(dir: &std::path::Path) -> Arc<dyn Records> {
        let records: Arc<dyn Records> = Arc::new(EmbeddedRecords::open(dir).unwrap());
        let mut rng = SmallRng::seed_from_u64(5);
        let mut writes = Vec::new();
        for n in 0..60_u32 {
            let shard = rng.random_range(0..4_u32);
            let sort = format!("{:03}", rng.random_range(0..25_u32));
            let item = Item::new(Key::new(format!("p#{n:02}"), "photo"), 1, Vec::new())
                .with_index_key(SHARDED, Key::new(format!("s#{shard}"), sort.clone()))
                .with_index_key(SINGLE, Key::new("one", sort));
            writes.push(Write::put(item));
        }
        records.write_batch(writes).await.unwrap();
        records
    }

    fn keys(items: &[Item]) -> Vec<String> {
        items.iter().map(|item| item.key.to_string()).collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn merged_shards_read_as_one_partition_in_every_order_range_and_page_size() {
        let dir = tempfile::tempdir().unwrap();
        let records = records(dir.path()).await;
        let ranges = [
            SortRange::All,
            SortRange::Prefix("01".to_owned()),
            SortRange::Between {
                start: "005".to_owned(),
                end: "017".to_owned(),
            },
        ];
        for range in ranges {
            for order in [Order::Ascending, Order::Descending] {
                let query = |index, limit| Query {
                    index: Some(index),
                    range: range.clone(),
                    order,
                    ..Query::partition("one", limit)
                };
                let oracle = records.query(&query(SINGLE, 1000)).await.unwrap().items;
                for (shard_page, page) in [(1, 1), (3, 7), (1000, 1000), (2, 1000)] {
                    let partitions = (0..5).map(|shard| format!("s#{shard}"));
                    let mut scan =
                        MergedScan::new(records.as_ref(), query(SHARDED, shard_page), partitions);
                    let mut pages = Vec::new();
                    loop {
                        let next = scan.next_page(page).await.unwrap();
                        if next.is_empty() {
                            break;
                        }
                        assert!(next.len() <= page);
                        pages.extend(next);
                    }
                    assert_eq!(
                        keys(&pages),
                        keys(&oracle),
                        "{range:?} {order:?} pages {shard_page}/{page}"
                    );
                }
                // The first `n` items alone, as a limited single-partition query.
                let partitions = (0..5).map(|shard| format!("s#{shard}"));
                let mut scan = MergedScan::new(records.as_ref(), query(SHARDED, 4), partitions);
                let first = scan.next_page(10).await.unwrap();
                let oracle_first = records.query(&query(SINGLE, 10)).await.unwrap().items;
                assert_eq!(keys(&first), keys(&oracle_first), "{order:?} first 10");
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_empty_scan_ends_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let records = records(dir.path()).await;
        let query = Query {
            index: Some(SHARDED),
            ..Query::partition("unused", 10)
        };
        let mut scan = MergedScan::new(records.as_ref(), query, ["s#none".to_owned()]);
        assert!(scan.collect_all().await.unwrap().is_empty());
        let none: [String; 0] = [];
        let mut scan = MergedScan::new(records.as_ref(), Query::partition("unused", 10), none);
        assert!(scan.next_page(5).await.unwrap().is_empty());
    }
}
