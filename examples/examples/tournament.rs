//! Rates a simulated photo contest with `glicko2`: 32 photos with hidden true strengths,
//! judges voting by a Bradley-Terry coin, one rating period per round of votes; prints the
//! board after each period and how well it matches the truth.
//!
//! Run: `cargo run --release -p examples --example tournament [-- --seed N]`

#![allow(clippy::print_stdout)] // An example's output is its point.

use glicko2::{Config, PairGame, Period, Rating};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

const N_PHOTOS: u32 = 32;
const N_PERIODS: usize = 8;
const VOTES_PER_PERIOD: usize = 200;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = parse_seed()?;
    let mut rng = SmallRng::seed_from_u64(seed);
    // Hidden strengths on the rating scale: what a perfect board would show.
    let truth: Vec<f64> = (0..N_PHOTOS)
        .map(|_| rng.random_range(1100.0..1900.0))
        .collect();
    let config = Config::builder().max_deviation(350.0).build()?;
    let mut ratings = vec![config.new_rating(); N_PHOTOS as usize];
    let mut period = Period::new();

    for period_idx in 1..=N_PERIODS {
        let games: Vec<PairGame> = (0..VOTES_PER_PERIOD)
            .map(|_| {
                let a = rng.random_range(0..N_PHOTOS);
                let b = (a + rng.random_range(1..N_PHOTOS)) % N_PHOTOS;
                // Bradley-Terry: a wins with the logistic of the true gap.
                let gap = truth[a as usize] - truth[b as usize];
                let a_wins = rng.random_bool(1.0 / (1.0 + 10f64.powf(-gap / 400.0)));
                PairGame::new(a, b, if a_wins { 1.0 } else { 0.0 })
            })
            .collect();
        let summary = period.rate(&mut ratings, &games, &config)?;
        println!(
            "period {period_idx}: {} votes, {} photos rated, {} idle; rank agreement with the truth {:.3}",
            summary.n_games,
            summary.n_played,
            summary.n_absent,
            rank_agreement(&ratings, &truth)
        );
    }

    println!("\nfinal board (top 10):");
    let mut board: Vec<(usize, &Rating)> = ratings.iter().enumerate().collect();
    board.sort_by(|x, y| y.1.rating().total_cmp(&x.1.rating()).then(x.0.cmp(&y.0)));
    for (rank, (photo_idx, rating)) in board.iter().take(10).enumerate() {
        println!(
            "{:>2}. photo {photo_idx:>2}: {rating}   (true strength {:.0})",
            rank + 1,
            truth[*photo_idx]
        );
    }
    Ok(())
}

/// Kendall's tau between the ratings and the truth: 1 is a perfect ordering.
fn rank_agreement(ratings: &[Rating], truth: &[f64]) -> f64 {
    let mut concordant = 0i64;
    let mut discordant = 0i64;
    for i in 0..ratings.len() {
        for j in i + 1..ratings.len() {
            let by_rating = ratings[i].rating() - ratings[j].rating();
            let by_truth = truth[i] - truth[j];
            if by_rating * by_truth > 0.0 {
                concordant += 1;
            } else if by_rating * by_truth < 0.0 {
                discordant += 1;
            }
        }
    }
    (concordant - discordant) as f64 / (concordant + discordant).max(1) as f64
}

/// `--seed N` (default 7); anything else gets a usage message.
fn parse_seed() -> Result<u64, Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => Ok(7),
        [flag, value] if flag == "--seed" => Ok(value.parse()?),
        _ => Err("usage: tournament [--seed N]".into()),
    }
}
