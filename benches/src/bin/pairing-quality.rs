//! Pairing quality report: how many votes each pairing strategy needs before the board's
//! top 10 agrees with the hidden truth (Kendall tau 0.8), in a seeded simulation.
//!
//! Photos get hidden true strengths; judges ask for matches with `tourney_core::propose_matches`
//! and vote by a Bradley-Terry coin (photo i beats j with probability
//! `1 / (1 + exp(s_j - s_i))`); every `--votes-per-period` votes are scored as one rating
//! period with `tourney_core::RatingPeriod`. After each period the estimated top 10 (by score)
//! is compared with the true top 10: Kendall tau-a between true strength and score over the
//! union of both top-10 sets, so an impostor in the shown top 10 counts against it. The figure
//! is the first vote count at which tau reaches the target, averaged over seeds (a run that
//! never gets there counts as the cap). Also printed: the games of the least-played photo at
//! that point, averaged over seeds, to show how much exposure the weakest photos kept.
//!
//! Run: `cargo run --release -p benches --bin pairing-quality -- --seeds 30`.

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use benches::rng;
use glicko2::Rating;
use rand::RngExt;
use rand::rngs::SmallRng;
use tourney_core::{
    JudgeHistory, MediaType, PairingCandidate, PairingConfig, PairingRequest, PairingStrategy,
    PhotoId, PhotoRating, RatingPeriod, RatingSettings, Side, Timestamp, UserId, Vote,
    propose_matches,
};

const HELP: &str = "\
pairing-quality: votes needed to reach a top-10 Kendall tau of 0.8, random vs informative

USAGE: pairing-quality [--seeds N] [--photos N] [--judges N] [--votes-per-period N]
                       [--max-votes N] [--target TAU] [--focus F] [--top-k K]
                       [--floor F] [--strategy random|informative|both]

  --seeds N             seeds to average over (default 10)
  --photos N            photos in the pool (default 100)
  --judges N            judges asking for matches (default 40)
  --votes-per-period N  votes scored per rating period (default 100)
  --max-votes N         give up after this many votes (default 200000)
  --target TAU          the top-10 Kendall tau to reach (default 0.8)
  --focus F             informative_focus of the pairing config (default: the crate's)
  --top-k K             informative_top_k of the pairing config (default: the crate's)
  --floor F             informative_floor of the pairing config (default: the crate's)
  --strategy S          random, informative or both (default both)
  --help                print this help
";

#[derive(Debug, Clone)]
struct Options {
    n_seeds: u64,
    n_photos: usize,
    n_judges: usize,
    votes_per_period: usize,
    max_votes: usize,
    target_tau: f64,
    informative_focus: f64,
    informative_top_k: usize,
    informative_floor: f64,
    strategies: Vec<PairingStrategy>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            n_seeds: 10,
            n_photos: 100,
            n_judges: 40,
            votes_per_period: 100,
            max_votes: 200_000,
            target_tau: 0.8,
            informative_focus: PairingConfig::default().informative_focus,
            informative_top_k: PairingConfig::default().informative_top_k,
            informative_floor: PairingConfig::default().informative_floor,
            strategies: vec![PairingStrategy::Random, PairingStrategy::Informative],
        }
    }
}

const TOP_K: usize = 10;

#[allow(clippy::print_stdout)]
fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    if arguments.iter().any(|a| a == "--help" || a == "-h") {
        print!("{HELP}");
        return ExitCode::SUCCESS;
    }
    match parse_options(&arguments).and_then(|options| run(&options)) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("pairing-quality: {error:#}\n\n{HELP}");
            }
            ExitCode::FAILURE
        }
    }
}

fn parse_options(arguments: &[String]) -> Result<Options> {
    let mut options = Options::default();
    let mut remaining = arguments.iter();
    while let Some(flag) = remaining.next() {
        let value = remaining
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        let parse_count = || -> Result<usize> {
            let count: usize = value.parse().with_context(|| format!("{flag} {value}"))?;
            if count == 0 {
                bail!("{flag} must be at least 1");
            }
            Ok(count)
        };
        match flag.as_str() {
            "--seeds" => options.n_seeds = parse_count()? as u64,
            "--photos" => options.n_photos = parse_count()?.max(TOP_K + 2),
            "--judges" => options.n_judges = parse_count()?,
            "--votes-per-period" => options.votes_per_period = parse_count()?,
            "--max-votes" => options.max_votes = parse_count()?,
            "--target" => {
                options.target_tau = value.parse().with_context(|| format!("{flag} {value}"))?;
            }
            "--focus" => {
                options.informative_focus =
                    value.parse().with_context(|| format!("{flag} {value}"))?;
            }
            "--top-k" => {
                options.informative_top_k =
                    value.parse().with_context(|| format!("{flag} {value}"))?;
            }
            "--floor" => {
                options.informative_floor =
                    value.parse().with_context(|| format!("{flag} {value}"))?;
            }
            "--strategy" => {
                options.strategies = match value.as_str() {
                    "both" => vec![PairingStrategy::Random, PairingStrategy::Informative],
                    name => vec![name.parse()?],
                };
            }
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(options)
}

fn run(options: &Options) -> Result<String> {
    let mut report = format!(
        "pairing-quality: {} photos, {} judges, {} votes per period, target top-{TOP_K} Kendall tau {}, {} seeds (cap {} votes), informative focus {} top-k {} floor {}\n",
        options.n_photos,
        options.n_judges,
        options.votes_per_period,
        options.target_tau,
        options.n_seeds,
        options.max_votes,
        options.informative_focus,
        options.informative_top_k,
        options.informative_floor
    );
    let mut means = Vec::new();
    for &strategy in &options.strategies {
        let mut needed = Vec::new();
        let mut fewest_games = Vec::new();
        for seed in 0..options.n_seeds {
            let outcome = votes_to_target(strategy, seed, options)?;
            needed.push(outcome.n_votes);
            fewest_games.push(outcome.fewest_games_per_photo);
        }
        let mean_fewest_games =
            f64::from(fewest_games.iter().sum::<u32>()) / fewest_games.len() as f64;
        let n_capped = needed.iter().filter(|n| n.is_none()).count();
        let counts: Vec<usize> = needed
            .iter()
            .map(|n| n.unwrap_or(options.max_votes))
            .collect();
        let mean = counts.iter().sum::<usize>() as f64 / counts.len() as f64;
        let mut sorted = counts.clone();
        sorted.sort_unstable();
        report += &format!(
            "{:<12} mean {:>8.0} votes   median {:>6}   min {:>6}   max {:>6}   not reached {}   fewest games of a photo {:.1}\n",
            strategy.as_str(),
            mean,
            sorted[sorted.len() / 2],
            sorted[0],
            sorted[sorted.len() - 1],
            n_capped,
            mean_fewest_games
        );
        means.push(mean);
    }
    if means.len() == 2 {
        report += &format!(
            "informative / random = {:.2} (goal: 0.50 or less)\n",
            means[1] / means[0]
        );
    }
    Ok(report)
}

/// How one simulated community went.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    /// Votes cast when tau first reached the target (`None`: not within the cap).
    n_votes: Option<usize>,
    /// Games of the least-played photo at that point (exposure fairness).
    fewest_games_per_photo: u32,
}

/// One simulated community, run until tau first reaches the target or the cap.
fn votes_to_target(strategy: PairingStrategy, seed: u64, options: &Options) -> Result<Outcome> {
    let mut rng = rng(seed);
    let settings = RatingSettings::default();
    let strengths: Vec<f64> = (0..options.n_photos)
        .map(|_| standard_normal(&mut rng))
        .collect();
    // Owners: every judge owns a photo or two, and some photos belong to non-judges.
    let n_owners = options.n_judges + options.n_photos / 2;
    let mut candidates: Vec<PairingCandidate> = (0..options.n_photos)
        .map(|idx| PairingCandidate {
            photo_id: PhotoId::from_u128(idx as u128 + 1),
            owner: UserId::from_u128((idx % n_owners) as u128 + 1),
            media_type: MediaType::Photo,
            rating: settings.glicko().new_rating(),
            n_games: 0,
        })
        .collect();
    let index_of: HashMap<PhotoId, usize> = candidates
        .iter()
        .enumerate()
        .map(|(idx, c)| (c.photo_id, idx))
        .collect();
    let mut stored: Vec<PhotoRating> = vec![PhotoRating::new_photo(&settings); options.n_photos];
    let mut histories = vec![JudgeHistory::default(); options.n_judges];
    let config = PairingConfig {
        strategy,
        informative_focus: options.informative_focus,
        informative_top_k: options.informative_top_k,
        informative_floor: options.informative_floor,
        ..PairingConfig::default()
    };
    let mut period = RatingPeriod::new();
    let mut pending: Vec<Vote> = Vec::new();
    let mut n_votes = 0;
    let mut now = Timestamp::from_millis(1_700_000_000_000);
    while n_votes < options.max_votes {
        let judge_idx = rng.random_range(0..options.n_judges);
        let judge = UserId::from_u128(judge_idx as u128 + 1);
        let request = PairingRequest {
            judge,
            candidates: &candidates,
            history: &histories[judge_idx],
            must_include: None,
        };
        let Ok(matches) = propose_matches(&request, &config, &mut rng) else {
            continue;
        };
        for proposed in matches {
            let left_strength = strengths[index_of[&proposed.left]];
            let right_strength = strengths[index_of[&proposed.right]];
            let left_wins = rng.random_bool(1.0 / (1.0 + (right_strength - left_strength).exp()));
            let winner = if left_wins { Side::Left } else { Side::Right };
            pending.push(Vote::new(proposed.left, proposed.right, winner)?);
            histories[judge_idx].proposed.insert(proposed.match_id);
            histories[judge_idx].judged.insert(proposed.match_id);
            n_votes += 1;
        }
        if pending.len() < options.votes_per_period {
            continue;
        }
        now = now.saturating_add(std::time::Duration::from_secs(60));
        let rated = period.rate(&pending, |id| Some(stored[index_of[&id]]), now, &settings)?;
        pending.clear();
        for photo in rated {
            let idx = index_of[&photo.photo_id];
            stored[idx] = photo.after;
            candidates[idx].rating = photo.after.rating;
            candidates[idx].n_games += photo.wins + photo.losses;
        }
        let scores: Vec<Rating> = stored.iter().map(|s| s.rating).collect();
        if top_k_kendall_tau(&strengths, &scores) >= options.target_tau {
            return Ok(Outcome {
                n_votes: Some(n_votes),
                fewest_games_per_photo: fewest_games(&candidates),
            });
        }
    }
    Ok(Outcome {
        n_votes: None,
        fewest_games_per_photo: fewest_games(&candidates),
    })
}

fn fewest_games(candidates: &[PairingCandidate]) -> u32 {
    candidates.iter().map(|c| c.n_games).min().unwrap_or(0)
}

/// Kendall tau-a between truth and scores over the union of the true and estimated top k.
fn top_k_kendall_tau(strengths: &[f64], scores: &[Rating]) -> f64 {
    let top = |key: &dyn Fn(usize) -> f64| {
        let mut order: Vec<usize> = (0..strengths.len()).collect();
        order.sort_by(|a, b| key(*b).total_cmp(&key(*a)));
        order.truncate(TOP_K);
        order
    };
    let mut union = top(&|idx| strengths[idx]);
    for idx in top(&|idx| scores[idx].rating()) {
        if !union.contains(&idx) {
            union.push(idx);
        }
    }
    let mut score_sum = 0.0;
    let mut n_pairs = 0.0;
    for (position, &first) in union.iter().enumerate() {
        for &second in &union[position + 1..] {
            let truth = strengths[first] - strengths[second];
            let estimate = scores[first].rating() - scores[second].rating();
            score_sum += (truth * estimate).signum() * f64::from(u8::from(truth * estimate != 0.0));
            n_pairs += 1.0;
        }
    }
    score_sum / n_pairs
}

/// A standard normal draw (Box-Muller).
fn standard_normal(rng: &mut SmallRng) -> f64 {
    let u1: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}
