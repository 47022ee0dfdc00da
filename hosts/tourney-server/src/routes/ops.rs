//! Operations routes outside `/v1`: liveness (`GET /health`) and Prometheus metrics
//! (`GET /metrics`).

use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use warp::filters::BoxedFilter;
use warp::http::header;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::AppState;
use crate::filters::with_state;

/// This group's routes.
pub(crate) fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let health = warp::path!("health")
        .and(warp::get())
        .map(|| health().into_response());
    let metrics = warp::path!("metrics")
        .and(warp::get())
        .and(with_state(state))
        .map(|state: AppState| metrics(&state).into_response());
    health.or(metrics).unify().boxed()
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(paths(health, metrics))]
pub(crate) struct Doc;

/// The liveness answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Health {
    /// Always `ok` when the process answers.
    #[schema(example = "ok")]
    status: &'static str,
}

/// Liveness: the process answers HTTP. Checks no backend (see `/v1/test`).
#[utoipa::path(
    get,
    path = "/health",
    tag = "ops",
    responses((status = 200, description = "the process is up", body = Health))
)]
fn health() -> impl Reply {
    warp::reply::json(&Health { status: "ok" })
}

/// Request counts by route group and status class and request durations, as Prometheus
/// text.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "ops",
    responses((
        status = 200,
        description = "Prometheus text exposition format 0.0.4",
        body = String,
        content_type = "text/plain; version=0.0.4"
    ))
)]
fn metrics(state: &AppState) -> impl Reply + use<> {
    let text = state.metrics.render(state.started_at.elapsed());
    warp::reply::with_header(text, header::CONTENT_TYPE, "text/plain; version=0.0.4")
}
