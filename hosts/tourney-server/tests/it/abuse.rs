//! Abuse controls over HTTP. Rate limits: every limited route answers 429 with
//! `Retry-After` and the limit's name once its burst is spent, per user and per client
//! address independently, and passes again after the wait (the tests move the limits'
//! clock ahead instead of sleeping). Too-fast votes: a vote right after its match was
//! proposed answers 200 `held`, is final, scores nothing, and is listed to admins only; a
//! vote on a match never proposed to the voter is 404. A tournament report right after its
//! proposal is held the same way, as one entry. An admin releases a held vote (the worker
//! counts it once, however often it is released) or discards it (never counted).

use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use tourney_server::rate_limit::{LIMITED_ROUTES, LimitClock};
use tourney_wiring::{AppSettings, RateLimitSettings};

use crate::support::{TestResponse, TestServer, call, drain, ready_photos, sign_up};

/// Every limit on but none counting: each test turns on the ones it checks.
fn no_limits() -> RateLimitSettings {
    RateLimitSettings {
        enabled: true,
        sign_up_ip_per_minute: 0,
        votes_ip_per_minute: 0,
        votes_user_per_minute: 0,
        comments_ip_per_minute: 0,
        comments_user_per_minute: 0,
        flags_ip_per_minute: 0,
        flags_user_per_minute: 0,
        uploads_ip_per_minute: 0,
        uploads_user_per_minute: 0,
        ..RateLimitSettings::default()
    }
}

/// A server with `configure`'s settings, and its limits' clock.
async fn server_with(configure: impl FnOnce(&mut AppSettings)) -> (TestServer, LimitClock) {
    let mut clock = None;
    let server = TestServer::start_with(configure, |state| {
        clock = Some(state.rate_limits.clock().clone());
        state
    })
    .await;
    (server, clock.expect("the state was made"))
}

/// A request with optional Bearer `token`, JSON `body` and `X-Forwarded-For: address`.
async fn send_as(
    server: &TestServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    address: Option<&str>,
    body: Option<&Value>,
) -> TestResponse {
    let auth = token.map(|token| format!("Bearer {token}"));
    let mut headers = Vec::new();
    if let Some(auth) = &auth {
        headers.push(("authorization", auth.as_str()));
    }
    if let Some(address) = address {
        headers.push(("x-forwarded-for", address));
    }
    let bytes = match body {
        Some(body) => {
            headers.push(("content-type", "application/json"));
            serde_json::to_vec(body).expect("json")
        }
        None => Vec::new(),
    };
    server.request(method, path, &headers, bytes).await
}

/// Asserts `response` is the 429 of the limit `limit`, retrying after 1 s.
fn assert_limited(response: &TestResponse, limit: &str) {
    let body = response.assert_error(429, "too_many_requests");
    assert_eq!(body["field"], limit, "{body}");
    assert_eq!(response.header("retry-after"), "1", "{body}");
    let message = body["message"].as_str().expect("a message");
    assert!(message.contains("retry in 1 s"), "{message}");
}

/// One limited request: method, path, body.
type Request = (&'static str, String, Option<Value>);

#[tokio::test]
async fn each_limited_route_answers_429_with_retry_after_past_its_users_burst_and_passes_after_the_wait()
 {
    let (server, clock) = server_with(|settings| {
        settings.app.rate_limits = RateLimitSettings {
            votes_user_per_minute: 60,
            votes_user_burst: 2,
            comments_user_per_minute: 60,
            comments_user_burst: 2,
            flags_user_per_minute: 60,
            flags_user_burst: 2,
            uploads_user_per_minute: 60,
            uploads_user_burst: 2,
            ..no_limits()
        };
    })
    .await;
    crate::support::add_test_places(&server).await;
    let (_, alice) = sign_up(&server).await;
    let (bob_id, bob) = sign_up(&server).await;
    let some_photo = "0190a1b2c3d47000800000000000000a";
    let some_match = format!("{some_photo}0190a1b2c3d47000800000000000000b");
    let created = call(
        &server,
        "POST",
        "/v1/photos",
        &alice,
        Some(json!({"content_type": "image/jpeg"})),
    )
    .await;
    assert_eq!(created.status, 202, "{}", created.text());
    let alice_photo = created.json()["id"].as_str().expect("id").to_owned();

    // Each action's routes share its bucket: two requests on different routes spend it.
    let cases: [(&str, [Request; 3]); 4] = [
        (
            "votes_user",
            [
                (
                    "PUT",
                    format!("/v1/users/me/matches/{some_match}"),
                    Some(json!({"winner": "a"})),
                ),
                (
                    "PUT",
                    format!("/v1/users/me/tournaments/{some_photo}"),
                    Some(json!({"winners": []})),
                ),
                (
                    "PUT",
                    format!("/v1/users/me/matches/{some_match}"),
                    Some(json!({"winner": "b"})),
                ),
            ],
        ),
        (
            "comments_user",
            std::array::from_fn(|_| {
                (
                    "POST",
                    format!("/v1/photos/{some_photo}/comments"),
                    Some(json!({"text": "nice"})),
                )
            }),
        ),
        (
            "flags_user",
            [
                (
                    "POST",
                    format!("/v1/users/{bob_id}/flags"),
                    Some(json!({"reason": "spam"})),
                ),
                (
                    "POST",
                    format!("/v1/photos/{some_photo}/flags"),
                    Some(json!({"reason": "spam"})),
                ),
                (
                    "POST",
                    format!("/v1/photo_comments/{some_photo}/flags"),
                    Some(json!({"reason": "spam"})),
                ),
            ],
        ),
        (
            "uploads_user",
            [
                (
                    "POST",
                    "/v1/photos".to_owned(),
                    Some(json!({"content_type": "image/jpeg"})),
                ),
                ("POST", format!("/v1/photos/{alice_photo}/uploaded"), None),
                (
                    "POST",
                    "/v1/photos".to_owned(),
                    Some(json!({"content_type": "image/jpeg"})),
                ),
            ],
        ),
    ];
    for (limit, [first, second, third]) in cases {
        // (The upload bucket has refilled since alice's photo: three waits have passed.)
        for (method, path, body) in [first, second] {
            let response = send_as(&server, method, &path, Some(&alice), None, body.as_ref()).await;
            assert_ne!(
                response.status,
                429,
                "{limit}: {method} {path}: {}",
                response.text()
            );
        }
        let (method, path, body) = third;
        let refused = send_as(&server, method, &path, Some(&alice), None, body.as_ref()).await;
        assert_limited(&refused, limit);

        let other_user = send_as(&server, method, &path, Some(&bob), None, body.as_ref()).await;
        assert_ne!(
            other_user.status, 429,
            "{limit}: bob has a bucket of his own"
        );

        clock.advance(Duration::from_secs(1));
        let after_wait = send_as(&server, method, &path, Some(&alice), None, body.as_ref()).await;
        assert_ne!(
            after_wait.status,
            429,
            "{limit}: one request back after Retry-After: {}",
            after_wait.text()
        );
        let again = send_as(&server, method, &path, Some(&alice), None, body.as_ref()).await;
        assert_limited(&again, limit);
    }
    // Requests no limit counts pass however many.
    for _ in 0..10 {
        let me = call(&server, "GET", "/v1/users/me", &alice, None).await;
        assert_eq!(me.status, 200, "{}", me.text());
    }
}

#[tokio::test]
async fn address_and_user_limits_count_apart() {
    let (server, clock) = server_with(|settings| {
        settings.app.behind_proxy = true;
        settings.app.rate_limits = RateLimitSettings {
            sign_up_ip_per_minute: 60,
            sign_up_ip_burst: 2,
            votes_ip_per_minute: 60,
            votes_ip_burst: 2,
            votes_user_per_minute: 60,
            votes_user_burst: 3,
            ..no_limits()
        };
    })
    .await;
    let sign_up_from = |address: &'static str| {
        let server = &server;
        async move { send_as(server, "POST", "/v1/users", None, Some(address), None).await }
    };
    let (a, b, c) = ("203.0.113.1", "203.0.113.2", "2001:db8:7:7::1");
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let created = sign_up_from(a).await;
        assert_eq!(created.status, 201, "{}", created.text());
        tokens.push(created.json()["token"].as_str().expect("token").to_owned());
    }
    assert_limited(&sign_up_from(a).await, "sign_up_ip");
    assert_eq!(sign_up_from(b).await.status, 201, "another address");
    clock.advance(Duration::from_secs(1));
    assert_eq!(sign_up_from(a).await.status, 201, "after the wait");
    assert_limited(&sign_up_from(a).await, "sign_up_ip");

    let vote = |token: &str, address: &'static str| {
        let server = &server;
        let token = token.to_owned();
        async move {
            let path = "/v1/users/me/matches/0190a1b2c3d47000800000000000000a0190a1b2c3d47000800000000000000b";
            let body = json!({"winner": "a"});
            send_as(
                server,
                "PUT",
                path,
                Some(&token),
                Some(address),
                Some(&body),
            )
            .await
        }
    };
    let (u1, u2) = (&tokens[0], &tokens[1]);
    // Two users behind one address share its bucket.
    assert_eq!(
        vote(u1, a).await.status,
        404,
        "not proposed: counted all the same"
    );
    assert_eq!(vote(u2, a).await.status, 404);
    assert_limited(&vote(u1, a).await, "votes_ip");
    // One user's bucket follows them from address to address (a refusal by the address
    // limit cost the user nothing).
    assert_eq!(vote(u1, b).await.status, 404, "u1's second vote");
    assert_eq!(vote(u1, b).await.status, 404, "u1's third vote");
    assert_limited(&vote(u1, c).await, "votes_user");
    // An IPv6 address counts per /64: c's neighbour shares its bucket.
    assert_eq!(vote(u2, c).await.status, 404, "c's second request");
    assert_limited(&vote(u2, "2001:db8:7:7:abcd::9").await, "votes_ip");
}

#[tokio::test]
async fn every_limited_route_counts_against_its_address_limit() {
    let rate = (60, 1);
    let (server, _clock) = server_with(|settings| {
        settings.app.behind_proxy = true;
        settings.app.rate_limits = RateLimitSettings {
            sign_up_ip_per_minute: rate.0,
            sign_up_ip_burst: rate.1,
            votes_ip_per_minute: rate.0,
            votes_ip_burst: rate.1,
            comments_ip_per_minute: rate.0,
            comments_ip_burst: rate.1,
            flags_ip_per_minute: rate.0,
            flags_ip_burst: rate.1,
            uploads_ip_per_minute: rate.0,
            uploads_ip_burst: rate.1,
            ..no_limits()
        };
    })
    .await;
    crate::support::add_test_places(&server).await;
    let mut users = Vec::new();
    for address in ["192.0.2.1", "192.0.2.2"] {
        let created = send_as(&server, "POST", "/v1/users", None, Some(address), None).await;
        assert_eq!(created.status, 201, "{}", created.text());
        let body = created.json();
        users.push((
            body["id"].as_str().expect("id").to_owned(),
            body["token"].as_str().expect("token").to_owned(),
        ));
    }
    let [(_, alice), (bob_id, bob)] = <[_; 2]>::try_from(users).expect("two users");
    let photo = "0190a1b2c3d47000800000000000000a";
    let pair = format!("{photo}0190a1b2c3d47000800000000000000b");
    let new_photo = json!({"content_type": "image/jpeg"});
    // (limit, method, path template, path, body): every route of LIMITED_ROUTES.
    let routes = [
        (
            "sign_up_ip",
            "POST",
            "/v1/users",
            "/v1/users".to_owned(),
            None,
        ),
        (
            "votes_ip",
            "PUT",
            "/v1/users/me/matches/{id}",
            format!("/v1/users/me/matches/{pair}"),
            Some(json!({"winner": "a"})),
        ),
        (
            "votes_ip",
            "PUT",
            "/v1/users/me/tournaments/{tournament_id}",
            format!("/v1/users/me/tournaments/{photo}"),
            Some(json!({"winners": []})),
        ),
        (
            "comments_ip",
            "POST",
            "/v1/photos/{photo_id}/comments",
            format!("/v1/photos/{photo}/comments"),
            Some(json!({"text": "nice"})),
        ),
        (
            "flags_ip",
            "POST",
            "/v1/users/{user_id}/flags",
            format!("/v1/users/{bob_id}/flags"),
            Some(json!({"reason": "spam"})),
        ),
        (
            "flags_ip",
            "POST",
            "/v1/photos/{photo_id}/flags",
            format!("/v1/photos/{photo}/flags"),
            Some(json!({"reason": "spam"})),
        ),
        (
            "flags_ip",
            "POST",
            "/v1/photo_comments/{comment_id}/flags",
            format!("/v1/photo_comments/{photo}/flags"),
            Some(json!({"reason": "spam"})),
        ),
        (
            "uploads_ip",
            "POST",
            "/v1/photos",
            "/v1/photos".to_owned(),
            Some(new_photo),
        ),
        (
            "uploads_ip",
            "POST",
            "/v1/photos/{photo_id}/uploaded",
            format!("/v1/photos/{photo}/uploaded"),
            None,
        ),
    ];
    let mut templates: Vec<(&str, &str)> = routes.iter().map(|r| (r.1, r.2)).collect();
    let mut limited: Vec<(&str, &str)> = LIMITED_ROUTES.iter().map(|r| (r.0, r.1)).collect();
    templates.sort_unstable();
    limited.sort_unstable();
    assert_eq!(templates, limited, "every limited route is tested here");
    for (n, (limit, method, _, path, body)) in routes.into_iter().enumerate() {
        // A fresh address per route: its first request passes, the next (another user's) not.
        let address = format!("198.51.100.{}", n + 1);
        let first = send_as(
            &server,
            method,
            &path,
            Some(&alice),
            Some(&address),
            body.as_ref(),
        )
        .await;
        assert_ne!(first.status, 429, "{method} {path}: {}", first.text());
        let second = send_as(
            &server,
            method,
            &path,
            Some(&bob),
            Some(&address),
            body.as_ref(),
        )
        .await;
        assert_limited(&second, limit);
    }
}

/// A server whose least vote delay is a minute: a test's vote right after a proposal is
/// held; and an admin's Basic credentials.
async fn slow_vote_server() -> (TestServer, String) {
    let server = TestServer::start_with(
        |settings| settings.app.min_vote_delay_ms = 60_000,
        |state| state,
    )
    .await;
    crate::support::add_test_places(&server).await;
    let (admin, token) = server
        .game
        .create_admin(
            "Reviewer",
            tourney_worker::now(),
            &mut rand::make_rng::<rand::rngs::StdRng>(),
        )
        .await
        .expect("an admin");
    let pair = format!("{admin}:{token}");
    let basic = base64::engine::general_purpose::STANDARD.encode(pair);
    (server, format!("Basic {basic}"))
}

#[tokio::test]
async fn a_vote_right_after_its_proposal_is_held_final_unscored_and_listed_to_admins_only() {
    let (server, admin) = slow_vote_server().await;
    let photos = ready_photos(&server, 4, 4_100).await;
    let (judge_id, judge) = sign_up(&server).await;
    let proposed = call(&server, "GET", "/v1/users/me/matches", &judge, None).await;
    assert_eq!(proposed.status, 200, "{}", proposed.text());
    let matches = proposed.json()["matches"]
        .as_array()
        .expect("matches")
        .clone();
    assert!(!matches.is_empty());
    let before = photo_standings(&server, &judge, &photos).await;

    let match_id = matches[0]["match_id"]
        .as_str()
        .expect("match id")
        .to_owned();
    let path = format!("/v1/users/me/matches/{match_id}");
    let held = call(&server, "PUT", &path, &judge, Some(json!({"winner": "a"}))).await;
    assert_eq!(held.status, 200, "{}", held.text());
    assert_eq!(held.json(), json!({"status": "held", "held": true}));
    for winner in ["a", "b"] {
        call(
            &server,
            "PUT",
            &path,
            &judge,
            Some(json!({"winner": winner})),
        )
        .await
        .assert_error(409, "already_judged");
    }
    // A match never proposed to this judge (it was to `judge`) is not found.
    let (_, other_judge) = sign_up(&server).await;
    call(
        &server,
        "PUT",
        &path,
        &other_judge,
        Some(json!({"winner": "a"})),
    )
    .await
    .assert_error(404, "not_found");

    assert_eq!(drain(&server).await, 0, "no vote to score");
    assert_eq!(photo_standings(&server, &judge, &photos).await, before);
    for photo in &photos {
        let wins = call(
            &server,
            "GET",
            "/v1/users/me/wins",
            &photo.owner_token,
            None,
        )
        .await;
        assert_eq!(wins.json()["items"], json!([]), "no win for anybody");
    }

    let listed = server
        .request(
            "GET",
            "/admin/held_votes",
            &[("authorization", &admin)],
            Vec::new(),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let page = listed.text();
    assert!(page.contains(&format!("/admin/users/{judge_id}")), "{page}");
    for photo in [&match_id[..32], &match_id[32..]] {
        assert!(
            page.contains(&format!("/admin/photos/{photo}")),
            "{photo} in {page}"
        );
    }
    let as_judge = format!("Bearer {judge}");
    let refused = server
        .request(
            "GET",
            "/admin/held_votes",
            &[("authorization", &as_judge)],
            Vec::new(),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert!(
        !refused.text().contains(&judge_id),
        "nothing listed to a judge"
    );
    let anonymous = server.get("/admin/held_votes").await;
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.header("www-authenticate").starts_with("Basic"));
}

/// Each photo's (score, wins, losses, games) as `viewer` sees it.
async fn photo_standings(
    server: &TestServer,
    viewer: &str,
    photos: &[crate::support::ReadyPhoto],
) -> Vec<(f64, u64, u64, u64)> {
    let mut standings = Vec::new();
    for photo in photos {
        let view = call(
            server,
            "GET",
            &format!("/v1/photos/{}", photo.id),
            viewer,
            None,
        )
        .await
        .json();
        let number = |key: &str| {
            view[key]
                .as_u64()
                .unwrap_or_else(|| panic!("{key} in {view}"))
        };
        standings.push((
            view["score"].as_f64().expect("score"),
            number("wins"),
            number("losses"),
            number("games"),
        ));
    }
    standings
}

/// An admin's form POST to `path` as a browser sends it: the Basic credentials `admin`
/// and `Sec-Fetch-Site: same-origin`.
async fn admin_post(server: &TestServer, admin: &str, path: &str) -> TestResponse {
    server
        .request(
            "POST",
            path,
            &[("authorization", admin), ("sec-fetch-site", "same-origin")],
            Vec::new(),
        )
        .await
}

/// The ids of the held votes listed to the admin sending `authorization`, newest first,
/// read from their release forms on `/admin/held_votes`.
pub(crate) async fn held_vote_ids(server: &TestServer, authorization: &str) -> Vec<String> {
    let page = server
        .request(
            "GET",
            "/admin/held_votes",
            &[("authorization", authorization)],
            Vec::new(),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    let text = page.text();
    let form = "action=\"/admin/held_votes/";
    text.match_indices(form)
        .filter_map(|(start, _)| {
            let (id, action) = text[start + form.len()..].split_once('/')?;
            action.starts_with("release\"").then(|| id.to_owned())
        })
        .collect()
}

/// The ids of the matches proposed to `judge` now.
async fn proposed_matches(server: &TestServer, judge: &str) -> Vec<String> {
    let proposed = call(server, "GET", "/v1/users/me/matches", judge, None).await;
    assert_eq!(proposed.status, 200, "{}", proposed.text());
    proposed.json()["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .map(|m| m["match_id"].as_str().expect("match id").to_owned())
        .collect()
}

/// `judge` votes for photo `a` (the lower id) of `match_id`, right away: held.
async fn held_vote(server: &TestServer, judge: &str, match_id: &str) {
    let path = format!("/v1/users/me/matches/{match_id}");
    let held = call(server, "PUT", &path, judge, Some(json!({"winner": "a"}))).await;
    assert_eq!(held.status, 200, "{}", held.text());
    assert_eq!(held.json(), json!({"status": "held", "held": true}));
}

/// Each photo's (wins, losses, games).
async fn games_of(
    server: &TestServer,
    viewer: &str,
    photos: &[crate::support::ReadyPhoto],
) -> Vec<(u64, u64, u64)> {
    photo_standings(server, viewer, photos)
        .await
        .into_iter()
        .map(|(_, wins, losses, games)| (wins, losses, games))
        .collect()
}

#[tokio::test]
async fn an_admin_releases_a_held_vote_to_count_it_once_or_discards_it_never_to_count_it() {
    let (server, admin) = slow_vote_server().await;
    let photos = ready_photos(&server, 4, 4_200).await;
    let (_, judge) = sign_up(&server).await;
    let matches = proposed_matches(&server, &judge).await;
    assert!(matches.len() >= 2, "{matches:?}");
    let before = games_of(&server, &judge, &photos).await;

    // Held: the board does not move.
    held_vote(&server, &judge, &matches[0]).await;
    let listed = held_vote_ids(&server, &admin).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let released = &listed[0];
    let release = format!("/admin/held_votes/{released}/release");
    assert_eq!(drain(&server).await, 0, "nothing to score while held");
    assert_eq!(games_of(&server, &judge, &photos).await, before);

    // Only the admin, from the admin's own pages, decides.
    let forged = server
        .request(
            "POST",
            &release,
            &[("authorization", &admin), ("origin", "http://evil.example")],
            Vec::new(),
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.text());
    let as_judge = call(&server, "POST", &release, &judge, None).await;
    assert_eq!(as_judge.status, 403, "{}", as_judge.text());
    assert_eq!(held_vote_ids(&server, &admin).await, listed, "still held");

    // Released twice: counted once, as cast (`a`, the lower id, won).
    for _ in 0..2 {
        let done = admin_post(&server, &admin, &release).await;
        assert_eq!(done.status, 303, "{}", done.text());
        assert_eq!(done.header("location"), "/admin/held_votes");
    }
    assert_eq!(drain(&server).await, 1, "the released vote counts once");
    assert_eq!(admin_post(&server, &admin, &release).await.status, 303);
    assert_eq!(drain(&server).await, 0, "a third release sends nothing new");
    let (winner, loser) = matches[0].split_at(32);
    let mut expected = before.clone();
    for (photo, counts) in photos.iter().zip(expected.iter_mut()) {
        if photo.id == winner {
            *counts = (counts.0 + 1, counts.1, counts.2 + 1);
        } else if photo.id == loser {
            *counts = (counts.0, counts.1 + 1, counts.2 + 1);
        }
    }
    let after_release = games_of(&server, &judge, &photos).await;
    assert_eq!(after_release, expected);
    let winner_owner = &photos
        .iter()
        .find(|photo| photo.id == winner)
        .expect("the winner is one of the photos")
        .owner_token;
    let wins = call(&server, "GET", "/v1/users/me/wins", winner_owner, None).await;
    assert_eq!(
        wins.json()["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        wins.text()
    );
    assert!(
        held_vote_ids(&server, &admin).await.is_empty(),
        "no longer held"
    );

    // Held, then discarded (twice): never counted. Both decisions are final.
    held_vote(&server, &judge, &matches[1]).await;
    let discarded = held_vote_ids(&server, &admin).await.remove(0);
    let discard = format!("/admin/held_votes/{discarded}/discard");
    for _ in 0..2 {
        let done = admin_post(&server, &admin, &discard).await;
        assert_eq!(done.status, 303, "{}", done.text());
    }
    assert!(held_vote_ids(&server, &admin).await.is_empty());
    for (path, word) in [
        (
            format!("/admin/held_votes/{discarded}/release"),
            "discarded",
        ),
        (format!("/admin/held_votes/{released}/discard"), "released"),
    ] {
        let refused = admin_post(&server, &admin, &path).await;
        assert_eq!(refused.status, 409, "{path}: {}", refused.text());
        assert!(refused.header("content-type").starts_with("text/html"));
        assert!(refused.text().contains(word), "{path}: {}", refused.text());
    }
    let unknown = admin_post(
        &server,
        &admin,
        "/admin/held_votes/0123456789abcdef0123456789abcdef/release",
    )
    .await;
    assert_eq!(unknown.status, 404, "{}", unknown.text());
    assert_eq!(drain(&server).await, 0, "the discarded vote never counts");
    assert_eq!(games_of(&server, &judge, &photos).await, after_release);
}

/// The winners of a report where the first photo of each game wins, round after round.
fn first_photo_wins(slots: &[String]) -> Vec<String> {
    let mut winners: Vec<String> = (0..8).map(|game| slots[2 * game].clone()).collect();
    for (round_start, round_len) in [(0, 8), (8, 4), (12, 2)] {
        for pair in 0..round_len / 2 {
            winners.push(winners[round_start + 2 * pair].clone());
        }
    }
    winners
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tournament_report_right_after_its_proposal_is_held_as_one_entry_until_released() {
    let (server, admin) = slow_vote_server().await;
    let photos = ready_photos(&server, 16, 4_300).await;
    let (_, judge) = sign_up(&server).await;
    assert_eq!(proposed_matches(&server, &judge).await.len(), 10);
    let proposed = call(&server, "GET", "/v1/users/me/matches", &judge, None).await;
    assert_eq!(proposed.status, 200, "{}", proposed.text());
    let tournament = proposed.json()["tournament"].clone();
    let tournament_id = tournament["id"].as_str().expect("a tournament").to_owned();
    let slots: Vec<String> = tournament["photos"]
        .as_array()
        .expect("photos")
        .iter()
        .map(|photo| photo["id"].as_str().expect("id").to_owned())
        .collect();
    let winners = first_photo_wins(&slots);
    let report = format!("/v1/users/me/tournaments/{tournament_id}");
    let body = json!({"winners": winners});

    let held = call(&server, "PUT", &report, &judge, Some(body.clone())).await;
    assert_eq!(held.status, 200, "{}", held.text());
    assert_eq!(held.json(), json!({"status": "held", "held": true}));
    call(&server, "PUT", &report, &judge, Some(body))
        .await
        .assert_error(409, "already_judged");
    assert_eq!(drain(&server).await, 0, "a held report waits");

    let page = server
        .request(
            "GET",
            "/admin/held_votes",
            &[("authorization", &admin)],
            Vec::new(),
        )
        .await
        .text();
    assert!(page.contains("tournament report (15 games)"), "{page}");
    assert!(page.contains(&tournament_id), "{page}");
    assert!(
        page.contains(&format!("/admin/photos/{}", winners[14])),
        "the champion: {page}"
    );
    let listed = held_vote_ids(&server, &admin).await;
    assert_eq!(listed.len(), 1, "one entry for the report: {listed:?}");

    let release = format!("/admin/held_votes/{}/release", listed[0]);
    assert_eq!(admin_post(&server, &admin, &release).await.status, 303);
    assert_eq!(drain(&server).await, 15, "its 15 games count");
    assert_eq!(admin_post(&server, &admin, &release).await.status, 303);
    assert_eq!(drain(&server).await, 0, "once");
    let standings = games_of(&server, &judge, &photos).await;
    assert_eq!(standings.iter().map(|(wins, _, _)| wins).sum::<u64>(), 15);
    let champion = photos
        .iter()
        .position(|photo| photo.id == winners[14])
        .expect("the champion is one of the photos");
    assert_eq!(standings[champion], (4, 0, 4));
}
