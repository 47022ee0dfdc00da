//! Conformance checks for the search port: case-insensitive substring search ranked exact >
//! prefix > contained > similar, then by length and lowercase term, per namespace.
//!
//! Case-insensitivity is Rust's [`str::to_lowercase`] applied to both the term and the query:
//! the checks hold every backend to it on ASCII and on accented Latin letters with simple
//! lowercase forms (`CAFÉ` finds `Café`), not on the rare letters whose lowercase form changes
//! length. Every check works in its own namespace from [`unique`].

use futures_util::future::join_all;
use ocean::ErrorKind;
use ocean::search::{Hit, MAX_HITS, MAX_TERM_CHARS, MatchKind, Search};

use crate::{assert_kind, unique};

/// Runs every search check, one after another.
pub async fn run_all(search: &dyn Search) {
    spec_example_ranking(search).await;
    ranking_invariant(search).await;
    limit_keeps_the_best(search).await;
    namespaces_are_isolated(search).await;
    index_is_idempotent(search).await;
    index_respells_display(search).await;
    remove_any_spelling(search).await;
    remove_absent_is_fine(search).await;
    wildcards_are_literal(search).await;
    injection_strings_are_plain_text(search).await;
    nul_is_plain_text_or_invalid(search).await;
    unicode_ignores_case(search).await;
    short_queries_match_substrings(search).await;
    similar_hits_come_last(search).await;
    concurrent_indexing_is_seen(search).await;
    invalid_arguments(search).await;
}

/// The spec's example: `HAND` finds `hand` (exact), `Handy` and `HANDinHAND` (prefix, shorter
/// first), then `TheHandover` and `GottaHandItToYou` (contained, shorter first), spelled as
/// indexed; `sunset` does not match.
pub async fn spec_example_ranking(search: &dyn Search) {
    let namespace = unique("search-spec");
    let terms = [
        "HANDinHAND",
        "TheHandover",
        "GottaHandItToYou",
        "hand",
        "Handy",
        "sunset",
    ];
    index_all(search, &namespace, &terms).await;
    let hits = search_ok(search, &namespace, "HAND", MAX_HITS).await;
    let expected = vec![
        hit("hand", MatchKind::Exact),
        hit("Handy", MatchKind::Prefix),
        hit("HANDinHAND", MatchKind::Prefix),
        hit("TheHandover", MatchKind::Contains),
        hit("GottaHandItToYou", MatchKind::Contains),
    ];
    assert_eq!(
        hits, expected,
        "search: exact, then prefix, then contained, shorter first, case preserved, sunset absent"
    );
}

/// Over a mixed set of terms, every hit's kind is right, the order is by kind, then length,
/// then lowercase term, and every term containing the query is found.
pub async fn ranking_invariant(search: &dyn Search) {
    let namespace = unique("search-rank");
    let terms = [
        "sun",
        "Sunday",
        "SUNNY",
        "sunflower",
        "sunshine",
        "Sunset",
        "asunder",
        "unsung",
        "tsunami",
        "Lasun",
        "resund",
        "moon",
        "SUNsun",
        "sunbeam",
        "tsun",
        "xsunx",
        "sn",
    ];
    index_all(search, &namespace, &terms).await;
    for query in ["sun", "SUN", "un", "n", "sunS", "unsun"] {
        let hits = search_ok(search, &namespace, query, MAX_HITS).await;
        assert_ranked(&hits, query);
        let lowered_query = query.to_lowercase();
        let expected_terms: Vec<&str> = terms
            .iter()
            .copied()
            .filter(|term| term.to_lowercase().contains(&lowered_query))
            .collect();
        for term in &expected_terms {
            assert!(
                hits.iter().any(|hit| hit.term == *term),
                "search: {term:?} contains {query:?} but was not found in {hits:?}"
            );
        }
        for hit in &hits {
            assert!(
                terms.contains(&hit.term.as_str()),
                "search: {:?} was never indexed",
                hit.term
            );
        }
    }
}

/// `limit` caps the hits and keeps the best ones: the first `limit` of the full ranking.
pub async fn limit_keeps_the_best(search: &dyn Search) {
    let namespace = unique("search-limit");
    let terms = [
        "cat",
        "cats",
        "Catalog",
        "scatter",
        "concatenate",
        "CAT-5",
        "bobcat",
        "catcat",
    ];
    index_all(search, &namespace, &terms).await;
    let all = search_ok(search, &namespace, "cat", MAX_HITS).await;
    assert_eq!(all.len(), terms.len(), "search: every term contains cat");
    for limit in [1, 3, 7] {
        let hits = search_ok(search, &namespace, "cat", limit).await;
        assert_eq!(
            hits,
            all[..usize::try_from(limit).unwrap_or(usize::MAX)].to_vec(),
            "search: limit {limit} returns the best {limit} hits"
        );
    }
    let hits = search_ok(search, &namespace, "cat", MAX_HITS).await;
    assert_eq!(hits, all, "search: limit MAX_HITS is accepted");
}

/// A term indexed in one namespace is invisible in another, and removing it elsewhere
/// leaves it in place.
pub async fn namespaces_are_isolated(search: &dyn Search) {
    let first = unique("search-ns-a");
    let second = unique("search-ns-b");
    index_all(search, &first, &["apple"]).await;
    index_all(search, &second, &["Apple pie"]).await;
    let hits = search_ok(search, &first, "apple", MAX_HITS).await;
    assert_eq!(
        hits,
        vec![hit("apple", MatchKind::Exact)],
        "search: only the namespace's own terms"
    );
    search
        .remove(&second, "apple")
        .await
        .expect("remove: a term of another namespace");
    let hits = search_ok(search, &first, "apple", MAX_HITS).await;
    assert_eq!(
        hits,
        vec![hit("apple", MatchKind::Exact)],
        "remove: touches only its own namespace"
    );
    let empty = unique("search-ns-empty");
    let hits = search_ok(search, &empty, "apple", MAX_HITS).await;
    assert!(
        hits.is_empty(),
        "search: a namespace never indexed is empty"
    );
}

/// Indexing a term twice keeps one term.
pub async fn index_is_idempotent(search: &dyn Search) {
    let namespace = unique("search-twice");
    index_all(search, &namespace, &["hand", "hand"]).await;
    let hits = search_ok(search, &namespace, "hand", MAX_HITS).await;
    assert_eq!(
        hits,
        vec![hit("hand", MatchKind::Exact)],
        "index: twice is one term"
    );
}

/// Indexing another spelling of a term replaces the displayed spelling, keeping one term.
pub async fn index_respells_display(search: &dyn Search) {
    let namespace = unique("search-respell");
    index_all(search, &namespace, &["hand", "HAND"]).await;
    let hits = search_ok(search, &namespace, "han", MAX_HITS).await;
    assert_eq!(
        hits,
        vec![hit("HAND", MatchKind::Prefix)],
        "index: a new spelling replaces the display"
    );
    index_all(search, &namespace, &["Hand"]).await;
    let hits = search_ok(search, &namespace, "hand", MAX_HITS).await;
    assert_eq!(
        hits,
        vec![hit("Hand", MatchKind::Exact)],
        "index: the latest spelling is displayed"
    );
}

/// Removing a term in any spelling removes it; other terms stay.
pub async fn remove_any_spelling(search: &dyn Search) {
    let namespace = unique("search-remove");
    index_all(search, &namespace, &["Hand", "handy"]).await;
    search
        .remove(&namespace, "hAND")
        .await
        .expect("remove: another spelling");
    let hits = search_ok(search, &namespace, "hand", MAX_HITS).await;
    assert_eq!(
        hits,
        vec![hit("handy", MatchKind::Prefix)],
        "remove: removes the term in any spelling, only that term"
    );
    search
        .remove(&namespace, "hAND")
        .await
        .expect("remove: twice is fine");
    index_all(search, &namespace, &["hand"]).await;
    let hits = search_ok(search, &namespace, "hand", MAX_HITS).await;
    assert_eq!(
        hits,
        vec![
            hit("hand", MatchKind::Exact),
            hit("handy", MatchKind::Prefix)
        ],
        "index: a removed term can come back"
    );
}

/// Removing a term that was never indexed, or from a namespace never used, is fine.
pub async fn remove_absent_is_fine(search: &dyn Search) {
    let namespace = unique("search-remove-absent");
    search
        .remove(&namespace, "never")
        .await
        .expect("remove: from a namespace never used");
    index_all(search, &namespace, &["present"]).await;
    search
        .remove(&namespace, "absent")
        .await
        .expect("remove: a term never indexed");
    let hits = search_ok(search, &namespace, "present", MAX_HITS).await;
    assert_eq!(
        hits,
        vec![hit("present", MatchKind::Exact)],
        "remove: an absent term leaves the others"
    );
}

/// SQL LIKE and GLOB wildcards (`%`, `_`, `*`, `?`, `[`), escape characters and quotes in
/// queries match only themselves.
pub async fn wildcards_are_literal(search: &dyn Search) {
    let namespace = unique("search-wildcards");
    let terms = [
        "50%off",
        "50xoff",
        "a_b",
        "axb",
        "st*r",
        "star",
        "why?",
        "whyx",
        "[ab]c",
        "ac",
        r"c:\dir",
        "c:dir",
        r#"say "hi""#,
        "say hi",
        "it's",
        "its",
    ];
    index_all(search, &namespace, &terms).await;
    let cases: [(&str, &[&str]); 11] = [
        ("50%", &["50%off"]),
        ("%", &["50%off"]),
        ("a_b", &["a_b"]),
        ("_", &["a_b"]),
        ("t*r", &["st*r"]),
        ("y?", &["why?"]),
        ("[ab]", &["[ab]c"]),
        (r":\d", &[r"c:\dir"]),
        (r"\", &[r"c:\dir"]),
        (r#""hi"#, &[r#"say "hi""#]),
        ("t's", &["it's"]),
    ];
    for (query, expected) in cases {
        let hits = search_ok(search, &namespace, query, MAX_HITS).await;
        let found: Vec<&str> = hits
            .iter()
            .filter(|hit| hit.kind != MatchKind::Similar)
            .map(|hit| hit.term.as_str())
            .collect();
        assert_eq!(
            found, expected,
            "search: {query:?} matches only literally (similar hits aside)"
        );
    }
}

/// Strings made to break out of an SQL string literal, a LIKE pattern or a full-text query
/// (`'; DROP TABLE ...; --`, `" OR 1=1 --`, backslashes, `%`, `_`, unicode quotes, FTS
/// operators) as tag-like terms or queries are plain text: each is indexed, found as an exact
/// hit and removed verbatim, a hostile query finds only terms containing it, and the store is
/// intact afterwards. (NUL is [`nul_is_plain_text_or_invalid`]'s.)
pub async fn injection_strings_are_plain_text(search: &dyn Search) {
    let namespace = unique("search-injection");
    let canary = "canary term";
    index_all(search, &namespace, &[canary]).await;
    index_all(search, &namespace, INJECTION_STRINGS).await;
    for term in INJECTION_STRINGS {
        let hits = search_ok(search, &namespace, term, MAX_HITS).await;
        assert_ranked(&hits, term);
        assert_eq!(
            hits.first(),
            Some(&hit(term, MatchKind::Exact)),
            "search: the hostile term {term:?} is found verbatim, first"
        );
    }
    for query in [
        "' OR '1'='1' --",
        "\" OR \"\"=\"",
        "%' OR 1=1 --",
        "*",
        "_%",
    ] {
        let fresh = unique("search-injection-query");
        index_all(search, &fresh, &[canary]).await;
        let hits = search_ok(search, &fresh, query, MAX_HITS).await;
        assert!(
            hits.is_empty(),
            "search: the query {query:?} matches nothing here, not {hits:?}"
        );
    }
    for term in INJECTION_STRINGS {
        search
            .remove(&namespace, term)
            .await
            .unwrap_or_else(|e| panic!("remove: {term:?} failed: {e}"));
        let hits = search_ok(search, &namespace, term, MAX_HITS).await;
        assert!(
            hits.iter().all(|found| found.term != *term),
            "remove: {term:?} is gone, not in {hits:?}"
        );
    }
    let hits = search_ok(search, &namespace, "canary", MAX_HITS).await;
    assert_eq!(
        hits,
        vec![hit(canary, MatchKind::Prefix)],
        "search: the store is intact after the hostile terms came and went"
    );
}

/// A term holding NUL is stored and found verbatim, or refused as `Invalid` (PostgreSQL text
/// cannot hold NUL); a query holding NUL never fails.
pub async fn nul_is_plain_text_or_invalid(search: &dyn Search) {
    let namespace = unique("search-nul");
    let with_nul = "nul\0byte";
    match search.index(&namespace, with_nul).await {
        Ok(()) => {
            let hits = search_ok(search, &namespace, with_nul, MAX_HITS).await;
            assert_eq!(
                hits.first(),
                Some(&hit(with_nul, MatchKind::Exact)),
                "search: a term holding NUL, once indexed, is found verbatim"
            );
        }
        Err(error) => assert_eq!(
            error.kind(),
            ErrorKind::Invalid,
            "index: a term holding NUL is stored or Invalid, not {error}"
        ),
    }
    search_ok(search, &namespace, "\0", MAX_HITS).await;
    search_ok(search, &namespace, "x\0' OR 1=1 --", MAX_HITS).await;
}

/// Classic SQL injection, LIKE, GLOB and full-text query strings, distinct ignoring case.
const INJECTION_STRINGS: &[&str] = &[
    "'; DROP TABLE terms; --",
    "'; DROP TABLE ocean_search_terms; --",
    "Robert'); DROP TABLE Students;--",
    "\" OR 1=1 --",
    "' OR '1'='1",
    "\\",
    "\\'; --",
    "a\\%b\\_c",
    "100%",
    "%",
    "_",
    "--",
    ";",
    "/* comment */",
    "$1",
    "$$ dollar $$",
    "E'\\x27'",
    "\u{2018}curly\u{2019} \u{201c}quotes\u{201d}",
    "\u{ff07}; DROP TABLE terms; --",
    "\u{2bc} OR \u{2bc}1\u{2bc}=\u{2bc}1",
    "\"unbalanced",
    "NEAR(a b)",
    "a* OR b",
    "col:term",
    "^start",
    "-minus AND NOT plus",
];

/// Case is ignored beyond ASCII too, by `to_lowercase` on both sides: `café` and `CAFÉ` find
/// `Café`, `éco` finds `ÉCOLE`.
pub async fn unicode_ignores_case(search: &dyn Search) {
    let namespace = unique("search-unicode");
    index_all(search, &namespace, &["Café", "ÉCOLE", "Straße", "naïve"]).await;
    let cases = [
        ("café", hit("Café", MatchKind::Exact)),
        ("CAFÉ", hit("Café", MatchKind::Exact)),
        ("éco", hit("ÉCOLE", MatchKind::Prefix)),
        ("ÉCO", hit("ÉCOLE", MatchKind::Prefix)),
        ("STRAßE", hit("Straße", MatchKind::Exact)),
        ("ÏVE", hit("naïve", MatchKind::Contains)),
    ];
    for (query, expected) in cases {
        let hits = search_ok(search, &namespace, query, MAX_HITS).await;
        let found: Vec<&Hit> = hits
            .iter()
            .filter(|hit| hit.kind != MatchKind::Similar)
            .collect();
        assert_eq!(
            found,
            vec![&expected],
            "search: {query:?} ignores case beyond ASCII"
        );
    }
}

/// Queries of one or two characters still match anywhere in a term.
pub async fn short_queries_match_substrings(search: &dyn Search) {
    let namespace = unique("search-short");
    index_all(search, &namespace, &["q", "Qi", "aqua", "Iraq", "xyz"]).await;
    let hits = search_ok(search, &namespace, "Q", MAX_HITS).await;
    let non_similar: Vec<Hit> = hits
        .into_iter()
        .filter(|hit| hit.kind != MatchKind::Similar)
        .collect();
    assert_eq!(
        non_similar,
        vec![
            hit("q", MatchKind::Exact),
            hit("Qi", MatchKind::Prefix),
            hit("aqua", MatchKind::Contains),
            hit("Iraq", MatchKind::Contains),
        ],
        "search: a one-character query matches anywhere"
    );
    let hits = search_ok(search, &namespace, "aq", MAX_HITS).await;
    let non_similar: Vec<Hit> = hits
        .into_iter()
        .filter(|hit| hit.kind != MatchKind::Similar)
        .collect();
    assert_eq!(
        non_similar,
        vec![
            hit("aqua", MatchKind::Prefix),
            hit("Iraq", MatchKind::Contains)
        ],
        "search: a two-character query matches anywhere"
    );
}

/// Similar hits (a backend may return none) come after every other hit and never contain
/// the query.
pub async fn similar_hits_come_last(search: &dyn Search) {
    let namespace = unique("search-similar");
    let terms = [
        "photograph",
        "photographer",
        "fotograph",
        "photogenic",
        "phonograph",
        "telegraph",
        "autograph",
        "graphite",
    ];
    index_all(search, &namespace, &terms).await;
    for query in ["photograph", "fotografh", "graph", "photo"] {
        let hits = search_ok(search, &namespace, query, MAX_HITS).await;
        assert_ranked(&hits, query);
    }
}

/// Terms indexed concurrently are all found once the calls return.
pub async fn concurrent_indexing_is_seen(search: &dyn Search) {
    let namespace = unique("search-concurrent");
    let terms: Vec<String> = (0..20).map(|n| format!("Burst{n:02}")).collect();
    let results = join_all(terms.iter().map(|term| search.index(&namespace, term))).await;
    for result in results {
        result.expect("index: concurrent calls succeed");
    }
    let hits = search_ok(search, &namespace, "burst", MAX_HITS).await;
    let mut found: Vec<&str> = hits.iter().map(|hit| hit.term.as_str()).collect();
    found.sort_unstable();
    assert_eq!(
        found,
        terms.iter().map(String::as_str).collect::<Vec<_>>(),
        "search: sees every index call that returned before it started"
    );
}

/// Empty, blank or overlong queries and terms, a limit outside 1 to MAX_HITS and bad
/// namespaces are Invalid; terms and queries of exactly MAX_TERM_CHARS characters (not
/// bytes) are fine.
pub async fn invalid_arguments(search: &dyn Search) {
    let namespace = unique("search-invalid");
    let longest: String = "é".repeat(MAX_TERM_CHARS);
    let too_long: String = "e".repeat(MAX_TERM_CHARS + 1);
    search
        .index(&namespace, &longest)
        .await
        .expect("index: a term of MAX_TERM_CHARS characters");
    let hits = search_ok(search, &namespace, &longest, MAX_HITS).await;
    assert_eq!(
        hits,
        vec![hit(&longest, MatchKind::Exact)],
        "search: a query of MAX_TERM_CHARS characters"
    );
    for query in ["", "   ", too_long.as_str()] {
        let result = search.search(&namespace, query, 10).await;
        assert_kind(
            &result,
            ErrorKind::Invalid,
            &format!("search: query {query:?}"),
        );
    }
    for term in ["", too_long.as_str()] {
        let result = search.index(&namespace, term).await;
        assert_kind(
            &result,
            ErrorKind::Invalid,
            &format!("index: term {term:?}"),
        );
        let result = search.remove(&namespace, term).await;
        assert_kind(
            &result,
            ErrorKind::Invalid,
            &format!("remove: term {term:?}"),
        );
    }
    for limit in [0, MAX_HITS + 1] {
        let result = search.search(&namespace, "e", limit).await;
        assert_kind(
            &result,
            ErrorKind::Invalid,
            &format!("search: limit {limit}"),
        );
    }
    for bad_namespace in ["", "has space", "slash/y", &"n".repeat(65)] {
        let what = format!("namespace {bad_namespace:?}");
        let result = search.index(bad_namespace, "term").await;
        assert_kind(&result, ErrorKind::Invalid, &format!("index: {what}"));
        let result = search.remove(bad_namespace, "term").await;
        assert_kind(&result, ErrorKind::Invalid, &format!("remove: {what}"));
        let result = search.search(bad_namespace, "term", 10).await;
        assert_kind(&result, ErrorKind::Invalid, &format!("search: {what}"));
    }
}

/// Asserts each hit's kind matches its definition, Similar hits never contain the query and
/// come after the others, and hits are ordered by kind, then length, then lowercase term.
#[track_caller]
fn assert_ranked(hits: &[Hit], query: &str) {
    let lowered_query = query.to_lowercase();
    for hit in hits {
        let lowered = hit.term.to_lowercase();
        let expected_kind = if lowered == lowered_query {
            Some(MatchKind::Exact)
        } else if lowered.starts_with(&lowered_query) {
            Some(MatchKind::Prefix)
        } else if lowered.contains(&lowered_query) {
            Some(MatchKind::Contains)
        } else {
            None
        };
        match expected_kind {
            Some(kind) => assert_eq!(
                hit.kind, kind,
                "search: the kind of {:?} for query {query:?}",
                hit.term
            ),
            None => assert_eq!(
                hit.kind,
                MatchKind::Similar,
                "search: {:?} does not contain {query:?}, so it can only be similar",
                hit.term
            ),
        }
    }
    for pair in hits.windows(2) {
        assert!(
            rank_key(&pair[0]) < rank_key(&pair[1]),
            "search: for {query:?}, {:?} must come after {:?} (kind, then length, then \
             lowercase term)",
            pair[0],
            pair[1]
        );
    }
}

/// The documented sort key of a hit.
fn rank_key(hit: &Hit) -> (MatchKind, usize, String) {
    (hit.kind, hit.term.chars().count(), hit.term.to_lowercase())
}

/// Indexes every term of `terms` in `namespace`, one after another.
async fn index_all(search: &dyn Search, namespace: &str, terms: &[&str]) {
    for term in terms {
        search
            .index(namespace, term)
            .await
            .unwrap_or_else(|e| panic!("index: {term:?} failed: {e}"));
    }
}

/// Searches, panicking on an error.
async fn search_ok(search: &dyn Search, namespace: &str, query: &str, limit: u32) -> Vec<Hit> {
    search
        .search(namespace, query, limit)
        .await
        .unwrap_or_else(|e| panic!("search: {query:?} (limit {limit}) failed: {e}"))
}

/// A hit.
fn hit(term: &str, kind: MatchKind) -> Hit {
    Hit {
        term: term.to_owned(),
        kind,
    }
}
