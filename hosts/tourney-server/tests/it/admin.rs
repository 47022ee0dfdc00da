//! The admin area over HTTP: a login prompt without credentials, 403 pages for everyone
//! but an admin on every page and action, the queue ordered by open flags, actions as form
//! POSTs (same-origin only) that write history with the admin's id, and their effects on
//! the API: a hidden photo leaves boards, matches, tag boards and lists (its owner sees it
//! as `hidden`), a hidden comment leaves the list and the count, a banned user's token
//! stops working and their photos leave the board until the ban is lifted.

use base64::Engine as _;
use serde_json::{Value, json};
use tourney_core::PhotoId;

use crate::flags::{comment_on, flag};
use crate::support::registered;
use crate::support::{
    TestResponse, TestServer, call, photo_json, ready_photos, ready_photos_with, sign_up,
    start_with_places,
};

/// An admin's id and token, made the way the `create-admin` command makes one.
struct Admin {
    id: String,
    token: String,
}

impl Admin {
    async fn create(server: &TestServer, name: &str) -> Self {
        let (id, token) = server
            .game
            .create_admin(
                name,
                tourney_worker::now(),
                &mut rand::make_rng::<rand::rngs::StdRng>(),
            )
            .await
            .expect("create an admin");
        Self {
            id: id.to_string(),
            token,
        }
    }

    /// What a browser sends after the Basic prompt.
    fn basic(&self) -> String {
        basic(&self.id, &self.token)
    }
}

fn basic(user: &str, token: &str) -> String {
    let pair = format!("{user}:{token}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// A GET of an admin page with `authorization`.
async fn page(server: &TestServer, authorization: &str, path: &str) -> TestResponse {
    server
        .request("GET", path, &[("authorization", authorization)], Vec::new())
        .await
}

/// A form POST as a browser sends it from one of the admin pages: Basic credentials, this
/// site's `Origin` and `Sec-Fetch-Site: same-origin`.
async fn submit(server: &TestServer, admin: &Admin, path: &str) -> TestResponse {
    let origin = server.base_url();
    let authorization = admin.basic();
    let form = ("content-type", "application/x-www-form-urlencoded");
    server
        .request(
            "POST",
            path,
            &[
                ("authorization", &authorization),
                ("origin", &origin),
                ("sec-fetch-site", "same-origin"),
                form,
            ],
            Vec::new(),
        )
        .await
}

/// Submits `path` and checks the 303 back to `back`.
async fn act(server: &TestServer, admin: &Admin, path: &str, back: &str) {
    let done = submit(server, admin, path).await;
    assert_eq!(done.status, 303, "{path}: {}", done.text());
    assert_eq!(done.header("location"), back, "{path}");
}

/// Asserts an HTML page with `status`; returns its text.
fn html(response: &TestResponse, status: u16) -> String {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(response.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(response.header("cache-control"), "no-store");
    response.text()
}

/// The ids of a JSON list's photos (`items[].id`, or `items[].photo.id` on boards).
fn listed_ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            let id = if item["photo"].is_object() {
                &item["photo"]["id"]
            } else {
                &item["id"]
            };
            id.as_str().expect("id").to_owned()
        })
        .collect()
}

async fn json_ok(server: &TestServer, token: &str, path: &str) -> Value {
    let response = call(server, "GET", path, token, None).await;
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    response.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_area_prompts_for_credentials_and_refuses_everyone_but_admins() {
    let server = start_with_places().await;
    let photo = ready_photos(&server, 1, 800).await.remove(0);
    let (user_id, user_token) = sign_up(&server).await;
    let admin = Admin::create(&server, "Boss").await;

    for (authorization, why) in [
        (String::new(), "no credentials"),
        ("Bearer not-a-token".to_owned(), "unknown token"),
        (basic(&admin.id, "wrong"), "wrong password"),
    ] {
        let headers: Vec<(&str, &str)> = if authorization.is_empty() {
            Vec::new()
        } else {
            vec![("authorization", authorization.as_str())]
        };
        let refused = server.request("GET", "/admin", &headers, Vec::new()).await;
        html(&refused, 401);
        assert_eq!(
            refused.header("www-authenticate"),
            "Basic realm=\"admin\", charset=\"UTF-8\"",
            "{why}"
        );
    }

    let admin_paths: Vec<(&str, String)> = vec![
        ("GET", "/admin".to_owned()),
        ("GET", "/admin/held_votes".to_owned()),
        ("GET", format!("/admin/users/{user_id}")),
        ("GET", format!("/admin/photos/{}", photo.id)),
        (
            "GET",
            "/admin/comments/0190a0b0c0d07000800000000000abcd".to_owned(),
        ),
        ("POST", format!("/admin/photos/{}/hide", photo.id)),
        ("POST", format!("/admin/photos/{}/restore", photo.id)),
        (
            "POST",
            "/admin/comments/0190a0b0c0d07000800000000000abcd/hide".to_owned(),
        ),
        (
            "POST",
            "/admin/comments/0190a0b0c0d07000800000000000abcd/restore".to_owned(),
        ),
        ("POST", format!("/admin/users/{}/ban", admin.id)),
        ("POST", format!("/admin/users/{user_id}/unban")),
        (
            "POST",
            format!("/admin/flags/photo/{}/{user_id}/resolve", photo.id),
        ),
        (
            "POST",
            "/admin/held_votes/0123456789abcdef0123456789abcdef/release".to_owned(),
        ),
        (
            "POST",
            "/admin/held_votes/0123456789abcdef0123456789abcdef/discard".to_owned(),
        ),
    ];
    assert_eq!(
        admin_paths.len(),
        tourney_server::SERVED_ROUTES
            .iter()
            .filter(|route| route.group == "admin")
            .count(),
        "every admin route is tried"
    );
    let origin = server.base_url();
    for authorization in [format!("Bearer {user_token}"), basic(&user_id, &user_token)] {
        for (method, path) in &admin_paths {
            let refused = server
                .request(
                    method,
                    path,
                    &[
                        ("authorization", &authorization),
                        ("origin", &origin),
                        ("sec-fetch-site", "same-origin"),
                    ],
                    Vec::new(),
                )
                .await;
            let text = html(&refused, 403);
            assert!(text.contains("admins only"), "{method} {path}: {text}");
        }
    }
    let still_there = photo_json(&server, &user_token, &photo.id).await;
    assert_eq!(still_there["state"], "ready", "refused actions did nothing");

    let queue = html(&page(&server, &admin.basic(), "/admin").await, 200);
    assert!(queue.contains("Moderation queue"), "{queue}");
    let bearer = page(&server, &format!("Bearer {}", admin.token), "/admin").await;
    html(&bearer, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_orders_by_open_flags_and_resolving_writes_history() {
    let server = start_with_places().await;
    let photo = ready_photos(&server, 1, 810).await.remove(0);
    let (_, commenter) = registered(&server, "Cleo", 811).await;
    let comment = comment_on(&server, &commenter, &photo.id, "hello").await;
    let (target_user, _) = sign_up(&server).await;
    let admin = Admin::create(&server, "Boss").await;

    let photo_flags = format!("/v1/photos/{}/flags", photo.id);
    let comment_flags = format!("/v1/photo_comments/{comment}/flags");
    let user_flags = format!("/v1/users/{target_user}/flags");
    let mut photo_flaggers = Vec::new();
    for n in 0..3 {
        let (flagger_id, flagger) = sign_up(&server).await;
        let reason = if n == 0 {
            "<script>alert(1)</script>"
        } else {
            "spam"
        };
        assert_eq!(
            flag(&server, &flagger, &photo_flags, reason).await.status,
            200
        );
        if n < 2 {
            assert_eq!(
                flag(&server, &flagger, &comment_flags, "rude").await.status,
                200
            );
        }
        if n == 0 {
            assert_eq!(
                flag(&server, &flagger, &user_flags, "bot").await.status,
                200
            );
        }
        photo_flaggers.push(flagger_id);
    }

    let queue = html(&page(&server, &admin.basic(), "/admin").await, 200);
    let position = |needle: &str| {
        queue
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} in the queue: {queue}"))
    };
    let photo_at = position(&format!("/admin/photos/{}", photo.id));
    let comment_at = position(&format!("/admin/comments/{comment}"));
    let user_at = position(&format!("/admin/users/{target_user}"));
    assert!(
        photo_at < comment_at && comment_at < user_at,
        "3 flags, then 2, then 1: {queue}"
    );

    let photo_page = format!("/admin/photos/{}", photo.id);
    let shown = html(&page(&server, &admin.basic(), &photo_page).await, 200);
    assert!(
        shown.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !shown.contains("<script>"),
        "reasons are escaped: {shown}"
    );
    assert!(
        shown.contains("127.0.0.1"),
        "the flagger's address: {shown}"
    );
    for flagger in &photo_flaggers[..2] {
        let resolve = format!("/admin/flags/photo/{}/{flagger}/resolve", photo.id);
        assert!(
            shown.contains(&resolve),
            "a resolve form per open flag: {shown}"
        );
        act(&server, &admin, &resolve, &photo_page).await;
    }
    let queue = html(&page(&server, &admin.basic(), "/admin").await, 200);
    let comment_at = queue
        .find(&format!("/admin/comments/{comment}"))
        .expect("comment");
    let photo_at = queue
        .find(&photo_page)
        .expect("the photo, 1 open flag left");
    assert!(comment_at < photo_at, "2 open flags before 1: {queue}");

    let last = format!(
        "/admin/flags/photo/{}/{}/resolve",
        photo.id, photo_flaggers[2]
    );
    act(&server, &admin, &last, &photo_page).await;
    act(&server, &admin, &last, &photo_page).await;
    let queue = html(&page(&server, &admin.basic(), "/admin").await, 200);
    assert!(
        !queue.contains(&photo_page),
        "no open flags, out of the queue: {queue}"
    );

    let shown = html(&page(&server, &admin.basic(), &photo_page).await, 200);
    assert_eq!(
        shown.matches(&format!("resolved by {}", admin.id)).count(),
        3,
        "{shown}"
    );
    assert_eq!(
        shown.matches("resolve_flag").count(),
        3,
        "one history entry per resolution, none for the repeat: {shown}"
    );
    assert!(
        shown.contains(&format!("/admin/users/{}", admin.id)),
        "{shown}"
    );

    let unknown = submit(
        &server,
        &admin,
        &format!("/admin/flags/photo/{}/{target_user}/resolve", photo.id),
    )
    .await;
    html(&unknown, 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidden_photo_leaves_boards_matches_tags_and_lists_until_restored() {
    let server = start_with_places().await;
    let tagged = json!({"content_type": "image/jpeg", "category": "female", "tags": ["Dusk"]});
    let photos = ready_photos_with(&server, &[tagged.clone(), tagged.clone(), tagged], 820).await;
    let hidden = &photos[0];
    let owner_id = photo_json(&server, &hidden.owner_token, &hidden.id).await["owner"]["id"]
        .as_str()
        .expect("owner")
        .to_owned();
    let (_, viewer) = sign_up(&server).await;
    let admin = Admin::create(&server, "Boss").await;

    let board = "/v1/leaderboards/female/all";
    let tag_board = "/v1/tags/female/dusk";
    let owner_list = format!("/v1/users/{owner_id}/photos");
    let photo_path = format!("/v1/photos/{}", hidden.id);
    let with_photo = format!("/v1/users/me/matches/{}", hidden.id);
    let listed_everywhere = async |expected: bool| {
        for path in [board, tag_board, owner_list.as_str()] {
            let ids = listed_ids(&json_ok(&server, &viewer, path).await);
            assert_eq!(ids.contains(&hidden.id), expected, "{path}: {ids:?}");
        }
    };
    listed_everywhere(true).await;
    let (_, judge) = sign_up(&server).await;
    let proposed = call(&server, "GET", &with_photo, &judge, None).await;
    assert_eq!(proposed.status, 200, "matched before: {}", proposed.text());

    let admin_page = format!("/admin/photos/{}", hidden.id);
    act(
        &server,
        &admin,
        &format!("/admin/photos/{}/hide", hidden.id),
        &admin_page,
    )
    .await;

    listed_everywhere(false).await;
    call(&server, "GET", &photo_path, &viewer, None)
        .await
        .assert_error(404, "not_found");
    let seen_by_owner = photo_json(&server, &hidden.owner_token, &hidden.id).await;
    assert_eq!(seen_by_owner["state"], "hidden");
    let own_list = json_ok(&server, &hidden.owner_token, &owner_list).await;
    assert_eq!(listed_ids(&own_list), vec![hidden.id.clone()], "{own_list}");
    assert_eq!(own_list["items"][0]["state"], "hidden");
    call(&server, "GET", &with_photo, &judge, None)
        .await
        .assert_error(404, "not_found");
    for _ in 0..3 {
        let (_, fresh_judge) = sign_up(&server).await;
        for matches in ["/v1/users/me/matches", "/v1/users/me/tag_matches/Dusk"] {
            let proposed = json_ok(&server, &fresh_judge, matches).await;
            for proposal in proposed["matches"].as_array().expect("matches") {
                for side in ["photo_a", "photo_b"] {
                    assert_ne!(
                        proposal[side]["id"],
                        hidden.id.as_str(),
                        "{matches}: {proposal}"
                    );
                }
            }
        }
    }
    flag(
        &server,
        &viewer,
        &format!("{photo_path}/flags"),
        "where is it",
    )
    .await
    .assert_error(404, "not_found");
    call(
        &server,
        "GET",
        &format!("{photo_path}/comments"),
        &viewer,
        None,
    )
    .await
    .assert_error(404, "not_found");

    let shown = html(&page(&server, &admin.basic(), &admin_page).await, 200);
    assert!(shown.contains("hide_photo"), "history: {shown}");
    assert!(
        shown.contains(&format!("/admin/users/{}", admin.id)),
        "by whom: {shown}"
    );
    assert!(
        shown.contains(&format!("/admin/photos/{}/restore", hidden.id)),
        "{shown}"
    );

    act(
        &server,
        &admin,
        &format!("/admin/photos/{}/restore", hidden.id),
        &admin_page,
    )
    .await;
    listed_everywhere(true).await;
    assert_eq!(
        photo_json(&server, &viewer, &hidden.id).await["state"],
        "ready"
    );
    let shown = html(&page(&server, &admin.basic(), &admin_page).await, 200);
    let hide_at = shown.find("hide_photo").expect("hide in the history");
    let restore_at = shown.find("restore_photo").expect("restore in the history");
    assert!(hide_at < restore_at, "oldest first: {shown}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidden_comment_leaves_the_list_and_the_count() {
    let server = start_with_places().await;
    let photo = ready_photos(&server, 1, 830).await.remove(0);
    let (_, author) = registered(&server, "Cleo", 831).await;
    let kept = comment_on(&server, &author, &photo.id, "kept").await;
    let hidden = comment_on(&server, &author, &photo.id, "secret words").await;
    let admin = Admin::create(&server, "Boss").await;
    let list = format!("/v1/photos/{}/comments", photo.id);
    let photo_id = PhotoId::parse(&photo.id).expect("photo id");
    let comment_ids = async || {
        let body = json_ok(&server, &author, &list).await;
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| item["id"].as_str().expect("id").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(comment_ids().await, vec![kept.clone(), hidden.clone()]);

    let admin_page = format!("/admin/comments/{hidden}");
    act(
        &server,
        &admin,
        &format!("/admin/comments/{hidden}/hide"),
        &admin_page,
    )
    .await;
    assert_eq!(comment_ids().await, vec![kept.clone()]);
    assert_eq!(server.game.comment_count(photo_id).await.expect("count"), 1);
    let (_, flagger) = sign_up(&server).await;
    flag(
        &server,
        &flagger,
        &format!("/v1/photo_comments/{hidden}/flags"),
        "gone?",
    )
    .await
    .assert_error(404, "not_found");
    let shown = html(&page(&server, &admin.basic(), &admin_page).await, 200);
    assert!(
        shown.contains("hide_comment") && shown.contains(&admin.id),
        "{shown}"
    );
    assert!(
        shown.contains("<dd class=\"status\">hidden</dd>"),
        "{shown}"
    );
    assert!(shown.contains("secret words"), "the text: {shown}");

    act(
        &server,
        &admin,
        &format!("/admin/comments/{hidden}/restore"),
        &admin_page,
    )
    .await;
    assert_eq!(comment_ids().await, vec![kept, hidden.clone()]);
    assert_eq!(server.game.comment_count(photo_id).await.expect("count"), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_stops_the_token_at_once_and_takes_photos_off_the_board_until_lifted() {
    let server = start_with_places().await;
    let photos = ready_photos(&server, 3, 840).await;
    let banned = &photos[0];
    let banned_id = photo_json(&server, &banned.owner_token, &banned.id).await["owner"]["id"]
        .as_str()
        .expect("owner")
        .to_owned();
    let (_, viewer) = sign_up(&server).await;
    let admin = Admin::create(&server, "Boss").await;
    let board = "/v1/leaderboards/female/all";
    let with_photo = format!("/v1/users/me/matches/{}", banned.id);
    assert!(listed_ids(&json_ok(&server, &viewer, board).await).contains(&banned.id));

    let admin_page = format!("/admin/users/{banned_id}");
    act(
        &server,
        &admin,
        &format!("/admin/users/{banned_id}/ban"),
        &admin_page,
    )
    .await;
    call(&server, "GET", "/v1/users/me", &banned.owner_token, None)
        .await
        .assert_error(401, "unauthorized");
    let basic_owner = basic(&banned_id, &banned.owner_token);
    let refused = server
        .request(
            "GET",
            "/v1/users/me",
            &[("authorization", &basic_owner)],
            Vec::new(),
        )
        .await;
    refused.assert_error(401, "unauthorized");
    let ids = listed_ids(&json_ok(&server, &viewer, board).await);
    assert!(!ids.contains(&banned.id), "off the board: {ids:?}");
    assert_eq!(ids.len(), 2, "{ids:?}");
    let (_, judge) = sign_up(&server).await;
    call(&server, "GET", &with_photo, &judge, None)
        .await
        .assert_error(404, "not_found");
    let shown = html(&page(&server, &admin.basic(), &admin_page).await, 200);
    assert!(shown.contains("ban_user"), "history: {shown}");
    assert!(
        shown.contains("<dd class=\"status\">banned</dd>"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("/admin/users/{banned_id}/unban")),
        "{shown}"
    );

    let refused = submit(&server, &admin, &format!("/admin/users/{}/ban", admin.id)).await;
    assert!(html(&refused, 403).contains("cannot be banned"));

    act(
        &server,
        &admin,
        &format!("/admin/users/{banned_id}/unban"),
        &admin_page,
    )
    .await;
    let me = call(&server, "GET", "/v1/users/me", &banned.owner_token, None).await;
    assert_eq!(me.status, 200, "the token works again: {}", me.text());
    assert!(listed_ids(&json_ok(&server, &viewer, board).await).contains(&banned.id));
    let proposed = call(&server, "GET", &with_photo, &judge, None).await;
    assert_eq!(proposed.status, 200, "matched again: {}", proposed.text());
    let shown = html(&page(&server, &admin.basic(), &admin_page).await, 200);
    assert!(shown.contains("unban_user"), "{shown}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_with_basic_credentials_must_come_from_the_same_origin() {
    let server = start_with_places().await;
    let photo = ready_photos(&server, 1, 850).await.remove(0);
    let admin = Admin::create(&server, "Boss").await;
    let hide = format!("/admin/photos/{}/hide", photo.id);
    let authorization = admin.basic();
    let own_origin = server.base_url();
    let forged: [&[(&str, &str)]; 4] = [
        &[],
        &[("origin", "https://evil.example")],
        &[
            ("sec-fetch-site", "cross-site"),
            ("origin", own_origin.as_str()),
        ],
        &[("sec-fetch-site", "same-site")],
    ];
    for extra in forged {
        let mut headers = vec![("authorization", authorization.as_str())];
        headers.extend_from_slice(extra);
        let refused = server.request("POST", &hide, &headers, Vec::new()).await;
        let text = html(&refused, 403);
        assert!(
            text.contains("cross-site request refused"),
            "{extra:?}: {text}"
        );
    }
    let (_, viewer) = sign_up(&server).await;
    assert_eq!(
        photo_json(&server, &viewer, &photo.id).await["state"],
        "ready"
    );

    // An older browser: Origin only.
    let done = server
        .request(
            "POST",
            &hide,
            &[("authorization", &authorization), ("origin", &own_origin)],
            Vec::new(),
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.text());
    // A tool with Bearer credentials, which no browser sends by itself.
    let bearer = format!("Bearer {}", admin.token);
    let restore = format!("/admin/photos/{}/restore", photo.id);
    let done = server
        .request("POST", &restore, &[("authorization", &bearer)], Vec::new())
        .await;
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(
        photo_json(&server, &viewer, &photo.id).await["state"],
        "ready"
    );
    server.stop().await;
}
