//! The DynamoDB records adapter against moto in server mode: the whole records conformance
//! suite on a fresh table, plus what only this adapter has: the table definition, DynamoDB's
//! request limits (100 writes a transaction, 25 a batch), its cursor format, the error for a
//! missing table and the request counters.

use ocean::records::{Condition, Cursor, Item, Key, MAX_COMMIT_WRITES, Query, Write};
use ocean::{ErrorKind, Records};
use ocean_conformance::servers::{self, MOTO};
use ocean_conformance::{assert_kind, unique};
use ocean_dynamodb::DynamoRecords;

/// Records on a fresh, uniquely named table on moto, or `None` (the test is skipped) when
/// moto is not running outside CI.
async fn fresh_records(test: &str) -> Option<DynamoRecords> {
    let url = servers::server(&MOTO, test)?;
    let config = ocean_aws::test_config(&url);
    let records = DynamoRecords::new(&config, unique("records"));
    records.create_table().await.expect("create the table");
    Some(records)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance() {
    let Some(records) = fresh_records("ocean-dynamodb conformance").await else {
        return;
    };
    ocean_conformance::records::run_all(&records).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_table_is_idempotent() {
    let Some(records) = fresh_records("create_table_is_idempotent").await else {
        return;
    };
    let key = Key::new("p", "s");
    let item = Item::new(key.clone(), 1, b"kept".to_vec());
    records.write(Write::put(item.clone())).await.expect("put");
    records
        .create_table()
        .await
        .expect("creating an existing table is fine");
    let again = DynamoRecords::new(
        &ocean_aws::test_config(&MOTO.url()),
        records.table().to_owned(),
    );
    again
        .create_table()
        .await
        .expect("from another instance too");
    assert_eq!(
        again.get(&key).await.expect("get"),
        Some(item),
        "creating the table again keeps its items"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_commit_of_the_most_writes_is_one_transaction() {
    let Some(records) = fresh_records("a_commit_of_the_most_writes_is_one_transaction").await
    else {
        return;
    };
    let partition = unique("most");
    let items: Vec<Item> = (0..MAX_COMMIT_WRITES)
        .map(|n| {
            Item::new(
                Key::new(partition.clone(), format!("{n:03}")),
                1,
                vec![1; 10],
            )
        })
        .collect();
    let before = records.stats();
    let writes = items
        .iter()
        .map(|item| Write::Put {
            item: item.clone(),
            condition: Condition::Absent,
        })
        .collect();
    records
        .commit(writes)
        .await
        .expect("a commit of 100 writes");
    let after = records.stats();
    assert_eq!(
        after.writes - before.writes,
        1,
        "one TransactWriteItems call"
    );
    assert_eq!(
        after.write_units - before.write_units,
        2 * MAX_COMMIT_WRITES as u64,
        "a transaction bills two units per small item"
    );
    let keys: Vec<Key> = items.iter().map(|item| item.key.clone()).collect();
    let read = records.get_many(&keys).await.expect("get_many");
    assert_eq!(read, items.into_iter().map(Some).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_large_batch_is_sent_in_chunks_and_retried() {
    let Some(records) = fresh_records("a_large_batch_is_sent_in_chunks_and_retried").await else {
        return;
    };
    let partition = unique("batch");
    let key = |n: usize| Key::new(partition.clone(), format!("{n:03}"));
    // 60 distinct keys plus a second write of key 0: the later write wins.
    let mut writes: Vec<Write> = (0..60)
        .map(|n| Write::put(Item::new(key(n), 1, b"first".to_vec())))
        .collect();
    writes.push(Write::put(Item::new(key(0), 2, b"second".to_vec())));
    let before = records.stats();
    records
        .write_batch(writes.clone())
        .await
        .expect("a batch of 61 writes");
    let sent = records.stats().writes - before.writes;
    assert!(
        sent >= 3,
        "60 keys need at least three BatchWriteItem calls, made {sent}"
    );
    // The retry of the whole batch (as after a crash) is idempotent.
    records.write_batch(writes).await.expect("the batch again");
    let keys: Vec<Key> = (0..60).map(key).collect();
    let read = records.get_many(&keys).await.expect("get_many");
    assert_eq!(
        read[0],
        Some(Item::new(key(0), 2, b"second".to_vec())),
        "the last write of a key wins"
    );
    for (n, item) in read.iter().enumerate().skip(1) {
        assert_eq!(item, &Some(Item::new(key(n), 1, b"first".to_vec())));
    }
    // 250 keys with repeats read back in order, across three BatchGetItem chunks.
    let many: Vec<Key> = (0..250).map(|n| key(n % 70)).collect();
    let read = records.get_many(&many).await.expect("get_many of 250 keys");
    for (asked, got) in many.iter().zip(&read) {
        let index: usize = asked.sort.parse().expect("a number");
        assert_eq!(got.is_some(), index < 60, "key {asked}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_garbage_cursor_is_invalid() {
    let Some(records) = fresh_records("a_garbage_cursor_is_invalid").await else {
        return;
    };
    let partition = unique("cursor");
    for sort in ["a", "b", "c"] {
        records
            .write(Write::put(Item::new(
                Key::new(partition.clone(), sort),
                1,
                Vec::new(),
            )))
            .await
            .expect("put");
    }
    let first = records
        .query(&Query::partition(partition.clone(), 1))
        .await
        .expect("first page");
    let cursor = first.next.expect("a next page");
    for garbage in [
        "p.zz".to_owned(),
        format!("{}0", cursor.0),
        cursor.0.replace("p.", "e."),
    ] {
        let query = Query {
            cursor: Some(Cursor(garbage.clone())),
            ..Query::partition(partition.clone(), 1)
        };
        assert_kind(
            &records.query(&query).await,
            ErrorKind::Invalid,
            &format!("cursor {garbage:?}"),
        );
    }
    let index_query = Query {
        index: ocean::records::Index::new(0),
        cursor: Some(cursor),
        ..Query::partition(partition, 1)
    };
    assert_kind(
        &records.query(&index_query).await,
        ErrorKind::Invalid,
        "a table cursor on an index query",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_missing_table_says_to_run_init_aws() {
    let Some(url) = servers::server(&MOTO, "a_missing_table_says_to_run_init_aws") else {
        return;
    };
    let records = DynamoRecords::new(&ocean_aws::test_config(&url), unique("never-created"));
    let result = records.get(&Key::new("p", "s")).await;
    assert_kind(&result, ErrorKind::Backend, "a read of a missing table");
    let Err(error) = result else { return };
    let source = std::error::Error::source(&error)
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        source.contains("init-aws") && source.contains(records.table()),
        "the error names the table and the command, got {source:?}"
    );
    let write = records
        .write(Write::put(Item::new(Key::new("p", "s"), 1, Vec::new())))
        .await;
    assert_kind(&write, ErrorKind::Backend, "a write to a missing table");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn get_many_resends_unprocessed_keys() {
    let Some(records) = fresh_records("get_many_resends_unprocessed_keys").await else {
        return;
    };
    // 60 items of 300 KB: 18 MB, over BatchGetItem's 16 MB a response, so DynamoDB (and
    // moto) leave some keys unprocessed.
    let partition = unique("unprocessed");
    let items: Vec<Item> = (0..60)
        .map(|n| {
            let body = vec![u8::try_from(n).unwrap_or(0); 300 * 1024];
            Item::new(Key::new(partition.clone(), format!("{n:02}")), 1, body)
        })
        .collect();
    records
        .write_batch(items.iter().cloned().map(Write::put).collect())
        .await
        .expect("a batch of large items");
    let keys: Vec<Key> = items.iter().map(|item| item.key.clone()).collect();
    let before = records.stats();
    let read = records.get_many(&keys).await.expect("get_many");
    let requests = records.stats().reads - before.reads;
    assert!(
        requests >= 2,
        "18 MB of items take more than one BatchGetItem, made {requests}"
    );
    assert!(
        read == items.into_iter().map(Some).collect::<Vec<_>>(),
        "every item is read, in order"
    );
}
