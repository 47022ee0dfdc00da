//! The paper's steps 3 to 8 on the Glicko-2 scale, shared by the one-player and the
//! population paths. Internal: inputs here are already validated.

use crate::config::Config;
use crate::error::Error;
use crate::fastmath::Arith;
use crate::rating::{CENTER, Glicko2Scale, Rating, SCALE};
use crate::volatility::Lanes;

/// pi^2 / 3, the constant inside g (step 3).
const THREE_OVER_PI_SQ: f64 = 3.0 / (core::f64::consts::PI * core::f64::consts::PI);

/// g(phi) of step 3: how much an opponent's uncertainty damps a game's weight.
#[inline(always)]
pub(crate) fn g(phi: f64) -> f64 {
    1.0 / (1.0 + THREE_OVER_PI_SQ * phi * phi).sqrt()
}

/// What one game adds to a player's sums: `(g^2 E (1 - E), g (s - E))` (steps 3 and 4).
///
/// `g_opponent` is g(phi_j); `score` is s in [0, 1]; `exp` is the exponential to use (the
/// table-driven one on latency-bound paths, the table-free one in loops that vectorise,
/// see `fastmath`). E(1 - E) is
/// computed as t E^2 with t = exp(-g (mu - mu_j)), which stays accurate when E is close
/// to 0 or 1.
#[inline(always)]
pub(crate) fn game_terms(
    mu: f64,
    mu_opponent: f64,
    g_opponent: f64,
    score: f64,
    exp: impl Fn(f64) -> f64,
) -> (f64, f64) {
    terms_from_exp(exp(-g_opponent * (mu - mu_opponent)), g_opponent, score)
}

/// [`game_terms`] given t = exp(-g (mu - mu_j)) already computed.
#[inline(always)]
pub(crate) fn terms_from_exp(t: f64, g_opponent: f64, score: f64) -> (f64, f64) {
    let e = 1.0 / (1.0 + t);
    (
        g_opponent * g_opponent * t * e * e,
        g_opponent * (score - e),
    )
}

/// A player's accumulated game terms for one period.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sums {
    /// 1 / v: the sum of g^2 E (1 - E) over the player's games (step 3).
    pub(crate) v_inv: f64,
    /// The sum of g (s - E) over the player's games (step 4, without the factor v).
    pub(crate) score: f64,
}

/// One player who played in a period: their rating at the period's start on the Glicko-2
/// scale, and their games' sums.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Player {
    pub(crate) scaled: Glicko2Scale,
    pub(crate) sums: Sums,
}

/// Steps 5 to 8 for one player who played: the new rating from the period's sums.
#[inline(always)]
pub(crate) fn update<A: Arith>(player: Player, config: &Config) -> Result<Rating, Error> {
    update_lanes::<A, 1>(&[player], config).map(|[rating]| rating)
}

/// Steps 5 to 8 for `N` independent players at once (see [`Lanes`]).
#[inline(always)]
pub(crate) fn update_lanes<A: Arith, const N: usize>(
    players: &[Player; N],
    config: &Config,
) -> Result<[Rating; N], Error> {
    let mut lanes = Lanes::start::<A>(players, config)?;
    lanes.run::<A>(config)?;
    let mut rated = [Rating::default(); N];
    for (lane, (out, player)) in rated.iter_mut().zip(players).enumerate() {
        *out = conclude(player, lanes.exp_a[lane], config)?;
    }
    Ok(rated)
}

/// Steps 5.5 to 8 once a player's volatility iteration has converged.
#[inline]
fn conclude(player: &Player, exp_a: f64, config: &Config) -> Result<Rating, Error> {
    // Step 5.5: sigma' = e^(A/2), so sigma'^2 = e^A, which the iteration kept.
    let sigma_new_sq = exp_a;
    // Step 6: the pre-rating-period value phi*, squared and capped.
    let phi_star_sq = (player.scaled.phi * player.scaled.phi + sigma_new_sq).min(config.max_phi_sq);
    // Step 7: phi' = 1 / sqrt(1 / phi*^2 + 1 / v), with one division instead of two.
    let phi_new_sq = phi_star_sq / (1.0 + phi_star_sq * player.sums.v_inv);
    let mu_new = player.scaled.mu + phi_new_sq * player.sums.score;
    // Step 8.
    finish(mu_new, phi_new_sq.sqrt(), sigma_new_sq.sqrt(), config)
}

/// Step 6 alone for `periods` rating periods without games: only RD grows, capped.
#[inline]
pub(crate) fn age_phi(phi: f64, sigma: f64, periods: f64, config: &Config) -> f64 {
    config.cap_phi((phi * phi + periods * sigma * sigma).sqrt())
}

/// Step 8: back to the public scale, refusing anything non-finite.
#[inline]
pub(crate) fn finish(mu: f64, phi: f64, sigma: f64, config: &Config) -> Result<Rating, Error> {
    if !(mu.is_finite() && phi.is_finite() && sigma.is_finite()) {
        return Err(Error::NoConvergence {
            iterations: config.max_iterations(),
        });
    }
    Ok(Rating::saturating(mu * SCALE + CENTER, phi * SCALE, sigma))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_is_one_for_a_certain_opponent_and_falls_with_phi() {
        assert!((g(0.0) - 1.0).abs() < 1e-15);
        assert!(g(2.0) < g(1.0));
        // The paper's table: g(phi) for RD 30, 100, 300.
        for (rd, expected) in [(30.0, 0.9955), (100.0, 0.9531), (300.0, 0.7242)] {
            assert!((g(rd / SCALE) - expected).abs() < 1e-4, "g for RD {rd}");
        }
    }
}
