//! LocalPicTourney's game rules as pure functions: who plays whom, when a judge gets a
//! tournament, how votes become ratings, and who ranks where.
//!
//! Nothing here does I/O, reads a clock or draws ambient randomness: the current instant
//! is a [`Timestamp`] parameter and randomness is the caller's `&mut impl rand::Rng`, so
//! every rule is deterministic under test. Inputs are validated once, by the newtypes'
//! `parse` ([`PhotoId`], [`MatchId`], [`Category`], [`Tag`], [`UserName`], [`PlaceId`],
//! [`Coordinates`]); the code behind them is total. Every refusal is an [`Error`].
//!
//! | module area | entry points |
//! | --- | --- |
//! | ids and names | [`UserId`], [`PhotoId`], [`TournamentId`], [`MatchId`], [`PlaceId`], [`Category`], [`Tag`], [`UserName`], [`Coordinates`] |
//! | pools | [`Pool`], [`Scope`], [`PlaceArea`], [`MediaType`] |
//! | pairing | [`propose_matches`], [`PairingConfig`], [`PairingStrategy`], [`misorder_probability`] |
//! | prediction | [`predict_match`] |
//! | cadence | [`CadenceState::plan_response`], [`CadenceState::after_response`] |
//! | brackets | [`Bracket::seed`], [`Bracket::validate_report`], [`BracketResult::votes`] |
//! | rating periods | [`RatingPeriod::rate`], [`PhotoRating::aged_to`], [`Vote`] |
//! | leaderboards | [`rank_board`], [`page`], [`Window`], [`RankingKey`], [`Cursor`] |
//! | trending | [`trending_tags`], [`DecayingCount`] |
//! | registration, stats | [`registration_status`], [`win_loss_ratio`] |
//!
//! # Quick start
//!
//! ```
//! use std::collections::HashMap;
//! use rand::SeedableRng;
//! use rand::rngs::SmallRng;
//! use tourney_core::{
//!     JudgeHistory, MediaType, PairingCandidate, PairingConfig, PairingRequest, PhotoRating,
//!     RatingPeriod, RatingSettings, Side, Timestamp, UserId, Vote, PhotoId, propose_matches,
//! };
//!
//! let mut rng = SmallRng::seed_from_u64(7);
//! let now = Timestamp::from_millis(1_700_000_000_000);
//! let settings = RatingSettings::default();
//!
//! // Six photos by six photographers, all new.
//! let photos: Vec<PairingCandidate> = (1..=6u128)
//!     .map(|n| PairingCandidate {
//!         photo_id: PhotoId::generate(now, &mut rng),
//!         owner: UserId::from_u128(n),
//!         media_type: MediaType::Photo,
//!         rating: settings.glicko().new_rating(),
//!         n_games: 0,
//!     })
//!     .collect();
//!
//! // A judge (who owns photo 1) asks for matches: never their own photo.
//! let judge = UserId::from_u128(1);
//! let history = JudgeHistory::default();
//! let request = PairingRequest { judge, candidates: &photos, history: &history, must_include: None };
//! let matches = propose_matches(&request, &PairingConfig::default(), &mut rng)?;
//! assert!(matches.iter().all(|m| !m.match_id.contains(photos[0].photo_id)));
//!
//! // The judge picks the left photo every time; the worker scores the votes as one period.
//! let votes: Vec<Vote> = matches
//!     .iter()
//!     .map(|m| Vote::new(m.left, m.right, Side::Left))
//!     .collect::<Result<_, _>>()?;
//! let stored: HashMap<PhotoId, PhotoRating> =
//!     photos.iter().map(|p| (p.photo_id, PhotoRating::new_photo(&settings))).collect();
//! let rated = RatingPeriod::new().rate(&votes, |id| stored.get(&id).copied(), now, &settings)?;
//! assert!(rated.iter().all(|photo| photo.after.rating.deviation() < 350.0));
//! # Ok::<(), tourney_core::Error>(())
//! ```

#![warn(missing_docs)]

mod bracket;
mod cadence;
mod error;
mod geo;
mod ids;
mod leaderboard;
mod named;
mod names;
mod pairing;
mod period;
mod pool;
mod prediction;
mod registration;
pub mod service;
mod stats;
mod time;
mod trending;

pub use bracket::{
    BRACKET_GAMES, BRACKET_SIZE, Bracket, BracketCandidate, BracketResult, STANDARD_SEED_ORDER,
    SeedingMethod,
};
pub use cadence::{CadenceConfig, CadenceRequest, CadenceState, ResponsePlan, ServedResponse};
pub use error::Error;
pub use geo::Coordinates;
pub use ids::{CommentId, MatchId, PhotoId, PlaceId, TournamentId, UserId};
pub use leaderboard::{
    BoardEntry, BoardPhoto, Cursor, LeaderboardConfig, Page, PageSize, RankingKey, Window, page,
    page_start, rank_board,
};
pub use names::{Category, CategoryList, CommentText, Tag, UserName};
pub use pairing::{
    JudgeHistory, PairingCandidate, PairingConfig, PairingPool, PairingRequest, PairingStrategy,
    ProposedMatch, ShownPairs, misorder_probability, propose_matches,
};
pub use period::{PhotoRating, RatedPhoto, RatingPeriod, RatingSettings, Side, Vote};
pub use pool::{MediaType, PlaceArea, Pool, Scope};
pub use prediction::predict_match;
pub use registration::{Profile, RegistrationConfig, RegistrationStatus, registration_status};
pub use stats::win_loss_ratio;
pub use time::Timestamp;
pub use trending::{DecayingCount, TagUse, TrendingConfig, TrendingTag, trending_tags};
