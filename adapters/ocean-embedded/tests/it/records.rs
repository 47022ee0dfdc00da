//! The embedded records store against the records conformance suite, plus what only a local
//! file can show: durability across reopening, and two open instances (as two processes
//! would hold) sharing one directory and racing on one key.

use ocean::Records;
use ocean::records::{Condition, Index, Item, Key, Query, Write};
use ocean_embedded::EmbeddedRecords;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance() {
    let dir = tempfile::tempdir().expect("temp dir");
    let records = EmbeddedRecords::open(dir.path()).expect("open records");
    ocean_conformance::records::run_all(&records).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn open_creates_a_missing_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let nested = dir.path().join("a").join("b");
    let records = EmbeddedRecords::open(&nested).expect("open records in a new directory");
    let key = Key::new("p", "s");
    records
        .write(Write::put(Item::new(key.clone(), 1, b"x".to_vec())))
        .await
        .expect("put");
    assert!(
        nested.join("records.sqlite3").is_file(),
        "the database file is created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn data_survives_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = Index::new(1).expect("index 1");
    let key = Key::new("user#1", "profile");
    let stored = Item::new(key.clone(), 3, b"{\"name\":\"ada\"}".to_vec())
        .with_index_key(index, Key::new("names", "ada"));
    {
        let records = EmbeddedRecords::open(dir.path()).expect("open records");
        records
            .write(Write::put(stored.clone()))
            .await
            .expect("put before reopening");
    }
    let reopened = EmbeddedRecords::open(dir.path()).expect("reopen records");
    let read = reopened.get(&key).await.expect("get after reopening");
    assert_eq!(read, Some(stored.clone()), "an item survives reopening");
    let query = Query {
        index: Some(index),
        ..Query::partition("names", 10)
    };
    let page = reopened
        .query(&query)
        .await
        .expect("index query after reopening");
    assert_eq!(page.items, vec![stored], "index entries survive reopening");
    let update = reopened
        .write(Write::Put {
            item: Item::new(key, 4, Vec::new()),
            condition: Condition::VersionIs(3),
        })
        .await;
    assert!(update.is_ok(), "versions survive reopening, got {update:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_directory_share_items() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = EmbeddedRecords::open(dir.path()).expect("open first");
    let second = EmbeddedRecords::open(dir.path()).expect("open second");
    let key = Key::new("shared", "item");
    let stored = Item::new(key.clone(), 1, b"from the first".to_vec());
    first.write(Write::put(stored.clone())).await.expect("put");
    assert_eq!(
        second.get(&key).await.expect("get"),
        Some(stored),
        "the second instance sees the first's write"
    );
    let updated = Item::new(key.clone(), 2, b"from the second".to_vec());
    second
        .write(Write::Put {
            item: updated.clone(),
            condition: Condition::VersionIs(1),
        })
        .await
        .expect("conditional update from the second instance");
    assert_eq!(
        first.get(&key).await.expect("get"),
        Some(updated),
        "the first instance sees the second's write"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_if_absent_race_between_two_instances_has_one_winner() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = EmbeddedRecords::open(dir.path()).expect("open first");
    let second = EmbeddedRecords::open(dir.path()).expect("open second");
    for round in 0..20 {
        let key = Key::new("race", format!("round-{round}"));
        let claim = |records: EmbeddedRecords, body: &'static [u8]| {
            let key = key.clone();
            async move {
                records
                    .write(Write::Put {
                        item: Item::new(key, 1, body.to_vec()),
                        condition: Condition::Absent,
                    })
                    .await
            }
        };
        let (from_first, from_second) = tokio::join!(
            claim(first.clone(), b"first"),
            claim(second.clone(), b"second"),
        );
        assert!(
            from_first.is_ok() != from_second.is_ok(),
            "round {round}: exactly one instance wins, got {from_first:?} and {from_second:?}"
        );
        let loser = if from_first.is_ok() {
            &from_second
        } else {
            &from_first
        };
        ocean_conformance::assert_kind(loser, ocean::ErrorKind::Conflict, "the losing claim");
        let winner_body: &[u8] = if from_first.is_ok() {
            b"first"
        } else {
            b"second"
        };
        let stored = second.get(&key).await.expect("get").expect("an item");
        assert_eq!(stored.body, winner_body, "round {round}: the winner's item");
    }
}

/// Many writers at once are group-committed into shared transactions: each caller's writes
/// still stand or fall together, a failed condition undoes only its own caller's writes,
/// and every caller sees the writes queued before it (one winner per contested key).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn grouped_writers_keep_each_commit_all_or_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let records = std::sync::Arc::new(EmbeddedRecords::open(dir.path()).expect("open records"));
    let create = |key: Key, body: &str| Write::Put {
        item: Item::new(key, 1, body.as_bytes().to_vec()),
        condition: Condition::Absent,
    };
    let mut tasks = Vec::new();
    for n in 0..200 {
        let records = std::sync::Arc::clone(&records);
        // Each commit creates its own key and one of ten contested keys.
        let writes = vec![
            create(Key::new("own", format!("{n:03}")), "own"),
            create(Key::new("contested", format!("{}", n % 10)), &n.to_string()),
        ];
        tasks.push(tokio::spawn(async move { records.commit(writes).await }));
    }
    let mut winners = 0;
    for (n, task) in tasks.into_iter().enumerate() {
        match task.await.expect("task") {
            Ok(()) => winners += 1,
            Err(error) => {
                assert_eq!(
                    error.kind(),
                    ocean::ErrorKind::Conflict,
                    "commit {n}: {error}"
                );
                let own = records
                    .get(&Key::new("own", format!("{n:03}")))
                    .await
                    .expect("get own key");
                assert_eq!(
                    own, None,
                    "commit {n} lost its race, so its own key stays absent"
                );
            }
        }
    }
    assert_eq!(winners, 10, "one commit wins each contested key");
    let own = records
        .query(&Query::partition("own", 1000))
        .await
        .expect("query own keys");
    assert_eq!(own.items.len(), 10, "exactly the winners' own keys exist");
}
