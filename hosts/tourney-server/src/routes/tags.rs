//! Tags: tag boards, tagging one's own photo, tag search, featured and trending tags per
//! category.

use serde::{Deserialize, Serialize};
use tourney_core::service::{MAX_TAG_HITS, TrendingTagView};
use tourney_core::{PageSize, PhotoId, UserId};
use utoipa::{OpenApi, ToSchema};
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::AppState;
use crate::auth::authenticated;
use crate::dto::{BoardEntry, List, Photo, TagHit, board_page};
use crate::error::{ApiError, respond};
use crate::filters::{percent_decode, query, with_state};
use crate::routes::clock;

/// `?count=&cursor=` of a tag board.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TagBoardParams {
    count: Option<u32>,
    cursor: Option<String>,
}

/// This group's routes.
pub(crate) fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let search = warp::path!("v1" / "tags" / "search" / String / String)
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(with_state(state.clone()))
        .then(search_tags)
        .map(respond);
    // Before the tag board: `/v1/tags/trending/{category}` would also fit its template.
    let trending = warp::path!("v1" / "tags" / "trending" / String)
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(with_state(state.clone()))
        .then(get_trending_tags)
        .map(respond);
    let featured = warp::path!("v1" / "tags" / String)
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(with_state(state.clone()))
        .then(get_featured_tags)
        .map(respond);
    let board = warp::path!("v1" / "tags" / String / String)
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(query::<TagBoardParams>())
        .and(with_state(state.clone()))
        .then(get_tag_board)
        .map(respond);
    let tag_photo = warp::path!("v1" / "tags" / String / String)
        .and(warp::put())
        .and(authenticated(state.clone()))
        .and(with_state(state))
        .then(put_tag)
        .map(respond);
    search
        .or(trending)
        .unify()
        .or(featured)
        .unify()
        .or(board)
        .unify()
        .or(tag_photo)
        .unify()
        .boxed()
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(
    paths(get_tag_board, put_tag, search_tags, get_trending_tags, get_featured_tags),
    components(schemas(TagHit, List<TagHit>, TrendingTag, List<TrendingTag>))
)]
pub(crate) struct Doc;

/// A tag's board in a category: the competing photos carrying it, of every place and
/// time, by the ranking key, highest first.
#[utoipa::path(get, path = "/v1/tags/{category}/{tag}", tag = "tags",
    params(("category" = String, Path), ("tag" = String, Path, description = "percent-encoded; any case"),
        ("count" = Option<u32>, Query, description = "1-200, default 50", minimum = 1, maximum = 200), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = List<BoardEntry>), (status = 400, body = crate::ErrorBody)))]
async fn get_tag_board(
    category: String,
    tag: String,
    _viewer: UserId,
    params: TagBoardParams,
    state: AppState,
) -> Result<Response, ApiError> {
    let tag = percent_decode("tag", &tag)?;
    let count = PageSize::new(params.count.unwrap_or(50))
        .map_err(|e| ApiError::invalid("count", e.to_string()))?;
    let view = state
        .game
        .tag_board(&category, &tag, count, params.cursor, clock())
        .await?;
    Ok(warp::reply::json(&board_page(view)).into_response())
}

/// Tags the caller's own photo (others' photos: 403). Idempotent: a tag the photo already
/// carries, in any case, changes nothing.
#[utoipa::path(put, path = "/v1/tags/{tag}/{photo_id}", tag = "tags",
    params(("tag" = String, Path, description = "percent-encoded, 1-50 characters, no '/'"),
        ("photo_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 200, body = Photo), (status = 400, body = crate::ErrorBody),
        (status = 403, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
async fn put_tag(
    tag: String,
    photo_id: String,
    caller: UserId,
    state: AppState,
) -> Result<Response, ApiError> {
    let tag = percent_decode("tag", &tag)?;
    let photo_id = PhotoId::parse(&photo_id)?;
    let view = state.game.add_tag(caller, photo_id, &tag, clock()).await?;
    Ok(warp::reply::json(&Photo::from(view)).into_response())
}

/// Tags of a category containing `term` (any case), ranked exact, prefix, then similar;
/// at most 25, only tags with competing photos, each with its best photo as cover.
#[utoipa::path(get, path = "/v1/tags/search/{category}/{term}", tag = "tags",
    params(("category" = String, Path), ("term" = String, Path, description = "percent-encoded")),
    responses((status = 200, body = List<TagHit>), (status = 400, body = crate::ErrorBody)))]
async fn search_tags(
    category: String,
    term: String,
    _viewer: UserId,
    state: AppState,
) -> Result<Response, ApiError> {
    let term = percent_decode("term", &term)?;
    let hits = state
        .game
        .search_tags(&category, &term, MAX_TAG_HITS, clock())
        .await?;
    let body = List {
        items: hits.into_iter().map(TagHit::from).collect(),
        next_cursor: None,
    };
    Ok(warp::reply::json(&body).into_response())
}

/// A trending tag.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TrendingTag {
    /// The tag as most recently typed.
    tag: String,
    /// Its decayed count of uses: each use counts 1 when it happens and half as much every
    /// half-life (`app.trending_half_life_secs`), as of the worker's last recomputation.
    score: f64,
    /// Its best photo.
    cover_photo: Photo,
}

impl From<TrendingTagView> for TrendingTag {
    fn from(trending: TrendingTagView) -> Self {
        Self {
            tag: trending.tag,
            score: trending.score,
            cover_photo: trending.cover.into(),
        }
    }
}

/// A category's trending tags: the 25 with the highest decayed count of recent uses
/// (added at upload or by an owner), highest first; equal scores are all listed, by tag.
/// Recomputed by the worker every `app.trending_interval_secs`; only tags that still have
/// competing photos, each with its best one.
#[utoipa::path(get, path = "/v1/tags/trending/{category}", tag = "tags",
    params(("category" = String, Path)),
    responses((status = 200, body = List<TrendingTag>), (status = 400, body = crate::ErrorBody)))]
async fn get_trending_tags(
    category: String,
    _viewer: UserId,
    state: AppState,
) -> Result<Response, ApiError> {
    let trending = state.game.trending_tags(&category, clock()).await?;
    let body = List {
        items: trending.into_iter().map(TrendingTag::from).collect(),
        next_cursor: None,
    };
    Ok(warp::reply::json(&body).into_response())
}

/// A category's featured tags (`app.featured_tags`) that have competing photos, in the
/// configured order, each with its best photo and how many photos carry it.
#[utoipa::path(get, path = "/v1/tags/{category}", tag = "tags",
    params(("category" = String, Path)),
    responses((status = 200, body = List<TagHit>), (status = 400, body = crate::ErrorBody)))]
async fn get_featured_tags(
    category: String,
    _viewer: UserId,
    state: AppState,
) -> Result<Response, ApiError> {
    let featured = state.game.featured_tags(&category, clock()).await?;
    let body = List {
        items: featured.into_iter().map(TagHit::from).collect(),
        next_cursor: None,
    };
    Ok(warp::reply::json(&body).into_response())
}
