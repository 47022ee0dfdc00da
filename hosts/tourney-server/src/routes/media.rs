//! The embedded media backend's URLs, served only when `media.backend = "embedded"`:
//! presigned uploads (`PUT /media/upload/{key}?...`) and public or signed reads
//! (`GET /media/{key}[?expires=&signature=]`), checked by `EmbeddedMedia`.

use std::sync::Arc;
use std::time::SystemTime;

use ocean::Media;
use ocean::media::ObjectKey;
use ocean_embedded::EmbeddedMedia;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use warp::filters::BoxedFilter;
use warp::filters::path::FullPath;
use warp::http::{HeaderValue, header};
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::error::{ApiError, ErrorBody, respond};
use crate::filters::{body_with_limit, raw_query};
use crate::{AppState, UploadListener};

/// `cache-control` of public reads: a key's bytes never change once processed.
const PUBLIC_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// `cache-control` of signed reads: only the holder of the URL may keep it.
const SIGNED_CACHE_CONTROL: &str = "private, max-age=300";

/// This group's routes; with another media backend, none (every request is rejected as
/// not found).
pub(crate) fn routes(state: &AppState) -> BoxedFilter<(Response,)> {
    let Some(media) = state.ports.embedded_media.clone() else {
        return warp::any()
            .and_then(|| async { Err::<Response, _>(warp::reject::not_found()) })
            .boxed();
    };
    let upload_limit_bytes = state.settings.app.max_upload_bytes;
    let upload_media = Arc::clone(&media);
    let listener = state.upload_listener.clone();
    let upload = warp::path!("media" / "upload" / ..)
        .and(warp::put())
        .and(warp::path::full())
        .and(raw_query())
        .and(warp::header::optional::<String>("content-type"))
        .and(body_with_limit(upload_limit_bytes))
        .then(
            move |path: FullPath, query: String, content_type: Option<String>, body| {
                let media = Arc::clone(&upload_media);
                let listener = listener.clone();
                let request = UploadRequest {
                    path_and_query: path_and_query(&path, &query),
                    content_type: content_type.unwrap_or_default(),
                    body,
                };
                async move { upload(&media, listener.as_deref(), request).await }
            },
        )
        .map(respond);
    let read = warp::path("media")
        .and(warp::get())
        .and(warp::path::full())
        .and(raw_query())
        .then(move |path: FullPath, query: String| {
            let media = Arc::clone(&media);
            async move { read(&media, &path_and_query(&path, &query)).await }
        })
        .map(respond);
    upload.or(read).unify().boxed()
}

/// This group's OpenAPI paths.
#[derive(OpenApi)]
#[openapi(paths(upload, read))]
pub(crate) struct Doc;

/// What the upload route hands its handler.
#[derive(Debug)]
struct UploadRequest {
    /// `/media/upload/{key}?...` as received.
    path_and_query: String,
    /// The `content-type` header (empty when absent).
    content_type: String,
    /// The whole body (already within the server's upload limit).
    body: Vec<u8>,
}

/// The upload's answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Uploaded {
    /// The stored object's key.
    key: String,
}

/// Receives a presigned upload (from `POST /v1/photos`): the URL's signature, window,
/// content type and size cap are checked, then the body is stored and the upload listener,
/// if any, is told.
#[utoipa::path(
    put,
    path = "/media/upload/{key}",
    tag = "media",
    params(
        ("key" = String, Path, description = "the object key; may contain `/`"),
        ("content_type" = String, Query, description = "the signed content type"),
        ("max_bytes" = u64, Query, description = "the signed size cap"),
        ("expires" = u64, Query, description = "unix second the url expires at"),
        ("signature" = String, Query, description = "hex HMAC of the above"),
    ),
    request_body(content = Vec<u8>, description = "the object's bytes, sent with the signed content type", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "stored", body = Uploaded),
        (status = 403, description = "bad signature or expired url", body = ErrorBody),
        (status = 404, description = "not an upload url", body = ErrorBody),
        (status = 413, description = "over the signed cap or the server's limit", body = ErrorBody),
        (status = 415, description = "not the signed content type", body = ErrorBody),
    )
)]
async fn upload(
    media: &EmbeddedMedia,
    listener: Option<&dyn UploadListener>,
    request: UploadRequest,
) -> Result<impl Reply + use<>, ApiError> {
    let key = media
        .accept_upload(
            &request.path_and_query,
            &request.content_type,
            request.body,
            SystemTime::now(),
        )
        .await
        .map_err(refusal)?;
    if let Some(listener) = listener {
        listener.uploaded(&key).await?;
    }
    Ok(warp::reply::json(&Uploaded {
        key: key.as_str().to_owned(),
    }))
}

/// Serves an object at its public URL, or at a signed URL until it expires.
#[utoipa::path(
    get,
    path = "/media/{key}",
    tag = "media",
    params(
        ("key" = String, Path, description = "the object key; may contain `/`"),
        ("expires" = Option<u64>, Query, description = "signed urls: unix second the url expires at"),
        ("signature" = Option<String>, Query, description = "signed urls: hex HMAC"),
    ),
    responses(
        (status = 200, description = "the object's bytes with its stored content type", body = Vec<u8>, content_type = "application/octet-stream"),
        (status = 403, description = "bad signature or expired url", body = ErrorBody),
        (status = 404, description = "no such object", body = ErrorBody),
    )
)]
async fn read(media: &EmbeddedMedia, path_and_query: &str) -> Result<Response, ApiError> {
    let key: ObjectKey = media
        .verify_read(path_and_query, SystemTime::now())
        .map_err(refusal)?;
    let object = media.get(&key).await?;
    let cache_control = if path_and_query.contains('?') {
        SIGNED_CACHE_CONTROL
    } else {
        PUBLIC_CACHE_CONTROL
    };
    let content_type = HeaderValue::from_str(&object.meta.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let mut response = object.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// The request target as the embedded backend signs it.
fn path_and_query(path: &FullPath, query: &str) -> String {
    if query.is_empty() {
        return path.as_str().to_owned();
    }
    format!("{}?{query}", path.as_str())
}

/// Maps the embedded backend's refusals of a URL to statuses: a bad signature or an expired
/// URL is 403, the wrong content type 415, a body over the cap 413, a path that is not a
/// media URL 404; other errors map as port errors do.
fn refusal(error: ocean::Error) -> ApiError {
    let ocean::Error::Invalid { field, message } = &error else {
        return error.into();
    };
    match *field {
        "signature" => ApiError::forbidden(message.clone()).with_code("invalid_signature"),
        "expires" => ApiError::forbidden(message.clone()).with_code("url_expired"),
        "content_type" => ApiError::unsupported_media_type(message.clone()),
        "size" => ApiError::PayloadTooLarge {
            message: message.clone(),
        },
        "url" | "object_key" => ApiError::not_found("media object"),
        _ => error.into(),
    }
}
