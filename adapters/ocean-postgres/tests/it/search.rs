//! The search adapter: the conformance suite, similar terms through pg_trgm, and hostile
//! terms and queries treated as plain text.

use ocean::search::{Hit, MAX_HITS, MatchKind};
use ocean::{ErrorKind, Search};
use ocean_postgres::PostgresSearch;

use crate::support::TestDb;

async fn connect(db: &TestDb) -> PostgresSearch {
    PostgresSearch::connect(&db.url)
        .await
        .expect("connect the search adapter")
}

fn hit(term: &str, kind: MatchKind) -> Hit {
    Hit {
        term: term.to_owned(),
        kind,
    }
}

/// The hits that contain the query (similar ones aside), as terms.
fn containing(hits: &[Hit]) -> Vec<&str> {
    hits.iter()
        .filter(|hit| hit.kind != MatchKind::Similar)
        .map(|hit| hit.term.as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance() {
    let Some(db) = TestDb::create("search conformance").await else {
        return;
    };
    let search = connect(&db).await;
    ocean_conformance::search::run_all(&search).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn misspellings_find_similar_terms() {
    let Some(db) = TestDb::create("search similar").await else {
        return;
    };
    let search = connect(&db).await;
    for term in ["photograph", "sunset", "GoldenGateBridgeAtNight"] {
        search.index("tags", term).await.unwrap();
    }
    let hits = search.search("tags", "fotograph", 10).await.unwrap();
    assert_eq!(hits, vec![hit("photograph", MatchKind::Similar)]);
    let hits = search.search("tags", "photograh", 10).await.unwrap();
    assert_eq!(hits, vec![hit("photograph", MatchKind::Similar)]);
    // A short query against a long term: word similarity, not plain similarity.
    let hits = search.search("tags", "goldengat", 10).await.unwrap();
    assert_eq!(
        hits,
        vec![hit("GoldenGateBridgeAtNight", MatchKind::Prefix)]
    );
    let hits = search.search("tags", "goldengaet", 10).await.unwrap();
    assert_eq!(
        hits,
        vec![hit("GoldenGateBridgeAtNight", MatchKind::Similar)],
        "a misspelt part of a long term is similar"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_terms_and_queries_are_plain_text() {
    let Some(db) = TestDb::create("search hostile terms").await else {
        return;
    };
    let search = connect(&db).await;
    let terms = [
        "'; DROP TABLE ocean_search_terms; --",
        "' OR '1'='1",
        "100%",
        "snake_case",
        r"back\slash",
        "plain",
    ];
    for term in terms {
        search
            .index("tags", term)
            .await
            .expect("index a hostile term");
    }
    let cases: [(&str, &[&str]); 8] = [
        ("'; DROP TABLE ocean_search_terms; --", &[terms[0]]),
        ("drop table", &[terms[0]]),
        ("' or '1'='1", &[terms[1]]),
        ("%", &["100%"]),
        ("_", &["snake_case", terms[0]]),
        (r"\", &[r"back\slash"]),
        ("'", &[terms[1], terms[0]]),
        ("--", &[terms[0]]),
    ];
    for (query, expected) in cases {
        let hits = search.search("tags", query, MAX_HITS).await.unwrap();
        assert_eq!(containing(&hits), expected, "query {query:?}");
    }
    let hits = search.search("tags", "plain", MAX_HITS).await.unwrap();
    assert_eq!(
        hits,
        vec![hit("plain", MatchKind::Exact)],
        "the table is intact"
    );
    search
        .remove("tags", "'; drop TABLE ocean_search_terms; --")
        .await
        .expect("remove a hostile term in another spelling");
    let hits = search.search("tags", "drop", MAX_HITS).await.unwrap();
    assert!(containing(&hits).is_empty(), "{hits:?}");
    let hits = search.search("tags", "plain", MAX_HITS).await.unwrap();
    assert_eq!(
        hits,
        vec![hit("plain", MatchKind::Exact)],
        "only that term went"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nul_characters_cannot_be_indexed() {
    let Some(db) = TestDb::create("search nul").await else {
        return;
    };
    let search = connect(&db).await;
    let result = search.index("tags", "nul\0term").await;
    assert_eq!(result.unwrap_err().kind(), ErrorKind::Invalid);
    search
        .remove("tags", "nul\0term")
        .await
        .expect("removing a term that cannot exist is fine");
    let hits = search.search("tags", "nul\0", 10).await.unwrap();
    assert!(hits.is_empty(), "{hits:?}");
}
