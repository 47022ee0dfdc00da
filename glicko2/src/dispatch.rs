//! Run-time choice of code generation for the hot paths. A build for plain x86-64 (SSE2)
//! also carries a copy of each hot path compiled for AVX2 with FMA, and takes it when the
//! processor supports both; any other build (already AVX2+FMA, or another architecture)
//! calls the portable path directly. This module is the crate's only `unsafe` code.
#![allow(unsafe_code)]

use crate::config::Config;
use crate::error::Error;
use crate::fastmath::Portable;
use crate::period::{PairGame, Period, PeriodSummary};
use crate::player::{self, Game};
use crate::rating::{Glicko2Scale, Rating};

/// Whether this build carries AVX2+FMA copies: plain x86-64 builds only.
macro_rules! fused_copies {
    ($($item:item)*) => {
        $(
            #[cfg(all(
                target_arch = "x86_64",
                not(all(target_feature = "avx2", target_feature = "fma"))
            ))]
            $item
        )*
    };
}

fused_copies! {
    /// Whether to take the AVX2+FMA copies: the processor supports both.
    #[inline]
    fn fused_available() -> bool {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
}

/// `fused::$copy(args)` when this build carries the AVX2+FMA copies and the processor has
/// both features; otherwise `$portable`.
macro_rules! dispatch {
    ($copy:ident($($arg:expr),*), $portable:expr) => {{
        #[cfg(all(
            target_arch = "x86_64",
            not(all(target_feature = "avx2", target_feature = "fma"))
        ))]
        if fused_available() {
            // SAFETY: the processor supports AVX2 and FMA, the features the copy is built for.
            return unsafe { fused::$copy($($arg),*) };
        }
        $portable
    }};
}

/// One player's period with games (see [`crate::rate`]).
pub(crate) fn rate_games(
    scaled: Glicko2Scale,
    games: &[Game],
    config: &Config,
) -> Result<Rating, Error> {
    dispatch!(
        rate_games(scaled, games, config),
        player::rate_games::<Portable>(scaled, games, config)
    )
}

/// Both players of one game (see [`crate::rate_pair`]).
pub(crate) fn rate_pair(
    a: Glicko2Scale,
    b: Glicko2Scale,
    score_a: f64,
    config: &Config,
) -> Result<(Rating, Rating), Error> {
    dispatch!(
        rate_pair(a, b, score_a, config),
        player::rate_pair_scaled::<Portable>(a, b, score_a, config)
    )
}

/// A population's period (see [`Period::rate`]).
pub(crate) fn rate_period(
    period: &mut Period,
    ratings: &mut [Rating],
    games: &[PairGame],
    config: &Config,
) -> Result<PeriodSummary, Error> {
    dispatch!(
        rate_period(period, ratings, games, config),
        period.rate_with::<Portable>(ratings, games, config)
    )
}

fused_copies! {
    /// The AVX2+FMA copies: the same generic code, instantiated with fused arithmetic
    /// inside functions compiled for those features (every callee is `#[inline(always)]`).
    mod fused {
        use super::*;
        use crate::fastmath::Fused;

        #[target_feature(enable = "avx2,fma")]
        pub(super) fn rate_games(
            scaled: Glicko2Scale,
            games: &[Game],
            config: &Config,
        ) -> Result<Rating, Error> {
            player::rate_games::<Fused>(scaled, games, config)
        }

        #[target_feature(enable = "avx2,fma")]
        pub(super) fn rate_pair(
            a: Glicko2Scale,
            b: Glicko2Scale,
            score_a: f64,
            config: &Config,
        ) -> Result<(Rating, Rating), Error> {
            player::rate_pair_scaled::<Fused>(a, b, score_a, config)
        }

        #[target_feature(enable = "avx2,fma")]
        pub(super) fn rate_period(
            period: &mut Period,
            ratings: &mut [Rating],
            games: &[PairGame],
            config: &Config,
        ) -> Result<PeriodSummary, Error> {
            period.rate_with::<Fused>(ratings, games, config)
        }
    }
}

#[cfg(test)]
mod tests {
    //! Both arithmetic paths are exercised here whatever this machine takes at run time:
    //! the portable one (SSE2 machines) and the fused one (called outside AVX2 code it is
    //! slow but exact, `f64::mul_add` being a correct fused multiply-add everywhere).
    use super::*;
    use crate::fastmath::{Arith, Fused};
    use rand::rngs::SmallRng;
    use rand::{RngExt, SeedableRng};

    fn random_rating(rng: &mut SmallRng) -> Rating {
        Rating::new(
            rng.random_range(800.0..2200.0),
            rng.random_range(30.0..350.0),
            rng.random_range(0.03..0.09),
        )
        .unwrap()
    }

    fn paper_example<A: Arith>() -> Rating {
        let games = [
            Game::new(Rating::new(1400.0, 30.0, 0.06).unwrap(), 1.0),
            Game::new(Rating::new(1550.0, 100.0, 0.06).unwrap(), 0.0),
            Game::new(Rating::new(1700.0, 300.0, 0.06).unwrap(), 0.0),
        ];
        let player = Rating::new(1500.0, 200.0, 0.06).unwrap().to_glicko2();
        player::rate_games::<A>(player, &games, &Config::default()).unwrap()
    }

    #[test]
    fn both_paths_reproduce_the_papers_example() {
        for rated in [paper_example::<Portable>(), paper_example::<Fused>()] {
            assert!((rated.rating() - 1464.050671).abs() < 1e-6, "{rated}");
            assert!((rated.deviation() - 151.516524).abs() < 1e-6, "{rated}");
            assert!((rated.volatility() - 0.059995984).abs() < 1e-6, "{rated}");
        }
    }

    #[test]
    fn both_paths_agree_on_periods_pairs_and_populations() {
        let mut rng = SmallRng::seed_from_u64(0x6475_616c);
        let config = Config::default();
        let close = |x: Rating, y: Rating| {
            (x.rating() - y.rating()).abs() < 1e-9
                && (x.deviation() - y.deviation()).abs() < 1e-9
                && (x.volatility() - y.volatility()).abs() < 1e-9
        };
        for _ in 0..2_000 {
            let player = random_rating(&mut rng).to_glicko2();
            let n_games = rng.random_range(1..=20);
            let games: Vec<Game> = (0..n_games)
                .map(|_| {
                    Game::new(
                        random_rating(&mut rng),
                        f64::from(rng.random_range(0..=2_u8)) / 2.0,
                    )
                })
                .collect();
            let portable = player::rate_games::<Portable>(player, &games, &config).unwrap();
            let fused = player::rate_games::<Fused>(player, &games, &config).unwrap();
            assert!(close(portable, fused), "{portable} vs {fused}");

            let other = random_rating(&mut rng).to_glicko2();
            let (a1, b1) =
                player::rate_pair_scaled::<Portable>(player, other, 1.0, &config).unwrap();
            let (a2, b2) = player::rate_pair_scaled::<Fused>(player, other, 1.0, &config).unwrap();
            assert!(close(a1, a2) && close(b1, b2));
        }
        let start: Vec<Rating> = (0..300).map(|_| random_rating(&mut rng)).collect();
        let games: Vec<PairGame> = (0..3_000)
            .map(|_| {
                let a = rng.random_range(0..300_u32);
                let b = (a + rng.random_range(1..300_u32)) % 300;
                PairGame::new(a, b, f64::from(rng.random_range(0..=1_u8)))
            })
            .collect();
        let (mut portable, mut fused) = (start.clone(), start);
        Period::new()
            .rate_with::<Portable>(&mut portable, &games, &config)
            .unwrap();
        Period::new()
            .rate_with::<Fused>(&mut fused, &games, &config)
            .unwrap();
        for (x, y) in portable.iter().zip(&fused) {
            assert!(close(*x, *y), "{x} vs {y}");
        }
    }
}
