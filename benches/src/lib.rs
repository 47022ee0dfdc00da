//! Workloads shared by the benchmarks and the quality reports: seeded random ratings and
//! games, so that every crate measured is handed exactly the same inputs; and, in
//! [`baselines`], the other Glicko-2 crates driven the way their users would.

pub mod baselines;
pub mod embedded_game;

use glicko2::{PairGame, Rating};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

/// A seeded, fast random generator for building workloads.
pub fn rng(seed: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed)
}

/// A plausible rating: rating 1000-2000, RD 30-350, volatility 0.04-0.08.
pub fn random_rating(rng: &mut impl RngExt) -> Rating {
    Rating::new(
        rng.random_range(1000.0..2000.0),
        rng.random_range(30.0..350.0),
        rng.random_range(0.04..0.08),
    )
    .expect("ranges are inside the rating bounds")
}

/// `n_games` random games between `n_players` players: distinct pairs, scores 0 or 1.
pub fn random_pair_games(rng: &mut impl RngExt, n_players: u32, n_games: usize) -> Vec<PairGame> {
    (0..n_games)
        .map(|_| {
            let a = rng.random_range(0..n_players);
            let mut b = rng.random_range(0..n_players - 1);
            if b >= a {
                b += 1;
            }
            let score = if rng.random_bool(0.5) { 1.0 } else { 0.0 };
            PairGame::new(a, b, score)
        })
        .collect()
}
