//! The product's own settings, the `[app]` section of `ocean::Settings`: where the server
//! listens and the game's rules that operators may tune.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use serde::{Deserialize, Serialize};

/// LocalPicTourney's `[app]` settings (`OCEAN__APP__<KEY>` in the environment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TourneySettings {
    /// Address the HTTP server listens on (`127.0.0.1:0` picks a free port).
    pub listen: String,
    /// The categories photos compete in.
    pub categories: Vec<String>,
    /// Category a new user's photos go to until they pick one.
    pub default_post_category: String,
    /// Category a new user judges until they pick one.
    pub default_view_category: String,
    /// Place id used for users without a location (default: Los Angeles in the GeoNames set).
    pub default_place: String,
    /// Nearest place farther than this is refused (kilometres); unset: any distance.
    pub max_place_distance_km: Option<f64>,
    /// Seconds between the worker's scoring runs.
    pub score_interval_secs: u64,
    /// Milliseconds a ranked leaderboard is served from memory while no photo changes in
    /// this process; changes made by other processes (other servers, a separate worker)
    /// show within this time. 0 ranks on every request (large boards are still throttled).
    /// Also how long a token's owner and the user's standing (banned, deleted) are kept:
    /// other processes' bans take effect within this time, this process's at once.
    pub board_fresh_ms: u64,
    /// Largest upload accepted, in bytes.
    pub max_upload_bytes: u64,
    /// Whether the registration ladder requires a linked Facebook account.
    pub require_facebook: bool,
    /// Place ids whose boards `GET /v1/leaderboards/{category}` shows (default: the 19
    /// largest US cities of the GeoNames dataset; the first generation's list of 19 is not
    /// recorded).
    pub featured_places: Vec<String>,
    /// Seconds after which a tag use counts half as much on the trending lists.
    pub trending_half_life_secs: u64,
    /// Seconds between the worker's recomputations of the trending lists.
    pub trending_interval_secs: u64,
    /// Featured tags per category (`GET /v1/tags/{category}` lists those with photos, in
    /// this order).
    pub featured_tags: BTreeMap<String, Vec<String>>,
    /// Whether the server runs behind a reverse proxy that appends to `X-Forwarded-For`:
    /// the client address recorded with a flag, and counted by the per-address rate limits,
    /// is then the entry `proxy_hops` from the header's end (what the outermost trusted
    /// proxy saw), else the connection's peer address. Entries further left are whatever
    /// the client sent, so they are never used.
    pub behind_proxy: bool,
    /// How many proxies in front of the server each append to `X-Forwarded-For` (1: one
    /// load balancer; 2: a CDN and a load balancer). Only with `behind_proxy`.
    pub proxy_hops: NonZeroU32,
    /// The server's public base URL, where share pages live (`share_url` is
    /// `<public_url>/<photo id>`); unset: the embedded media backend's `public_url`, else
    /// the listen address.
    pub public_url: Option<String>,
    /// How the hosts log: human-readable `text` lines or `json` lines (the command line's
    /// `--log-json` also selects JSON).
    pub log_format: LogFormat,
    /// Where Sentry events go (a secret: the DSN carries the project key); unset: no
    /// Sentry. Every 5xx and every failed worker step becomes an event.
    pub sentry_dsn: Option<ocean::settings::Secret>,
    /// The Sentry environment name (`production`, `staging`...).
    pub sentry_environment: Option<String>,
    /// Milliseconds that must pass between a match being proposed to a judge and their
    /// vote on it. A vote sooner than that is recorded but held for review (answered 200
    /// with `held: true`, never scored, listed to admins at `/admin/held_votes`). 0: off.
    pub min_vote_delay_ms: u64,
    /// Request rate limits per client address and per user (`[app.rate_limits]`).
    pub rate_limits: RateLimitSettings,
}

/// Rate limits on the requests that create things, per client address (the address flags
/// record: see `behind_proxy`) and per signed-in user, each a token bucket: `*_burst`
/// requests at once, refilled at `*_per_minute`. A request over a limit is answered 429
/// with `Retry-After`. A `*_per_minute` of 0 turns that limit off.
///
/// The defaults leave a person on a phone far below every limit (judging is fast: a vote
/// every half second for a minute stays within the per-user vote limit), and the per-address
/// limits room for many people behind one address (a carrier's NAT, an office).
/// Keys are flat (`votes_user_per_minute`), so setting one keeps the others' defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSettings {
    /// Whether any limit applies (false: none, whatever the numbers below say).
    pub enabled: bool,
    /// Sign-ups (`POST /v1/users`) per minute from one address.
    pub sign_up_ip_per_minute: u32,
    /// Sign-ups one address may make at once.
    pub sign_up_ip_burst: u32,
    /// Votes (`PUT /v1/users/me/matches/{id}` and tournament reports) per minute from one
    /// address.
    pub votes_ip_per_minute: u32,
    /// Votes one address may send at once.
    pub votes_ip_burst: u32,
    /// Votes per minute from one user.
    pub votes_user_per_minute: u32,
    /// Votes one user may send at once.
    pub votes_user_burst: u32,
    /// New comments per minute from one address.
    pub comments_ip_per_minute: u32,
    /// New comments one address may send at once.
    pub comments_ip_burst: u32,
    /// New comments per minute from one user.
    pub comments_user_per_minute: u32,
    /// New comments one user may send at once.
    pub comments_user_burst: u32,
    /// Flags per minute from one address.
    pub flags_ip_per_minute: u32,
    /// Flags one address may send at once.
    pub flags_ip_burst: u32,
    /// Flags per minute from one user.
    pub flags_user_per_minute: u32,
    /// Flags one user may send at once.
    pub flags_user_burst: u32,
    /// Upload requests (`POST /v1/photos` and `POST /v1/photos/{id}/uploaded`: two per
    /// photo) per minute from one address.
    pub uploads_ip_per_minute: u32,
    /// Upload requests one address may send at once.
    pub uploads_ip_burst: u32,
    /// Upload requests per minute from one user.
    pub uploads_user_per_minute: u32,
    /// Upload requests one user may send at once.
    pub uploads_user_burst: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            sign_up_ip_per_minute: 30,
            sign_up_ip_burst: 120,
            votes_ip_per_minute: 3_000,
            votes_ip_burst: 3_000,
            votes_user_per_minute: 120,
            votes_user_burst: 60,
            comments_ip_per_minute: 300,
            comments_ip_burst: 300,
            comments_user_per_minute: 10,
            comments_user_burst: 20,
            flags_ip_per_minute: 300,
            flags_ip_burst: 300,
            flags_user_per_minute: 10,
            flags_user_burst: 30,
            uploads_ip_per_minute: 600,
            uploads_ip_burst: 600,
            uploads_user_per_minute: 30,
            uploads_user_burst: 60,
        }
    }
}

/// How the hosts write logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl TourneySettings {
    /// How many `X-Forwarded-For` entries, counted from the end, trusted proxies appended:
    /// `proxy_hops` behind a proxy, else 0 (the connection's peer is the client).
    pub fn trusted_forwarded_entries(&self) -> usize {
        if self.behind_proxy {
            usize::try_from(self.proxy_hops.get()).unwrap_or(usize::MAX)
        } else {
            0
        }
    }
}

impl Default for TourneySettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".to_owned(),
            categories: ["female", "male", "landscapes", "architecture", "cars"]
                .map(str::to_owned)
                .to_vec(),
            default_post_category: "female".to_owned(),
            default_view_category: "female".to_owned(),
            default_place: "5368361".to_owned(),
            max_place_distance_km: None,
            score_interval_secs: 5,
            board_fresh_ms: 1000,
            max_upload_bytes: 20 * 1024 * 1024,
            require_facebook: false,
            featured_places: DEFAULT_FEATURED_PLACES.map(str::to_owned).to_vec(),
            trending_half_life_secs: 60 * 60,
            trending_interval_secs: 60,
            featured_tags: DEFAULT_FEATURED_TAGS
                .iter()
                .map(|(category, tags)| {
                    (
                        (*category).to_owned(),
                        tags.iter().map(|tag| (*tag).to_owned()).collect(),
                    )
                })
                .collect(),
            behind_proxy: false,
            proxy_hops: NonZeroU32::MIN,
            public_url: None,
            log_format: LogFormat::Text,
            sentry_dsn: None,
            sentry_environment: None,
            min_vote_delay_ms: 300,
            rate_limits: RateLimitSettings::default(),
        }
    }
}

/// New York City, Los Angeles, Chicago, Houston, Phoenix, Philadelphia, San Antonio, San
/// Diego, Dallas, Jacksonville, Fort Worth, San Jose, Austin, Columbus, Charlotte,
/// Indianapolis, San Francisco, Seattle, Denver (GeoNames ids).
const DEFAULT_FEATURED_PLACES: [&str; 19] = [
    "5128581", "5368361", "4887398", "4699066", "5308655", "4560349", "4726206", "5391811",
    "4684888", "4160021", "4691930", "5392171", "4671654", "4509177", "4460243", "4259418",
    "5391959", "5809844", "5419384",
];

/// A few featured tags for each default category.
const DEFAULT_FEATURED_TAGS: [(&str, [&str; 3]); 5] = [
    ("female", ["portrait", "fashion", "smile"]),
    ("male", ["portrait", "fashion", "beard"]),
    ("landscapes", ["sunset", "mountains", "beach"]),
    ("architecture", ["skyline", "bridge", "church"]),
    ("cars", ["classic", "sportscar", "vintage"]),
];

/// The settings tree the product's hosts load.
pub type AppSettings = ocean::Settings<TourneySettings>;
