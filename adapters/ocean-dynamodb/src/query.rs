//! Queries: one page of a partition of the table or of a GSI, with ocean's cursor semantics.
//!
//! Each page asks DynamoDB for one item more than the limit, so `next` is `None` exactly
//! when nothing follows (no empty last page), and follows `LastEvaluatedKey` across
//! DynamoDB's 1 MB pages. The cursor is the last returned item's position in lowercase hex
//! (see [`Position`]); DynamoDB accepts it as `ExclusiveStartKey` even after that item is
//! deleted.
//!
//! Ties in an index: ocean returns items sharing an index sort key in primary-key order,
//! which DynamoDB does not promise for a GSI. So the tie group at the end of a page is read
//! whole (one more query, only when the page ends inside a group the first read did not see
//! the end of) and sorted here, and a cursor inside a group (`m`) re-reads that group on the
//! next page. With unique index sort keys (an id at the end) this costs no extra request.

use ocean::records::{Cursor, Index, Item, Key, MAX_KEY_BYTES, Order, Page, Query, SortRange};
use ocean::{BoxError, Error, Result};

use crate::DynamoRecords;
use crate::error::{BACKEND, from_sdk};
use crate::item::{
    Attributes, PARTITION, SORT, index_name, index_partition, index_sort as index_sort_attribute,
    item_from_attributes, key_attributes, text,
};

/// Most DynamoDB pages one port call reads before giving up (each holds at least one item or
/// ends the query, so a page of at most 1000 items never needs this many).
const MAX_SERVER_PAGES: usize = 1100;

/// Separates a cursor's kind and its hex parts.
const CURSOR_SEPARATOR: char = '.';

/// One page of `query` from `records`.
pub(crate) async fn query_page(records: &DynamoRecords, query: &Query) -> Result<Page> {
    query.check()?;
    let position = query
        .cursor
        .as_ref()
        .map(|cursor| Position::decode(cursor, query.index))
        .transpose()?;
    // Keys are never empty, so an empty end admits nothing.
    if let SortRange::Between { start, end } = &query.range
        && (start > end || end.is_empty())
    {
        return Ok(Page::default());
    }
    match query.index {
        None => primary_page(records, query, position).await,
        Some(index) => index_page(records, query, index.number(), position).await,
    }
}

/// Where a page ended: what a [`Cursor`] holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Position {
    /// After this sort key of the queried primary partition (`p.<sort>`).
    Primary {
        /// The last returned sort key.
        sort: String,
    },
    /// After this entry of the queried index partition.
    Index {
        /// Its index sort key.
        index_sort: String,
        /// Its primary key.
        key: Key,
        /// `false` (`e.`): every item with this index sort key was returned, and `key` is the
        /// last of them in DynamoDB's order, so DynamoDB can continue from it. `true` (`m.`):
        /// the page ended inside the group, at `key` in primary-key order.
        within_group: bool,
    },
}

impl Position {
    /// The cursor text: a kind letter, then each part's UTF-8 bytes in lowercase hex.
    fn encode(&self) -> Cursor {
        let (kind, parts): (&str, Vec<&str>) = match self {
            Position::Primary { sort } => ("p", vec![sort]),
            Position::Index {
                index_sort,
                key,
                within_group,
            } => (
                if *within_group { "m" } else { "e" },
                vec![index_sort, &key.partition, &key.sort],
            ),
        };
        let mut text = kind.to_owned();
        for part in parts {
            text.push(CURSOR_SEPARATOR);
            for byte in part.bytes() {
                text.push_str(&format!("{byte:02x}"));
            }
        }
        Cursor(text)
    }

    /// The position `cursor` holds, for a query of `index`; anything this module did not
    /// make for such a query is invalid.
    fn decode(cursor: &Cursor, index: Option<Index>) -> Result<Position> {
        let invalid = || Error::invalid("cursor", "not a cursor this query returned");
        let mut pieces = cursor.0.split(CURSOR_SEPARATOR);
        let kind = pieces.next().ok_or_else(invalid)?;
        let parts = pieces
            .map(|piece| decode_hex_text(piece).ok_or_else(invalid))
            .collect::<Result<Vec<_>>>()?;
        match (kind, index, parts.as_slice()) {
            ("p", None, [sort]) => Ok(Position::Primary { sort: sort.clone() }),
            ("e" | "m", Some(_), [index_sort, partition, sort]) => Ok(Position::Index {
                index_sort: index_sort.clone(),
                key: Key::new(partition.clone(), sort.clone()),
                within_group: kind == "m",
            }),
            _ => Err(invalid()),
        }
    }
}

/// The non-empty UTF-8 text of at most [`MAX_KEY_BYTES`] bytes whose bytes `hex` spells in
/// lowercase hex, if it does.
fn decode_hex_text(hex: &str) -> Option<String> {
    if hex.is_empty() || !hex.len().is_multiple_of(2) || hex.len() > 2 * MAX_KEY_BYTES {
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

/// Which sort keys one DynamoDB query covers.
#[derive(Debug, Clone, Copy)]
enum SortCondition<'a> {
    /// The port's range.
    Range(&'a SortRange),
    /// Exactly this sort key (one tie group of an index).
    Equal(&'a str),
}

/// One DynamoDB query, before its start key and limit.
#[derive(Debug, Clone, Copy)]
struct Spec<'a> {
    /// `None` for the table, else the secondary index number.
    index: Option<u8>,
    /// The partition (of the table or the index).
    partition: &'a str,
    /// Which sort keys.
    sort: SortCondition<'a>,
    /// In which order.
    order: Order,
}

impl Spec<'_> {
    /// The partition and sort key attributes this query reads.
    fn key_attribute_names(&self) -> (String, String) {
        match self.index {
            None => (PARTITION.to_owned(), SORT.to_owned()),
            Some(n) => (index_partition(n), index_sort_attribute(n)),
        }
    }
}

/// One DynamoDB page of `spec`: its items, in DynamoDB's order, and `LastEvaluatedKey`.
async fn fetch(
    records: &DynamoRecords,
    spec: &Spec<'_>,
    start: Option<Attributes>,
    limit: Option<usize>,
) -> Result<(Vec<Item>, Option<Attributes>)> {
    let (partition_name, sort_name) = spec.key_attribute_names();
    let mut request = records
        .client
        .query()
        .table_name(&records.table)
        .expression_attribute_names("#p", partition_name)
        .expression_attribute_values(":p", text(spec.partition))
        .scan_index_forward(spec.order == Order::Ascending)
        .set_exclusive_start_key(start)
        .set_limit(limit.map(|limit| i32::try_from(limit).unwrap_or(i32::MAX)));
    request = match spec.index {
        None => request.consistent_read(true),
        Some(n) => request.index_name(index_name(n)),
    };
    let condition = match spec.sort {
        SortCondition::Range(SortRange::All) => "#p = :p",
        SortCondition::Range(SortRange::Prefix(prefix)) if prefix.is_empty() => "#p = :p",
        SortCondition::Range(SortRange::Prefix(prefix)) => {
            request = request
                .expression_attribute_names("#s", sort_name)
                .expression_attribute_values(":s", text(prefix));
            "#p = :p AND begins_with(#s, :s)"
        }
        // DynamoDB refuses an empty string as a key value; every key is above it anyway.
        SortCondition::Range(SortRange::Between { start, end }) if start.is_empty() => {
            request = request
                .expression_attribute_names("#s", sort_name)
                .expression_attribute_values(":b", text(end));
            "#p = :p AND #s <= :b"
        }
        SortCondition::Range(SortRange::Between { start, end }) => {
            request = request
                .expression_attribute_names("#s", sort_name)
                .expression_attribute_values(":a", text(start))
                .expression_attribute_values(":b", text(end));
            "#p = :p AND #s BETWEEN :a AND :b"
        }
        SortCondition::Equal(sort) => {
            request = request
                .expression_attribute_names("#s", sort_name)
                .expression_attribute_values(":s", text(sort));
            "#p = :p AND #s = :s"
        }
    };
    records.stats.count_read();
    let output = request
        .key_condition_expression(condition)
        .send()
        .await
        .map_err(|error| {
            from_sdk(error, &records.table, || {
                format!("query of partition {}", spec.partition)
            })
        })?;
    let items = output
        .items()
        .iter()
        .map(item_from_attributes)
        .collect::<Result<Vec<_>>>()?;
    Ok((items, output.last_evaluated_key))
}

/// Up to `wanted` items of `spec` from `start` on, in DynamoDB's order, following
/// `LastEvaluatedKey`; fewer only when the query ends.
async fn fetch_up_to(
    records: &DynamoRecords,
    spec: &Spec<'_>,
    mut start: Option<Attributes>,
    wanted: usize,
) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    for _ in 0..MAX_SERVER_PAGES {
        let (page, next) = fetch(records, spec, start, Some(wanted - items.len())).await?;
        items.extend(page);
        if items.len() >= wanted || next.is_none() {
            return Ok(items);
        }
        start = next;
    }
    Err(too_many_pages(spec))
}

/// Every item of `spec`, in DynamoDB's order.
async fn fetch_all(records: &DynamoRecords, spec: &Spec<'_>) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    let mut start = None;
    for _ in 0..MAX_SERVER_PAGES {
        let (page, next) = fetch(records, spec, start, None).await?;
        items.extend(page);
        match next {
            None => return Ok(items),
            Some(next) => start = Some(next),
        }
    }
    Err(too_many_pages(spec))
}

/// The failure of a query that did not end within [`MAX_SERVER_PAGES`] DynamoDB pages.
fn too_many_pages(spec: &Spec<'_>) -> Error {
    Error::Backend {
        backend: BACKEND,
        source: BoxError::from(format!(
            "a query of partition {} did not end within {MAX_SERVER_PAGES} pages",
            spec.partition
        )),
    }
}

/// One page of a primary-key partition.
async fn primary_page(
    records: &DynamoRecords,
    query: &Query,
    position: Option<Position>,
) -> Result<Page> {
    let spec = Spec {
        index: None,
        partition: &query.partition,
        sort: SortCondition::Range(&query.range),
        order: query.order,
    };
    let start = match position {
        Some(Position::Primary { sort }) => {
            Some(key_attributes(&Key::new(query.partition.clone(), sort)))
        }
        _ => None,
    };
    let limit = page_limit(query);
    let mut items = fetch_up_to(records, &spec, start, limit + 1).await?;
    if items.len() <= limit {
        return Ok(Page { items, next: None });
    }
    items.truncate(limit);
    let next = items.last().map(|last| {
        Position::Primary {
            sort: last.key.sort.clone(),
        }
        .encode()
    });
    Ok(Page { items, next })
}

/// One page of partition `query.partition` of secondary index `n`, ties in primary-key order.
async fn index_page(
    records: &DynamoRecords,
    query: &Query,
    n: u8,
    position: Option<Position>,
) -> Result<Page> {
    let spec = Spec {
        index: Some(n),
        partition: &query.partition,
        sort: SortCondition::Range(&query.range),
        order: query.order,
    };
    let limit = page_limit(query);
    let mut page = Vec::new();
    let mut start = None;
    if let Some(Position::Index {
        index_sort,
        key,
        within_group,
    }) = position
    {
        let mut resume_after = key.clone();
        if within_group {
            // The rest of the group the last page ended in, then what follows it.
            let group = if query.range.contains(&index_sort) {
                fetch_all(records, &group_spec(&spec, &index_sort)).await?
            } else {
                Vec::new()
            };
            if let Some(last) = group.last() {
                resume_after = last.key.clone();
            }
            let mut rest: Vec<Item> = group
                .into_iter()
                .filter(|item| comes_after(query.order, &item.key, &key))
                .collect();
            sort_in_index_order(&mut rest, n, query.order);
            if rest.len() > limit {
                rest.truncate(limit);
                let next = rest.last().map(|last| within(&index_sort, last));
                return Ok(Page { items: rest, next });
            }
            if rest.len() == limit {
                let next = Some(after_group(&index_sort, resume_after));
                return Ok(Page { items: rest, next });
            }
            page = rest;
        }
        let mut start_key = key_attributes(&resume_after);
        start_key.insert(index_partition(n), text(&query.partition));
        start_key.insert(index_sort_attribute(n), text(&index_sort));
        start = Some(start_key);
    }

    let needed = limit - page.len();
    let mut fetched = fetch_up_to(records, &spec, start, needed + 1).await?;
    if fetched.len() <= needed {
        // Everything that follows was read, so every group is whole.
        sort_in_index_order(&mut fetched, n, query.order);
        page.extend(fetched);
        return Ok(Page {
            items: page,
            next: None,
        });
    }
    // The page ends in the group of the `needed`-th item; read all of it unless DynamoDB
    // already went past it.
    let last_sort = index_sort_of(&fetched[needed - 1], n).to_owned();
    let went_past = fetched
        .last()
        .is_some_and(|item| index_sort_of(item, n) != last_sort);
    let in_group = |item: &Item| index_sort_of(item, n) == last_sort;
    let group_end_in_server_order: Key;
    if went_past {
        let group_end = fetched.iter().rposition(&in_group).unwrap_or(0);
        group_end_in_server_order = fetched[group_end].key.clone();
        fetched.truncate(group_end + 1);
    } else {
        let group = fetch_all(records, &group_spec(&spec, &last_sort)).await?;
        // `fetched` holds `needed + 1` items, its last one in this group.
        let fetched_last = &fetched[fetched.len() - 1];
        group_end_in_server_order = group.last().unwrap_or(fetched_last).key.clone();
        fetched.retain(|item| !in_group(item));
        fetched.extend(group);
    }
    sort_in_index_order(&mut fetched, n, query.order);
    let ends_group = fetched.len() <= needed;
    fetched.truncate(needed);
    let next = if ends_group {
        after_group(&last_sort, group_end_in_server_order)
    } else {
        match fetched.last() {
            Some(last) => within(&last_sort, last),
            None => after_group(&last_sort, group_end_in_server_order),
        }
    };
    page.extend(fetched);
    Ok(Page {
        items: page,
        next: Some(next),
    })
}

/// `spec` narrowed to the items whose sort key is exactly `sort`.
fn group_spec<'a>(spec: &Spec<'a>, sort: &'a str) -> Spec<'a> {
    Spec {
        sort: SortCondition::Equal(sort),
        ..*spec
    }
}

/// The page size as a length.
fn page_limit(query: &Query) -> usize {
    usize::try_from(query.limit).unwrap_or(usize::MAX)
}

/// `item`'s sort key in index `n` (empty if it has none, which an index query never returns).
fn index_sort_of(item: &Item, n: u8) -> &str {
    Index::new(n)
        .and_then(|index| item.index_key(index))
        .map_or("", |key| key.sort.as_str())
}

/// Whether `key` comes after `position` in primary-key order for `order`.
fn comes_after(order: Order, key: &Key, position: &Key) -> bool {
    match order {
        Order::Ascending => key > position,
        Order::Descending => key < position,
    }
}

/// Sorts `items` as an index query in `order` returns them: by index sort key, then primary
/// key, byte-wise (all reversed when descending).
fn sort_in_index_order(items: &mut [Item], n: u8, order: Order) {
    items.sort_by(|a, b| {
        let ascending = (index_sort_of(a, n), &a.key).cmp(&(index_sort_of(b, n), &b.key));
        match order {
            Order::Ascending => ascending,
            Order::Descending => ascending.reverse(),
        }
    });
}

/// A cursor inside the group `index_sort`, after `last`.
fn within(index_sort: &str, last: &Item) -> Cursor {
    Position::Index {
        index_sort: index_sort.to_owned(),
        key: last.key.clone(),
        within_group: true,
    }
    .encode()
}

/// A cursor after the whole group `index_sort`, whose last item in DynamoDB's order is
/// `server_last`.
fn after_group(index_sort: &str, server_last: Key) -> Cursor {
    Position::Index {
        index_sort: index_sort.to_owned(),
        key: server_last,
        within_group: false,
    }
    .encode()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let positions = [
            (
                Position::Primary {
                    sort: "é \u{0}x".to_owned(),
                },
                None,
            ),
            (
                Position::Index {
                    index_sort: "s".to_owned(),
                    key: Key::new("p", "\u{10ffff}"),
                    within_group: true,
                },
                Index::new(0),
            ),
            (
                Position::Index {
                    index_sort: "s".to_owned(),
                    key: Key::new("p", "q"),
                    within_group: false,
                },
                Index::new(3),
            ),
        ];
        for (position, index) in positions {
            let cursor = position.encode();
            assert_eq!(Position::decode(&cursor, index).expect("decode"), position);
        }
    }

    #[test]
    fn garbage_and_foreign_cursors_are_invalid() {
        for garbage in [
            "", "p", "p.", "p.zz", "p.6", "p.AB", "p.ff", "x.61", "p.61.62", "e.61.62", "{]",
        ] {
            let result = Position::decode(&Cursor(garbage.to_owned()), None);
            assert!(result.is_err(), "{garbage:?} decoded as {result:?}");
        }
        let primary = Position::Primary {
            sort: "a".to_owned(),
        }
        .encode();
        assert!(Position::decode(&primary, Index::new(0)).is_err());
        let too_long = format!("p.{}", "61".repeat(MAX_KEY_BYTES + 1));
        assert!(Position::decode(&Cursor(too_long), None).is_err());
    }

    #[test]
    fn ties_sort_by_primary_key_in_both_orders() {
        let index = Index::new(1).expect("index 1");
        let item = |partition: &str, sort: &str, index_sort: &str| {
            Item::new(Key::new(partition, sort), 1, Vec::new())
                .with_index_key(index, Key::new("i", index_sort))
        };
        let mut items = vec![
            item("q", "a", "same"),
            item("p", "b", "same"),
            item("z", "z", "before"),
            item("p", "a", "same"),
        ];
        sort_in_index_order(&mut items, 1, Order::Ascending);
        let keys: Vec<String> = items.iter().map(|item| item.key.to_string()).collect();
        assert_eq!(keys, ["(z, z)", "(p, a)", "(p, b)", "(q, a)"]);
        sort_in_index_order(&mut items, 1, Order::Descending);
        let keys: Vec<String> = items.iter().map(|item| item.key.to_string()).collect();
        assert_eq!(keys, ["(q, a)", "(p, b)", "(p, a)", "(z, z)"]);
    }
}
