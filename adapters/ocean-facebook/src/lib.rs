//! Ocean's identity port over Facebook's Graph API: [`FacebookIdentity`] asks
//! `GET {graph_url}/{api_version}/me?fields=id,first_name,last_name,name,email,picture.type(large)&access_token=...`
//! whose an access token is, and turns the answer into an [`ExternalProfile`] or a port
//! error kind (one table, in `error.rs`: code 190 is an `Invalid` token, outages and
//! throttling are `Unavailable`, the rest `Backend`). `Unavailable` failures are retried up to
//! [`FacebookOptions::max_attempts`] times in all, with exponential backoff; nothing else is.
//!
//! [`Identity::friends`] reads `GET {graph_url}/{api_version}/me/friends?fields=id&limit=100`
//! and follows Graph's `paging.next` for at most [`MAX_FRIEND_PAGES`] pages, only on the
//! API's own host. [`Identity::picture`] downloads a profile picture URL (no token sent), at
//! most [`ocean::identity::MAX_PICTURE_BYTES`], and accepts only `image/...` answers.
//!
//! The token travels only in the request's query string, percent-encoded (so `&`, `#` or `%`
//! in a token cannot change the request); a `paging.next` URL has its own `access_token`
//! replaced by the caller's. It never appears in an error, a log line or an error source:
//! transport errors drop their URL, Graph's messages have it replaced, and `paging.next` is
//! never shown.
//!
//! # HTTP client
//!
//! reqwest 0.13 with its default features off and only `rustls` on: rustls over aws-lc-rs
//! with the platform's certificate verifier. That is exactly the client the workspace
//! already builds for Sentry (`sentry`'s `reqwest` + `rustls` features), and aws-lc-rs is the
//! crypto provider the AWS SDK's `default-https-client` uses, so the workspace keeps one TLS
//! stack and one crypto provider; `ring` is not built. reqwest takes the process-wide
//! default provider if one is installed and aws-lc-rs otherwise, so nothing needs
//! installing. Plain `http://` base URLs work (the tests use a fake server on a loopback
//! port); redirects are not followed (the token would go where the redirect says).
//!
//! Build cost, measured on the project's 2 shared cores (`cargo build -p ocean-facebook`,
//! debug profile, `--timings`): 2 min 48 s from an empty target directory, of which 1 min
//! 41 s is aws-lc-sys's build script compiling AWS-LC's C code (a cost the AWS SDK needs
//! anyway); about 2 s for the crate itself once its dependencies are built. In the
//! workspace those are Sentry's: built on its own, with its smaller feature set, this crate
//! recompiles reqwest and its tower and hyper-util layers (about 20 s); in a workspace build
//! the features unify and nothing is compiled twice.
//!
//! ```no_run
//! use std::time::Duration;
//! use ocean::Identity;
//! use ocean_facebook::{FacebookIdentity, FacebookOptions};
//!
//! # async fn example() -> ocean::Result<()> {
//! let options =
//!     FacebookOptions::new("https://graph.facebook.com", "v19.0", Duration::from_secs(10));
//! let identity = FacebookIdentity::new(&options)?;
//! let profile = identity.profile("EAAB...").await?;
//! println!("{} is {:?}", profile.id, profile.name);
//! # Ok(()) }
//! ```

mod error;

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use ocean::identity::{ExternalProfile, Identity, MAX_FRIENDS, MAX_PICTURE_BYTES, Picture};
use ocean::{Error, Result};
use reqwest::header::CONTENT_TYPE;
use reqwest::{Client, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{BACKEND, GraphError, GraphFailure, picture_status_error, port_error};

/// The fields asked of `/me`: the profile's, with the large profile picture.
pub const ME_FIELDS: &str = "id,first_name,last_name,name,email,picture.type(large)";

/// Attempts per call unless [`FacebookOptions::max_attempts`] says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// The wait before the first retry unless [`FacebookOptions::first_backoff`] says otherwise.
pub const DEFAULT_FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// Friends asked for per `/me/friends` page (Graph's `limit`).
pub const FRIENDS_PAGE_SIZE: usize = 100;

/// The most `/me/friends` pages read per call: with [`FRIENDS_PAGE_SIZE`] that is exactly
/// [`MAX_FRIENDS`] friends, and it bounds the loop even should Graph send short pages.
pub const MAX_FRIEND_PAGES: usize = MAX_FRIENDS.div_ceil(FRIENDS_PAGE_SIZE);

/// The longest wait between two attempts, however many there are.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The largest JSON answer read; a profile is well under a kilobyte, a friends page of
/// [`FRIENDS_PAGE_SIZE`] a few kilobytes.
const MAX_BODY_BYTES: usize = 1 << 20;

/// Where the Graph API is and how patiently to call it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacebookOptions {
    /// The API's base URL, `https://graph.facebook.com` (a fake's `http://` URL in tests).
    pub graph_url: String,
    /// The API version in the path, e.g. `v19.0`.
    pub api_version: String,
    /// How long one request may take, connecting included; longer is `Unavailable`.
    pub timeout: Duration,
    /// Attempts per call, the first included (at least 1): a call that keeps failing with
    /// `Unavailable` takes up to `max_attempts` × `timeout` plus the backoffs (per page,
    /// for [`Identity::friends`]).
    pub max_attempts: u32,
    /// The wait before the first retry; it doubles before each next one, up to 5 s.
    pub first_backoff: Duration,
}

impl FacebookOptions {
    /// Options for the API at `graph_url`, version `api_version`, with `timeout` per request
    /// and the default retries ([`DEFAULT_MAX_ATTEMPTS`], [`DEFAULT_FIRST_BACKOFF`]).
    pub fn new(graph_url: &str, api_version: &str, timeout: Duration) -> Self {
        Self {
            graph_url: graph_url.to_owned(),
            api_version: api_version.to_owned(),
            timeout,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            first_backoff: DEFAULT_FIRST_BACKOFF,
        }
    }
}

/// The identity port over Facebook's Graph API. Cheap to share: one connection pool.
#[derive(Debug)]
pub struct FacebookIdentity {
    client: Client,
    me_url: Url,
    friends_url: Url,
    max_attempts: u32,
    first_backoff: Duration,
}

/// One HTTP answer, its body read up to a cap.
#[derive(Debug)]
struct Answer {
    status: u16,
    /// The `Content-Type` header, lowercase, without parameters.
    content_type: Option<String>,
    body: Vec<u8>,
}

/// One `/me/friends` page: the ids on it and the URL of the next, as Graph gave it (it
/// holds the token: never shown).
#[derive(Debug, Default, PartialEq, Eq)]
struct FriendsPage {
    ids: Vec<String>,
    next: Option<String>,
}

impl FacebookIdentity {
    /// A client for the API `options` describe. Makes no request. [`Error::Invalid`] naming
    /// `graph_url` (not an http or https URL), `api_version` (empty, or holding `/`, `?`, `#`
    /// or `%`), `timeout` (zero) or `max_attempts` (zero); [`Error::Backend`] if the TLS
    /// client cannot be built (on Linux: the system has no CA certificates to load).
    pub fn new(options: &FacebookOptions) -> Result<Self> {
        let version = &options.api_version;
        if version.is_empty() || version.contains(['/', '?', '#', '%']) {
            return Err(Error::invalid(
                "api_version",
                format!("{version:?} must be a version such as v19.0"),
            ));
        }
        let base = options.graph_url.trim_end_matches('/');
        let invalid_base = || {
            Error::invalid(
                "graph_url",
                format!("{:?} must be an http:// or https:// URL", options.graph_url),
            )
        };
        let me_url = http_url(&format!("{base}/{version}/me")).ok_or_else(invalid_base)?;
        let friends_url =
            http_url(&format!("{base}/{version}/me/friends")).ok_or_else(invalid_base)?;
        if options.timeout.is_zero() {
            return Err(Error::invalid("timeout", "must be more than zero"));
        }
        if options.max_attempts == 0 {
            return Err(Error::invalid("max_attempts", "must be at least 1"));
        }
        let client = Client::builder()
            .timeout(options.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ocean-facebook/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| Error::Backend {
                backend: BACKEND,
                source: Box::new(error),
            })?;
        Ok(Self {
            client,
            me_url,
            friends_url,
            max_attempts: options.max_attempts,
            first_backoff: options.first_backoff,
        })
    }

    /// One GET of `url`, without retry, reading at most `max_bytes` of the body (a longer
    /// body is [`GraphFailure::Unexpected`]; nothing past the cap is read).
    async fn get_once(&self, url: Url, max_bytes: usize) -> Result<Answer, GraphFailure> {
        let mut response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|error| GraphFailure::Transport(error.without_url()))?;
        let status = response.status().as_u16();
        let too_large = || GraphFailure::Unexpected {
            status,
            reason: format!("a body over {max_bytes} bytes"),
        };
        if response
            .content_length()
            .is_some_and(|length| length > max_bytes as u64)
        {
            return Err(too_large());
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(media_type);
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| GraphFailure::Transport(error.without_url()))?
        {
            if body.len() + chunk.len() > max_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            content_type,
            body,
        })
    }

    /// One request for `token`'s profile, without retry.
    async fn profile_once(&self, token: &str) -> Result<ExternalProfile> {
        let mut url = self.me_url.clone();
        url.query_pairs_mut()
            .append_pair("fields", ME_FIELDS)
            .append_pair("access_token", token);
        let answer = self
            .get_once(url, MAX_BODY_BYTES)
            .await
            .map_err(port_error)?;
        read_profile(answer.status, &answer.body, token).map_err(port_error)
    }

    /// One request for the friends page at `url` (its token already set), without retry.
    async fn friends_page_once(&self, url: &Url, token: &str) -> Result<FriendsPage> {
        let answer = self
            .get_once(url.clone(), MAX_BODY_BYTES)
            .await
            .map_err(port_error)?;
        read_friends_page(answer.status, &answer.body, token).map_err(port_error)
    }

    /// One request for the picture at `url`, without retry.
    async fn picture_once(&self, url: &Url) -> Result<Picture> {
        let answer = self
            .get_once(url.clone(), MAX_PICTURE_BYTES)
            .await
            .map_err(port_error)?;
        read_picture(answer)
    }

    /// The first `/me/friends` page's URL for `token`.
    fn first_friends_url(&self, token: &str) -> Url {
        let mut url = self.friends_url.clone();
        url.query_pairs_mut()
            .append_pair("fields", "id")
            .append_pair("limit", &FRIENDS_PAGE_SIZE.to_string())
            .append_pair("access_token", token);
        url
    }

    /// The URL to follow for Graph's `paging.next`: only on the API's own scheme, host and
    /// port (the token goes nowhere else), with whatever access token it carries replaced
    /// by `token`. Neither URL appears in the error.
    fn next_friends_url(&self, next: &str, token: &str) -> Result<Url, GraphFailure> {
        let unexpected = |reason: &str| GraphFailure::Unexpected {
            status: 200,
            reason: reason.to_owned(),
        };
        let parsed = Url::parse(next).map_err(|_| unexpected("a paging.next that is no URL"))?;
        let same_origin = parsed.scheme() == self.friends_url.scheme()
            && parsed.host_str() == self.friends_url.host_str()
            && parsed.port_or_known_default() == self.friends_url.port_or_known_default();
        if !same_origin {
            return Err(unexpected("a paging.next URL on another host"));
        }
        let kept: Vec<(String, String)> = parsed
            .query_pairs()
            .filter(|(key, _)| key != "access_token")
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
        let mut url = parsed;
        url.set_fragment(None);
        url.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair("access_token", token);
        Ok(url)
    }

    /// After failed attempt number `*attempt` with `error`: `Err(error)` when it is not
    /// retryable or the attempts are used up; otherwise logs, waits the backoff and counts
    /// the attempt.
    async fn retry_or_fail(&self, error: Error, attempt: &mut u32, call: &str) -> Result<()> {
        if !error.is_retryable() || *attempt >= self.max_attempts {
            return Err(error);
        }
        let backoff = self.backoff(*attempt);
        tracing::warn!(
            call,
            attempt = *attempt,
            max_attempts = self.max_attempts,
            ?backoff,
            cause = %error_chain(&error),
            "facebook graph api unavailable; retrying"
        );
        tokio::time::sleep(backoff).await;
        *attempt += 1;
        Ok(())
    }

    /// The wait after failed attempt number `attempt` (1-based).
    fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(16);
        self.first_backoff
            .saturating_mul(1 << doublings)
            .min(MAX_BACKOFF)
    }
}

#[async_trait]
impl Identity for FacebookIdentity {
    async fn profile(&self, access_token: &str) -> Result<ExternalProfile> {
        check_token(access_token)?;
        let mut attempt = 1;
        loop {
            match self.profile_once(access_token).await {
                Ok(profile) => return Ok(profile),
                Err(error) => self.retry_or_fail(error, &mut attempt, "profile").await?,
            }
        }
    }

    async fn picture(&self, url: &str) -> Result<Picture> {
        let url = http_url(url)
            .ok_or_else(|| Error::invalid("url", "must be an http:// or https:// URL"))?;
        let mut attempt = 1;
        loop {
            match self.picture_once(&url).await {
                Ok(picture) => return Ok(picture),
                Err(error) => self.retry_or_fail(error, &mut attempt, "picture").await?,
            }
        }
    }

    async fn friends(&self, access_token: &str) -> Result<Vec<String>> {
        check_token(access_token)?;
        let mut ids = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Some(self.first_friends_url(access_token));
        let mut n_pages = 0;
        while let Some(url) =
            next.take_if(|_| n_pages < MAX_FRIEND_PAGES && ids.len() < MAX_FRIENDS)
        {
            n_pages += 1;
            let mut attempt = 1;
            let page = loop {
                match self.friends_page_once(&url, access_token).await {
                    Ok(page) => break page,
                    Err(error) => self.retry_or_fail(error, &mut attempt, "friends").await?,
                }
            };
            for id in page.ids {
                if ids.len() < MAX_FRIENDS && seen.insert(id.clone()) {
                    ids.push(id);
                }
            }
            next = page
                .next
                .map(|next| self.next_friends_url(&next, access_token))
                .transpose()
                .map_err(port_error)?;
        }
        if next.is_some() {
            tracing::warn!(
                n_pages,
                n_friends = ids.len(),
                "facebook friend list cut short after the page limit"
            );
        }
        Ok(ids)
    }
}

/// `Invalid` naming `token` for an empty token (no request is made for it).
fn check_token(access_token: &str) -> Result<()> {
    if access_token.is_empty() {
        return Err(Error::invalid("token", "must not be empty"));
    }
    Ok(())
}

/// `text` as an `http`/`https` URL with a host, or `None`.
fn http_url(text: &str) -> Option<Url> {
    Url::parse(text)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
}

/// A `Content-Type` value's media type: lowercase, parameters dropped.
fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// `error` and its sources, joined by `: ` (none of them holds the token).
fn error_chain(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The `/me` node as the Graph API returns it.
#[derive(Debug, Deserialize)]
struct MeNode {
    id: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    name: Option<String>,
    email: Option<String>,
    picture: Option<PictureNode>,
}

/// The `picture` field: `{"data": {"url": ..., "is_silhouette": ...}}`.
#[derive(Debug, Deserialize)]
struct PictureNode {
    data: Option<PictureData>,
}

#[derive(Debug, Deserialize)]
struct PictureData {
    url: Option<String>,
    #[serde(default)]
    is_silhouette: bool,
}

/// A `/me/friends` answer: `{"data": [{"id": ...}], "paging": {"next": ...}}`.
#[derive(Debug, Deserialize)]
struct FriendsNode {
    data: Vec<FriendNode>,
    paging: Option<PagingNode>,
}

#[derive(Debug, Deserialize)]
struct FriendNode {
    id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PagingNode {
    next: Option<String>,
}

/// The body's Graph error object, if it has one.
#[derive(Debug, Deserialize)]
struct ErrorEnvelope {
    error: Option<GraphError>,
}

/// A successful answer's body as `T`, or why there is none: the Graph error (with `token`
/// replaced in its message should it appear there), the error status, or a body that is
/// not `what` (e.g. "a profile").
fn read_json<T: DeserializeOwned>(
    status: u16,
    body: &[u8],
    token: &str,
    what: &str,
) -> Result<T, GraphFailure> {
    let envelope = serde_json::from_slice::<ErrorEnvelope>(body).ok();
    if let Some(mut graph) = envelope.and_then(|envelope| envelope.error) {
        graph.message = graph.message.replace(token, "[token]");
        return Err(GraphFailure::Answer {
            status,
            graph: Some(graph),
        });
    }
    if !(200..300).contains(&status) {
        return Err(GraphFailure::Answer {
            status,
            graph: None,
        });
    }
    serde_json::from_slice(body).map_err(|error| {
        // serde's message may quote the body; say where it broke instead.
        GraphFailure::Unexpected {
            status,
            reason: format!(
                "a body that is not {what} ({:?} error at line {} column {})",
                error.classify(),
                error.line(),
                error.column()
            ),
        }
    })
}

/// The profile in an answer with `status` and `body`, or why there is none.
fn read_profile(status: u16, body: &[u8], token: &str) -> Result<ExternalProfile, GraphFailure> {
    let node: MeNode = read_json(status, body, token, "a profile")?;
    let id = non_empty(node.id).ok_or_else(|| GraphFailure::Unexpected {
        status,
        reason: "a profile without id".to_owned(),
    })?;
    let picture_url = node
        .picture
        .and_then(|picture| picture.data)
        .filter(|data| !data.is_silhouette)
        .and_then(|data| non_empty(data.url));
    Ok(ExternalProfile {
        id,
        first_name: non_empty(node.first_name),
        last_name: non_empty(node.last_name),
        name: non_empty(node.name),
        email: non_empty(node.email),
        picture_url,
    })
}

/// The friends page in an answer with `status` and `body`, or why there is none. Entries
/// without id are skipped.
fn read_friends_page(status: u16, body: &[u8], token: &str) -> Result<FriendsPage, GraphFailure> {
    let node: FriendsNode = read_json(status, body, token, "a friend list")?;
    Ok(FriendsPage {
        ids: node
            .data
            .into_iter()
            .filter_map(|friend| non_empty(friend.id))
            .collect(),
        next: node.paging.and_then(|paging| non_empty(paging.next)),
    })
}

/// The picture in `answer`, or the port error saying why there is none.
fn read_picture(answer: Answer) -> Result<Picture> {
    let unexpected = |reason: String| {
        port_error(GraphFailure::Unexpected {
            status: answer.status,
            reason,
        })
    };
    if !(200..300).contains(&answer.status) {
        return Err(picture_status_error(answer.status));
    }
    let content_type = answer.content_type.clone().unwrap_or_default();
    if !content_type.starts_with("image/") || content_type.len() == "image/".len() {
        return Err(unexpected(format!(
            "a body of type {content_type:?}, not an image"
        )));
    }
    if answer.body.is_empty() {
        return Err(unexpected("an empty picture".to_owned()));
    }
    Ok(Picture {
        bytes: answer.body,
        content_type,
    })
}

/// `value` unless it is empty or blank.
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|text| !text.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use ocean::ErrorKind;

    use super::*;

    fn options(graph_url: &str, api_version: &str) -> FacebookOptions {
        FacebookOptions::new(graph_url, api_version, Duration::from_secs(1))
    }

    #[test]
    fn the_me_url_joins_base_and_version() {
        let identity = FacebookIdentity::new(&options("http://127.0.0.1:9/", "v19.0")).unwrap();
        assert_eq!(identity.me_url.as_str(), "http://127.0.0.1:9/v19.0/me");
        assert_eq!(
            identity.friends_url.as_str(),
            "http://127.0.0.1:9/v19.0/me/friends"
        );
        let identity =
            FacebookIdentity::new(&options("https://graph.example.com/proxy", "v2.1")).unwrap();
        assert_eq!(
            identity.me_url.as_str(),
            "https://graph.example.com/proxy/v2.1/me"
        );
    }

    #[test]
    fn bad_options_are_invalid_naming_the_option() {
        let cases = [
            (options("graph.facebook.com", "v19.0"), "graph_url"),
            (options("ftp://graph.facebook.com", "v19.0"), "graph_url"),
            (options("https://graph.facebook.com", ""), "api_version"),
            (
                options("https://graph.facebook.com", "v1/../x"),
                "api_version",
            ),
            (
                FacebookOptions {
                    timeout: Duration::ZERO,
                    ..options("https://graph.facebook.com", "v19.0")
                },
                "timeout",
            ),
            (
                FacebookOptions {
                    max_attempts: 0,
                    ..options("https://graph.facebook.com", "v19.0")
                },
                "max_attempts",
            ),
        ];
        for (options, expected) in cases {
            match FacebookIdentity::new(&options) {
                Err(Error::Invalid { field, .. }) => assert_eq!(field, expected, "{options:?}"),
                other => panic!("{options:?}: expected Invalid {expected}, got {other:?}"),
            }
        }
    }

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        let identity = FacebookIdentity::new(&options("http://127.0.0.1:9", "v19.0")).unwrap();
        let waits: Vec<Duration> = (1..=7).map(|attempt| identity.backoff(attempt)).collect();
        let millis: Vec<u128> = waits.iter().map(Duration::as_millis).collect();
        assert_eq!(millis, [200, 400, 800, 1600, 3200, 5000, 5000]);
    }

    #[test]
    fn a_full_answer_becomes_a_profile() {
        let body = br#"{"id":"42","first_name":"Ada","last_name":"Lovelace","name":"Ada Lovelace",
            "email":"ada@example.com","picture":{"data":{"height":200,"is_silhouette":false,
            "url":"https://cdn.example.com/p.jpg","width":200}}}"#;
        let profile = read_profile(200, body, "t").unwrap();
        assert_eq!(
            profile,
            ExternalProfile {
                id: "42".to_owned(),
                first_name: Some("Ada".to_owned()),
                last_name: Some("Lovelace".to_owned()),
                name: Some("Ada Lovelace".to_owned()),
                email: Some("ada@example.com".to_owned()),
                picture_url: Some("https://cdn.example.com/p.jpg".to_owned()),
            }
        );
    }

    #[test]
    fn missing_blank_and_silhouette_fields_are_none() {
        let body = br#"{"id":"42","first_name":"","name":"  ","picture":{"data":{
            "is_silhouette":true,"url":"https://cdn.example.com/silhouette.jpg"}}}"#;
        let profile = read_profile(200, body, "t").unwrap();
        assert_eq!(
            profile,
            ExternalProfile {
                id: "42".to_owned(),
                ..ExternalProfile::default()
            }
        );
    }

    #[test]
    fn an_answer_without_id_or_json_is_not_a_profile() {
        for body in [&br#"{"name":"x"}"#[..], b"{\"id\":\"\"}", b"<html>", b""] {
            let failure = read_profile(200, body, "t").unwrap_err();
            assert!(
                matches!(failure, GraphFailure::Unexpected { status: 200, .. }),
                "{failure:?}"
            );
        }
    }

    #[test]
    fn a_graph_error_is_read_with_the_token_replaced() {
        let body = br#"{"error":{"message":"Bad token SECRET123 given","type":"OAuthException",
            "code":190,"error_subcode":463,"fbtrace_id":"AbC"}}"#;
        let failure = read_profile(400, body, "SECRET123").unwrap_err();
        let GraphFailure::Answer {
            status: 400,
            graph: Some(graph),
        } = &failure
        else {
            panic!("{failure:?}");
        };
        assert_eq!(graph.code, Some(190));
        assert_eq!(graph.error_subcode, Some(463));
        assert_eq!(graph.message, "Bad token [token] given");
        assert!(!format!("{failure:?} {failure}").contains("SECRET123"));
    }

    #[test]
    fn an_error_status_without_graph_error_is_an_answer_failure() {
        let failure = read_profile(503, b"<html>busy</html>", "t").unwrap_err();
        assert!(
            matches!(
                failure,
                GraphFailure::Answer {
                    status: 503,
                    graph: None
                }
            ),
            "{failure:?}"
        );
    }

    #[test]
    fn a_friends_page_gives_its_ids_and_next() {
        let body = br#"{"data":[{"id":"7","name":"A"},{"name":"no id"},{"id":""},{"id":"8"}],
            "paging":{"cursors":{"after":"QQ"},"next":"https://graph.example.com/v19.0/1/friends?after=QQ"},
            "summary":{"total_count":3}}"#;
        let page = read_friends_page(200, body, "t").unwrap();
        assert_eq!(
            page,
            FriendsPage {
                ids: vec!["7".to_owned(), "8".to_owned()],
                next: Some("https://graph.example.com/v19.0/1/friends?after=QQ".to_owned()),
            }
        );
        let last = read_friends_page(200, br#"{"data":[],"paging":{"cursors":{}}}"#, "t").unwrap();
        assert_eq!(last, FriendsPage::default());
        let failure = read_friends_page(200, br#"{"id":"1"}"#, "t").unwrap_err();
        assert!(
            failure.to_string().contains("not a friend list"),
            "{failure}"
        );
    }

    #[test]
    fn next_pages_stay_on_the_api_host_with_the_callers_token() {
        let identity =
            FacebookIdentity::new(&options("https://graph.example.com", "v19.0")).unwrap();
        let next = identity
            .next_friends_url(
                "https://graph.example.com/v19.0/1/friends?limit=100&access_token=OTHER&after=QQ#x",
                "MINE",
            )
            .unwrap();
        assert_eq!(
            next.as_str(),
            "https://graph.example.com/v19.0/1/friends?limit=100&after=QQ&access_token=MINE"
        );
        for elsewhere in [
            "https://evil.example.com/v19.0/1/friends?access_token=MINE",
            "http://graph.example.com/v19.0/1/friends",
            "https://graph.example.com:8443/v19.0/1/friends",
            "not a url",
        ] {
            let failure = identity.next_friends_url(elsewhere, "MINE").unwrap_err();
            assert!(
                matches!(failure, GraphFailure::Unexpected { .. }),
                "{elsewhere}: {failure:?}"
            );
            assert!(!failure.to_string().contains("MINE"), "{failure}");
        }
    }

    #[test]
    fn the_page_bound_covers_max_friends() {
        assert_eq!(MAX_FRIEND_PAGES * FRIENDS_PAGE_SIZE, MAX_FRIENDS);
    }

    fn answer(status: u16, content_type: Option<&str>, body: &[u8]) -> Answer {
        Answer {
            status,
            content_type: content_type.map(media_type),
            body: body.to_vec(),
        }
    }

    #[test]
    fn an_image_answer_is_a_picture() {
        let picture = read_picture(answer(200, Some("Image/JPEG; q=1"), b"\xFF\xD8")).unwrap();
        assert_eq!(picture.content_type, "image/jpeg");
        assert_eq!(picture.bytes, b"\xFF\xD8");
        assert_eq!(
            format!("{picture:?}"),
            r#"Picture { bytes: [2 bytes], content_type: "image/jpeg" }"#
        );
    }

    #[test]
    fn other_picture_answers_are_refused() {
        let cases = [
            (
                answer(200, Some("text/html"), b"<html>"),
                ErrorKind::Backend,
            ),
            (answer(200, None, b"x"), ErrorKind::Backend),
            (answer(200, Some("image/"), b"x"), ErrorKind::Backend),
            (answer(200, Some("image/png"), b""), ErrorKind::Backend),
            (
                answer(404, Some("application/json"), b"{}"),
                ErrorKind::Invalid,
            ),
            (answer(503, None, b""), ErrorKind::Unavailable),
        ];
        for (answer, expected) in cases {
            let shown = format!("{answer:?}");
            let error = read_picture(answer).unwrap_err();
            assert_eq!(error.kind(), expected, "{shown}: {error:?}");
        }
    }
}
