//! Conformance checks for the records port: reads, conditional writes and their races,
//! all-or-nothing commits, `get_many`, queries on the primary key and on secondary indexes
//! (byte-wise order, ranges, cursor paging), batch writes and input validation.
//!
//! Primary-key reads must reflect a completed write at once. Secondary-index reads may lag
//! briefly, so checks that read an index after writing retry until the index shows what they
//! expect (see [`INDEX_LAG`]); a backend with consistent indexes passes on the first read.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use ocean::records::{
    Condition, Cursor, Index, Item, Key, MAX_BODY_BYTES, MAX_COMMIT_WRITES, MAX_KEY_BYTES,
    MAX_PAGE_ITEMS, Order, Page, Query, SortRange, Write,
};
use ocean::{ErrorKind, Records};

use crate::{assert_kind, unique};

/// Longest a secondary index may lag a completed write before a check gives up on it.
pub const INDEX_LAG: Duration = Duration::from_secs(10);

/// Pause between two reads of an index that does not show a write yet.
const INDEX_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// Most pages a check follows before deciding that `next` never ends.
const MAX_PAGES: usize = 5000;

/// Writers in each race.
const RACERS: usize = 16;

/// Runs every records check, one after another, each in fresh partitions.
pub async fn run_all(records: &dyn Records) {
    get_of_a_missing_key_is_none(records).await;
    put_then_get_round_trips(records).await;
    put_replaces_the_whole_item(records).await;
    empty_body_is_allowed(records).await;
    extreme_versions_round_trip(records).await;
    create_if_absent_conflicts_on_an_existing_item(records).await;
    create_if_absent_race_has_one_winner(records).await;
    update_if_version_stores_the_new_version(records).await;
    update_if_stale_version_conflicts(records).await;
    update_if_version_of_a_missing_item_conflicts(records).await;
    update_if_version_race_has_one_winner(records).await;
    delete_always_removes_whatever_is_there(records).await;
    delete_if_version(records).await;
    delete_if_absent(records).await;
    check_alone_is_a_conditional_read(records).await;
    commit_applies_every_write(records).await;
    failed_commit_applies_nothing(records).await;
    commit_conflict_names_the_first_failing_write(records).await;
    commit_size_limits(records).await;
    commit_with_a_key_twice_is_invalid(records).await;
    concurrent_commits_on_one_version_have_one_winner(records).await;
    concurrent_commits_are_serialisable(records).await;
    get_many_keeps_order_and_gaps(records).await;
    get_many_reads_many_keys(records).await;
    get_many_of_no_keys_is_empty(records).await;
    query_orders_by_sort_key(records).await;
    query_sorts_byte_wise(records).await;
    query_prefix_range(records).await;
    query_between_range_includes_both_ends(records).await;
    query_limit_is_honoured(records).await;
    query_pages_visit_every_item_once(records).await;
    query_cursor_survives_changes(records).await;
    query_partitions_are_isolated(records).await;
    query_of_an_empty_partition_is_empty(records).await;
    query_rejects_bad_limits(records).await;
    query_rejects_a_garbage_cursor(records).await;
    query_rejects_a_bad_partition(records).await;
    index_lists_items_under_their_index_key(records).await;
    index_ties_come_in_primary_key_order(records).await;
    index_cursor_survives_changes(records).await;
    index_entries_follow_puts(records).await;
    index_entries_follow_deletes(records).await;
    index_and_primary_partitions_are_isolated(records).await;
    write_batch_applies_puts_and_deletes(records).await;
    write_batch_rejects_conditions_and_checks(records).await;
    write_batch_of_many_writes(records).await;
    write_batch_retry_is_idempotent(records).await;
    invalid_keys_and_bodies_are_rejected(records).await;
    invalid_read_keys_are_rejected(records).await;
    largest_inputs_are_accepted(records).await;
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// Secondary index `n` (panics if `n` is out of range: a bug in the check).
fn index(n: u8) -> Index {
    Index::new(n).expect("index number below Index::MAX")
}

/// An item at `version` whose body is `body`'s bytes.
fn item(key: &Key, version: u64, body: &str) -> Item {
    Item::new(key.clone(), version, body.as_bytes().to_vec())
}

/// A put under `condition`.
fn put_if(item: Item, condition: Condition) -> Write {
    Write::Put { item, condition }
}

/// A delete under `condition`.
fn delete_if(key: &Key, condition: Condition) -> Write {
    Write::Delete {
        key: key.clone(),
        condition,
    }
}

/// A check of `condition` on `key`.
fn check_if(key: &Key, condition: Condition) -> Write {
    Write::Check {
        key: key.clone(),
        condition,
    }
}

/// Applies `write`, panicking (naming `what`) if it fails.
async fn write_ok(records: &dyn Records, write: Write, what: &str) {
    if let Err(error) = records.write(write).await {
        panic!("{what}: write failed: {error:?}");
    }
}

/// Stores `item` unconditionally, panicking (naming `what`) if it fails.
async fn put_ok(records: &dyn Records, item: Item, what: &str) {
    write_ok(records, Write::put(item), what).await;
}

/// Applies `writes` as one commit, panicking (naming `what`) if it fails.
async fn commit_ok(records: &dyn Records, writes: Vec<Write>, what: &str) {
    if let Err(error) = records.commit(writes).await {
        panic!("{what}: commit failed: {error:?}");
    }
}

/// Applies `writes` as one batch, panicking (naming `what`) if it fails.
async fn write_batch_ok(records: &dyn Records, writes: Vec<Write>, what: &str) {
    if let Err(error) = records.write_batch(writes).await {
        panic!("{what}: write_batch failed: {error:?}");
    }
}

/// The item with `key`, panicking (naming `what`) if the read fails.
async fn get_ok(records: &dyn Records, key: &Key, what: &str) -> Option<Item> {
    match records.get(key).await {
        Ok(item) => item,
        Err(error) => panic!("{what}: get {key} failed: {error:?}"),
    }
}

/// The items with `keys`, panicking (naming `what`) if the read fails or returns a wrong
/// number of results.
async fn get_many_ok(records: &dyn Records, keys: &[Key], what: &str) -> Vec<Option<Item>> {
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
async fn assert_stored(records: &dyn Records, key: &Key, expected: Option<&Item>, what: &str) {
    let stored = get_ok(records, key, what).await;
    assert_eq!(
        stored.as_ref(),
        expected,
        "{what}: the item stored at {key}"
    );
}

/// One page of `query`, panicking (naming `what`) if it fails or holds more than the limit.
async fn query_ok(records: &dyn Records, query: &Query, what: &str) -> Page {
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
async fn all_pages(records: &dyn Records, query: &Query, what: &str) -> Vec<Item> {
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
fn keys_of(items: &[Item]) -> Vec<Key> {
    items.iter().map(|item| item.key.clone()).collect()
}

/// Every item of `query` (an index query) once the index shows exactly `expected` (primary
/// keys, in order); the index may lag up to [`INDEX_LAG`].
async fn index_settles(
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
fn index_query(index: Index, partition: &str, limit: u32) -> Query {
    Query {
        index: Some(index),
        ..Query::partition(partition, limit)
    }
}

/// `query` with another order.
fn ordered(query: &Query, order: Order) -> Query {
    Query {
        order,
        ..query.clone()
    }
}

/// `query` with another limit.
fn limited(query: &Query, limit: u32) -> Query {
    Query {
        limit,
        ..query.clone()
    }
}

/// Asserts that `result` is a conflict whose message names `key`.
#[track_caller]
fn assert_conflict_names_key(result: &ocean::Result<()>, key: &Key, what: &str) {
    assert_kind(result, ErrorKind::Conflict, what);
    if let Err(error) = result {
        let message = error.to_string();
        assert!(
            message.contains(&key.partition) && message.contains(&key.sort),
            "{what}: a conflict names the key {key}, got {message:?}"
        );
    }
}

/// Whether `text`, once `key`'s parts are cut out of it, holds `number` as a whole number.
fn names_number(text: &str, key: &Key, number: usize) -> bool {
    let without_key = text.replace(&key.partition, " ").replace(&key.sort, " ");
    let wanted = number.to_string();
    without_key
        .split(|c: char| !c.is_ascii_digit())
        .any(|token| token == wanted)
}

/// Runs `RACERS` writes at once and returns their results in order.
async fn race(records: &dyn Records, writes: Vec<Write>) -> Vec<ocean::Result<()>> {
    join_all(writes.into_iter().map(|write| records.write(write))).await
}

/// The index of the one `Ok` among `results`, asserting every other one is a conflict.
#[track_caller]
fn one_winner(results: &[ocean::Result<()>], what: &str) -> usize {
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

// ---------------------------------------------------------------------------------------------
// get and write.

/// `get` of a key nothing was written to is `Ok(None)`, never `NotFound`.
pub async fn get_of_a_missing_key_is_none(records: &dyn Records) {
    let key = Key::new(unique("records-missing"), "nothing");
    let result = records.get(&key).await;
    assert!(
        matches!(result, Ok(None)),
        "get of a missing key is Ok(None), got {result:?}"
    );
}

/// A put item reads back whole: key, version, index keys and body (any bytes).
pub async fn put_then_get_round_trips(records: &dyn Records) {
    let key = Key::new(unique("records-round-trip"), "item");
    let body: Vec<u8> = (0..=255u8).chain([0, 0, 255]).collect();
    let stored = Item::new(key.clone(), 7, body)
        .with_index_key(index(0), Key::new(unique("records-round-trip-i0"), "by-0"))
        .with_index_key(index(3), Key::new(unique("records-round-trip-i3"), "by-3"));
    put_ok(records, stored.clone(), "put then get").await;
    assert_stored(records, &key, Some(&stored), "put then get round-trips").await;
}

/// A put replaces the whole item: version, body and index keys all come from the new item.
pub async fn put_replaces_the_whole_item(records: &dyn Records) {
    let key = Key::new(unique("records-replace"), "item");
    let first = item(&key, 1, "first body, longer than the second")
        .with_index_key(index(1), Key::new(unique("records-replace-i1"), "old"));
    put_ok(records, first, "put replaces: first put").await;
    let second = item(&key, 2, "second");
    put_ok(records, second.clone(), "put replaces: second put").await;
    assert_stored(
        records,
        &key,
        Some(&second),
        "a put replaces the whole item",
    )
    .await;
}

/// An empty body is a valid body and reads back empty.
pub async fn empty_body_is_allowed(records: &dyn Records) {
    let key = Key::new(unique("records-empty-body"), "item");
    let empty = Item::new(key.clone(), 1, Vec::new());
    put_ok(records, empty.clone(), "empty body").await;
    assert_stored(records, &key, Some(&empty), "an empty body round-trips").await;
    let commit_key = Key::new(unique("records-empty-body"), "committed");
    let committed = Item::new(commit_key.clone(), 1, Vec::new());
    commit_ok(
        records,
        vec![put_if(committed.clone(), Condition::Absent)],
        "empty body in a commit",
    )
    .await;
    assert_stored(
        records,
        &commit_key,
        Some(&committed),
        "an empty body commits",
    )
    .await;
}

/// Versions 0 and `u64::MAX` round-trip, and `VersionIs` matches them exactly.
pub async fn extreme_versions_round_trip(records: &dyn Records) {
    let partition = unique("records-versions");
    for version in [0, 1 << 53, u64::MAX / 2 + 1, u64::MAX] {
        let key = Key::new(partition.clone(), version.to_string());
        put_ok(records, item(&key, version, "v"), "extreme versions").await;
        let read = get_ok(records, &key, "extreme versions").await;
        assert_eq!(
            read.map(|item| item.version),
            Some(version),
            "version {version} round-trips"
        );
        let updated = item(&key, version.wrapping_add(1), "next");
        let update = records
            .write(put_if(updated.clone(), Condition::VersionIs(version)))
            .await;
        assert!(
            update.is_ok(),
            "VersionIs({version}) matches an item at version {version}, got {update:?}"
        );
        assert_stored(
            records,
            &key,
            Some(&updated),
            "update from an extreme version",
        )
        .await;
    }
}

/// A create-if-absent put on an existing key is a conflict naming the key, and the existing
/// item is unchanged.
pub async fn create_if_absent_conflicts_on_an_existing_item(records: &dyn Records) {
    let key = Key::new(unique("records-absent"), "item");
    let first = item(&key, 1, "first");
    let created = records
        .write(put_if(first.clone(), Condition::Absent))
        .await;
    assert!(
        created.is_ok(),
        "create-if-absent on a missing key succeeds, got {created:?}"
    );
    let second = records
        .write(put_if(item(&key, 2, "second"), Condition::Absent))
        .await;
    assert_conflict_names_key(&second, &key, "create-if-absent on an existing key");
    assert_stored(
        records,
        &key,
        Some(&first),
        "a failed create-if-absent writes nothing",
    )
    .await;
}

/// Of `RACERS` concurrent create-if-absent puts on one key exactly one wins, every other one
/// is a conflict, and the stored item is the winner's.
pub async fn create_if_absent_race_has_one_winner(records: &dyn Records) {
    let key = Key::new(unique("records-absent-race"), "item");
    let candidates: Vec<Item> = (0..RACERS)
        .map(|n| item(&key, n as u64, &format!("racer {n}")))
        .collect();
    let writes = candidates
        .iter()
        .map(|candidate| put_if(candidate.clone(), Condition::Absent))
        .collect();
    let results = race(records, writes).await;
    let winner = one_winner(&results, "create-if-absent race");
    assert_stored(
        records,
        &key,
        Some(&candidates[winner]),
        "the create-if-absent race stores the winner's item",
    )
    .await;
}

/// An update whose `VersionIs` matches stores the new item at its new version.
pub async fn update_if_version_stores_the_new_version(records: &dyn Records) {
    let key = Key::new(unique("records-version"), "item");
    put_ok(records, item(&key, 1, "one"), "update-if-version").await;
    let next = item(&key, 2, "two");
    let result = records
        .write(put_if(next.clone(), Condition::VersionIs(1)))
        .await;
    assert!(
        result.is_ok(),
        "update-if-version with the current version succeeds, got {result:?}"
    );
    assert_stored(
        records,
        &key,
        Some(&next),
        "update-if-version stores the new version",
    )
    .await;
    let again = item(&key, 3, "three");
    let result = records
        .write(put_if(again.clone(), Condition::VersionIs(2)))
        .await;
    assert!(
        result.is_ok(),
        "update-if-version compares against the version last written, got {result:?}"
    );
    assert_stored(records, &key, Some(&again), "a second update-if-version").await;
}

/// An update from a stale version is a conflict naming the key and changes nothing.
pub async fn update_if_stale_version_conflicts(records: &dyn Records) {
    let key = Key::new(unique("records-stale"), "item");
    let current = item(&key, 5, "five");
    put_ok(records, current.clone(), "stale update").await;
    for stale in [4, 6, 0] {
        let result = records
            .write(put_if(item(&key, 9, "nine"), Condition::VersionIs(stale)))
            .await;
        assert_conflict_names_key(&result, &key, "update-if-version from a stale version");
    }
    assert_stored(
        records,
        &key,
        Some(&current),
        "a stale update-if-version writes nothing",
    )
    .await;
}

/// `VersionIs` on a missing key is a conflict and creates nothing.
pub async fn update_if_version_of_a_missing_item_conflicts(records: &dyn Records) {
    let key = Key::new(unique("records-version-missing"), "item");
    let result = records
        .write(put_if(item(&key, 2, "two"), Condition::VersionIs(1)))
        .await;
    assert_conflict_names_key(&result, &key, "update-if-version of a missing item");
    assert_stored(
        records,
        &key,
        None,
        "a failed update-if-version creates nothing",
    )
    .await;
}

/// Of `RACERS` concurrent updates from the same version exactly one wins and is stored.
pub async fn update_if_version_race_has_one_winner(records: &dyn Records) {
    let key = Key::new(unique("records-version-race"), "item");
    put_ok(records, item(&key, 1, "start"), "update race").await;
    let candidates: Vec<Item> = (0..RACERS)
        .map(|n| item(&key, 2, &format!("racer {n}")))
        .collect();
    let writes = candidates
        .iter()
        .map(|candidate| put_if(candidate.clone(), Condition::VersionIs(1)))
        .collect();
    let results = race(records, writes).await;
    let winner = one_winner(&results, "update-if-version race");
    assert_stored(
        records,
        &key,
        Some(&candidates[winner]),
        "the update-if-version race stores the winner's item",
    )
    .await;
}

/// An unconditional delete removes the item; deleting nothing is not an error.
pub async fn delete_always_removes_whatever_is_there(records: &dyn Records) {
    let key = Key::new(unique("records-delete"), "item");
    put_ok(records, item(&key, 1, "doomed"), "delete always").await;
    write_ok(records, delete_if(&key, Condition::Always), "delete always").await;
    assert_stored(
        records,
        &key,
        None,
        "an unconditional delete removes the item",
    )
    .await;
    let again = records.write(delete_if(&key, Condition::Always)).await;
    assert!(
        again.is_ok(),
        "deleting a missing item is not an error, got {again:?}"
    );
}

/// A delete under `VersionIs` removes a matching item and conflicts (changing nothing) on a
/// stale version or a missing item.
pub async fn delete_if_version(records: &dyn Records) {
    let key = Key::new(unique("records-delete-version"), "item");
    let current = item(&key, 3, "three");
    put_ok(records, current.clone(), "delete if version").await;
    let stale = records
        .write(delete_if(&key, Condition::VersionIs(2)))
        .await;
    assert_conflict_names_key(&stale, &key, "delete from a stale version");
    assert_stored(
        records,
        &key,
        Some(&current),
        "a failed delete leaves the item",
    )
    .await;
    let matching = records
        .write(delete_if(&key, Condition::VersionIs(3)))
        .await;
    assert!(
        matching.is_ok(),
        "delete with the current version succeeds, got {matching:?}"
    );
    assert_stored(
        records,
        &key,
        None,
        "a delete with the current version removes it",
    )
    .await;
    let missing = records
        .write(delete_if(&key, Condition::VersionIs(3)))
        .await;
    assert_conflict_names_key(&missing, &key, "delete-if-version of a missing item");
}

/// A delete under `Absent` conflicts on an existing item (leaving it) and succeeds on a
/// missing one.
pub async fn delete_if_absent(records: &dyn Records) {
    let key = Key::new(unique("records-delete-absent"), "item");
    let current = item(&key, 1, "one");
    put_ok(records, current.clone(), "delete if absent").await;
    let existing = records.write(delete_if(&key, Condition::Absent)).await;
    assert_conflict_names_key(&existing, &key, "delete-if-absent of an existing item");
    assert_stored(
        records,
        &key,
        Some(&current),
        "a failed delete-if-absent leaves the item",
    )
    .await;
    let missing_key = Key::new(key.partition.clone(), "missing");
    let missing = records
        .write(delete_if(&missing_key, Condition::Absent))
        .await;
    assert!(
        missing.is_ok(),
        "delete-if-absent of a missing item holds and deletes nothing, got {missing:?}"
    );
}

/// `Write::Check` alone is allowed: it succeeds when its condition holds, conflicts when it
/// does not, and writes nothing either way.
pub async fn check_alone_is_a_conditional_read(records: &dyn Records) {
    let partition = unique("records-check");
    let key = Key::new(partition.clone(), "present");
    let missing = Key::new(partition, "missing");
    let current = item(&key, 4, "four");
    put_ok(records, current.clone(), "check alone").await;
    for (target, condition, holds) in [
        (&key, Condition::Always, true),
        (&key, Condition::VersionIs(4), true),
        (&key, Condition::VersionIs(3), false),
        (&key, Condition::Absent, false),
        (&missing, Condition::Always, true),
        (&missing, Condition::Absent, true),
        (&missing, Condition::VersionIs(4), false),
    ] {
        let result = records.write(check_if(target, condition)).await;
        let what = format!("a check of {condition:?} on {target}");
        if holds {
            assert!(result.is_ok(), "{what} holds, got {result:?}");
        } else {
            assert_conflict_names_key(&result, target, &what);
        }
    }
    assert_stored(records, &key, Some(&current), "a check writes nothing").await;
    assert_stored(records, &missing, None, "a check creates nothing").await;
}

// ---------------------------------------------------------------------------------------------
// commit.

/// Puts, deletes and checks of one commit whose conditions all hold are all applied.
pub async fn commit_applies_every_write(records: &dyn Records) {
    let partition = unique("records-commit");
    let key = |sort: &str| Key::new(partition.clone(), sort);
    let (updated, deleted, checked) = (key("updated"), key("deleted"), key("checked"));
    let (created, upserted) = (key("created"), key("upserted"));
    for existing in [&updated, &deleted, &checked] {
        put_ok(records, item(existing, 1, "before"), "commit set-up").await;
    }
    let new_updated = item(&updated, 2, "after");
    let new_created = item(&created, 1, "created");
    let new_upserted = item(&upserted, 1, "upserted");
    let writes = vec![
        put_if(new_created.clone(), Condition::Absent),
        put_if(new_updated.clone(), Condition::VersionIs(1)),
        delete_if(&deleted, Condition::VersionIs(1)),
        check_if(&checked, Condition::VersionIs(1)),
        Write::put(new_upserted.clone()),
    ];
    commit_ok(records, writes, "a commit whose conditions hold").await;
    let what = "a commit applies every write";
    assert_stored(records, &created, Some(&new_created), what).await;
    assert_stored(records, &updated, Some(&new_updated), what).await;
    assert_stored(records, &deleted, None, what).await;
    assert_stored(records, &checked, Some(&item(&checked, 1, "before")), what).await;
    assert_stored(records, &upserted, Some(&new_upserted), what).await;
}

/// When one condition in the middle of a commit fails, the commit is a conflict naming that
/// write's index and key, and none of its writes is visible.
pub async fn failed_commit_applies_nothing(records: &dyn Records) {
    let partition = unique("records-commit-fails");
    let key = |sort: &str| Key::new(partition.clone(), sort);
    let (created, updated, checked, deleted, upserted) = (
        key("created"),
        key("updated"),
        key("checked"),
        key("deleted"),
        key("upserted"),
    );
    for existing in [&updated, &checked, &deleted] {
        put_ok(records, item(existing, 1, "before"), "failed commit set-up").await;
    }
    let writes = vec![
        put_if(item(&created, 1, "created"), Condition::Absent),
        put_if(item(&updated, 2, "after"), Condition::VersionIs(1)),
        check_if(&checked, Condition::VersionIs(7)),
        delete_if(&deleted, Condition::Always),
        Write::put(item(&upserted, 1, "upserted")),
    ];
    let result = records.commit(writes).await;
    assert_conflict_names_key(&result, &checked, "a commit with a failing check");
    if let Err(error) = &result {
        let message = error.to_string();
        assert!(
            names_number(&message, &checked, 2),
            "a failed commit names the failing write's index (2), got {message:?}"
        );
    }
    let what = "a failed commit applies nothing";
    assert_stored(records, &created, None, what).await;
    assert_stored(records, &updated, Some(&item(&updated, 1, "before")), what).await;
    assert_stored(records, &checked, Some(&item(&checked, 1, "before")), what).await;
    assert_stored(records, &deleted, Some(&item(&deleted, 1, "before")), what).await;
    assert_stored(records, &upserted, None, what).await;
}

/// With several failing conditions, the conflict names the first failing write.
pub async fn commit_conflict_names_the_first_failing_write(records: &dyn Records) {
    let partition = unique("records-commit-first");
    let key = |sort: &str| Key::new(partition.clone(), sort);
    let (fine, first_failing, second_failing) = (key("fine"), key("first"), key("second"));
    put_ok(
        records,
        item(&first_failing, 1, "there"),
        "first failing set-up",
    )
    .await;
    let writes = vec![
        Write::put(item(&fine, 1, "fine")),
        put_if(item(&first_failing, 2, "x"), Condition::Absent),
        Write::put(item(&key("other"), 1, "other")),
        put_if(item(&second_failing, 2, "x"), Condition::VersionIs(1)),
    ];
    let result = records.commit(writes).await;
    assert_conflict_names_key(&result, &first_failing, "a commit with two failing writes");
    if let Err(error) = &result {
        let message = error.to_string();
        assert!(
            names_number(&message, &first_failing, 1),
            "a failed commit names the first failing write's index (1), got {message:?}"
        );
    }
    assert_stored(records, &fine, None, "a failed commit applies nothing").await;
}

/// A commit holds 1 to `MAX_COMMIT_WRITES` writes: none or one too many is invalid (and
/// applies nothing); exactly `MAX_COMMIT_WRITES` works.
pub async fn commit_size_limits(records: &dyn Records) {
    let empty = records.commit(Vec::new()).await;
    assert_kind(&empty, ErrorKind::Invalid, "a commit of no writes");

    let partition = unique("records-commit-size");
    let keys: Vec<Key> = (0..=MAX_COMMIT_WRITES)
        .map(|n| Key::new(partition.clone(), format!("{n:04}")))
        .collect();
    let too_many = keys
        .iter()
        .map(|key| Write::put(item(key, 1, "too many")))
        .collect();
    let result = records.commit(too_many).await;
    assert_kind(
        &result,
        ErrorKind::Invalid,
        "a commit of MAX_COMMIT_WRITES + 1 writes",
    );
    assert_stored(records, &keys[0], None, "an invalid commit applies nothing").await;

    let most = &keys[..MAX_COMMIT_WRITES];
    let writes = most
        .iter()
        .map(|key| put_if(item(key, 1, "most"), Condition::Absent))
        .collect();
    commit_ok(
        records,
        writes,
        "a commit of exactly MAX_COMMIT_WRITES writes",
    )
    .await;
    let stored = get_many_ok(records, most, "a commit of MAX_COMMIT_WRITES writes").await;
    for (key, stored) in most.iter().zip(&stored) {
        assert_eq!(
            stored.as_ref(),
            Some(&item(key, 1, "most")),
            "every write of a MAX_COMMIT_WRITES commit is applied"
        );
    }
}

/// A commit that names one key twice is invalid and applies nothing.
pub async fn commit_with_a_key_twice_is_invalid(records: &dyn Records) {
    let partition = unique("records-commit-twice");
    let twice = Key::new(partition.clone(), "twice");
    let other = Key::new(partition, "other");
    let shapes = [
        vec![
            Write::put(item(&other, 1, "other")),
            Write::put(item(&twice, 1, "a")),
            Write::put(item(&twice, 2, "b")),
        ],
        vec![
            Write::put(item(&other, 1, "other")),
            Write::put(item(&twice, 1, "a")),
            delete_if(&twice, Condition::Always),
        ],
        vec![
            Write::put(item(&other, 1, "other")),
            check_if(&twice, Condition::Absent),
            Write::put(item(&twice, 1, "a")),
        ],
    ];
    for writes in shapes {
        let result = records.commit(writes).await;
        assert_kind(&result, ErrorKind::Invalid, "a commit with a key twice");
        assert_stored(records, &other, None, "an invalid commit applies nothing").await;
        assert_stored(records, &twice, None, "an invalid commit applies nothing").await;
    }
}

/// Of `RACERS` concurrent commits each conditioned on the same version of one item, exactly
/// one applies, wholly; the others are conflicts and apply nothing.
pub async fn concurrent_commits_on_one_version_have_one_winner(records: &dyn Records) {
    let partition = unique("records-commit-race");
    let lock = Key::new(partition.clone(), "lock");
    put_ok(records, item(&lock, 1, "free"), "commit race set-up").await;
    let owned = |racer: usize, n: usize| Key::new(partition.clone(), format!("racer-{racer}-{n}"));
    let commits = (0..RACERS).map(|racer| {
        let mut writes = vec![put_if(
            item(&lock, 2, &format!("racer {racer}")),
            Condition::VersionIs(1),
        )];
        writes.extend((0..3).map(|n| {
            put_if(
                item(&owned(racer, n), 1, &format!("racer {racer}")),
                Condition::Absent,
            )
        }));
        records.commit(writes)
    });
    let results = join_all(commits).await;
    let winner = one_winner(&results, "concurrent commits on one version");
    assert_stored(
        records,
        &lock,
        Some(&item(&lock, 2, &format!("racer {winner}"))),
        "the winning commit's put",
    )
    .await;
    for racer in 0..RACERS {
        for n in 0..3 {
            let key = owned(racer, n);
            let expected = (racer == winner).then(|| item(&key, 1, &format!("racer {racer}")));
            assert_stored(
                records,
                &key,
                expected.as_ref(),
                "the winning commit applies wholly and the others not at all",
            )
            .await;
        }
    }
}

/// Transfers a balance between two items from many concurrent commits (each conditioned on
/// both versions it read): every commit sees the others wholly or not at all, so the total
/// never changes and each applied commit bumps both versions once.
pub async fn concurrent_commits_are_serialisable(records: &dyn Records) {
    const WORKERS: usize = 8;
    const TRANSFERS_PER_WORKER: usize = 4;
    const MAX_ATTEMPTS: usize = 2000;
    let partition = unique("records-serialisable");
    let accounts = [Key::new(partition.clone(), "a"), Key::new(partition, "b")];
    for account in &accounts {
        put_ok(records, item(account, 0, "100"), "serialisable set-up").await;
    }
    let balance = |item: &Item| -> i64 {
        std::str::from_utf8(&item.body)
            .ok()
            .and_then(|text| text.parse().ok())
            .unwrap_or_else(|| panic!("serialisable: a balance body, got {:?}", item.body))
    };
    let worker = |worker: usize| {
        let accounts = &accounts;
        async move {
            let mut done = 0;
            for _ in 0..MAX_ATTEMPTS {
                let read = get_many_ok(records, accounts, "serialisable read").await;
                let [Some(from), Some(to)] =
                    [read[worker % 2].clone(), read[1 - worker % 2].clone()]
                else {
                    panic!("serialisable: both accounts exist, got {read:?}");
                };
                let amount = i64::try_from(worker + 1).unwrap_or(1);
                let writes = vec![
                    put_if(
                        item(
                            &from.key,
                            from.version + 1,
                            &(balance(&from) - amount).to_string(),
                        ),
                        Condition::VersionIs(from.version),
                    ),
                    put_if(
                        item(
                            &to.key,
                            to.version + 1,
                            &(balance(&to) + amount).to_string(),
                        ),
                        Condition::VersionIs(to.version),
                    ),
                ];
                match records.commit(writes).await {
                    Ok(()) => {
                        done += 1;
                        if done == TRANSFERS_PER_WORKER {
                            return;
                        }
                    }
                    Err(error) if error.kind() == ErrorKind::Conflict => {}
                    Err(error) => panic!("serialisable: a transfer failed: {error:?}"),
                }
            }
            panic!(
                "serialisable: worker {worker} made {done} transfers in {MAX_ATTEMPTS} attempts"
            );
        }
    };
    join_all((0..WORKERS).map(worker)).await;
    let read = get_many_ok(records, &accounts, "serialisable final read").await;
    let finals: Vec<Item> = read
        .into_iter()
        .map(|item| item.expect("serialisable: both accounts still exist"))
        .collect();
    let total: i64 = finals.iter().map(balance).sum();
    assert_eq!(
        total, 200,
        "concurrent commits never lose or duplicate a transfer"
    );
    let applied = (WORKERS * TRANSFERS_PER_WORKER) as u64;
    for account in &finals {
        assert_eq!(
            account.version, applied,
            "each applied commit bumped {} exactly once",
            account.key
        );
    }
}

// ---------------------------------------------------------------------------------------------
// get_many.

/// `get_many` answers in the order asked, `None` where absent, and allows repeated keys.
pub async fn get_many_keeps_order_and_gaps(records: &dyn Records) {
    let partition = unique("records-get-many");
    let [a, b, missing, other_missing] =
        ["a", "b", "missing", "zz"].map(|sort| Key::new(partition.clone(), sort));
    let (item_a, item_b) = (item(&a, 1, "a"), item(&b, 2, "b"));
    put_ok(records, item_a.clone(), "get_many set-up").await;
    put_ok(records, item_b.clone(), "get_many set-up").await;
    let keys = [b.clone(), missing, a, b, other_missing];
    let read = get_many_ok(records, &keys, "get_many").await;
    assert_eq!(
        read,
        vec![Some(item_b.clone()), None, Some(item_a), Some(item_b), None],
        "get_many keeps the keys' order, None where absent, repeats allowed"
    );
}

/// `get_many` takes any number of keys (here 250 present and 20 missing, interleaved).
pub async fn get_many_reads_many_keys(records: &dyn Records) {
    let partition = unique("records-get-many-large");
    let present: Vec<Item> = (0..250)
        .map(|n| item(&Key::new(partition.clone(), format!("{n:04}")), n, "x"))
        .collect();
    for chunk in present.chunks(MAX_COMMIT_WRITES) {
        let writes = chunk.iter().cloned().map(Write::put).collect();
        commit_ok(records, writes, "get_many of many keys: set-up").await;
    }
    let mut keys = Vec::new();
    let mut expected = Vec::new();
    for (n, stored) in present.iter().enumerate() {
        keys.push(stored.key.clone());
        expected.push(Some(stored.clone()));
        if n % 13 == 0 {
            keys.push(Key::new(partition.clone(), format!("missing-{n}")));
            expected.push(None);
        }
    }
    let read = get_many_ok(records, &keys, "get_many of many keys").await;
    assert!(
        read == expected,
        "get_many of {} keys returns each item in order",
        keys.len()
    );
}

/// `get_many` of no keys is an empty list.
pub async fn get_many_of_no_keys_is_empty(records: &dyn Records) {
    let read = get_many_ok(records, &[], "get_many of no keys").await;
    assert!(read.is_empty(), "get_many of no keys is empty");
}

// ---------------------------------------------------------------------------------------------
// Queries on the primary key.

/// Stores one item per sort key in `partition` (version 1, the sort key as body) and returns
/// them sorted by their sort keys' bytes.
async fn fill_partition(records: &dyn Records, partition: &str, sorts: &[&str]) -> Vec<Item> {
    let mut items: Vec<Item> = sorts
        .iter()
        .map(|sort| item(&Key::new(partition, *sort), 1, sort))
        .collect();
    let writes = items.iter().cloned().map(Write::put).collect();
    write_batch_ok(records, writes, "filling a partition").await;
    items.sort_by(|a, b| a.key.sort.as_bytes().cmp(b.key.sort.as_bytes()));
    items
}

/// The items in reverse.
fn reversed(items: &[Item]) -> Vec<Item> {
    items.iter().rev().cloned().collect()
}

/// Ascending queries return a partition smallest sort key first; descending, largest first.
pub async fn query_orders_by_sort_key(records: &dyn Records) {
    let partition = unique("records-order");
    let items = fill_partition(records, &partition, &["m", "c", "x", "a", "q", "b"]).await;
    let query = Query::partition(partition, 100);
    let ascending = all_pages(records, &query, "ascending query").await;
    assert_eq!(ascending, items, "an ascending query is in sort-key order");
    let descending = all_pages(records, &ordered(&query, Order::Descending), "descending").await;
    assert_eq!(
        descending,
        reversed(&items),
        "a descending query is in reverse sort-key order"
    );
}

/// Sort keys compare by their UTF-8 bytes (not case-folded, not by locale, not by UTF-16).
pub async fn query_sorts_byte_wise(records: &dyn Records) {
    let partition = unique("records-bytes");
    let sorts = [
        "a",
        "B",
        "a0",
        "é",
        "ab",
        "Z",
        "A",
        "~",
        "a b",
        "e",
        "f",
        "\u{e000}",
        "\u{ffff}",
        "\u{10000}",
        "0",
        "10",
        "9",
        "a\u{7f}",
        "a-",
        "a_",
    ];
    let items = fill_partition(records, &partition, &sorts).await;
    let mut expected_sorts: Vec<&str> = sorts.to_vec();
    expected_sorts.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    let query = Query::partition(partition, 100);
    let read = all_pages(records, &query, "byte-wise order").await;
    let read_sorts: Vec<&str> = read.iter().map(|item| item.key.sort.as_str()).collect();
    assert_eq!(read_sorts, expected_sorts, "sort keys compare byte-wise");
    assert_eq!(read, items, "byte-wise order returns whole items");
    let descending = all_pages(records, &ordered(&query, Order::Descending), "byte-wise").await;
    assert_eq!(descending, reversed(&items), "byte-wise order, descending");
}

/// `SortRange::Prefix` returns exactly the sort keys starting with the prefix (byte-wise),
/// in both orders; the empty prefix returns everything.
pub async fn query_prefix_range(records: &dyn Records) {
    let partition = unique("records-prefix");
    let sorts = [
        "a",
        "aa",
        "ab",
        "ab\u{0}",
        "ab0",
        "abc",
        "abd",
        "ab\u{10ffff}",
        "ac",
        "b",
        "é",
        "éa",
        "ê",
        "e",
        "\u{10ffff}",
        "\u{10ffff}a",
    ];
    let items = fill_partition(records, &partition, &sorts).await;
    for prefix in ["ab", "a", "é", "\u{10ffff}", "abc", "nothing", ""] {
        let expected: Vec<Item> = items
            .iter()
            .filter(|item| item.key.sort.as_bytes().starts_with(prefix.as_bytes()))
            .cloned()
            .collect();
        let query = Query {
            range: SortRange::Prefix(prefix.to_owned()),
            ..Query::partition(partition.clone(), 100)
        };
        let what = format!("a query with prefix {prefix:?}");
        let ascending = all_pages(records, &query, &what).await;
        assert_eq!(
            ascending, expected,
            "{what} returns the sort keys it starts"
        );
        let descending = all_pages(records, &ordered(&query, Order::Descending), &what).await;
        assert_eq!(descending, reversed(&expected), "{what}, descending");
        let paged = all_pages(records, &limited(&query, 1), &what).await;
        assert_eq!(paged, expected, "{what}, one item per page");
    }
}

/// `SortRange::Between` includes both ends, whether or not items sit on them; a range whose
/// start is after its end is empty.
pub async fn query_between_range_includes_both_ends(records: &dyn Records) {
    let partition = unique("records-between");
    let sorts = ["a", "b", "ba", "c", "ca", "d", "e"];
    let items = fill_partition(records, &partition, &sorts).await;
    for (start, end) in [
        ("b", "d"),
        ("b", "c"),
        ("bb", "cz"),
        ("a", "e"),
        ("0", "z"),
        ("c", "c"),
        ("d", "b"),
        ("f", "g"),
    ] {
        let expected: Vec<Item> = items
            .iter()
            .filter(|item| start <= item.key.sort.as_str() && item.key.sort.as_str() <= end)
            .cloned()
            .collect();
        let query = Query {
            range: SortRange::Between {
                start: start.to_owned(),
                end: end.to_owned(),
            },
            ..Query::partition(partition.clone(), 100)
        };
        let what = format!("a query between {start:?} and {end:?}");
        let ascending = all_pages(records, &query, &what).await;
        assert_eq!(ascending, expected, "{what} includes both ends");
        let descending = all_pages(records, &ordered(&query, Order::Descending), &what).await;
        assert_eq!(descending, reversed(&expected), "{what}, descending");
        let paged = all_pages(records, &limited(&query, 2), &what).await;
        assert_eq!(paged, expected, "{what}, two items per page");
    }
}

/// A page holds at most `limit` items, and a query of `MAX_PAGE_ITEMS` works.
pub async fn query_limit_is_honoured(records: &dyn Records) {
    let partition = unique("records-limit");
    let sorts: Vec<String> = (0..12).map(|n| format!("{n:02}")).collect();
    let sort_refs: Vec<&str> = sorts.iter().map(String::as_str).collect();
    let items = fill_partition(records, &partition, &sort_refs).await;
    for limit in [1, 3, 5, 11, 12, 13] {
        let query = Query::partition(partition.clone(), limit);
        let page = query_ok(records, &query, "a limited query").await;
        assert!(
            items.starts_with(&page.items),
            "a limited page holds the first items in order"
        );
    }
    let query = Query::partition(partition, MAX_PAGE_ITEMS);
    let page = query_ok(records, &query, "a query of MAX_PAGE_ITEMS").await;
    assert!(
        items.starts_with(&page.items),
        "a query of MAX_PAGE_ITEMS holds the first items in order"
    );
    let all = all_pages(records, &query, "a query of MAX_PAGE_ITEMS").await;
    assert_eq!(all, items, "a query of MAX_PAGE_ITEMS returns everything");
}

/// Following `next` with small pages (1, 2, 3 and 7 items) in both orders visits every item
/// exactly once, in order, over the whole partition and over a range.
pub async fn query_pages_visit_every_item_once(records: &dyn Records) {
    let partition = unique("records-paging");
    let sorts: Vec<String> = (0..23).map(|n| format!("item-{n:02}")).collect();
    let sort_refs: Vec<&str> = sorts.iter().map(String::as_str).collect();
    let items = fill_partition(records, &partition, &sort_refs).await;
    let between = SortRange::Between {
        start: "item-05".to_owned(),
        end: "item-17".to_owned(),
    };
    for range in [
        SortRange::All,
        between,
        SortRange::Prefix("item-1".to_owned()),
    ] {
        let expected: Vec<Item> = items
            .iter()
            .filter(|item| range.contains(&item.key.sort))
            .cloned()
            .collect();
        for limit in [1, 2, 3, 7] {
            let query = Query {
                range: range.clone(),
                ..Query::partition(partition.clone(), limit)
            };
            let what = format!("paging {range:?} {limit} at a time");
            let ascending = all_pages(records, &query, &what).await;
            assert_eq!(
                ascending, expected,
                "{what} visits every item once, in order"
            );
            let descending = all_pages(records, &ordered(&query, Order::Descending), &what).await;
            assert_eq!(descending, reversed(&expected), "{what}, descending");
        }
    }
}

/// Asserts that paging through `query` visits every item of `stayed` exactly once, in order,
/// while `changes` (committed after the first page) delete and add items; items not in
/// `stayed` may appear at most once.
async fn assert_paging_survives(
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

/// A cursor stays valid when its own item and others are deleted and items are added while
/// paging: every item that stayed is visited exactly once.
pub async fn query_cursor_survives_changes(records: &dyn Records) {
    for order in [Order::Ascending, Order::Descending] {
        let partition = unique("records-cursor-changes");
        let sorts: Vec<String> = (0..10).map(|n| format!("{}", n * 10 + 10)).collect();
        let sort_refs: Vec<&str> = sorts.iter().map(String::as_str).collect();
        let mut items = fill_partition(records, &partition, &sort_refs).await;
        if order == Order::Descending {
            items.reverse();
        }
        // The first page is items[0..3]; the change deletes its last item (the cursor's) and
        // items[5], and adds one item ahead of the cursor and one behind it.
        let deleted = [items[2].key.clone(), items[5].key.clone()];
        let stayed: Vec<Key> = keys_of(&items)
            .into_iter()
            .filter(|key| !deleted.contains(key))
            .collect();
        let query = Query {
            order,
            ..Query::partition(partition.clone(), 3)
        };
        let mut changes: Vec<Write> = deleted
            .iter()
            .map(|key| delete_if(key, Condition::Always))
            .collect();
        for sort in ["55", "15"] {
            changes.push(Write::put(item(
                &Key::new(partition.clone(), sort),
                1,
                sort,
            )));
        }
        let what = format!("paging {order:?} while items change");
        assert_paging_survives(records, &query, &stayed, changes, &what).await;
    }
}

/// Partitions are isolated, even when one partition's name is a prefix of another's.
pub async fn query_partitions_are_isolated(records: &dyn Records) {
    let partition = unique("records-isolated");
    let longer = format!("{partition}x");
    let mine = fill_partition(records, &partition, &["a", "b"]).await;
    let theirs = fill_partition(records, &longer, &["a", "c"]).await;
    for (name, expected) in [(&partition, &mine), (&longer, &theirs)] {
        let query = Query::partition(name.clone(), 100);
        let read = all_pages(records, &query, "isolated partitions").await;
        assert_eq!(&read, expected, "a query returns only its own partition");
        let prefixed = Query {
            range: SortRange::Prefix(String::new()),
            ..query
        };
        let read = all_pages(records, &prefixed, "isolated partitions").await;
        assert_eq!(
            &read, expected,
            "a prefix query returns only its own partition"
        );
    }
}

/// A query of a partition with no items is an empty page with no `next`.
pub async fn query_of_an_empty_partition_is_empty(records: &dyn Records) {
    for order in [Order::Ascending, Order::Descending] {
        let query = Query {
            order,
            ..Query::partition(unique("records-empty-partition"), 10)
        };
        let page = query_ok(records, &query, "an empty partition").await;
        assert_eq!(
            page,
            Page::default(),
            "an empty partition is an empty page with no next"
        );
    }
}

/// A limit of 0 or above `MAX_PAGE_ITEMS` is invalid, on the primary key and on an index.
pub async fn query_rejects_bad_limits(records: &dyn Records) {
    let partition = unique("records-bad-limit");
    for limit in [0, MAX_PAGE_ITEMS + 1, u32::MAX] {
        let query = Query::partition(partition.clone(), limit);
        let result = records.query(&query).await;
        assert_kind(&result, ErrorKind::Invalid, &format!("a limit of {limit}"));
        let result = records
            .query(&index_query(index(0), &partition, limit))
            .await;
        assert_kind(
            &result,
            ErrorKind::Invalid,
            &format!("an index query with a limit of {limit}"),
        );
    }
}

/// A cursor the backend did not make is invalid.
pub async fn query_rejects_a_garbage_cursor(records: &dyn Records) {
    let partition = unique("records-garbage-cursor");
    fill_partition(records, &partition, &["a", "b", "c"]).await;
    for garbage in ["garbage, not a cursor", "\u{0}\u{ff}", "{]"] {
        for query in [
            Query::partition(partition.clone(), 2),
            index_query(index(0), &partition, 2),
        ] {
            let query = Query {
                cursor: Some(Cursor(garbage.to_owned())),
                ..query
            };
            let result = records.query(&query).await;
            assert_kind(
                &result,
                ErrorKind::Invalid,
                &format!("a query with cursor {garbage:?}"),
            );
        }
    }
}

/// A query of an empty or oversized partition key is invalid.
pub async fn query_rejects_a_bad_partition(records: &dyn Records) {
    for partition in [String::new(), "p".repeat(MAX_KEY_BYTES + 1)] {
        let what = format!("a query of a {}-byte partition", partition.len());
        let result = records
            .query(&Query::partition(partition.clone(), 10))
            .await;
        assert_kind(&result, ErrorKind::Invalid, &what);
        let result = records.query(&index_query(index(1), &partition, 10)).await;
        assert_kind(&result, ErrorKind::Invalid, &what);
    }
}

// ---------------------------------------------------------------------------------------------
// Queries on secondary indexes.

/// Items with a key in secondary index `n` under `index_partition`: one per `(primary
/// partition, primary sort, index sort)`, sorted as the index orders them (index sort key,
/// then primary key, byte-wise). Bodies name the primary key.
async fn fill_index(
    records: &dyn Records,
    n: Index,
    index_partition: &str,
    entries: &[(&str, &str, &str)],
) -> Vec<Item> {
    let mut items: Vec<Item> = entries
        .iter()
        .map(|(partition, sort, index_sort)| {
            let key = Key::new(*partition, *sort);
            item(&key, 1, &key.to_string())
                .with_index_key(n, Key::new(index_partition, *index_sort))
        })
        .collect();
    let writes = items.iter().cloned().map(Write::put).collect();
    write_batch_ok(records, writes, "filling an index").await;
    items.sort_by_key(|item| index_order(item, n));
    items
}

/// How an index orders `item`: by index sort key, then partition, then sort key (bytes).
fn index_order(item: &Item, n: Index) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let index_sort = item.index_key(n).map_or(&[][..], |key| key.sort.as_bytes());
    (
        index_sort.to_vec(),
        item.key.partition.as_bytes().to_vec(),
        item.key.sort.as_bytes().to_vec(),
    )
}

/// Items appear in an index under their index key, whole, in index-sort-key order (both
/// orders, with ranges), and only in the indexes they have a key for.
pub async fn index_lists_items_under_their_index_key(records: &dyn Records) {
    let index_partition = unique("records-index");
    let (p, q) = (unique("records-index-p"), unique("records-index-q"));
    let n = index(2);
    let items = fill_index(
        records,
        n,
        &index_partition,
        &[
            (p.as_str(), "1", "delta"),
            (q.as_str(), "1", "alpha"),
            (p.as_str(), "2", "charlie"),
            (q.as_str(), "2", "bravo"),
            (p.as_str(), "3", "é"),
            (q.as_str(), "3", "Echo"),
        ],
    )
    .await;
    let query = index_query(n, &index_partition, 100);
    let read = index_settles(records, &query, &keys_of(&items), "an index query").await;
    assert_eq!(
        read, items,
        "an index query returns whole items in index order"
    );
    let descending = all_pages(records, &ordered(&query, Order::Descending), "index").await;
    assert_eq!(descending, reversed(&items), "an index query, descending");
    for range in [
        SortRange::Prefix("c".to_owned()),
        SortRange::Between {
            start: "bravo".to_owned(),
            end: "delta".to_owned(),
        },
    ] {
        let expected: Vec<Item> = items
            .iter()
            .filter(|item| {
                item.index_key(n)
                    .is_some_and(|key| range.contains(&key.sort))
            })
            .cloned()
            .collect();
        let ranged = Query {
            range: range.clone(),
            ..limited(&query, 1)
        };
        let what = format!("an index query of {range:?}");
        let read = all_pages(records, &ranged, &what).await;
        assert_eq!(read, expected, "{what} compares index sort keys");
        let descending = all_pages(records, &ordered(&ranged, Order::Descending), &what).await;
        assert_eq!(descending, reversed(&expected), "{what}, descending");
    }
    for other in Index::all().filter(|&other| other != n) {
        let read = all_pages(
            records,
            &index_query(other, &index_partition, 100),
            "another index",
        )
        .await;
        assert!(
            read.is_empty(),
            "items appear only in the indexes they have a key for, got {read:?} in {other:?}"
        );
    }
}

/// Items sharing one index sort key come in primary-key order (reversed when descending), and
/// small pages visit each exactly once.
pub async fn index_ties_come_in_primary_key_order(records: &dyn Records) {
    let index_partition = unique("records-ties");
    let partitions = [
        unique("records-ties-p"),
        unique("records-ties-q"),
        unique("records-ties-r"),
    ];
    let mut entries = Vec::new();
    for partition in &partitions {
        for sort in ["b", "a", "c", "aa"] {
            entries.push((partition.as_str(), sort, "same"));
        }
    }
    entries.push((partitions[1].as_str(), "z", "before"));
    entries.push((partitions[0].as_str(), "z", "so"));
    entries.push((partitions[2].as_str(), "z", "zzz"));
    let n = index(1);
    let items = fill_index(records, n, &index_partition, &entries).await;
    let query = index_query(n, &index_partition, 100);
    index_settles(records, &query, &keys_of(&items), "index ties").await;
    for limit in [1, 2, 3, 5, 7] {
        let what = format!("index ties {limit} per page");
        let paged = all_pages(records, &limited(&query, limit), &what).await;
        assert_eq!(paged, items, "{what}: ties in primary-key order, each once");
        let descending = limited(&ordered(&query, Order::Descending), limit);
        let paged = all_pages(records, &descending, &what).await;
        assert_eq!(paged, reversed(&items), "{what}, descending: ties reversed");
        let same = Query {
            range: SortRange::Between {
                start: "same".to_owned(),
                end: "same".to_owned(),
            },
            ..limited(&query, limit)
        };
        let expected: Vec<Item> = items
            .iter()
            .filter(|item| item.index_key(n).is_some_and(|key| key.sort == "same"))
            .cloned()
            .collect();
        let paged = all_pages(records, &same, &what).await;
        assert_eq!(paged, expected, "{what}, only the tied sort key");
    }
}

/// An index cursor stays valid when its item and others are deleted while paging.
pub async fn index_cursor_survives_changes(records: &dyn Records) {
    for order in [Order::Ascending, Order::Descending] {
        let index_partition = unique("records-index-cursor");
        let p = unique("records-index-cursor-p");
        let n = index(3);
        let entries: Vec<(String, String)> = (0..9)
            .map(|k| (format!("{k}"), format!("{}", k / 3)))
            .collect();
        let entry_refs: Vec<(&str, &str, &str)> = entries
            .iter()
            .map(|(sort, index_sort)| (p.as_str(), sort.as_str(), index_sort.as_str()))
            .collect();
        let mut items = fill_index(records, n, &index_partition, &entry_refs).await;
        let query = Query {
            order,
            ..index_query(n, &index_partition, 3)
        };
        index_settles(
            records,
            &ordered(&query, Order::Ascending),
            &keys_of(&items),
            "index",
        )
        .await;
        if order == Order::Descending {
            items.reverse();
        }
        let deleted = [items[2].key.clone(), items[4].key.clone()];
        let stayed: Vec<Key> = keys_of(&items)
            .into_iter()
            .filter(|key| !deleted.contains(key))
            .collect();
        let changes = deleted
            .iter()
            .map(|key| delete_if(key, Condition::Always))
            .collect();
        let what = format!("paging an index {order:?} while items change");
        assert_paging_survives(records, &query, &stayed, changes, &what).await;
    }
}

/// Re-putting an item moves its index entry to its new index key, to another index
/// partition, or out of the index when the new item has no index key.
pub async fn index_entries_follow_puts(records: &dyn Records) {
    let (first_partition, second_partition) = (
        unique("records-index-move-a"),
        unique("records-index-move-b"),
    );
    let key = Key::new(unique("records-index-move"), "item");
    let n = index(0);
    let first_query = index_query(n, &first_partition, 100);
    let second_query = index_query(n, &second_partition, 100);
    let with_index_key = |version: u64, partition: &str, sort: &str| {
        item(&key, version, sort).with_index_key(n, Key::new(partition, sort))
    };

    put_ok(
        records,
        with_index_key(1, &first_partition, "k1"),
        "index move",
    )
    .await;
    let read = index_settles(
        records,
        &first_query,
        std::slice::from_ref(&key),
        "index entry added",
    )
    .await;
    assert_eq!(read[0].index_key(n).map(|k| k.sort.as_str()), Some("k1"));

    put_ok(
        records,
        with_index_key(2, &first_partition, "k2"),
        "index move",
    )
    .await;
    let moved = Query {
        range: SortRange::Prefix("k2".to_owned()),
        ..first_query.clone()
    };
    index_settles(
        records,
        &moved,
        std::slice::from_ref(&key),
        "index sort key changed",
    )
    .await;
    let read = index_settles(
        records,
        &first_query,
        std::slice::from_ref(&key),
        "one entry per item",
    )
    .await;
    assert_eq!(
        read[0].version, 2,
        "the index returns the item as last written"
    );

    put_ok(
        records,
        with_index_key(3, &second_partition, "k3"),
        "index move",
    )
    .await;
    index_settles(
        records,
        &first_query,
        &[],
        "entry left the old index partition",
    )
    .await;
    index_settles(
        records,
        &second_query,
        std::slice::from_ref(&key),
        "entry in the new partition",
    )
    .await;

    put_ok(records, item(&key, 4, "no index key"), "index move").await;
    index_settles(
        records,
        &second_query,
        &[],
        "entry removed with the index key",
    )
    .await;
}

/// Deleting an item (by write, commit or batch) removes its index entries.
pub async fn index_entries_follow_deletes(records: &dyn Records) {
    let index_partition = unique("records-index-delete");
    let p = unique("records-index-delete-p");
    let items = fill_index(
        records,
        index(0),
        &index_partition,
        &[
            (p.as_str(), "a", "1"),
            (p.as_str(), "b", "2"),
            (p.as_str(), "c", "3"),
            (p.as_str(), "d", "4"),
        ],
    )
    .await;
    let also_in_index_1 = items[3]
        .clone()
        .with_index_key(index(1), Key::new(index_partition.clone(), "9"));
    put_ok(records, also_in_index_1, "index delete set-up").await;
    let query = index_query(index(0), &index_partition, 100);
    let query_1 = index_query(index(1), &index_partition, 100);
    let mut remaining = keys_of(&items);
    index_settles(records, &query, &remaining, "index delete set-up").await;
    index_settles(
        records,
        &query_1,
        &[items[3].key.clone()],
        "index delete set-up",
    )
    .await;

    write_ok(
        records,
        delete_if(&items[0].key, Condition::Always),
        "index delete",
    )
    .await;
    remaining.remove(0);
    index_settles(
        records,
        &query,
        &remaining,
        "a deleted item leaves the index",
    )
    .await;

    commit_ok(
        records,
        vec![delete_if(&items[1].key, Condition::VersionIs(1))],
        "index delete by commit",
    )
    .await;
    remaining.remove(0);
    index_settles(
        records,
        &query,
        &remaining,
        "an item deleted by commit leaves it",
    )
    .await;

    write_batch_ok(
        records,
        vec![delete_if(&items[3].key, Condition::Always)],
        "index delete by batch",
    )
    .await;
    remaining.pop();
    index_settles(
        records,
        &query,
        &remaining,
        "an item deleted by batch leaves it",
    )
    .await;
    index_settles(records, &query_1, &[], "a deleted item leaves every index").await;
}

/// A primary partition and an index partition of the same name are unrelated.
pub async fn index_and_primary_partitions_are_isolated(records: &dyn Records) {
    let shared = unique("records-shared-name");
    let in_primary = item(&Key::new(shared.clone(), "primary"), 1, "primary");
    let in_index = item(&Key::new(unique("records-elsewhere"), "x"), 1, "indexed")
        .with_index_key(index(0), Key::new(shared.clone(), "primary"));
    put_ok(records, in_primary.clone(), "shared names").await;
    put_ok(records, in_index.clone(), "shared names").await;
    let primary = all_pages(records, &Query::partition(shared.clone(), 100), "shared").await;
    assert_eq!(
        primary,
        vec![in_primary],
        "a primary query ignores index partitions"
    );
    let indexed = index_settles(
        records,
        &index_query(index(0), &shared, 100),
        std::slice::from_ref(&in_index.key),
        "an index query ignores primary partitions",
    )
    .await;
    assert_eq!(
        indexed,
        vec![in_index],
        "an index query returns the indexed item"
    );
    let other = all_pages(records, &index_query(index(1), &shared, 100), "shared").await;
    assert!(other.is_empty(), "another index of the same name is empty");
}

// ---------------------------------------------------------------------------------------------
// write_batch.

/// A batch applies its puts and deletes (deleting a missing item included).
pub async fn write_batch_applies_puts_and_deletes(records: &dyn Records) {
    let partition = unique("records-batch");
    let key = |sort: &str| Key::new(partition.clone(), sort);
    let (kept, deleted, replaced) = (key("kept"), key("deleted"), key("replaced"));
    for existing in [&kept, &deleted, &replaced] {
        put_ok(records, item(existing, 1, "before"), "batch set-up").await;
    }
    let (created, new_replaced) = (item(&key("created"), 1, "new"), item(&replaced, 2, "new"));
    let writes = vec![
        Write::put(created.clone()),
        delete_if(&deleted, Condition::Always),
        Write::put(new_replaced.clone()),
        delete_if(&key("missing"), Condition::Always),
    ];
    write_batch_ok(records, writes, "a batch").await;
    let what = "a batch applies its writes";
    assert_stored(records, &created.key, Some(&created), what).await;
    assert_stored(records, &deleted, None, what).await;
    assert_stored(records, &replaced, Some(&new_replaced), what).await;
    assert_stored(records, &kept, Some(&item(&kept, 1, "before")), what).await;
    assert_stored(records, &key("missing"), None, what).await;
}

/// A batch with any condition but `Always`, or with a check, is invalid and applies nothing.
pub async fn write_batch_rejects_conditions_and_checks(records: &dyn Records) {
    let partition = unique("records-batch-conditions");
    let fine = Key::new(partition.clone(), "fine");
    let other = Key::new(partition, "other");
    let bad_writes = [
        put_if(item(&other, 1, "x"), Condition::Absent),
        put_if(item(&other, 1, "x"), Condition::VersionIs(0)),
        delete_if(&other, Condition::Absent),
        delete_if(&other, Condition::VersionIs(1)),
        check_if(&other, Condition::Always),
        check_if(&other, Condition::Absent),
    ];
    for bad in bad_writes {
        let what = format!("a batch holding {bad:?}");
        let result = records
            .write_batch(vec![Write::put(item(&fine, 1, "fine")), bad])
            .await;
        assert_kind(&result, ErrorKind::Invalid, &what);
        assert_stored(records, &fine, None, &format!("{what} applies nothing")).await;
    }
}

/// A batch far above any backend's batch size (60 writes) applies every write.
pub async fn write_batch_of_many_writes(records: &dyn Records) {
    let partition = unique("records-batch-large");
    let items: Vec<Item> = (0..60)
        .map(|n| item(&Key::new(partition.clone(), format!("{n:03}")), n, "x"))
        .collect();
    let keys = keys_of(&items);
    write_batch_ok(
        records,
        items.iter().cloned().map(Write::put).collect(),
        "a batch of 60 puts",
    )
    .await;
    let read = get_many_ok(records, &keys, "a batch of 60 puts").await;
    let expected: Vec<Option<Item>> = items.iter().cloned().map(Some).collect();
    assert!(read == expected, "a batch of 60 puts applies each one");
    let deletes = keys
        .iter()
        .map(|key| delete_if(key, Condition::Always))
        .collect();
    write_batch_ok(records, deletes, "a batch of 60 deletes").await;
    let read = get_many_ok(records, &keys, "a batch of 60 deletes").await;
    assert!(
        read.iter().all(Option::is_none),
        "a batch of 60 deletes applies each one"
    );
}

/// Applying the same batch twice leaves what applying it once does.
pub async fn write_batch_retry_is_idempotent(records: &dyn Records) {
    let partition = unique("records-batch-retry");
    let key = |n: usize| Key::new(partition.clone(), format!("{n:02}"));
    for n in 0..10 {
        put_ok(records, item(&key(n), 1, "before"), "batch retry set-up").await;
    }
    let mut writes = Vec::new();
    for n in 0..40 {
        if n % 3 == 0 {
            writes.push(delete_if(&key(n), Condition::Always));
        } else {
            writes.push(Write::put(item(&key(n), 2, "after")));
        }
    }
    let keys: Vec<Key> = (0..40).map(key).collect();
    write_batch_ok(records, writes.clone(), "a batch").await;
    let once = get_many_ok(records, &keys, "a batch applied once").await;
    write_batch_ok(records, writes, "the same batch again").await;
    let twice = get_many_ok(records, &keys, "a batch applied twice").await;
    assert!(once == twice, "retrying a batch changes nothing more");
    let expected: Vec<Option<Item>> = (0..40)
        .map(|n| (n % 3 != 0).then(|| item(&key(n), 2, "after")))
        .collect();
    assert!(once == expected, "a batch applies each write");
}

// ---------------------------------------------------------------------------------------------
// Validation.

/// Writes a port must refuse as invalid, each with what is wrong with it; their keys live in
/// `partition` (where a key is valid at all).
fn invalid_writes(partition: &str) -> Vec<(Write, &'static str)> {
    let valid = Key::new(partition, "valid");
    let long = "k".repeat(MAX_KEY_BYTES + 1);
    let mut writes = Vec::new();
    for (key, what) in [
        (Key::new("", "sort"), "an empty partition key"),
        (Key::new(partition, ""), "an empty sort key"),
        (
            Key::new(long.clone(), "sort"),
            "a partition key over MAX_KEY_BYTES",
        ),
        (
            Key::new(partition, long.clone()),
            "a sort key over MAX_KEY_BYTES",
        ),
    ] {
        writes.push((Write::put(item(&key, 1, "x")), what));
        writes.push((delete_if(&key, Condition::Always), what));
        writes.push((check_if(&key, Condition::Always), what));
    }
    for (index_key, what) in [
        (Key::new("", "sort"), "an empty index partition key"),
        (Key::new(partition, ""), "an empty index sort key"),
        (Key::new(long, "sort"), "an index key over MAX_KEY_BYTES"),
    ] {
        let indexed = item(&valid, 1, "x").with_index_key(index(1), index_key);
        writes.push((Write::put(indexed), what));
    }
    let too_big = Item::new(valid, 1, vec![7; MAX_BODY_BYTES + 1]);
    writes.push((Write::put(too_big), "a body over MAX_BODY_BYTES"));
    writes
}

/// Empty or oversized keys (primary or index) and oversized bodies are invalid in `write`,
/// `commit` and `write_batch`, and nothing of such a call is applied.
pub async fn invalid_keys_and_bodies_are_rejected(records: &dyn Records) {
    let partition = unique("records-invalid");
    let fine = Key::new(partition.clone(), "fine");
    for (bad, what) in invalid_writes(&partition) {
        let result = records.write(bad.clone()).await;
        assert_kind(&result, ErrorKind::Invalid, &format!("a write with {what}"));

        let result = records
            .commit(vec![Write::put(item(&fine, 1, "fine")), bad.clone()])
            .await;
        assert_kind(
            &result,
            ErrorKind::Invalid,
            &format!("a commit with {what}"),
        );
        assert_stored(records, &fine, None, "an invalid commit applies nothing").await;

        if matches!(bad, Write::Check { .. }) {
            continue;
        }
        let result = records
            .write_batch(vec![Write::put(item(&fine, 1, "fine")), bad])
            .await;
        assert_kind(&result, ErrorKind::Invalid, &format!("a batch with {what}"));
        assert_stored(records, &fine, None, "an invalid batch applies nothing").await;
    }
    assert_stored(
        records,
        &Key::new(partition, "valid"),
        None,
        "invalid writes store nothing",
    )
    .await;
}

/// `get` and `get_many` refuse empty or oversized keys as invalid.
pub async fn invalid_read_keys_are_rejected(records: &dyn Records) {
    let partition = unique("records-invalid-read");
    let long = "k".repeat(MAX_KEY_BYTES + 1);
    for bad in [
        Key::new("", "sort"),
        Key::new(partition.clone(), ""),
        Key::new(long.clone(), "sort"),
        Key::new(partition.clone(), long.clone()),
    ] {
        let result = records.get(&bad).await;
        assert_kind(&result, ErrorKind::Invalid, "get of an invalid key");
        let keys = [Key::new(partition.clone(), "fine"), bad];
        let result = records.get_many(&keys).await;
        assert_kind(&result, ErrorKind::Invalid, "get_many with an invalid key");
    }
}

/// Keys of exactly `MAX_KEY_BYTES` (primary and index) and a body of exactly `MAX_BODY_BYTES`
/// are accepted by every write and round-trip through get, query and the index.
pub async fn largest_inputs_are_accepted(records: &dyn Records) {
    let pad = |text: String| {
        let mut text = text;
        while text.len() < MAX_KEY_BYTES {
            text.push('p');
        }
        text
    };
    let partition = pad(unique("records-largest"));
    let index_partition = pad(unique("records-largest-index"));
    let sort = "s".repeat(MAX_KEY_BYTES);
    let key = Key::new(partition.clone(), sort.clone());
    let body: Vec<u8> = (0..MAX_BODY_BYTES).map(|n| (n % 251) as u8).collect();
    let largest = Item::new(key.clone(), 1, body)
        .with_index_key(index(2), Key::new(index_partition.clone(), sort.clone()));
    write_ok(
        records,
        put_if(largest.clone(), Condition::Absent),
        "the largest item",
    )
    .await;
    assert_stored(
        records,
        &key,
        Some(&largest),
        "the largest item round-trips",
    )
    .await;
    let read = all_pages(records, &Query::partition(partition.clone(), 10), "largest").await;
    assert_eq!(read, vec![largest.clone()], "the largest item in a query");
    index_settles(
        records,
        &index_query(index(2), &index_partition, 10),
        std::slice::from_ref(&key),
        "the largest item in an index",
    )
    .await;

    let committed = Item {
        version: 2,
        ..largest.clone()
    };
    commit_ok(
        records,
        vec![put_if(committed.clone(), Condition::VersionIs(1))],
        "the largest item in a commit",
    )
    .await;
    assert_stored(
        records,
        &key,
        Some(&committed),
        "the largest committed item",
    )
    .await;
    let batched = Item {
        version: 3,
        ..largest
    };
    write_batch_ok(
        records,
        vec![Write::put(batched.clone())],
        "the largest item in a batch",
    )
    .await;
    assert_stored(records, &key, Some(&batched), "the largest batched item").await;
}
