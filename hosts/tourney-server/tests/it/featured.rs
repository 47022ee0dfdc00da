//! `GET /v1/leaderboards/{category}`: the featured places' boards, in the configured order,
//! places missing from the dataset left out.

use crate::support::{call, ready_photos, start_with_places};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn featured_boards_show_each_featured_place_in_order() {
    // The default featured places are 19 US cities; this dataset holds two of them.
    let server = start_with_places().await;
    let photos = ready_photos(&server, 3, 800).await;
    let token = &photos[0].owner_token;

    let response = call(&server, "GET", "/v1/leaderboards/female", token, None).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    let places = body["places"].as_array().expect("places");
    let names: Vec<&str> = places
        .iter()
        .map(|board| board["place"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Los Angeles", "San Francisco"],
        "the setting's order"
    );
    let mut ranked: Vec<&str> = places[0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["photo"]["id"].as_str().unwrap())
        .collect();
    ranked.sort_unstable();
    let mut expected: Vec<&str> = photos.iter().map(|photo| photo.id.as_str()).collect();
    expected.sort_unstable();
    assert_eq!(ranked, expected);
    assert_eq!(places[1]["items"], serde_json::json!([]));

    let one = call(
        &server,
        "GET",
        "/v1/leaderboards/female?count=1",
        token,
        None,
    )
    .await
    .json();
    assert_eq!(one["places"][0]["items"].as_array().unwrap().len(), 1);
    let bad = call(
        &server,
        "GET",
        "/v1/leaderboards/female?when=soon",
        token,
        None,
    )
    .await;
    assert_eq!(bad.assert_error(400, "invalid")["field"], "when");
    let unknown = call(&server, "GET", "/v1/leaderboards/nope", token, None).await;
    assert_eq!(unknown.assert_error(400, "invalid")["field"], "category");
    server.stop().await;
}
