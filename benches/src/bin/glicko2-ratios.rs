//! `glicko2` against `skillratings` and `instant-glicko-2`, interleaved: each round times
//! every crate on the same workload back to back and records the ratios, and the report is
//! the median ratio over all rounds. On a shared or throttling machine this holds steadier
//! than comparing medians taken minutes apart (criterion runs one crate after another).
//!
//! Workloads as in `benches/benches/glicko2.rs`: (a) one 1v1 game, both players updated;
//! (b) one player's 16-game period; (c) 1,000,000 games over 10,000 players as 10 periods.
//!
//! Run: `cargo run --profile bench -p benches --bin glicko2-ratios [-- --rounds N]` (the
//! bench profile: thin LTO, one codegen unit, as criterion uses).

#![allow(clippy::print_stdout)] // A report's output is its point.

use std::hint::black_box;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use benches::baselines::{
    self, instant, instant_periods, instant_rate, skill, skillratings_periods,
};
use benches::{random_pair_games, random_rating, rng};
use glicko2::{Config, Game, PairGame, Period, Rating};
use instant_glicko_2::algorithm::InternalGame;
use instant_glicko_2::{InternalRating, IntoWithParameters, Parameters};
use skillratings::Outcomes;
use skillratings::glicko2::{Glicko2Config, glicko2, glicko2_rating_period};

fn main() -> Result<()> {
    let rounds = parse_rounds()?;
    let small = SmallWorkloads::new();
    let population = Population::new();
    let mut pair = Ratios::default();
    let mut sixteen = Ratios::default();
    let mut million = Ratios::default();
    for round in 0..rounds {
        pair.push(small.one_game());
        sixteen.push(small.sixteen_games());
        // The population workload is long: measure it every fourth round.
        if round % 4 == 0 {
            million.push(population.ten_periods());
        }
    }
    println!("median of {rounds} interleaved rounds (ours / theirs; lower is faster):");
    println!("| workload | glicko2 | ÷ skillratings | ÷ instant-glicko-2 |");
    println!("|---|---|---|---|");
    pair.print("(a) 1v1, both players", "ns");
    sixteen.print("(b) one player's 16-game period", "ns");
    million.print("(c) 1M games, 10k players, 10 periods", "ms");
    Ok(())
}

/// Per-round times of ours and the ratios to each other crate.
#[derive(Default)]
struct Ratios {
    ours: Vec<f64>,
    to_skillratings: Vec<f64>,
    to_instant: Vec<f64>,
}

impl Ratios {
    fn push(&mut self, (ours, skill, instant): (f64, f64, f64)) {
        self.ours.push(ours);
        self.to_skillratings.push(ours / skill);
        self.to_instant.push(ours / instant);
    }

    fn print(&self, name: &str, unit: &str) {
        println!(
            "| {name} | {:.1} {unit} | {:.3}x | {:.3}x |",
            median(&self.ours),
            median(&self.to_skillratings),
            median(&self.to_instant)
        );
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// Nanoseconds per call of `f`, over `reps` calls.
fn time_ns(reps: u32, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..reps {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(reps)
}

/// Workloads (a) and (b), built once from fixed seeds.
struct SmallWorkloads {
    config: Config,
    pairs: Vec<(Rating, Rating)>,
    player: Rating,
    games: Vec<Game>,
}

impl SmallWorkloads {
    fn new() -> Self {
        let mut pair_rng = rng(1);
        let pairs = (0..64)
            .map(|_| (random_rating(&mut pair_rng), random_rating(&mut pair_rng)))
            .collect();
        let mut game_rng = rng(2);
        let player = random_rating(&mut game_rng);
        let games = (0..16)
            .map(|i| Game::new(random_rating(&mut game_rng), f64::from(i % 3) / 2.0))
            .collect();
        Self {
            config: Config::default(),
            pairs,
            player,
            games,
        }
    }

    /// (a): ns per 1v1 game for ours, skillratings, instant-glicko-2.
    fn one_game(&self) -> (f64, f64, f64) {
        let n_pairs = self.pairs.len() as f64;
        let skill_config = Glicko2Config::new();
        let parameters = Parameters::default();
        let ours = time_ns(20, || {
            for (a, b) in &self.pairs {
                black_box(glicko2::rate_pair(black_box(*a), black_box(*b), 1.0, &self.config).ok());
            }
        }) / n_pairs;
        let theirs = time_ns(20, || {
            for (a, b) in &self.pairs {
                let (a, b) = (skill(*a), skill(*b));
                black_box(glicko2(
                    black_box(&a),
                    black_box(&b),
                    &Outcomes::WIN,
                    &skill_config,
                ));
            }
        }) / n_pairs;
        let instant_time = time_ns(20, || {
            for (a, b) in &self.pairs {
                let (a, b) = (instant(*a), instant(*b));
                let a_internal: InternalRating = black_box(a).into_with_parameters(parameters);
                let b_internal: InternalRating = black_box(b).into_with_parameters(parameters);
                let a_new = instant_rate(a, &[InternalGame::new(b_internal, 1.0)], parameters);
                let b_new = instant_rate(b, &[InternalGame::new(a_internal, 0.0)], parameters);
                black_box((a_new, b_new));
            }
        }) / n_pairs;
        (ours, theirs, instant_time)
    }

    /// (b): ns per 16-game period for ours, skillratings, instant-glicko-2.
    fn sixteen_games(&self) -> (f64, f64, f64) {
        let skill_config = Glicko2Config::new();
        let skill_games = baselines::skill_games(&self.games);
        let parameters = Parameters::default();
        let instant_games = baselines::instant_games(&self.games, parameters);
        let ours = time_ns(500, || {
            black_box(
                glicko2::rate(black_box(self.player), black_box(&self.games), &self.config).ok(),
            );
        });
        let skill_player = skill(self.player);
        let theirs = time_ns(500, || {
            black_box(glicko2_rating_period(
                black_box(&skill_player),
                black_box(&skill_games),
                &skill_config,
            ));
        });
        let instant_player = instant(self.player);
        let instant_time = time_ns(500, || {
            black_box(instant_rate(
                black_box(instant_player),
                black_box(&instant_games),
                parameters,
            ));
        });
        (ours, theirs, instant_time)
    }
}

/// Workload (c), built once from a fixed seed.
struct Population {
    start: Vec<Rating>,
    periods: Vec<Vec<PairGame>>,
}

impl Population {
    fn new() -> Self {
        let mut population_rng = rng(3);
        let start = (0..10_000)
            .map(|_| random_rating(&mut population_rng))
            .collect();
        let periods = (0..10)
            .map(|_| random_pair_games(&mut population_rng, 10_000, 100_000))
            .collect();
        Self { start, periods }
    }

    /// (c): ms per 10 periods for ours, skillratings, instant-glicko-2.
    fn ten_periods(&self) -> (f64, f64, f64) {
        let config = Config::default();
        let mut period = Period::new();
        let ours = time_ns(1, || {
            let mut ratings = self.start.clone();
            for games in &self.periods {
                black_box(period.rate(&mut ratings, games, &config).ok());
            }
            black_box(ratings);
        });
        let mut skill_games = Vec::new();
        let theirs = time_ns(1, || {
            black_box(skillratings_periods(
                &self.start,
                &self.periods,
                &mut skill_games,
            ));
        });
        let mut instant_games = Vec::new();
        let instant_time = time_ns(1, || {
            black_box(instant_periods(
                &self.start,
                &self.periods,
                &mut instant_games,
            ));
        });
        (ours / 1e6, theirs / 1e6, instant_time / 1e6)
    }
}

/// `--rounds N` (default 200); `--help` explains.
fn parse_rounds() -> Result<usize> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => Ok(200),
        [flag, value] if flag == "--rounds" => {
            let rounds: usize = value.parse().context("--rounds needs a number")?;
            if rounds == 0 {
                bail!("--rounds must be at least 1");
            }
            Ok(rounds)
        }
        [flag] if flag == "--help" || flag == "-h" => {
            println!(
                "usage: glicko2-ratios [--rounds N]\n\nTimes glicko2, skillratings and instant-glicko-2 back to back on the same workloads\nfor N rounds (default 200) and prints the median ratios."
            );
            std::process::exit(0);
        }
        _ => bail!("unknown arguments {args:?}; try --help"),
    }
}
