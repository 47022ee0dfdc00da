//! Flags over HTTP: users, photos and comments flagged with `{reason}` answer the flag with
//! the flagger and the client address; a second flag by the same user is 409, something
//! that does not exist 404, a bad reason 400 naming `reason`; `X-Forwarded-For` counts only
//! when the `behind_proxy` setting says so, and only the entries its trusted proxies added.

use std::num::NonZeroU32;

use serde_json::{Value, json};

use crate::support::{
    TestServer, call, photo_json, ready_photos, registered, sign_up, start_with_places,
};

/// `token`'s new comment on `photo_id`; its id.
pub(crate) async fn comment_on(
    server: &TestServer,
    token: &str,
    photo_id: &str,
    text: &str,
) -> String {
    let path = format!("/v1/photos/{photo_id}/comments");
    let created = call(server, "POST", &path, token, Some(json!({"text": text}))).await;
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()["id"]
        .as_str()
        .expect("comment id")
        .to_owned()
}

/// `token` flags `path` (`/v1/.../flags`) with `reason`.
pub(crate) async fn flag(
    server: &TestServer,
    token: &str,
    path: &str,
    reason: &str,
) -> crate::support::TestResponse {
    call(server, "POST", path, token, Some(json!({"reason": reason}))).await
}

fn check_flag(body: &Value, kind_id: &str, flagger: &str, reason: &str, ip: &str) {
    assert_eq!(body["kind_id"], kind_id, "{body}");
    assert_eq!(body["user_id"], flagger, "{body}");
    assert_eq!(body["reason"], reason, "{body}");
    assert_eq!(body["ip"], ip, "{body}");
    let created_on = body["created_on"].as_str().expect("created_on");
    assert!(
        humantime::parse_rfc3339(created_on).is_ok(),
        "RFC 3339: {created_on}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_photos_and_comments_are_flagged_once_per_flagger() {
    let server = start_with_places().await;
    let photo = ready_photos(&server, 1, 700).await.remove(0);
    let owner_id = photo_json(&server, &photo.owner_token, &photo.id).await["owner"]["id"]
        .as_str()
        .expect("owner")
        .to_owned();
    let (_, commenter) = registered(&server, "Cleo", 701).await;
    let comment = comment_on(&server, &commenter, &photo.id, "nice").await;
    let (flagger_id, flagger) = sign_up(&server).await;

    let targets = [
        (
            format!("/v1/users/{owner_id}/flags"),
            format!("user:{owner_id}"),
        ),
        (
            format!("/v1/photos/{}/flags", photo.id),
            format!("photo:{}", photo.id),
        ),
        (
            format!("/v1/photo_comments/{comment}/flags"),
            format!("comment:{comment}"),
        ),
    ];
    for (path, kind_id) in &targets {
        let flagged = flag(&server, &flagger, path, "  spam, obviously \n").await;
        assert_eq!(flagged.status, 200, "{}", flagged.text());
        check_flag(
            &flagged.json(),
            kind_id,
            &flagger_id,
            "spam, obviously",
            "127.0.0.1",
        );

        flag(&server, &flagger, path, "again")
            .await
            .assert_error(409, "already_flagged");
        let (_, another) = sign_up(&server).await;
        let second = flag(&server, &another, path, "me too").await;
        assert_eq!(second.status, 200, "another flagger: {}", second.text());
    }

    let missing = "0190a0b0c0d07000800000000000abcd";
    for path in [
        format!("/v1/users/{missing}/flags"),
        format!("/v1/photos/{missing}/flags"),
        format!("/v1/photo_comments/{missing}/flags"),
    ] {
        flag(&server, &flagger, &path, "ghost")
            .await
            .assert_error(404, "not_found");
    }
    let path = &targets[1].0;
    let (_, fresh) = sign_up(&server).await;
    for reason in ["", "   ", &"x".repeat(256)] {
        let refused = flag(&server, &fresh, path, reason).await;
        assert_eq!(refused.assert_error(400, "invalid")["field"], "reason");
    }
    let longest = flag(&server, &fresh, path, &"é".repeat(255)).await;
    assert_eq!(longest.status, 200, "255 characters: {}", longest.text());
    flag(&server, &fresh, "/v1/photos/not-an-id/flags", "x")
        .await
        .assert_error(400, "invalid");
    server
        .request(
            "POST",
            path,
            &[("content-type", "application/json")],
            br#"{"reason":"anonymous"}"#.to_vec(),
        )
        .await
        .assert_error(401, "unauthorized");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_counts_only_behind_a_proxy() {
    // The client forged 6.6.6.6; each trusted proxy appended the address it saw.
    let cases = [
        (false, 1, "6.6.6.6, 203.0.113.7", "127.0.0.1"),
        (true, 1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        (true, 2, "6.6.6.6, 203.0.113.7, 10.0.0.1", "203.0.113.7"),
    ];
    for (behind_proxy, proxy_hops, forwarded, expected_ip) in cases {
        let server = TestServer::start_with(
            |settings| {
                settings.app.behind_proxy = behind_proxy;
                settings.app.proxy_hops = NonZeroU32::new(proxy_hops).expect("hops");
            },
            |state| state,
        )
        .await;
        let (target, _) = sign_up(&server).await;
        let (flagger_id, flagger) = sign_up(&server).await;
        let auth = format!("Bearer {flagger}");
        let flagged = server
            .request(
                "POST",
                &format!("/v1/users/{target}/flags"),
                &[
                    ("authorization", &auth),
                    ("content-type", "application/json"),
                    ("x-forwarded-for", forwarded),
                ],
                br#"{"reason":"rude"}"#.to_vec(),
            )
            .await;
        assert_eq!(flagged.status, 200, "{}", flagged.text());
        check_flag(
            &flagged.json(),
            &format!("user:{target}"),
            &flagger_id,
            "rude",
            expected_ip,
        );
        server.stop().await;
    }
}
