//! Social routes: follows, followers, the feed, activity and notification history,
//! notification settings, and a test push to yourself.

use serde::{Deserialize, Serialize};
use tourney_core::UserId;
use tourney_core::service::{
    ActivityView, NotificationSettings, NotificationSettingsPatch, UserSummary,
};
use utoipa::{OpenApi, ToSchema};
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::AppState;
use crate::auth::authenticated;
use crate::dto::{List, Paging, Photo, page_count, rfc3339};
use crate::error::{ApiError, respond};
use crate::filters::{json_body, query, with_state};
use crate::routes::clock;

/// Default and largest page of these lists.
const PAGE: (u32, u32) = (50, 200);

/// A follow or unfollow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FollowBody {
    /// The other user's id.
    user_id: String,
}

/// Where a follow stands after the call.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FollowState {
    /// The other user.
    user_id: String,
    /// Whether the caller follows them now.
    following: bool,
}

/// A user in a follow list.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserRef {
    /// Id.
    id: String,
    /// Public name.
    user_name: Option<String>,
}

impl From<UserSummary> for UserRef {
    fn from(user: UserSummary) -> Self {
        Self {
            id: user.id.to_string(),
            user_name: user.user_name,
        }
    }
}

/// An activity or notification.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Activity {
    /// Id (32 hex).
    id: String,
    /// `joined`, `new_photo`, `new_comment`, `new_follower`, `won_tournament` or
    /// `you_won_tournament`.
    kind: String,
    /// Whether it had been read before this request (it is read now).
    read: bool,
    /// When (RFC 3339).
    created_at: String,
    /// Who did it.
    actor: Option<String>,
    /// The photo it is about.
    photo: Option<String>,
    /// The comment it is about.
    comment: Option<String>,
}

impl From<ActivityView> for Activity {
    fn from(view: ActivityView) -> Self {
        Self {
            id: view.id,
            kind: view.kind.as_str().to_owned(),
            read: view.read,
            created_at: rfc3339(view.created_at),
            actor: view.actor.map(|id| id.to_string()),
            photo: view.photo.map(|id| id.to_string()),
            comment: view.comment.map(|id| id.to_string()),
        }
    }
}

/// Which notifications are pushed (every one is listed, `false` included).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Settings {
    new_photo: bool,
    new_comment: bool,
    new_follower: bool,
    won_tournament: bool,
    you_won_tournament: bool,
}

impl From<NotificationSettings> for Settings {
    fn from(s: NotificationSettings) -> Self {
        Self {
            new_photo: s.new_photo,
            new_comment: s.new_comment,
            new_follower: s.new_follower,
            won_tournament: s.won_tournament,
            you_won_tournament: s.you_won_tournament,
        }
    }
}

/// A settings change: only the fields sent change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsPatch {
    new_photo: Option<bool>,
    new_comment: Option<bool>,
    new_follower: Option<bool>,
    won_tournament: Option<bool>,
    you_won_tournament: Option<bool>,
}

/// This group's routes.
pub(crate) fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let me = || {
        warp::path("v1")
            .and(warp::path("users"))
            .and(warp::path("me"))
    };
    let following = me()
        .and(warp::path!("following"))
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(query::<Paging>())
        .and(with_state(state.clone()))
        .then(list_following)
        .map(respond);
    let follow = me()
        .and(warp::path!("following"))
        .and(warp::post())
        .and(authenticated(state.clone()))
        .and(json_body::<FollowBody>())
        .and(with_state(state.clone()))
        .then(follow)
        .map(respond);
    let unfollow = me()
        .and(warp::path!("following"))
        .and(warp::delete())
        .and(authenticated(state.clone()))
        .and(json_body::<FollowBody>())
        .and(with_state(state.clone()))
        .then(unfollow)
        .map(respond);
    let followers = me()
        .and(warp::path!("followers"))
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(query::<Paging>())
        .and(with_state(state.clone()))
        .then(list_followers)
        .map(respond);
    let follower = me()
        .and(warp::path!("followers" / String))
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(with_state(state.clone()))
        .then(is_follower)
        .map(respond);
    let feed = me()
        .and(warp::path!("feed"))
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(query::<Paging>())
        .and(with_state(state.clone()))
        .then(feed)
        .map(respond);
    let activity = me()
        .and(warp::path!("activity"))
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(query::<Paging>())
        .and(with_state(state.clone()))
        .then(activity)
        .map(respond);
    let history = me()
        .and(warp::path!("notification_history"))
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(query::<Paging>())
        .and(with_state(state.clone()))
        .then(notification_history)
        .map(respond);
    let settings = me()
        .and(warp::path!("notification_settings"))
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(with_state(state.clone()))
        .then(get_settings)
        .map(respond);
    let patch_settings = me()
        .and(warp::path!("notification_settings"))
        .and(warp::patch())
        .and(authenticated(state.clone()))
        .and(json_body::<SettingsPatch>())
        .and(with_state(state.clone()))
        .then(patch_settings)
        .map(respond);
    let test_push = warp::path!("v1" / "test_push")
        .and(warp::post())
        .and(authenticated(state.clone()))
        .and(with_state(state))
        .then(test_push)
        .map(respond);
    following
        .or(follow)
        .unify()
        .or(unfollow)
        .unify()
        .or(followers)
        .unify()
        .or(follower)
        .unify()
        .or(feed)
        .unify()
        .or(activity)
        .unify()
        .or(history)
        .unify()
        .or(settings)
        .unify()
        .or(patch_settings)
        .unify()
        .or(test_push)
        .unify()
        .boxed()
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(
    paths(list_following, follow, unfollow, list_followers, is_follower, feed, activity,
        notification_history, get_settings, patch_settings, test_push),
    components(schemas(FollowBody, FollowState, UserRef, List<UserRef>, Activity, List<Activity>,
        Settings, SettingsPatch, List<Photo>))
)]
pub(crate) struct Doc;

fn json<T: Serialize>(body: &T) -> Response {
    warp::reply::json(body).into_response()
}

/// Whom the caller follows.
#[utoipa::path(get, path = "/v1/users/me/following", tag = "social",
    params(("count" = Option<u32>, Query, description = "1-200, default 50", minimum = 1, maximum = 200), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = List<UserRef>)))]
async fn list_following(me: UserId, paging: Paging, state: AppState) -> Result<Response, ApiError> {
    let count = page_count(paging.count, PAGE.0, PAGE.1)?;
    let (users, next_cursor) = state.game.following(me, count, paging.cursor).await?;
    Ok(json(&List {
        items: users.into_iter().map(UserRef::from).collect(),
        next_cursor,
    }))
}

/// Follows a user (idempotent; yourself: 400; needs a complete registration: 403).
#[utoipa::path(post, path = "/v1/users/me/following", tag = "social", request_body = FollowBody,
    responses((status = 200, body = FollowState), (status = 400, body = crate::ErrorBody),
        (status = 403, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
async fn follow(me: UserId, body: FollowBody, state: AppState) -> Result<Response, ApiError> {
    let other = UserId::parse(&body.user_id)?;
    state.game.follow(me, other, clock()).await?;
    Ok(json(&FollowState {
        user_id: other.to_string(),
        following: true,
    }))
}

/// Stops following a user (idempotent).
#[utoipa::path(delete, path = "/v1/users/me/following", tag = "social", request_body = FollowBody,
    responses((status = 200, body = FollowState), (status = 404, body = crate::ErrorBody)))]
async fn unfollow(me: UserId, body: FollowBody, state: AppState) -> Result<Response, ApiError> {
    let other = UserId::parse(&body.user_id)?;
    state.game.unfollow(me, other).await?;
    Ok(json(&FollowState {
        user_id: other.to_string(),
        following: false,
    }))
}

/// Who follows the caller.
#[utoipa::path(get, path = "/v1/users/me/followers", tag = "social",
    params(("count" = Option<u32>, Query, description = "1-200, default 50", minimum = 1, maximum = 200), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = List<UserRef>)))]
async fn list_followers(me: UserId, paging: Paging, state: AppState) -> Result<Response, ApiError> {
    let count = page_count(paging.count, PAGE.0, PAGE.1)?;
    let (users, next_cursor) = state.game.followers(me, count, paging.cursor).await?;
    Ok(json(&List {
        items: users.into_iter().map(UserRef::from).collect(),
        next_cursor,
    }))
}

/// Whether a user follows the caller: 204 yes, 404 no.
#[utoipa::path(get, path = "/v1/users/me/followers/{user_id}", tag = "social",
    params(("user_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 204, description = "they follow you"),
        (status = 404, body = crate::ErrorBody, description = "they do not")))]
async fn is_follower(other: String, me: UserId, state: AppState) -> Result<Response, ApiError> {
    let other = UserId::parse(&other)?;
    if state.game.follows(other, me).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found(format!(
            "a follow of you by user {other}"
        )))
    }
}

/// New ready photos of the users the caller follows, newest first.
#[utoipa::path(get, path = "/v1/users/me/feed", tag = "social",
    params(("count" = Option<u32>, Query, description = "1-200, default 50", minimum = 1, maximum = 200), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = List<Photo>)))]
async fn feed(me: UserId, paging: Paging, state: AppState) -> Result<Response, ApiError> {
    let count = page_count(paging.count, PAGE.0, PAGE.1)?;
    let (photos, next_cursor) = state.game.feed(me, count, paging.cursor, clock()).await?;
    Ok(json(&List {
        items: photos.into_iter().map(Photo::from).collect(),
        next_cursor,
    }))
}

/// What happened that concerns the caller, newest first; `read` as it was, then marked.
#[utoipa::path(get, path = "/v1/users/me/activity", tag = "social",
    params(("count" = Option<u32>, Query, description = "1-200, default 50", minimum = 1, maximum = 200), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = List<Activity>)))]
async fn activity(me: UserId, paging: Paging, state: AppState) -> Result<Response, ApiError> {
    let count = page_count(paging.count, PAGE.0, PAGE.1)?;
    let (items, next_cursor) = state.game.activity(me, count, paging.cursor).await?;
    Ok(json(&List {
        items: items.into_iter().map(Activity::from).collect(),
        next_cursor,
    }))
}

/// The notifications the caller was sent, newest first; `read` as it was, then marked.
#[utoipa::path(get, path = "/v1/users/me/notification_history", tag = "social",
    params(("count" = Option<u32>, Query, description = "1-200, default 50", minimum = 1, maximum = 200), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = List<Activity>)))]
async fn notification_history(
    me: UserId,
    paging: Paging,
    state: AppState,
) -> Result<Response, ApiError> {
    let count = page_count(paging.count, PAGE.0, PAGE.1)?;
    let (items, next_cursor) = state
        .game
        .notification_history(me, count, paging.cursor)
        .await?;
    Ok(json(&List {
        items: items.into_iter().map(Activity::from).collect(),
        next_cursor,
    }))
}

/// The caller's notification settings.
#[utoipa::path(get, path = "/v1/users/me/notification_settings", tag = "social",
    responses((status = 200, body = Settings)))]
async fn get_settings(me: UserId, state: AppState) -> Result<Response, ApiError> {
    Ok(json(&Settings::from(
        state.game.notification_settings(me).await?,
    )))
}

/// Changes only the settings sent; answers all of them.
#[utoipa::path(patch, path = "/v1/users/me/notification_settings", tag = "social",
    request_body = SettingsPatch, responses((status = 200, body = Settings)))]
async fn patch_settings(
    me: UserId,
    body: SettingsPatch,
    state: AppState,
) -> Result<Response, ApiError> {
    let patch = NotificationSettingsPatch {
        new_photo: body.new_photo,
        new_comment: body.new_comment,
        new_follower: body.new_follower,
        won_tournament: body.won_tournament,
        you_won_tournament: body.you_won_tournament,
    };
    Ok(json(&Settings::from(
        state.game.update_notification_settings(me, patch).await?,
    )))
}

/// Sends a test push to the caller's registered device (409 `no_device` without one).
#[utoipa::path(post, path = "/v1/test_push", tag = "service",
    responses((status = 204, description = "sent"), (status = 409, body = crate::ErrorBody)))]
async fn test_push(me: UserId, state: AppState) -> Result<Response, ApiError> {
    state.game.test_push(me).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
