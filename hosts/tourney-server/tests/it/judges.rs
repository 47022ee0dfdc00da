//! Two judges of one pool are shown largely different matches: pairs are drawn at random
//! per request, not computed from the pool alone.

use std::collections::BTreeSet;

use crate::support::{TestServer, call, ready_photos, sign_up, start_with_places};

/// Photos in the pool, each of a different owner, so every one of their
/// 40 * 39 / 2 = 780 pairs is allowed.
const N_PHOTOS: u64 = 40;
/// Matches in a first response.
const N_MATCHES: usize = 10;
/// The most pairs two judges' first responses may share.
///
/// Why a random pairing stays far below it: all 40 photos are new with equal ratings, so
/// every pair has the same weight and the pairing draws them in a uniformly random order,
/// taking a pair when neither photo is already in the response. Given judge A's 10 pairs,
/// judge B's (j+1)-th pair is thus uniform over the C(40 - 2j, 2) pairs of photos still
/// free, at most 10 of which are A's: it is one of A's with probability at most
/// p_j = 10 / C(40 - 2j, 2), whatever came before (from 0.013 for j = 0 to 0.043 for
/// j = 9). The overlap is a sum of such indicators, so P(overlap >= 5) is at most the sum,
/// over the 252 choices of 5 of B's 10 draws, of the product of their p_j: 1.7e-6. The
/// expected overlap is below 0.25. A pairing that ignored the judge, or was seeded from
/// the pool, would share all 10.
const MAX_SHARED_PAIRS: usize = 4;

/// The unordered pairs of `token`'s first response for matches.
async fn first_pairs(server: &TestServer, token: &str) -> BTreeSet<(String, String)> {
    let response = call(server, "GET", "/v1/users/me/matches", token, None).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    let matches = body["matches"].as_array().expect("matches");
    assert_eq!(matches.len(), N_MATCHES, "{body}");
    let mut pairs = BTreeSet::new();
    for proposal in matches {
        let a = proposal["photo_a"]["id"].as_str().expect("a").to_owned();
        let b = proposal["photo_b"]["id"].as_str().expect("b").to_owned();
        assert!(a < b, "photo_a has the smaller id: {proposal}");
        assert!(pairs.insert((a, b)), "no pair twice in {body}");
    }
    pairs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_judges_of_one_pool_get_largely_different_matches() {
    let server = start_with_places().await;
    ready_photos(&server, N_PHOTOS, 400).await;
    let (_, first_judge) = sign_up(&server).await;
    let (_, second_judge) = sign_up(&server).await;

    let first = first_pairs(&server, &first_judge).await;
    let second = first_pairs(&server, &second_judge).await;
    let shared: Vec<_> = first.intersection(&second).collect();
    assert!(
        shared.len() <= MAX_SHARED_PAIRS,
        "{} of {N_MATCHES} pairs shared: {shared:?}",
        shared.len()
    );
    server.stop().await;
}
