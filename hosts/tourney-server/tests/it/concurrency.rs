//! Concurrency: 64 registered clients at once, for a few seconds, voting, following and
//! unfollowing, flagging and renaming themselves from a small pool of names (so they
//! collide), while a worker scores in the background; pairs of clients race for one fresh
//! name, and a client sends the same follow or flag twice at once. Nothing answers 5xx,
//! and nothing is lost or doubled: every acknowledged vote is scored once (the replay of the
//! log equals the stored ratings; wins, losses and listed wins add up to the votes), each
//! name has one owner (its last acknowledged claimant) and a released name is free again,
//! follow lists and follower lists are exactly the acknowledged follows, once each, and
//! each flag is one row whose object counts them all.
//!
//! `CONCURRENCY_SECS` sets how long the clients run (default 3), `CONCURRENCY_SEED` their
//! RNG (default: the clock; printed).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tourney_core::UserId;
use tourney_core::service::{FlagTarget, RescoreMode};
use tourney_worker::Worker;

use crate::support::{
    TestResponse, TestServer, call, drain, ready_photos, sign_up, start_with_places, upload_with,
};

/// Clients running at once.
const N_CLIENTS: usize = 64;
/// Photos competing in the clients' matches (one owner each).
const N_PHOTOS: u64 = 24;
/// Names the clients rename themselves to (fewer than clients, so claims collide).
const N_POOL_NAMES: usize = 16;

/// A client: a registered user and what the server acknowledged to it.
#[derive(Debug)]
struct Client {
    id: String,
    token: String,
    /// The name of its last acknowledged claim.
    name: String,
    /// Whom it follows, by its last acknowledged follow or unfollow.
    following: BTreeSet<String>,
    /// What it flagged (`photo:ID` or `user:ID`) with an acknowledged flag.
    flagged: BTreeSet<String>,
    /// Its acknowledged votes: (winning photo, losing photo).
    votes: Vec<(String, String)>,
    /// Requests by kind.
    counts: BTreeMap<&'static str, u64>,
}

/// What every client may act on.
struct World {
    /// Every client's user id, by client number.
    client_ids: Vec<String>,
    /// The competing photos' ids.
    photos: Vec<String>,
    /// Every 5xx answer, as text.
    server_errors: Mutex<Vec<String>>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_clients_at_once_lose_nothing_double_nothing_and_get_no_5xx() {
    let seconds: u64 = std::env::var("CONCURRENCY_SECS")
        .ok()
        .map_or(3, |text| text.trim().parse().expect("CONCURRENCY_SECS"));
    let seed: u64 = std::env::var("CONCURRENCY_SEED").ok().map_or_else(
        || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_secs())
        },
        |text| text.trim().parse().expect("CONCURRENCY_SEED"),
    );
    let server = Arc::new(start_with_places().await);
    let photos = ready_photos(&server, N_PHOTOS, 6_000).await;
    let mut clients = register_clients(&server).await;
    let world = Arc::new(World {
        client_ids: clients.iter().map(|client| client.id.clone()).collect(),
        photos: photos.iter().map(|photo| photo.id.clone()).collect(),
        server_errors: Mutex::new(Vec::new()),
    });

    // Pairs of clients claim one fresh name at the same moment: one gets it.
    let duels = clients.chunks_mut(2).enumerate().map(|(n, pair)| {
        let server = Arc::clone(&server);
        async move {
            let name = format!("Duel {n}");
            let [first, second] = pair else {
                panic!("clients come in pairs")
            };
            let body = || Some(json!({ "user_name": name }));
            let (a, b) = tokio::join!(
                call(&server, "PATCH", "/v1/users/me", &first.token, body()),
                call(&server, "PATCH", "/v1/users/me", &second.token, body()),
            );
            let mut statuses = [a.status, b.status];
            statuses.sort_unstable();
            assert_eq!(statuses, [200, 409], "{name}: {} / {}", a.text(), b.text());
            let (winner, loser) = if a.status == 200 {
                (first, &b)
            } else {
                (second, &a)
            };
            loser.assert_error(409, "name_taken");
            winner.name = name;
        }
    });
    join_all(duels).await;

    // Everything at once for a few seconds, a worker scoring meanwhile.
    let worker = Worker::new(server.game.clone(), Duration::from_millis(5));
    let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
    let worker_task = tokio::spawn(async move {
        worker
            .run(async {
                let _ = worker_stopped.await;
            })
            .await;
    });
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(n, client)| {
            let server = Arc::clone(&server);
            let world = Arc::clone(&world);
            let rng = StdRng::seed_from_u64(seed.wrapping_mul(31).wrapping_add(n as u64));
            tokio::spawn(act(server, world, client, rng, deadline))
        })
        .collect();
    let mut clients = Vec::with_capacity(N_CLIENTS);
    for task in tasks {
        clients.push(task.await.expect("a client"));
    }
    let _ = stop_worker.send(());
    worker_task.await.expect("the worker stops");
    let server_errors = world.server_errors.lock().await.clone();
    assert!(
        server_errors.is_empty(),
        "{} answers were 5xx, such as {:?}",
        server_errors.len(),
        server_errors.first()
    );

    check_names(&server, &clients).await;
    check_follows(&server, &clients).await;
    check_flags(&server, &world, &clients).await;
    check_votes(&server, &photos, &clients).await;

    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for client in &clients {
        for (kind, n) in &client.counts {
            *counts.entry(kind).or_default() += n;
        }
    }
    report(&format!(
        "concurrency: seed {seed}, {N_CLIENTS} clients for {seconds} s: {counts:?}, 0 server \
         errors, nothing lost or doubled"
    ));
    if let Ok(server) = Arc::try_unwrap(server) {
        server.stop().await;
    }
}

/// Signs up [`N_CLIENTS`] users at once and completes their registrations (name `Cnn`,
/// categories, location, a profile photo), then processes the photos.
async fn register_clients(server: &Arc<TestServer>) -> Vec<Client> {
    let clients = join_all((0..N_CLIENTS).map(|n| {
        let server = Arc::clone(server);
        async move {
            let (id, token) = sign_up(&server).await;
            let name = format!("C{n:02}");
            let patch = json!({
                "user_name": name,
                "post_category": "female",
                "view_category": "female",
                "location": {"lat": 34.05, "lon": -118.24},
            });
            let patched = call(&server, "PATCH", "/v1/users/me", &token, Some(patch)).await;
            assert_eq!(patched.status, 200, "{}", patched.text());
            let profile = json!({
                "content_type": "image/jpeg",
                "enter_in_tournament": false,
                "set_as_profile_photo": true,
            });
            let jpeg = tourney_media::generate_demo_image(7_000 + n as u64, 96, 72);
            upload_with(&server, &token, profile, jpeg).await;
            Client {
                id,
                token,
                name,
                following: BTreeSet::new(),
                flagged: BTreeSet::new(),
                votes: Vec::new(),
                counts: BTreeMap::new(),
            }
        }
    }))
    .await;
    // Uploads of a drain's step can still be in another step's hands: drain until all show.
    for client in &clients {
        for _ in 0..20 {
            let me = call(server, "GET", "/v1/users/me", &client.token, None)
                .await
                .json();
            if me["registration"] == "ok" {
                break;
            }
            drain(server).await;
        }
        let me = call(server, "GET", "/v1/users/me", &client.token, None)
            .await
            .json();
        assert_eq!(me["registration"], "ok", "{me}");
    }
    clients
}

/// What one request of `client` got; a 5xx is recorded (and fails the test later).
async fn send(
    server: &TestServer,
    world: &World,
    client: &mut Client,
    kind: &'static str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> TestResponse {
    *client.counts.entry(kind).or_default() += 1;
    let response = call(server, method, path, &client.token, body).await;
    if response.status >= 500 {
        world.server_errors.lock().await.push(format!(
            "{method} {path}: {} {}",
            response.status,
            response.text()
        ));
    }
    response
}

/// One client's random actions until `deadline`.
async fn act(
    server: Arc<TestServer>,
    world: Arc<World>,
    mut client: Client,
    mut rng: StdRng,
    deadline: Instant,
) -> Client {
    while Instant::now() < deadline {
        match rng.random_range(0..100) {
            0..40 => vote(&server, &world, &mut client, &mut rng).await,
            40..65 => follow(&server, &world, &mut client, &mut rng).await,
            65..80 => flag(&server, &world, &mut client, &mut rng).await,
            _ => rename(&server, &world, &mut client, &mut rng).await,
        }
    }
    client
}

/// Asks for matches and votes on each (a random winner).
async fn vote(server: &TestServer, world: &World, client: &mut Client, rng: &mut StdRng) {
    let path = "/v1/users/me/matches";
    let proposed = send(server, world, client, "matches", "GET", path, None).await;
    if proposed.status == 404 {
        proposed.assert_error(404, "no_unique_matches");
        return;
    }
    if proposed.status >= 500 {
        return;
    }
    assert_eq!(proposed.status, 200, "{}", proposed.text());
    for proposal in proposed.json()["matches"].as_array().expect("matches") {
        let id = proposal["match_id"].as_str().expect("match id");
        let a = proposal["photo_a"]["id"].as_str().expect("a").to_owned();
        let b = proposal["photo_b"]["id"].as_str().expect("b").to_owned();
        let (winner, game) = if rng.random::<bool>() {
            ("a", (a, b))
        } else {
            ("b", (b, a))
        };
        let path = format!("/v1/users/me/matches/{id}");
        let body = Some(json!({ "winner": winner }));
        let voted = send(server, world, client, "votes", "PUT", &path, body).await;
        match voted.status {
            200 => client.votes.push(game),
            status if status >= 500 => {}
            _ => panic!("{path}: {}", voted.text()),
        }
    }
}

/// Follows or unfollows another client; now and then the same follow twice at once.
async fn follow(server: &TestServer, world: &World, client: &mut Client, rng: &mut StdRng) {
    let other = &world.client_ids[rng.random_range(0..world.client_ids.len())];
    if *other == client.id {
        return;
    }
    let path = "/v1/users/me/following";
    let body = || Some(json!({ "user_id": other }));
    let following = match rng.random_range(0..10) {
        0..2 => {
            let (first, second) = tokio::join!(
                call(server, "POST", path, &client.token, body()),
                call(server, "POST", path, &client.token, body()),
            );
            *client.counts.entry("follows").or_default() += 2;
            for response in [&first, &second] {
                assert_eq!(response.status, 200, "twice at once: {}", response.text());
            }
            true
        }
        2..6 => {
            let response = send(server, world, client, "unfollows", "DELETE", path, body()).await;
            assert_eq!(response.status, 200, "{}", response.text());
            false
        }
        _ => {
            let response = send(server, world, client, "follows", "POST", path, body()).await;
            assert_eq!(response.status, 200, "{}", response.text());
            true
        }
    };
    if following {
        client.following.insert(other.clone());
    } else {
        client.following.remove(other);
    }
}

/// Flags a competing photo or another client (a flag already made must be refused); now
/// and then the same flag twice at once (one is taken, the other refused).
async fn flag(server: &TestServer, world: &World, client: &mut Client, rng: &mut StdRng) {
    let (kind, object) = if rng.random::<bool>() {
        (
            "photo",
            &world.photos[rng.random_range(0..world.photos.len())],
        )
    } else {
        let other = &world.client_ids[rng.random_range(0..world.client_ids.len())];
        if *other == client.id {
            return;
        }
        ("user", other)
    };
    let path = format!("/v1/{kind}s/{object}/flags");
    let key = format!("{kind}:{object}");
    let already = client.flagged.contains(&key);
    let body = || Some(json!({ "reason": "spam" }));
    let responses = if rng.random_range(0..10) < 3 {
        let (first, second) = tokio::join!(
            call(server, "POST", &path, &client.token, body()),
            call(server, "POST", &path, &client.token, body()),
        );
        *client.counts.entry("flags").or_default() += 2;
        vec![first, second]
    } else {
        vec![send(server, world, client, "flags", "POST", &path, body()).await]
    };
    let taken = responses.iter().filter(|r| r.status == 200).count();
    for response in &responses {
        if response.status != 200 {
            response.assert_error(409, "already_flagged");
        }
    }
    let expected = usize::from(!already);
    assert_eq!(taken, expected, "{key}: flagged before: {already}");
    client.flagged.insert(key);
}

/// Claims a name from the small shared pool (others may hold it).
async fn rename(server: &TestServer, world: &World, client: &mut Client, rng: &mut StdRng) {
    let name = format!("Pool {}", rng.random_range(0..N_POOL_NAMES));
    let body = Some(json!({ "user_name": name }));
    let renamed = send(
        server,
        world,
        client,
        "renames",
        "PATCH",
        "/v1/users/me",
        body,
    )
    .await;
    match renamed.status {
        200 => {
            assert_eq!(renamed.json()["user_name"], name.as_str());
            client.name = name;
        }
        409 => {
            renamed.assert_error(409, "name_taken");
        }
        _ => panic!("rename to {name}: {}", renamed.text()),
    }
}

/// Every acknowledged vote scored once: each left one win (and one loss) on the photos and
/// one listed win, and the replay of the log equals the stored ratings and counts them all.
async fn check_votes(
    server: &TestServer,
    photos: &[crate::support::ReadyPhoto],
    clients: &[Client],
) {
    drain(server).await;
    let acknowledged: Vec<&(String, String)> =
        clients.iter().flat_map(|client| &client.votes).collect();
    let n_votes = acknowledged.len() as u64;
    assert!(n_votes > 0, "the clients voted");
    let mut listed: HashMap<(String, String), u64> = HashMap::new();
    let (mut wins, mut losses) = (0, 0);
    for photo in photos {
        let view = call(
            server,
            "GET",
            &format!("/v1/photos/{}", photo.id),
            &photo.owner_token,
            None,
        )
        .await
        .json();
        wins += view["wins"].as_u64().expect("wins");
        losses += view["losses"].as_u64().expect("losses");
        let mut cursor = String::new();
        loop {
            let path = format!("/v1/users/me/wins?count=200{cursor}");
            let page = call(server, "GET", &path, &photo.owner_token, None)
                .await
                .json();
            for win in page["items"].as_array().expect("items") {
                let game = (
                    win["photo_id"].as_str().expect("photo").to_owned(),
                    win["opponent_id"].as_str().expect("opponent").to_owned(),
                );
                *listed.entry(game).or_default() += 1;
            }
            match page["next_cursor"].as_str() {
                Some(next) => {
                    cursor = format!("&cursor={}", crate::support::path_segment(next));
                }
                None => break,
            }
        }
    }
    assert_eq!(
        (wins, losses),
        (n_votes, n_votes),
        "a win and a loss per vote"
    );
    let mut expected: HashMap<(String, String), u64> = HashMap::new();
    for game in acknowledged {
        *expected.entry(game.clone()).or_default() += 1;
    }
    assert_eq!(listed, expected, "one listed win per acknowledged vote");
    let replay = server
        .game
        .rescore(RescoreMode::Check, |_| {})
        .await
        .expect("replay the vote log");
    assert!(replay.differing.is_empty(), "{:?}", replay.differing);
    assert_eq!(
        (replay.n_votes as u64, replay.n_skipped),
        (n_votes, 0),
        "each acknowledged vote is in the log once"
    );
}

/// Each client holds the name of its last acknowledged claim, found under that name;
/// names are distinct; every other name used is free again.
async fn check_names(server: &TestServer, clients: &[Client]) {
    let mut held = BTreeSet::new();
    for client in clients {
        let me = call(server, "GET", "/v1/users/me", &client.token, None)
            .await
            .json();
        assert_eq!(me["user_name"], client.name.as_str(), "{me}");
        assert!(
            held.insert(client.name.to_lowercase()),
            "{} has two owners",
            client.name
        );
        let path = format!(
            "/v1/users_by_name/{}",
            crate::support::path_segment(&client.name)
        );
        let owner = call(server, "GET", &path, &client.token, None).await;
        assert_eq!(owner.status, 200, "{path}: {}", owner.text());
        assert_eq!(owner.json()["id"], client.id.as_str(), "{path}");
    }
    let used = (0..N_POOL_NAMES)
        .map(|n| format!("Pool {n}"))
        .chain((0..N_CLIENTS).map(|n| format!("C{n:02}")))
        .chain((0..N_CLIENTS / 2).map(|n| format!("Duel {n}")));
    for name in used.filter(|name| !held.contains(&name.to_lowercase())) {
        let path = format!("/v1/user_names/{}", crate::support::path_segment(&name));
        server.get(&path).await.assert_error(404, "name_free");
    }
}

/// Every follow and follower list is exactly the acknowledged follows, once each.
async fn check_follows(server: &TestServer, clients: &[Client]) {
    let mut followers: HashMap<&str, BTreeSet<String>> = HashMap::new();
    for client in clients {
        for followee in &client.following {
            followers
                .entry(followee.as_str())
                .or_default()
                .insert(client.id.clone());
        }
    }
    for client in clients {
        let following = listed_ids(server, "/v1/users/me/following", &client.token).await;
        assert_eq!(
            following.len(),
            client.following.len(),
            "no duplicate follow"
        );
        assert_eq!(
            following.into_iter().collect::<BTreeSet<_>>(),
            client.following,
            "{}'s follows",
            client.name
        );
        let listed = listed_ids(server, "/v1/users/me/followers", &client.token).await;
        let expected = followers.remove(client.id.as_str()).unwrap_or_default();
        assert_eq!(
            listed.len(),
            expected.len(),
            "follower count of {}",
            client.name
        );
        assert_eq!(
            listed.into_iter().collect::<BTreeSet<_>>(),
            expected,
            "{}'s followers",
            client.name
        );
    }
}

/// The ids of every page of a user list.
async fn listed_ids(server: &TestServer, path: &str, token: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = call(
            server,
            "GET",
            &format!("{path}?count=200{cursor}"),
            token,
            None,
        )
        .await;
        assert_eq!(page.status, 200, "{path}: {}", page.text());
        let page = page.json();
        for user in page["items"].as_array().expect("items") {
            ids.push(user["id"].as_str().expect("id").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={}", crate::support::path_segment(next)),
            None => return ids,
        }
    }
}

/// Each acknowledged flag is one row, no other row exists, and each flagged object counts
/// its flags exactly (the moderation queue's totals).
async fn check_flags(server: &TestServer, world: &World, clients: &[Client]) {
    let mut rng = StdRng::seed_from_u64(1);
    let (admin, _) = server
        .game
        .create_admin("Concurrency Boss", tourney_worker::now(), &mut rng)
        .await
        .expect("an admin");
    let mut expected: HashMap<String, BTreeSet<UserId>> = HashMap::new();
    for client in clients {
        for key in &client.flagged {
            expected
                .entry(key.clone())
                .or_default()
                .insert(UserId::parse(&client.id).expect("a user id"));
        }
    }
    let now = tourney_worker::now();
    let mut queued: HashMap<String, u32> = HashMap::new();
    let mut cursor = None;
    loop {
        let (entries, next) = server
            .game
            .moderation_queue(admin, 100, cursor)
            .await
            .expect("the moderation queue");
        for entry in entries {
            assert_eq!(entry.open_flags, entry.total_flags, "none resolved");
            queued.insert(entry.target.kind_id(), entry.total_flags);
        }
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let targets = world
        .photos
        .iter()
        .map(|id| format!("photo:{id}"))
        .chain(world.client_ids.iter().map(|id| format!("user:{id}")));
    for key in targets {
        let (kind, object) = key.split_once(':').expect("kind:id");
        let flags = match FlagTarget::parse(kind, object).expect("a target") {
            FlagTarget::Photo(photo) => {
                server
                    .game
                    .moderated_photo(admin, photo, now)
                    .await
                    .expect("a moderated photo")
                    .flags
            }
            FlagTarget::User(user) => {
                server
                    .game
                    .moderated_user(admin, user, now)
                    .await
                    .expect("a moderated user")
                    .flags
            }
            FlagTarget::Comment(_) => unreachable!("no comment is flagged"),
        };
        let flaggers: Vec<UserId> = flags.iter().map(|flag| flag.flagger).collect();
        let distinct: BTreeSet<UserId> = flaggers.iter().copied().collect();
        assert_eq!(
            flaggers.len(),
            distinct.len(),
            "one row per flagger on {key}"
        );
        let acknowledged = expected.remove(&key).unwrap_or_default();
        assert_eq!(distinct, acknowledged, "the flags on {key}");
        let counted = queued.get(&key).copied().unwrap_or(0);
        assert_eq!(
            counted as usize,
            flaggers.len(),
            "the count of flags on {key}"
        );
    }
}

/// Writes the run's figures to the test's output (shown with `--nocapture`).
#[allow(clippy::print_stderr)] // The figures are the run's report.
fn report(text: &str) {
    eprintln!("{text}");
}
