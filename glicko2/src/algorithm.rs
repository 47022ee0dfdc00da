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
        *lane = Volatility::for_player(player, config)?;
    }
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
        *out = conclude(player, lane, config)?;
    }
    Ok(rated)
}

/// Steps 5 to 8 for many players, in waves: each round steps every player whose
/// iteration is still running, one after another, so thousands of independent chains
/// overlap and no work is spent on players who have converged.
///
/// `players` and `states` are parallel buffers; `active` is scratch. On success `out[i]`
/// is the new rating of `players[i]`.
pub(crate) fn update_many(
    players: &[Player],
    states: &mut Vec<Volatility>,
    active: &mut Vec<u32>,
    out: &mut Vec<Rating>,
    config: &Config,
) -> Result<(), Error> {
    let tolerance = config.tolerance();
    let cap = config.max_iterations();
    states.clear();
    active.clear();
    for (player_idx, player) in players.iter().enumerate() {
        let state = Volatility::for_player(player, config)?;
        if !state.converged(tolerance) {
            active.push(player_idx as u32);
        }
        states.push(state);
    }
    let mut n_rounds = 0;
    while !active.is_empty() {
        if n_rounds == cap {
            return Err(Error::NoConvergence { iterations: cap });
        }
        n_rounds += 1;
        let mut n_kept = 0;
        for slot in 0..active.len() {
            let player_idx = active[slot];
            let state = &mut states[player_idx as usize];
            state.step(true);
            // Branch-free compaction: always write, advance only if still running.
            active[n_kept] = player_idx;
            n_kept += usize::from(!state.converged(tolerance));
        }
        active.truncate(n_kept);
    }
    out.clear();
    for (player, state) in players.iter().zip(states.iter()) {
        out.push(conclude(player, state, config)?);
    }
    Ok(())
}

/// Steps 5.5 to 8 once a player's volatility iteration has converged.
#[inline]
fn conclude(player: &Player, state: &Volatility, config: &Config) -> Result<Rating, Error> {
    // Step 5.5: sigma' = e^(A/2), so sigma'^2 = e^A, which the iteration kept.
    let sigma_new_sq = state.exp_a;
    // Step 6: the pre-rating-period value phi*, squared and capped.
    let phi_star_sq = (player.phi * player.phi + sigma_new_sq).min(config.max_phi_sq);
    // Step 7.
    let phi_new_sq = 1.0 / (1.0 / phi_star_sq + player.sums.v_inv);
    let mu_new = player.mu + phi_new_sq * player.sums.score;
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

/// Step 5's state for one player: the Illinois variant of regula falsi on f(x), as in the
/// 2022-03-22 revision of the paper (with `<=` in step 5.4(b)).
///
/// Two rearrangements keep the serial chain of each round short without changing the
/// method: f(B) is kept as a fraction `n_b / d_b` (its denominator is positive, so its sign
/// is the numerator's and the round needs one division, not two), and e^A, e^B are kept
/// alongside A and B, so that sigma'^2 = e^A needs no final exp.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Volatility {
    /// a = ln(sigma^2).
    a: f64,
    /// Delta^2 - phi^2 - v.
    numerator_constant: f64,
    /// phi^2 + v.
    denominator_constant: f64,
    inv_tau_sq: f64,
    big_a: f64,
    f_a: f64,
    exp_a: f64,
    big_b: f64,
    /// f(B) = n_b / d_b with d_b > 0.
    n_b: f64,
    d_b: f64,
    exp_b: f64,
}

impl Volatility {
    /// Steps 3 to 5.3 for a player: v, Delta, then the iteration's start.
    fn for_player(player: &Player, config: &Config) -> Result<Self, Error> {
        let v = 1.0 / player.sums.v_inv;
        let delta = v * player.sums.score;
        Self::start(
            player.sigma,
            player.phi * player.phi,
            v,
            delta * delta,
            config,
        )
    }

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
        // A = a, where e^a = sigma^2.
        state.big_a = state.a;
        state.exp_a = sigma_sq;
        let (n_a, d_a) = state.f_fraction(state.big_a, sigma_sq);
        state.f_a = n_a / d_a;
        if state.numerator_constant > 0.0 {
            // B = ln(Delta^2 - phi^2 - v): e^B cancels f's first term.
            state.big_b = state.numerator_constant.ln();
            state.exp_b = state.numerator_constant;
            state.n_b = -(state.big_b - state.a) * state.inv_tau_sq;
            state.d_b = 1.0;
            return Ok(state);
        }
        let tau = config.tau();
        let cap = config.max_iterations();
        let mut k = 1.0;
        let mut n_steps = 0;
        loop {
            let x = state.a - k * tau;
            let exp_x = exp(x);
            let (n_x, d_x) = state.f_fraction(x, exp_x);
            if n_x >= 0.0 {
                (state.big_b, state.exp_b, state.n_b, state.d_b) = (x, exp_x, n_x, d_x);
                return Ok(state);
            }
            n_steps += 1;
            if n_steps >= cap {
                return Err(Error::NoConvergence { iterations: cap });
            }
            k += 1.0;
        }
    }

    /// f(x) of step 5.1 as `(numerator, denominator)` with a positive denominator, given e^x.
    ///
    /// Both are f's terms multiplied by (phi^2 + v + e^x)^2 / 2 (the 2 folded into the
    /// linear term), which shortens the chain of dependent operations by one.
    #[inline(always)]
    fn f_fraction(&self, x: f64, exp_x: f64) -> (f64, f64) {
        let sum = self.denominator_constant + exp_x;
        let denominator = sum * sum;
        let numerator = 0.5 * exp_x * (self.numerator_constant - exp_x)
            - denominator * ((x - self.a) * self.inv_tau_sq);
        (numerator, denominator)
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
        // C = A + (A - B) f(A) / (f(B) - f(A)), multiplied through by d_b.
        let f_a_d_b = self.f_a * self.d_b;
        let big_c = self.big_a + (self.big_a - self.big_b) * f_a_d_b / (self.n_b - f_a_d_b);
        // C lies between A and B, well inside exp's range: no clamp needed.
        let exp_c = exp_in_range(big_c);
        let (n_c, d_c) = self.f_fraction(big_c, exp_c);
        // f(C) f(B) <= 0, read off the numerators' signs.
        let bracket_flips = (n_c <= 0.0 && self.n_b >= 0.0) || (n_c >= 0.0 && self.n_b <= 0.0);
        let f_b = self.n_b / self.d_b;
        let keep_a = active & !bracket_flips;
        let next_a = select(keep_a, self.big_a, select(active, self.big_b, self.big_a));
        let next_f_a = select(keep_a, self.f_a / 2.0, select(active, f_b, self.f_a));
        let next_exp_a = select(keep_a, self.exp_a, select(active, self.exp_b, self.exp_a));
        self.big_a = next_a;
        self.f_a = next_f_a;
        self.exp_a = next_exp_a;
        self.big_b = select(active, big_c, self.big_b);
        self.n_b = select(active, n_c, self.n_b);
        self.d_b = select(active, d_c, self.d_b);
        self.exp_b = select(active, exp_c, self.exp_b);
    }
}

/// `if condition { when_true } else { when_false }` as bit masks, so that the compiler
/// emits no branch: the lockstep lanes' conditions are data-dependent and unpredictable.
#[inline(always)]
fn select(condition: bool, when_true: f64, when_false: f64) -> f64 {
    let mask = u64::from(condition).wrapping_neg();
    f64::from_bits((when_true.to_bits() & mask) | (when_false.to_bits() & !mask))
}

/// 2^(j/32) for j in 0..32, correctly rounded.
const EXP2_TABLE: [f64; 32] = [
    1.0,
    1.021_897_148_654_116_6,
    1.044_273_782_427_413_8,
    1.067_140_400_676_823_7,
    1.090_507_732_665_257_7,
    1.114_386_742_595_892_4,
    1.138_788_634_756_691_6,
    1.163_724_858_777_577_5,
    1.189_207_115_002_721,
    1.215_247_359_980_469,
    1.241_857_812_073_484,
    1.269_050_957_191_733_2,
    1.296_839_554_651_009_6,
    1.325_236_643_159_741_3,
    1.354_255_546_936_892_7,
    1.383_909_881_963_832,
    1.414_213_562_373_095_1,
    1.445_180_806_977_046_7,
    1.476_826_145_939_499_3,
    1.509_164_427_593_422_8,
    1.542_210_825_407_940_7,
    1.575_980_845_107_886_5,
    1.610_490_331_949_254_3,
    1.645_755_478_153_965,
    1.681_792_830_507_429,
    1.718_619_298_122_478,
    1.756_252_160_373_299_5,
    1.794_709_075_003_107_2,
    1.834_008_086_409_342_4,
    1.874_167_634_110_3,
    1.915_206_561_397_147_4,
    1.957_144_124_175_400_2,
];

/// e^x, inlined and branch-free: the algorithm's hot loops call it millions of times, and
/// the platform's `exp` costs a call, an errno wrapper and a serial dependency.
///
/// x = (32 m + j) ln(2)/32 + r with |r| <= ln(2)/64; e^r by its degree-6 Taylor polynomial
/// (truncation below 4e-18) in Estrin form for a short dependency chain; 2^(j/32) from a
/// table and 2^m added to its exponent. Inputs are clamped to [-708, 708], where e^x is a
/// normal number; within that range results are within a few ulp of `f64::exp` (checked in
/// the tests below).
#[inline(always)]
pub(crate) fn exp(x: f64) -> f64 {
    exp_in_range(x.clamp(-708.0, 708.0))
}

/// [`exp`] without the clamp, for arguments known to lie within [-708, 708]; outside that
/// range the result is meaningless (but never undefined behaviour).
#[inline(always)]
fn exp_in_range(x: f64) -> f64 {
    const N_OVER_LN2: f64 = 46.166_241_308_446_83;
    // ln(2)/32 split so that k * LN2_N_HI is exact for every k in range.
    const LN2_N_HI: f64 = 0.021_660_849_390_173_098;
    const LN2_N_LO: f64 = 2.325_192_846_878_874e-12;
    // 1.5 * 2^52: adding it rounds to an integer held in the low mantissa bits.
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    let shifted = x * N_OVER_LN2 + SHIFTER;
    let k = shifted - SHIFTER;
    let r = (x - k * LN2_N_HI) - k * LN2_N_LO;
    // k as a two's complement integer: j = k mod 32, m = floor(k / 32).
    let k_bits = shifted.to_bits().wrapping_sub(SHIFTER.to_bits());
    let j = (k_bits & 31) as usize;
    let m_shifted = ((k_bits as i64) >> 5) << 52;
    let scale = f64::from_bits(EXP2_TABLE[j].to_bits().wrapping_add(m_shifted as u64));
    let r2 = r * r;
    let high = (1.0 / 24.0 + r * (1.0 / 120.0)) + r2 * (1.0 / 720.0);
    let poly = (1.0 + r) + r2 * ((0.5 + r * (1.0 / 6.0)) + r2 * high);
    scale * poly
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
