//! Sharing a photo: the public page at `/{photo_id}` (HTML with Open Graph and Twitter card
//! tags, so links unfurl in chats and feeds) and its JSON twin `GET /v1/photo_share/{id}`.
//! Neither needs credentials; both show only ready photos that are not hidden.

use maud::{DOCTYPE, Markup, html};
use tourney_core::PhotoId;
use tourney_core::service::{PhotoState, PhotoView, ServiceError};
use utoipa::OpenApi;
use warp::filters::BoxedFilter;
use warp::http::{HeaderValue, StatusCode, header};
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::AppState;
use crate::dto::Photo;
use crate::error::{ApiError, error_response, respond};
use crate::filters::with_state;
use crate::routes::clock;

/// This group's routes. The page takes exactly one path segment of 32 hex characters, so it
/// leaves every other one-segment path (`/health`, `/docs`...) to its own route or to the
/// "no route" 404.
pub(crate) fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let page = warp::path::param::<String>()
        .and(warp::path::end())
        .and_then(|segment: String| async move {
            if is_hex_id(&segment) {
                Ok(segment)
            } else {
                Err(warp::reject::not_found())
            }
        })
        .and(warp::get())
        .and(with_state(state.clone()))
        .then(share_page);
    let json = warp::path!("v1" / "photo_share" / String)
        .and(warp::get())
        .and(with_state(state))
        .then(photo_share)
        .map(respond);
    page.or(json).unify().boxed()
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(paths(share_page, photo_share))]
pub(crate) struct Doc;

/// Whether a path segment is 32 hex characters (either case), the shape of a photo id; the
/// share page's route takes no other segment.
pub(crate) fn is_hex_id(segment: &str) -> bool {
    segment.len() == 32 && segment.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// The public page of a photo at `share_url` (what `POST /v1/photos` answers as
/// `share_url`): the share page on the server's public address.
pub(crate) fn share_url(state: &AppState, photo_id: &str) -> String {
    state.game.share_url(photo_id)
}

/// A photo's public page: its large image, score and place, with Open Graph (`og:title`,
/// `og:image`, `og:url`, `og:type`) and Twitter card tags. Everything shown is HTML-escaped.
/// Unknown, hidden or unprocessed photos, and ids that are not photo ids, get an HTML 404.
#[utoipa::path(get, path = "/{photo_id}", tag = "share",
    params(("photo_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses(
        (status = 200, description = "the page", body = String, content_type = "text/html"),
        (status = 404, description = "no such photo to show", body = String, content_type = "text/html")))]
async fn share_page(segment: String, state: AppState) -> Response {
    let Ok(photo_id) = PhotoId::parse(&segment) else {
        return html_response(StatusCode::NOT_FOUND, not_found_page());
    };
    match state.game.photo(photo_id, None, clock()).await {
        Ok(photo) if photo.state == PhotoState::Ready => {
            let url = share_url(&state, &segment);
            html_response(StatusCode::OK, photo_page(&photo, &url))
        }
        Ok(_) | Err(ServiceError::NotFound { .. }) => {
            html_response(StatusCode::NOT_FOUND, not_found_page())
        }
        Err(error) => error_response(&ApiError::from(error)),
    }
}

/// A photo's public fields, for anyone (no credentials): ready photos only.
#[utoipa::path(get, path = "/v1/photo_share/{photo_id}", tag = "share",
    params(("photo_id" = String, Path, description = "32 hex", pattern = "^[0-9a-f]{32}$")),
    responses((status = 200, body = Photo), (status = 400, body = crate::ErrorBody),
        (status = 404, body = crate::ErrorBody)))]
async fn photo_share(photo_id: String, state: AppState) -> Result<Response, ApiError> {
    let photo_id = PhotoId::parse(&photo_id)?;
    let view = state.game.photo(photo_id, None, clock()).await?;
    Ok(warp::reply::json(&Photo::from(view)).into_response())
}

/// The page of a ready photo shared at `url`.
fn photo_page(photo: &PhotoView, url: &str) -> Markup {
    let large = photo
        .urls
        .iter()
        .find(|(name, _)| *name == "large")
        .map_or("", |(_, url)| url.as_str());
    let place = &photo.place;
    let title = format!("{} in {} · LocalPicTourney", photo.category, place.name);
    let score = format!("{:.0}", photo.score);
    let description = format!(
        "Score {score} after {} games in {}, {}.",
        photo.games, place.name, place.country
    );
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                meta property="og:title" content=(title);
                meta property="og:type" content="article";
                meta property="og:url" content=(url);
                meta property="og:image" content=(large);
                meta property="og:description" content=(description);
                meta name="twitter:card" content="summary_large_image";
                meta name="twitter:title" content=(title);
                meta name="twitter:image" content=(large);
                link rel="canonical" href=(url);
            }
            body {
                main {
                    h1 { (photo.category) " in " (place.name) }
                    img src=(large) alt=(title);
                    p class="score" { "Score " (score) }
                    p class="place" { (place.name) ", " (place.region) ", " (place.country) }
                    @if !photo.tags.is_empty() {
                        ul class="tags" {
                            @for tag in &photo.tags {
                                li { "#" (tag) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The page for a photo there is nothing to show of.
fn not_found_page() -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Photo not found · LocalPicTourney" }
            }
            body {
                main {
                    h1 { "Photo not found" }
                    p { "This photo does not exist, or it is not shown any more." }
                }
            }
        }
    }
}

/// `markup` as a `text/html` answer with `status`.
fn html_response(status: StatusCode, markup: Markup) -> Response {
    let mut response = warp::reply::with_status(markup.into_string(), status).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if status == StatusCode::OK {
            "public, max-age=60"
        } else {
            "no-store"
        }),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_32_hex_segments_are_photo_ids_for_the_route() {
        assert!(is_hex_id("0123456789abcdef0123456789abcdef"));
        assert!(is_hex_id("0123456789ABCDEF0123456789ABCDEF"));
        for segment in [
            "",
            "health",
            "0123456789abcdef0123456789abcde",
            "0123456789abcdef0123456789abcdef0",
            "0123456789abcdef0123456789abcdeg",
        ] {
            assert!(!is_hex_id(segment), "{segment:?}");
        }
        let found = |method, path| crate::routes::route_of(method, path).map(|route| route.path);
        assert_eq!(
            found("GET", "/0123456789abcdef0123456789abcdef"),
            Some("/{photo_id}")
        );
        assert_eq!(found("GET", "/health"), Some("/health"));
        assert_eq!(found("GET", "/docs"), Some("/docs"));
        assert_eq!(found("GET", "/nowhere"), None);
    }
}
