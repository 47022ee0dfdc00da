//! `tourney-core` speed: proposing 10 matches from a 200-photo pool (both strategies; a
//! judge with a history, and a new pool of new photos as `scripts/load.sh` serves) and
//! scoring a 100k-vote rating period over 10,000 photos.
//!
//! Run: `cargo bench -p benches --bench tourney_core`.

use std::collections::HashMap;
use std::hint::black_box;

use benches::{random_rating, rng};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::RngExt;
use tourney_core::{
    JudgeHistory, MediaType, PairingCandidate, PairingConfig, PairingRequest, PairingStrategy,
    PhotoId, PhotoRating, RatingPeriod, RatingSettings, Side, Timestamp, UserId, Vote,
    propose_matches,
};

const POOL_SIZE: usize = 200;
const N_PHOTOS: u32 = 10_000;
const N_VOTES: usize = 100_000;

fn propose_from_pool(c: &mut Criterion) {
    let mut workload_rng = rng(3);
    let candidates: Vec<PairingCandidate> = (0..POOL_SIZE)
        .map(|idx| PairingCandidate {
            photo_id: PhotoId::from_u128(idx as u128 + 1),
            owner: UserId::from_u128((idx % 150) as u128 + 1),
            media_type: MediaType::Photo,
            rating: random_rating(&mut workload_rng),
            n_games: workload_rng.random_range(0..200),
        })
        .collect();
    // The judge has already been shown 500 pairs and judged half of them.
    let mut history = JudgeHistory::default();
    while history.proposed.len() < 500 {
        let first = candidates[workload_rng.random_range(0..POOL_SIZE)].photo_id;
        let second = candidates[workload_rng.random_range(0..POOL_SIZE)].photo_id;
        if let Ok(match_id) = tourney_core::MatchId::new(first, second) {
            history.proposed.insert(match_id);
            if history.proposed.len() % 2 == 0 {
                history.judged.insert(match_id);
            }
        }
    }
    let request = PairingRequest {
        judge: UserId::from_u128(10_000),
        candidates: &candidates,
        history: &history,
        must_include: None,
    };
    let mut group = c.benchmark_group("propose 10 matches, 200-photo pool");
    for strategy in [PairingStrategy::Random, PairingStrategy::Informative] {
        let config = PairingConfig {
            strategy,
            ..PairingConfig::default()
        };
        let mut pairing_rng = rng(4);
        group.bench_function(strategy.as_str(), |b| {
            b.iter(|| propose_matches(black_box(&request), &config, &mut pairing_rng).unwrap());
        });
    }
    group.finish();
    // A new pool: every photo new (under `cold_start_games`), ratings close, RDs high, and
    // a judge with no history.
    let new_photos: Vec<PairingCandidate> = (0..POOL_SIZE)
        .map(|idx| PairingCandidate {
            photo_id: PhotoId::from_u128(idx as u128 + 1),
            owner: UserId::from_u128(idx as u128 + 1),
            media_type: MediaType::Photo,
            rating: glicko2::Rating::new(
                1500.0 + workload_rng.random_range(-50.0..50.0),
                300.0,
                0.06,
            )
            .expect("inside the rating bounds"),
            n_games: workload_rng.random_range(0..4),
        })
        .collect();
    let no_history = JudgeHistory::default();
    let new_pool = PairingRequest {
        judge: UserId::from_u128(10_000),
        candidates: &new_photos,
        history: &no_history,
        must_include: None,
    };
    let mut group = c.benchmark_group("propose 10 matches, 200 new photos");
    for strategy in [PairingStrategy::Random, PairingStrategy::Informative] {
        let config = PairingConfig {
            strategy,
            ..PairingConfig::default()
        };
        let mut pairing_rng = rng(6);
        group.bench_function(strategy.as_str(), |b| {
            b.iter(|| propose_matches(black_box(&new_pool), &config, &mut pairing_rng).unwrap());
        });
    }
    group.finish();
}

fn score_period(c: &mut Criterion) {
    let mut workload_rng = rng(5);
    let settings = RatingSettings::default();
    let last_rated = Some(Timestamp::from_millis(1_700_000_000_000));
    let stored: HashMap<PhotoId, PhotoRating> = (0..N_PHOTOS)
        .map(|idx| {
            let rating = PhotoRating {
                rating: random_rating(&mut workload_rng),
                last_rated,
            };
            (PhotoId::from_u128(u128::from(idx) + 1), rating)
        })
        .collect();
    let votes: Vec<Vote> = benches::random_pair_games(&mut workload_rng, N_PHOTOS, N_VOTES)
        .into_iter()
        .map(|game| {
            let winner = if game.score_a > 0.5 {
                Side::Left
            } else {
                Side::Right
            };
            Vote::new(
                PhotoId::from_u128(u128::from(game.a) + 1),
                PhotoId::from_u128(u128::from(game.b) + 1),
                winner,
            )
            .unwrap()
        })
        .collect();
    let now = Timestamp::from_millis(1_700_000_060_000);
    let mut period = RatingPeriod::new();
    let mut group = c.benchmark_group("score a 100k-vote period");
    group.sample_size(10);
    group.bench_function("tourney-core", |b| {
        b.iter(|| {
            period
                .rate(
                    black_box(&votes),
                    |id| stored.get(&id).copied(),
                    now,
                    &settings,
                )
                .unwrap()
        });
    });
    group.finish();
}

criterion_group!(benches, propose_from_pool, score_period);
criterion_main!(benches);
