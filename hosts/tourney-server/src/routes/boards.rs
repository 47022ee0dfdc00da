//! Leaderboards per category, at a place or everywhere, over a window.

use serde::Deserialize;
use tourney_core::service::BoardQuery;
use tourney_core::{PageSize, UserId, Window};
use utoipa::OpenApi;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::AppState;
use crate::auth::authenticated;
use crate::dto::{BoardEntry, List, board_page};
use crate::error::{ApiError, respond};
use crate::filters::{query, with_state};
use crate::routes::clock;

/// `?when=&count=&cursor=`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoardParams {
    when: Option<String>,
    count: Option<u32>,
    cursor: Option<String>,
}

/// This group's routes.
pub(crate) fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    warp::path!("v1" / "leaderboards" / String / String)
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(query::<BoardParams>())
        .and(with_state(state))
        .then(get_board)
        .map(respond)
        .boxed()
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(paths(get_board), components(schemas(BoardEntry, List<BoardEntry>)))]
pub(crate) struct Doc;

/// A board: the ready photos of `category` at `place` (or `all` places) posted within the
/// window, by the ranking key, highest first.
#[utoipa::path(get, path = "/v1/leaderboards/{category}/{place}", tag = "boards",
    params(("category" = String, Path), ("place" = String, Path, description = "a place id or `all`"),
        ("when" = Option<String>, Query, description = "alltime, thishour, today, thisweek (default), thismonth, thisyear"),
        ("count" = Option<u32>, Query, description = "1-200, default 50"), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = List<BoardEntry>), (status = 400, body = crate::ErrorBody)))]
async fn get_board(
    category: String,
    place: String,
    _viewer: UserId,
    params: BoardParams,
    state: AppState,
) -> Result<Response, ApiError> {
    let window = match params.when.as_deref() {
        None => Window::default(),
        Some(when) => when
            .parse::<Window>()
            .map_err(|e| ApiError::invalid("when", e.to_string()))?,
    };
    let count = PageSize::new(params.count.unwrap_or(50))
        .map_err(|e| ApiError::invalid("count", e.to_string()))?;
    let query = BoardQuery {
        category,
        place_id: (place != "all").then_some(place),
        window,
        count,
        cursor: params.cursor,
    };
    let view = state.game.board(query, clock()).await?;
    Ok(warp::reply::json(&board_page(view)).into_response())
}
