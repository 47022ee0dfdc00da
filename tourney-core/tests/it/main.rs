//! The one integration-test binary of `tourney-core`: property tests of the game rules
//! against brute-force oracles, through the public API only.

mod awards;
mod bracket;
mod comments;
mod credentials;
mod global_pool;
mod held_votes;
mod leaderboard;
mod moderation;
mod pairing;
mod period;
mod service;
mod tags;
mod trending_tags;
