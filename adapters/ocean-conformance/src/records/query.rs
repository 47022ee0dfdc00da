//! Checks of queries on the primary key: byte-wise sort order, prefix and between ranges,
//! limits, cursor paging (also across changes), partition isolation and bad inputs.

use ocean::records::{
    Condition, Cursor, Item, Key, MAX_KEY_BYTES, MAX_PAGE_ITEMS, Order, Page, Query, SortRange,
    Write,
};
use ocean::{ErrorKind, Records};

use super::support::{
    all_pages, assert_paging_survives, delete_if, index, index_query, item, keys_of, limited,
    ordered, query_ok, reversed, write_batch_ok,
};
use crate::{assert_kind, unique};

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
        // Open below and empty: a range from the empty string (below every key).
        ("", "b"),
        ("", ""),
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
