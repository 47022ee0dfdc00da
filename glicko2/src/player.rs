//! One player at a time: a rating period from a list of games, the one-game pair update,
//! lazy aging, expected scores and a match's predicted deltas.

use crate::algorithm::{self, Player, Sums};
use crate::config::Config;
use crate::dispatch;
use crate::error::{Error, check_range};
use crate::fastmath::{self, Arith};
use crate::rating::{CENTER, Glicko2Scale, Rating, SCALE};

/// One game of a player's rating period: who the opponent was (their pre-period rating)
/// and how the player scored.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Game {
    /// The opponent's rating at the start of the period.
    pub opponent: Rating,
    /// The player's score in [0, 1]: 1 a win, 0 a loss, 0.5 a draw; fractions weight a game.
    pub score: f64,
}

/// How much each side of a match would move if it won or lost this one game alone.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Prediction {
    /// Change of a's rating if a wins (positive).
    pub a_win_delta: f64,
    /// Change of a's rating if a loses (negative).
    pub a_lose_delta: f64,
    /// Change of b's rating if b wins (positive).
    pub b_win_delta: f64,
    /// Change of b's rating if b loses (negative).
    pub b_lose_delta: f64,
}

impl Game {
    /// A game against `opponent` with the player's `score` in [0, 1].
    pub fn new(opponent: Rating, score: f64) -> Self {
        Self { opponent, score }
    }
}

/// Checks a score, naming it `score` when it is not a number in [0, 1].
pub(crate) fn check_score(score: f64) -> Result<f64, Error> {
    check_range("score", score, 0.0, 1.0)
}

/// Rates one player over one rating period (steps 1 to 8 of the paper).
///
/// Every opponent is taken at their pre-period rating. With no games this is the absent
/// player's step 6: only RD grows. Fails when a score is outside [0, 1] or the volatility
/// iteration does not converge.
///
/// ```
/// use glicko2::{Config, Game, Rating, rate};
///
/// // The paper's example.
/// let player = Rating::new(1500.0, 200.0, 0.06)?;
/// let games = [
///     Game::new(Rating::new(1400.0, 30.0, 0.06)?, 1.0),
///     Game::new(Rating::new(1550.0, 100.0, 0.06)?, 0.0),
///     Game::new(Rating::new(1700.0, 300.0, 0.06)?, 0.0),
/// ];
/// let rated = rate(player, &games, &Config::default())?;
/// assert!((rated.rating() - 1464.05).abs() < 0.01);
/// assert!((rated.deviation() - 151.52).abs() < 0.01);
/// # Ok::<(), glicko2::Error>(())
/// ```
pub fn rate(player: Rating, games: &[Game], config: &Config) -> Result<Rating, Error> {
    let scaled = player.to_glicko2();
    if games.is_empty() {
        let phi = algorithm::age_phi(scaled.phi, scaled.sigma, 1.0, config);
        return algorithm::finish(scaled.mu, phi, scaled.sigma, config);
    }
    for game in games {
        check_score(game.score)?;
    }
    dispatch::rate_games(scaled, games, config)
}

/// Steps 3 to 8 for one player with games, inputs checked; see [`dispatch`].
#[inline(always)]
pub(crate) fn rate_games<A: Arith>(
    scaled: Glicko2Scale,
    games: &[Game],
    config: &Config,
) -> Result<Rating, Error> {
    let sums = sum_games::<A>(scaled.mu, games);
    algorithm::update::<A>(Player { scaled, sums }, config)
}

/// Sums the game terms four games at a time, with four independent accumulators and a
/// table-free exp, so that the compiler can vectorise the arithmetic.
fn sum_games<A: Arith>(mu: f64, games: &[Game]) -> Sums {
    let (chunks, remainder) = games.as_chunks::<SUM_LANES>();
    let mut v_inv = [0.0; SUM_LANES];
    let mut score = [0.0; SUM_LANES];
    for chunk in chunks {
        // Gather into plain arrays first, so the arithmetic below vectorises.
        let mut rating = [0.0; SUM_LANES];
        let mut deviation = [0.0; SUM_LANES];
        let mut game_score = [0.0; SUM_LANES];
        for lane in 0..SUM_LANES {
            rating[lane] = chunk[lane].opponent.rating();
            deviation[lane] = chunk[lane].opponent.deviation();
            game_score[lane] = chunk[lane].score;
        }
        for lane in 0..SUM_LANES {
            let (mu_opponent, g_opponent) = opponent_terms(rating[lane], deviation[lane]);
            let (dv, ds) = algorithm::game_terms(
                mu,
                mu_opponent,
                g_opponent,
                game_score[lane],
                fastmath::exp_for_vector_loops::<A>,
            );
            v_inv[lane] += dv;
            score[lane] += ds;
        }
    }
    for (lane, game) in remainder.iter().enumerate() {
        let opponent = &game.opponent;
        let (mu_opponent, g_opponent) = opponent_terms(opponent.rating(), opponent.deviation());
        let (dv, ds) = algorithm::game_terms(
            mu,
            mu_opponent,
            g_opponent,
            game.score,
            fastmath::exp_in_range::<A>,
        );
        v_inv[lane] += dv;
        score[lane] += ds;
    }
    Sums {
        v_inv: pairwise_sum(v_inv),
        score: pairwise_sum(score),
    }
}

/// Games summed side by side in [`sum_games`].
const SUM_LANES: usize = 8;

/// The sum of the lanes, in a fixed pairwise order.
#[inline(always)]
fn pairwise_sum(lanes: [f64; SUM_LANES]) -> f64 {
    ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))
        + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
}

/// An opponent's mu and g(phi), from the public scale.
#[inline(always)]
fn opponent_terms(rating: f64, deviation: f64) -> (f64, f64) {
    const INV_SCALE: f64 = 1.0 / SCALE;
    let mu_opponent = (rating - CENTER) * INV_SCALE;
    (mu_opponent, algorithm::g(deviation * INV_SCALE))
}

/// Rates both players of a single game as a one-game period each: the convenience for
/// a pair. `score_a` is a's score in [0, 1]; b scores `1 - score_a`.
///
/// ```
/// use glicko2::{Config, Rating, rate_pair};
///
/// let config = Config::default();
/// let (winner, loser) = rate_pair(Rating::default(), Rating::default(), 1.0, &config)?;
/// assert!(winner.rating() > 1500.0 && loser.rating() < 1500.0);
/// # Ok::<(), glicko2::Error>(())
/// ```
pub fn rate_pair(
    a: Rating,
    b: Rating,
    score_a: f64,
    config: &Config,
) -> Result<(Rating, Rating), Error> {
    check_score(score_a)?;
    dispatch::rate_pair(a.to_glicko2(), b.to_glicko2(), score_a, config)
}

/// Both players of one game, inputs checked; see [`dispatch`].
#[inline(always)]
pub(crate) fn rate_pair_scaled<A: Arith>(
    a_scaled: Glicko2Scale,
    b_scaled: Glicko2Scale,
    score_a: f64,
    config: &Config,
) -> Result<(Rating, Rating), Error> {
    let (a_sums, b_sums) = pair_sums::<A>(
        a_scaled.mu,
        a_scaled.phi,
        b_scaled.mu,
        b_scaled.phi,
        score_a,
    );
    let [a_new, b_new] = algorithm::update_lanes::<A, 2>(
        &[
            Player {
                scaled: a_scaled,
                sums: a_sums,
            },
            Player {
                scaled: b_scaled,
                sums: b_sums,
            },
        ],
        config,
    )?;
    Ok((a_new, b_new))
}

/// Both sides' sums for one game between a and b.
#[inline(always)]
pub(crate) fn pair_sums<A: Arith>(
    mu_a: f64,
    phi_a: f64,
    mu_b: f64,
    phi_b: f64,
    score_a: f64,
) -> (Sums, Sums) {
    let (a_v_inv, a_score) =
        algorithm::game_terms(mu_a, mu_b, algorithm::g(phi_b), score_a, fastmath::exp::<A>);
    let (b_v_inv, b_score) = algorithm::game_terms(
        mu_b,
        mu_a,
        algorithm::g(phi_a),
        1.0 - score_a,
        fastmath::exp::<A>,
    );
    (
        Sums {
            v_inv: a_v_inv,
            score: a_score,
        },
        Sums {
            v_inv: b_v_inv,
            score: b_score,
        },
    )
}

/// Ages a rating by `periods` rating periods without games (step 6, generalised to
/// fractional periods: phi' = sqrt(phi^2 + t sigma^2)), capped by
/// [`Config::max_deviation`]. Lets a store age RD lazily, when a rating is next read.
///
/// ```
/// use glicko2::{Config, Rating, decay};
///
/// let idle = Rating::new(1500.0, 200.0, 0.06)?;
/// let aged = decay(idle, 1.0, &Config::default())?;
/// assert!((aged.deviation() - 200.271417).abs() < 1e-6);
/// # Ok::<(), glicko2::Error>(())
/// ```
pub fn decay(rating: Rating, periods: f64, config: &Config) -> Result<Rating, Error> {
    let periods = check_range("periods", periods, 0.0, f64::MAX)?;
    let scaled = rating.to_glicko2();
    let phi = algorithm::age_phi(scaled.phi, scaled.sigma, periods, config);
    algorithm::finish(scaled.mu, phi, scaled.sigma, config)
}

/// The probability that `a` beats `b`, using both deviations (g of the combined phi,
/// as Glickman recommends for predictions); `b`'s is one minus this.
///
/// ```
/// use glicko2::{Rating, expected_score};
///
/// let strong = Rating::new(1800.0, 50.0, 0.06)?;
/// let weak = Rating::new(1400.0, 50.0, 0.06)?;
/// assert!(expected_score(strong, weak) > 0.9);
/// assert!((expected_score(strong, weak) + expected_score(weak, strong) - 1.0).abs() < 1e-12);
/// # Ok::<(), glicko2::Error>(())
/// ```
pub fn expected_score(a: Rating, b: Rating) -> f64 {
    let a = a.to_glicko2();
    let b = b.to_glicko2();
    let combined_phi = (a.phi * a.phi + b.phi * b.phi).sqrt();
    1.0 / (1.0 + (-algorithm::g(combined_phi) * (a.mu - b.mu)).exp())
}

/// The four deltas of a match between `a` and `b`: one-game updates from the current
/// ratings, for showing a judge what is at stake.
///
/// ```
/// use glicko2::{Config, Rating, predict};
///
/// let p = predict(Rating::default(), Rating::default(), &Config::default())?;
/// assert!(p.a_win_delta > 0.0 && p.a_lose_delta < 0.0);
/// assert!((p.a_win_delta - p.b_win_delta).abs() < 1e-9);
/// # Ok::<(), glicko2::Error>(())
/// ```
pub fn predict(a: Rating, b: Rating, config: &Config) -> Result<Prediction, Error> {
    let (a_won, b_lost) = rate_pair(a, b, 1.0, config)?;
    let (a_lost, b_won) = rate_pair(a, b, 0.0, config)?;
    Ok(Prediction {
        a_win_delta: a_won.rating() - a.rating(),
        a_lose_delta: a_lost.rating() - a.rating(),
        b_win_delta: b_won.rating() - b.rating(),
        b_lose_delta: b_lost.rating() - b.rating(),
    })
}
