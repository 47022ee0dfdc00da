//! The paper's steps 3 to 8 on the Glicko-2 scale, shared by the one-player and the
//! population paths. Internal: inputs here are already validated.

use crate::config::Config;
use crate::error::Error;
use crate::rating::{CENTER, Rating, SCALE};

/// pi^2 / 3, the constant inside g (step 3).
const THREE_OVER_PI_SQ: f64 = 3.0 / (core::f64::consts::PI * core::f64::consts::PI);

/// g(phi) of step 3: how much an opponent's uncertainty damps a game's weight.
#[inline(always)]
pub(crate) fn g(phi: f64) -> f64 {
    1.0 / (1.0 + THREE_OVER_PI_SQ * phi * phi).sqrt()
}

/// What one game adds to a player's sums: `(g^2 E (1 - E), g (s - E))` (steps 3 and 4).
///
/// `g_opponent` is g(phi_j); `score` is s in [0, 1]; `exp` is the exponential to use
/// ([`f64::exp`] on latency-bound paths, [`exp`] in loops that vectorise). E(1 - E) is
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
    let t = exp(-g_opponent * (mu - mu_opponent));
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

/// One player who played in a period: pre-period values on the Glicko-2 scale and sums.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Player {
    pub(crate) mu: f64,
    /// Pre-period deviation (already aged and capped by the caller).
    pub(crate) phi: f64,
    pub(crate) sigma: f64,
    pub(crate) sums: Sums,
}

/// Steps 5 to 8 for one player who played: the new rating from the period's sums.
pub(crate) fn update(player: Player, config: &Config) -> Result<Rating, Error> {
    update_lanes(&[player], config).map(|[rating]| rating)
}

/// Steps 5 to 8 for `N` independent players at once.
///
/// The players' volatility iterations run in lockstep, so the processor overlaps their
/// otherwise serial chains of exp and division (the dominant cost of a small period).
/// Each lane performs exactly the operations of the one-player algorithm.
pub(crate) fn update_lanes<const N: usize>(
    players: &[Player; N],
    config: &Config,
) -> Result<[Rating; N], Error> {
    let mut lanes = [Volatility::default(); N];
    for (lane, player) in lanes.iter_mut().zip(players) {
        let v = 1.0 / player.sums.v_inv;
        let delta = v * player.sums.score;
        *lane = Volatility::start(
            player.sigma,
            player.phi * player.phi,
            v,
            delta * delta,
            config,
        )?;
    }
    // Step 5.4, lane by lane within each round.
    let cap = config.max_iterations();
    let tolerance = config.tolerance();
    let mut n_iterations = 0;
    while lanes.iter().any(|lane| !lane.converged(tolerance)) {
        if n_iterations == cap {
            return Err(Error::NoConvergence { iterations: cap });
        }
        n_iterations += 1;
        for lane in &mut lanes {
            let active = !lane.converged(tolerance);
            lane.step(active);
        }
    }
    let mut rated = [Rating::default(); N];
    for ((out, lane), player) in rated.iter_mut().zip(&lanes).zip(players) {
        // Step 5.5.
        let sigma_new = (lane.big_a / 2.0).exp();
        // Step 6: the pre-rating-period value phi*.
        let phi_star = config.cap_phi((player.phi * player.phi + sigma_new * sigma_new).sqrt());
        // Step 7.
        let phi_new = 1.0 / (1.0 / (phi_star * phi_star) + player.sums.v_inv).sqrt();
        let mu_new = player.mu + phi_new * phi_new * player.sums.score;
        // Step 8.
        *out = finish(mu_new, phi_new, sigma_new, config)?;
    }
    Ok(rated)
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

/// Step 5's state for one player: the Illinois variant of regula falsi on f(x), as in the
/// 2022-03-22 revision of the paper (with `<=` in step 5.4(b)).
#[derive(Debug, Clone, Copy, Default)]
struct Volatility {
    /// a = ln(sigma^2).
    a: f64,
    /// Delta^2 - phi^2 - v.
    numerator_constant: f64,
    /// phi^2 + v.
    denominator_constant: f64,
    inv_tau_sq: f64,
    big_a: f64,
    big_b: f64,
    f_a: f64,
    f_b: f64,
}

impl Volatility {
    /// Steps 5.1 to 5.3: f, the initial bracket [A, B] (its search capped by
    /// [`Config::max_iterations`]) and f(A), f(B).
    fn start(
        sigma: f64,
        phi_sq: f64,
        v: f64,
        delta_sq: f64,
        config: &Config,
    ) -> Result<Self, Error> {
        let sigma_sq = sigma * sigma;
        let mut state = Self {
            a: sigma_sq.ln(),
            numerator_constant: delta_sq - phi_sq - v,
            denominator_constant: phi_sq + v,
            inv_tau_sq: config.inv_tau_sq,
            ..Self::default()
        };
        state.big_a = state.a;
        // e^a = sigma^2: f(A) needs no exp.
        state.f_a = state.f(state.big_a, sigma_sq);
        if state.numerator_constant > 0.0 {
            // B = ln(Delta^2 - phi^2 - v), so e^B cancels the numerator: f(B) needs no exp.
            state.big_b = state.numerator_constant.ln();
            state.f_b = -(state.big_b - state.a) * state.inv_tau_sq;
            return Ok(state);
        }
        let tau = config.tau();
        let cap = config.max_iterations();
        let mut k = 1.0;
        let mut n_steps = 0;
        loop {
            let x = state.a - k * tau;
            let f_x = state.f(x, x.exp());
            if f_x >= 0.0 {
                state.big_b = x;
                state.f_b = f_x;
                return Ok(state);
            }
            n_steps += 1;
            if n_steps >= cap {
                return Err(Error::NoConvergence { iterations: cap });
            }
            k += 1.0;
        }
    }

    /// f(x) of step 5.1, given e^x.
    #[inline(always)]
    fn f(&self, x: f64, e_x: f64) -> f64 {
        let denominator = self.denominator_constant + e_x;
        e_x * (self.numerator_constant - e_x) / (2.0 * denominator * denominator)
            - (x - self.a) * self.inv_tau_sq
    }

    /// Whether step 5.4's loop is done: |B - A| <= epsilon.
    #[inline(always)]
    fn converged(&self, tolerance: f64) -> bool {
        (self.big_b - self.big_a).abs() <= tolerance
    }

    /// One round of step 5.4, applied only while `active`; written without branches on
    /// data so that lanes running in lockstep never stall on a mispredicted comparison.
    #[inline(always)]
    fn step(&mut self, active: bool) {
        let big_c = self.big_a + (self.big_a - self.big_b) * self.f_a / (self.f_b - self.f_a);
        let f_c = self.f(big_c, big_c.exp());
        let bracket_flips = f_c * self.f_b <= 0.0;
        let (big_a, f_a) = if bracket_flips {
            (self.big_b, self.f_b)
        } else {
            (self.big_a, self.f_a / 2.0)
        };
        if active {
            *self = Self {
                big_a,
                f_a,
                big_b: big_c,
                f_b: f_c,
                ..*self
            };
        }
    }
}

/// e^x for the per-game terms: branch-free, so loops over games vectorise.
///
/// Cody-Waite reduction x = k ln 2 + r with |r| <= ln(2)/2, a degree-13 Taylor polynomial
/// for e^r (truncation below 1e-17) and the exponent built from k's bits. Inputs are
/// clamped to [-708, 708], where e^x stays a normal number; within that range the result
/// is within a few ulp of `f64::exp` (checked in the tests below).
#[inline(always)]
pub(crate) fn exp(x: f64) -> f64 {
    const LOG2_E: f64 = core::f64::consts::LOG2_E;
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    // 1.5 * 2^52: adding it rounds to an integer held in the low mantissa bits.
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    let x = x.clamp(-708.0, 708.0);
    let shifted = x * LOG2_E + SHIFTER;
    let k = shifted - SHIFTER;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // Horner form of sum r^i / i! for i = 0..=13.
    let mut p = 1.0 / 6_227_020_800.0;
    p = p * r + 1.0 / 479_001_600.0;
    p = p * r + 1.0 / 39_916_800.0;
    p = p * r + 1.0 / 3_628_800.0;
    p = p * r + 1.0 / 362_880.0;
    p = p * r + 1.0 / 40_320.0;
    p = p * r + 1.0 / 5_040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // 2^k: k + 1023 placed in the exponent field (k is within [-1022, 1022] here).
    let k_bits = shifted.to_bits().wrapping_sub(SHIFTER.to_bits());
    let two_to_k = f64::from_bits(k_bits.wrapping_add(1023) << 52);
    p * two_to_k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_std_within_a_few_ulp() {
        let mut worst = 0.0_f64;
        let n = 200_000;
        for i in 0..=n {
            let x = -700.0 + 1400.0 * f64::from(i) / f64::from(n);
            let expected = x.exp();
            let relative = ((exp(x) - expected) / expected).abs();
            worst = worst.max(relative);
        }
        assert!(worst < 4.0 * f64::EPSILON, "worst relative error {worst:e}");
    }

    #[test]
    fn exp_is_exact_at_zero_and_saturates_without_overflow() {
        assert!((exp(0.0) - 1.0).abs() < f64::EPSILON);
        assert!(exp(1e9).is_finite());
        assert!(exp(-1e9) > 0.0);
        assert!(exp(f64::NEG_INFINITY) > 0.0);
    }

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
