//! The one error type of the crate: every input a game rule refuses, with the offending
//! field, value or position, so a host can turn it into a precise HTTP answer.

use crate::ids::PhotoId;

/// Why a game rule refused its input.
///
/// Parsing errors name the field and the value; game errors carry what a client needs to
/// understand the refusal (how many photos were eligible, which bracket position was wrong).
/// Messages are lowercase without a final period so they compose into longer messages.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An id was not the expected number of lowercase hexadecimal characters.
    #[error("{field} must be {expected_len} lowercase hex characters, got {value:?}")]
    InvalidHexId {
        /// Which id (`photo_id`, `match_id`...).
        field: &'static str,
        /// The text that was given.
        value: String,
        /// How many hex characters the id has.
        expected_len: usize,
    },
    /// A match id whose first photo id is not strictly below its second.
    #[error("match_id {value:?} must list its two photo ids in increasing order")]
    MatchIdOrder {
        /// The text that was given.
        value: String,
    },
    /// A match or vote pairs a photo with itself.
    #[error("photo {photo_id} cannot be paired with itself")]
    SamePhotoTwice {
        /// The photo named twice.
        photo_id: PhotoId,
    },
    /// A text field was too short or too long (lengths count Unicode scalar values).
    #[error("{field} must be {min} to {max} characters long, got {n_chars} in {value:?}")]
    TextLength {
        /// Which field (`tag`, `user_name`, `place_id`...).
        field: &'static str,
        /// The text that was given.
        value: String,
        /// Its length in characters.
        n_chars: usize,
        /// Shortest accepted length.
        min: usize,
        /// Longest accepted length.
        max: usize,
    },
    /// A text field held a character it may not hold.
    #[error("{field} {value:?} contains a character that is not allowed: {reason}")]
    TextCharacters {
        /// Which field.
        field: &'static str,
        /// The text that was given.
        value: String,
        /// What is allowed instead.
        reason: &'static str,
    },
    /// A name that must be one of a fixed set of names (a scope, a window...) was not.
    #[error("{field} must be one of {allowed}, got {value:?}")]
    UnknownName {
        /// Which field (`when`, `scope`, `strategy`...).
        field: &'static str,
        /// The text that was given.
        value: String,
        /// The accepted names, comma separated.
        allowed: String,
    },
    /// A category that is not in the configured list.
    #[error("category {value:?} is not one of the configured categories ({allowed})")]
    UnknownCategory {
        /// The text that was given.
        value: String,
        /// The configured categories, comma separated.
        allowed: String,
    },
    /// A configured list of categories was empty or held the same category twice.
    #[error("the category list {reason}")]
    InvalidCategoryList {
        /// What is wrong with it.
        reason: String,
    },
    /// A coordinate was not a number or outside its range.
    #[error("{field} must be a number within [{min}, {max}], got {value:?}")]
    CoordinateOutOfRange {
        /// `lat` or `lon`.
        field: &'static str,
        /// The text or number that was given.
        value: String,
        /// Smallest accepted value.
        min: f64,
        /// Largest accepted value.
        max: f64,
    },
    /// A `Geo-Position` header that does not have the `<lat>;<lon>;<alt> ...` shape.
    #[error(
        "geo position {value:?} must look like \"<lat>;<lon>;<alt> hdn=<heading> spd=<speed>\""
    )]
    MalformedGeoPosition {
        /// The text that was given.
        value: String,
    },
    /// A configuration value that cannot work (a zero length, a zero count...).
    #[error("setting {field} {reason}")]
    InvalidSetting {
        /// Which setting.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Fewer than two photos are eligible for a match (HTTP 404 `not_enough_photos`).
    #[error("not enough photos: {eligible} eligible, at least 2 needed")]
    NotEnoughPhotos {
        /// How many photos could be in at least one allowed match (not the judge's, with a
        /// partner of another owner and the same media type): 0 or 1.
        eligible: usize,
    },
    /// Every allowed pair has already been judged by this judge (HTTP 404 `no_unique_matches`).
    #[error("no unique matches left: all {n_allowed_pairs} allowed pairs have been judged")]
    NoUniqueMatches {
        /// How many pairs the rules allow in this pool, all of them judged.
        n_allowed_pairs: usize,
    },
    /// Fewer than 16 photos are eligible for a tournament; the tournament waits.
    #[error("not enough photos for a tournament: {eligible} eligible, {needed} needed")]
    NotEnoughTournamentPhotos {
        /// How many photos were eligible.
        eligible: usize,
        /// How many a bracket needs.
        needed: usize,
    },
    /// A bracket report does not name one winner per game.
    #[error("a tournament report must name {expected} winners, got {got}")]
    BracketReportLength {
        /// How many winners were given.
        got: usize,
        /// How many games a bracket has.
        expected: usize,
    },
    /// A bracket report names a winner that does not reach that game (HTTP 422).
    #[error("position {position}: winner {winner} is not one of the two photos in that game")]
    BracketWinnerNotInGame {
        /// The game's position, 0 to 14.
        position: usize,
        /// The photo the report named.
        winner: PhotoId,
    },
    /// A vote names a photo whose rating was not supplied.
    #[error("vote {vote_idx} names photo {photo_id}, whose rating was not supplied")]
    UnknownPhotoInVote {
        /// Position of the vote in the batch.
        vote_idx: usize,
        /// The photo without a rating.
        photo_id: PhotoId,
    },
    /// A batch of votes touching more photos than a rating period can index (2^32).
    #[error("vote {vote_idx} brings the period past {max} photos")]
    TooManyPhotosInPeriod {
        /// Position of the vote in the batch.
        vote_idx: usize,
        /// The most photos one period can rate.
        max: u64,
    },
    /// A leaderboard cursor that this crate did not produce.
    #[error("cursor {value:?} is not a valid leaderboard cursor")]
    InvalidCursor {
        /// The text that was given.
        value: String,
    },
    /// A leaderboard page size outside the accepted range.
    #[error("count must be within [1, {max}], got {count}")]
    PageSizeOutOfRange {
        /// The page size asked for.
        count: u32,
        /// The largest page size.
        max: u32,
    },
    /// The rating maths refused an input (see [`glicko2::Error`]).
    #[error("rating: {0}")]
    Rating(#[from] glicko2::Error),
}

impl Error {
    /// The input field at fault, when the error names one (`user_name`, `lat`, `cursor`...),
    /// for APIs that report it.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::InvalidHexId { field, .. }
            | Error::TextLength { field, .. }
            | Error::TextCharacters { field, .. }
            | Error::UnknownName { field, .. }
            | Error::CoordinateOutOfRange { field, .. }
            | Error::InvalidSetting { field, .. } => Some(field),
            Error::UnknownCategory { .. } => Some("category"),
            Error::MalformedGeoPosition { .. } => Some("location"),
            Error::InvalidCursor { .. } => Some("cursor"),
            Error::PageSizeOutOfRange { .. } => Some("count"),
            Error::BracketReportLength { .. } | Error::BracketWinnerNotInGame { .. } => {
                Some("winners")
            }
            _ => None,
        }
    }
}
