//! The embedded search store: the conformance suite, durability across reopening, and two
//! handles on one directory (as two processes would be).

use ocean::Search;
use ocean::search::{Hit, MatchKind};
use ocean_embedded::EmbeddedSearch;

fn hit(term: &str, kind: MatchKind) -> Hit {
    Hit {
        term: term.to_owned(),
        kind,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance() {
    let dir = tempfile::tempdir().unwrap();
    let search = EmbeddedSearch::open(dir.path()).expect("open the search store");
    ocean_conformance::search::run_all(&search).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn terms_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let search = EmbeddedSearch::open(dir.path()).unwrap();
        for term in ["Sunset", "sunrise", "gone"] {
            search.index("tags", term).await.unwrap();
        }
        search.remove("tags", "GONE").await.unwrap();
    }
    let search = EmbeddedSearch::open(dir.path()).unwrap();
    let hits = search.search("tags", "sun", 10).await.unwrap();
    assert_eq!(
        hits,
        vec![
            hit("Sunset", MatchKind::Prefix),
            hit("sunrise", MatchKind::Prefix)
        ]
    );
    let gone = search.search("tags", "gone", 10).await.unwrap();
    assert!(gone.is_empty(), "a removed term stays removed: {gone:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_misspelling_finds_similar_terms() {
    let dir = tempfile::tempdir().unwrap();
    let search = EmbeddedSearch::open(dir.path()).unwrap();
    for term in ["photograph", "sunset"] {
        search.index("tags", term).await.unwrap();
    }
    let hits = search.search("tags", "fotograph", 10).await.unwrap();
    assert_eq!(hits, vec![hit("photograph", MatchKind::Similar)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_handle_sees_the_first_ones_terms() {
    let dir = tempfile::tempdir().unwrap();
    let first = EmbeddedSearch::open(dir.path()).unwrap();
    let second = EmbeddedSearch::open(dir.path()).unwrap();
    first.index("tags", "Harbour").await.unwrap();
    let hits = second.search("tags", "harb", 10).await.unwrap();
    assert_eq!(hits, vec![hit("Harbour", MatchKind::Prefix)]);
    second.remove("tags", "harbour").await.unwrap();
    assert!(first.search("tags", "harb", 10).await.unwrap().is_empty());
}
