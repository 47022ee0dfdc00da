//! Checks of queries on secondary indexes: index order and ties, cursors across changes,
//! entries following puts and deletes, and isolation from primary partitions.

use ocean::Records;
use ocean::records::{Condition, Index, Item, Key, Order, Query, SortRange, Write};

use super::support::{
    all_pages, assert_paging_survives, commit_ok, delete_if, index, index_query, index_settles,
    item, keys_of, limited, ordered, put_ok, reversed, write_batch_ok, write_ok,
};
use crate::unique;

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
