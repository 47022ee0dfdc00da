//! Follows, followers, the feed, activity and notification history with read flags,
//! notification settings and push, over HTTP.

use ocean::settings::NotificationsBackend;
use serde_json::{Value, json};

use crate::support::{
    TestServer, add_test_places, call, drain, registered, sign_up, start_with_places, upload,
};

async fn id_of(server: &TestServer, token: &str) -> String {
    call(server, "GET", "/v1/users/me", token, None)
        .await
        .json()["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn items(server: &TestServer, path: &str, token: &str) -> Vec<Value> {
    let response = call(server, "GET", path, token, None).await;
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    response.json()["items"].as_array().expect("items").clone()
}

fn kinds(items: &[Value]) -> Vec<&str> {
    items
        .iter()
        .map(|item| item["kind"].as_str().expect("kind"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_are_idempotent_and_tell_the_followee_once() {
    let server = start_with_places().await;
    let (_, ann) = registered(&server, "Ann", 900).await;
    let (_, bob) = registered(&server, "Bob", 901).await;
    let (_, cat) = registered(&server, "Cat", 902).await;
    let (ann_id, bob_id) = (id_of(&server, &ann).await, id_of(&server, &bob).await);
    let (_, newcomer) = sign_up(&server).await;
    let follow = |user_id: &str| Some(json!({"user_id": user_id}));
    let path = "/v1/users/me/following";

    let refused = call(&server, "POST", path, &newcomer, follow(&ann_id)).await;
    let body = refused.assert_error(403, "forbidden");
    assert!(body["message"].as_str().unwrap().contains("need"), "{body}");
    let own = call(&server, "POST", path, &bob, follow(&bob_id)).await;
    assert_eq!(own.assert_error(400, "invalid")["field"], "user_id");
    call(&server, "POST", path, &bob, follow(&"0".repeat(32)))
        .await
        .assert_error(404, "not_found");

    for _ in 0..2 {
        let followed = call(&server, "POST", path, &bob, follow(&ann_id)).await;
        assert_eq!(followed.status, 200, "{}", followed.text());
        assert_eq!(
            followed.json(),
            json!({"user_id": ann_id, "following": true})
        );
    }
    let mine = items(&server, path, &bob).await;
    assert_eq!(mine, [json!({"id": ann_id, "user_name": "Ann"})]);
    let theirs = items(&server, "/v1/users/me/followers", &ann).await;
    assert_eq!(theirs, [json!({"id": bob_id, "user_name": "Bob"})]);
    let check = format!("/v1/users/me/followers/{bob_id}");
    assert_eq!(call(&server, "GET", &check, &ann, None).await.status, 204);
    call(&server, "GET", &check, &cat, None)
        .await
        .assert_error(404, "not_found");

    // One new_follower, unread the first time it is shown, read the next.
    let first = items(&server, "/v1/users/me/activity", &ann).await;
    assert_eq!(kinds(&first), ["new_follower"]);
    assert_eq!(first[0]["read"], false);
    assert_eq!(first[0]["actor"], bob_id.as_str());
    let again = items(&server, "/v1/users/me/activity", &ann).await;
    assert_eq!(again.len(), 1, "no duplicate after following twice");
    assert_eq!(again[0]["read"], true);
    let history = items(&server, "/v1/users/me/notification_history", &ann).await;
    assert_eq!(kinds(&history), ["new_follower"]);
    assert_eq!(
        history[0]["read"], false,
        "the history has its own read flags"
    );

    for _ in 0..2 {
        let unfollowed = call(&server, "DELETE", path, &bob, follow(&ann_id)).await;
        assert_eq!(
            unfollowed.json(),
            json!({"user_id": ann_id, "following": false})
        );
    }
    assert_eq!(items(&server, path, &bob).await, Vec::<Value>::new());
    assert_eq!(call(&server, "GET", &check, &ann, None).await.status, 404);
    // Following again does not tell Ann a second time.
    call(&server, "POST", path, &bob, follow(&ann_id)).await;
    assert_eq!(items(&server, "/v1/users/me/activity", &ann).await.len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_shows_followed_users_new_photos_newest_first_with_paging() {
    let server = start_with_places().await;
    let (_, ann) = registered(&server, "Ann", 910).await;
    let (_, bob) = registered(&server, "Bob", 911).await;
    let (_, cat) = registered(&server, "Cat", 912).await;
    for followee in [&ann, &cat] {
        let user_id = id_of(&server, followee).await;
        let followed = call(
            &server,
            "POST",
            "/v1/users/me/following",
            &bob,
            Some(json!({"user_id": user_id})),
        )
        .await;
        assert_eq!(followed.status, 200);
    }
    let mut posted = Vec::new();
    for (n, owner) in [&ann, &cat, &ann, &cat, &ann].into_iter().enumerate() {
        let jpeg = tourney_media::generate_demo_image(920 + n as u64, 96, 72);
        posted.push(upload(&server, owner, jpeg, "image/jpeg").await);
    }
    drain(&server).await;
    // Newest first means by posting time, then id (uploads may share a millisecond).
    let mut by_time = Vec::new();
    for id in &posted {
        let photo = call(&server, "GET", &format!("/v1/photos/{id}"), &bob, None)
            .await
            .json();
        let created_at = photo["created_at"].as_str().expect("created_at").to_owned();
        by_time.push((created_at, id.clone()));
    }
    by_time.sort();
    let posted: Vec<String> = by_time.into_iter().map(|(_, id)| id).collect();

    let mut feed = Vec::new();
    let mut next = "/v1/users/me/feed?count=2".to_owned();
    loop {
        let page = call(&server, "GET", &next, &bob, None).await;
        assert_eq!(page.status, 200, "{next}: {}", page.text());
        let page = page.json();
        for photo in page["items"].as_array().unwrap() {
            feed.push(photo["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => next = format!("/v1/users/me/feed?count=2&cursor={cursor}"),
            None => break,
        }
    }
    let newest_first: Vec<String> = posted.iter().rev().cloned().collect();
    assert_eq!(feed, newest_first, "newest first, every photo once");
    assert_eq!(
        items(&server, "/v1/users/me/feed", &ann).await,
        Vec::<Value>::new(),
        "Ann follows no one; her own photos are not in her feed"
    );

    let bob_news = items(&server, "/v1/users/me/activity", &bob).await;
    assert_eq!(kinds(&bob_news), ["new_photo"; 5]);
    let ann_news = items(&server, "/v1/users/me/activity", &ann).await;
    assert_eq!(kinds(&ann_news), ["new_follower"], "never her own photos");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_decide_what_is_pushed_and_the_badge_counts_unread() {
    // The embedded outbox is how this test sees pushes (also in an aws_local run, where
    // SNS keeps no record; ocean-sns's tests check what it publishes).
    let server = TestServer::start_with(
        |settings| settings.notifications = NotificationsBackend::Embedded,
        |state| state,
    )
    .await;
    add_test_places(&server).await;
    let (_, ann) = registered(&server, "Ann", 930).await;
    let (_, bob) = registered(&server, "Bob", 931).await;
    let ann_id = id_of(&server, &ann).await;

    let settings = "/v1/users/me/notification_settings";
    let defaults = call(&server, "GET", settings, &ann, None).await.json();
    assert_eq!(
        defaults,
        json!({"new_photo": true, "new_comment": true, "new_follower": true,
               "won_tournament": true, "you_won_tournament": true})
    );
    let patched = call(
        &server,
        "PATCH",
        settings,
        &ann,
        Some(json!({"new_comment": false})),
    )
    .await
    .json();
    assert_eq!(
        patched["new_comment"], false,
        "false is returned explicitly"
    );
    assert_eq!(patched["new_follower"], true, "the rest is unchanged");

    call(&server, "POST", "/v1/test_push", &ann, None)
        .await
        .assert_error(409, "no_device");
    let device = call(
        &server,
        "PATCH",
        "/v1/users/me",
        &ann,
        Some(json!({"apn_device_id": "ann-phone-token"})),
    )
    .await;
    assert_eq!(device.status, 200, "{}", device.text());
    assert_eq!(
        call(&server, "POST", "/v1/test_push", &ann, None)
            .await
            .status,
        204
    );

    call(
        &server,
        "POST",
        "/v1/users/me/following",
        &bob,
        Some(json!({"user_id": ann_id})),
    )
    .await;
    let photo = upload(
        &server,
        &ann,
        tourney_media::generate_demo_image(933, 96, 72),
        "image/jpeg",
    )
    .await;
    drain(&server).await;
    let commented = call(
        &server,
        "POST",
        &format!("/v1/photos/{photo}/comments"),
        &bob,
        Some(json!({"text": "Lovely"})),
    )
    .await;
    assert_eq!(commented.status, 201);
    let own_comment = call(
        &server,
        "POST",
        &format!("/v1/photos/{photo}/comments"),
        &ann,
        Some(json!({"text": "Thanks"})),
    )
    .await;
    assert_eq!(own_comment.status, 201);

    let activity = items(&server, "/v1/users/me/activity", &ann).await;
    assert_eq!(
        kinds(&activity),
        ["new_comment", "new_follower"],
        "no self-comment"
    );
    assert_eq!(activity[0]["photo"], photo.as_str());
    let history = items(&server, "/v1/users/me/notification_history", &ann).await;
    assert_eq!(
        kinds(&history),
        ["new_follower"],
        "new_comment is turned off"
    );

    let sent = server
        .ports
        .notifications
        .sent(None, 10)
        .await
        .expect("outbox");
    let messages: Vec<(&str, Option<u32>)> = sent
        .iter()
        .map(|push| (push.push.message.as_str(), push.push.badge))
        .collect();
    assert_eq!(
        messages,
        [
            ("You have a new follower", Some(1)),
            ("Test notification from LocalPicTourney", Some(0)),
        ],
        "newest first; the badge is the unread count"
    );
    server.stop().await;
}
