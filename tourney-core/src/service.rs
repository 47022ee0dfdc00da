//! The use cases: what users and the worker do, written against `ocean`'s ports only.
//!
//! [`Game`] holds the ports and the rules' configuration; each method is one use case
//! (create a user, propose matches, cast a vote, score a period, read a board...). Time and
//! randomness come in as parameters like everywhere in this crate, so every use case is
//! deterministic under test. Hosts parse requests, call one method and render its answer.

mod activity;
mod awards;
mod boards;
mod comments;
mod facebook;
mod held_votes;
mod matches;
mod moderation;
mod photo_details;
mod photos;
mod read_cache;
mod rescore;
mod scoring;
mod sharded;
mod social;
mod store;
mod tags;
mod tournaments;
mod trending_tags;
mod users;

use std::sync::{Arc, OnceLock};

use ocean::{Identity, JobQueue, Media, Notifications, Places, Records, Search, Stream};

use crate::bracket::SeedingMethod;
use crate::cadence::CadenceConfig;
use crate::error::Error;
use crate::leaderboard::LeaderboardConfig;
use crate::names::CategoryList;
use crate::pairing::PairingConfig;
use crate::period::RatingSettings;
use crate::trending::TrendingConfig;
use read_cache::{ReadCache, WatchedRecords};

pub use activity::{
    ActivityKind, ActivityView, MAX_BADGE, NotificationSettings, NotificationSettingsPatch,
};
pub use awards::{AWARDED_PLACES, AwardView, AwardsReport, IsoWeek};
pub use boards::{BoardQuery, BoardRefresher, BoardView, SharedBoardPage};
pub use comments::CommentView;
pub use facebook::{FACEBOOK_SYNC_QUEUE, FacebookSyncJob};
pub use held_votes::{HeldBallot, HeldVoteView, REPORT_GAMES};
pub use matches::{MatchView, Proposal, ProposalOptions, VoteOutcome};
pub use moderation::{
    FlagTarget, FlagView, HistoryEntry, MAX_REASON_CHARS, ModeratedComment, ModeratedPhoto,
    ModeratedUser, ModerationAction, QueueEntry,
};
pub use photos::{
    NewPhoto, NewUpload, PhotoState, PhotoView, ProcessedMedia, RENDITIONS, UploadJob,
};
pub use rescore::{RatingDifference, RescoreMode, RescoreReport};
pub use scoring::ScoringReport;
pub use social::{MAX_FEED_SOURCES, UserSummary};
pub use tags::{MAX_TAG_HITS, MAX_TAGS_PER_PHOTO, ReindexReport, TagHit};
pub use tournaments::TournamentView;
pub use trending_tags::{MAX_TRENDING_TAGS, TrendingTagView};
pub use users::{NewUser, PlaceView, ProfileFields, ProfilePatch, Role, UserView};

/// The stream votes travel on from the API to the scoring worker.
pub const VOTES_STREAM: &str = "votes";
/// The scoring worker's consumer name on [`VOTES_STREAM`].
pub const SCORER: &str = "scorer";
/// The job queue of uploaded media waiting to be processed.
pub const MEDIA_QUEUE: &str = "media";

/// Storage event notifications (S3's, through SQS) saying an upload was stored: the worker
/// hands each to [`Game::storage_event`].
pub const UPLOAD_EVENTS_QUEUE: &str = "media-uploaded";

/// Every job queue the game uses, for creating them ahead of time.
pub const JOB_QUEUES: [&str; 3] = [MEDIA_QUEUE, UPLOAD_EVENTS_QUEUE, FACEBOOK_SYNC_QUEUE];

/// A use case's refusal or failure, by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The input is malformed or breaks a rule; `field` names it.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The offending field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// No or bad credentials.
    #[error("unauthorized: {message}")]
    Unauthorized {
        /// Why.
        message: String,
    },
    /// Authenticated but not allowed.
    #[error("forbidden: {message}")]
    Forbidden {
        /// Why.
        message: String,
    },
    /// Something asked for does not exist; `code` is the API's error code and `what` a
    /// sentence saying what is missing.
    #[error("{what}")]
    NotFound {
        /// The API's snake_case code (`not_found`, `not_enough_photos`...).
        code: &'static str,
        /// What is missing, as a sentence.
        what: String,
    },
    /// The request conflicts with the current state (a taken name, an already judged match).
    #[error("{message}")]
    Conflict {
        /// The API's snake_case code.
        code: &'static str,
        /// What conflicts.
        message: String,
    },
    /// A game rule refused the input (a bracket report that cannot be).
    #[error(transparent)]
    Rules(#[from] Error),
    /// A port failed.
    #[error(transparent)]
    Port(#[from] ocean::Error),
    /// A stored record could not be read or written back.
    #[error("corrupt data: {what}")]
    Corrupt {
        /// Which record and why.
        what: String,
    },
}

impl ServiceError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// A plain `not_found`: "`thing` not found".
    pub(crate) fn not_found(thing: impl std::fmt::Display) -> Self {
        ServiceError::NotFound {
            code: "not_found",
            what: format!("{thing} not found"),
        }
    }
}

/// The ports the game uses.
#[derive(Debug, Clone)]
pub struct GamePorts {
    /// Users, photos, matches, ratings.
    pub records: Arc<dyn Records>,
    /// Originals and renditions.
    pub media: Arc<dyn Media>,
    /// Votes on their way to scoring.
    pub stream: Arc<dyn Stream>,
    /// Uploads waiting to be processed.
    pub queue: Arc<dyn JobQueue>,
    /// Nearest place for coordinates.
    pub places: Arc<dyn Places>,
    /// Tag search.
    pub search: Arc<dyn Search>,
    /// Mobile push.
    pub notifications: Arc<dyn Notifications>,
    /// Facebook identity; `None` when the deployment has no Facebook login.
    pub identity: Option<Arc<dyn Identity>>,
}

/// The game's rules as configured.
#[derive(Debug, Clone)]
pub struct GameConfig {
    /// The categories photos compete in.
    pub categories: CategoryList,
    /// Category of a new user's photos until they pick one.
    pub default_post_category: String,
    /// Category a new user judges until they pick one.
    pub default_view_category: String,
    /// Place id for users without a location.
    pub default_place: String,
    /// Nearest places farther than this are refused; `None`: any distance.
    pub max_place_distance_km: Option<f64>,
    /// Largest upload accepted, in bytes.
    pub max_upload_bytes: u64,
    /// How long a presigned upload stays valid.
    pub upload_expires_in: std::time::Duration,
    /// Newest ready photos of a pool considered for matches.
    pub pool_size: u32,
    /// Match proposal rules.
    pub pairing: PairingConfig,
    /// When judges get tournaments.
    pub cadence: CadenceConfig,
    /// How tournament photos are placed in the bracket.
    pub seeding: SeedingMethod,
    /// Rating rules.
    pub rating: RatingSettings,
    /// Board rules.
    pub leaderboard: LeaderboardConfig,
    /// How long a ranked board or a match pool is served without re-reading its photos
    /// while no photo changes in this process (changes made elsewhere show within this
    /// time).
    pub board_fresh_for: std::time::Duration,
    /// Most votes scored in one rating period.
    pub max_votes_per_period: u32,
    /// Whether the registration ladder requires a linked Facebook account.
    pub require_facebook: bool,
    /// Place ids whose boards [`Game::featured_boards`] shows, in order.
    pub featured_places: Vec<String>,
    /// How fast tag uses fade from trending.
    pub trending: TrendingConfig,
    /// How often the worker recomputes trending tags.
    pub trending_interval: std::time::Duration,
    /// Featured tags per category, in the order [`Game::featured_tags`] lists them.
    pub featured_tags: std::collections::BTreeMap<String, Vec<String>>,
    /// The public base URL of share pages: a photo's `share_url` is `<base>/<photo id>`.
    pub share_base_url: String,
    /// The least time between a match being proposed to a judge and their vote on it. A
    /// vote sooner than that (no person judges two photos that fast) is recorded but held
    /// for review: never sent for scoring, listed by [`Game::held_votes`]. Zero: off (the
    /// default here; the product's `app.min_vote_delay_ms` sets it).
    pub min_vote_delay: std::time::Duration,
}

impl Default for GameConfig {
    fn default() -> Self {
        Self {
            categories: CategoryList::default(),
            default_post_category: "female".to_owned(),
            default_view_category: "female".to_owned(),
            default_place: "5368361".to_owned(),
            max_place_distance_km: None,
            max_upload_bytes: 20 * 1024 * 1024,
            upload_expires_in: std::time::Duration::from_secs(60 * 60),
            pool_size: 200,
            pairing: PairingConfig::default(),
            cadence: CadenceConfig::default(),
            seeding: SeedingMethod::ByRating,
            rating: RatingSettings::default(),
            leaderboard: LeaderboardConfig::default(),
            board_fresh_for: std::time::Duration::from_secs(1),
            max_votes_per_period: 10_000,
            require_facebook: false,
            featured_places: Vec::new(),
            trending: TrendingConfig::default(),
            trending_interval: std::time::Duration::from_secs(60),
            featured_tags: std::collections::BTreeMap::new(),
            share_base_url: "http://127.0.0.1:8080".to_owned(),
            min_vote_delay: std::time::Duration::ZERO,
        }
    }
}

/// The game: its ports and rules. Cheap to clone; share one per process.
#[derive(Debug, Clone)]
pub struct Game {
    ports: GamePorts,
    config: Arc<GameConfig>,
    read_cache: Arc<ReadCache>,
    /// The configured default place once read from the places port (`Game::place_of`),
    /// shared by the clones, so users without a location are placed while places is down.
    default_place: Arc<OnceLock<PlaceView>>,
}

impl Game {
    /// The game over `ports` with `config`. Its clones share one cache of ranked boards and
    /// match pools, which follows every photo change made through them.
    pub fn new(mut ports: GamePorts, config: GameConfig) -> Self {
        let read_cache = Arc::new(ReadCache::new(config.board_fresh_for));
        ports.records = Arc::new(WatchedRecords::new(ports.records, Arc::clone(&read_cache)));
        Self {
            ports,
            config: Arc::new(config),
            read_cache,
            default_place: Arc::new(OnceLock::new()),
        }
    }

    /// The rules in force.
    pub fn config(&self) -> &GameConfig {
        &self.config
    }

    /// The ports in use.
    pub fn ports(&self) -> &GamePorts {
        &self.ports
    }
}
