//! The one integration-test binary of `tourney-core`: property tests of the game rules
//! against brute-force oracles, through the public API only.

mod bracket;
mod comments;
mod leaderboard;
mod pairing;
mod service;
mod tags;
