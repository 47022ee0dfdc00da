//! Photos: a new entry with its presigned upload, and a photo by id.

use tourney_core::service::NewPhoto;
use tourney_core::{MediaType, PhotoId, UserId};
use utoipa::OpenApi;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::AppState;
use crate::auth::authenticated;
use crate::dto::{
    CreatedPhoto, List, NewPhotoBody, Paging, Photo, Upload, page_count, parse_location,
};
use crate::error::{ApiError, respond};
use crate::filters::{json_body, query, with_state};
use crate::rate_limit::{Action, authenticated_within, within_address_limit};
use crate::routes::{clock, secure_rng};

/// This group's routes.
pub(crate) fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let create = warp::path!("v1" / "photos")
        .and(warp::post())
        .and(within_address_limit(&state, Action::Uploads))
        .and(authenticated_within(state.clone(), Action::Uploads))
        .and(json_body::<NewPhotoBody>())
        .and(with_state(state.clone()))
        .then(create_photo)
        .map(respond);
    let uploaded = warp::path!("v1" / "photos" / String / "uploaded")
        .and(warp::post())
        .and(within_address_limit(&state, Action::Uploads))
        .and(authenticated_within(state.clone(), Action::Uploads))
        .and(with_state(state.clone()))
        .then(upload_completed)
        .map(respond);
    let get = warp::path!("v1" / "photos" / String)
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(with_state(state.clone()))
        .then(get_photo)
        .map(respond);
    let delete = warp::path!("v1" / "photos" / String)
        .and(warp::delete())
        .and(authenticated(state.clone()))
        .and(with_state(state.clone()))
        .then(delete_photo)
        .map(respond);
    let list = warp::path!("v1" / "users" / String / "photos")
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(query::<Paging>())
        .and(with_state(state.clone()))
        .then(list_user_photos)
        .map(respond);
    let mine = warp::path!("v1" / "users" / "me" / "photos" / String)
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(with_state(state))
        .then(my_photo)
        .map(respond);
    create
        .or(uploaded)
        .unify()
        .or(get)
        .unify()
        .or(delete)
        .unify()
        .or(list)
        .unify()
        .or(mine)
        .unify()
        .boxed()
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(
    paths(create_photo, upload_completed, get_photo, delete_photo, list_user_photos, my_photo),
    components(schemas(CreatedPhoto, NewPhotoBody, Photo, Upload, List<Photo>))
)]
pub(crate) struct Doc;

/// Creates a photo entry and answers where to upload its content; the worker processes it
/// once uploaded.
#[utoipa::path(post, path = "/v1/photos", tag = "photos", request_body = NewPhotoBody,
    responses((status = 202, body = CreatedPhoto), (status = 400, body = crate::ErrorBody)))]
async fn create_photo(
    owner: UserId,
    body: NewPhotoBody,
    state: AppState,
) -> Result<Response, ApiError> {
    let media_type = match body.media_type.as_deref() {
        None | Some("photo") => MediaType::Photo,
        Some("movie") => MediaType::Movie,
        Some(other) => {
            return Err(ApiError::invalid(
                "media_type",
                format!("{other:?}: use \"photo\" or \"movie\""),
            ));
        }
    };
    let location = body.location.as_ref().map(parse_location).transpose()?;
    let new_photo = NewPhoto {
        category: body.category,
        media_type,
        content_type: body.content_type,
        enter_in_tournament: body.enter_in_tournament.unwrap_or(true),
        set_as_profile_photo: body.set_as_profile_photo.unwrap_or(false),
        location,
        is_test: body.is_test.unwrap_or(false),
        tags: body.tags.unwrap_or_default(),
    };
    let created = state
        .game
        .create_photo(owner, new_photo, clock(), &mut secure_rng())
        .await?;
    let body = CreatedPhoto {
        id: created.photo_id.to_string(),
        share_url: super::share::share_url(&state, &created.photo_id.to_string()),
        upload: created.upload.into(),
    };
    Ok(warp::reply::with_status(warp::reply::json(&body), StatusCode::ACCEPTED).into_response())
}

/// The owner says the upload is sent: the server checks the object is stored and queues
/// its processing. Needed where storage sends no event of its own (S3 without event
/// notifications); harmless elsewhere (idempotent). Answers the photo, `processing` or
/// later.
#[utoipa::path(post, path = "/v1/photos/{photo_id}/uploaded", tag = "photos",
    params(("photo_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 200, body = Photo), (status = 403, body = crate::ErrorBody),
        (status = 404, body = crate::ErrorBody),
        (status = 409, description = "`upload_missing`: nothing stored yet", body = crate::ErrorBody)))]
async fn upload_completed(
    photo_id: String,
    caller: UserId,
    state: AppState,
) -> Result<Response, ApiError> {
    let photo_id = PhotoId::parse(&photo_id)?;
    let view = state
        .game
        .upload_completed(caller, photo_id, clock())
        .await?;
    Ok(warp::reply::json(&Photo::from(view)).into_response())
}

/// A photo; one that is not ready yet is visible only to its owner.
#[utoipa::path(get, path = "/v1/photos/{photo_id}", tag = "photos",
    params(("photo_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 200, body = Photo), (status = 404, body = crate::ErrorBody)))]
async fn get_photo(
    photo_id: String,
    viewer: UserId,
    state: AppState,
) -> Result<Response, ApiError> {
    let photo_id = PhotoId::parse(&photo_id)?;
    let view = state.game.photo(photo_id, Some(viewer), clock()).await?;
    Ok(warp::reply::json(&Photo::from(view)).into_response())
}

/// Default and largest page of a user's photos.
const PHOTOS_PAGE: (u32, u32) = (50, 200);

/// A user's photos (`me` for the caller), newest first; others see only ready ones.
#[utoipa::path(get, path = "/v1/users/{user_id}/photos", tag = "photos",
    params(("user_id" = String, Path, description = "32 hex, or `me`", pattern = "^([0-9a-f]{32}|me)$"),
        ("count" = Option<u32>, Query, description = "1-200, default 50", minimum = 1, maximum = 200), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = List<Photo>), (status = 404, body = crate::ErrorBody)))]
async fn list_user_photos(
    user_id: String,
    viewer: UserId,
    paging: Paging,
    state: AppState,
) -> Result<Response, ApiError> {
    let owner = if user_id == "me" {
        viewer
    } else {
        UserId::parse(&user_id)?
    };
    let count = page_count(paging.count, PHOTOS_PAGE.0, PHOTOS_PAGE.1)?;
    let (photos, next_cursor) = state
        .game
        .user_photos(owner, viewer, count, paging.cursor, clock())
        .await?;
    let body = List {
        items: photos.into_iter().map(Photo::from).collect(),
        next_cursor,
    };
    Ok(warp::reply::json(&body).into_response())
}

/// The caller's photo (profile photo, else the newest) at a size: a redirect to the image,
/// 404 until one is processed.
#[utoipa::path(get, path = "/v1/users/me/photos/{size}", tag = "photos",
    params(("size" = String, Path, description = "small, medium, game (or large) or original", pattern = "^(small|medium|game|large|original)$")),
    responses((status = 302, description = "to the image"), (status = 404, body = crate::ErrorBody)))]
async fn my_photo(size: String, user: UserId, state: AppState) -> Result<Response, ApiError> {
    let rendition = match size.as_str() {
        "small" | "medium" | "original" => size.clone(),
        "game" | "large" => "large".to_owned(),
        _ => {
            return Err(ApiError::invalid(
                "size",
                format!("{size:?}: use small, medium, game or original"),
            ));
        }
    };
    let me = state.game.user(user).await?;
    let ready = |photo: &tourney_core::service::PhotoView| {
        photo.state == tourney_core::service::PhotoState::Ready
    };
    // The profile photo, however old; else the newest ready photo.
    let profile = match me.profile_photo.as_deref().map(PhotoId::parse) {
        Some(Ok(id)) => Some(state.game.photo(id, Some(user), clock()).await?),
        _ => None,
    };
    let chosen = match profile.filter(ready) {
        Some(photo) => Some(photo),
        None => state
            .game
            .user_photos(user, user, 50, None, clock())
            .await?
            .0
            .into_iter()
            .find(ready),
    };
    let url = chosen
        .as_ref()
        .and_then(|photo| photo.urls.iter().find(|(name, _)| *name == rendition))
        .map(|(_, url)| url.clone())
        .ok_or_else(|| ApiError::not_found("a processed photo of yours"))?;
    let location = warp::http::HeaderValue::from_str(&url)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("rendition url {url:?}: {e}")))?;
    let mut response = StatusCode::FOUND.into_response();
    response
        .headers_mut()
        .insert(warp::http::header::LOCATION, location);
    Ok(response)
}

/// Deletes the caller's photo: it leaves every board, list and match, and its images are
/// removed. Others' photos: 403.
#[utoipa::path(delete, path = "/v1/photos/{photo_id}", tag = "photos",
    params(("photo_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 204, description = "deleted"), (status = 403, body = crate::ErrorBody),
        (status = 404, body = crate::ErrorBody)))]
async fn delete_photo(
    photo_id: String,
    caller: UserId,
    state: AppState,
) -> Result<Response, ApiError> {
    let photo_id = PhotoId::parse(&photo_id)?;
    state.game.delete_photo(caller, photo_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
