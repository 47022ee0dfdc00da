//! Checks of single writes: puts, conditional updates and deletes, checks, and races of
//! conditional writes on one key.

use futures_util::future::join_all;
use ocean::Records;
use ocean::records::{Condition, Item, Key, Write};

use super::support::{
    RACERS, assert_conflict_names_key, assert_stored, check_if, commit_ok, delete_if, get_ok,
    index, item, one_winner, put_if, put_ok, write_ok,
};
use crate::unique;

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

/// Runs `RACERS` writes at once and returns their results in order.
async fn race(records: &dyn Records, writes: Vec<Write>) -> Vec<ocean::Result<()>> {
    join_all(writes.into_iter().map(|write| records.write(write))).await
}
