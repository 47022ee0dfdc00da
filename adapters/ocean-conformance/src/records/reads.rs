//! Checks of `get` and `get_many`: missing keys, order, gaps, repeats and many keys at once.

use ocean::Records;
use ocean::records::{Item, Key, MAX_COMMIT_WRITES, Write};

use super::support::{commit_ok, get_many_ok, item, put_ok};
use crate::unique;

/// `get` of a key nothing was written to is `Ok(None)`, never `NotFound`.
pub async fn get_of_a_missing_key_is_none(records: &dyn Records) {
    let key = Key::new(unique("records-missing"), "nothing");
    let result = records.get(&key).await;
    assert!(
        matches!(result, Ok(None)),
        "get of a missing key is Ok(None), got {result:?}"
    );
}

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
