//! Filters handlers build on: the shared state, a JSON body (content type checked, size
//! capped, serde's message on bad JSON), a size-capped raw body, a typed query string, and
//! the client's address; each refuses with an [`ApiError`] so the answer has the one JSON
//! error shape.

use std::net::SocketAddr;
use std::pin::pin;

use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use warp::{Buf, Filter, Rejection};

use crate::AppState;
use crate::error::ApiError;

/// The largest JSON body [`json_body`] accepts: 64 KiB.
pub const DEFAULT_JSON_LIMIT_BYTES: u64 = 64 * 1024;

/// Hands every request a clone of `state`.
pub fn with_state(
    state: AppState,
) -> impl Filter<Extract = (AppState,), Error = std::convert::Infallible> + Clone {
    warp::any().map(move || state.clone())
}

/// A JSON body of type `T`, at most [`DEFAULT_JSON_LIMIT_BYTES`]. Put it after the path and
/// method filters. Refuses with 415 unless `content-type` is `application/json` (parameters
/// such as `charset` allowed), 413 over the limit, 400 with serde's message (and the field,
/// when serde names one) for a missing or malformed body.
pub fn json_body<T>() -> impl Filter<Extract = (T,), Error = Rejection> + Clone
where
    T: DeserializeOwned + Send + 'static,
{
    json_body_with_limit(DEFAULT_JSON_LIMIT_BYTES)
}

/// [`json_body`] with a limit of `limit_bytes`.
pub fn json_body_with_limit<T>(
    limit_bytes: u64,
) -> impl Filter<Extract = (T,), Error = Rejection> + Clone
where
    T: DeserializeOwned + Send + 'static,
{
    warp::header::optional::<String>("content-type")
        .and_then(|content_type: Option<String>| async move {
            check_json_content_type(content_type.as_deref()).map_err(ApiError::reject)
        })
        .untuple_one()
        .and(body_with_limit(limit_bytes))
        .and_then(|bytes: Vec<u8>| async move { parse_json::<T>(&bytes).map_err(ApiError::reject) })
}

/// The raw body, refused with 413 when it has more than `limit_bytes` bytes: at once when
/// `content-length` says so, else as soon as the streamed body passes the limit.
pub fn body_with_limit(
    limit_bytes: u64,
) -> impl Filter<Extract = (Vec<u8>,), Error = Rejection> + Clone {
    warp::header::optional::<u64>("content-length")
        .and(warp::body::stream())
        .and_then(move |declared_bytes: Option<u64>, stream| async move {
            read_limited(declared_bytes, stream, limit_bytes)
                .await
                .map_err(ApiError::reject)
        })
}

/// The query string parsed as `T` (`serde` form encoding; no query is an empty one).
/// Refuses with 400 naming `query` and saying what is wrong.
pub fn query<T>() -> impl Filter<Extract = (T,), Error = Rejection> + Clone
where
    T: DeserializeOwned + Send + 'static,
{
    raw_query()
        .and_then(|raw: String| async move { parse_query::<T>(&raw).map_err(ApiError::reject) })
}

/// Parses a raw query string as `T`, refusing with 400 naming `query`: what [`query`] runs
/// on every request, exposed for the fuzz targets (`fuzz/`).
#[doc(hidden)]
pub fn parse_query<T: DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
    serde_urlencoded::from_str::<T>(raw)
        .map_err(|e| ApiError::bad_request(format!("bad query string: {e}")).with_field("query"))
}

/// The raw query string, empty when there is none.
pub fn raw_query() -> impl Filter<Extract = (String,), Error = std::convert::Infallible> + Clone {
    warp::query::raw().or(warp::any().map(String::new)).unify()
}

/// Accepts `application/json` with any parameters, in any case.
fn check_json_content_type(content_type: Option<&str>) -> Result<(), ApiError> {
    let Some(content_type) = content_type else {
        return Err(ApiError::unsupported_media_type(
            "send the body as json with content-type: application/json",
        ));
    };
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        return Ok(());
    }
    Err(ApiError::unsupported_media_type(format!(
        "content-type {content_type:?} is not application/json"
    )))
}

/// Parses a JSON body, naming the field serde names when it names one: what
/// [`json_body`] runs once the body is read, exposed for the fuzz targets (`fuzz/`).
#[doc(hidden)]
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "the request body is empty; send a json value",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let message = format!("bad json body: {e}");
        match field_named_by(&e.to_string()) {
            Some(field) => ApiError::invalid(field, message),
            None => ApiError::bad_request(message),
        }
    })
}

/// The field in serde messages such as ``missing field `name` `` or ``unknown field `x` ``.
fn field_named_by(message: &str) -> Option<String> {
    let rest = ["missing field `", "unknown field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))?;
    let (field, _) = rest.split_once('`')?;
    Some(field.to_owned())
}

/// Collects `stream` into memory, refusing with 413 past `limit_bytes`.
async fn read_limited<S, B>(
    declared_bytes: Option<u64>,
    stream: S,
    limit_bytes: u64,
) -> Result<Vec<u8>, ApiError>
where
    S: futures_util::Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let too_large = || ApiError::payload_too_large(limit_bytes);
    if declared_bytes.is_some_and(|declared| declared > limit_bytes) {
        return Err(too_large());
    }
    let capacity = declared_bytes.unwrap_or(0).min(limit_bytes);
    let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    let mut stream = pin!(stream);
    while let Some(chunk) = stream.next().await {
        let mut chunk =
            chunk.map_err(|e| ApiError::bad_request(format!("reading the body: {e}")))?;
        if bytes.len() as u64 + chunk.remaining() as u64 > limit_bytes {
            return Err(too_large());
        }
        while chunk.has_remaining() {
            let piece = chunk.chunk();
            bytes.extend_from_slice(piece);
            let n_read = piece.len();
            chunk.advance(n_read);
        }
    }
    Ok(bytes)
}

/// Decodes a percent-encoded path segment as UTF-8 (names and tags may hold any script and
/// emoji); [`ApiError::invalid`] naming `field` otherwise. Public for the fuzz targets
/// (`fuzz/`).
#[doc(hidden)]
pub fn percent_decode(field: &'static str, segment: &str) -> Result<String, ApiError> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| ApiError::invalid(field, "not valid percent-encoded UTF-8"))
}

/// The client's address: behind `trusted` proxies that each append the address they saw
/// to `X-Forwarded-For` (`app.behind_proxy`, `app.proxy_hops`), the header's entry that
/// many from its end (what the outermost of them saw; entries further left are what the
/// client sent, forgeable, so never used); with no proxy (`trusted` 0), no header, or
/// fewer entries than that, the connection's peer or the header's first entry as the
/// proxies wrote it. Empty when neither is known. Flags record it and the per-address
/// rate limits count by it.
pub(crate) fn client_address(
    trusted: usize,
) -> impl Filter<Extract = (String,), Error = std::convert::Infallible> + Clone {
    warp::addr::remote()
        .and(
            warp::header::optional::<String>("x-forwarded-for")
                .or(warp::any().map(|| None))
                .unify(),
        )
        .map(move |peer: Option<SocketAddr>, forwarded: Option<String>| {
            pick_address(trusted, peer, forwarded.as_deref())
        })
}

fn pick_address(trusted: usize, peer: Option<SocketAddr>, forwarded: Option<&str>) -> String {
    let from_proxies = forwarded.filter(|_| trusted > 0).and_then(|header| {
        header
            .rsplit(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .take(trusted)
            .last()
    });
    match from_proxies {
        Some(entry) => entry.to_owned(),
        None => peer.map(|peer| peer.ip().to_string()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_counts_only_behind_a_proxy() {
        let peer: Option<SocketAddr> = Some("10.0.0.7:5555".parse().unwrap());
        let forwarded = Some(" 203.0.113.9 , 10.0.0.1");
        assert_eq!(pick_address(0, peer, forwarded), "10.0.0.7");
        assert_eq!(pick_address(1, peer, Some(" ")), "10.0.0.7");
        assert_eq!(pick_address(1, None, None), "");
        assert_eq!(pick_address(0, None, forwarded), "");
    }

    #[test]
    fn forged_entries_left_of_the_proxies_are_never_used() {
        let peer: Option<SocketAddr> = Some("10.0.0.7:5555".parse().unwrap());
        // The client sent "6.6.6.6"; one load balancer appended what it saw.
        let one_proxy = Some("6.6.6.6, 203.0.113.9");
        assert_eq!(pick_address(1, peer, one_proxy), "203.0.113.9");
        // A CDN appended the client, then the load balancer appended the CDN's edge.
        let two_proxies = Some("6.6.6.6,203.0.113.9 , 198.51.100.4");
        assert_eq!(pick_address(2, peer, two_proxies), "203.0.113.9");
        assert_eq!(pick_address(1, peer, two_proxies), "198.51.100.4");
        // Fewer entries than proxies: the first is what the outermost proxy wrote.
        assert_eq!(
            pick_address(3, peer, Some("203.0.113.9, 198.51.100.4")),
            "203.0.113.9"
        );
        assert_eq!(pick_address(2, peer, Some("203.0.113.9,,")), "203.0.113.9");
    }

    #[test]
    fn segments_are_percent_decoded() {
        assert_eq!(
            percent_decode("name", "Ali%20%F0%9F%A6%8A").unwrap(),
            "Ali 🦊"
        );
        assert!(percent_decode("tag", "%ff").is_err(), "not UTF-8");
    }

    #[test]
    fn json_content_type_allows_parameters_and_case() {
        assert!(check_json_content_type(Some("application/json")).is_ok());
        assert!(check_json_content_type(Some("Application/JSON; charset=utf-8")).is_ok());
        for refused in [None, Some("text/plain"), Some("application/jsonx")] {
            let error = check_json_content_type(refused).expect_err("refused");
            assert_eq!(error.code(), "unsupported_media_type", "{refused:?}");
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // read through Debug only
    struct Vote {
        winner: String,
    }

    #[test]
    fn bad_json_names_the_field_serde_names() {
        let error = parse_json::<Vote>(b"{}").expect_err("missing field");
        assert_eq!(error.field(), Some("winner"));
        assert!(error.to_string().contains("missing field"), "{error}");

        let error = parse_json::<Vote>(br#"{"winner":"a","x":1}"#).expect_err("unknown field");
        assert_eq!(error.field(), Some("x"));

        let error = parse_json::<Vote>(b"{not json").expect_err("syntax");
        assert_eq!((error.code(), error.field()), ("bad_request", None));

        let error = parse_json::<Vote>(b"  ").expect_err("empty");
        assert!(error.to_string().contains("empty"), "{error}");
    }

    #[tokio::test]
    async fn read_limited_refuses_past_the_limit() {
        let chunks = || {
            futures_util::stream::iter(
                [b"abc".as_slice(), b"def".as_slice()].map(Ok::<_, warp::Error>),
            )
        };
        assert_eq!(
            read_limited(None, chunks(), 6).await.expect("at the limit"),
            b"abcdef"
        );
        let over = read_limited(None, chunks(), 5).await.expect_err("over");
        assert_eq!(over.code(), "payload_too_large");
        let declared = read_limited(Some(7), chunks(), 6)
            .await
            .expect_err("declared");
        assert_eq!(declared.code(), "payload_too_large");
    }
}
