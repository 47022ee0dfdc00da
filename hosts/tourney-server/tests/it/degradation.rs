//! Degradation: with a backend down the server keeps answering what does not need it.
//!
//! - The location (places) and search databases: unreachable from the start (PostgreSQL at
//!   an address nothing listens on; the server starts anyway), failing mid-run (the fault
//!   wrapper), and coming back without a restart (a switchable proxy in front of the real
//!   PostgreSQL). `/v1/test` answers 503 naming what is down, `/health` stays 200, the
//!   routes that need the failing port answer a JSON 503 naming it, the others answer
//!   normally. Users without a location of their own are placed in the default place,
//!   which the server keeps once it has read it: they get matches and enter photos during
//!   a mid-run outage, not while the database has been down since start.
//! - The stream: a vote it cannot take is a 503 and is not counted; the retry after the
//!   stream is back counts once, also when the first append took effect but its answer was
//!   lost.
//! - The records store: every route that reads it answers a JSON 503, and `/v1/test` names
//!   records.
//!
//! Every request to a degraded server is bounded (a hang fails the test rather than
//! stalling the run).

use std::io::Write as _;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ocean::settings::{PlacesBackend, SearchBackend, Secret};
use ocean_conformance::faulty::{FaultMode, FaultPlan, Faulty, PortName};
use serde_json::{Value, json};
use tourney_server::AppState;
use tourney_wiring::Ports;

use crate::support::{
    TestResponse, TestServer, add_test_places, call, drain, path_segment, photo_json, ready_photos,
    registered, sign_up,
};

/// PostgreSQL at an address nothing listens on: connections are refused at once.
const UNREACHABLE_POSTGRES: &str = "postgres://postgres@127.0.0.1:1/test";

/// The place every test user without a location belongs to (the default place), and where
/// the judges put themselves.
const LOS_ANGELES: &str = "5368361";

/// Every port `/v1/test` reports.
const PORTS: [&str; 7] = [
    "records",
    "media",
    "stream",
    "queue",
    "places",
    "search",
    "notifications",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_location_and_search_database_unreachable_at_start_is_reported_and_the_rest_answers() {
    let server = TestServer::start_with(
        |settings| {
            settings.places = PlacesBackend::Postgres {
                url: Secret::new(UNREACHABLE_POSTGRES),
            };
            settings.search = SearchBackend::Postgres {
                url: Secret::new(UNREACHABLE_POSTGRES),
            };
        },
        |state| state,
    )
    .await;
    assert_eq!(bounded(server.get("/health")).await.status, 200);
    assert_ports_down(&server, &["places", "search"]).await;

    // What needs neither database answers.
    let (id, token) = sign_up(&server).await;
    let me = bounded(call(&server, "GET", "/v1/users/me", &token, None)).await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["id"], id.as_str());
    let board = bounded(call(
        &server,
        "GET",
        "/v1/leaderboards/female/all",
        &token,
        None,
    ))
    .await;
    assert_eq!(board.status, 200, "{}", board.text());
    let trending = bounded(call(
        &server,
        "GET",
        "/v1/tags/trending/female",
        &token,
        None,
    ))
    .await;
    assert_eq!(trending.status, 200, "{}", trending.text());

    // What needs one answers a JSON 503 naming it.
    let located = set_location(&server, &token).await;
    assert_unavailable(&located, "places");
    let searched = search_tags(&server, &token, "beach").await;
    assert_unavailable(&searched, "search");
    // A judge without a location judges in the default place, which is looked up in the
    // places database the first time it is needed: down since start, it never was, so
    // proposing matches needs the database too.
    let proposed = bounded(call(&server, "GET", "/v1/users/me/matches", &token, None)).await;
    assert_unavailable(&proposed, "places");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_location_and_search_database_that_comes_back_serves_again_without_a_restart() {
    let test = "degradation: a PostgreSQL that comes back";
    let Some(admin_url) =
        ocean_conformance::servers::server(&ocean_conformance::servers::POSTGRES, test)
    else {
        return;
    };
    if !postgis_available(&admin_url).await {
        ocean_conformance::servers::lacking::<()>(
            test,
            &ocean_conformance::servers::postgis_missing(&admin_url),
        );
        return;
    }
    let database = TestDatabase::create(&admin_url).await;
    let proxy = SwitchableProxy::start(database.server);
    let url = database.url_through(proxy.address);
    let server = TestServer::start_with(
        |settings| {
            settings.places = PlacesBackend::Postgres {
                url: Secret::new(url.clone()),
            };
            settings.search = SearchBackend::Postgres {
                url: Secret::new(url.clone()),
            };
        },
        |state| state,
    )
    .await;
    assert_ports_down(&server, &["places", "search"]).await;
    let (_, token) = sign_up(&server).await;
    assert_unavailable(&set_location(&server, &token).await, "places");
    assert_unavailable(&search_tags(&server, &token, "beach").await, "search");

    proxy.set_up(true);
    let health = bounded(server.get("/v1/test")).await;
    assert_eq!(health.status, 200, "{}", health.text());
    // The first calls that reach the database created its tables; now it can be filled.
    add_test_places(&server).await;
    let located = set_location(&server, &token).await;
    assert_eq!(located.status, 200, "{}", located.text());
    assert_eq!(located.json()["place"]["id"], LOS_ANGELES);
    let searched = search_tags(&server, &token, "beach").await;
    assert_eq!(searched.status, 200, "{}", searched.text());
    assert_eq!(searched.json()["items"], json!([]));
    server.stop().await;
    database.drop_it().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_location_and_search_outage_mid_run_leaves_the_rest_answering() {
    let outage = FaultPlan::never();
    let server = TestServer::start_with(no_vote_delay, {
        let outage = Arc::clone(&outage);
        move |state| {
            with_ports(&state, |ports| {
                ports.places = faulty(&ports.places, &outage);
                ports.search = faulty(&ports.search, &outage);
            })
        }
    })
    .await;
    add_test_places(&server).await;
    let photos = ready_photos(&server, 3, 9100).await;
    let tagged = bounded(call(
        &server,
        "PUT",
        &format!("/v1/tags/beach/{}", photos[0].id),
        &photos[0].owner_token,
        None,
    ))
    .await;
    assert_eq!(tagged.status, 200, "{}", tagged.text());
    let (_, judge) = registered(&server, "Dora", 9110).await;

    outage.fail_after_more(0);
    assert_eq!(bounded(server.get("/health")).await.status, 200);
    assert_ports_down(&server, &["places", "search"]).await;

    // Signing up, judging, scoring, boards, photo pages and comments need neither.
    let (_, newcomer) = sign_up(&server).await;
    let match_id = first_match(&server, &judge).await;
    let voted = vote(&server, &judge, &match_id).await;
    assert_eq!(voted.status, 200, "{}", voted.text());
    assert_eq!(drain(&server).await, 1, "the vote is scored");
    for board in [
        "/v1/leaderboards/female/all".to_owned(),
        format!("/v1/leaderboards/female/{LOS_ANGELES}"),
    ] {
        let answer = bounded(call(&server, "GET", &board, &judge, None)).await;
        assert_eq!(answer.status, 200, "{board}: {}", answer.text());
        assert_eq!(
            answer.json()["items"].as_array().map(Vec::len),
            Some(3),
            "{board}"
        );
    }
    let view = photo_json(&server, &judge, &photos[0].id).await;
    assert_eq!(view["state"], "ready", "{view}");
    let page = bounded(server.get(&format!("/{}", photos[0].id))).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let comments = format!("/v1/photos/{}/comments", photos[0].id);
    let commented = bounded(call(
        &server,
        "POST",
        &comments,
        &judge,
        Some(json!({"text": "still here"})),
    ))
    .await;
    assert_eq!(commented.status, 201, "{}", commented.text());
    let listed = bounded(call(&server, "GET", &comments, &judge, None)).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(listed.json()["items"][0]["text"], "still here");

    // The newcomer has no location: they judge and post in the default place, which the
    // server read before the outage (when the photographers, who have no location either,
    // entered their photos in `ready_photos`) and kept, so the places database is not asked.
    let proposed = bounded(call(
        &server,
        "GET",
        "/v1/users/me/matches",
        &newcomer,
        None,
    ))
    .await;
    assert_eq!(proposed.status, 200, "{}", proposed.text());
    let matches = proposed.json()["matches"].as_array().map_or(0, Vec::len);
    assert_eq!(matches, 3, "every pair of the default place's 3 photos");
    let entered = bounded(call(
        &server,
        "POST",
        "/v1/photos",
        &newcomer,
        Some(json!({"content_type": "image/jpeg"})),
    ))
    .await;
    assert_eq!(entered.status, 202, "{}", entered.text());

    // Locating someone and searching tags need them: a JSON 503 naming the port, and
    // nothing half done.
    assert_unavailable(&set_location(&server, &newcomer).await, "places");
    assert_unavailable(&search_tags(&server, &judge, "beach").await, "search");

    outage.heal();
    let health = bounded(server.get("/v1/test")).await;
    assert_eq!(health.status, 200, "{}", health.text());
    let located = set_location(&server, &newcomer).await;
    assert_eq!(located.status, 200, "{}", located.text());
    let entered = bounded(call(
        &server,
        "POST",
        "/v1/photos",
        &newcomer,
        Some(json!({"content_type": "image/jpeg"})),
    ))
    .await;
    assert_eq!(entered.status, 202, "{}", entered.text());
    let searched = search_tags(&server, &judge, "beach").await;
    assert_eq!(searched.status, 200, "{}", searched.text());
    assert_eq!(
        searched.json()["items"][0]["tag"],
        "beach",
        "{}",
        searched.text()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_while_the_stream_is_down_is_refused_and_its_retry_counts_once() {
    let stream_down = FaultPlan::never();
    let server = TestServer::start_with(no_vote_delay, {
        let stream_down = Arc::clone(&stream_down);
        move |state| {
            with_ports(&state, |ports| {
                ports.stream = faulty(&ports.stream, &stream_down);
            })
        }
    })
    .await;
    add_test_places(&server).await;
    let photos = ready_photos(&server, 2, 9200).await;
    let (_, judge) = sign_up(&server).await;
    let match_id = first_match(&server, &judge).await;

    stream_down.fail_after_more(0);
    for _attempt in 0..2 {
        let refused = vote(&server, &judge, &match_id).await;
        let body = assert_unavailable(&refused, "stream");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("retry")),
            "{body}"
        );
    }
    stream_down.heal();
    assert_eq!(drain(&server).await, 0, "a refused vote is not counted");
    assert_eq!(games(&server, &judge, &photos).await, [0, 0]);

    let accepted = vote(&server, &judge, &match_id).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    vote(&server, &judge, &match_id)
        .await
        .assert_error(409, "already_judged");
    assert_eq!(drain(&server).await, 1);
    assert_counted_once(&server, &judge, &photos).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_whose_stream_answer_was_lost_counts_once_after_its_retry() {
    let lost_answer = FaultPlan::fail_after(u64::MAX, FaultMode::ApplyThenFail);
    let server = TestServer::start_with(no_vote_delay, {
        let lost_answer = Arc::clone(&lost_answer);
        move |state| {
            with_ports(&state, |ports| {
                ports.stream = faulty(&ports.stream, &lost_answer);
            })
        }
    })
    .await;
    add_test_places(&server).await;
    let photos = ready_photos(&server, 2, 9300).await;
    let (_, judge) = sign_up(&server).await;
    let match_id = first_match(&server, &judge).await;

    // The append takes effect, then its answer is lost: the judge is told to retry.
    lost_answer.fail_after_more(0);
    assert_unavailable(&vote(&server, &judge, &match_id).await, "stream");
    lost_answer.heal();
    let retried = vote(&server, &judge, &match_id).await;
    assert_eq!(retried.status, 200, "{}", retried.text());
    // The stream holds the vote twice, under one vote id.
    drain(&server).await;
    assert_counted_once(&server, &judge, &photos).await;
    assert_eq!(drain(&server).await, 0, "nothing left to score");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_records_outage_answers_503_and_v1_test_names_records() {
    let records_down = FaultPlan::never();
    let server = TestServer::start_with(|_| {}, {
        let records_down = Arc::clone(&records_down);
        move |state| {
            with_ports(&state, |ports| {
                ports.records = faulty(&ports.records, &records_down);
            })
        }
    })
    .await;
    let (_, token) = sign_up(&server).await;

    records_down.fail_after_more(0);
    assert_eq!(bounded(server.get("/health")).await.status, 200);
    assert_ports_down(&server, &["records"]).await;
    let me = bounded(call(&server, "GET", "/v1/users/me", &token, None)).await;
    assert_unavailable(&me, "records");
    let created = bounded(server.request("POST", "/v1/users", &[], Vec::new())).await;
    assert_unavailable(&created, "records");
    let board = bounded(call(
        &server,
        "GET",
        "/v1/leaderboards/female/all",
        &token,
        None,
    ))
    .await;
    assert_unavailable(&board, "records");

    records_down.heal();
    let me = bounded(call(&server, "GET", "/v1/users/me", &token, None)).await;
    assert_eq!(me.status, 200, "{}", me.text());
    let health = bounded(server.get("/v1/test")).await;
    assert_eq!(health.status, 200, "{}", health.text());
    server.stop().await;
}

/// Votes count as soon as they come (the product holds votes faster than a person looks).
fn no_vote_delay(settings: &mut tourney_wiring::AppSettings) {
    settings.app.min_vote_delay_ms = 0;
}

/// `state` rebuilt over its ports as `change` leaves them (the game and the upload
/// listener use the new ones too).
fn with_ports(state: &AppState, change: impl FnOnce(&mut Ports)) -> AppState {
    let mut ports = state.ports.clone();
    change(&mut ports);
    AppState::new(ports, Arc::clone(&state.settings)).expect("the state")
}

/// `port` failing as `plan` says.
fn faulty<P>(port: &Arc<P>, plan: &Arc<FaultPlan>) -> Arc<Faulty<P>>
where
    P: ?Sized + PortName,
{
    Arc::new(Faulty::new(Arc::clone(port), Arc::clone(plan)))
}

/// The answer to `request`, which must come within a minute (a hang fails the test).
async fn bounded(request: impl Future<Output = TestResponse>) -> TestResponse {
    tokio::time::timeout(Duration::from_secs(60), request)
        .await
        .expect("an answer within a minute, not a hang")
}

/// Asserts `/v1/test` is a 503 whose body says `down` for exactly the ports in `down` and
/// `ok` for the others, and that the single-port checks agree.
async fn assert_ports_down(server: &TestServer, down: &[&str]) {
    let health = bounded(server.get("/v1/test")).await;
    assert_eq!(health.status, 503, "{}", health.text());
    let body = health.json();
    for port in PORTS {
        let expected = if down.contains(&port) { "down" } else { "ok" };
        assert_eq!(body[port], expected, "{port} in {body}");
    }
    for (path, port) in [
        ("/v1/test_location_db", "places"),
        ("/v1/test_search_db", "search"),
    ] {
        let single = bounded(server.get(path)).await;
        let state = if down.contains(&port) { "down" } else { "ok" };
        let status = if down.contains(&port) { 503 } else { 200 };
        assert_eq!(single.status, status, "{path}: {}", single.text());
        assert_eq!(single.json(), json!({"port": port, "state": state}));
    }
}

/// Asserts a JSON 503 `unavailable` whose message names `port` and asks for a retry, with
/// a `Retry-After`; returns the body.
fn assert_unavailable(response: &TestResponse, port: &str) -> Value {
    let body = response.assert_error(503, "unavailable");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(port), "the message names {port}: {body}");
    assert!(message.contains("retry"), "{body}");
    assert!(
        response.header("retry-after").parse::<u32>().is_ok(),
        "a Retry-After in seconds: {:?}",
        response.headers
    );
    body
}

/// `PATCH /v1/users/me` putting the user in Los Angeles.
async fn set_location(server: &TestServer, token: &str) -> TestResponse {
    let patch = json!({"location": {"lat": 34.05, "lon": -118.24}});
    bounded(call(server, "PATCH", "/v1/users/me", token, Some(patch))).await
}

/// `GET /v1/tags/search/female/{term}`.
async fn search_tags(server: &TestServer, token: &str, term: &str) -> TestResponse {
    let path = format!("/v1/tags/search/female/{}", path_segment(term));
    bounded(call(server, "GET", &path, token, None)).await
}

/// The id of the first match proposed to `judge`.
async fn first_match(server: &TestServer, judge: &str) -> String {
    let proposed = bounded(call(server, "GET", "/v1/users/me/matches", judge, None)).await;
    assert_eq!(proposed.status, 200, "{}", proposed.text());
    let body = proposed.json();
    body["matches"][0]["match_id"]
        .as_str()
        .unwrap_or_else(|| panic!("a match in {body}"))
        .to_owned()
}

/// `judge` votes for photo `a` of `match_id`.
async fn vote(server: &TestServer, judge: &str, match_id: &str) -> TestResponse {
    let path = format!("/v1/users/me/matches/{match_id}");
    bounded(call(
        server,
        "PUT",
        &path,
        judge,
        Some(json!({"winner": "a"})),
    ))
    .await
}

/// The games played by each photo of `photos`, in order.
async fn games(
    server: &TestServer,
    token: &str,
    photos: &[crate::support::ReadyPhoto],
) -> Vec<u64> {
    let mut games = Vec::with_capacity(photos.len());
    for photo in photos {
        let view = photo_json(server, token, &photo.id).await;
        games.push(view["games"].as_u64().expect("games"));
    }
    games
}

/// Asserts the two photos played one game, one won it, the other lost it, the winner's
/// owner has one win listed, and both ratings moved apart.
async fn assert_counted_once(
    server: &TestServer,
    token: &str,
    photos: &[crate::support::ReadyPhoto],
) {
    assert_eq!(games(server, token, photos).await, [1, 1]);
    let mut wins = 0;
    let mut losses = 0;
    let mut scores = Vec::new();
    for photo in photos {
        let view = photo_json(server, token, &photo.id).await;
        wins += view["wins"].as_u64().expect("wins");
        losses += view["losses"].as_u64().expect("losses");
        scores.push(view["score"].as_f64().expect("score"));
        let listed = bounded(call(
            server,
            "GET",
            "/v1/users/me/wins",
            &photo.owner_token,
            None,
        ))
        .await;
        assert_eq!(listed.status, 200, "{}", listed.text());
        let n_listed = listed.json()["items"].as_array().map_or(0, Vec::len);
        assert_eq!(
            u64::try_from(n_listed).ok(),
            view["wins"].as_u64(),
            "the owner's win list matches the photo: {view}"
        );
    }
    assert_eq!((wins, losses), (1, 1), "one vote, counted once");
    assert!(
        (scores[0] - scores[1]).abs() > 1.0,
        "the winner's rating rose above the loser's: {scores:?}"
    );
}

/// A database of this test's own on the PostgreSQL server, dropped at the end (or, if the
/// test dies, by the next aws_local run's clean-up: its name follows `api<pid>_...`).
struct TestDatabase {
    /// The admin connection's URL.
    admin_url: String,
    /// The server's address.
    server: SocketAddr,
    /// The user to connect as.
    user: String,
    /// The database's name.
    name: String,
}

impl TestDatabase {
    /// Creates the database on the server of `admin_url`.
    async fn create(admin_url: &str) -> Self {
        let config: tokio_postgres::Config = admin_url.parse().expect("a PostgreSQL URL");
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
            other => panic!("a TCP host in {admin_url}, not {other:?}"),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let server = tokio::net::lookup_host((host.as_str(), port))
            .await
            .expect("resolve the PostgreSQL host")
            .next()
            .expect("an address");
        let user = config.get_user().unwrap_or("postgres").to_owned();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() % 1_000_000_000_000);
        let name = format!("api{}_degrade_{nanos:x}", std::process::id());
        let database = Self {
            admin_url: admin_url.to_owned(),
            server,
            user,
            name,
        };
        // A database name cannot be a query parameter; this one is [a-z0-9_] only.
        database
            .admin(&format!("CREATE DATABASE {}", database.name))
            .await;
        database
    }

    /// Its URL when reached through `address`.
    fn url_through(&self, address: SocketAddr) -> String {
        format!("postgres://{}@{address}/{}", self.user, self.name)
    }

    /// Runs `sql` on the admin connection.
    async fn admin(&self, sql: &str) {
        let (client, connection) = tokio_postgres::connect(&self.admin_url, tokio_postgres::NoTls)
            .await
            .expect("connect to postgresql");
        tokio::spawn(connection);
        client.batch_execute(sql).await.expect(sql);
    }

    /// Drops the database, whoever is still connected.
    async fn drop_it(self) {
        self.admin(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .await;
    }
}

/// Whether the PostgreSQL server of `admin_url` can install PostGIS (the places adapter's
/// migration needs it).
async fn postgis_available(admin_url: &str) -> bool {
    let (client, connection) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
        .await
        .expect("connect to postgresql");
    tokio::spawn(connection);
    client
        .query_one(ocean_conformance::servers::POSTGIS_AVAILABLE_SQL, &[])
        .await
        .expect("ask for PostGIS")
        .get(0)
}

/// A TCP proxy in front of a server that can be switched off: while down it accepts each
/// connection and closes it at once (what a restarting database looks like to a client);
/// while up it forwards bytes both ways. Its threads live until the test process ends.
struct SwitchableProxy {
    /// Where clients connect.
    address: SocketAddr,
    /// Whether connections are forwarded.
    up: Arc<AtomicBool>,
}

impl SwitchableProxy {
    /// A proxy to `target`, down.
    fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let address = listener.local_addr().expect("the proxy's address");
        let up = Arc::new(AtomicBool::new(false));
        let forwarding = Arc::clone(&up);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if !forwarding.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(target) else {
                    continue;
                };
                pipe(&client, &server);
                pipe(&server, &client);
            }
        });
        Self { address, up }
    }

    /// Switches forwarding on or off (connections already forwarded stay open).
    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }
}

/// Copies what `from` receives to `to` on a thread of its own, until either side closes.
fn pipe(from: &TcpStream, to: &TcpStream) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.flush();
        let _ = to.shutdown(Shutdown::Write);
    });
}
