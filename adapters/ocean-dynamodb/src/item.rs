//! How an ocean item is laid out as DynamoDB attributes, and conditions as condition
//! expressions.
//!
//! | attribute | type | holds |
//! |---|---|---|
//! | `pk`, `sk` | S | the primary key (table hash and range key) |
//! | `v` | N | the version, a `u64` in decimal (DynamoDB numbers hold 38 digits) |
//! | `b` | B | the body; absent when the body is empty |
//! | `g0p`/`g0s` ... `g3p`/`g3s` | S | the key in secondary index N (GSI `gsiN`); absent when the item is not in it, so the GSIs are sparse |

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use ocean::records::{Condition, Index, Item, Key};
use ocean::{BoxError, Error, Result};

use crate::error::BACKEND;

/// An item's or a key's attributes, as the SDK takes them.
pub(crate) type Attributes = HashMap<String, AttributeValue>;

/// The partition key attribute.
pub(crate) const PARTITION: &str = "pk";
/// The sort key attribute.
pub(crate) const SORT: &str = "sk";
/// The version attribute.
pub(crate) const VERSION: &str = "v";
/// The body attribute.
pub(crate) const BODY: &str = "b";

/// The name of the GSI holding secondary index `n`.
pub(crate) fn index_name(n: u8) -> String {
    format!("gsi{n}")
}

/// The partition key attribute of secondary index `n`.
pub(crate) fn index_partition(n: u8) -> String {
    format!("g{n}p")
}

/// The sort key attribute of secondary index `n`.
pub(crate) fn index_sort(n: u8) -> String {
    format!("g{n}s")
}

/// The attributes naming `key` (for gets, deletes and condition checks).
pub(crate) fn key_attributes(key: &Key) -> Attributes {
    HashMap::from([
        (PARTITION.to_owned(), text(&key.partition)),
        (SORT.to_owned(), text(&key.sort)),
    ])
}

/// Every attribute of `item`.
pub(crate) fn item_attributes(item: &Item) -> Attributes {
    let mut attributes = key_attributes(&item.key);
    attributes.insert(
        VERSION.to_owned(),
        AttributeValue::N(item.version.to_string()),
    );
    if !item.body.is_empty() {
        attributes.insert(
            BODY.to_owned(),
            AttributeValue::B(Blob::new(item.body.clone())),
        );
    }
    for index in Index::all() {
        if let Some(key) = item.index_key(index) {
            attributes.insert(index_partition(index.number()), text(&key.partition));
            attributes.insert(index_sort(index.number()), text(&key.sort));
        }
    }
    attributes
}

/// The item stored as `attributes`; a missing or mistyped key or version is a backend
/// failure (the table holds something this adapter did not write).
pub(crate) fn item_from_attributes(attributes: &Attributes) -> Result<Item> {
    let partition = required_text(attributes, PARTITION)?;
    let sort = required_text(attributes, SORT)?;
    let version = match attributes.get(VERSION) {
        Some(AttributeValue::N(number)) => number
            .parse::<u64>()
            .map_err(|_| corrupt(&format!("version {number:?} is not a u64")))?,
        _ => return Err(corrupt(&format!("no numeric attribute {VERSION}"))),
    };
    let body = match attributes.get(BODY) {
        None => Vec::new(),
        Some(AttributeValue::B(blob)) => blob.as_ref().to_vec(),
        Some(_) => return Err(corrupt(&format!("attribute {BODY} is not binary"))),
    };
    let mut item = Item::new(Key::new(partition, sort), version, body);
    for index in Index::all() {
        let n = index.number();
        let partition = optional_text(attributes, &index_partition(n))?;
        let sort = optional_text(attributes, &index_sort(n))?;
        if let (Some(partition), Some(sort)) = (partition, sort) {
            item = item.with_index_key(index, Key::new(partition, sort));
        }
    }
    Ok(item)
}

/// A DynamoDB string.
pub(crate) fn text(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

/// The string attribute `name`, which must be there.
pub(crate) fn required_text(attributes: &Attributes, name: &str) -> Result<String> {
    optional_text(attributes, name)?.ok_or_else(|| corrupt(&format!("no attribute {name}")))
}

/// The string attribute `name`, if present.
fn optional_text(attributes: &Attributes, name: &str) -> Result<Option<String>> {
    match attributes.get(name) {
        None => Ok(None),
        Some(AttributeValue::S(value)) => Ok(Some(value.clone())),
        Some(_) => Err(corrupt(&format!("attribute {name} is not a string"))),
    }
}

/// A backend failure for an item this adapter cannot read.
fn corrupt(problem: &str) -> Error {
    Error::Backend {
        backend: BACKEND,
        source: BoxError::from(format!("a stored item is corrupt: {problem}")),
    }
}

/// A condition expression with its placeholders.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expression {
    /// The expression text.
    pub(crate) text: &'static str,
    /// `#name` placeholders.
    pub(crate) names: HashMap<String, String>,
    /// `:value` placeholders (`None` when there are none: DynamoDB refuses an empty map).
    pub(crate) values: Option<HashMap<String, AttributeValue>>,
}

/// The condition expression for `condition`, `None` for [`Condition::Always`].
pub(crate) fn condition_expression(condition: Condition) -> Option<Expression> {
    match condition {
        Condition::Always => None,
        Condition::Absent => Some(Expression {
            text: "attribute_not_exists(#pk)",
            names: HashMap::from([("#pk".to_owned(), PARTITION.to_owned())]),
            values: None,
        }),
        Condition::VersionIs(version) => Some(Expression {
            text: "#v = :v",
            names: HashMap::from([("#v".to_owned(), VERSION.to_owned())]),
            values: Some(HashMap::from([(
                ":v".to_owned(),
                AttributeValue::N(version.to_string()),
            )])),
        }),
    }
}

/// The condition expression of a condition check (which must have one): `Always` becomes a
/// condition that holds whether or not the item exists.
pub(crate) fn check_expression(condition: Condition) -> Expression {
    condition_expression(condition).unwrap_or_else(|| Expression {
        text: "attribute_exists(#pk) OR attribute_not_exists(#pk)",
        names: HashMap::from([("#pk".to_owned(), PARTITION.to_owned())]),
        values: None,
    })
}

/// What `condition` expected, for a conflict's message.
pub(crate) fn describe_condition(condition: Condition) -> String {
    match condition {
        Condition::Always => "a condition failed".to_owned(),
        Condition::Absent => "expected no item, found one".to_owned(),
        Condition::VersionIs(version) => {
            format!("expected version {version}, found another version or no item")
        }
    }
}

/// DynamoDB's write capacity units for writing `attributes` once: one per started KB of the
/// item (attribute names and values), at least one. Transactions bill each write twice.
pub(crate) fn write_units(attributes: &Attributes) -> u64 {
    let bytes: usize = attributes
        .iter()
        .map(|(name, value)| {
            name.len()
                + match value {
                    AttributeValue::S(text) => text.len(),
                    AttributeValue::N(number) => number.len().div_ceil(2) + 1,
                    AttributeValue::B(blob) => blob.as_ref().len(),
                    _ => 1,
                }
        })
        .sum();
    u64::try_from(bytes.div_ceil(1024).max(1)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip_through_attributes() {
        let index = Index::new(3).expect("index 3");
        for body in [Vec::new(), vec![0, 255, 7]] {
            for version in [0, 1 << 53, u64::MAX] {
                let item = Item::new(Key::new("p", "s"), version, body.clone())
                    .with_index_key(index, Key::new("ip", "is"));
                let attributes = item_attributes(&item);
                assert_eq!(item_from_attributes(&attributes).expect("decode"), item);
            }
        }
    }

    #[test]
    fn an_empty_body_and_absent_index_keys_store_no_attribute() {
        let attributes = item_attributes(&Item::new(Key::new("p", "s"), 1, Vec::new()));
        let mut names: Vec<&str> = attributes.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["pk", "sk", "v"]);
    }

    #[test]
    fn corrupt_items_are_backend_failures() {
        let mut attributes = key_attributes(&Key::new("p", "s"));
        attributes.insert(VERSION.to_owned(), AttributeValue::N("-1".to_owned()));
        let error = item_from_attributes(&attributes).expect_err("a negative version");
        assert_eq!(error.kind(), ocean::ErrorKind::Backend);
    }

    #[test]
    fn write_units_count_started_kilobytes() {
        let small = item_attributes(&Item::new(Key::new("p", "s"), 1, vec![1; 10]));
        assert_eq!(write_units(&small), 1);
        let large = item_attributes(&Item::new(Key::new("p", "s"), 1, vec![1; 3000]));
        assert_eq!(write_units(&large), 3);
    }
}
