//! Checks of `write_batch`: puts and deletes applied, conditions and checks refused, many
//! writes, and idempotent retries.

use ocean::records::{Condition, Item, Key, Write};
use ocean::{ErrorKind, Records};

use super::support::{
    assert_stored, check_if, delete_if, get_many_ok, item, keys_of, put_if, put_ok, write_batch_ok,
};
use crate::{assert_kind, unique};

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
