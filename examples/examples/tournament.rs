//! A simulated photo contest, rated with `tourney-core` and `glicko2`: 32 photos with hidden
//! true strengths; each round a judge gets a 16-photo bracket seeded by rating, judges its 15
//! games by a Bradley-Terry coin on the true strengths, reports the winners, and the worker
//! scores the 15 votes as one rating period. Prints each champion and how well the board
//! agrees with the truth, then the final board.
//!
//! Run: `cargo run --release -p examples --example tournament [-- --seed N] [--rounds N]`

#![allow(clippy::print_stdout)] // An example's output is its point.

use std::collections::HashMap;

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use tourney_core::{
    BRACKET_GAMES, Bracket, BracketCandidate, MediaType, PhotoId, PhotoRating, RatingPeriod,
    RatingSettings, SeedingMethod, Timestamp, UserId,
};

const N_PHOTOS: usize = 32;

struct Options {
    seed: u64,
    rounds: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = parse_options()?;
    let mut rng = SmallRng::seed_from_u64(options.seed);
    let settings = RatingSettings::default();
    let start = Timestamp::from_millis(1_767_225_600_000); // 2026-01-01T00:00:00Z

    // Photos, their owners and hidden strengths (on the rating scale).
    let photos: Vec<(PhotoId, UserId)> = (0..N_PHOTOS)
        .map(|_| {
            (
                PhotoId::generate(start, &mut rng),
                UserId::generate(start, &mut rng),
            )
        })
        .collect();
    let truth: HashMap<PhotoId, f64> = photos
        .iter()
        .map(|(photo_id, _)| (*photo_id, rng.random_range(1100.0..1900.0)))
        .collect();
    let mut stored: HashMap<PhotoId, PhotoRating> = photos
        .iter()
        .map(|(photo_id, _)| (*photo_id, PhotoRating::new_photo(&settings)))
        .collect();
    let mut period = RatingPeriod::new();

    for round in 1..=options.rounds {
        let now = start.saturating_add(std::time::Duration::from_secs(600 * round as u64));
        let judge = UserId::generate(now, &mut rng);
        let candidates: Vec<BracketCandidate> = photos
            .iter()
            .map(|(photo_id, owner)| BracketCandidate {
                photo_id: *photo_id,
                owner: *owner,
                media_type: MediaType::Photo,
                rating: stored[photo_id].rating,
            })
            .collect();
        let bracket = Bracket::seed(judge, &candidates, SeedingMethod::ByRating, &mut rng)?;
        let winners = judge_bracket(&bracket, &truth, &mut rng);
        let result = bracket.validate_report(&winners)?;
        let rated = period.rate(
            &result.votes(),
            |photo_id| stored.get(&photo_id).copied(),
            now,
            &settings,
        )?;
        for photo in &rated {
            stored.insert(photo.photo_id, photo.after);
        }
        let champion = result.champion();
        println!(
            "round {round:>2}: champion {champion} (true strength {:.0}), {} photos rated, rank agreement {:.3}",
            truth[&champion],
            rated.len(),
            rank_agreement(&stored, &truth)
        );
    }

    println!("\nfinal board (top 10 by rating):");
    let mut board: Vec<(&PhotoId, &PhotoRating)> = stored.iter().collect();
    board.sort_by(|x, y| {
        y.1.rating
            .rating()
            .total_cmp(&x.1.rating.rating())
            .then(x.0.cmp(y.0))
    });
    for (rank, (photo_id, rating)) in board.iter().take(10).enumerate() {
        println!(
            "{:>2}. {photo_id}  {}  (true strength {:.0})",
            rank + 1,
            rating.rating,
            truth[photo_id]
        );
    }
    Ok(())
}

/// Plays the bracket's 15 games in position order, each won by a Bradley-Terry coin on
/// the photos' true strengths.
fn judge_bracket(
    bracket: &Bracket,
    truth: &HashMap<PhotoId, f64>,
    rng: &mut SmallRng,
) -> Vec<PhotoId> {
    let slots = bracket.slots();
    let mut winners: Vec<PhotoId> = Vec::with_capacity(BRACKET_GAMES);
    for position in 0..BRACKET_GAMES {
        let (a, b) = match Bracket::feeding_games(position) {
            Some((left_game, right_game)) => (winners[left_game], winners[right_game]),
            None => (slots[2 * position], slots[2 * position + 1]),
        };
        let gap = truth[&a] - truth[&b];
        let a_wins = rng.random_bool(1.0 / (1.0 + 10f64.powf(-gap / 400.0)));
        winners.push(if a_wins { a } else { b });
    }
    winners
}

/// Kendall's tau between the ratings and the truth: 1 is a perfect ordering.
fn rank_agreement(stored: &HashMap<PhotoId, PhotoRating>, truth: &HashMap<PhotoId, f64>) -> f64 {
    let pairs: Vec<(f64, f64)> = stored
        .iter()
        .map(|(photo_id, rating)| (rating.rating.rating(), truth[photo_id]))
        .collect();
    let mut concordant = 0i64;
    let mut discordant = 0i64;
    for (i, (rating_i, truth_i)) in pairs.iter().enumerate() {
        for (rating_j, truth_j) in &pairs[i + 1..] {
            let agreement = (rating_i - rating_j) * (truth_i - truth_j);
            if agreement > 0.0 {
                concordant += 1;
            } else if agreement < 0.0 {
                discordant += 1;
            }
        }
    }
    (concordant - discordant) as f64 / (concordant + discordant).max(1) as f64
}

/// `--seed N` (default 7) and `--rounds N` (default 12); `--help` explains.
fn parse_options() -> Result<Options, Box<dyn std::error::Error>> {
    let mut options = Options {
        seed: 7,
        rounds: 12,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--seed" => options.seed = args.next().ok_or("--seed needs a number")?.parse()?,
            "--rounds" => options.rounds = args.next().ok_or("--rounds needs a number")?.parse()?,
            "-h" | "--help" => {
                println!(
                    "usage: tournament [--seed N] [--rounds N]\n\nSimulates 16-photo tournaments over 32 photos and rates them with Glicko-2."
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}; try --help").into()),
        }
    }
    Ok(options)
}
