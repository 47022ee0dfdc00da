//! Leaderboards per category, at a place or everywhere, over a window, and the featured
//! places' boards side by side.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tourney_core::service::{BoardQuery, SharedBoardPage};
use tourney_core::{PageSize, UserId, Window};
use utoipa::{OpenApi, ToSchema};
use warp::filters::BoxedFilter;
use warp::http::header::{CONTENT_TYPE, HeaderValue};
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::AppState;
use crate::auth::authenticated;
use crate::dto::{BoardEntry, List, Place, board_page};
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

/// `?when=&count=` of the featured boards.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeaturedParams {
    when: Option<String>,
    count: Option<u32>,
}

/// This group's routes.
pub(crate) fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let featured = warp::path!("v1" / "leaderboards" / String)
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(query::<FeaturedParams>())
        .and(with_state(state.clone()))
        .then(get_featured_boards)
        .map(respond);
    let board = warp::path!("v1" / "leaderboards" / String / String)
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(query::<BoardParams>())
        .and(with_state(state))
        .then(get_board)
        .map(respond);
    featured.or(board).unify().boxed()
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(
    paths(get_featured_boards, get_board),
    components(schemas(BoardEntry, List<BoardEntry>, FeaturedBoards, PlaceBoard))
)]
pub(crate) struct Doc;

/// One featured place's board.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PlaceBoard {
    /// The place.
    place: Place,
    /// Its best photos, best first.
    items: Vec<BoardEntry>,
}

/// The featured places' boards.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FeaturedBoards {
    /// One board per featured place, in the configured order.
    places: Vec<PlaceBoard>,
}

fn window(when: Option<&str>) -> Result<Window, ApiError> {
    match when {
        None => Ok(Window::default()),
        Some(when) => when
            .parse::<Window>()
            .map_err(|e| ApiError::invalid("when", e.to_string())),
    }
}

/// The top photos of `category` at each featured place (the `app.featured_places`
/// setting), posted within the window.
#[utoipa::path(get, path = "/v1/leaderboards/{category}", tag = "boards",
    params(("category" = String, Path),
        ("when" = Option<String>, Query, description = "alltime, thishour, today, thisweek (default), thismonth, thisyear", pattern = "^(alltime|thishour|today|thisweek|thismonth|thisyear)$"),
        ("count" = Option<u32>, Query, description = "entries per place, 1-200, default 50", minimum = 1, maximum = 200)),
    responses((status = 200, body = FeaturedBoards), (status = 400, body = crate::ErrorBody)))]
async fn get_featured_boards(
    category: String,
    _viewer: UserId,
    params: FeaturedParams,
    state: AppState,
) -> Result<Response, ApiError> {
    let window = window(params.when.as_deref())?;
    let count = PageSize::new(params.count.unwrap_or(50))
        .map_err(|e| ApiError::invalid("count", e.to_string()))?;
    let boards = state
        .game
        .featured_boards(&category, window, count, clock())
        .await?;
    let body = FeaturedBoards {
        places: boards
            .into_iter()
            .map(|(place, view)| PlaceBoard {
                place: place.into(),
                items: board_page(view).items,
            })
            .collect(),
    };
    Ok(warp::reply::json(&body).into_response())
}

/// A board: the ready photos of `category` at `place` (or `all` places) posted within the
/// window, by the ranking key, highest first.
#[utoipa::path(get, path = "/v1/leaderboards/{category}/{place}", tag = "boards",
    params(("category" = String, Path), ("place" = String, Path, description = "a place id or `all`"),
        ("when" = Option<String>, Query, description = "alltime, thishour, today, thisweek (default), thismonth, thisyear", pattern = "^(alltime|thishour|today|thisweek|thismonth|thisyear)$"),
        ("count" = Option<u32>, Query, description = "1-200, default 50", minimum = 1, maximum = 200), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = List<BoardEntry>), (status = 400, body = crate::ErrorBody)))]
async fn get_board(
    category: String,
    place: String,
    _viewer: UserId,
    params: BoardParams,
    state: AppState,
) -> Result<Response, ApiError> {
    let window = window(params.when.as_deref())?;
    let count = PageSize::new(params.count.unwrap_or(50))
        .map_err(|e| ApiError::invalid("count", e.to_string()))?;
    let query = BoardQuery {
        category,
        place_id: (place != "all").then_some(place),
        window,
        count,
        cursor: params.cursor,
    };
    let page = state.game.board_shared(query, clock()).await?;
    let body = state.board_bodies.encoded(&page)?;
    let mut response = Response::new(body.into());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// Most bytes of encoded board pages kept; past this the kept bodies are dropped and
/// encoding starts over (a 50-entry page is about 43 KB, so this keeps about 48: the
/// first pages of the boards being read, which are the ones read again and again).
const BOARD_BODIES_BUDGET: usize = 2 << 20;

/// Board pages as response bodies, by page revision: a page is shared by every request for
/// it while its ranking is kept, so it is encoded once instead of once per request.
#[derive(Debug, Default)]
pub(crate) struct BoardBodies {
    kept: Mutex<KeptBodies>,
}

#[derive(Debug, Default)]
struct KeptBodies {
    by_revision: HashMap<u64, Bytes>,
    bytes: usize,
}

impl BoardBodies {
    /// `page` encoded as the board route answers it.
    fn encoded(&self, page: &SharedBoardPage) -> Result<Bytes, ApiError> {
        if let Some(body) = self.lock().by_revision.get(&page.revision) {
            return Ok(body.clone());
        }
        let mut body = serde_json::to_vec(&board_page(page.view.as_ref().clone()))
            .map_err(ApiError::internal)?;
        // Kept for many requests: without the growth slack serde_json left.
        body.shrink_to_fit();
        let body = Bytes::from(body);
        let mut kept = self.lock();
        if kept.bytes + body.len() > BOARD_BODIES_BUDGET {
            kept.by_revision.clear();
            kept.bytes = 0;
        }
        if kept
            .by_revision
            .insert(page.revision, body.clone())
            .is_none()
        {
            kept.bytes += body.len();
        }
        Ok(body)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, KeptBodies> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tourney_core::service::BoardView;

    use super::*;

    fn page(revision: u64, next_cursor: &str) -> SharedBoardPage {
        SharedBoardPage {
            view: Arc::new(BoardView {
                entries: Vec::new(),
                next_cursor: Some(next_cursor.to_owned()),
            }),
            revision,
        }
    }

    #[test]
    fn a_revision_is_encoded_once_and_its_bytes_shared() {
        let bodies = BoardBodies::default();
        let first = bodies.encoded(&page(1, "one")).unwrap();
        assert_eq!(&first[..], br#"{"items":[],"next_cursor":"one"}"#);
        // The same revision is the same page: its kept bytes, not a new encoding.
        let again = bodies.encoded(&page(1, "changed")).unwrap();
        assert_eq!(again.as_ptr(), first.as_ptr());
        let other = bodies.encoded(&page(2, "two")).unwrap();
        assert_eq!(&other[..], br#"{"items":[],"next_cursor":"two"}"#);
    }

    #[test]
    fn past_the_budget_the_kept_bodies_start_over() {
        let bodies = BoardBodies::default();
        let long_cursor = "x".repeat(BOARD_BODIES_BUDGET / 3);
        for revision in 0..3 {
            bodies.encoded(&page(revision, &long_cursor)).unwrap();
        }
        let kept = bodies.lock();
        assert!(
            kept.bytes <= BOARD_BODIES_BUDGET,
            "{} bytes kept",
            kept.bytes
        );
        assert_eq!(kept.by_revision.len(), 1, "the third body started over");
        assert!(kept.by_revision.contains_key(&2));
    }
}
