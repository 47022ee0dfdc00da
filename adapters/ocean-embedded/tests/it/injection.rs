//! SQL injection strings through the embedded SQLite stores: as record keys, index keys and
//! bodies (where user names, comments and tags end up) they are stored and read back
//! verbatim and leave the tables intact. The search port's own injection checks are
//! `ocean_conformance::search`'s, run by `search::conformance`.

use ocean::Records;
use ocean::records::{Index, Item, Key, Query, SortRange, Write};
use ocean_embedded::EmbeddedRecords;

/// SQL, LIKE and GLOB metacharacters, comment and quote tricks, unicode quotes and NUL.
const HOSTILE: &[&str] = &[
    "'; DROP TABLE items; --",
    "Robert'); DROP TABLE items;--",
    "\" OR 1=1 --",
    "' OR '1'='1",
    "\\",
    "\\'; --",
    "%",
    "_",
    "a%b_c*d?[e]",
    "/* comment */ ;",
    "\u{2018}curly\u{2019} \u{201c}quotes\u{201d}",
    "\u{ff07}; DROP TABLE items; --",
    "nul\0inside",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_keys_and_bodies_round_trip_and_the_tables_survive() {
    let dir = tempfile::tempdir().unwrap();
    let records = EmbeddedRecords::open(dir.path()).expect("open records");
    let by_name = Index::new(0).expect("index 0");
    let canary = Key::new("canary", "still here");
    records
        .write(Write::put(Item::new(canary.clone(), 1, b"canary".to_vec())))
        .await
        .expect("put the canary");
    for (n, text) in HOSTILE.iter().enumerate() {
        let item = Item::new(Key::new("names", *text), 1, text.as_bytes().to_vec())
            .with_index_key(by_name, Key::new(*text, format!("{n:02}")));
        records
            .write(Write::put(item))
            .await
            .unwrap_or_else(|e| panic!("put {text:?}: {e}"));
    }
    for (n, text) in HOSTILE.iter().enumerate() {
        let item = records
            .get(&Key::new("names", *text))
            .await
            .unwrap_or_else(|e| panic!("get {text:?}: {e}"))
            .unwrap_or_else(|| panic!("{text:?} was stored"));
        assert_eq!(item.key.sort, *text);
        assert_eq!(item.body, text.as_bytes(), "the body of {text:?}");
        let query = Query {
            index: Some(by_name),
            ..Query::partition(*text, 10)
        };
        let page = records.query(&query).await.expect("query the index");
        let sorts: Vec<&str> = page
            .items
            .iter()
            .map(|item| item.key.sort.as_str())
            .collect();
        assert_eq!(
            sorts,
            [*text],
            "the index partition {text:?} holds its item only"
        );
        assert_eq!(
            page.items[0].index_key(by_name),
            Some(&Key::new(*text, format!("{n:02}")))
        );
    }
    // A prefix holding LIKE wildcards or a quote matches itself only (in byte order).
    for (prefix, expected) in [
        ("%", &["%"][..]),
        ("_", &["_"][..]),
        ("'", &["' OR '1'='1", "'; DROP TABLE items; --"][..]),
        ("\\", &["\\", "\\'; --"][..]),
    ] {
        let query = Query {
            range: SortRange::Prefix(prefix.to_owned()),
            ..Query::partition("names", 100)
        };
        let page = records.query(&query).await.expect("a prefix query");
        let sorts: Vec<&str> = page
            .items
            .iter()
            .map(|item| item.key.sort.as_str())
            .collect();
        assert_eq!(sorts, expected, "prefix {prefix:?}");
    }
    let all = records
        .query(&Query::partition("names", 100))
        .await
        .expect("the whole partition");
    assert_eq!(all.items.len(), HOSTILE.len(), "every hostile key, once");
    let kept = records.get(&canary).await.expect("get the canary");
    assert_eq!(kept.map(|item| item.body), Some(b"canary".to_vec()));
}
