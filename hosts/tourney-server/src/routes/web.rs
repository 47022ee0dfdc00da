//! The web client at `/app/`: a framework-free page (HTML, CSS and ES modules from `web/`,
//! embedded in the binary) that uses only the public `/v1` API; `/app` redirects (308) to
//! `/app/`. Every file is sent with `cache-control: no-cache` and an `ETag` (a hash of its
//! bytes, computed at compile time), so browsers revalidate and get a 304 until the binary
//! changes. Not part of the API: neither in `SERVED_ROUTES` nor in the OpenAPI document.

use warp::filters::BoxedFilter;
use warp::filters::path::FullPath;
use warp::http::{HeaderValue, StatusCode, Uri, header};
use warp::reply::Response;
use warp::{Filter, Reply};

/// Where the page lives.
const MOUNT: &str = "/app";

/// `cache-control` of every file: keep it, but ask (with the `ETag`) before using it.
const CACHE_CONTROL: &str = "no-cache";

/// The page's content security policy: scripts and styles from this server only; images,
/// uploads and media from anywhere the API's URLs point (a CDN or bucket in production).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data: blob: https: http:; \
    media-src 'self' blob: https: http:; connect-src 'self' https: http:; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// One embedded file of the web client.
#[derive(Debug)]
struct WebFile {
    /// Its path under `/app/`.
    name: &'static str,
    /// Its bytes.
    bytes: &'static [u8],
    /// Its `content-type`.
    content_type: &'static str,
    /// FNV-1a of its bytes, the `ETag`.
    hash: u64,
}

/// A [`WebFile`] for `web/<name>`.
macro_rules! web_file {
    ($name:literal, $content_type:expr) => {
        WebFile {
            name: $name,
            bytes: include_bytes!(concat!("../../web/", $name)),
            content_type: $content_type,
            hash: fnv1a(include_bytes!(concat!("../../web/", $name))),
        }
    };
}

/// Every file of the web client (`index.html` is also served at `/app/`).
static FILES: &[WebFile] = &[
    web_file!("index.html", HTML),
    web_file!("app.css", CSS),
    web_file!("icon.svg", SVG),
    web_file!("app.js", JAVASCRIPT),
    web_file!("api.js", JAVASCRIPT),
    web_file!("ui.js", JAVASCRIPT),
    web_file!("places.js", JAVASCRIPT),
    web_file!("location.js", JAVASCRIPT),
    web_file!("signup.js", JAVASCRIPT),
    web_file!("judge.js", JAVASCRIPT),
    web_file!("bracket.js", JAVASCRIPT),
    web_file!("upload.js", JAVASCRIPT),
    web_file!("boards.js", JAVASCRIPT),
    web_file!("tags.js", JAVASCRIPT),
    web_file!("photo.js", JAVASCRIPT),
    web_file!("social.js", JAVASCRIPT),
    web_file!("notifications.js", JAVASCRIPT),
    web_file!("me.js", JAVASCRIPT),
];

/// 64-bit FNV-1a, at compile time.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut idx = 0;
    while idx < bytes.len() {
        hash ^= bytes[idx] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        idx += 1;
    }
    hash
}

/// This group's routes: `GET /app`, `GET /app/` and `GET /app/{file}`.
pub(crate) fn routes() -> BoxedFilter<(Response,)> {
    warp::path("app")
        .and(warp::get())
        .and(warp::path::full())
        .and(warp::header::optional::<String>("if-none-match"))
        .and_then(|path: FullPath, if_none_match: Option<String>| async move {
            serve(path.as_str(), if_none_match.as_deref()).ok_or_else(warp::reject::not_found)
        })
        .boxed()
}

/// The answer to `GET path`, or `None` when it names no file of the client.
fn serve(path: &str, if_none_match: Option<&str>) -> Option<Response> {
    let rest = path.strip_prefix(MOUNT)?;
    if rest.is_empty() {
        return Some(warp::redirect::permanent(Uri::from_static("/app/")).into_response());
    }
    let name = match rest.strip_prefix('/')? {
        "" => "index.html",
        name => name,
    };
    let file = FILES.iter().find(|file| file.name == name)?;
    let etag = format!("\"{:016x}\"", file.hash);
    let mut response = if if_none_match.is_some_and(|value| etag_matches(value, &etag)) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        file.bytes.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if file.content_type == HTML {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
    }
    Some(response)
}

/// Whether an `If-None-Match` value (a list of tags, weak or strong, or `*`) names `etag`.
fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn if_none_match_takes_lists_weak_tags_and_a_star() {
        let etag = "\"00000000000000ab\"";
        assert!(etag_matches(etag, etag));
        assert!(etag_matches("\"x\", W/\"00000000000000ab\"", etag));
        assert!(etag_matches("*", etag));
        assert!(!etag_matches("\"00000000000000ac\"", etag));
    }

    #[test]
    fn only_listed_files_under_the_mount_are_served() {
        assert!(serve("/app/", None).is_some());
        assert!(serve("/app/app.js", None).is_some());
        assert!(serve("/app/missing.js", None).is_none());
        assert!(serve("/app/../Cargo.toml", None).is_none());
        assert!(serve("/application", None).is_none());
        let redirect = serve("/app", None).expect("a redirect");
        assert_eq!(redirect.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(redirect.headers()[header::LOCATION], "/app/");
    }

    #[test]
    fn file_names_are_unique() {
        for (idx, file) in FILES.iter().enumerate() {
            assert!(
                FILES[idx + 1..].iter().all(|other| other.name != file.name),
                "{} is listed twice",
                file.name
            );
        }
    }
}
