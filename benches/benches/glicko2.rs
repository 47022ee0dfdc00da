//! `glicko2` side by side with `skillratings` and `instant-glicko-2`, same inputs, one run:
//! (a) one 1v1 game, both players updated; (b) one player's 16-game period; (c) 1,000,000
//! random games over 10,000 players as 10 rating periods, absentees aged by step 6.
//!
//! Run: `cargo bench -p benches --bench glicko2`, then `cargo run -p benches --bin
//! bench-report` for the medians and ratios recorded in BENCHMARKS.md.

use std::hint::black_box;

use benches::baselines::{
    self, instant, instant_periods, instant_rate, skill, skillratings_periods,
};
use benches::{random_pair_games, random_rating, rng};
use criterion::{Criterion, criterion_group, criterion_main};
use glicko2::{Config, Game, PairGame, Period, Rating};
use instant_glicko_2::algorithm::InternalGame;
use instant_glicko_2::{InternalRating, IntoWithParameters, Parameters};
use skillratings::Outcomes;
use skillratings::glicko2::{Glicko2Config, glicko2, glicko2_rating_period};

const N_PLAYERS: u32 = 10_000;
const N_PERIODS: usize = 10;
const GAMES_PER_PERIOD: usize = 100_000;

fn one_game(c: &mut Criterion) {
    let mut rng = rng(1);
    let pairs: Vec<(Rating, Rating)> = (0..64)
        .map(|_| (random_rating(&mut rng), random_rating(&mut rng)))
        .collect();
    let config = Config::default();
    let skill_config = Glicko2Config::new();
    let parameters = Parameters::default();
    let mut group = c.benchmark_group("1v1");
    let mut idx = 0;
    group.bench_function("glicko2", |b| {
        b.iter(|| {
            idx = (idx + 1) % pairs.len();
            let (a, other) = pairs[idx];
            black_box(glicko2::rate_pair(black_box(a), black_box(other), 1.0, &config).unwrap())
        });
    });
    let skill_pairs: Vec<_> = pairs.iter().map(|(a, b)| (skill(*a), skill(*b))).collect();
    group.bench_function("skillratings", |b| {
        b.iter(|| {
            idx = (idx + 1) % pairs.len();
            let (a, other) = &skill_pairs[idx];
            black_box(glicko2(
                black_box(a),
                black_box(other),
                &Outcomes::WIN,
                &skill_config,
            ))
        });
    });
    let instant_pairs: Vec<_> = pairs
        .iter()
        .map(|(a, b)| (instant(*a), instant(*b)))
        .collect();
    group.bench_function("instant-glicko-2", |b| {
        b.iter(|| {
            idx = (idx + 1) % pairs.len();
            let (a, other) = instant_pairs[idx];
            let a_internal: InternalRating = black_box(a).into_with_parameters(parameters);
            let b_internal: InternalRating = black_box(other).into_with_parameters(parameters);
            let a_new = instant_rate(a, &[InternalGame::new(b_internal, 1.0)], parameters);
            let b_new = instant_rate(other, &[InternalGame::new(a_internal, 0.0)], parameters);
            black_box((a_new, b_new))
        });
    });
    group.finish();
}

fn sixteen_games(c: &mut Criterion) {
    let mut rng = rng(2);
    let config = Config::default();
    let player = random_rating(&mut rng);
    let games: Vec<Game> = (0..16)
        .map(|i| Game::new(random_rating(&mut rng), f64::from(i % 3) / 2.0))
        .collect();
    let mut group = c.benchmark_group("16-game period");
    group.bench_function("glicko2", |b| {
        b.iter(|| black_box(glicko2::rate(black_box(player), black_box(&games), &config).unwrap()));
    });
    let skill_config = Glicko2Config::new();
    let skill_games = baselines::skill_games(&games);
    let skill_player = skill(player);
    group.bench_function("skillratings", |b| {
        b.iter(|| {
            black_box(glicko2_rating_period(
                black_box(&skill_player),
                black_box(&skill_games),
                &skill_config,
            ))
        });
    });
    let parameters = Parameters::default();
    let instant_games = baselines::instant_games(&games, parameters);
    let instant_player = instant(player);
    group.bench_function("instant-glicko-2", |b| {
        b.iter(|| {
            black_box(instant_rate(
                black_box(instant_player),
                black_box(&instant_games),
                parameters,
            ))
        });
    });
    group.finish();
}

/// The population workload: starting ratings and 10 periods of 100,000 games.
fn population() -> (Vec<Rating>, Vec<Vec<PairGame>>) {
    let mut rng = rng(3);
    let ratings = (0..N_PLAYERS).map(|_| random_rating(&mut rng)).collect();
    let periods = (0..N_PERIODS)
        .map(|_| random_pair_games(&mut rng, N_PLAYERS, GAMES_PER_PERIOD))
        .collect();
    (ratings, periods)
}

fn million_games(c: &mut Criterion) {
    let (start, periods) = population();
    let config = Config::default();
    let mut group = c.benchmark_group("1M games, 10k players, 10 periods");
    group.sample_size(10);

    let mut period = Period::new();
    group.bench_function("glicko2", |b| {
        b.iter(|| {
            let mut ratings = start.clone();
            for games in &periods {
                period.rate(&mut ratings, games, &config).unwrap();
            }
            black_box(ratings)
        });
    });

    // The other crates rate one player at a time: each period's games are grouped per
    // player (buffers reused across periods, so they pay no more allocation than they must).
    let mut skill_games = Vec::new();
    group.bench_function("skillratings", |b| {
        b.iter(|| black_box(skillratings_periods(&start, &periods, &mut skill_games)));
    });
    let mut instant_games = Vec::new();
    group.bench_function("instant-glicko-2", |b| {
        b.iter(|| black_box(instant_periods(&start, &periods, &mut instant_games)));
    });
    group.finish();
}

criterion_group!(benches, one_game, sixteen_games, million_games);
criterion_main!(benches);
