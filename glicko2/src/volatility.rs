//! Step 5 of the paper: the new volatility sigma' by the Illinois variant of regula
//! falsi, for `N` players at once.

use crate::algorithm::Player;
use crate::config::Config;
use crate::error::Error;
use crate::fastmath::{Arith, exp, exp_in_range, exp_vectorisable, ln, select};

/// Step 5 for `N` independent players, one array element each.
///
/// Each round steps every lane whose iteration still runs, with the same operations for
/// every lane and selects instead of branches, so the lanes' serial chains of exp and
/// division overlap and, from four lanes on, the compiler vectorises them. A lane does
/// exactly the one-player algorithm of the 2022-03-22 revision of the paper (with `<=` in
/// step 5.4(b)), rearranged in two ways that keep its chain short:
/// - f(B) is kept as a fraction `n_b / d_b` with `d_b > 0`, so a round needs one division
///   on the chain, and the sign test of step 5.4(b) reads the numerator;
/// - e^A and e^B travel with A and B, so step 5.5's sigma'^2 = e^A needs no exp.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lanes<const N: usize> {
    /// a = ln(sigma^2).
    a: [f64; N],
    /// Delta^2 - phi^2 - v.
    numerator_constant: [f64; N],
    /// phi^2 + v.
    denominator_constant: [f64; N],
    big_a: [f64; N],
    f_a: [f64; N],
    pub(crate) exp_a: [f64; N],
    big_b: [f64; N],
    n_b: [f64; N],
    d_b: [f64; N],
    exp_b: [f64; N],
}

impl<const N: usize> Lanes<N> {
    /// Steps 3 to 5.3 for each player: v, Delta, f, and the initial bracket [A, B] (its
    /// search capped by [`Config::max_iterations`]).
    #[inline(always)]
    pub(crate) fn start<A: Arith>(players: &[Player; N], config: &Config) -> Result<Self, Error> {
        let mut lanes = Self {
            a: [0.0; N],
            numerator_constant: [0.0; N],
            denominator_constant: [0.0; N],
            big_a: [0.0; N],
            f_a: [0.0; N],
            exp_a: [0.0; N],
            big_b: [0.0; N],
            n_b: [0.0; N],
            d_b: [0.0; N],
            exp_b: [0.0; N],
        };
        for (lane, player) in players.iter().enumerate() {
            lanes.start_lane::<A>(lane, player, config)?;
        }
        Ok(lanes)
    }

    #[inline(always)]
    fn start_lane<A: Arith>(
        &mut self,
        lane: usize,
        player: &Player,
        config: &Config,
    ) -> Result<(), Error> {
        let v = 1.0 / player.sums.v_inv;
        let delta = v * player.sums.score;
        let phi_sq = player.scaled.phi * player.scaled.phi;
        let sigma_sq = player.scaled.sigma * player.scaled.sigma;
        // Step 5.1.
        let a = ln::<A>(sigma_sq);
        let numerator_constant = delta * delta - phi_sq - v;
        let denominator_constant = phi_sq + v;
        self.a[lane] = a;
        self.numerator_constant[lane] = numerator_constant;
        self.denominator_constant[lane] = denominator_constant;
        // Step 5.2: A = a, where e^a = sigma^2.
        self.big_a[lane] = a;
        self.exp_a[lane] = sigma_sq;
        let (n_a, d_a) = self.f_fraction::<A>(lane, a, sigma_sq, config.inv_tau_sq);
        self.f_a[lane] = n_a / d_a;
        if numerator_constant > 0.0 {
            // B = ln(Delta^2 - phi^2 - v): e^B cancels f's first term.
            let big_b = ln::<A>(numerator_constant);
            self.big_b[lane] = big_b;
            self.exp_b[lane] = numerator_constant;
            self.n_b[lane] = -(big_b - a) * config.inv_tau_sq;
            self.d_b[lane] = 1.0;
            return Ok(());
        }
        let cap = config.max_iterations();
        let mut k = 1.0;
        for _ in 0..cap {
            let x = a - k * config.tau();
            let exp_x = exp::<A>(x);
            let (n_x, d_x) = self.f_fraction::<A>(lane, x, exp_x, config.inv_tau_sq);
            if n_x >= 0.0 {
                self.big_b[lane] = x;
                self.exp_b[lane] = exp_x;
                self.n_b[lane] = n_x;
                self.d_b[lane] = d_x;
                return Ok(());
            }
            k += 1.0;
        }
        Err(Error::NoConvergence { iterations: cap })
    }

    /// Step 5.4 until every lane has |B - A| <= epsilon, at most
    /// [`Config::max_iterations`] rounds.
    #[inline(always)]
    pub(crate) fn run<A: Arith>(&mut self, config: &Config) -> Result<(), Error> {
        let tolerance = config.tolerance();
        let cap = config.max_iterations();
        let mut n_rounds = 0;
        while (0..N).any(|lane| !self.converged(lane, tolerance)) {
            if n_rounds == cap {
                return Err(Error::NoConvergence { iterations: cap });
            }
            n_rounds += 1;
            self.round::<A>(tolerance, config.inv_tau_sq);
        }
        Ok(())
    }

    #[inline(always)]
    fn converged(&self, lane: usize, tolerance: f64) -> bool {
        (self.big_b[lane] - self.big_a[lane]).abs() <= tolerance
    }

    /// f(x) of step 5.1 as `(numerator, denominator)` with a positive denominator, given
    /// e^x: both are f's terms multiplied by (phi^2 + v + e^x)^2 / 2, the 2 folded into the
    /// linear term, which shortens the chain of dependent operations by one.
    #[inline(always)]
    fn f_fraction<A: Arith>(&self, lane: usize, x: f64, exp_x: f64, inv_tau_sq: f64) -> (f64, f64) {
        let sum = self.denominator_constant[lane] + exp_x;
        let denominator = sum * sum;
        let numerator = A::mul_add(
            -denominator,
            (x - self.a[lane]) * inv_tau_sq,
            0.5 * exp_x * (self.numerator_constant[lane] - exp_x),
        );
        (numerator, denominator)
    }

    /// One round of step 5.4 over every lane; lanes that have converged keep their state.
    #[inline(always)]
    fn round<A: Arith>(&mut self, tolerance: f64, inv_tau_sq: f64) {
        for lane in 0..N {
            // A single lane is always active inside `run`'s loop: its selects fold away.
            let active = N == 1 || !self.converged(lane, tolerance);
            let (big_a, big_b) = (self.big_a[lane], self.big_b[lane]);
            let (f_a, n_b, d_b) = (self.f_a[lane], self.n_b[lane], self.d_b[lane]);
            // C = A + (A - B) f(A) / (f(B) - f(A)), multiplied through by d_b.
            let f_a_d_b = f_a * d_b;
            let big_c = big_a + (big_a - big_b) * f_a_d_b / (n_b - f_a_d_b);
            // C lies between A and B, well inside exp's range. From four lanes on, the
            // table-free exp lets the compiler vectorise the round.
            let exp_c = if N >= 4 {
                exp_vectorisable::<A>(big_c)
            } else {
                exp_in_range::<A>(big_c)
            };
            let (n_c, d_c) = self.f_fraction::<A>(lane, big_c, exp_c, inv_tau_sq);
            // Step 5.4(b): f(C) f(B) <= 0, read off the numerators' signs.
            let bracket_flips = (n_c <= 0.0 && n_b >= 0.0) || (n_c >= 0.0 && n_b <= 0.0);
            let keep_a = active & !bracket_flips;
            let take_b = active & bracket_flips;
            self.big_a[lane] = select(take_b, big_b, big_a);
            self.f_a[lane] = select(keep_a, f_a / 2.0, select(take_b, n_b / d_b, f_a));
            self.exp_a[lane] = select(take_b, self.exp_b[lane], self.exp_a[lane]);
            self.big_b[lane] = select(active, big_c, big_b);
            self.n_b[lane] = select(active, n_c, n_b);
            self.d_b[lane] = select(active, d_c, d_b);
            self.exp_b[lane] = select(active, exp_c, self.exp_b[lane]);
        }
    }
}
