//! Settings to ports: opens the backend each port's setting names and hands the hosts one
//! `Arc<dyn Port>` per port, so nothing else in the product knows which backends run.
//!
//! The embedded backends and Facebook's Graph API are always built in; the AWS and
//! PostgreSQL backends come with the `cloud` feature (on in `tourney-server`). Choosing a
//! backend that is not built in fails at start-up with a message naming the setting.

mod app_settings;
#[cfg(feature = "cloud")]
mod cloud;
#[cfg(not(feature = "cloud"))]
#[path = "cloud_disabled.rs"]
mod cloud;
pub mod observability;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ocean::settings::{
    IdentityBackend, MediaBackend, NotificationsBackend, PlacesBackend, QueueBackend,
    RecordsBackend, SearchBackend, StreamBackend,
};
use ocean::{Identity, JobQueue, Media, Notifications, Places, Records, Search, Settings, Stream};
use ocean_embedded::{
    EmbeddedMedia, EmbeddedNotifications, EmbeddedPlaces, EmbeddedQueue, EmbeddedRecords,
    EmbeddedSearch, EmbeddedStream, MediaOptions, PlacesOptions, QueueOptions,
};
use ocean_facebook::{FacebookIdentity, FacebookOptions};
use tourney_core::service::{Game, GameConfig, GamePorts};
use tourney_core::{Category, CategoryList, Tag, TrendingConfig};

pub use app_settings::{AppSettings, LogFormat, RateLimitSettings, TourneySettings};
pub use cloud::init_aws;

/// Every port the product uses, each behind its trait.
#[derive(Debug, Clone)]
pub struct Ports {
    /// Users, photos, matches, ratings, boards.
    pub records: Arc<dyn Records>,
    /// Uploaded originals and renditions.
    pub media: Arc<dyn Media>,
    /// Votes on their way to the scoring worker.
    pub stream: Arc<dyn Stream>,
    /// Media-processing and other background jobs.
    pub queue: Arc<dyn JobQueue>,
    /// Nearest place for coordinates.
    pub places: Arc<dyn Places>,
    /// Tag search.
    pub search: Arc<dyn Search>,
    /// Mobile push.
    pub notifications: Arc<dyn Notifications>,
    /// Whose a Facebook access token is; `None` when `identity.backend = "disabled"` (a
    /// deployment without Facebook login).
    pub identity: Option<Arc<dyn Identity>>,
    /// The embedded media backend when it is the one in use: the server honours its signed
    /// upload and read URLs.
    pub embedded_media: Option<Arc<EmbeddedMedia>>,
}

/// Opens every port as `settings` say: embedded files and indexes (blocking), AWS clients
/// (no request yet), PostgreSQL pools (connected and migrated; a database that cannot be
/// reached yet is logged and its port's calls fail until it answers). Call it before
/// serving, then [`load_datasets`].
pub async fn open<App>(settings: &Settings<App>) -> Result<Ports> {
    let mut aws = cloud::Aws::default();
    let data_dir = settings.data_dir.as_path();
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating data_dir {}", data_dir.display()))?;
    let records: Arc<dyn Records> = match &settings.records {
        RecordsBackend::Embedded => {
            Arc::new(open_embedded("records", data_dir, EmbeddedRecords::open)?)
        }
        other => built("records", other, cloud::records(&mut aws, settings).await?)?,
    };
    let (media, embedded_media): (Arc<dyn Media>, _) = match &settings.media {
        MediaBackend::Embedded {
            public_url,
            signing_key,
        } => {
            let options = MediaOptions {
                public_url: public_url.trim_end_matches('/').to_owned(),
                signing_key: signing_key
                    .as_ref()
                    .map(|key| key.expose().as_bytes().to_vec()),
            };
            let media = Arc::new(open_embedded("media", data_dir, |dir| {
                EmbeddedMedia::open(dir, options)
            })?);
            (Arc::clone(&media) as Arc<dyn Media>, Some(media))
        }
        other => (
            built("media", other, cloud::media(&mut aws, settings).await?)?,
            None,
        ),
    };
    let stream: Arc<dyn Stream> = match &settings.stream {
        StreamBackend::Embedded => {
            Arc::new(open_embedded("stream", data_dir, EmbeddedStream::open)?)
        }
        other => built("stream", other, cloud::stream(&mut aws, settings).await?)?,
    };
    let queue: Arc<dyn JobQueue> = match &settings.queue {
        QueueBackend::Embedded { max_receives } => {
            let options = QueueOptions {
                max_receives: *max_receives,
            };
            Arc::new(open_embedded("queue", data_dir, |dir| {
                EmbeddedQueue::open(dir, options)
            })?)
        }
        other => built("queue", other, cloud::queue(&mut aws, settings).await?)?,
    };
    let places: Arc<dyn Places> = match &settings.places {
        PlacesBackend::Embedded {
            load_default_dataset,
            dataset_csv,
        } => {
            let options = PlacesOptions {
                load_default_dataset: *load_default_dataset,
            };
            let _ = dataset_csv; // loaded by `load_datasets`, which can await
            Arc::new(open_embedded("places", data_dir, |dir| {
                EmbeddedPlaces::open(dir, options)
            })?)
        }
        other => built("places", other, cloud::places(settings).await?)?,
    };
    let search: Arc<dyn Search> = match &settings.search {
        SearchBackend::Embedded => {
            Arc::new(open_embedded("search", data_dir, EmbeddedSearch::open)?)
        }
        other => built("search", other, cloud::search(settings).await?)?,
    };
    let notifications: Arc<dyn Notifications> = match &settings.notifications {
        NotificationsBackend::Embedded => Arc::new(open_embedded(
            "notifications",
            data_dir,
            EmbeddedNotifications::open,
        )?),
        other => built(
            "notifications",
            other,
            cloud::notifications(&mut aws, settings).await?,
        )?,
    };
    let identity = open_identity(&settings.identity)?;
    Ok(Ports {
        records,
        media,
        stream,
        queue,
        places,
        search,
        notifications,
        identity,
        embedded_media,
    })
}

/// The identity port `identity.*` describes: a Graph API client (no request made yet), or
/// `None` when disabled.
fn open_identity(backend: &IdentityBackend) -> Result<Option<Arc<dyn Identity>>> {
    let IdentityBackend::Facebook {
        graph_url,
        api_version,
        timeout_secs,
    } = backend
    else {
        tracing::info!("identity backend disabled: no facebook login");
        return Ok(None);
    };
    let timeout = Duration::from_secs(u64::from(*timeout_secs));
    let options = FacebookOptions::new(graph_url, api_version, timeout);
    let identity = FacebookIdentity::new(&options).context(
        "opening the facebook identity backend (identity.backend = \"disabled\" runs without it)",
    )?;
    tracing::info!(graph_url, api_version, "facebook identity backend ready");
    Ok(Some(Arc::new(identity)))
}

/// Where share pages live: `app.public_url`, else the embedded media's public URL (the
/// server serves both), else the listen address.
fn share_base_url(settings: &AppSettings) -> String {
    let base = match (&settings.app.public_url, &settings.media) {
        (Some(url), _) => url.clone(),
        (None, MediaBackend::Embedded { public_url, .. }) => public_url.clone(),
        (None, _) => format!("http://{}", settings.app.listen),
    };
    base.trim_end_matches('/').to_owned()
}

/// The game over `ports` with the rules `settings` configure; refuses settings the rules
/// cannot take (an empty or malformed category list, an unknown default category).
pub fn game(ports: &Ports, settings: &AppSettings) -> Result<Game> {
    let app = &settings.app;
    let categories = CategoryList::new(&app.categories).context("app.categories")?;
    for (key, value) in [
        ("app.default_post_category", &app.default_post_category),
        ("app.default_view_category", &app.default_view_category),
    ] {
        Category::parse(value, &categories).with_context(|| key.to_owned())?;
    }
    for (category, tags) in &app.featured_tags {
        let key = format!("app.featured_tags.{category}");
        Category::parse(category, &categories).with_context(|| key.clone())?;
        for tag in tags {
            Tag::parse(tag).with_context(|| key.clone())?;
        }
    }
    let trending = TrendingConfig::new(Duration::from_secs(app.trending_half_life_secs))
        .context("app.trending_half_life_secs")?;
    let config = GameConfig {
        categories,
        default_post_category: app.default_post_category.clone(),
        default_view_category: app.default_view_category.clone(),
        default_place: app.default_place.clone(),
        max_place_distance_km: app.max_place_distance_km,
        max_upload_bytes: app.max_upload_bytes,
        require_facebook: app.require_facebook,
        featured_places: app.featured_places.clone(),
        trending,
        trending_interval: Duration::from_secs(app.trending_interval_secs),
        board_fresh_for: Duration::from_millis(app.board_fresh_ms),
        featured_tags: app.featured_tags.clone(),
        share_base_url: share_base_url(settings),
        min_vote_delay: Duration::from_millis(app.min_vote_delay_ms),
        ..GameConfig::default()
    };
    let game_ports = GamePorts {
        records: Arc::clone(&ports.records),
        media: Arc::clone(&ports.media),
        stream: Arc::clone(&ports.stream),
        queue: Arc::clone(&ports.queue),
        places: Arc::clone(&ports.places),
        search: Arc::clone(&ports.search),
        notifications: Arc::clone(&ports.notifications),
        identity: ports.identity.clone(),
    };
    Ok(Game::new(game_ports, config))
}

fn open_embedded<T>(
    port: &str,
    data_dir: &Path,
    open: impl FnOnce(&Path) -> ocean::Result<T>,
) -> Result<T> {
    let opened = open(data_dir).with_context(|| {
        format!(
            "opening the embedded {port} backend in {}",
            data_dir.display()
        )
    })?;
    tracing::info!(port, data_dir = %data_dir.display(), "embedded backend open");
    Ok(opened)
}

/// Loads the places CSV named by `places.dataset_csv` (the first generation's format), if
/// set. Idempotent: places with known ids are replaced, so every start may run it.
pub async fn load_datasets<App>(ports: &Ports, settings: &Settings<App>) -> Result<()> {
    let PlacesBackend::Embedded {
        dataset_csv: Some(path),
        ..
    } = &settings.places
    else {
        return Ok(());
    };
    let loaded = load_places_file(ports, path).await?;
    tracing::info!(path = %path.display(), loaded, "places dataset loaded");
    Ok(())
}

/// Reloads the places dataset into the places port, replacing places with known ids:
/// from `csv` if given, else the `places.dataset_csv` setting, else the built-in GeoNames
/// dataset. Returns where the places came from and how many were stored.
pub async fn reindex_places<App>(
    ports: &Ports,
    settings: &Settings<App>,
    csv: Option<&Path>,
) -> Result<(String, usize)> {
    let configured = match &settings.places {
        PlacesBackend::Embedded { dataset_csv, .. } => dataset_csv.as_deref(),
        _ => None,
    };
    if let Some(path) = csv.or(configured) {
        let loaded = load_places_file(ports, path).await?;
        return Ok((path.display().to_string(), loaded));
    }
    let places = EmbeddedPlaces::default_dataset().context("reading the built-in places")?;
    let summary = ports
        .places
        .load(places)
        .await
        .context("loading the built-in places")?;
    Ok(("the built-in GeoNames dataset".to_owned(), summary.loaded))
}

/// Loads a places CSV in either format: the first generation's (its header starts with
/// `INCLUDE`) or this project's (`id,name,region,country,lat,lon,population`).
async fn load_places_file(ports: &Ports, path: &Path) -> Result<usize> {
    let text = std::fs::read(path).with_context(|| format!("reading places {}", path.display()))?;
    let rows = if text.starts_with(b"INCLUDE") {
        ocean::places::read_first_generation_csv(text.as_slice())
    } else {
        ocean::places::read_places_csv(text.as_slice())
    }
    .with_context(|| format!("parsing places {}", path.display()))?;
    let summary = ports
        .places
        .load(rows)
        .await
        .with_context(|| format!("loading places {}", path.display()))?;
    Ok(summary.loaded)
}

/// The port `opened` when its backend is built in, else the error naming the setting.
fn built<T>(port: &str, backend: &impl std::fmt::Debug, opened: Option<T>) -> Result<T> {
    match opened {
        Some(opened) => Ok(opened),
        None => not_built(port, backend),
    }
}

fn not_built<T>(port: &str, backend: &impl std::fmt::Debug) -> Result<T> {
    bail!(
        "{port}.backend: {backend:?} is not built into this binary (build it with the `cloud` feature); use backend = \"embedded\""
    )
}
