//! A fake of Facebook's Graph API on a loopback port (feature `fake-graph`): it knows a set of
//! access tokens and their profiles, answers `GET /{version}/me` in the Graph API's shapes (a
//! profile with the fields asked for, or an `OAuthException` error), answers
//! `GET /{version}/me/friends` with the friends [`FakeGraph::add_friends`] gave (paged like
//! Graph: `limit`, an `after` cursor, a `paging.next` URL on
//! `/{version}/{user id}/friends` that carries the token), serves profile pictures, can be
//! told to fail the next requests in several ways, and counts requests.
//!
//! It lives here, behind a feature, rather than in a crate of its own: it is the identity
//! port's test double as [`crate::faulty`] is the storage ports', the crates that test against
//! it (the Facebook adapter, the server) may already depend on this crate, and builds that do
//! not ask for the feature compile none of its HTTP server.
//!
//! Like the real API it is strict: an unknown field asked for is error 100, a path other than
//! `/v<major>.<minor>/me`, `.../me/friends` or `.../<the token's user id>/friends` is error
//! 2500, a missing token is error 2500, an unknown token error
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
    /// Each profile id's friends who use the application, in the order added.
    friends: HashMap<String, Vec<String>>,
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

    /// A new account with every field set (e-mail, a picture served by this fake), two
    /// friends (fresh ids of no account here, so they match no user of an application under
    /// test), its token added, and a token the fake never issued: ready for
    /// [`crate::identity::run_all`].
    pub fn sample_account(&self, first_name: &str, last_name: &str) -> KnownAccount {
        let id = fresh_profile_id();
        let friends = vec![fresh_profile_id(), fresh_profile_id()];
        self.add_friends(&id, &friends);
        let serial = id[id.len() - 6..].to_owned();
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
            friends,
            invalid_token: unique("fake-graph-never-issued"),
        }
    }

    /// From now on `friend_ids` are friends of `token_or_id` (an access token added before,
    /// or a profile id) who use the application: `/me/friends` lists them after the ones it
    /// listed before, each once. One-way, as the fake answers only for the account asking:
    /// call it again the other way round for both sides.
    pub fn add_friends(&self, token_or_id: &str, friend_ids: &[String]) {
        let mut state = self.shared.state();
        let id = state
            .accounts
            .get(token_or_id)
            .map_or_else(|| token_or_id.to_owned(), |profile| profile.id.clone());
        let friends = state.friends.entry(id).or_default();
        for friend in friend_ids {
            if !friends.contains(friend) {
                friends.push(friend.clone());
            }
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

/// A profile id no other call in this process returns: `10`, the process id, a serial.
fn fresh_profile_id() -> String {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let serial = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    format!("10{:09}{serial:06}", std::process::id())
}

/// Friends per page when the request gives no `limit` (Graph's default).
const DEFAULT_FRIENDS_LIMIT: usize = 25;

/// The largest `limit` honoured (Graph's cap).
const MAX_FRIENDS_LIMIT: usize = 5000;

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
    let query = request.uri().query().unwrap_or("");
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or("").split('/').collect();
    match segments.as_slice() {
        [version, "me"] if is_api_version(version) => me(shared, query),
        [version, node, "friends"] if is_api_version(version) => {
            friends(shared, version, node, query)
        }
        _ => {
            let message = format!("Unknown path components: {path}");
            graph_error(StatusCode::BAD_REQUEST, 2500, None, &message)
        }
    }
}

/// A request's parameters: its one access token and the rest.
struct Params {
    token: String,
    others: HashMap<String, String>,
}

/// A Graph error answer, to be rendered by [`Refusal::into_response`].
struct Refusal {
    code: u32,
    subcode: Option<u32>,
    message: &'static str,
}

impl Refusal {
    fn into_response(self) -> Response<Full<Bytes>> {
        graph_error(
            StatusCode::BAD_REQUEST,
            self.code,
            self.subcode,
            self.message,
        )
    }
}

/// The query's `access_token` and other parameters, or the Graph error for a missing or
/// repeated token.
fn read_query(query: &str) -> Result<Params, Refusal> {
    let mut tokens = Vec::new();
    let mut others = HashMap::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if key == "access_token" {
            tokens.push(value.into_owned());
        } else {
            others.insert(key.into_owned(), value.into_owned());
        }
    }
    match tokens.as_slice() {
        [token] => Ok(Params {
            token: token.clone(),
            others,
        }),
        [] => Err(Refusal {
            code: 2500,
            subcode: None,
            message: "An active access token must be used to query information about the \
                      current user.",
        }),
        _ => Err(Refusal {
            code: 100,
            subcode: None,
            message: "(#100) access_token was given more than once",
        }),
    }
}

/// The profile `token` belongs to, or the Graph error for an unknown or expired token.
fn account_of(state: &State, token: &str) -> Result<ExternalProfile, Refusal> {
    let Some(profile) = state.accounts.get(token) else {
        return Err(Refusal {
            code: 190,
            subcode: None,
            message: "Invalid OAuth access token - Cannot parse access token",
        });
    };
    if state.expired.contains(token) {
        return Err(Refusal {
            code: 190,
            subcode: Some(463),
            message: "Error validating access token: Session has expired.",
        });
    }
    Ok(profile.clone())
}

/// The answer to `GET /{version}/{node}/friends?{query}`, `node` being `me` or the token's
/// own user id: one page of at most `limit` friends from the `after` cursor on.
fn friends(shared: &Shared, version: &str, node: &str, query: &str) -> Response<Full<Bytes>> {
    let Params {
        token,
        others: params,
    } = match read_query(query) {
        Ok(params) => params,
        Err(refusal) => return refusal.into_response(),
    };
    let state = shared.state();
    let profile = match account_of(&state, &token) {
        Ok(profile) => profile,
        Err(refusal) => return refusal.into_response(),
    };
    if node != "me" && node != profile.id {
        let message = format!("(#100) Unsupported get request for node {node}");
        return graph_error(StatusCode::BAD_REQUEST, 100, None, &message);
    }
    let limit = match params.get("limit").map(|limit| limit.parse::<usize>()) {
        None => DEFAULT_FRIENDS_LIMIT,
        Some(Ok(limit)) if limit > 0 => limit.min(MAX_FRIENDS_LIMIT),
        Some(_) => {
            let message = "(#100) limit must be a positive number";
            return graph_error(StatusCode::BAD_REQUEST, 100, None, message);
        }
    };
    let start = match params.get("after").map(|after| parse_cursor(after)) {
        None => 0,
        Some(Some(start)) => start,
        Some(None) => {
            let message = "(#100) Invalid cursor";
            return graph_error(StatusCode::BAD_REQUEST, 100, None, message);
        }
    };
    let all = state.friends.get(&profile.id).cloned().unwrap_or_default();
    let end = start.saturating_add(limit).min(all.len());
    let page = all.get(start..end).unwrap_or_default();
    let data: Vec<Value> = page
        .iter()
        .map(|id| {
            let name = state
                .accounts
                .values()
                .find(|account| &account.id == id)
                .and_then(|account| account.name.clone());
            match name {
                Some(name) => json!({"id": id, "name": name}),
                None => json!({"id": id}),
            }
        })
        .collect();
    let mut paging = json!({"cursors": {"before": cursor(start), "after": cursor(end)}});
    if end < all.len() {
        let mut next = format!("{}/{version}/{}/friends?", shared.url, profile.id);
        next.push_str(
            &form_urlencoded::Serializer::new(String::new())
                .append_pair("access_token", &token)
                .append_pair("limit", &limit.to_string())
                .append_pair("after", &cursor(end))
                .finish(),
        );
        paging["next"] = json!(next);
    }
    let body = json!({
        "data": data,
        "paging": paging,
        "summary": {"total_count": all.len()},
    });
    json_response(StatusCode::OK, &body)
}

/// The opaque cursor of position `offset` in a friend list.
fn cursor(offset: usize) -> String {
    format!("QVFI{offset:08x}")
}

/// The position a [`cursor`] names.
fn parse_cursor(text: &str) -> Option<usize> {
    text.strip_prefix("QVFI")
        .and_then(|hex| usize::from_str_radix(hex, 16).ok())
}

/// The answer to `GET /{version}/me?{query}`.
fn me(shared: &Shared, query: &str) -> Response<Full<Bytes>> {
    let Params { token, mut others } = match read_query(query) {
        Ok(params) => params,
        Err(refusal) => return refusal.into_response(),
    };
    let profile = match account_of(&shared.state(), &token) {
        Ok(profile) => profile,
        Err(refusal) => return refusal.into_response(),
    };
    let fields = others
        .remove("fields")
        .unwrap_or_else(|| "id,name".to_owned());
    match render_profile(&profile, &fields, &shared.url) {
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
    fn cursors_name_their_position() {
        for offset in [0, 1, 25, 4096] {
            assert_eq!(parse_cursor(&cursor(offset)), Some(offset));
        }
        assert_eq!(parse_cursor("garbage"), None);
    }

    #[test]
    fn api_versions_are_v_major_dot_minor() {
        assert!(is_api_version("v19.0"));
        for bad in ["19.0", "v19", "v.1", "vx.y", "v1.2/me"] {
            assert!(!is_api_version(bad), "{bad} accepted");
        }
    }
}
