//! Facebook: linking the caller's account, and logging in on a new device with a Facebook
//! access token.

use serde::Deserialize;
use tourney_core::UserId;
use utoipa::{OpenApi, ToSchema};
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::AppState;
use crate::auth::authenticated;
use crate::dto::{CreatedUser, User};
use crate::error::{ApiError, respond};
use crate::filters::{json_body, query, with_state};
use crate::routes::secure_rng;

/// A Facebook access token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FacebookToken {
    /// The access token the app got from Facebook's login.
    token: String,
}

/// `?token=` of the login.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginQuery {
    token: Option<String>,
}

/// This group's routes.
pub(crate) fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let link = warp::path!("v1" / "users" / "me" / "facebook")
        .and(warp::put())
        .and(authenticated(state.clone()))
        .and(json_body::<FacebookToken>())
        .and(with_state(state.clone()))
        .then(link)
        .map(respond);
    let login = warp::path!("v1" / "users_by_facebook" / String)
        .and(warp::get())
        .and(query::<LoginQuery>())
        .and(with_state(state))
        .then(login)
        .map(respond);
    link.or(login).unify().boxed()
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(paths(link, login), components(schemas(FacebookToken)))]
pub(crate) struct Doc;

/// Links the Facebook account the token belongs to (409 `facebook_taken` when another user
/// has it; 400 naming `token` when Facebook rejects it). The profile's names fill the
/// caller's unset fields shortly after (the worker syncs them).
#[utoipa::path(put, path = "/v1/users/me/facebook", tag = "users", request_body = FacebookToken,
    responses((status = 200, body = User), (status = 400, body = crate::ErrorBody),
        (status = 409, body = crate::ErrorBody, description = "`facebook_taken`, or `facebook_disabled`: no Facebook login here")))]
async fn link(user: UserId, body: FacebookToken, state: AppState) -> Result<Response, ApiError> {
    let view = state.game.link_facebook(user, &body.token).await?;
    Ok(warp::reply::json(&User::from(view)).into_response())
}

/// Logs in on a new device: `{id, token}` when the Facebook token belongs to that linked
/// account (401 otherwise; 404 when no user linked it). The user's other devices stay
/// logged in.
#[utoipa::path(get, path = "/v1/users_by_facebook/{facebook_id}", tag = "users",
    params(("facebook_id" = String, Path), ("token" = String, Query, description = "a Facebook access token")),
    responses((status = 200, body = CreatedUser), (status = 401, body = crate::ErrorBody),
        (status = 404, body = crate::ErrorBody),
        (status = 409, body = crate::ErrorBody, description = "`facebook_disabled`: no Facebook login here")))]
async fn login(
    facebook_id: String,
    query: LoginQuery,
    state: AppState,
) -> Result<Response, ApiError> {
    let token = query
        .token
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ApiError::invalid("token", "give the Facebook access token as ?token="))?;
    let (id, token) = state
        .game
        .login_by_facebook(&facebook_id, &token, &mut secure_rng())
        .await?;
    Ok(warp::reply::json(&CreatedUser {
        id: id.to_string(),
        token,
    })
    .into_response())
}
