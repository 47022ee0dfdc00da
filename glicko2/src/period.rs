//! A whole population's rating period: every game of the period in, every player's new
//! rating out, with the absent players aged by step 6.

use crate::algorithm::{self, Player, Sums};
use crate::config::Config;
use crate::dispatch;
use crate::error::Error;
use crate::fastmath::{self, Arith};
use crate::player::check_score;
use crate::rating::Rating;

/// How many players' volatility iterations run side by side.
const LANES: usize = 4;

/// One game of a population period, between the players at indices `a` and `b`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PairGame {
    /// Index of the first player in the ratings slice.
    pub a: u32,
    /// Index of the second player in the ratings slice.
    pub b: u32,
    /// a's score in [0, 1]; b scores `1 - score_a`.
    pub score_a: f64,
}

impl PairGame {
    /// A game between players `a` and `b` in which `a` scored `score_a`.
    pub fn new(a: u32, b: u32, score_a: f64) -> Self {
        Self { a, b, score_a }
    }
}

/// What a period did, for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeriodSummary {
    /// Players with at least one game (steps 3 to 8).
    pub n_played: usize,
    /// Players without games (step 6 only).
    pub n_absent: usize,
    /// Games applied.
    pub n_games: usize,
}

/// Rates a population period after period, reusing its buffers so that a period costs
/// no allocation per game (and none at all once the buffers have grown).
///
/// ```
/// use glicko2::{Config, PairGame, Period, Rating};
///
/// let mut ratings = vec![Rating::default(); 3];
/// // Player 0 beats 1 and 2; player 2 also draws with 1.
/// let games = [PairGame::new(0, 1, 1.0), PairGame::new(0, 2, 1.0), PairGame::new(2, 1, 0.5)];
/// let mut period = Period::new();
/// let summary = period.rate(&mut ratings, &games, &Config::default())?;
/// assert_eq!(summary.n_played, 3);
/// assert!(ratings[0].rating() > ratings[2].rating());
/// # Ok::<(), glicko2::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Period {
    /// Every player's mu and g(phi), side by side: a game reads both in one cache line.
    mu_g: Vec<(f64, f64)>,
    sums: Vec<Sums>,
    rated: Vec<Rating>,
    /// The players who played and their indices into the ratings.
    played: Vec<Player>,
    played_idx: Vec<u32>,
}

impl Period {
    /// An empty period runner; buffers grow on first use.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one rating period to `ratings` in place.
    ///
    /// Every game uses both players' pre-period ratings (the paper's rule), each player's
    /// games are combined into one update, and players without games get step 6. All or
    /// nothing: on error (a bad index or score, named with the game's position, or a
    /// volatility iteration that does not converge) `ratings` is left untouched.
    pub fn rate(
        &mut self,
        ratings: &mut [Rating],
        games: &[PairGame],
        config: &Config,
    ) -> Result<PeriodSummary, Error> {
        dispatch::rate_period(self, ratings, games, config)
    }

    /// [`Period::rate`] with the arithmetic `A`; see [`dispatch`].
    #[inline(always)]
    pub(crate) fn rate_with<A: Arith>(
        &mut self,
        ratings: &mut [Rating],
        games: &[PairGame],
        config: &Config,
    ) -> Result<PeriodSummary, Error> {
        self.prepare(ratings);
        self.accumulate::<A>(games)?;
        self.played.clear();
        self.played_idx.clear();
        for (player_idx, rating) in ratings.iter().enumerate() {
            let scaled = rating.to_glicko2();
            // Every game adds a strictly positive g^2 E (1 - E) (the bounds on ratings keep
            // it far from underflow), so a zero sum means the player did not play.
            if self.sums[player_idx].v_inv == 0.0 {
                let phi = algorithm::age_phi(scaled.phi, scaled.sigma, 1.0, config);
                self.rated[player_idx] = algorithm::finish(scaled.mu, phi, scaled.sigma, config)?;
            } else {
                self.played.push(Player {
                    scaled,
                    sums: self.sums[player_idx],
                });
                self.played_idx.push(player_idx as u32);
            }
        }
        // Players who played, LANES at a time so their iterations overlap and vectorise;
        // each result goes straight to its player's slot.
        let (batches, remainder) = self.played.as_chunks::<LANES>();
        let (batch_idx, remainder_idx) = self.played_idx.as_chunks::<LANES>();
        for (batch, indices) in batches.iter().zip(batch_idx) {
            let rated = algorithm::update_lanes::<A, LANES>(batch, config)?;
            for (&player_idx, new_rating) in indices.iter().zip(rated) {
                self.rated[player_idx as usize] = new_rating;
            }
        }
        for (player, &player_idx) in remainder.iter().zip(remainder_idx) {
            self.rated[player_idx as usize] = algorithm::update::<A>(*player, config)?;
        }
        let n_played = self.played.len();
        ratings.copy_from_slice(&self.rated);
        Ok(PeriodSummary {
            n_played,
            n_absent: ratings.len() - n_played,
            n_games: games.len(),
        })
    }

    /// Sizes the buffers and fills mu and the cached g(phi) of every player (step 2 and
    /// the part of step 3 that depends on one player only).
    fn prepare(&mut self, ratings: &[Rating]) {
        let n = ratings.len();
        self.mu_g.clear();
        self.mu_g.extend(ratings.iter().map(|rating| {
            let scaled = rating.to_glicko2();
            (scaled.mu, algorithm::g(scaled.phi))
        }));
        self.sums.clear();
        self.sums.resize(n, Sums::default());
        self.rated.clear();
        self.rated.resize(n, Rating::default());
    }

    /// Adds every game's terms to both players' sums (steps 3 and 4), with E computed once
    /// per side from the cached g, checking each game on the way (only scratch buffers
    /// change before every game has passed).
    #[inline(always)]
    fn accumulate<A: Arith>(&mut self, games: &[PairGame]) -> Result<(), Error> {
        let n_players = self.mu_g.len();
        let mu_g = &self.mu_g[..];
        let sums = &mut self.sums[..n_players];
        let (chunks, remainder) = games.as_chunks::<GAME_LANES>();
        for (chunk_idx, chunk) in chunks.iter().enumerate() {
            // Check and gather, then the arithmetic on plain arrays (it vectorises), then
            // scatter into the sums.
            let mut a_side = [(0.0, 0.0); GAME_LANES];
            let mut b_side = [(0.0, 0.0); GAME_LANES];
            for (lane, game) in chunk.iter().enumerate() {
                check_game(chunk_idx * GAME_LANES + lane, game, n_players)?;
                (a_side[lane], b_side[lane]) = (mu_g[game.a as usize], mu_g[game.b as usize]);
            }
            let mut terms = [[0.0; 4]; GAME_LANES];
            for lane in 0..GAME_LANES {
                let ((mu_a, g_a), (mu_b, g_b)) = (a_side[lane], b_side[lane]);
                terms[lane] = pair_terms(
                    mu_a,
                    mu_b,
                    g_a,
                    g_b,
                    chunk[lane].score_a,
                    fastmath::exp_for_vector_loops::<A>,
                );
            }
            for (game, terms) in chunk.iter().zip(&terms) {
                add_terms(sums, game, terms);
            }
        }
        let first_remaining = chunks.len() * GAME_LANES;
        for (offset, game) in remainder.iter().enumerate() {
            check_game(first_remaining + offset, game, n_players)?;
            let ((mu_a, g_a), (mu_b, g_b)) = (mu_g[game.a as usize], mu_g[game.b as usize]);
            let terms = pair_terms(
                mu_a,
                mu_b,
                g_a,
                g_b,
                game.score_a,
                fastmath::exp_in_range::<A>,
            );
            add_terms(sums, game, &terms);
        }
        Ok(())
    }
}

/// Games whose terms are computed side by side in [`Period::accumulate`].
const GAME_LANES: usize = 8;

/// Both sides' terms of one game: `[a's v term, a's score term, b's v term, b's score term]`.
#[inline(always)]
fn pair_terms(
    mu_a: f64,
    mu_b: f64,
    g_a: f64,
    g_b: f64,
    score_a: f64,
    exp: impl Fn(f64) -> f64 + Copy,
) -> [f64; 4] {
    let (a_v_inv, a_score) = algorithm::game_terms(mu_a, mu_b, g_b, score_a, exp);
    let (b_v_inv, b_score) = algorithm::game_terms(mu_b, mu_a, g_a, 1.0 - score_a, exp);
    [a_v_inv, a_score, b_v_inv, b_score]
}

/// Adds one game's terms to both players' sums.
#[inline(always)]
fn add_terms(sums: &mut [Sums], game: &PairGame, terms: &[f64; 4]) {
    let sums_a = &mut sums[game.a as usize];
    sums_a.v_inv += terms[0];
    sums_a.score += terms[1];
    let sums_b = &mut sums[game.b as usize];
    sums_b.v_inv += terms[2];
    sums_b.score += terms[3];
}

/// Checks one game's indices and score, naming it by position when it fails.
#[inline(always)]
fn check_game(game_idx: usize, game: &PairGame, n_players: usize) -> Result<(), Error> {
    let (a, b) = (game.a as usize, game.b as usize);
    if a >= n_players || b >= n_players || a == b || !(0.0..=1.0).contains(&game.score_a) {
        return Err(game_error(game_idx, game, n_players));
    }
    Ok(())
}

/// The error for a game that failed the check in [`Period::accumulate`], naming it.
#[cold]
fn game_error(game_idx: usize, game: &PairGame, n_players: usize) -> Error {
    for player in [game.a as usize, game.b as usize] {
        if player >= n_players {
            return Error::UnknownPlayer {
                game: game_idx,
                player,
                n_players,
            };
        }
    }
    if game.a == game.b {
        return Error::SelfGame {
            game: game_idx,
            player: game.a as usize,
        };
    }
    // Only the score is left to have failed; check_score names how.
    check_score(game.score_a)
        .err()
        .unwrap_or(Error::OutOfRange {
            field: "score",
            value: game.score_a,
            min: 0.0,
            max: 1.0,
        })
}

/// Applies one rating period to `ratings` with a fresh [`Period`]; see [`Period::rate`].
pub fn rate_period(
    ratings: &mut [Rating],
    games: &[PairGame],
    config: &Config,
) -> Result<PeriodSummary, Error> {
    Period::new().rate(ratings, games, config)
}
