//! LocalPicTourney's HTTP server as a library: the state handlers share ([`AppState`]), the
//! routes ([`routes`]) and [`serve`], so the binary and the black-box tests run the same app.
//!
//! A request goes through the route groups in `src/routes/` (one file per resource); a
//! handler answers with a reply or an [`ApiError`], which [`error::error_response`], the one
//! error renderer, turns into `{"error", "message", "field"?}` with its status. Rejections
//! (no route, wrong method, bad body) end in the same function. Every request is logged in
//! one line and counted in [`metrics::Metrics`].

pub mod auth;
pub mod dto;
pub mod error;
pub mod filters;
pub mod metrics;
pub mod rate_limit;
mod routes;
pub mod seed;

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use async_trait::async_trait;
use ocean::media::ObjectKey;
use tokio::task::JoinHandle;
use tourney_core::service::Game;
use tourney_wiring::{AppSettings, Ports};
use warp::filters::BoxedFilter;
use warp::{Filter, Reply};

pub use error::{ApiError, ErrorBody};
pub use routes::{SERVED_ROUTES, ServedRoute, openapi, route_of};

use crate::metrics::Metrics;
use crate::rate_limit::RateLimits;

/// Told about every upload the embedded media routes store, e.g. to queue its processing.
/// An error fails the upload's answer (the object stays stored; the client's retry stores
/// it again and tells the listener again).
#[async_trait]
pub trait UploadListener: Send + Sync + fmt::Debug + 'static {
    /// `key` was just stored by a presigned upload.
    async fn uploaded(&self, key: &ObjectKey) -> anyhow::Result<()>;
}

/// Hands every stored upload to the game, which queues the photo's processing.
#[derive(Debug)]
struct GameUploads(Game);

#[async_trait]
impl UploadListener for GameUploads {
    async fn uploaded(&self, key: &ObjectKey) -> anyhow::Result<()> {
        self.0.upload_received(key).await?;
        Ok(())
    }
}

/// What every handler shares: the ports, the settings, and the server's own bookkeeping.
/// One `Arc`, so the clone each route filter makes per request is one counter increment;
/// the parts are read through `Deref` (`state.game`, `state.ports`...).
#[derive(Debug, Clone)]
pub struct AppState(Arc<StateParts>);

/// The parts of an [`AppState`].
#[derive(Debug, Clone)]
pub struct StateParts {
    /// Every storage port.
    pub ports: Ports,
    /// The settings the server started with.
    pub settings: Arc<AppSettings>,
    /// When the state was made (the server's start), for uptime.
    pub started_at: Instant,
    /// Request counters served at `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Told about each stored upload; `None`: nobody is.
    pub upload_listener: Option<Arc<dyn UploadListener>>,
    /// The rate limits of `app.rate_limits`, shared by every request.
    pub rate_limits: Arc<RateLimits>,
    /// The game's use cases over the ports.
    pub game: Game,
    /// Board pages encoded once per revision (see `routes::boards`).
    pub(crate) board_bodies: Arc<routes::boards::BoardBodies>,
}

impl std::ops::Deref for AppState {
    type Target = StateParts;

    fn deref(&self) -> &StateParts {
        &self.0
    }
}

impl AppState {
    /// The state for `ports` opened from `settings`, with fresh metrics and rate limits,
    /// the game built from the settings, and uploads handed to the game (which queues their
    /// processing). Refuses settings the game's rules or the rate limits cannot take.
    pub fn new(ports: Ports, settings: Arc<AppSettings>) -> anyhow::Result<Self> {
        let game = tourney_wiring::game(&ports, &settings)?;
        let rate_limits = Arc::new(RateLimits::new(&settings.app.rate_limits)?);
        let uploads: Arc<dyn UploadListener> = Arc::new(GameUploads(game.clone()));
        Ok(Self(Arc::new(StateParts {
            ports,
            settings,
            started_at: Instant::now(),
            metrics: Arc::new(Metrics::new(routes::SERVED_ROUTES)),
            upload_listener: Some(uploads),
            rate_limits,
            game,
            board_bodies: Arc::default(),
        })))
    }

    /// This state with `listener` told about every stored upload.
    #[must_use]
    pub fn with_upload_listener(self, listener: Arc<dyn UploadListener>) -> Self {
        self.modified(|parts| parts.upload_listener = Some(listener))
    }

    /// This state with its parts changed by `change` (a host or a test swapping a port).
    #[must_use]
    pub fn modified(self, change: impl FnOnce(&mut StateParts)) -> Self {
        let mut parts = Arc::unwrap_or_clone(self.0);
        change(&mut parts);
        Self(Arc::new(parts))
    }
}

/// The whole app as one filter: every route group, the rejection handler (so every answer,
/// errors included, is a `Response`), the request log line and the metrics.
pub fn routes(state: AppState) -> BoxedFilter<(impl Reply,)> {
    let metrics = Arc::clone(&state.metrics);
    routes::all(state)
        .recover(error::recover)
        .unify()
        .with(warp::log::custom(move |info| {
            log_request(&metrics, &info);
        }))
        .boxed()
}

/// Logs one line per request (method, route, path, status, duration; never headers or the
/// query, which may carry credentials) and counts it.
fn log_request(metrics: &Metrics, info: &warp::log::Info<'_>) {
    let method = info.method().as_str();
    let path = info.path();
    let status = info.status().as_u16();
    let elapsed = info.elapsed();
    let route = route_of(method, path);
    metrics.record(route, status, elapsed);
    tracing::info!(
        target: "tourney_server::request",
        method,
        route = route.map_or("-", |route| route.path),
        path,
        status,
        duration_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        "request"
    );
}

/// Binds `listen` (port 0 picks a free port) and serves on it until `shutdown` completes,
/// then finishes the requests in flight. Returns the bound address and the server's task.
/// Call within a tokio runtime.
pub async fn serve(
    state: AppState,
    listen: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = std::net::TcpListener::bind(listen)
        .with_context(|| format!("binding the http listener to {listen}"))?;
    serve_on(state, listener, shutdown).await
}

/// How often the server looks for large boards that requests found stale.
const BOARD_REFRESH_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Re-ranks large boards off the request path for as long as the server runs (see
/// [`tourney_core::service::BoardRefresher`]).
async fn refresh_boards(refresher: tourney_core::service::BoardRefresher) {
    loop {
        let started = std::time::Instant::now();
        match refresher.refresh(tourney_worker::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                boards = n,
                elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                "re-ranked large boards in the background"
            ),
            Err(error) => {
                tracing::warn!(%error, "re-ranking a large board failed; requests keep its previous ranking");
            }
        }
        tokio::time::sleep(BOARD_REFRESH_EVERY).await;
    }
}

/// How long [`serve_on`] waits for the default place before serving without it.
const DEFAULT_PLACE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// [`serve`] on a listener bound already (so the caller knows the address, e.g. to put it
/// in the media URLs, before opening the ports). Reads the default place first, so users
/// without a location are placed through a later places outage.
pub async fn serve_on(
    state: AppState,
    listener: std::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<(SocketAddr, JoinHandle<()>)> {
    let address = listener
        .local_addr()
        .context("reading the listener's address")?;
    listener
        .set_nonblocking(true)
        .context("making the listener non-blocking")?;
    let listener =
        tokio::net::TcpListener::from_std(listener).context("handing the listener to tokio")?;
    // Kept once read: users without a location then get matches through a places outage.
    // Bounded, so an unreachable places database delays the start by seconds at most.
    let default_place = tokio::time::timeout(DEFAULT_PLACE_WAIT, state.game.default_place());
    match default_place.await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::warn!(
            %error,
            "the default place could not be read at start; users without a location need the places database until it is"
        ),
        Err(_) => tracing::warn!(
            "the places database did not answer for the default place within {DEFAULT_PLACE_WAIT:?}; users without a location need it until it does"
        ),
    }
    let refreshing = tokio::spawn(refresh_boards(state.game.board_refresher()));
    let server = warp::serve(routes(state))
        .incoming(listener)
        .graceful(shutdown);
    let task = tokio::spawn(async move {
        server.run().await;
        refreshing.abort();
    });
    Ok((address, task))
}
