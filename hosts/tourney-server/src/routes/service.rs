//! Service routes under `/v1`: each port's health (`GET /v1/test`, and the location and
//! search databases alone), a credentials check (`GET /v1/test_auth`) and the public
//! settings clients need (`GET /v1/config`).

use std::future::Future;
use std::time::Duration;

use ocean::ErrorKind;
use ocean::media::ObjectKey;
use ocean::records::Key;
use serde::Serialize;
use tourney_core::UserId;
use utoipa::{OpenApi, ToSchema};
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::AppState;
use crate::auth::authenticated;
use crate::filters::with_state;

/// The longest a port's probe may take before it counts as down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The name the probes use where a port needs one (a queue, a stream, a namespace); nothing
/// else uses it.
const PROBE_NAME: &str = "server-health-probe";

/// This group's routes.
pub(crate) fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let test = warp::path!("v1" / "test")
        .and(warp::get())
        .and(with_state(state.clone()))
        .then(|state: AppState| async move { port_health(&state).await });
    let test_auth = warp::path!("v1" / "test_auth")
        .and(warp::get())
        .and(authenticated(state.clone()))
        .map(test_auth);
    let location = warp::path!("v1" / "test_location_db")
        .and(warp::get())
        .and(with_state(state.clone()))
        .then(|state: AppState| async move { location_health(&state).await });
    let search = warp::path!("v1" / "test_search_db")
        .and(warp::get())
        .and(with_state(state.clone()))
        .then(|state: AppState| async move { search_health(&state).await });
    let config = warp::path!("v1" / "config")
        .and(warp::get())
        .and(with_state(state))
        .map(|state: AppState| warp::reply::json(&config(&state)).into_response());
    test.or(test_auth)
        .unify()
        .or(location)
        .unify()
        .or(search)
        .unify()
        .or(config)
        .unify()
        .boxed()
}

/// Who the credentials belong to.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuthCheck {
    /// The authenticated user's id.
    user_id: String,
}

/// Checks the credentials: 200 with the user's id, or 401.
#[utoipa::path(get, path = "/v1/test_auth", tag = "service",
    responses((status = 200, body = AuthCheck), (status = 401, body = crate::ErrorBody)))]
fn test_auth(user: UserId) -> Response {
    warp::reply::json(&AuthCheck {
        user_id: user.to_string(),
    })
    .into_response()
}

/// One port's state.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OnePortHealth {
    /// The port.
    port: &'static str,
    /// Its state.
    state: PortState,
}

/// `probe`'s answer as a response: 200 when up, 503 when down.
fn one_port(port: &'static str, state: PortState) -> Response {
    let status = if state == PortState::Ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    warp::reply::with_status(warp::reply::json(&OnePortHealth { port, state }), status)
        .into_response()
}

/// The location database's health (the places port).
#[utoipa::path(get, path = "/v1/test_location_db", tag = "service",
    responses((status = 200, body = OnePortHealth), (status = 503, body = OnePortHealth)))]
async fn location_health(state: &AppState) -> Response {
    let places = &state.ports.places;
    one_port(
        "places",
        probe("places", async { places.count().await.map(drop) }).await,
    )
}

/// The search database's health (the search port).
#[utoipa::path(get, path = "/v1/test_search_db", tag = "service",
    responses((status = 200, body = OnePortHealth), (status = 503, body = OnePortHealth)))]
async fn search_health(state: &AppState) -> Response {
    let search = &state.ports.search;
    one_port(
        "search",
        probe("search", async {
            search.search(PROBE_NAME, "probe", 1).await.map(drop)
        })
        .await,
    )
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(paths(port_health, test_auth, location_health, search_health, config))]
pub(crate) struct Doc;

/// A port's state in `/v1/test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PortState {
    /// The probe call answered.
    Ok,
    /// The probe call failed or timed out (the cause is in the server's log).
    Down,
}

/// Each port's state.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PortHealth {
    records: PortState,
    media: PortState,
    stream: PortState,
    queue: PortState,
    places: PortState,
    search: PortState,
    notifications: PortState,
}

impl PortHealth {
    /// Whether every port is up.
    fn all_ok(&self) -> bool {
        [
            self.records,
            self.media,
            self.stream,
            self.queue,
            self.places,
            self.search,
            self.notifications,
        ]
        .iter()
        .all(|state| *state == PortState::Ok)
    }
}

/// Each port's health: one cheap read per port, concurrently, each within 5 s.
#[utoipa::path(
    get,
    path = "/v1/test",
    tag = "service",
    responses(
        (status = 200, description = "every port answered", body = PortHealth),
        (status = 503, description = "some port is down (the body says which)", body = PortHealth),
    )
)]
async fn port_health(state: &AppState) -> Response {
    let ports = &state.ports;
    let records_key = Key::new(PROBE_NAME, PROBE_NAME);
    let media_key = ObjectKey::parse("server-health-probe/absent").ok();
    let (records, media, stream, queue, places, search, notifications) = tokio::join!(
        probe("records", async {
            ports.records.get(&records_key).await.map(drop)
        }),
        probe("media", async {
            let Some(key) = &media_key else {
                return Ok(());
            };
            ports.media.head(key).await.map(drop)
        }),
        probe("stream", async {
            ports
                .stream
                .checkpoint(PROBE_NAME, PROBE_NAME)
                .await
                .map(drop)
        }),
        probe("queue", async {
            ports
                .queue
                .receive(PROBE_NAME, 1, Duration::ZERO)
                .await
                .map(drop)
        }),
        probe("places", async { ports.places.count().await.map(drop) }),
        probe("search", async {
            ports.search.search(PROBE_NAME, "probe", 1).await.map(drop)
        }),
        probe("notifications", async {
            ports.notifications.sent(None, 1).await.map(drop)
        }),
    );
    let health = PortHealth {
        records,
        media,
        stream,
        queue,
        places,
        search,
        notifications,
    };
    let status = if health.all_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    warp::reply::with_status(warp::reply::json(&health), status).into_response()
}

/// Runs one probe: up when it answers, even with not-found or unsupported (the backend
/// answered); down on any other error or after [`PROBE_TIMEOUT`], logged.
async fn probe(port: &'static str, call: impl Future<Output = ocean::Result<()>>) -> PortState {
    match tokio::time::timeout(PROBE_TIMEOUT, call).await {
        Ok(Ok(())) => PortState::Ok,
        Ok(Err(error)) if matches!(error.kind(), ErrorKind::NotFound | ErrorKind::Unsupported) => {
            PortState::Ok
        }
        Ok(Err(error)) => {
            tracing::warn!(
                port,
                error = format!("{:#}", anyhow::Error::from(error)),
                "port probe failed"
            );
            PortState::Down
        }
        Err(_) => {
            tracing::warn!(port, timeout = ?PROBE_TIMEOUT, "port probe timed out");
            PortState::Down
        }
    }
}

/// The settings clients need; never secrets.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PublicConfig {
    /// The categories photos compete in.
    categories: Vec<String>,
    /// Where a new user's photos go until they pick a category.
    default_post_category: String,
    /// What a new user judges until they pick a category.
    default_view_category: String,
    /// The largest upload accepted, in bytes.
    max_upload_bytes: u64,
}

/// Public settings for clients: categories, default categories, upload size limit.
#[utoipa::path(
    get,
    path = "/v1/config",
    tag = "service",
    responses((status = 200, description = "the public settings", body = PublicConfig))
)]
fn config(state: &AppState) -> PublicConfig {
    let app = &state.settings.app;
    PublicConfig {
        categories: app.categories.clone(),
        default_post_category: app.default_post_category.clone(),
        default_view_category: app.default_view_category.clone(),
        max_upload_bytes: app.max_upload_bytes,
    }
}
