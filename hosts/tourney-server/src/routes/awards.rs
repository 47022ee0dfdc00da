//! Awards: a photo's weekly places (first, second, third of its category's week board),
//! read by its owner.

use serde::Serialize;
use tourney_core::service::AwardView;
use tourney_core::{PhotoId, UserId};
use utoipa::{OpenApi, ToSchema};
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::AppState;
use crate::auth::authenticated;
use crate::dto::{List, rfc3339};
use crate::error::{ApiError, respond};
use crate::filters::with_state;
use crate::routes::clock;

/// This group's routes.
pub(crate) fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    warp::path!("v1" / "photos" / String / "awards")
        .and(warp::get())
        .and(authenticated(state.clone()))
        .and(with_state(state))
        .then(photo_awards)
        .map(respond)
        .boxed()
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(paths(photo_awards), components(schemas(Award, List<Award>)))]
pub(crate) struct Doc;

/// A photo's award.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Award {
    /// The category whose week board the photo placed on.
    category: String,
    /// The ISO week, `YYYY-Www` (weeks start on Monday, UTC).
    week: String,
    /// 1 (first), 2 (second) or 3 (third).
    place: u32,
    /// When it was given (RFC 3339).
    awarded_at: String,
}

impl From<AwardView> for Award {
    fn from(award: AwardView) -> Self {
        Self {
            category: award.category,
            week: award.week,
            place: award.place,
            awarded_at: rfc3339(award.awarded_at),
        }
    }
}

/// The caller's photo's awards, oldest week first; others' photos: 403.
#[utoipa::path(get, path = "/v1/photos/{photo_id}/awards", tag = "photos",
    params(("photo_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 200, body = List<Award>), (status = 400, body = crate::ErrorBody),
        (status = 403, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
async fn photo_awards(
    photo_id: String,
    caller: UserId,
    state: AppState,
) -> Result<Response, ApiError> {
    let photo_id = PhotoId::parse(&photo_id)?;
    let awards = state.game.photo_awards(caller, photo_id, clock()).await?;
    let body = List {
        items: awards.into_iter().map(Award::from).collect(),
        next_cursor: None,
    };
    Ok(warp::reply::json(&body).into_response())
}
