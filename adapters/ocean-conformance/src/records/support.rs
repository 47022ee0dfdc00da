//! Helpers shared by the records checks: item and write builders, calls that panic on
//! failure, index queries and their polling, paging, and judging conflicts and races.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use ocean::records::{Condition, Index, Item, Key, Order, Page, Query, Write};
use ocean::{ErrorKind, Records};

use super::INDEX_LAG;
use crate::assert_kind;

/// Pause between two reads of an index that does not show a write yet.
const INDEX_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// Most pages a check follows before deciding that `next` never ends.
const MAX_PAGES: usize = 5000;

/// Writers in each race.
pub(super) const RACERS: usize = 16;

/// Secondary index `n` (panics if `n` is out of range: a bug in the check).
pub(super) fn index(n: u8) -> Index {
    Index::new(n).expect("index number below Index::MAX")
}

/// An item at `version` whose body is `body`'s bytes.
pub(super) fn item(key: &Key, version: u64, body: &str) -> Item {
    Item::new(key.clone(), version, body.as_bytes().to_vec())
}

/// A put under `condition`.
pub(super) fn put_if(item: Item, condition: Condition) -> Write {
    Write::Put { item, condition }
}

/// A delete under `condition`.
pub(super) fn delete_if(key: &Key, condition: Condition) -> Write {
    Write::Delete {
        key: key.clone(),
        condition,
    }
}

/// A check of `condition` on `key`.
pub(super) fn check_if(key: &Key, condition: Condition) -> Write {
    Write::Check {
        key: key.clone(),
        condition,
    }
}

/// Applies `write`, panicking (naming `what`) if it fails.
pub(super) async fn write_ok(records: &dyn Records, write: Write, what: &str) {
    if let Err(error) = records.write(write).await {
        panic!("{what}: write failed: {error:?}");
    }
}

/// Stores `item` unconditionally, panicking (naming `what`) if it fails.
pub(super) async fn put_ok(records: &dyn Records, item: Item, what: &str) {
    write_ok(records, Write::put(item), what).await;
}

/// Applies `writes` as one commit, panicking (naming `what`) if it fails.
pub(super) async fn commit_ok(records: &dyn Records, writes: Vec<Write>, what: &str) {
    if let Err(error) = records.commit(writes).await {
        panic!("{what}: commit failed: {error:?}");
    }
}

/// Applies `writes` as one batch, panicking (naming `what`) if it fails.
pub(super) async fn write_batch_ok(records: &dyn Records, writes: Vec<Write>, what: &str) {
    if let Err(error) = records.write_batch(writes).await {
        panic!("{what}: write_batch failed: {error:?}");
    }
}

/// The item with `key`, panicking (naming `what`) if the read fails.
pub(super) async fn get_ok(records: &dyn Records, key: &Key, what: &str) -> Option<Item> {
    match records.get(key).await {
        Ok(item) => item,
        Err(error) => panic!("{what}: get {key} failed: {error:?}"),
    }
}

/// The items with `keys`, panicking (naming `what`) if the read fails or returns a wrong
/// number of results.
pub(super) async fn get_many_ok(
    records: &dyn Records,
    keys: &[Key],
    what: &str,
) -> Vec<Option<Item>> {
    match records.get_many(keys).await {
        Ok(items) => {
            assert_eq!(
                items.len(),
                keys.len(),
                "{what}: get_many returns one result per key"
            );
            items
        }
        Err(error) => panic!("{what}: get_many of {} keys failed: {error:?}", keys.len()),
    }
}

/// Asserts that the item with `key` is exactly `expected` (or absent for `None`).
pub(super) async fn assert_stored(
    records: &dyn Records,
    key: &Key,
    expected: Option<&Item>,
    what: &str,
) {
    let stored = get_ok(records, key, what).await;
    assert_eq!(
        stored.as_ref(),
        expected,
        "{what}: the item stored at {key}"
    );
}

/// One page of `query`, panicking (naming `what`) if it fails or holds more than the limit.
pub(super) async fn query_ok(records: &dyn Records, query: &Query, what: &str) -> Page {
    match records.query(query).await {
        Ok(page) => {
            assert!(
                page.items.len() <= query.limit as usize,
                "{what}: a page holds at most `limit` ({}) items, got {}",
                query.limit,
                page.items.len()
            );
            page
        }
        Err(error) => panic!("{what}: query {query:?} failed: {error:?}"),
    }
}

/// Every item of `query`, following `next` from page to page until it is `None`.
pub(super) async fn all_pages(records: &dyn Records, query: &Query, what: &str) -> Vec<Item> {
    let mut query = query.clone();
    let mut items = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = query_ok(records, &query, what).await;
        items.extend(page.items);
        match page.next {
            None => return items,
            Some(cursor) => query.cursor = Some(cursor),
        }
    }
    panic!("{what}: following `next` did not end within {MAX_PAGES} pages");
}

/// The primary keys of `items`, in order.
pub(super) fn keys_of(items: &[Item]) -> Vec<Key> {
    items.iter().map(|item| item.key.clone()).collect()
}

/// Every item of `query` (an index query) once the index shows exactly `expected` (primary
/// keys, in order); the index may lag up to [`INDEX_LAG`].
pub(super) async fn index_settles(
    records: &dyn Records,
    query: &Query,
    expected: &[Key],
    what: &str,
) -> Vec<Item> {
    let started = Instant::now();
    loop {
        let items = all_pages(records, query, what).await;
        let keys = keys_of(&items);
        if keys == expected {
            return items;
        }
        if started.elapsed() > INDEX_LAG {
            assert_eq!(
                keys, expected,
                "{what}: the index still shows other items after {INDEX_LAG:?}"
            );
        }
        tokio::time::sleep(INDEX_RETRY_PAUSE).await;
    }
}

/// A query of `limit` items of `partition` in secondary `index`, ascending.
pub(super) fn index_query(index: Index, partition: &str, limit: u32) -> Query {
    Query {
        index: Some(index),
        ..Query::partition(partition, limit)
    }
}

/// `query` with another order.
pub(super) fn ordered(query: &Query, order: Order) -> Query {
    Query {
        order,
        ..query.clone()
    }
}

/// `query` with another limit.
pub(super) fn limited(query: &Query, limit: u32) -> Query {
    Query {
        limit,
        ..query.clone()
    }
}

/// Asserts that `result` is a conflict whose message names `key`.
#[track_caller]
pub(super) fn assert_conflict_names_key(result: &ocean::Result<()>, key: &Key, what: &str) {
    assert_kind(result, ErrorKind::Conflict, what);
    if let Err(error) = result {
        let message = error.to_string();
        assert!(
            message.contains(&key.partition) && message.contains(&key.sort),
            "{what}: a conflict names the key {key}, got {message:?}"
        );
    }
}

/// The index of the one `Ok` among `results`, asserting every other one is a conflict.
#[track_caller]
pub(super) fn one_winner(results: &[ocean::Result<()>], what: &str) -> usize {
    let winners: Vec<usize> = (0..results.len()).filter(|&n| results[n].is_ok()).collect();
    assert_eq!(
        winners.len(),
        1,
        "{what}: exactly one of {} racers wins, got {results:?}",
        results.len()
    );
    for (n, result) in results.iter().enumerate() {
        if n != winners[0] {
            assert_kind(result, ErrorKind::Conflict, what);
        }
    }
    winners[0]
}

/// The items in reverse.
pub(super) fn reversed(items: &[Item]) -> Vec<Item> {
    items.iter().rev().cloned().collect()
}

/// Asserts that paging through `query` visits every item of `stayed` exactly once, in order,
/// while `changes` (committed after the first page) delete and add items; items not in
/// `stayed` may appear at most once.
pub(super) async fn assert_paging_survives(
    records: &dyn Records,
    query: &Query,
    stayed: &[Key],
    changes: Vec<Write>,
    what: &str,
) {
    let first = query_ok(records, query, what).await;
    let mut visited = keys_of(&first.items);
    commit_ok(records, changes, what).await;
    if let Some(cursor) = first.next {
        let rest = Query {
            cursor: Some(cursor),
            ..query.clone()
        };
        visited.extend(keys_of(&all_pages(records, &rest, what).await));
    }
    let mut seen = HashSet::new();
    for key in &visited {
        assert!(seen.insert(key), "{what}: {key} is visited twice");
    }
    let stayed_visits: Vec<&Key> = visited.iter().filter(|key| stayed.contains(key)).collect();
    let expected: Vec<&Key> = stayed.iter().collect();
    assert_eq!(
        stayed_visits, expected,
        "{what}: every item that stayed is visited once, in order"
    );
}
