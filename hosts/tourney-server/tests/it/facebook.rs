//! Facebook over HTTP against a fake Graph API on a loopback port: linking (once per
//! Facebook account), the worker's profile sync (only unset fields; the Facebook picture
//! as a profile-only photo when there is none), `joined` activities for friends already
//! here, and logging in on a new device.

use ocean::places::Place;
use ocean::settings::IdentityBackend;
use ocean_conformance::fake_graph::FakeGraph;
use ocean_conformance::identity::KnownAccount;
use serde_json::{Value, json};
use tourney_core::service::{FACEBOOK_SYNC_QUEUE, FacebookSyncJob};

use crate::support::{TestServer, call, drain, photo_json, registered, sign_up};

/// A server using `graph` as Facebook, its places dataset holding the default place (Los
/// Angeles).
async fn start(graph: &FakeGraph) -> TestServer {
    let graph_url = graph.url().to_owned();
    let server = TestServer::start_with(
        move |settings| {
            settings.identity = IdentityBackend::Facebook {
                graph_url,
                api_version: "v19.0".to_owned(),
                timeout_secs: 5,
            };
        },
        |state| state,
    )
    .await;
    let los_angeles = Place {
        id: "5368361".to_owned(),
        name: "Los Angeles".to_owned(),
        region: "CA".to_owned(),
        country: "us".to_owned(),
        lat: 34.05223,
        lon: -118.24368,
        population: Some(1_000_000),
    };
    server
        .ports
        .places
        .load(vec![los_angeles])
        .await
        .expect("load places");
    server
}

/// A sample account whose picture is a generated JPEG (`seed`) served by `graph`: unlike
/// the samples' shared 1x1 picture, no other photo has its bytes.
fn account_with_picture(graph: &FakeGraph, first_name: &str, seed: u64) -> KnownAccount {
    let mut account = graph.sample_account(first_name, "Example");
    let jpeg = tourney_media::generate_demo_image(seed, 96, 72);
    let url = graph.put_picture(&format!("{}-{seed}.jpg", account.profile.id), jpeg);
    account.profile.picture_url = Some(url);
    graph.add_account(&account.token, account.profile.clone());
    account
}

/// `PUT /v1/users/me/facebook` for `token` with `facebook_token`, checked to be 200.
async fn link(server: &TestServer, token: &str, facebook_token: &str) {
    let body = Some(json!({"token": facebook_token}));
    let linked = call(server, "PUT", "/v1/users/me/facebook", token, body).await;
    assert_eq!(linked.status, 200, "{}", linked.text());
}

/// `GET path` as `token`, checked to be 200, as JSON.
async fn get_json(server: &TestServer, token: &str, path: &str) -> Value {
    let response = call(server, "GET", path, token, None).await;
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    response.json()
}

/// The ids of the caller's own photos, every state.
async fn own_photo_ids(server: &TestServer, token: &str) -> Vec<String> {
    let list = get_json(server, token, "/v1/users/me/photos?count=50").await;
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|photo| photo["id"].as_str().expect("id").to_owned())
        .collect()
}

/// The `joined` entries of the caller's activity.
async fn joined_activities(server: &TestServer, token: &str) -> Vec<Value> {
    let activity = get_json(server, token, "/v1/users/me/activity?count=50").await;
    activity["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|entry| entry["kind"] == "joined")
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linking_syncs_unset_names_and_claims_the_account_once() {
    let graph = FakeGraph::start().await.expect("fake graph");
    let server = start(&graph).await;
    let ann_account = graph.sample_account("Ann", "Lee");
    let bob_account = graph.sample_account("Bob", "Stone");
    let (_, ann) = sign_up(&server).await;
    let (_, bob) = sign_up(&server).await;
    let link = |token: &str| Some(json!({"token": token}));

    let linked = call(
        &server,
        "PUT",
        "/v1/users/me/facebook",
        &ann,
        link(&ann_account.token),
    )
    .await;
    assert_eq!(linked.status, 200, "{}", linked.text());
    let again = call(
        &server,
        "PUT",
        "/v1/users/me/facebook",
        &ann,
        link(&ann_account.token),
    )
    .await;
    assert_eq!(again.status, 200, "linking twice is fine");
    let taken = call(
        &server,
        "PUT",
        "/v1/users/me/facebook",
        &bob,
        link(&ann_account.token),
    )
    .await;
    taken.assert_error(409, "facebook_taken");
    let rejected = call(
        &server,
        "PUT",
        "/v1/users/me/facebook",
        &bob,
        link(&ann_account.invalid_token),
    )
    .await;
    assert_eq!(rejected.assert_error(400, "invalid")["field"], "token");
    assert!(
        !rejected.text().contains(&ann_account.invalid_token),
        "no token in errors"
    );

    // Bob chose a first name already: the sync fills only what is unset.
    let patched = call(
        &server,
        "PATCH",
        "/v1/users/me",
        &bob,
        Some(json!({"first_name": "Robert"})),
    )
    .await;
    assert_eq!(patched.status, 200);
    let linked = call(
        &server,
        "PUT",
        "/v1/users/me/facebook",
        &bob,
        link(&bob_account.token),
    )
    .await;
    assert_eq!(linked.status, 200, "{}", linked.text());

    drain(&server).await;
    let ann_view = call(&server, "GET", "/v1/users/me", &ann, None)
        .await
        .json();
    assert_eq!(
        (
            &ann_view["first_name"],
            &ann_view["last_name"],
            &ann_view["user_name"]
        ),
        (&json!("Ann"), &json!("Lee"), &json!("Ann Lee")),
        "{ann_view}"
    );
    let bob_view = call(&server, "GET", "/v1/users/me", &bob, None)
        .await
        .json();
    assert_eq!(
        (&bob_view["first_name"], &bob_view["last_name"]),
        (&json!("Robert"), &json!("Stone")),
        "{bob_view}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_account_logs_in_on_a_new_device() {
    let graph = FakeGraph::start().await.expect("fake graph");
    let server = start(&graph).await;
    let account = graph.sample_account("Cleo", "Park");
    let stranger = graph.sample_account("Dan", "Ray");
    let (ann_id, ann) = sign_up(&server).await;
    let linked = call(
        &server,
        "PUT",
        "/v1/users/me/facebook",
        &ann,
        Some(json!({"token": account.token})),
    )
    .await;
    assert_eq!(linked.status, 200, "{}", linked.text());
    let facebook_id = &account.profile.id;

    let login = server
        .get(&format!(
            "/v1/users_by_facebook/{facebook_id}?token={}",
            account.token
        ))
        .await;
    assert_eq!(login.status, 200, "{}", login.text());
    let body = login.json();
    assert_eq!(body["id"], ann_id.as_str());
    let device = body["token"].as_str().expect("token").to_owned();
    assert_ne!(device, ann);
    for token in [&device, &ann] {
        let me = call(&server, "GET", "/v1/users/me", token, None).await;
        assert_eq!(me.status, 200, "both devices stay logged in");
    }

    server
        .get(&format!(
            "/v1/users_by_facebook/{facebook_id}?token={}",
            stranger.token
        ))
        .await
        .assert_error(401, "unauthorized");
    server
        .get(&format!(
            "/v1/users_by_facebook/{facebook_id}?token={}",
            account.invalid_token
        ))
        .await
        .assert_error(401, "unauthorized");
    server
        .get(&format!(
            "/v1/users_by_facebook/{}?token={}",
            stranger.profile.id, stranger.token
        ))
        .await
        .assert_error(404, "not_found");
    let missing = server
        .get(&format!("/v1/users_by_facebook/{facebook_id}"))
        .await;
    assert_eq!(missing.assert_error(400, "invalid")["field"], "token");

    // Rotating the token logs every device out.
    let rotated = call(&server, "POST", "/v1/users/me/token", &ann, None).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    call(&server, "GET", "/v1/users/me", &device, None)
        .await
        .assert_error(401, "unauthorized");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_facebook_picture_becomes_a_profile_only_photo_once() {
    let graph = FakeGraph::start().await.expect("fake graph");
    let server = start(&graph).await;
    let account = account_with_picture(&graph, "Erin", 9101);
    let (user_id, token) = sign_up(&server).await;
    let patched = call(
        &server,
        "PATCH",
        "/v1/users/me",
        &token,
        Some(json!({"post_category": "female"})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.text());

    link(&server, &token, &account.token).await;
    // The same job delivered a second time (a retry after a lost acknowledgement).
    let retried = FacebookSyncJob {
        user_id: user_id.clone(),
        first_name: account.profile.first_name.clone(),
        last_name: account.profile.last_name.clone(),
        name: account.profile.name.clone(),
        picture_url: account.profile.picture_url.clone(),
        friend_ids: Vec::new(),
    };
    server
        .ports
        .queue
        .send(
            FACEBOOK_SYNC_QUEUE,
            serde_json::to_vec(&retried).expect("json"),
        )
        .await
        .expect("queue the retry");
    drain(&server).await;

    let me = get_json(&server, &token, "/v1/users/me").await;
    let profile_photo = me["profile_photo"]
        .as_str()
        .unwrap_or_else(|| panic!("{me}"));
    assert_eq!(own_photo_ids(&server, &token).await, [profile_photo]);
    let photo = photo_json(&server, &token, profile_photo).await;
    assert_eq!(photo["state"], "ready", "{photo}");
    assert_eq!(photo["category"], "female", "{photo}");
    for rendition in ["url_small", "url_medium", "url_large"] {
        let url = photo[rendition].as_str().expect(rendition);
        let image = server.get(url).await;
        assert_eq!(image.status, 200, "{rendition}: {}", image.text());
        assert_eq!(image.header("content-type"), "image/jpeg", "{rendition}");
    }
    let original = server
        .get(photo["url_original"].as_str().expect("original"))
        .await;
    assert_eq!(
        original.body,
        tourney_media::generate_demo_image(9101, 96, 72),
        "the original is the facebook picture"
    );
    let board = call(&server, "GET", "/v1/leaderboards/female/all", &token, None).await;
    assert_eq!(board.status, 200, "{}", board.text());
    assert!(
        !board.text().contains(profile_photo),
        "not entered in tournaments: {}",
        board.text()
    );

    // Linking again after it is ready imports nothing more.
    link(&server, &token, &account.token).await;
    drain(&server).await;
    assert_eq!(own_photo_ids(&server, &token).await, [profile_photo]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_with_a_profile_photo_keeps_it() {
    let graph = FakeGraph::start().await.expect("fake graph");
    let server = start(&graph).await;
    let (_, token) = registered(&server, "Frida", 9201).await;
    let before = get_json(&server, &token, "/v1/users/me").await["profile_photo"].clone();
    assert!(before.is_string(), "{before}");
    let account = account_with_picture(&graph, "Frida", 9202);

    link(&server, &token, &account.token).await;
    drain(&server).await;

    let me = get_json(&server, &token, "/v1/users/me").await;
    assert_eq!(me["profile_photo"], before, "{me}");
    assert_eq!(
        own_photo_ids(&server, &token).await,
        [before.as_str().expect("id")]
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_category_the_picture_is_not_imported() {
    let graph = FakeGraph::start().await.expect("fake graph");
    let server = start(&graph).await;
    let account = account_with_picture(&graph, "Gus", 9301);
    let (_, token) = sign_up(&server).await;

    link(&server, &token, &account.token).await;
    drain(&server).await;

    let me = get_json(&server, &token, "/v1/users/me").await;
    assert!(me["profile_photo"].is_null(), "{me}");
    assert!(own_photo_ids(&server, &token).await.is_empty());
    assert_eq!(
        me["first_name"], "Gus",
        "the rest of the profile synced: {me}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn friends_already_here_are_told_once_who_joined() {
    let graph = FakeGraph::start().await.expect("fake graph");
    let server = start(&graph).await;
    let ann_account = graph.sample_account("Ann", "Early");
    let bob_account = graph.sample_account("Bob", "Later");
    let (_, ann) = sign_up(&server).await;
    let (bob_id, bob) = sign_up(&server).await;
    let (_, stranger) = sign_up(&server).await;

    link(&server, &ann, &ann_account.token).await;
    drain(&server).await;
    assert!(joined_activities(&server, &ann).await.is_empty());

    graph.add_friends(
        &bob_account.token,
        std::slice::from_ref(&ann_account.profile.id),
    );
    link(&server, &bob, &bob_account.token).await;
    drain(&server).await;
    let joined = joined_activities(&server, &ann).await;
    assert_eq!(joined.len(), 1, "{joined:?}");
    assert_eq!(joined[0]["actor"], bob_id.as_str(), "{joined:?}");
    assert_eq!(joined[0]["read"], false, "{joined:?}");
    assert!(joined_activities(&server, &bob).await.is_empty());
    assert!(joined_activities(&server, &stranger).await.is_empty());
    let history = get_json(&server, &ann, "/v1/users/me/notification_history").await;
    assert_eq!(
        history["items"],
        json!([]),
        "an activity only: no setting covers it, so it is not pushed"
    );

    // Linking again, and the job's retry, tell nobody twice.
    link(&server, &bob, &bob_account.token).await;
    drain(&server).await;
    let joined = joined_activities(&server, &ann).await;
    assert_eq!(joined.len(), 1, "{joined:?}");
    assert_eq!(
        joined[0]["read"], true,
        "the same entry, read since: {joined:?}"
    );
    server.stop().await;
}
