//! Glicko-2 ratings exactly as in Mark Glickman's "Example of the Glicko-2 system"
//! (revision of 2022-03-22), steps 1 to 8, for one player or a whole population.
//!
//! - **Exact**: reproduces the paper's worked example to 1e-6 and agrees with an
//!   independent implementation to 1e-9 (see the crate's tests).
//! - **Total**: inputs are validated at the boundary ([`Rating::new`], [`Config`], scores in
//!   [0, 1]); results are never NaN or infinite, nothing panics, and the volatility
//!   iteration is capped ([`Error::NoConvergence`]).
//! - **Fast**: g(phi) is cached per player and E computed once per game side; a population
//!   period ([`Period`]) reuses its buffers and allocates nothing per game; on x86-64 the hot
//!   paths run as AVX2+FMA copies when the processor has them (chosen at run time).
//! - **Small**: no dependencies; `serde` is an optional feature.
//!
//! # Quick start
//!
//! ```
//! use glicko2::{Config, PairGame, Period, Rating, predict, rate_pair};
//!
//! let config = Config::default();
//!
//! // One game between two new players.
//! let (winner, loser) = rate_pair(Rating::default(), Rating::default(), 1.0, &config)?;
//! assert!(winner.rating() > loser.rating());
//!
//! // What a match puts at stake, before it is played.
//! let stakes = predict(winner, loser, &config)?;
//! assert!(stakes.b_win_delta > stakes.a_win_delta); // the underdog gains more
//!
//! // A whole rating period: all games at once, absent players age.
//! let mut ratings = vec![Rating::default(); 4];
//! let games = [PairGame::new(0, 1, 1.0), PairGame::new(2, 0, 0.0)];
//! let summary = Period::new().rate(&mut ratings, &games, &config)?;
//! assert_eq!((summary.n_played, summary.n_absent), (3, 1));
//! # Ok::<(), glicko2::Error>(())
//! ```
//!
//! # Scales
//! [`Rating`] is on the public scale (1500 / 350 / 0.06 for a new player);
//! [`Rating::to_glicko2`] gives the paper's mu, phi and sigma (step 2).

#![warn(missing_docs)]

mod algorithm;
mod config;
mod dispatch;
mod error;
mod fastmath;
mod period;
mod player;
mod rating;
mod volatility;

pub use config::{Config, ConfigBuilder};
pub use error::Error;
pub use period::{PairGame, Period, PeriodSummary, rate_period};
pub use player::{Game, Prediction, decay, expected_score, predict, rate, rate_pair};
pub use rating::{CENTER, Glicko2Scale, Rating, SCALE};
