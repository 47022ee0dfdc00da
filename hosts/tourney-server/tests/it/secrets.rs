//! Secrets: API tokens are stored only as their SHA-256 hashes (no byte of a token on
//! disk, a rotated token's hash gone with it), no token (ours or a Facebook one) reaches the
//! server's log lines, even at debug level and on 401s and 5xx, nor an error body; and the
//! upload URL `POST /v1/photos` hands out is bound to the declared content type, the size
//! cap and an expiry at most an hour ahead. (Sentry events: `observability.rs`.)

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use ocean::records::Key;
use serde_json::{Value, json};

use crate::support::{TestResponse, TestServer, add_test_places, call, send, send_upload, sign_up};

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read the data dir") {
            let path = entry.expect("a dir entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// The files under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<std::path::PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|path| {
            let bytes = std::fs::read(path).unwrap_or_default();
            bytes
                .windows(needle.len())
                .any(|window| window == needle.as_bytes())
        })
        .collect()
}

/// The record a token's hash keys (as `tourney-core` stores it).
fn token_key(token: &str) -> Key {
    Key::new(
        format!("t#{}", tourney_media::content_hash(token.as_bytes())),
        "token",
    )
}

fn basic(user: &str, token: &str) -> String {
    let pair = format!("{user}:{token}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_stored_only_as_their_hashes() {
    let data = tempfile::tempdir().expect("a data dir");
    let data_dir = data.path().to_path_buf();
    let server = TestServer::start_embedded_with(
        move |settings| settings.data_dir = data_dir,
        |state| state,
    )
    .await;
    let (first_id, first_token) = sign_up(&server).await;
    let (_, second_token) = sign_up(&server).await;
    let rotated = call(&server, "POST", "/v1/users/me/token", &second_token, None).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    let new_token = rotated.json()["token"].as_str().expect("token").to_owned();
    assert!(
        new_token.len() >= 32 && new_token.bytes().all(|b| b.is_ascii_hexdigit()),
        "at least 128 random bits as hex: {new_token}"
    );
    // Basic credentials name the user: the right token under another id is refused.
    let wrong_user = basic("0123456789abcdef0123456789abcdef", &first_token);
    let refused = server
        .request(
            "GET",
            "/v1/users/me",
            &[("authorization", wrong_user.as_str())],
            Vec::new(),
        )
        .await;
    refused.assert_error(401, "unauthorized");
    let right_user = basic(&first_id, &first_token);
    let accepted = server
        .request(
            "GET",
            "/v1/users/me",
            &[("authorization", right_user.as_str())],
            Vec::new(),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text());

    let records = &server.ports.records;
    for live in [&first_token, &new_token] {
        assert!(
            records.get(&token_key(live)).await.expect("get").is_some(),
            "a live token's hash is stored"
        );
    }
    assert!(
        records
            .get(&token_key(&second_token))
            .await
            .expect("get")
            .is_none(),
        "a rotated token's hash is gone"
    );
    call(&server, "GET", "/v1/users/me", &second_token, None)
        .await
        .assert_error(401, "unauthorized");

    // The hashes are on disk (the scan reads the store); no token is, in any file.
    let hash = tourney_media::content_hash(first_token.as_bytes());
    assert!(
        !files_containing(data.path(), &hash).is_empty(),
        "the scan finds the stored hash"
    );
    for token in [&first_token, &second_token, &new_token] {
        let found = files_containing(data.path(), token);
        assert!(found.is_empty(), "token bytes stored in {found:?}");
    }
    server.stop().await;
}

/// A `tourney-server serve` process logging to a file, and its address.
struct ServerProcess {
    child: Child,
    address: std::net::SocketAddr,
    log: std::path::PathBuf,
}

impl ServerProcess {
    /// Starts the binary on a fresh embedded data dir under `dir`, logging at `log_level`,
    /// with Facebook's Graph API at `graph_url`.
    fn start(dir: &Path, log_level: &str, graph_url: &str) -> Self {
        let log = dir.join("server.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_tourney-server"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env_remove("OCEAN_SETTINGS")
            .env("OCEAN__DATA_DIR", dir.join("data"))
            .env("OCEAN__PLACES__LOAD_DEFAULT_DATASET", "false")
            .env("OCEAN__IDENTITY__GRAPH_URL", graph_url)
            .env("OCEAN__IDENTITY__TIMEOUT_SECS", "1")
            .env("RUST_LOG", log_level)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("a log file"))
            .spawn()
            .expect("start tourney-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the first line");
        let address = line
            .strip_prefix("serving on http://")
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|address| address.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Self {
            child,
            address,
            log,
        }
    }

    async fn request(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: Option<Value>,
    ) -> TestResponse {
        let mut headers = Vec::new();
        if let Some(authorization) = authorization {
            headers.push(("authorization", authorization));
        }
        let bytes = match body {
            Some(body) => {
                headers.push(("content-type", "application/json"));
                serde_json::to_vec(&body).expect("json")
            }
            None => Vec::new(),
        };
        send(self.address, method, path, &headers, bytes).await
    }

    /// Stops the process; returns everything it logged.
    fn stop(mut self) -> String {
        self.child.kill().expect("kill the server");
        self.child.wait().expect("wait for the server");
        std::fs::read_to_string(&self.log).expect("the log")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_reaches_the_log_or_an_error_body() {
    let dir = tempfile::tempdir().expect("a dir");
    // A Graph API address nothing listens on: Facebook calls fail as unavailable (503).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let graph_url = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    let server = ServerProcess::start(dir.path(), "debug", &graph_url);

    let created = server.request("POST", "/v1/users", None, None).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().expect("id").to_owned();
    let token = created.json()["token"].as_str().expect("token").to_owned();
    let bearer = format!("Bearer {token}");
    let me = server
        .request("GET", "/v1/users/me", Some(&bearer), None)
        .await;
    assert_eq!(me.status, 200, "{}", me.text());
    let basic_ok = basic(&id, &token);
    let me = server
        .request("GET", "/v1/users/me", Some(&basic_ok), None)
        .await;
    assert_eq!(me.status, 200, "{}", me.text());

    // Refused credentials: the answer names no part of them.
    let wrong_token = "feedfacefeedfacefeedfacefeedface0badc0de";
    let mut error_bodies = Vec::new();
    for authorization in [
        format!("Bearer {wrong_token}"),
        basic(&id, wrong_token),
        basic("0123456789abcdef0123456789abcdef", &token),
        format!("Token {token}"),
        format!("Basic {token}"),
    ] {
        let refused = server
            .request("GET", "/v1/users/me", Some(&authorization), None)
            .await;
        refused.assert_error(401, "unauthorized");
        error_bodies.push(refused.text());
    }

    // Facebook tokens, in a body and in a query, on the way to a Graph API that is down.
    let facebook_in_body = "EAAfacebooktokeninthebody0123456789";
    let linked = server
        .request(
            "PUT",
            "/v1/users/me/facebook",
            Some(&bearer),
            Some(json!({"token": facebook_in_body})),
        )
        .await;
    linked.assert_error(503, "unavailable");
    error_bodies.push(linked.text());
    let facebook_in_query = "EAAfacebooktokeninthequery0123456789";
    let login = server
        .request(
            "GET",
            &format!("/v1/users_by_facebook/1234567890?token={facebook_in_query}"),
            None,
            None,
        )
        .await;
    login.assert_error(503, "unavailable");
    error_bodies.push(login.text());

    let rotated = server
        .request("POST", "/v1/users/me/token", Some(&bearer), None)
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    let new_token = rotated.json()["token"].as_str().expect("token").to_owned();
    let stale = server
        .request("GET", "/v1/users/me", Some(&bearer), None)
        .await;
    stale.assert_error(401, "unauthorized");
    error_bodies.push(stale.text());

    let log = server.stop();
    // The log has the requests (method, route, status), so the check below reads a real log.
    for expected in ["/v1/users/me", "status=401", "status=503", "facebook"] {
        assert!(log.contains(expected), "the log has {expected:?}: {log}");
    }
    let secrets = [
        token.as_str(),
        new_token.as_str(),
        wrong_token,
        facebook_in_body,
        facebook_in_query,
    ];
    for secret in secrets {
        assert!(!log.contains(secret), "the log holds {secret:?}");
        let hash = tourney_media::content_hash(secret.as_bytes());
        assert!(!log.contains(&hash), "the log holds the hash of {secret:?}");
        for body in &error_bodies {
            assert!(
                !body.contains(secret),
                "an error body holds {secret:?}: {body}"
            );
        }
    }
    let basic_value = basic_ok.trim_start_matches("Basic ");
    assert!(
        !log.contains(basic_value),
        "the log holds Basic credentials"
    );
}

/// The embedded upload URL's query parameter `name`.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// `url` with query parameter `name` set to `value`.
fn with_param(url: &str, name: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').expect("a query");
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key == name => format!("{key}={value}"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_urls_expire_within_an_hour_and_are_bound_to_type_and_size() {
    const MAX_BYTES: u64 = 4096;
    let server = TestServer::start_with(
        |settings| settings.app.max_upload_bytes = MAX_BYTES,
        |state| state,
    )
    .await;
    add_test_places(&server).await;
    let (_, token) = sign_up(&server).await;
    let new_photo = |content_type: &str| json!({"content_type": content_type});
    let created = call(
        &server,
        "POST",
        "/v1/photos",
        &token,
        Some(new_photo("image/png")),
    )
    .await;
    assert_eq!(created.status, 202, "{}", created.text());
    let upload = created.json()["upload"].clone();
    assert_eq!(upload["max_bytes"], MAX_BYTES, "{upload}");
    let expires_at = upload["expires_at"].as_str().expect("expires_at");
    let expires_at = humantime::parse_rfc3339(expires_at).expect("RFC 3339");
    let now = SystemTime::now();
    assert!(expires_at > now, "not expired at once: {upload}");
    assert!(
        expires_at <= now + Duration::from_secs(3600),
        "expires within the hour: {upload}"
    );

    match upload["method"].as_str() {
        // The embedded backend: a PUT to the server, its query signed.
        Some("PUT") => {
            let url = upload["url"].as_str().expect("url");
            assert_eq!(
                query_param(url, "content_type").as_deref(),
                Some("image/png")
            );
            assert_eq!(
                query_param(url, "max_bytes").as_deref(),
                Some(MAX_BYTES.to_string().as_str())
            );
            let expires: u64 = query_param(url, "expires")
                .and_then(|s| s.parse().ok())
                .expect("expires");
            let expires_at_secs = expires_at
                .duration_since(SystemTime::UNIX_EPOCH)
                .expect("after 1970")
                .as_secs();
            assert_eq!(expires, expires_at_secs, "the URL carries the expiry");
            let put = |url: String, content_type: &'static str, size: usize| {
                let server = &server;
                async move {
                    server
                        .request(
                            "PUT",
                            &url,
                            &[("content-type", content_type)],
                            vec![7; size],
                        )
                        .await
                }
            };
            put(url.to_owned(), "image/jpeg", 10)
                .await
                .assert_error(415, "unsupported_media_type");
            let size = usize::try_from(MAX_BYTES).expect("small") + 1;
            put(url.to_owned(), "image/png", size)
                .await
                .assert_error(413, "payload_too_large");
            for (name, value) in [
                ("content_type", "image%2Fjpeg"),
                ("max_bytes", "999999999"),
                ("expires", &(expires + 3600).to_string()),
            ] {
                put(with_param(url, name, value), "image/jpeg", 10)
                    .await
                    .assert_error(403, "invalid_signature");
            }
            // The URL names one photo's original: it writes no other key.
            let other = call(
                &server,
                "POST",
                "/v1/photos",
                &token,
                Some(new_photo("image/png")),
            )
            .await;
            let other_id = other.json()["id"].as_str().expect("id").to_owned();
            let own_id = created.json()["id"].as_str().expect("id").to_owned();
            put(url.replace(&own_id, &other_id), "image/png", 10)
                .await
                .assert_error(403, "invalid_signature");
            let stored = send_upload(&server, &upload, vec![7; 10]).await;
            assert_eq!(stored.status, 200, "{}", stored.text());
        }
        // S3: a presigned POST whose policy states the type, the size range and the expiry.
        // S3 enforces them: ocean-s3's `tests/it/refusals.rs` sends forged, expired,
        // mistyped and oversized forms to s3-local.
        Some("POST") => {
            let fields = upload["fields"].as_object().expect("fields");
            let policy = fields
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("policy"))
                .and_then(|(_, value)| value.as_str())
                .expect("a policy field");
            let policy = base64::engine::general_purpose::STANDARD
                .decode(policy)
                .expect("base64");
            let policy: Value = serde_json::from_slice(&policy).expect("a JSON policy");
            let conditions = policy["conditions"].to_string().to_ascii_lowercase();
            assert!(
                conditions.contains(&format!("\"content-length-range\",0,{MAX_BYTES}"))
                    || conditions.contains(&format!("\"content-length-range\",1,{MAX_BYTES}")),
                "a size condition: {policy}"
            );
            assert!(
                conditions.contains("image/png"),
                "a content type condition: {policy}"
            );
            let expiration = policy["expiration"].as_str().expect("an expiration");
            let expiration = humantime::parse_rfc3339_weak(expiration.trim_end_matches('Z'))
                .or_else(|_| humantime::parse_rfc3339(expiration))
                .expect("a time");
            assert!(
                expiration <= now + Duration::from_secs(3601),
                "the policy expires within the hour: {policy}"
            );
        }
        other => panic!("an upload method, not {other:?}"),
    }
    server.stop().await;
}
