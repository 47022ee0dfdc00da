//! Invariants that hold for every valid input (proptest).

use glicko2::{Config, Game, PairGame, Period, Rating, expected_score, rate, rate_pair};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

fn any_rating() -> impl Strategy<Value = Rating> {
    (0.0..3000.0, 20.0..350.0, 0.01..0.1)
        .prop_map(|(r, rd, sigma)| Rating::new(r, rd, sigma).unwrap())
}

fn any_config() -> impl Strategy<Value = Config> {
    (0.2..1.2).prop_map(|tau| Config::builder().tau(tau).build().unwrap())
}

proptest! {
    #[test]
    fn a_win_never_lowers_and_a_loss_never_raises(a in any_rating(), b in any_rating(), config in any_config()) {
        let (a_won, b_lost) = rate_pair(a, b, 1.0, &config).unwrap();
        prop_assert!(a_won.rating() >= a.rating());
        prop_assert!(b_lost.rating() <= b.rating());
    }

    #[test]
    fn swapping_the_players_mirrors_the_result(a in any_rating(), b in any_rating(), score in 0.0..=1.0, config in any_config()) {
        let (a1, b1) = rate_pair(a, b, score, &config).unwrap();
        let (b2, a2) = rate_pair(b, a, 1.0 - score, &config).unwrap();
        prop_assert!((a1.rating() - a2.rating()).abs() < 1e-9);
        prop_assert!((b1.rating() - b2.rating()).abs() < 1e-9);
        prop_assert!((a1.deviation() - a2.deviation()).abs() < 1e-9);
        prop_assert!((b1.volatility() - b2.volatility()).abs() < 1e-12);
    }

    #[test]
    fn expected_scores_sum_to_one(a in any_rating(), b in any_rating()) {
        let sum = expected_score(a, b) + expected_score(b, a);
        prop_assert!((sum - 1.0).abs() < 1e-12);
        prop_assert!((0.0..=1.0).contains(&expected_score(a, b)));
    }

    #[test]
    fn results_are_finite_with_positive_rd(
        player in any_rating(),
        games in prop::collection::vec((any_rating(), 0.0..=1.0), 0..20),
        config in any_config(),
    ) {
        let games: Vec<Game> = games.into_iter().map(|(opponent, score)| Game::new(opponent, score)).collect();
        let rated = rate(player, &games, &config).unwrap();
        prop_assert!(rated.rating().is_finite());
        prop_assert!(rated.deviation() > 0.0 && rated.deviation().is_finite());
        prop_assert!(rated.volatility() > 0.0 && rated.volatility().is_finite());
    }

    /// Playing only removes uncertainty: the new RD is never above the pre-period RD phi*
    /// of step 6 (computed with the new volatility). Note the stricter "never above the
    /// old RD" does not hold in Glicko-2: a rise in volatility can add a hair of RD (the
    /// paper's own upset example goes from RD 30 to 31.76). When the new volatility
    /// saturates at its upper bound, phi* was computed from the larger unsaturated value,
    /// so the bound cannot be rebuilt from the stored result and the case is skipped.
    #[test]
    fn rd_never_grows_by_playing(
        player in any_rating(),
        games in prop::collection::vec((any_rating(), 0.0..=1.0), 1..20),
        config in any_config(),
    ) {
        let games: Vec<Game> = games.into_iter().map(|(opponent, score)| Game::new(opponent, score)).collect();
        let played = rate(player, &games, &config).unwrap();
        prop_assume!(played.volatility() < Rating::VOLATILITY_BOUNDS.1);
        let pre_period_rd = player.deviation().hypot(played.volatility() * glicko2::SCALE);
        prop_assert!(played.deviation() <= pre_period_rd + 1e-9,
            "played {} > pre-period {}", played.deviation(), pre_period_rd);
    }
}

proptest! {
    // A fixed seed: the population path vectorises its exp, so a rare rounding tie in
    // step 5.4(b) could differ from the one-player path (see cross_check.rs).
    #![proptest_config(ProptestConfig { rng_seed: RngSeed::Fixed(0x7065_7269_6F64), ..ProptestConfig::default() })]

    /// The population path gives each player exactly what rating them alone gives.
    #[test]
    fn population_period_equals_rating_each_player_alone(
        ratings in prop::collection::vec(any_rating(), 2..12),
        raw_games in prop::collection::vec((0u32..12, 0u32..12, 0.0..=1.0), 0..40),
        config in any_config(),
    ) {
        let n = ratings.len() as u32;
        let games: Vec<PairGame> = raw_games
            .into_iter()
            .map(|(a, b, s)| (a % n, b % n, s))
            .filter(|(a, b, _)| a != b)
            .map(|(a, b, s)| PairGame::new(a, b, s))
            .collect();
        let mut population = ratings.clone();
        Period::new().rate(&mut population, &games, &config).unwrap();
        for (idx, before) in ratings.iter().enumerate() {
            let idx = idx as u32;
            let own: Vec<Game> = games.iter().filter_map(|g| {
                if g.a == idx { Some(Game::new(ratings[g.b as usize], g.score_a)) }
                else if g.b == idx { Some(Game::new(ratings[g.a as usize], 1.0 - g.score_a)) }
                else { None }
            }).collect();
            let alone = rate(*before, &own, &config).unwrap();
            let together = population[idx as usize];
            prop_assert!((alone.rating() - together.rating()).abs() < 1e-9, "{alone} vs {together}");
            prop_assert!((alone.deviation() - together.deviation()).abs() < 1e-9);
            prop_assert!((alone.volatility() - together.volatility()).abs() < 1e-9);
        }
    }
}
