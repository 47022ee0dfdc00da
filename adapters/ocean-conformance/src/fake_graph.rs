//! A fake of Facebook's Graph API on a loopback port (feature `fake-graph`): it knows a set of
//! access tokens and their profiles, answers `GET /{version}/me` in the Graph API's shapes (a
//! profile with the fields asked for, or an `OAuthException` error), serves profile pictures,
//! can be told to fail the next requests in several ways, and counts requests.
//!
//! It lives here, behind a feature, rather than in a crate of its own: it is the identity
//! port's test double as [`crate::faulty`] is the storage ports', the crates that test against
//! it (the Facebook adapter, the server) may already depend on this crate, and builds that do
//! not ask for the feature compile none of its HTTP server.
//!
//! Like the real API it is strict: an unknown field asked for is error 100, a path other than
//! `/v<major>.<minor>/me` is error 2500, a missing token is error 2500, an unknown token error
//! 190 and an expired one error 190 with subcode 463, all with HTTP 400. Only the fields asked
//! for are returned; `email` is left out when the profile has none, as Facebook does when the
//! permission was not granted; a profile without picture gets the default silhouette.
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use ocean_conformance::fake_graph::FakeGraph;
//!
//! let graph = FakeGraph::start().await?;
//! let known = graph.sample_account("Ada", "Lovelace");
//! graph.fail_next(2); // the next two requests get HTTP 500
//! // Point the adapter at `graph.url()`, then e.g.
//! // `ocean_conformance::identity::run_all(&adapter, &known).await`.
//! assert_eq!(graph.requests(), 0);
//! # Ok(()) }
//! ```

use std::collections::{HashMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use ocean::identity::ExternalProfile;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::identity::KnownAccount;
use crate::unique;

/// How the fake answers a request it was told to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// HTTP 500 with a transient Graph error (code 2, `is_transient`): the provider is down.
    ServerError,
    /// HTTP 400 with the Graph API's application request limit error (code 4): throttled.
    Throttled,
    /// HTTP 400 with a permission error (code 10): the application is misconfigured.
    PermissionDenied,
    /// HTTP 200 with an HTML page instead of JSON (what a captive proxy answers).
    NotJson,
    /// No answer at all until the fake stops, so the client's timeout fires.
    Hang,
}

/// A running fake Graph API; stops (closing every connection) when dropped.
#[derive(Debug)]
pub struct FakeGraph {
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

/// What the server task and the handle share.
#[derive(Debug)]
struct Shared {
    url: String,
    requests: AtomicU64,
    state: Mutex<State>,
}

/// The fake's accounts, pictures and planned failures.
#[derive(Debug, Default)]
struct State {
    accounts: HashMap<String, ExternalProfile>,
    expired: HashSet<String>,
    pictures: HashMap<String, Vec<u8>>,
    failures: VecDeque<Failure>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl FakeGraph {
    /// Starts a fake on `127.0.0.1` at a free port, knowing no token. Call it inside a tokio
    /// runtime; the server runs on that runtime until the `FakeGraph` is dropped.
    pub async fn start() -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let shared = Arc::new(Shared {
            url: format!("http://{}", listener.local_addr()?),
            requests: AtomicU64::new(0),
            state: Mutex::new(State::default()),
        });
        let server = tokio::spawn(serve(listener, Arc::clone(&shared)));
        Ok(Self { shared, server })
    }

    /// The base URL to configure as `identity.graph_url`: `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.shared.url
    }

    /// From now on `token` is valid and belongs to `profile` (replacing what it had).
    pub fn add_account(&self, token: &str, profile: ExternalProfile) {
        let mut state = self.shared.state();
        state.expired.remove(token);
        state.accounts.insert(token.to_owned(), profile);
    }

    /// A new account with every field set (e-mail, a picture served by this fake), its token
    /// added, and a token the fake never issued: ready for
    /// [`crate::identity::run_all`].
    pub fn sample_account(&self, first_name: &str, last_name: &str) -> KnownAccount {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let serial = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let id = format!("10{:09}{serial:06}", std::process::id());
        let picture_url = self.put_picture(&format!("{id}.jpg"), SAMPLE_PICTURE.to_vec());
        let profile = ExternalProfile {
            id,
            first_name: Some(first_name.to_owned()),
            last_name: Some(last_name.to_owned()),
            name: Some(format!("{first_name} {last_name}")),
            email: Some(format!(
                "{}.{}.{serial}@example.com",
                first_name.to_lowercase(),
                last_name.to_lowercase()
            )),
            picture_url: Some(picture_url),
        };
        let token = unique("fake-graph-token");
        self.add_account(&token, profile.clone());
        KnownAccount {
            token,
            profile,
            invalid_token: unique("fake-graph-never-issued"),
        }
    }

    /// From now on `token` is expired: error 190, subcode 463.
    pub fn expire(&self, token: &str) {
        self.shared.state().expired.insert(token.to_owned());
    }

    /// Serves `bytes` as a JPEG at `/pictures/<name>` and returns its URL.
    pub fn put_picture(&self, name: &str, bytes: Vec<u8>) -> String {
        self.shared.state().pictures.insert(name.to_owned(), bytes);
        format!("{}/pictures/{name}", self.shared.url)
    }

    /// The next `n` requests (of any kind) get HTTP 500 with a transient Graph error.
    pub fn fail_next(&self, n: u32) {
        self.fail_next_with(n, Failure::ServerError);
    }

    /// The next `n` requests (of any kind, after failures planned before) fail as `failure`
    /// says.
    pub fn fail_next_with(&self, n: u32, failure: Failure) {
        let mut state = self.shared.state();
        state.failures.extend((0..n).map(|_| failure));
    }

    /// How many HTTP requests the fake has received, failed ones and pictures included.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

impl Drop for FakeGraph {
    fn drop(&mut self) {
        // Dropping the server task drops its JoinSet, which aborts every connection.
        self.server.abort();
    }
}

/// A 1x1 grey baseline JPEG (one block, minimal Huffman tables), served for sample accounts'
/// pictures: small, yet decodable by real image decoders.
const SAMPLE_PICTURE: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x01, 0x00, 0x01,
    0x01, 0x01, 0x11, 0x00, 0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xC4, 0x00, 0x14, 0x10, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x3F, 0xFF, 0xD9,
];

/// Accepts connections until aborted, each served on its own task in `connections`.
async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _peer)) = listener.accept().await else {
            continue;
        };
        let shared = Arc::clone(&shared);
        connections.spawn(async move {
            let service = service_fn(move |request| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(answer(&shared, &request).await) }
            });
            // A client that hangs up mid-request is its own problem.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        while connections.try_join_next().is_some() {}
    }
}

/// The fake's answer to one request.
async fn answer(shared: &Shared, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let failure = shared.state().failures.pop_front();
    if let Some(failure) = failure {
        return failed(failure).await;
    }
    let path = request.uri().path();
    if let Some(name) = path.strip_prefix("/pictures/") {
        return picture(shared, name);
    }
    if request.method() != Method::GET {
        let message = format!("Unsupported {} request.", request.method());
        return graph_error(StatusCode::BAD_REQUEST, 100, None, &message);
    }
    let version = path
        .strip_prefix('/')
        .and_then(|rest| rest.strip_suffix("/me"));
    if !version.is_some_and(is_api_version) {
        let message = format!("Unknown path components: {path}");
        return graph_error(StatusCode::BAD_REQUEST, 2500, None, &message);
    }
    let query = request.uri().query().unwrap_or("");
    me(shared, query)
}

/// The answer to `GET /{version}/me?{query}`.
fn me(shared: &Shared, query: &str) -> Response<Full<Bytes>> {
    let mut tokens = Vec::new();
    let mut fields = None;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "access_token" => tokens.push(value.into_owned()),
            "fields" => fields = Some(value.into_owned()),
            _ => {}
        }
    }
    let token = match tokens.as_slice() {
        [token] => token,
        [] => {
            let message =
                "An active access token must be used to query information about the current user.";
            return graph_error(StatusCode::BAD_REQUEST, 2500, None, message);
        }
        _ => {
            let message = "(#100) access_token was given more than once";
            return graph_error(StatusCode::BAD_REQUEST, 100, None, message);
        }
    };
    let state = shared.state();
    let Some(profile) = state.accounts.get(token) else {
        let message = "Invalid OAuth access token - Cannot parse access token";
        return graph_error(StatusCode::BAD_REQUEST, 190, None, message);
    };
    if state.expired.contains(token) {
        let message = "Error validating access token: Session has expired.";
        return graph_error(StatusCode::BAD_REQUEST, 190, Some(463), message);
    }
    let fields = fields.unwrap_or_else(|| "id,name".to_owned());
    match render_profile(profile, &fields, &shared.url) {
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(field) => {
            let message =
                format!("(#100) Tried accessing nonexisting field ({field}) on node type (User)");
            graph_error(StatusCode::BAD_REQUEST, 100, None, &message)
        }
    }
}

/// The profile as the Graph API returns it for `fields` (comma-separated, modifiers such as
/// `picture.type(large)` allowed), or the first field a User node does not have.
fn render_profile(
    profile: &ExternalProfile,
    fields: &str,
    base_url: &str,
) -> Result<Value, String> {
    let mut node = Map::new();
    for field in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let name = field.split('.').next().unwrap_or(field);
        let value = match name {
            "id" => Some(json!(profile.id)),
            "first_name" => profile.first_name.as_ref().map(|v| json!(v)),
            "last_name" => profile.last_name.as_ref().map(|v| json!(v)),
            "name" => profile.name.as_ref().map(|v| json!(v)),
            "email" => profile.email.as_ref().map(|v| json!(v)),
            "middle_name" | "short_name" => None,
            "picture" => Some(picture_node(profile.picture_url.as_deref(), base_url)),
            other => return Err(other.to_owned()),
        };
        if let Some(value) = value {
            node.insert(name.to_owned(), value);
        }
    }
    Ok(Value::Object(node))
}

/// A `picture` field: the profile's picture, or the default silhouette.
fn picture_node(url: Option<&str>, base_url: &str) -> Value {
    let (url, is_silhouette) = match url {
        Some(url) => (url.to_owned(), false),
        None => (format!("{base_url}/pictures/silhouette.jpg"), true),
    };
    json!({
        "data": {"height": 200, "width": 200, "is_silhouette": is_silhouette, "url": url}
    })
}

/// A picture's bytes, or a Graph-style 404.
fn picture(shared: &Shared, name: &str) -> Response<Full<Bytes>> {
    let bytes = match shared.state().pictures.get(name) {
        Some(bytes) => bytes.clone(),
        None if name == "silhouette.jpg" => SAMPLE_PICTURE.to_vec(),
        None => {
            let message = format!("Unknown picture {name}");
            return graph_error(StatusCode::NOT_FOUND, 100, None, &message);
        }
    };
    response(StatusCode::OK, "image/jpeg", bytes)
}

/// The answer for a planned failure.
async fn failed(failure: Failure) -> Response<Full<Bytes>> {
    match failure {
        Failure::ServerError => {
            let body = error_body(
                2,
                None,
                "An unexpected error has occurred. Please retry your request later.",
                true,
            );
            json_response(StatusCode::INTERNAL_SERVER_ERROR, &body)
        }
        Failure::Throttled => graph_error(
            StatusCode::BAD_REQUEST,
            4,
            None,
            "(#4) Application request limit reached",
        ),
        Failure::PermissionDenied => graph_error(
            StatusCode::BAD_REQUEST,
            10,
            None,
            "(#10) Application does not have permission for this action",
        ),
        Failure::NotJson => response(
            StatusCode::OK,
            "text/html",
            b"<html><body>Please log in to the network</body></html>".to_vec(),
        ),
        Failure::Hang => std::future::pending().await,
    }
}

/// An `OAuthException` error answer.
fn graph_error(
    status: StatusCode,
    code: u32,
    subcode: Option<u32>,
    message: &str,
) -> Response<Full<Bytes>> {
    json_response(status, &error_body(code, subcode, message, false))
}

/// The Graph API's error object.
fn error_body(code: u32, subcode: Option<u32>, message: &str, is_transient: bool) -> Value {
    static TRACE: AtomicU64 = AtomicU64::new(1);
    let mut error = json!({
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": format!("FakeTrace{}", TRACE.fetch_add(1, Ordering::Relaxed)),
    });
    if let Some(subcode) = subcode {
        error["error_subcode"] = json!(subcode);
    }
    if is_transient {
        error["is_transient"] = json!(true);
    }
    json!({ "error": error })
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    response(
        status,
        "application/json; charset=UTF-8",
        body.to_string().into_bytes(),
    )
}

fn response(
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Whether `version` is `v<major>.<minor>`.
fn is_api_version(version: &str) -> bool {
    let is_number = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    version
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(major, minor)| is_number(major) && is_number(minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_profile() -> ExternalProfile {
        ExternalProfile {
            id: "1001".to_owned(),
            first_name: Some("Ada".to_owned()),
            last_name: Some("Lovelace".to_owned()),
            name: Some("Ada Lovelace".to_owned()),
            email: None,
            picture_url: None,
        }
    }

    #[test]
    fn only_the_fields_asked_for_are_rendered() {
        let rendered = render_profile(&full_profile(), "id,first_name", "http://x").unwrap();
        assert_eq!(rendered, json!({"id": "1001", "first_name": "Ada"}));
    }

    #[test]
    fn a_missing_email_is_left_out_and_no_picture_is_the_silhouette() {
        let rendered =
            render_profile(&full_profile(), "id,email,picture.type(large)", "http://x").unwrap();
        assert_eq!(
            rendered,
            json!({"id": "1001", "picture": {"data": {
                "height": 200, "width": 200, "is_silhouette": true,
                "url": "http://x/pictures/silhouette.jpg"
            }}})
        );
    }

    #[test]
    fn an_unknown_field_is_named() {
        let error = render_profile(&full_profile(), "id,gender", "http://x").unwrap_err();
        assert_eq!(error, "gender");
    }

    #[test]
    fn api_versions_are_v_major_dot_minor() {
        assert!(is_api_version("v19.0"));
        for bad in ["19.0", "v19", "v.1", "vx.y", "v1.2/me"] {
            assert!(!is_api_version(bad), "{bad} accepted");
        }
    }
}
