//! Hostile input through the API. Every route that takes a body (read from the OpenAPI
//! document the server serves, so a new route is covered the day it is documented) answers
//! a body one byte over its limit with a 413 naming the limit, whether the body comes with an
//! honest `content-length` or chunked without one; a body sent to any other route does no
//! harm. SQL injection strings as user names, comments, tags and tag searches are stored
//! and found verbatim, and everything stored before them is still there afterwards.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tourney_server::SERVED_ROUTES;
use tourney_server::filters::DEFAULT_JSON_LIMIT_BYTES;

use crate::support::{
    TestServer, add_test_places, call, path_segment, ready_photos_with, registered, sign_up,
};

/// The upload limit of the servers here (`app.max_upload_bytes`): small, so an oversized
/// upload is quick to send, and unlike the JSON limit, so each route is seen to name its own.
const UPLOAD_LIMIT_BYTES: u64 = 100_000;

/// How a request body is framed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// `content-length` with the body's true length.
    ContentLength,
    /// `transfer-encoding: chunked`, 8 KiB chunks, no `content-length`.
    Chunked,
}

const FRAMINGS: [Framing; 2] = [Framing::ContentLength, Framing::Chunked];

/// A response read off the wire.
#[derive(Debug)]
struct RawResponse {
    status: u16,
    /// Header names in lower case.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A route that takes a body, as the OpenAPI document lists it.
#[derive(Debug, Clone)]
struct BodyRoute {
    method: String,
    path: String,
    content_type: String,
}

impl BodyRoute {
    /// The limit the server applies to this route's body.
    fn limit_bytes(&self) -> u64 {
        match self.content_type.as_str() {
            "application/json" => DEFAULT_JSON_LIMIT_BYTES,
            "application/octet-stream" => UPLOAD_LIMIT_BYTES,
            other => panic!("{} {}: no known limit for {other}", self.method, self.path),
        }
    }
}

/// Sends one request on a fresh connection, writing the body from a task of its own so
/// that an early answer is read even while the body is still being sent (the server may
/// close the connection before reading all of it: write errors are ignored). The writing
/// half stays open until the answer is in: a half-closed connection is a closed one to the
/// server.
async fn send_raw(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
    framing: Framing,
) -> RawResponse {
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect to the server");
    let (mut reader, mut writer) = stream.into_split();
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    match framing {
        Framing::ContentLength => head.push_str(&format!("content-length: {}\r\n", body.len())),
        Framing::Chunked => head.push_str("transfer-encoding: chunked\r\n"),
    }
    head.push_str("\r\n");
    let (answered, answer_read) = tokio::sync::oneshot::channel::<()>();
    let writing = tokio::spawn(async move {
        let written = write_request(&mut writer, &head, &body, framing).await;
        let _ = answer_read.await;
        written
    });
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), reader.read_to_end(&mut received))
        .await
        .unwrap_or_else(|_| panic!("{method} {path}: no answer within 30 s"));
    if let Err(error) = read {
        // A reset right after the answer (the server closing with the body unread) is fine.
        assert!(!received.is_empty(), "{method} {path}: no answer: {error}");
    }
    let _ = answered.send(());
    let _ = writing.await;
    parse_response(&received).unwrap_or_else(|| {
        let shown: String = String::from_utf8_lossy(&received)
            .chars()
            .take(300)
            .collect();
        panic!("{method} {path}: not an HTTP response: {shown:?}")
    })
}

/// Writes the request head and `body` framed as `framing`.
async fn write_request(
    writer: &mut tokio::net::tcp::OwnedWriteHalf,
    head: &str,
    body: &[u8],
    framing: Framing,
) -> std::io::Result<()> {
    writer.write_all(head.as_bytes()).await?;
    match framing {
        Framing::ContentLength => writer.write_all(body).await?,
        Framing::Chunked => {
            for chunk in body.chunks(8 * 1024) {
                writer
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .await?;
                writer.write_all(chunk).await?;
                writer.write_all(b"\r\n").await?;
            }
            writer.write_all(b"0\r\n\r\n").await?;
        }
    }
    writer.flush().await
}

/// Parses an HTTP/1.1 response (the connection closed after it). The body may be cut short:
/// a server closing a connection whose request body it did not read resets it, and the
/// reset can overtake the end of a large answer.
fn parse_response(bytes: &[u8]) -> Option<RawResponse> {
    let head_end = bytes.windows(4).position(|window| window == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let rest = &bytes[head_end + 4..];
    let chunked = headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
    let content_length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse::<usize>().ok());
    let body = if chunked {
        dechunk(rest).unwrap_or_default()
    } else {
        rest[..content_length.unwrap_or(rest.len()).min(rest.len())].to_vec()
    };
    Some(RawResponse {
        status,
        headers,
        body,
    })
}

/// The payload of a chunked body.
fn dechunk(mut bytes: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = bytes.windows(2).position(|window| window == b"\r\n")?;
        let size_text = std::str::from_utf8(&bytes[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        bytes = &bytes[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(bytes.get(..size)?);
        bytes = bytes.get(size + 2..)?;
    }
}

/// The routes the served OpenAPI document says take a body, with the body's content type.
async fn body_routes(server: &TestServer) -> Vec<BodyRoute> {
    let document = server.get("/openapi.json").await.json();
    let mut routes = Vec::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            let Some(content) = operation["requestBody"]["content"].as_object() else {
                continue;
            };
            let content_type = content.keys().next().expect("a body content type");
            routes.push(BodyRoute {
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                content_type: content_type.clone(),
            });
        }
    }
    routes
}

/// A concrete path for a template: each `{name}` becomes a plausible segment.
fn sample_path(template: &str) -> String {
    template
        .split('/')
        .map(|segment| match segment {
            "{id}" => "0123456789abcdef0123456789abcdef1123456789abcdef0123456789abcdef",
            "{key}" => "photos/0123456789abcdef0123456789abcdef/original.jpg",
            "{category}" => "female",
            "{size}" => "small",
            "{kind}" => "photo",
            s if s.ends_with("_id}") => "0123456789abcdef0123456789abcdef",
            s if s.starts_with('{') => "sample",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A body of exactly `n_bytes`: a JSON object padded with spaces for JSON routes, bytes
/// otherwise.
fn body_of(content_type: &str, n_bytes: u64) -> Vec<u8> {
    let n_bytes = usize::try_from(n_bytes).expect("small");
    if content_type != "application/json" {
        return vec![0x42; n_bytes];
    }
    let mut body = br#"{"biography":"hi"}"#.to_vec();
    assert!(body.len() <= n_bytes);
    body.resize(n_bytes, b' ');
    body
}

/// A server on the embedded backend (which serves the upload route) with the small upload
/// limit and no rate limits (some routes are called many times here).
async fn start_server() -> TestServer {
    TestServer::start_embedded_with(
        |settings| {
            settings.app.max_upload_bytes = UPLOAD_LIMIT_BYTES;
            settings.app.rate_limits.enabled = false;
        },
        |state| state,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_body_one_byte_over_its_limit_is_413_naming_the_limit() {
    let server = start_server().await;
    let routes = body_routes(&server).await;
    let json_routes = routes
        .iter()
        .filter(|route| route.content_type == "application/json")
        .count();
    assert!(
        json_routes >= 10 && routes.len() > json_routes,
        "the document lists the JSON routes and the upload: {routes:?}"
    );
    let (_, token) = sign_up(&server).await;
    let authorization = format!("Bearer {token}");
    for route in &routes {
        let limit = route.limit_bytes();
        let path = sample_path(&route.path);
        for framing in FRAMINGS {
            let response = send_raw(
                server.address,
                &route.method,
                &path,
                &[
                    ("authorization", &authorization),
                    ("content-type", &route.content_type),
                ],
                body_of(&route.content_type, limit + 1),
                framing,
            )
            .await;
            let what = format!("{} {path} ({framing:?})", route.method);
            assert_eq!(response.status, 413, "{what}: {}", response.text());
            assert_eq!(
                response.header("content-type"),
                Some("application/json"),
                "{what}"
            );
            let error: Value = serde_json::from_slice(&response.body).expect("a json error");
            assert_eq!(error["error"], "payload_too_large", "{what}: {error}");
            let message = error["message"].as_str().expect("a message");
            assert!(
                message.contains(&format!("{limit} bytes")),
                "{what}: the message names the limit of {limit} bytes: {message:?}"
            );
        }
    }
    assert_eq!(server.get("/health").await.status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_body_exactly_at_the_limit_is_read() {
    let server = start_server().await;
    let (_, token) = sign_up(&server).await;
    let authorization = format!("Bearer {token}");
    for framing in FRAMINGS {
        let response = send_raw(
            server.address,
            "PATCH",
            "/v1/users/me",
            &[
                ("authorization", &authorization),
                ("content-type", "application/json"),
            ],
            body_of("application/json", DEFAULT_JSON_LIMIT_BYTES),
            framing,
        )
        .await;
        assert_eq!(response.status, 200, "{framing:?}: {}", response.text());
        let user: Value = serde_json::from_slice(&response.body).expect("the user");
        assert_eq!(user["biography"], "hi", "{framing:?}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_sent_to_routes_that_take_none_do_no_harm() {
    let server = start_server().await;
    let takes_body: Vec<(String, String)> = body_routes(&server)
        .await
        .into_iter()
        .map(|route| (route.method, route.path))
        .collect();
    // Over every limit but the upload's: a route reading it unannounced would answer 413.
    let body = body_of("application/json", DEFAULT_JSON_LIMIT_BYTES + 1);
    let mut n_checked = 0;
    for route in SERVED_ROUTES {
        let listed = (route.method.to_owned(), route.path.to_owned());
        if takes_body.contains(&listed) {
            continue;
        }
        let path = sample_path(route.path);
        for framing in FRAMINGS {
            // A user of its own: the route may delete the account or rotate its token.
            let (_, token) = sign_up(&server).await;
            let authorization = format!("Bearer {token}");
            let response = send_raw(
                server.address,
                route.method,
                &path,
                &[
                    ("authorization", &authorization),
                    ("content-type", "application/json"),
                ],
                body.clone(),
                framing,
            )
            .await;
            let what = format!("{} {path} ({framing:?})", route.method);
            assert!(
                response.status < 500,
                "{what}: {} {}",
                response.status,
                response.text()
            );
            assert_ne!(
                response.status, 413,
                "{what} reads a body, but its OpenAPI operation documents none"
            );
            n_checked += 1;
        }
    }
    assert!(n_checked > 100, "{n_checked} requests");
    assert_eq!(server.get("/health").await.status, 200);
    server.stop().await;
}

/// SQL injection strings, quotes of every kind, LIKE wildcards and backslashes; each within
/// the 42 characters of a user name and free of '/' (a tag takes none).
const HOSTILE: &[&str] = &[
    "'; DROP TABLE items; --",
    "Robert'); DROP TABLE users;--",
    "\" OR 1=1 --",
    "' OR '1'='1",
    "\\",
    "\\'; --",
    "100% _sure_",
    "%",
    "_",
    "$1 $$ dollar $$",
    "-- comment ; #",
    "\u{2018}curly\u{2019} \u{201c}quotes\u{201d}",
    "\u{ff07}; DROP TABLE terms; --",
    "\u{2bc} OR \u{2bc}1\u{2bc}=\u{2bc}1",
    "NEAR(a b) OR c*",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn injection_strings_in_names_comments_and_tags_are_plain_text() {
    let server = TestServer::start_with(
        |settings| settings.app.rate_limits.enabled = false,
        |state| state,
    )
    .await;
    add_test_places(&server).await;
    let photos = ready_photos_with(
        &server,
        &[json!({"content_type": "image/jpeg", "category": "female", "tags": ["canary"]})],
        900,
    )
    .await;
    let photo = &photos[0];
    // Commenting takes a complete registration (name, categories, place, profile photo).
    let (commenter_id, commenter) = registered(&server, "Commenter", 901).await;

    // A search for an injection string nobody used finds nothing (not every tag).
    for query in ["' OR '1'='1", "%", "_", "\" OR \"\"=\""] {
        let path = format!("/v1/tags/search/female/{}", path_segment(query));
        let found = call(&server, "GET", &path, &commenter, None).await;
        assert_eq!(found.status, 200, "{query:?}: {}", found.text());
        assert_eq!(found.json()["items"], json!([]), "{query:?}");
    }

    let mut user_ids = Vec::new();
    for text in HOSTILE {
        // As a user name: taken, and found by it.
        let (id, token) = sign_up(&server).await;
        let patch = json!({"user_name": text});
        let patched = call(&server, "PATCH", "/v1/users/me", &token, Some(patch)).await;
        assert_eq!(patched.status, 200, "name {text:?}: {}", patched.text());
        assert_eq!(patched.json()["user_name"], *text);
        user_ids.push(id);

        // As a comment.
        let comments = format!("/v1/photos/{}/comments", photo.id);
        let added = call(
            &server,
            "POST",
            &comments,
            &commenter,
            Some(json!({"text": text})),
        )
        .await;
        assert_eq!(added.status, 201, "comment {text:?}: {}", added.text());
        assert_eq!(added.json()["text"], *text);

        // As a tag of the photo.
        let tag_path = format!("/v1/tags/{}/{}", path_segment(text), photo.id);
        let tagged = call(&server, "PUT", &tag_path, &photo.owner_token, None).await;
        assert_eq!(tagged.status, 200, "tag {text:?}: {}", tagged.text());
        let tags = tagged.json()["tags"].clone();
        assert!(
            tags.as_array()
                .is_some_and(|tags| tags.iter().any(|tag| tag == text)),
            "tag {text:?} in {tags}"
        );
    }

    for (text, id) in HOSTILE.iter().zip(&user_ids) {
        let by_name = format!("/v1/users_by_name/{}", path_segment(text));
        let found = call(&server, "GET", &by_name, &commenter, None).await;
        assert_eq!(found.status, 200, "{by_name}: {}", found.text());
        assert_eq!(found.json()["id"], id.as_str(), "{text:?}");
        let taken = server
            .get(&format!("/v1/user_names/{}", path_segment(text)))
            .await;
        assert_eq!(taken.status, 204, "{text:?} is taken");

        let search = format!("/v1/tags/search/female/{}", path_segment(text));
        let found = call(&server, "GET", &search, &commenter, None).await;
        assert_eq!(found.status, 200, "{search}: {}", found.text());
        let hits = found.json()["items"].clone();
        assert_eq!(hits[0]["tag"], *text, "the exact tag first: {hits}");
        assert_eq!(hits[0]["cover_photo"]["id"], photo.id.as_str());

        let board = format!("/v1/tags/female/{}", path_segment(text));
        let entries = call(&server, "GET", &board, &commenter, None).await;
        assert_eq!(entries.status, 200, "{board}: {}", entries.text());
        assert_eq!(
            entries.json()["items"][0]["photo"]["id"],
            photo.id.as_str(),
            "{text:?}'s board"
        );
    }
    let listed = call(
        &server,
        "GET",
        &format!("/v1/photos/{}/comments?count=50", photo.id),
        &commenter,
        None,
    )
    .await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let mut texts: Vec<String> = listed.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|comment| comment["text"].as_str().expect("text").to_owned())
        .collect();
    texts.sort();
    let mut expected: Vec<String> = HOSTILE.iter().map(|text| (*text).to_owned()).collect();
    expected.sort();
    assert_eq!(texts, expected, "every comment, verbatim");

    // NUL is a control character: refused naming the field, nothing stored.
    let (_, token) = sign_up(&server).await;
    let nul_name = call(
        &server,
        "PATCH",
        "/v1/users/me",
        &token,
        Some(json!({"user_name": "nul\u{0}name"})),
    )
    .await;
    assert_eq!(nul_name.assert_error(400, "invalid")["field"], "user_name");
    let nul_comment = call(
        &server,
        "POST",
        &format!("/v1/photos/{}/comments", photo.id),
        &commenter,
        Some(json!({"text": "nul\u{0}comment"})),
    )
    .await;
    assert_eq!(nul_comment.assert_error(400, "invalid")["field"], "text");
    for path in [
        format!("/v1/tags/nul%00tag/{}", photo.id),
        "/v1/tags/search/female/nul%00tag".to_owned(),
    ] {
        let method = if path.contains("search") {
            "GET"
        } else {
            "PUT"
        };
        let refused = call(&server, method, &path, &photo.owner_token, None).await;
        assert_eq!(refused.status, 400, "{path}: {}", refused.text());
    }

    // Everything stored before the hostile strings is intact.
    let found = call(
        &server,
        "GET",
        "/v1/tags/search/female/canary",
        &commenter,
        None,
    )
    .await;
    assert_eq!(
        found.json()["items"][0]["tag"],
        "canary",
        "{}",
        found.text()
    );
    let me = call(&server, "GET", "/v1/users/me", &commenter, None).await;
    assert_eq!(me.json()["id"], commenter_id.as_str());
    assert_eq!(server.get("/v1/test_search_db").await.status, 200);
    server.stop().await;
}
