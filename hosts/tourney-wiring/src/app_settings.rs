//! The product's own settings, the `[app]` section of `ocean::Settings`: where the server
//! listens and the game's rules that operators may tune.

use std::collections::BTreeMap;

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
    /// Whether the server runs behind a reverse proxy that sets `X-Forwarded-For`: the
    /// client address recorded with a flag is then that header's first entry, else the
    /// connection's peer address (a client could forge the header).
    pub behind_proxy: bool,
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
            public_url: None,
            log_format: LogFormat::Text,
            sentry_dsn: None,
            sentry_environment: None,
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
