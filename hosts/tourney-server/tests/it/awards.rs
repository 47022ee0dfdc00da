//! Weekly awards over HTTP: once the week has ended (the worker's clock is injected), the
//! top three of the category's week board get first, second and third place, once even when
//! the job runs twice or in two workers at once; owners read them, others get 403.

use std::time::Duration;

use tourney_core::Timestamp;
use tourney_core::service::IsoWeek;
use tourney_worker::Worker;

use crate::support::{call, ready_photos, sign_up, start_with_places};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weeks_top_three_are_awarded_once_and_shown_to_their_owners() {
    let server = start_with_places().await;
    let week = IsoWeek::containing(tourney_worker::now());
    let photos = ready_photos(&server, 4, 60).await;
    let (_, viewer) = sign_up(&server).await;
    let board = call(
        &server,
        "GET",
        "/v1/leaderboards/female/all?when=thisweek",
        &viewer,
        None,
    )
    .await;
    assert_eq!(board.status, 200, "{}", board.text());
    let board_order: Vec<String> = board.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|entry| entry["photo"]["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(board_order.len(), 4);

    let awards_of = async |photo_idx: usize| {
        let photo = &photos[photo_idx];
        let response = call(
            &server,
            "GET",
            &format!("/v1/photos/{}/awards", photo.id),
            &photo.owner_token,
            None,
        )
        .await;
        assert_eq!(response.status, 200, "{}", response.text());
        response.json()["items"].as_array().expect("items").clone()
    };
    for photo_idx in 0..4 {
        assert!(awards_of(photo_idx).await.is_empty(), "nothing mid-week");
    }

    // Two workers at once, a minute after the week ended, then one of them again.
    let after_the_week = week.end().saturating_add(Duration::from_secs(60));
    let first = Worker::new(server.game.clone(), Duration::from_millis(1));
    let second = Worker::new(server.game.clone(), Duration::from_millis(1));
    let (one, two) = tokio::join!(
        first.run_once(after_the_week),
        second.run_once(after_the_week)
    );
    let (one, two) = (one.expect("a step"), two.expect("a step"));
    assert_eq!(one.awards.awards + two.awards.awards, 3, "{one:?} {two:?}");
    let again = first
        .run_once(Timestamp::from_millis(after_the_week.millis() + 1))
        .await
        .expect("a step");
    assert_eq!(again.awards.awards, 0);

    for (photo_idx, photo) in photos.iter().enumerate() {
        let awards = awards_of(photo_idx).await;
        let rank = board_order
            .iter()
            .position(|id| *id == photo.id)
            .expect("on the board");
        if rank >= 3 {
            assert!(awards.is_empty(), "fourth gets nothing: {awards:?}");
            continue;
        }
        assert_eq!(awards.len(), 1, "{awards:?}");
        let award = &awards[0];
        assert_eq!(award["category"], "female");
        assert_eq!(award["week"], week.label());
        assert_eq!(award["place"], rank + 1);
        assert!(
            award["awarded_at"]
                .as_str()
                .is_some_and(|at| at.ends_with('Z')),
            "{award}"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_owners_read_awards() {
    let server = start_with_places().await;
    let photos = ready_photos(&server, 1, 70).await;
    let path = format!("/v1/photos/{}/awards", photos[0].id);
    let (_, stranger) = sign_up(&server).await;
    call(&server, "GET", &path, &stranger, None)
        .await
        .assert_error(403, "forbidden");
    server.get(&path).await.assert_error(401, "unauthorized");
    let unknown = "/v1/photos/0123456789abcdef0123456789abcdef/awards";
    call(&server, "GET", unknown, &stranger, None)
        .await
        .assert_error(404, "not_found");
    call(&server, "GET", "/v1/photos/nope/awards", &stranger, None)
        .await
        .assert_error(400, "invalid");
    let own = call(&server, "GET", &path, &photos[0].owner_token, None).await;
    assert_eq!(own.status, 200, "{}", own.text());
    assert_eq!(own.json()["items"], serde_json::json!([]));
    server.stop().await;
}
