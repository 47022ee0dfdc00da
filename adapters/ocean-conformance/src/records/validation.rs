//! Checks of input limits: empty or oversized keys and bodies are refused by every call,
//! and keys and bodies of exactly the largest size are accepted.

use ocean::records::{Condition, Item, Key, MAX_BODY_BYTES, MAX_KEY_BYTES, Query, Write};
use ocean::{ErrorKind, Records};

use super::support::{
    all_pages, assert_stored, check_if, commit_ok, delete_if, index, index_query, index_settles,
    item, put_if, write_batch_ok, write_ok,
};
use crate::{assert_kind, unique};

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
