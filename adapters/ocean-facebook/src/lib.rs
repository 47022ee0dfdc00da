//! Ocean's identity port over Facebook's Graph API: [`FacebookIdentity`] asks
//! `GET {graph_url}/{api_version}/me?fields=id,first_name,last_name,name,email,picture.type(large)&access_token=...`
//! whose an access token is, and turns the answer into an [`ExternalProfile`] or a port
//! error kind (one table, in `error.rs`: code 190 is an `Invalid` token, outages and
//! throttling are `Unavailable`, the rest `Backend`). `Unavailable` failures are retried up to
//! [`FacebookOptions::max_attempts`] times in all, with exponential backoff; nothing else is.
//!
//! The token travels only in the request's query string, percent-encoded (so `&`, `#` or `%`
//! in a token cannot change the request). It never appears in an error, a log line or an
//! error source: transport errors drop their URL, Graph's messages have it replaced.
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

use std::time::Duration;

use async_trait::async_trait;
use ocean::identity::{ExternalProfile, Identity};
use ocean::{Error, Result};
use reqwest::{Client, Url};
use serde::Deserialize;

use crate::error::{BACKEND, GraphError, GraphFailure, port_error};

/// The fields asked of `/me`: the profile's, with the large profile picture.
pub const ME_FIELDS: &str = "id,first_name,last_name,name,email,picture.type(large)";

/// Attempts per call unless [`FacebookOptions::max_attempts`] says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// The wait before the first retry unless [`FacebookOptions::first_backoff`] says otherwise.
pub const DEFAULT_FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// The longest wait between two attempts, however many there are.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The largest answer read; a profile is well under a kilobyte.
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
    /// `Unavailable` takes up to `max_attempts` × `timeout` plus the backoffs.
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
    max_attempts: u32,
    first_backoff: Duration,
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
        let me_url = Url::parse(&format!("{base}/{version}/me"))
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
            .ok_or_else(|| {
                Error::invalid(
                    "graph_url",
                    format!("{:?} must be an http:// or https:// URL", options.graph_url),
                )
            })?;
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
            max_attempts: options.max_attempts,
            first_backoff: options.first_backoff,
        })
    }

    /// One request for `token`'s profile, without retry.
    async fn fetch_once(&self, token: &str) -> Result<ExternalProfile, GraphFailure> {
        let mut url = self.me_url.clone();
        url.query_pairs_mut()
            .append_pair("fields", ME_FIELDS)
            .append_pair("access_token", token);
        let mut response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|error| GraphFailure::Transport(error.without_url()))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| GraphFailure::Transport(error.without_url()))?
        {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(GraphFailure::NotAProfile {
                    status,
                    reason: format!("a body over {MAX_BODY_BYTES} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        read_answer(status, &body, token)
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
        if access_token.is_empty() {
            return Err(Error::invalid("token", "must not be empty"));
        }
        let mut attempt = 1;
        loop {
            let error = match self.fetch_once(access_token).await {
                Ok(profile) => return Ok(profile),
                Err(failure) => port_error(failure),
            };
            if !error.is_retryable() || attempt >= self.max_attempts {
                return Err(error);
            }
            let backoff = self.backoff(attempt);
            tracing::warn!(
                attempt,
                max_attempts = self.max_attempts,
                ?backoff,
                cause = %error_chain(&error),
                "facebook graph api unavailable; retrying"
            );
            tokio::time::sleep(backoff).await;
            attempt += 1;
        }
    }
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

/// The body's Graph error object, if it has one.
#[derive(Debug, Deserialize)]
struct ErrorEnvelope {
    error: Option<GraphError>,
}

/// The profile in an answer with `status` and `body`, or why there is none. `token` is
/// replaced in Graph's error message should it appear there.
fn read_answer(status: u16, body: &[u8], token: &str) -> Result<ExternalProfile, GraphFailure> {
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
    let node: MeNode = serde_json::from_slice(body).map_err(|error| {
        // serde's message may quote the body; say where it broke instead.
        GraphFailure::NotAProfile {
            status,
            reason: format!(
                "a body that is not a profile ({:?} error at line {} column {})",
                error.classify(),
                error.line(),
                error.column()
            ),
        }
    })?;
    let id = non_empty(node.id).ok_or_else(|| GraphFailure::NotAProfile {
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

/// `value` unless it is empty or blank.
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|text| !text.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(graph_url: &str, api_version: &str) -> FacebookOptions {
        FacebookOptions::new(graph_url, api_version, Duration::from_secs(1))
    }

    #[test]
    fn the_me_url_joins_base_and_version() {
        let identity = FacebookIdentity::new(&options("http://127.0.0.1:9/", "v19.0")).unwrap();
        assert_eq!(identity.me_url.as_str(), "http://127.0.0.1:9/v19.0/me");
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
        let profile = read_answer(200, body, "t").unwrap();
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
        let profile = read_answer(200, body, "t").unwrap();
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
            let failure = read_answer(200, body, "t").unwrap_err();
            assert!(
                matches!(failure, GraphFailure::NotAProfile { status: 200, .. }),
                "{failure:?}"
            );
        }
    }

    #[test]
    fn a_graph_error_is_read_with_the_token_replaced() {
        let body = br#"{"error":{"message":"Bad token SECRET123 given","type":"OAuthException",
            "code":190,"error_subcode":463,"fbtrace_id":"AbC"}}"#;
        let failure = read_answer(400, body, "SECRET123").unwrap_err();
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
        let failure = read_answer(503, b"<html>busy</html>", "t").unwrap_err();
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
}
