//! The game through HTTP: sign-up and authentication, profiles and names, uploads processed
//! by the worker's step, matches, votes, scoring and boards.

use base64::Engine as _;
use serde_json::json;

use crate::support::{call, drain, sign_up, start_with_places as start, upload};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_up_authenticates_with_bearer_and_basic_and_refuses_bad_tokens() {
    let server = start().await;
    let (id, token) = sign_up(&server).await;
    let me = call(&server, "GET", "/v1/users/me", &token, None).await;
    assert_eq!(me.status, 200);
    let me = me.json();
    assert_eq!(me["id"], id.as_str());
    assert_eq!(me["registration"], "need name");
    assert_eq!(me["win_loss_ratio"], 50.0);

    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{token}"));
    let basic = format!("Basic {basic}");
    let with_basic = server
        .request(
            "GET",
            "/v1/users/me",
            &[("authorization", basic.as_str())],
            Vec::new(),
        )
        .await;
    assert_eq!(with_basic.status, 200);

    call(&server, "GET", "/v1/users/me", "not-a-token", None)
        .await
        .assert_error(401, "unauthorized");
    server
        .get("/v1/users/me")
        .await
        .assert_error(401, "unauthorized");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn profiles_names_locations_tokens_and_deletion() {
    let server = start().await;
    let (_, alice) = sign_up(&server).await;
    let (_, bob) = sign_up(&server).await;

    let named = call(
        &server,
        "PATCH",
        "/v1/users/me",
        &alice,
        Some(json!({"user_name": "Ali 🦊"})),
    )
    .await;
    assert_eq!(named.status, 200, "{}", named.text());
    assert_eq!(named.json()["registration"], "need category");
    assert_eq!(
        server.get("/v1/user_names/ali%20%F0%9F%A6%8A").await.status,
        204
    );
    server
        .get("/v1/user_names/nobody")
        .await
        .assert_error(404, "name_free");
    call(
        &server,
        "PATCH",
        "/v1/users/me",
        &bob,
        Some(json!({"user_name": "ALI 🦊"})),
    )
    .await
    .assert_error(409, "name_taken");

    let moved = call(
        &server,
        "PATCH",
        "/v1/users/me",
        &alice,
        Some(json!({"location": {"lat": 37.7, "lon": -122.4}})),
    )
    .await;
    assert_eq!(moved.json()["place"]["name"], "San Francisco");
    let legacy = call(
        &server,
        "PATCH",
        "/v1/users/me",
        &alice,
        Some(json!({"location": "34.05;-118.24;71.0 hdn=-1 spd=-1"})),
    )
    .await;
    assert_eq!(legacy.json()["place"]["name"], "Los Angeles");
    let error = call(
        &server,
        "PATCH",
        "/v1/users/me",
        &alice,
        Some(json!({"location": "here"})),
    )
    .await
    .assert_error(400, "invalid");
    assert_eq!(error["field"], "location");
    let wrong_type = server
        .request(
            "PATCH",
            "/v1/users/me",
            &[
                ("authorization", &format!("Bearer {alice}")),
                ("content-type", "text/plain"),
            ],
            b"user_name=x".to_vec(),
        )
        .await;
    assert_eq!(wrong_type.status, 415);

    let rotated = call(&server, "POST", "/v1/users/me/token", &alice, None).await;
    let new_token = rotated.json()["token"].as_str().expect("token").to_owned();
    call(&server, "GET", "/v1/users/me", &alice, None)
        .await
        .assert_error(401, "unauthorized");
    assert_eq!(
        call(&server, "DELETE", "/v1/users/me", &new_token, None)
            .await
            .status,
        204
    );
    call(&server, "GET", "/v1/users/me", &new_token, None)
        .await
        .assert_error(401, "unauthorized");
    server
        .get("/v1/user_names/Ali%20%F0%9F%A6%8A")
        .await
        .assert_error(404, "name_free");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn uploads_matches_votes_scoring_and_boards() {
    let server = start().await;
    let mut owners = Vec::new();
    let mut photos = Vec::new();
    for n in 0..4 {
        let (_, token) = sign_up(&server).await;
        let jpeg = tourney_media::generate_demo_image(n, 1200, 900);
        photos.push(upload(&server, &token, jpeg, "image/jpeg").await);
        owners.push(token);
    }
    let (_, liar) = sign_up(&server).await;
    let lie = upload(
        &server,
        &liar,
        b"not an image at all".to_vec(),
        "image/jpeg",
    )
    .await;
    let pending = call(
        &server,
        "GET",
        &format!("/v1/photos/{}", photos[0]),
        &owners[0],
        None,
    )
    .await;
    assert_eq!(pending.json()["state"], "processing");
    drain(&server).await;

    let ready = call(
        &server,
        "GET",
        &format!("/v1/photos/{}", photos[0]),
        &owners[1],
        None,
    )
    .await;
    assert_eq!(ready.status, 200, "{}", ready.text());
    let ready = ready.json();
    assert_eq!(ready["state"], "ready");
    let large = server
        .get(ready["url_large"].as_str().expect("url_large"))
        .await;
    assert_eq!(
        (large.status, large.header("content-type")),
        (200, "image/jpeg")
    );
    let rejected = call(&server, "GET", &format!("/v1/photos/{lie}"), &liar, None)
        .await
        .json();
    assert_eq!(rejected["state"], "rejected");
    assert_eq!(rejected["rejection_reason"], "not_an_image");

    let (_, judge) = sign_up(&server).await;
    let proposed = call(&server, "GET", "/v1/users/me/matches", &judge, None).await;
    assert_eq!(proposed.status, 200, "{}", proposed.text());
    let matches = proposed.json()["matches"]
        .as_array()
        .expect("matches")
        .clone();
    assert!(!matches.is_empty());
    for proposal in &matches {
        assert!(proposal["a_win_delta"].as_f64().expect("delta") > 0.0);
        assert!(proposal["a_lose_delta"].as_f64().expect("delta") < 0.0);
        let path = format!(
            "/v1/users/me/matches/{}",
            proposal["match_id"].as_str().expect("id")
        );
        let voted = call(&server, "PUT", &path, &judge, Some(json!({"winner": "a"}))).await;
        assert_eq!(voted.status, 200, "{}", voted.text());
        call(&server, "PUT", &path, &judge, Some(json!({"winner": "a"})))
            .await
            .assert_error(409, "already_judged");
    }
    let path = format!(
        "/v1/users/me/matches/{}",
        matches[0]["match_id"].as_str().expect("id")
    );
    call(
        &server,
        "PUT",
        &path,
        &owners[0],
        Some(json!({"winner": "a"})),
    )
    .await
    .assert_error(404, "not_found");
    call(&server, "PUT", &path, &judge, Some(json!({"winner": "c"})))
        .await
        .assert_error(400, "invalid");
    drain(&server).await;

    let mut n_wins = 0;
    for token in &owners {
        let wins = call(&server, "GET", "/v1/users/me/wins", token, None)
            .await
            .json();
        n_wins += wins["items"].as_array().expect("items").len();
    }
    assert_eq!(n_wins, matches.len(), "one win per vote");

    let mut seen = Vec::new();
    let mut next = Some(String::new());
    while let Some(cursor) = next {
        let query = if cursor.is_empty() {
            String::new()
        } else {
            format!("&cursor={cursor}")
        };
        let page = call(
            &server,
            "GET",
            &format!("/v1/leaderboards/female/all?count=3{query}"),
            &judge,
            None,
        )
        .await;
        assert_eq!(page.status, 200, "{}", page.text());
        let page = page.json();
        for entry in page["items"].as_array().expect("items") {
            seen.push((
                entry["value"].as_f64().expect("value"),
                entry["photo"]["id"].clone(),
            ));
        }
        next = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), photos.len(), "every ready photo once");
    assert!(
        seen.windows(2).all(|pair| pair[0].0 >= pair[1].0),
        "best first"
    );
    call(
        &server,
        "GET",
        "/v1/leaderboards/female/all?when=someday",
        &judge,
        None,
    )
    .await
    .assert_error(400, "invalid");
    server.stop().await;
}
