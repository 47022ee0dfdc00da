//! The caller's own photo at a size (`GET /v1/users/me/photos/{size}`): a JSON 404 until
//! a photo of theirs is processed, then a redirect to the rendition that fits inside
//! 240, 480 or 960 pixels, or to the original bytes; the profile photo, once one is set,
//! is chosen over the newest.

use serde_json::json;
use tourney_media::{ContentType, Limits, fit_inside};

use crate::support::{
    TestServer, call, drain, photo_json, sign_up, start_with_places, upload, upload_with,
};

/// Every size the route serves, with the photo field its redirect must equal and the side
/// of the square a rendition fits inside (`None`: the original).
const SIZES: [(&str, &str, Option<u32>); 4] = [
    ("small", "url_small", Some(240)),
    ("medium", "url_medium", Some(480)),
    ("game", "url_large", Some(960)),
    ("original", "url_original", None),
];

/// Where `GET /v1/users/me/photos/{size}` redirects `token`, checked to be a 302.
async fn redirect_of(server: &TestServer, token: &str, size: &str) -> String {
    let path = format!("/v1/users/me/photos/{size}");
    let response = call(server, "GET", &path, token, None).await;
    assert_eq!(response.status, 302, "{size}: {}", response.text());
    let location = response.header("location");
    assert!(!location.is_empty(), "{size}: a location header");
    location.to_owned()
}

/// The bytes the original size of `token`'s own photo redirects to.
async fn own_original(server: &TestServer, token: &str) -> Vec<u8> {
    let location = redirect_of(server, token, "original").await;
    let original = server.get(&location).await;
    assert_eq!(original.status, 200, "{location}: {}", original.text());
    original.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_size_redirects_to_the_processed_image() {
    let server = start_with_places().await;
    let (_, token) = sign_up(&server).await;
    for (size, _, _) in SIZES {
        call(
            &server,
            "GET",
            &format!("/v1/users/me/photos/{size}"),
            &token,
            None,
        )
        .await
        .assert_error(404, "not_found");
    }
    let (width, height) = (1200, 800);
    let jpeg = tourney_media::generate_demo_image(11, width, height);
    let photo_id = upload(&server, &token, jpeg.clone(), "image/jpeg").await;
    call(&server, "GET", "/v1/users/me/photos/small", &token, None)
        .await
        .assert_error(404, "not_found");
    drain(&server).await;

    let photo = photo_json(&server, &token, &photo_id).await;
    assert_eq!(photo["state"], "ready", "{photo}");
    for (size, field, max_side) in SIZES {
        let location = redirect_of(&server, &token, size).await;
        assert_eq!(location, photo[field].as_str().expect("url"), "{size}");
        let image = server.get(&location).await;
        assert_eq!(image.status, 200, "{size}: {}", image.text());
        assert_eq!(image.header("content-type"), "image/jpeg", "{size}");
        match max_side {
            Some(max_side) => {
                let decoded = tourney_media::process_image(
                    &image.body,
                    ContentType::ImageJpeg,
                    &Limits::default(),
                )
                .unwrap_or_else(|rejection| panic!("{size} is no jpeg: {rejection}"));
                assert_eq!(
                    (decoded.width, decoded.height),
                    fit_inside(width, height, max_side),
                    "{size} fits inside {max_side} px"
                );
            }
            None => assert_eq!(image.body, jpeg, "the original is the uploaded bytes"),
        }
    }

    let unknown = call(&server, "GET", "/v1/users/me/photos/huge", &token, None)
        .await
        .assert_error(400, "invalid");
    assert_eq!(unknown["field"], "size", "{unknown}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_profile_photo_is_chosen_over_the_newest() {
    let server = start_with_places().await;
    let (_, token) = sign_up(&server).await;
    let jpegs: Vec<Vec<u8>> = (20..24)
        .map(|seed| tourney_media::generate_demo_image(seed, 320, 240))
        .collect();

    upload(&server, &token, jpegs[0].clone(), "image/jpeg").await;
    drain(&server).await;
    assert_eq!(
        own_original(&server, &token).await,
        jpegs[0],
        "the only photo"
    );
    upload(&server, &token, jpegs[1].clone(), "image/jpeg").await;
    drain(&server).await;
    assert_eq!(
        own_original(&server, &token).await,
        jpegs[1],
        "the newest photo"
    );

    let profile_id = upload_with(
        &server,
        &token,
        json!({"content_type": "image/jpeg", "set_as_profile_photo": true}),
        jpegs[2].clone(),
    )
    .await;
    upload(&server, &token, jpegs[3].clone(), "image/jpeg").await;
    drain(&server).await;
    let me = call(&server, "GET", "/v1/users/me", &token, None).await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["profile_photo"], profile_id.as_str());
    assert_eq!(
        own_original(&server, &token).await,
        jpegs[2],
        "the profile photo, though a newer one is ready"
    );
    let profile = photo_json(&server, &token, &profile_id).await;
    for (size, field, _) in SIZES {
        assert_eq!(
            redirect_of(&server, &token, size).await,
            profile[field].as_str().expect("url"),
            "{size}"
        );
    }
    server.stop().await;
}
