//! Comments on photos: the list (oldest first, paged) and a new comment.

use tourney_core::{PhotoId, UserId};
use utoipa::OpenApi;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::AppState;
use crate::auth::authenticated;
use crate::dto::{Comment, CommentBody, List, Paging, page_count};
use crate::error::{ApiError, respond};
use crate::filters::{json_body, query, with_state};
use crate::rate_limit::{Action, authenticated_within, within_address_limit};
use crate::routes::{clock, secure_rng};

/// Default and largest page of comments.
const COMMENTS_PAGE: (u32, u32) = (50, 200);

/// This group's routes.
pub(crate) fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let list = warp::path!("v1" / "photos" / String / "comments")
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(query::<Paging>())
        .and(with_state(state.clone()))
        .then(list_comments)
        .map(respond);
    let add = warp::path!("v1" / "photos" / String / "comments")
        .and(warp::post())
        .and(within_address_limit(&state, Action::Comments))
        .and(authenticated_within(state.clone(), Action::Comments))
        .and(json_body::<CommentBody>())
        .and(with_state(state))
        .then(add_comment)
        .map(respond);
    list.or(add).unify().boxed()
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(
    paths(list_comments, add_comment),
    components(schemas(Comment, CommentBody, List<Comment>))
)]
pub(crate) struct Doc;

/// A ready photo's comments, oldest first.
#[utoipa::path(get, path = "/v1/photos/{photo_id}/comments", tag = "social",
    params(("photo_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$"),
        ("count" = Option<u32>, Query, description = "1-200, default 50", minimum = 1, maximum = 200), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = List<Comment>), (status = 404, body = crate::ErrorBody)))]
async fn list_comments(
    photo: String,
    _viewer: UserId,
    paging: Paging,
    state: AppState,
) -> Result<Response, ApiError> {
    let photo = PhotoId::parse(&photo)?;
    let count = page_count(paging.count, COMMENTS_PAGE.0, COMMENTS_PAGE.1)?;
    let (comments, next_cursor) = state.game.comments(photo, count, paging.cursor).await?;
    let body = List {
        items: comments.into_iter().map(Comment::from).collect(),
        next_cursor,
    };
    Ok(warp::reply::json(&body).into_response())
}

/// Comments on a ready photo: 1-300 characters, for users whose registration is `ok`
/// (403 naming the status otherwise).
#[utoipa::path(post, path = "/v1/photos/{photo_id}/comments", tag = "social",
    params(("photo_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")), request_body = CommentBody,
    responses((status = 201, body = Comment), (status = 400, body = crate::ErrorBody),
        (status = 403, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
async fn add_comment(
    photo: String,
    author: UserId,
    body: CommentBody,
    state: AppState,
) -> Result<Response, ApiError> {
    let photo = PhotoId::parse(&photo)?;
    let comment = state
        .game
        .add_comment(author, photo, &body.text, clock(), &mut secure_rng())
        .await?;
    Ok(warp::reply::with_status(
        warp::reply::json(&Comment::from(comment)),
        StatusCode::CREATED,
    )
    .into_response())
}
