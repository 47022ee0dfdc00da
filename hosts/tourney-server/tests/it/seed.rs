//! `seed-demo` fills a fresh server: users, ready photos, scored votes, a non-empty board.

use tourney_core::Coordinates;
use tourney_server::seed::{SeedOptions, seed_demo};

use crate::support::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seeding_makes_ready_photos_scored_votes_and_a_board() {
    let server = TestServer::start().await;
    let la = ocean::places::Place {
        id: "5368361".to_owned(),
        name: "Los Angeles".to_owned(),
        region: "CA".to_owned(),
        country: "us".to_owned(),
        lat: 34.05223,
        lon: -118.24368,
        population: Some(3_820_914),
    };
    server.ports.places.load(vec![la]).await.expect("places");
    let options = SeedOptions {
        n_users: 6,
        n_judges: 2,
        // The second round finds a tournament due that six photos cannot fill.
        rounds: 2,
        seed: 7,
    };
    let location = Coordinates::new(34.05, -118.24).expect("coordinates");
    let report = seed_demo(&server.game, location, options)
        .await
        .expect("seed");
    assert_eq!((report.users, report.photos), (8, 6));
    assert!(report.votes > 0);

    let created = server.request("POST", "/v1/users", &[], Vec::new()).await;
    let token = created.json()["token"].as_str().expect("token").to_owned();
    let auth = format!("Bearer {token}");
    let board = server
        .request(
            "GET",
            "/v1/leaderboards/female/5368361?when=today",
            &[("authorization", auth.as_str())],
            Vec::new(),
        )
        .await;
    assert_eq!(board.status, 200, "{}", board.text());
    let items = board.json()["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 6, "every demo photo is on today's board");
    let games: u64 = items
        .iter()
        .map(|entry| entry["games"].as_u64().expect("games"))
        .sum();
    assert_eq!(games, 2 * u64::from(report.votes), "each vote is two games");
    server.stop().await;
}
