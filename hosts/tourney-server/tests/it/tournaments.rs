//! Tournaments through HTTP: the cadence (10 matches, then a local tournament alone, then 8
//! matches with a regional one, 8 with a global one, then 10 again; a reset starts over), a
//! tournament read back, reports refused when inconsistent (422 naming the position) or
//! repeated (409), and a valid report scored as exactly 15 votes.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use crate::support::{TestServer, call, drain, ready_photos, sign_up, start_with_places};

/// Games in a bracket.
const N_GAMES: usize = 15;
/// Photos in a bracket.
const N_SLOTS: usize = 16;

/// `GET /v1/users/me/matches` (with `query`) for `token`: (match count, tournament or null).
async fn request_games(server: &TestServer, token: &str, query: &str) -> (usize, Value) {
    let response = call(
        server,
        "GET",
        &format!("/v1/users/me/matches{query}"),
        token,
        None,
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    let n_matches = body["matches"].as_array().expect("matches").len();
    (n_matches, body["tournament"].clone())
}

/// The ids of a tournament's 16 photos, in slot order, checked distinct.
fn slot_ids(tournament: &Value) -> Vec<String> {
    let ids: Vec<String> = tournament["photos"]
        .as_array()
        .expect("photos")
        .iter()
        .map(|photo| photo["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids.len(), N_SLOTS, "{tournament}");
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(
        distinct.len(),
        N_SLOTS,
        "16 distinct photos in {tournament}"
    );
    ids
}

/// The two photos meeting at `position` given the winners of the earlier positions, as
/// the bracket of SPEC 2.2 lays them out: game i < 8 is slots 2i v 2i + 1, game 8 + k the
/// winners of games 2k and 2k + 1.
fn entrants_at(slots: &[String], earlier_winners: &[String], position: usize) -> (String, String) {
    if position < 8 {
        return (slots[2 * position].clone(), slots[2 * position + 1].clone());
    }
    let first = 2 * (position - 8);
    (
        earlier_winners[first].clone(),
        earlier_winners[first + 1].clone(),
    )
}

/// The two photos meeting at each of the 15 positions given the reported `winners`.
fn entrants(slots: &[String], winners: &[String]) -> Vec<(String, String)> {
    (0..N_GAMES)
        .map(|position| entrants_at(slots, winners, position))
        .collect()
}

/// A consistent report: at each position the first entrant wins at even positions and the
/// second at odd ones (so wins come from both sides of the bracket).
fn consistent_report(slots: &[String]) -> Vec<String> {
    let mut winners: Vec<String> = Vec::with_capacity(N_GAMES);
    for position in 0..N_GAMES {
        let (first, second) = entrants_at(slots, &winners, position);
        winners.push(if position % 2 == 0 { first } else { second });
    }
    winners
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cadence_brings_local_regional_and_global_tournaments_and_reset_starts_over() {
    let server = start_with_places().await;
    let pool: BTreeSet<String> = ready_photos(&server, 16, 100)
        .await
        .into_iter()
        .map(|photo| photo.id)
        .collect();
    let (_, judge) = sign_up(&server).await;

    let (n_matches, tournament) = request_games(&server, &judge, "").await;
    assert_eq!(
        (n_matches, tournament.is_null()),
        (10, true),
        "{tournament}"
    );
    let expected_responses = [
        // The local tournament comes alone, then 8 matches precede each of the others.
        (0, Some("local")),
        (8, Some("regional")),
        (8, Some("global")),
        (10, None),
    ];
    for (response_idx, (expected_matches, expected_kind)) in
        expected_responses.into_iter().enumerate()
    {
        let (n_matches, tournament) = request_games(&server, &judge, "").await;
        assert_eq!(n_matches, expected_matches, "response {}", response_idx + 2);
        assert_eq!(
            tournament["kind"].as_str(),
            expected_kind,
            "response {}: {tournament}",
            response_idx + 2
        );
        if expected_kind.is_some() {
            // Every scope holds exactly the 16 photos of Los Angeles.
            let slots: BTreeSet<String> = slot_ids(&tournament).into_iter().collect();
            assert_eq!(slots, pool);
        }
    }

    let (n_matches, tournament) =
        request_games(&server, &judge, "?reset_tournament_status=true").await;
    assert_eq!(
        (n_matches, tournament.is_null()),
        (10, true),
        "{tournament}"
    );
    let (n_matches, tournament) = request_games(&server, &judge, "").await;
    assert_eq!(n_matches, 0);
    assert_eq!(tournament["kind"], "local", "{tournament}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tournament_report_is_checked_scored_as_15_votes_and_taken_once() {
    let server = start_with_places().await;
    let photos = ready_photos(&server, 16, 200).await;
    let owner_of: HashMap<String, String> = photos
        .iter()
        .map(|photo| (photo.id.clone(), photo.owner_token.clone()))
        .collect();
    let (_, judge) = sign_up(&server).await;

    let (n_matches, tournament) = request_games(&server, &judge, "").await;
    assert_eq!((n_matches, tournament.is_null()), (10, true));
    let (n_matches, tournament) = request_games(&server, &judge, "").await;
    assert_eq!(n_matches, 0, "the tournament comes alone");
    assert_eq!(tournament["kind"], "local", "{tournament}");
    let slots = slot_ids(&tournament);
    let in_tournament: BTreeSet<&String> = slots.iter().collect();
    assert_eq!(
        in_tournament,
        owner_of.keys().collect(),
        "the pool's 16 photos"
    );

    let tournament_id = tournament["id"].as_str().expect("id");
    let path = format!("/v1/users/me/tournaments/{tournament_id}");
    let read_back = call(&server, "GET", &path, &judge, None).await;
    assert_eq!(read_back.status, 200, "{}", read_back.text());
    let read_back = read_back.json();
    assert_eq!(read_back["id"], tournament_id);
    assert_eq!(read_back["kind"], "local");
    assert_eq!(
        slot_ids(&read_back),
        slots,
        "the same slots in the same order"
    );
    let (_, other_judge) = sign_up(&server).await;
    call(&server, "GET", &path, &other_judge, None)
        .await
        .assert_error(404, "not_found");

    // Game 8 is between the winners of games 0 and 1; naming the loser of game 1 there
    // is inconsistent.
    let winners = consistent_report(&slots);
    let games = entrants(&slots, &winners);
    let loser_of_game_1 = if winners[1] == games[1].0 {
        games[1].1.clone()
    } else {
        games[1].0.clone()
    };
    let mut inconsistent = winners.clone();
    inconsistent[8] = loser_of_game_1;
    let refused = call(
        &server,
        "PUT",
        &path,
        &judge,
        Some(json!({ "winners": inconsistent })),
    )
    .await
    .assert_error(422, "unprocessable");
    assert_eq!(refused["field"], "winners[8]", "{refused}");
    assert_eq!(drain(&server).await, 0, "a refused report sends no vote");

    let accepted = call(
        &server,
        "PUT",
        &path,
        &judge,
        Some(json!({ "winners": winners })),
    )
    .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    assert_eq!(drain(&server).await, N_GAMES, "15 games scored as votes");

    let mut expected_record: HashMap<&String, (u64, u64)> = HashMap::new();
    for ((first, second), winner) in games.iter().zip(&winners) {
        let loser = if winner == first { second } else { first };
        expected_record.entry(winner).or_default().0 += 1;
        expected_record.entry(loser).or_default().1 += 1;
    }
    let (mut total_wins, mut total_losses) = (0, 0);
    for photo_id in &slots {
        let photo = call(
            &server,
            "GET",
            &format!("/v1/photos/{photo_id}"),
            &owner_of[photo_id],
            None,
        )
        .await
        .json();
        let record = (
            photo["wins"].as_u64().expect("wins"),
            photo["losses"].as_u64().expect("losses"),
        );
        assert_eq!(record, expected_record[photo_id], "{photo}");
        total_wins += record.0;
        total_losses += record.1;
    }
    assert_eq!((total_wins, total_losses), (15, 15));

    call(
        &server,
        "PUT",
        &path,
        &judge,
        Some(json!({ "winners": winners })),
    )
    .await
    .assert_error(409, "already_judged");
    assert_eq!(drain(&server).await, 0, "a second report scores nothing");
    server.stop().await;
}
