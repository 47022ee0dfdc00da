//! Flags on users, photos and comments: `POST /v1/{users|photos|photo_comments}/{id}/flags`
//! with `{reason}`, recording the client's address; rate limited per address and per user.

use serde::{Deserialize, Serialize};
use tourney_core::service::{FlagTarget, FlagView};
use tourney_core::{CommentId, PhotoId, UserId};
use utoipa::{OpenApi, ToSchema};
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::AppState;
use crate::dto::rfc3339;
use crate::error::{ApiError, respond};
use crate::filters::{client_address, json_body, with_state};
use crate::rate_limit::{Action, authenticated_within, within_address_limit};
use crate::routes::clock;

/// `POST .../flags` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FlagBody {
    /// Why: 1-255 characters (trimmed).
    pub(crate) reason: String,
}

/// A flag.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Flag {
    /// What is flagged: `user:<id>`, `photo:<id>` or `comment:<id>`.
    pub(crate) kind_id: String,
    /// `user`, `photo` or `comment`.
    pub(crate) kind: String,
    /// The flagged object's id.
    pub(crate) object_id: String,
    /// The flagger.
    pub(crate) user_id: String,
    /// Why.
    pub(crate) reason: String,
    /// When (RFC 3339).
    pub(crate) created_on: String,
    /// The flagger's address as the server saw it.
    pub(crate) ip: String,
}

impl From<FlagView> for Flag {
    fn from(flag: FlagView) -> Self {
        Self {
            kind_id: flag.target.kind_id(),
            kind: flag.target.kind().to_owned(),
            object_id: flag.target.object_id(),
            user_id: flag.flagger.to_string(),
            reason: flag.reason,
            created_on: rfc3339(flag.created_on),
            ip: flag.ip,
        }
    }
}

/// This group's routes.
pub(crate) fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let trusted_forwarded = state.settings.app.trusted_forwarded_entries();
    let user = warp::path!("v1" / "users" / String / "flags")
        .and(warp::post())
        .and(within_address_limit(&state, Action::Flags))
        .and(authenticated_within(state.clone(), Action::Flags))
        .and(json_body::<FlagBody>())
        .and(client_address(trusted_forwarded))
        .and(with_state(state.clone()))
        .then(flag_user)
        .map(respond);
    let photo = warp::path!("v1" / "photos" / String / "flags")
        .and(warp::post())
        .and(within_address_limit(&state, Action::Flags))
        .and(authenticated_within(state.clone(), Action::Flags))
        .and(json_body::<FlagBody>())
        .and(client_address(trusted_forwarded))
        .and(with_state(state.clone()))
        .then(flag_photo)
        .map(respond);
    let comment = warp::path!("v1" / "photo_comments" / String / "flags")
        .and(warp::post())
        .and(within_address_limit(&state, Action::Flags))
        .and(authenticated_within(state.clone(), Action::Flags))
        .and(json_body::<FlagBody>())
        .and(client_address(trusted_forwarded))
        .and(with_state(state))
        .then(flag_comment)
        .map(respond);
    user.or(photo).unify().or(comment).unify().boxed()
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(
    paths(flag_user, flag_photo, flag_comment),
    components(schemas(Flag, FlagBody))
)]
pub(crate) struct Doc;

/// Flags a user (once per flagger).
#[utoipa::path(post, path = "/v1/users/{user_id}/flags", tag = "flags",
    params(("user_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")), request_body = FlagBody,
    responses((status = 200, body = Flag), (status = 400, body = crate::ErrorBody),
        (status = 404, body = crate::ErrorBody),
        (status = 409, body = crate::ErrorBody, description = "already flagged by you")))]
async fn flag_user(
    user: String,
    flagger: UserId,
    body: FlagBody,
    ip: String,
    state: AppState,
) -> Result<Response, ApiError> {
    let user = UserId::parse(&user)?;
    flag(FlagTarget::User(user), flagger, &body, &ip, &state).await
}

/// Flags a photo the caller can see (once per flagger).
#[utoipa::path(post, path = "/v1/photos/{photo_id}/flags", tag = "flags",
    params(("photo_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")), request_body = FlagBody,
    responses((status = 200, body = Flag), (status = 400, body = crate::ErrorBody),
        (status = 404, body = crate::ErrorBody),
        (status = 409, body = crate::ErrorBody, description = "already flagged by you")))]
async fn flag_photo(
    photo: String,
    flagger: UserId,
    body: FlagBody,
    ip: String,
    state: AppState,
) -> Result<Response, ApiError> {
    let photo = PhotoId::parse(&photo)?;
    flag(FlagTarget::Photo(photo), flagger, &body, &ip, &state).await
}

/// Flags a comment the caller can see (once per flagger).
#[utoipa::path(post, path = "/v1/photo_comments/{comment_id}/flags", tag = "flags",
    params(("comment_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")), request_body = FlagBody,
    responses((status = 200, body = Flag), (status = 400, body = crate::ErrorBody),
        (status = 404, body = crate::ErrorBody),
        (status = 409, body = crate::ErrorBody, description = "already flagged by you")))]
async fn flag_comment(
    comment: String,
    flagger: UserId,
    body: FlagBody,
    ip: String,
    state: AppState,
) -> Result<Response, ApiError> {
    let comment = CommentId::parse(&comment)?;
    flag(FlagTarget::Comment(comment), flagger, &body, &ip, &state).await
}

/// Records the flag and answers it.
async fn flag(
    target: FlagTarget,
    flagger: UserId,
    body: &FlagBody,
    ip: &str,
    state: &AppState,
) -> Result<Response, ApiError> {
    let flag = state
        .game
        .flag(flagger, target, &body.reason, ip, clock())
        .await?;
    Ok(warp::reply::json(&Flag::from(flag)).into_response())
}
