//! Users: sign-up, the self and public views, profile changes, name checks, token rotation
//! and account deletion.

use tourney_core::UserId;
use tourney_core::service::{NewUser, ProfileFields, ProfilePatch};
use utoipa::OpenApi;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::AppState;
use crate::auth::authenticated;
use crate::dto::{CreatedUser, NewToken, User, UserPatch, parse_location};
use crate::error::{ApiError, respond};
use crate::filters::{json_body, percent_decode, with_state};
use crate::rate_limit::{Action, within_address_limit};
use crate::routes::{clock, secure_rng};

/// This group's routes.
pub(crate) fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let create = warp::path!("v1" / "users")
        .and(warp::post())
        .and(within_address_limit(&state, Action::SignUp))
        .and(warp::header::optional::<String>("user-agent"))
        .and(with_state(state.clone()))
        .then(create_user)
        .map(respond);
    let me = warp::path!("v1" / "users" / "me")
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(with_state(state.clone()))
        .then(get_me)
        .map(respond);
    let patch = warp::path!("v1" / "users" / "me")
        .and(warp::patch())
        .and(authenticated(state.clone()))
        .and(json_body::<UserPatch>())
        .and(with_state(state.clone()))
        .then(patch_me)
        .map(respond);
    let delete = warp::path!("v1" / "users" / "me")
        .and(warp::delete())
        .and(authenticated(state.clone()))
        .and(with_state(state.clone()))
        .then(delete_me)
        .map(respond);
    let token = warp::path!("v1" / "users" / "me" / "token")
        .and(warp::post())
        .and(authenticated(state.clone()))
        .and(with_state(state.clone()))
        .then(rotate_token)
        .map(respond);
    let other = warp::path!("v1" / "users" / String)
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(with_state(state.clone()))
        .then(get_user)
        .map(respond);
    let by_name = warp::path!("v1" / "users_by_name" / String)
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(with_state(state.clone()))
        .then(user_by_name)
        .map(respond);
    let name = warp::path!("v1" / "user_names" / String)
        .and(warp::get())
        .and(with_state(state))
        .then(user_name)
        .map(respond);
    create
        .or(me)
        .unify()
        .or(patch)
        .unify()
        .or(delete)
        .unify()
        .or(token)
        .unify()
        .or(other)
        .unify()
        .or(name)
        .unify()
        .or(by_name)
        .unify()
        .boxed()
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(
    paths(
        create_user,
        get_me,
        patch_me,
        delete_me,
        rotate_token,
        get_user,
        user_name,
        user_by_name
    ),
    components(schemas(CreatedUser, NewToken, User, UserPatch))
)]
pub(crate) struct Doc;

/// Signs up an anonymous user; the token authenticates every other call.
#[utoipa::path(post, path = "/v1/users", tag = "users",
    responses((status = 201, body = CreatedUser)))]
async fn create_user(user_agent: Option<String>, state: AppState) -> Result<Response, ApiError> {
    let new_user = NewUser { user_agent };
    let (id, token) = state
        .game
        .create_user(new_user, clock(), &mut secure_rng())
        .await?;
    let body = CreatedUser {
        id: id.to_string(),
        token,
    };
    Ok(warp::reply::with_status(warp::reply::json(&body), StatusCode::CREATED).into_response())
}

/// The caller's own user.
#[utoipa::path(get, path = "/v1/users/me", tag = "users",
    responses((status = 200, body = User), (status = 401, body = crate::ErrorBody)))]
async fn get_me(user: UserId, state: AppState) -> Result<Response, ApiError> {
    Ok(json(&User::from(state.game.user(user).await?)))
}

/// Another user by id.
#[utoipa::path(get, path = "/v1/users/{user_id}", tag = "users",
    params(("user_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 200, body = User), (status = 404, body = crate::ErrorBody)))]
async fn get_user(user_id: String, _caller: UserId, state: AppState) -> Result<Response, ApiError> {
    let user_id = UserId::parse(&user_id)?;
    Ok(json(&User::from(state.game.user(user_id).await?)))
}

/// Changes the caller's profile: names, categories, location (resolved to the nearest
/// place), free-text fields. Only what is sent changes.
#[utoipa::path(patch, path = "/v1/users/me", tag = "users", request_body = UserPatch,
    responses((status = 200, body = User), (status = 400, body = crate::ErrorBody),
        (status = 409, body = crate::ErrorBody), (status = 415, body = crate::ErrorBody)))]
async fn patch_me(user: UserId, body: UserPatch, state: AppState) -> Result<Response, ApiError> {
    let location = body.location.as_ref().map(parse_location).transpose()?;
    let patch = ProfilePatch {
        user_name: body.user_name,
        profile: ProfileFields {
            first_name: body.first_name,
            last_name: body.last_name,
            biography: body.biography,
            website: body.website,
            snapchat: body.snapchat,
            instagram: body.instagram,
        },
        post_category: body.post_category,
        view_category: body.view_category,
        location,
    };
    let updated = state.game.update_profile(user, patch).await?;
    if let Some(token) = body.apn_device_id {
        if token.trim().is_empty() || token.len() > 512 {
            return Err(ApiError::invalid(
                "apn_device_id",
                "must be the device's push token (1 to 512 characters)",
            ));
        }
        let device = ocean::notifications::Device {
            platform: ocean::notifications::Platform::Apns,
            token,
        };
        state.game.register_device(user, device).await?;
    }
    Ok(json(&User::from(updated)))
}

/// Deletes the caller's account: the name is freed and the token stops working.
#[utoipa::path(delete, path = "/v1/users/me", tag = "users",
    responses((status = 204), (status = 401, body = crate::ErrorBody)))]
async fn delete_me(user: UserId, state: AppState) -> Result<Response, ApiError> {
    state.game.delete_user(user).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Replaces the caller's token; the old one stops working at once.
#[utoipa::path(post, path = "/v1/users/me/token", tag = "users",
    responses((status = 200, body = NewToken), (status = 401, body = crate::ErrorBody)))]
async fn rotate_token(user: UserId, state: AppState) -> Result<Response, ApiError> {
    let token = state.game.rotate_token(user, &mut secure_rng()).await?;
    Ok(json(&NewToken { token }))
}

/// Whether a user name is taken: 204 taken, 404 free.
#[utoipa::path(get, path = "/v1/user_names/{name}", tag = "users",
    params(("name" = String, Path, description = "percent-encoded user name")),
    responses((status = 204), (status = 404, body = crate::ErrorBody)))]
async fn user_name(name: String, state: AppState) -> Result<Response, ApiError> {
    let name = percent_decode("name", &name)?;
    if state.game.user_name_taken(&name).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found(format!("user name {name:?}")).with_code("name_free"))
    }
}

/// A user by public name; the caller's registration must be `ok`.
#[utoipa::path(get, path = "/v1/users_by_name/{name}", tag = "users",
    params(("name" = String, Path, description = "percent-encoded user name")),
    responses((status = 200, body = User), (status = 403, body = crate::ErrorBody),
        (status = 404, body = crate::ErrorBody)))]
async fn user_by_name(name: String, caller: UserId, state: AppState) -> Result<Response, ApiError> {
    let name = percent_decode("name", &name)?;
    Ok(json(&User::from(
        state.game.user_by_name(caller, &name).await?,
    )))
}

fn json<T: serde::Serialize>(body: &T) -> Response {
    warp::reply::json(body).into_response()
}
