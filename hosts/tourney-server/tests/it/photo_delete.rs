//! Deleting a photo: owner only, gone from every view and board, images removed, content
//! hash freed, and no longer the profile photo.

use serde_json::json;

use crate::support::{call, drain, ready_photos, sign_up, start_with_places, upload_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_deletes_a_photo_and_it_is_gone_everywhere() {
    let server = start_with_places().await;
    let photos = ready_photos(&server, 2, 700).await;
    let (owner_token, photo_id) = (&photos[0].owner_token, &photos[0].id);
    let path = format!("/v1/photos/{photo_id}");
    let view = call(&server, "GET", &path, owner_token, None).await.json();
    let image_url = view["url_large"].as_str().expect("url").to_owned();

    let (_, stranger) = sign_up(&server).await;
    call(&server, "DELETE", &path, &stranger, None)
        .await
        .assert_error(403, "forbidden");
    let deleted = call(&server, "DELETE", &path, owner_token, None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());

    for token in [owner_token.as_str(), stranger.as_str()] {
        call(&server, "GET", &path, token, None)
            .await
            .assert_error(404, "not_found");
    }
    assert_eq!(server.get(&image_url).await.status, 404, "images removed");
    let me = call(&server, "GET", "/v1/users/me", owner_token, None)
        .await
        .json();
    let mine = call(
        &server,
        "GET",
        &format!("/v1/users/{}/photos", me["id"].as_str().unwrap()),
        owner_token,
        None,
    )
    .await
    .json();
    assert_eq!(mine["items"], json!([]), "not in the owner's list");
    let board = call(
        &server,
        "GET",
        "/v1/leaderboards/female/all?when=alltime",
        &stranger,
        None,
    )
    .await
    .json();
    let on_board: Vec<&str> = board["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["photo"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        on_board,
        [photos[1].id.as_str()],
        "only the other photo is ranked"
    );
    call(&server, "DELETE", &path, owner_token, None)
        .await
        .assert_error(404, "not_found");

    // The same bytes may be uploaded again: the content hash was freed.
    let again = upload_with(
        &server,
        owner_token,
        json!({"content_type": "image/jpeg"}),
        tourney_media::generate_demo_image(700, 96, 72),
    )
    .await;
    drain(&server).await;
    let view = call(
        &server,
        "GET",
        &format!("/v1/photos/{again}"),
        owner_token,
        None,
    )
    .await
    .json();
    assert_eq!(view["state"], "ready", "{view}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_profile_photo_unsets_it() {
    let server = start_with_places().await;
    let (_, token) = sign_up(&server).await;
    let profile = upload_with(
        &server,
        &token,
        json!({"content_type": "image/jpeg", "enter_in_tournament": false, "set_as_profile_photo": true}),
        tourney_media::generate_demo_image(710, 96, 72),
    )
    .await;
    drain(&server).await;
    let me = call(&server, "GET", "/v1/users/me", &token, None)
        .await
        .json();
    assert_eq!(me["profile_photo"], profile.as_str(), "{me}");
    let deleted = call(
        &server,
        "DELETE",
        &format!("/v1/photos/{profile}"),
        &token,
        None,
    )
    .await;
    assert_eq!(deleted.status, 204);
    let me = call(&server, "GET", "/v1/users/me", &token, None)
        .await
        .json();
    assert!(me["profile_photo"].is_null(), "{me}");
    call(&server, "GET", "/v1/users/me/photos/small", &token, None)
        .await
        .assert_error(404, "not_found");
    server.stop().await;
}
