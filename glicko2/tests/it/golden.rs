//! Golden values: Glickman's worked example and hand-checked scenarios, at full precision.

use glicko2::{Config, Error, Game, PairGame, Period, Rating, decay, rate, rate_pair};

fn rating(r: f64, rd: f64, sigma: f64) -> Rating {
    Rating::new(r, rd, sigma).unwrap()
}

fn assert_close(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: expected {expected}, got {actual} (tolerance {tolerance})"
    );
}

fn assert_rating(actual: Rating, expected: (f64, f64, f64), tolerance: f64) {
    assert_close(actual.rating(), expected.0, tolerance, "rating");
    assert_close(actual.deviation(), expected.1, tolerance, "deviation");
    assert_close(actual.volatility(), expected.2, tolerance, "volatility");
}

fn paper_games() -> [Game; 3] {
    [
        Game::new(rating(1400.0, 30.0, 0.06), 1.0),
        Game::new(rating(1550.0, 100.0, 0.06), 0.0),
        Game::new(rating(1700.0, 300.0, 0.06), 0.0),
    ]
}

#[test]
fn papers_example_at_full_precision() {
    let rated = rate(
        rating(1500.0, 200.0, 0.06),
        &paper_games(),
        &Config::default(),
    )
    .unwrap();
    assert_rating(rated, (1464.050671, 151.516524, 0.059995984), 1e-6);
}

#[test]
fn papers_example_through_the_population_path() {
    let mut ratings = vec![
        rating(1500.0, 200.0, 0.06),
        rating(1400.0, 30.0, 0.06),
        rating(1550.0, 100.0, 0.06),
        rating(1700.0, 300.0, 0.06),
    ];
    let games = [
        PairGame::new(0, 1, 1.0),
        PairGame::new(2, 0, 1.0),
        PairGame::new(0, 3, 0.0),
    ];
    let summary = Period::new()
        .rate(&mut ratings, &games, &Config::default())
        .unwrap();
    assert_eq!(
        (summary.n_played, summary.n_absent, summary.n_games),
        (4, 0, 3)
    );
    assert_rating(ratings[0], (1464.050671, 151.516524, 0.059995984), 1e-6);
}

#[test]
fn absent_player_only_gains_deviation() {
    let idle = rating(1500.0, 200.0, 0.06);
    let config = Config::default();
    let expected = (1500.0, 200.271417, 0.06);
    assert_rating(rate(idle, &[], &config).unwrap(), expected, 1e-6);
    assert_rating(decay(idle, 1.0, &config).unwrap(), expected, 1e-6);
    let mut population = vec![
        idle,
        rating(1500.0, 350.0, 0.06),
        rating(1500.0, 350.0, 0.06),
    ];
    let summary = Period::new()
        .rate(&mut population, &[PairGame::new(1, 2, 0.5)], &config)
        .unwrap();
    assert_eq!(summary.n_absent, 1);
    assert_rating(population[0], expected, 1e-6);
}

#[test]
fn big_upset_moves_the_favourite_a_little() {
    let favourite = rating(1800.0, 30.0, 0.06);
    let underdog = rating(900.0, 30.0, 0.06);
    let rated = rate(favourite, &[Game::new(underdog, 0.0)], &Config::default()).unwrap();
    assert_rating(rated, (1794.253831, 31.756856, 0.060013152), 1e-6);
}

#[test]
fn first_generation_parameters_two_fresh_photos() {
    let config = Config::builder()
        .tau(0.2)
        .new_rating(rating(1500.0, 350.0, 0.006))
        .build()
        .unwrap();
    let fresh = config.new_rating();
    let (winner, loser) = rate_pair(fresh, fresh, 1.0, &config).unwrap();
    assert_close(winner.rating(), 1662.21, 0.05, "winner");
    assert_close(loser.rating(), 1337.79, 0.05, "loser");
    assert_close(winner.deviation(), 290.23, 0.05, "winner RD");
    assert_close(loser.deviation(), 290.23, 0.05, "loser RD");
}

#[test]
fn fractional_aging_and_the_rd_cap() {
    let config = Config::builder().max_deviation(350.0).build().unwrap();
    let start = rating(1500.0, 200.0, 0.06);
    // Half a period adds half of sigma^2 to phi^2.
    let half = decay(start, 0.5, &config).unwrap();
    let expected_phi = ((200.0_f64 / 173.7178).powi(2) + 0.5 * 0.06_f64.powi(2)).sqrt();
    assert_close(
        half.deviation(),
        expected_phi * 173.7178,
        1e-9,
        "half-period RD",
    );
    // Ten thousand idle periods stop at the cap.
    assert_close(
        decay(start, 10_000.0, &config).unwrap().deviation(),
        350.0,
        1e-9,
        "capped RD",
    );
    assert_close(
        decay(start, 0.0, &config).unwrap().deviation(),
        200.0,
        1e-9,
        "no time",
    );
}

#[test]
fn bad_inputs_are_refused_with_their_name() {
    let config = Config::default();
    let player = Rating::default();
    let game = |score| Game::new(Rating::default(), score);
    for score in [-0.1, 1.5, f64::NAN, f64::INFINITY] {
        let err = rate(player, &[game(score)], &config).unwrap_err();
        assert!(
            matches!(
                err,
                Error::OutOfRange { field: "score", .. } | Error::NotFinite { field: "score", .. }
            ),
            "{err:?}"
        );
    }
    assert!(matches!(
        decay(player, -1.0, &config),
        Err(Error::OutOfRange {
            field: "periods",
            ..
        })
    ));
    assert!(rate_pair(player, player, 2.0, &config).is_err());
}

#[test]
fn population_errors_name_the_game_and_leave_ratings_untouched() {
    let config = Config::default();
    let before = vec![Rating::default(); 2];
    let mut ratings = before.clone();
    let cases = [
        (
            PairGame::new(0, 5, 1.0),
            Error::UnknownPlayer {
                game: 1,
                player: 5,
                n_players: 2,
            },
        ),
        (
            PairGame::new(1, 1, 1.0),
            Error::SelfGame { game: 1, player: 1 },
        ),
    ];
    for (bad, expected) in cases {
        let games = [PairGame::new(0, 1, 1.0), bad];
        assert_eq!(
            Period::new()
                .rate(&mut ratings, &games, &config)
                .unwrap_err(),
            expected
        );
        assert_eq!(ratings, before);
    }
}

#[test]
fn an_iteration_cap_of_one_reports_no_convergence() {
    let config = Config::builder().max_iterations(1).build().unwrap();
    let err = rate(rating(1500.0, 200.0, 0.06), &paper_games(), &config).unwrap_err();
    assert_eq!(err, Error::NoConvergence { iterations: 1 });
    assert_eq!(
        err.to_string(),
        "volatility iteration did not converge within 1 iterations"
    );
}

#[test]
fn extreme_but_valid_inputs_stay_finite() {
    let config = Config::default();
    let (low, high) = Rating::RATING_BOUNDS;
    let (_, max_rd) = Rating::DEVIATION_BOUNDS;
    let extremes = [
        rating(low, max_rd, 1.0),
        rating(high, 1e-3, 1e-6),
        rating(high, max_rd, 1e-6),
        rating(low, 1e-3, 1.0),
    ];
    for a in extremes {
        for b in extremes {
            for score in [0.0, 0.5, 1.0] {
                let rated = rate(a, &[Game::new(b, score); 16], &config).unwrap();
                assert!(
                    rated.rating().is_finite() && rated.deviation() > 0.0,
                    "{a} vs {b}: {rated}"
                );
            }
        }
    }
}
