//! Test helpers: a server on a free port with a fresh data directory, a tiny HTTP/1
//! client (hyper's connection API, one connection per request), and the game's steps the
//! tests share (sign up, upload, run the worker until idle).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use ocean::places::Place;
use ocean::settings::{MediaBackend, PlacesBackend};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tourney_server::AppState;
use tourney_wiring::{AppSettings, Ports};
use tourney_worker::Worker;

/// A running server and what the test may need of it.
pub(crate) struct TestServer {
    /// Where it listens.
    pub(crate) address: SocketAddr,
    /// Its ports, for setting up and checking state behind the HTTP API.
    pub(crate) ports: Ports,
    /// Its game, for running the worker's step (`Worker::run_once`) in tests.
    pub(crate) game: tourney_core::service::Game,
    /// Stops it.
    shutdown: Option<oneshot::Sender<()>>,
    /// The server task.
    task: JoinHandle<()>,
    /// Its data directory, removed when the test ends.
    _data_dir: TempDir,
}

impl TestServer {
    /// A server with the default settings (except: fresh data dir, no built-in places).
    pub(crate) async fn start() -> Self {
        Self::start_with(|_| {}, |state| state).await
    }

    /// A server whose settings and state the test adjusts first.
    pub(crate) async fn start_with(
        configure_settings: impl FnOnce(&mut AppSettings),
        configure_state: impl FnOnce(AppState) -> AppState,
    ) -> Self {
        Self::start_on(
            crate::backends::aws_local(),
            configure_settings,
            configure_state,
        )
        .await
    }

    /// A server on the embedded backend whatever the run's backends, for tests of what only
    /// the embedded backend has (the server's own upload and media routes).
    pub(crate) async fn start_embedded() -> Self {
        Self::start_embedded_with(|_| {}, |state| state).await
    }

    /// [`TestServer::start_embedded`] with the test's adjustments, as [`TestServer::start_with`].
    pub(crate) async fn start_embedded_with(
        configure_settings: impl FnOnce(&mut AppSettings),
        configure_state: impl FnOnce(AppState) -> AppState,
    ) -> Self {
        Self::start_on(false, configure_settings, configure_state).await
    }

    /// A server on the embedded backend, or on the local AWS-protocol servers when
    /// `aws_local`, whose settings and state the test adjusts first.
    async fn start_on(
        aws_local: bool,
        configure_settings: impl FnOnce(&mut AppSettings),
        configure_state: impl FnOnce(AppState) -> AppState,
    ) -> Self {
        let data_dir = tempfile::tempdir().expect("a temporary data dir");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let address = listener.local_addr().expect("the bound address");
        let mut settings = AppSettings {
            data_dir: data_dir.path().to_path_buf(),
            media: MediaBackend::Embedded {
                public_url: format!("http://{address}"),
                signing_key: None,
            },
            places: PlacesBackend::Embedded {
                load_default_dataset: false,
                dataset_csv: None,
            },
            ..AppSettings::default()
        };
        settings.app.public_url = Some(format!("http://{address}"));
        // Tests vote as soon as matches are proposed; tests/it/abuse.rs sets its own minimum.
        settings.app.min_vote_delay_ms = 0;
        if aws_local {
            crate::backends::use_aws_local(&mut settings).await;
        }
        configure_settings(&mut settings);
        let settings = Arc::new(settings);
        let ports = tourney_wiring::open(&settings)
            .await
            .expect("open the ports");
        tourney_wiring::load_datasets(&ports, &settings)
            .await
            .expect("load datasets");
        let state = configure_state(AppState::new(ports.clone(), settings).expect("state"));
        let game = state.game.clone();
        let (shutdown, shutdown_received) = oneshot::channel::<()>();
        let (bound, task) = tourney_server::serve_on(state, listener, async move {
            let _ = shutdown_received.await;
        })
        .await
        .expect("serve");
        assert_eq!(bound, address);
        Self {
            address,
            ports,
            game,
            shutdown: Some(shutdown),
            task,
            _data_dir: data_dir,
        }
    }

    /// `http://ADDRESS`.
    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// A GET of `target` (a path, or a full URL on this server).
    pub(crate) async fn get(&self, target: &str) -> TestResponse {
        self.request("GET", target, &[], Vec::new()).await
    }

    /// A request of `target`: a path on this server, or a full `http://` URL (this server or
    /// another, such as an S3 presigned upload URL).
    pub(crate) async fn request(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> TestResponse {
        let Some(rest) = target.strip_prefix("http://") else {
            return send(self.address, method, target, headers, body).await;
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let address = tokio::net::lookup_host(authority)
            .await
            .expect("resolve the URL's host")
            .next()
            .expect("an address for the URL's host");
        let path = if path.is_empty() { "/" } else { path };
        send_to(address, authority, method, path, headers, body).await
    }

    /// Signals shutdown and waits (at most 5 s) for the server to finish.
    pub(crate) async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        tokio::time::timeout(Duration::from_secs(5), &mut self.task)
            .await
            .expect("the server stops within 5 s")
            .expect("the server task ends cleanly");
    }
}

/// What came back.
#[derive(Debug)]
pub(crate) struct TestResponse {
    /// The status code.
    pub(crate) status: u16,
    /// The headers.
    pub(crate) headers: hyper::HeaderMap,
    /// The whole body.
    pub(crate) body: Vec<u8>,
}

impl TestResponse {
    /// The body as JSON (panics, showing the body, if it is not).
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not json ({e}): {}", self.text()))
    }

    /// The body as text (lossy).
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value ("" when absent).
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts the status and the JSON error shape with `code`; returns the body.
    pub(crate) fn assert_error(&self, status: u16, code: &str) -> serde_json::Value {
        assert_eq!(self.status, status, "status of {}", self.text());
        assert_eq!(self.header("content-type"), "application/json");
        let body = self.json();
        assert_eq!(body["error"], code, "error code in {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "a message in {body}"
        );
        body
    }
}

/// Sends one HTTP/1.1 request on a fresh connection.
pub(crate) async fn send(
    address: SocketAddr,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> TestResponse {
    send_to(
        address,
        &address.to_string(),
        method,
        path_and_query,
        headers,
        body,
    )
    .await
}

/// Sends one HTTP/1.1 request to `address` on a fresh connection, `host` as its Host header.
async fn send_to(
    address: SocketAddr,
    host: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> TestResponse {
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect to the server");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("http handshake");
    tokio::spawn(connection);
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(path_and_query)
        .header("host", host);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .expect("a valid request");
    let response = sender.send_request(request).await.expect("a response");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("the whole body")
        .to_bytes()
        .to_vec();
    TestResponse {
        status,
        headers,
        body,
    }
}

/// A server whose places dataset holds Los Angeles (the default place) and San Francisco.
pub(crate) async fn start_with_places() -> TestServer {
    let server = TestServer::start().await;
    add_test_places(&server).await;
    server
}

/// Loads Los Angeles (the default place) and San Francisco into `server`'s places.
pub(crate) async fn add_test_places(server: &TestServer) {
    let town = |id: &str, name: &str, lat: f64, lon: f64| Place {
        id: id.to_owned(),
        name: name.to_owned(),
        region: "CA".to_owned(),
        country: "us".to_owned(),
        lat,
        lon,
        population: Some(1_000_000),
    };
    server
        .ports
        .places
        .load(vec![
            town("5368361", "Los Angeles", 34.05223, -118.24368),
            town("5391959", "San Francisco", 37.77493, -122.41942),
        ])
        .await
        .expect("load places");
}

/// A request with `token` as Bearer credentials and `body`, if any, as JSON.
pub(crate) async fn call(
    server: &TestServer,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> TestResponse {
    let auth = format!("Bearer {token}");
    let mut headers = vec![("authorization", auth.as_str())];
    let bytes = match body {
        Some(body) => {
            headers.push(("content-type", "application/json"));
            serde_json::to_vec(&body).expect("json")
        }
        None => Vec::new(),
    };
    server.request(method, path, &headers, bytes).await
}

/// Signs a user up: (id, token).
pub(crate) async fn sign_up(server: &TestServer) -> (String, String) {
    let created = server
        .request(
            "POST",
            "/v1/users",
            &[("user-agent", "game-test/1")],
            Vec::new(),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let body = created.json();
    (
        body["id"].as_str().expect("id").to_owned(),
        body["token"].as_str().expect("token").to_owned(),
    )
}

/// Creates a photo for `token` and uploads `bytes` to its presigned URL; returns its id.
pub(crate) async fn upload(
    server: &TestServer,
    token: &str,
    bytes: Vec<u8>,
    content_type: &str,
) -> String {
    upload_with(server, token, json!({"content_type": content_type}), bytes).await
}

/// Creates a photo for `token` with the `POST /v1/photos` body `new_photo` and uploads
/// `bytes` to its presigned URL; returns its id.
pub(crate) async fn upload_with(
    server: &TestServer,
    token: &str,
    new_photo: Value,
    bytes: Vec<u8>,
) -> String {
    let created = call(server, "POST", "/v1/photos", token, Some(new_photo)).await;
    assert_eq!(created.status, 202, "{}", created.text());
    let body = created.json();
    let sent = send_upload(server, &body["upload"], bytes).await;
    assert!(
        matches!(sent.status, 200 | 204),
        "upload answered {}: {}",
        sent.status,
        sent.text()
    );
    let id = body["id"].as_str().expect("id").to_owned();
    let path = format!("/v1/photos/{id}/uploaded");
    let completed = call(server, "POST", &path, token, None).await;
    assert_eq!(completed.status, 200, "{}", completed.text());
    id
}

/// Sends `bytes` as the presigned `upload` of a `POST /v1/photos` answer says: a PUT with
/// its headers (the embedded backend) or a multipart POST of its fields and then the file
/// (S3).
pub(crate) async fn send_upload(
    server: &TestServer,
    upload: &Value,
    bytes: Vec<u8>,
) -> TestResponse {
    let url = upload["url"].as_str().expect("upload url");
    match upload["method"].as_str() {
        Some("PUT") => {
            let headers: Vec<(&str, &str)> = upload["headers"]
                .as_object()
                .map(|headers| {
                    headers
                        .iter()
                        .filter_map(|(name, value)| Some((name.as_str(), value.as_str()?)))
                        .collect()
                })
                .unwrap_or_default();
            server.request("PUT", url, &headers, bytes).await
        }
        Some("POST") => {
            const BOUNDARY: &str = "tourney-test-boundary-7d1f3c";
            let mut form = Vec::with_capacity(bytes.len() + 2048);
            let fields = upload["fields"].as_object().expect("POST fields");
            let mut content_type = "application/octet-stream";
            for (name, value) in fields {
                let value = value.as_str().expect("a text field");
                if name.eq_ignore_ascii_case("content-type") {
                    content_type = value;
                }
                form.extend_from_slice(
                    format!(
                        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                    )
                    .as_bytes(),
                );
            }
            form.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"upload\"\r\ncontent-type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            );
            form.extend_from_slice(&bytes);
            form.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
            let form_type = format!("multipart/form-data; boundary={BOUNDARY}");
            server
                .request("POST", url, &[("content-type", form_type.as_str())], form)
                .await
        }
        other => panic!("an upload method PUT or POST, not {other:?}"),
    }
}

/// Runs the worker's step until it reports idle (at most 20 steps); returns how many votes
/// the steps scored in all.
pub(crate) async fn drain(server: &TestServer) -> usize {
    let worker = Worker::new(server.game.clone(), Duration::from_millis(1));
    let mut n_votes = 0;
    for _ in 0..20 {
        let report = worker.run_once(tourney_worker::now()).await.expect("step");
        if report.is_idle() {
            return n_votes;
        }
        n_votes += report.scoring.n_votes;
    }
    panic!("the worker never became idle");
}

/// A ready photo and its owner's token.
#[derive(Debug, Clone)]
pub(crate) struct ReadyPhoto {
    /// The photo's id.
    pub(crate) id: String,
    /// Its owner's token.
    pub(crate) owner_token: String,
}

/// Signs up `n_owners` users, uploads one generated JPEG each (distinct pictures, drawn
/// from `first_seed` on), runs the worker until idle and checks every photo is ready.
pub(crate) async fn ready_photos(
    server: &TestServer,
    n_owners: u64,
    first_seed: u64,
) -> Vec<ReadyPhoto> {
    let mut photos = Vec::new();
    for seed in first_seed..first_seed + n_owners {
        let (_, owner_token) = sign_up(server).await;
        let jpeg = tourney_media::generate_demo_image(seed, 96, 72);
        let id = upload(server, &owner_token, jpeg, "image/jpeg").await;
        photos.push(ReadyPhoto { id, owner_token });
    }
    drain(server).await;
    for photo in &photos {
        let view = call(
            server,
            "GET",
            &format!("/v1/photos/{}", photo.id),
            &photo.owner_token,
            None,
        )
        .await
        .json();
        assert_eq!(view["state"], "ready", "{view}");
    }
    photos
}

/// Signs up one owner per `POST /v1/photos` body in `new_photos`, uploads a generated JPEG
/// with each (distinct pictures, drawn from `first_seed` on), runs the worker until idle and
/// checks every photo is ready; the photos come back in the order of `new_photos`.
pub(crate) async fn ready_photos_with(
    server: &TestServer,
    new_photos: &[Value],
    first_seed: u64,
) -> Vec<ReadyPhoto> {
    let mut photos = Vec::with_capacity(new_photos.len());
    for (seed, new_photo) in (first_seed..).zip(new_photos) {
        let (_, owner_token) = sign_up(server).await;
        let jpeg = tourney_media::generate_demo_image(seed, 96, 72);
        let id = upload_with(server, &owner_token, new_photo.clone(), jpeg).await;
        photos.push(ReadyPhoto { id, owner_token });
    }
    drain(server).await;
    for photo in &photos {
        let view = photo_json(server, &photo.owner_token, &photo.id).await;
        assert_eq!(view["state"], "ready", "{view}");
    }
    photos
}

/// `GET /v1/photos/{id}` as `token` sees it, checked to be 200.
pub(crate) async fn photo_json(server: &TestServer, token: &str, id: &str) -> Value {
    let response = call(server, "GET", &format!("/v1/photos/{id}"), token, None).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// `text` percent-encoded as one URL path segment (every byte but ASCII letters and digits),
/// as a client sends a tag or a name with spaces, emoji or '/'.
pub(crate) fn path_segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A user whose registration is `ok` (name, categories, location, profile photo): (id,
/// token).
pub(crate) async fn registered(server: &TestServer, name: &str, seed: u64) -> (String, String) {
    let (id, token) = sign_up(server).await;
    let patch = json!({
        "user_name": name,
        "post_category": "female",
        "view_category": "female",
        "location": {"lat": 34.05, "lon": -118.24},
    });
    let patched = call(server, "PATCH", "/v1/users/me", &token, Some(patch)).await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let profile = json!({
        "content_type": "image/jpeg",
        "enter_in_tournament": false,
        "set_as_profile_photo": true,
    });
    let jpeg = tourney_media::generate_demo_image(seed, 96, 72);
    upload_with(server, &token, profile, jpeg).await;
    drain(server).await;
    let me = call(server, "GET", "/v1/users/me", &token, None)
        .await
        .json();
    assert_eq!(me["registration"], "ok", "{me}");
    (id, token)
}

/// An HTTP/1.1 client for tests that send many requests to a server that may be killed and
/// restarted: it keeps one connection open (so thousands of requests do not use up the
/// loopback's ports), reconnects when the connection breaks or the server moves, and
/// returns failures instead of panicking so the caller can retry.
pub(crate) struct KeepAlive {
    connection: Option<(
        SocketAddr,
        hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    )>,
}

impl KeepAlive {
    /// No connection yet: the first request opens one.
    pub(crate) fn new() -> Self {
        Self { connection: None }
    }

    /// Sends a request to `address` with `token` as Bearer credentials (if any) and `body`
    /// as JSON (if any); an error (no connection, a connection lost before the whole
    /// answer, no answer within 60 s) describes what failed. The connection is dropped
    /// after any error.
    pub(crate) async fn request(
        &mut self,
        address: SocketAddr,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<TestResponse, String> {
        let sent = tokio::time::timeout(
            Duration::from_secs(60),
            self.try_request(address, method, path, token, body),
        )
        .await
        .unwrap_or_else(|_| Err("no answer within 60 s".to_owned()));
        if sent.is_err() {
            self.connection = None;
        }
        sent
    }

    async fn try_request(
        &mut self,
        address: SocketAddr,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<TestResponse, String> {
        let reusable = self
            .connection
            .as_ref()
            .is_some_and(|(connected, sender)| *connected == address && !sender.is_closed());
        if !reusable {
            let stream = tokio::net::TcpStream::connect(address)
                .await
                .map_err(|e| format!("connect to {address}: {e}"))?;
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| format!("http handshake: {e}"))?;
            tokio::spawn(connection);
            self.connection = Some((address, sender));
        }
        let Some((_, sender)) = self.connection.as_mut() else {
            return Err("no connection".to_owned());
        };
        sender
            .ready()
            .await
            .map_err(|e| format!("connection not ready: {e}"))?;
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", address.to_string());
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let bytes = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                serde_json::to_vec(body).map_err(|e| format!("json: {e}"))?
            }
            None => Vec::new(),
        };
        let request = request
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| format!("a request: {e}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("{method} {path}: the body: {e}"))?
            .to_bytes()
            .to_vec();
        Ok(TestResponse {
            status,
            headers,
            body,
        })
    }
}

/// The `OCEAN__` environment variables that give a `tourney-server` process started by a
/// test the storage of `settings`: the data directory and every port's backend, secrets
/// included (their serialized form is redacted). The `[app]` and identity sections stay at
/// the process's defaults (but for votes and requests taken as fast as a test sends them:
/// no least vote delay, no rate limits), and so does the embedded media backend's
/// `public_url` (a process serving on port 0 points it at the port it binds).
pub(crate) fn port_env(settings: &AppSettings) -> Vec<(String, String)> {
    let tree = serde_json::to_value(settings).expect("settings serialize");
    let mut env = Vec::new();
    for section in [
        "data_dir",
        "aws",
        "records",
        "media",
        "stream",
        "queue",
        "places",
        "search",
        "notifications",
    ] {
        let mut leaves = Vec::new();
        flatten_settings(section, &tree[section], &mut leaves);
        for (key, value) in leaves {
            let embedded_media =
                key == "media.public_url" && tree["media"]["backend"] == "embedded";
            if embedded_media {
                continue;
            }
            let value = if value == "[redacted]" {
                secret_setting(settings, &key)
            } else {
                value
            };
            let variable = format!("OCEAN__{}", key.replace('.', "__").to_ascii_uppercase());
            env.push((variable, value));
        }
    }
    let unlimited = [
        ("MIN_VOTE_DELAY_MS", "0"),
        ("RATE_LIMITS__ENABLED", "false"),
    ];
    env.extend(unlimited.map(|(key, value)| (format!("OCEAN__APP__{key}"), value.to_owned())));
    env
}

/// The scalar leaves under `value` as (dotted key, text); nulls are left out.
fn flatten_settings(key: &str, value: &Value, leaves: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Bool(flag) => leaves.push((key.to_owned(), flag.to_string())),
        Value::Number(number) => leaves.push((key.to_owned(), number.to_string())),
        Value::String(text) => leaves.push((key.to_owned(), text.clone())),
        Value::Object(fields) => {
            for (name, field) in fields {
                flatten_settings(&format!("{key}.{name}"), field, leaves);
            }
        }
        Value::Array(_) => panic!("setting {key} is a list, which port_env does not pass on"),
    }
}

/// The value of the secret setting at the dotted `key`.
fn secret_setting(settings: &AppSettings, key: &str) -> String {
    use ocean::settings::SearchBackend;
    let secret = match (key, &settings.places, &settings.search, &settings.media) {
        ("aws.secret_access_key", ..) => settings.aws.secret_access_key.as_ref(),
        ("places.url", PlacesBackend::Postgres { url }, ..) => Some(url),
        ("search.url", _, SearchBackend::Postgres { url }, _) => Some(url),
        ("media.signing_key", .., MediaBackend::Embedded { signing_key, .. }) => {
            signing_key.as_ref()
        }
        _ => None,
    };
    secret
        .unwrap_or_else(|| panic!("port_env does not know the secret setting {key}"))
        .expose()
        .to_owned()
}
