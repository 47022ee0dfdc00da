//! Trending and featured tags over HTTP: the worker's schedule (its clock injected)
//! recomputes decaying counts of tag uses, halving every `app.trending_half_life_secs`, with
//! ties kept and a cover photo per tag; featured tags (`app.featured_tags`) come in the
//! configured order with their covers; bad settings stop start-up naming the key.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use tourney_core::Timestamp;
use tourney_worker::Worker;

use crate::support::{TestServer, call, path_segment, ready_photos_with, sign_up};

const HALF_LIFE_SECS: u64 = 600;

/// A server with a ten-minute half-life, featured female tags `Zeta`, `alpha`, `missing`,
/// and the default place (Los Angeles) in its places.
async fn start() -> TestServer {
    let server = TestServer::start_with(
        |settings| {
            settings.app.trending_half_life_secs = HALF_LIFE_SECS;
            settings.app.featured_tags = BTreeMap::from([
                (
                    "female".to_owned(),
                    vec!["Zeta".to_owned(), "alpha".to_owned(), "missing".to_owned()],
                ),
                ("cars".to_owned(), Vec::new()),
            ]);
        },
        |state| state,
    )
    .await;
    server
        .ports
        .places
        .load(vec![ocean::places::Place {
            id: "5368361".to_owned(),
            name: "Los Angeles".to_owned(),
            region: "CA".to_owned(),
            country: "us".to_owned(),
            lat: 34.05,
            lon: -118.24,
            population: Some(1_000_000),
        }])
        .await
        .expect("load places");
    server
}

/// (tag, score, cover photo id) of `GET /v1/tags/trending/female`.
async fn trending(server: &TestServer, token: &str) -> Vec<(String, f64, String)> {
    let response = call(server, "GET", "/v1/tags/trending/female", token, None).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert!(body["next_cursor"].is_null(), "{body}");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            (
                item["tag"].as_str().expect("tag").to_owned(),
                item["score"].as_f64().expect("score"),
                item["cover_photo"]["id"]
                    .as_str()
                    .expect("cover")
                    .to_owned(),
            )
        })
        .collect()
}

fn tagged(tags: &[&str]) -> Value {
    json!({"content_type": "image/jpeg", "category": "female", "tags": tags})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trending_tags_decay_with_the_workers_clock_and_keep_ties() {
    let server = start().await;
    let photos = ready_photos_with(
        &server,
        &[
            tagged(&["Alpha", "Beta"]),
            tagged(&["zeta"]),
            tagged(&["ZETA"]),
        ],
        80,
    )
    .await;
    let (_, viewer) = sign_up(&server).await;
    let worker = Worker::new(server.game.clone(), Duration::from_millis(1));
    let step = async |at: Timestamp| worker.run_once(at).await.expect("a step");

    let first_at = tourney_worker::now().saturating_add(Duration::from_secs(120));
    assert!(step(first_at).await.trending_refreshed);
    let first = trending(&server, &viewer).await;
    let tags: Vec<&str> = first.iter().map(|(tag, _, _)| tag.as_str()).collect();
    assert_eq!(tags, ["ZETA", "Alpha", "Beta"], "{first:?}");
    assert!(first[0].1 > first[1].1, "two uses beat one: {first:?}");
    assert_eq!(
        first[1].1.to_bits(),
        first[2].1.to_bits(),
        "a tie (exactly equal), both listed by tag"
    );
    assert_eq!(first[1].2, photos[0].id, "Alpha's cover");
    assert_eq!(first[2].2, photos[0].id, "Beta's cover");
    assert!([&photos[1].id, &photos[2].id].contains(&&first[0].2));

    // Within the interval nothing is recomputed; a half-life later every score has halved.
    let soon = first_at.saturating_add(Duration::from_secs(10));
    assert!(!step(soon).await.trending_refreshed);
    assert_eq!(trending(&server, &viewer).await, first);
    let half_life_later = first_at.saturating_add(Duration::from_secs(HALF_LIFE_SECS));
    assert!(step(half_life_later).await.trending_refreshed);
    let halved = trending(&server, &viewer).await;
    assert_eq!(halved.len(), first.len());
    for ((tag, before, _), (same_tag, after, _)) in first.iter().zip(&halved) {
        assert_eq!(tag, same_tag);
        assert!(
            (after - before / 2.0).abs() < 1e-12 * before,
            "{tag}: {before} then {after}"
        );
    }

    // An owner's new tag is one more use.
    let put = call(
        &server,
        "PUT",
        &format!("/v1/tags/Beta/{}", photos[1].id),
        &photos[1].owner_token,
        None,
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.text());
    let later = half_life_later.saturating_add(Duration::from_secs(60));
    assert!(step(later).await.trending_refreshed);
    let after_tagging = trending(&server, &viewer).await;
    let beta = after_tagging
        .iter()
        .find(|(tag, _, _)| tag == "Beta")
        .expect("Beta");
    let alpha = after_tagging
        .iter()
        .find(|(tag, _, _)| tag == "Alpha")
        .expect("Alpha");
    assert!(beta.1 > alpha.1, "{after_tagging:?}");

    // The tag boards are still served beside the trending and featured lists.
    let board = call(&server, "GET", "/v1/tags/female/zeta", &viewer, None).await;
    assert_eq!(board.status, 200, "{}", board.text());
    assert_eq!(board.json()["items"][0]["rank"], 1);
    call(&server, "GET", "/v1/tags/trending/nope", &viewer, None)
        .await
        .assert_error(400, "invalid");
    server
        .get("/v1/tags/trending/female")
        .await
        .assert_error(401, "unauthorized");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn featured_tags_come_in_the_configured_order_with_covers() {
    let server = start().await;
    let photos = ready_photos_with(
        &server,
        &[
            tagged(&["ALPHA"]),
            tagged(&["zeta"]),
            tagged(&["Zeta"]),
            tagged(&["Other"]),
        ],
        90,
    )
    .await;
    let (_, viewer) = sign_up(&server).await;
    let response = call(&server, "GET", "/v1/tags/female", &viewer, None).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    let items = body["items"].as_array().expect("items");
    let summary: Vec<(String, u64)> = items
        .iter()
        .map(|item| {
            (
                item["tag"].as_str().expect("tag").to_lowercase(),
                item["n_photos"].as_u64().expect("n_photos"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [("zeta".to_owned(), 2), ("alpha".to_owned(), 1)],
        "configured order, only tags with photos: {body}"
    );
    let zeta_cover = items[0]["cover_photo"]["id"].as_str().expect("id");
    assert!(
        [&photos[1].id, &photos[2].id].contains(&&zeta_cover.to_owned()),
        "{zeta_cover}"
    );
    assert_eq!(items[1]["cover_photo"]["id"], photos[0].id.as_str());
    assert_eq!(items[1]["tag"], "ALPHA", "shown as first typed");

    let cars = call(&server, "GET", "/v1/tags/cars", &viewer, None).await;
    assert_eq!(cars.json()["items"], json!([]));
    call(&server, "GET", "/v1/tags/nope", &viewer, None)
        .await
        .assert_error(400, "invalid");
    let search = format!("/v1/tags/search/female/{}", path_segment("zet"));
    assert_eq!(
        call(&server, "GET", &search, &viewer, None).await.status,
        200
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_trending_settings_stop_start_up_naming_the_key() {
    let dir = tempfile::tempdir().expect("a dir");
    let base = tourney_wiring::AppSettings {
        data_dir: dir.path().to_path_buf(),
        places: ocean::settings::PlacesBackend::Embedded {
            load_default_dataset: false,
            dataset_csv: None,
        },
        ..tourney_wiring::AppSettings::default()
    };
    let ports = tourney_wiring::open(&base).await.expect("ports");
    let mut zero_half_life = base.clone();
    zero_half_life.app.trending_half_life_secs = 0;
    let mut unknown_category = base.clone();
    unknown_category
        .app
        .featured_tags
        .insert("nope".to_owned(), vec!["x".to_owned()]);
    let mut bad_tag = base.clone();
    bad_tag
        .app
        .featured_tags
        .insert("cars".to_owned(), vec!["a/b".to_owned()]);
    for (settings, key) in [
        (zero_half_life, "app.trending_half_life_secs"),
        (unknown_category, "app.featured_tags.nope"),
        (bad_tag, "app.featured_tags.cars"),
    ] {
        let error = tourney_wiring::game(&ports, &settings).expect_err(key);
        assert!(format!("{error:#}").starts_with(key), "{error:#}");
    }
    assert!(tourney_wiring::game(&ports, &base).is_ok());
}

#[test]
fn the_settings_file_and_environment_set_the_trending_keys() {
    let dir = tempfile::tempdir().expect("a dir");
    std::fs::write(
        dir.path().join("tags.toml"),
        "[app]\ntrending_half_life_secs = 120\n\n[app.featured_tags]\ncars = [\"Classic\", \"vintage\"]\n",
    )
    .expect("write the settings file");
    let sources = ocean::settings::Sources {
        settings_dir: dir.path().to_path_buf(),
        name: Some("tags".to_owned()),
        env: vec![(
            "OCEAN__APP__TRENDING_INTERVAL_SECS".to_owned(),
            "30".to_owned(),
        )],
    };
    let settings = tourney_wiring::AppSettings::load_from(&sources).expect("settings");
    assert_eq!(settings.app.trending_half_life_secs, 120);
    assert_eq!(settings.app.trending_interval_secs, 30);
    assert_eq!(
        settings.app.featured_tags["cars"],
        ["Classic".to_owned(), "vintage".to_owned()]
    );
    assert_eq!(
        settings.app.featured_tags.len(),
        1,
        "the table replaces the default one whole"
    );
}
