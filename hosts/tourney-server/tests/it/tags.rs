//! Tags through the API: tags given at upload and added later by the owner (any case,
//! spaces and emoji percent-encoded), tag search per category (the spec's `HAND` example),
//! tag boards paged by cursor and ranked by the scores, and matches among a tag's photos.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::{
    ReadyPhoto, TestServer, call, drain, path_segment, photo_json, ready_photos_with, sign_up,
    start_with_places, upload_with,
};

/// The `POST /v1/photos` body of a JPEG in `category` tagged `tags`.
fn tagged(category: &str, tags: &[&str]) -> Value {
    json!({"content_type": "image/jpeg", "category": category, "tags": tags})
}

/// A JSON array of strings as a vector.
fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("an array: {value}"))
        .iter()
        .map(|item| item.as_str().expect("a string").to_owned())
        .collect()
}

/// Whether a photo's JSON carries `tag`, in any case.
fn carries(photo: &Value, tag: &str) -> bool {
    strings(&photo["tags"])
        .iter()
        .any(|carried| carried.to_lowercase() == tag.to_lowercase())
}

/// The ids of `photos`.
fn ids(photos: &[ReadyPhoto]) -> BTreeSet<String> {
    photos.iter().map(|photo| photo.id.clone()).collect()
}

/// The tag hits of `GET /v1/tags/search/{category}/{term}`, checked to be 200.
async fn search(server: &TestServer, token: &str, category: &str, term: &str) -> Vec<Value> {
    let path = format!("/v1/tags/search/{category}/{}", path_segment(term));
    let found = call(server, "GET", &path, token, None).await;
    assert_eq!(found.status, 200, "{}", found.text());
    let found = found.json();
    assert!(found["next_cursor"].is_null(), "{found}");
    found["items"].as_array().expect("items").clone()
}

/// Every entry of a tag's board, read `count` at a time by following `next_cursor`.
async fn read_tag_board(
    server: &TestServer,
    token: &str,
    category: &str,
    tag: &str,
    count: usize,
) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut path = format!("/v1/tags/{category}/{}?count={count}", path_segment(tag));
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={}", path_segment(cursor)));
        }
        let page = call(server, "GET", &path, token, None).await;
        assert_eq!(page.status, 200, "{}", page.text());
        let page = page.json();
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= count, "a page of at most {count}: {page}");
        entries.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return entries,
        }
    }
    panic!("the board of {tag} never ended");
}

/// Checks a whole board: each photo once, ranks 1, 2, 3..., and the board's order (the
/// ranking key `value` descending, ties by photo id ascending); returns the photo ids in
/// board order.
fn check_board_order(entries: &[Value]) -> Vec<String> {
    let board_ids: Vec<String> = entries
        .iter()
        .map(|entry| entry["photo"]["id"].as_str().expect("photo id").to_owned())
        .collect();
    let distinct: BTreeSet<&String> = board_ids.iter().collect();
    assert_eq!(
        distinct.len(),
        board_ids.len(),
        "no duplicates: {board_ids:?}"
    );
    for (position, entry) in entries.iter().enumerate() {
        assert_eq!(entry["rank"], position + 1, "{entry}");
    }
    for (pair, ids) in entries.windows(2).zip(board_ids.windows(2)) {
        let (higher, lower) = (
            pair[0]["value"].as_f64().expect("value"),
            pair[1]["value"].as_f64().expect("value"),
        );
        // Ahead: a higher key, or the same key and a smaller id.
        assert!(
            higher.total_cmp(&lower).then(ids[1].cmp(&ids[0])) == Ordering::Greater,
            "board order: {} ({higher}) before {} ({lower})",
            ids[0],
            ids[1]
        );
    }
    board_ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tags_given_at_upload_or_added_by_the_owner_are_kept_as_first_typed() {
    let server = start_with_places().await;
    let photos = ready_photos_with(
        &server,
        &[
            tagged("female", &["Sunset", "  beach  ", "SUNSET"]),
            tagged("female", &[]),
        ],
        100,
    )
    .await;
    let (photo, other) = (&photos[0], &photos[1]);
    let view = photo_json(&server, &other.owner_token, &photo.id).await;
    assert_eq!(
        strings(&view["tags"]),
        ["Sunset", "beach"],
        "trimmed, and a tag repeated in another case dropped: {view}"
    );

    let tag_path = |tag: &str, photo_id: &str| format!("/v1/tags/{}/{photo_id}", path_segment(tag));
    let emoji_tag = "Golden Hour 🌅";
    let added = call(
        &server,
        "PUT",
        &tag_path(emoji_tag, &photo.id),
        &photo.owner_token,
        None,
    )
    .await;
    assert_eq!(added.status, 200, "{}", added.text());
    let added = added.json();
    assert_eq!(added["id"], photo.id.as_str());
    assert_eq!(strings(&added["tags"]), ["Sunset", "beach", emoji_tag]);
    for same_tag_again in ["golden hour 🌅", "SUNSET", "Beach"] {
        let again = call(
            &server,
            "PUT",
            &tag_path(same_tag_again, &photo.id),
            &photo.owner_token,
            None,
        )
        .await;
        assert_eq!(again.status, 200, "{}", again.text());
        assert_eq!(
            strings(&again.json()["tags"]),
            ["Sunset", "beach", emoji_tag],
            "{same_tag_again} is already there"
        );
    }
    let view = photo_json(&server, &other.owner_token, &photo.id).await;
    assert_eq!(strings(&view["tags"]), ["Sunset", "beach", emoji_tag]);
    // A competing photo joins the new tag's board at once, found in any case.
    let board = read_tag_board(&server, &other.owner_token, "female", "GOLDEN HOUR 🌅", 10).await;
    assert_eq!(check_board_order(&board), [photo.id.as_str()]);

    let forbidden = call(
        &server,
        "PUT",
        &tag_path("mine now", &photo.id),
        &other.owner_token,
        None,
    )
    .await;
    forbidden.assert_error(403, "forbidden");
    let unknown_id = format!(
        "{}{}",
        &photo.id[..31],
        if photo.id.ends_with('0') { '1' } else { '0' }
    );
    call(
        &server,
        "PUT",
        &tag_path("nowhere", &unknown_id),
        &photo.owner_token,
        None,
    )
    .await
    .assert_error(404, "not_found");
    let bad_id = call(
        &server,
        "PUT",
        &tag_path("nowhere", "not-a-photo-id"),
        &photo.owner_token,
        None,
    )
    .await
    .assert_error(400, "invalid");
    assert_eq!(bad_id["field"], "photo_id", "{bad_id}");
    let too_long = call(
        &server,
        "PUT",
        &tag_path(&"x".repeat(51), &photo.id),
        &photo.owner_token,
        None,
    )
    .await
    .assert_error(400, "invalid");
    assert_eq!(too_long["field"], "tag", "{too_long}");
    let unchanged = photo_json(&server, &photo.owner_token, &photo.id).await;
    assert_eq!(strings(&unchanged["tags"]), ["Sunset", "beach", emoji_tag]);

    let slash = call(
        &server,
        "POST",
        "/v1/photos",
        &photo.owner_token,
        Some(tagged("female", &["before/after"])),
    )
    .await
    .assert_error(400, "invalid");
    assert_eq!(slash["field"], "tag", "{slash}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tag_search_ranks_prefix_then_contains_with_covers_and_counts() {
    let server = start_with_places().await;
    let photos = ready_photos_with(
        &server,
        &[
            tagged("female", &["HANDinHAND"]),
            tagged("female", &["TheHandover"]),
            tagged("female", &["GottaHandItToYou", "Street"]),
            tagged("female", &["Street"]),
            tagged("cars", &["Handbrake"]),
        ],
        200,
    )
    .await;
    // The same tag typed in another case later: counted, shown as first typed.
    let later = ready_photos_with(&server, &[tagged("female", &["handinhand"])], 210).await;
    // Tags whose only photo does not compete: never uploaded, and rejected.
    let (_, owner) = sign_up(&server).await;
    let pending = call(
        &server,
        "POST",
        "/v1/photos",
        &owner,
        Some(tagged("female", &["Handbag"])),
    )
    .await;
    assert_eq!(pending.status, 202, "{}", pending.text());
    let rejected = upload_with(
        &server,
        &owner,
        tagged("female", &["Handcuffs"]),
        b"no picture at all".to_vec(),
    )
    .await;
    drain(&server).await;
    assert_eq!(
        photo_json(&server, &owner, &rejected).await["state"],
        "rejected"
    );

    let (_, viewer) = sign_up(&server).await;
    let expected = [
        (
            "HANDinHAND",
            2,
            BTreeSet::from([photos[0].id.clone(), later[0].id.clone()]),
        ),
        ("TheHandover", 1, BTreeSet::from([photos[1].id.clone()])),
        (
            "GottaHandItToYou",
            1,
            BTreeSet::from([photos[2].id.clone()]),
        ),
    ];
    for term in ["HAND", "hand"] {
        let hits = search(&server, &viewer, "female", term).await;
        let found: Vec<(&str, u64)> = hits
            .iter()
            .map(|hit| {
                (
                    hit["tag"].as_str().expect("tag"),
                    hit["n_photos"].as_u64().expect("n_photos"),
                )
            })
            .collect();
        // Exact, then prefix, then contains; within a kind shorter terms first.
        let wanted: Vec<(&str, u64)> = expected.iter().map(|(tag, n, _)| (*tag, *n)).collect();
        assert_eq!(found, wanted, "search for {term}");
        for (hit, (tag, _, carriers)) in hits.iter().zip(&expected) {
            let cover = &hit["cover_photo"];
            let cover_id = cover["id"].as_str().expect("cover id");
            assert!(
                carriers.contains(cover_id),
                "{tag}'s cover is one of its photos: {hit}"
            );
            assert!(carries(cover, tag), "{hit}");
            assert_eq!(cover["state"], "ready", "{hit}");
            for field in ["url_small", "url_medium", "url_large", "url_original"] {
                assert!(cover[field].is_string(), "{field} of {hit}");
            }
        }
    }
    let cover_url =
        search(&server, &viewer, "female", "HANDinHAND").await[0]["cover_photo"]["url_small"]
            .as_str()
            .expect("url_small")
            .to_owned();
    let cover = server.get(&cover_url).await;
    assert_eq!(
        (cover.status, cover.header("content-type")),
        (200, "image/jpeg")
    );

    let cars: Vec<Value> = search(&server, &viewer, "cars", "HAND").await;
    assert_eq!(cars.len(), 1, "{cars:?}");
    assert_eq!(cars[0]["tag"], "Handbrake");
    assert_eq!(cars[0]["cover_photo"]["id"], photos[4].id.as_str());

    let slash = call(
        &server,
        "GET",
        "/v1/tags/search/female/HAND%2FFOOT",
        &viewer,
        None,
    )
    .await
    .assert_error(400, "invalid");
    assert_eq!(slash["field"], "term", "{slash}");
    let unknown_category = call(
        &server,
        "GET",
        "/v1/tags/search/bicycles/HAND",
        &viewer,
        None,
    )
    .await
    .assert_error(400, "invalid");
    assert_eq!(unknown_category["field"], "category", "{unknown_category}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tag_boards_page_without_gaps_and_follow_the_scores() {
    let server = start_with_places().await;
    let photos = ready_photos_with(
        &server,
        &[
            tagged("female", &["Dog"]),
            tagged("female", &["dog", "Park"]),
            tagged("female", &["DOG"]),
            tagged("female", &["dOg"]),
            tagged("female", &["Dog"]),
            tagged("female", &["Cat"]),
            tagged("cars", &["Dog"]),
        ],
        300,
    )
    .await;
    let dogs = &photos[..5];
    let dog_ids = ids(dogs);
    let (_, judge) = sign_up(&server).await;

    let before = read_tag_board(&server, &judge, "female", "dog", 2).await;
    let before_ids = check_board_order(&before);
    assert_eq!(
        before_ids.iter().cloned().collect::<BTreeSet<_>>(),
        dog_ids,
        "every female photo tagged dog, in any case, once"
    );
    // Nobody has played: the keys tie, and ties go by photo id.
    assert!(
        before_ids.windows(2).all(|pair| pair[0] < pair[1]),
        "{before_ids:?}"
    );
    let unknown_category = call(&server, "GET", "/v1/tags/bicycles/dog", &judge, None)
        .await
        .assert_error(400, "invalid");
    assert_eq!(unknown_category["field"], "category", "{unknown_category}");

    // The judge's votes make the last photo by id the champion: it wins every match it
    // plays; the other matches stay unjudged.
    let champion = before_ids.last().expect("a champion").clone();
    let proposed = call(&server, "GET", "/v1/users/me/tag_matches/DOG", &judge, None).await;
    assert_eq!(proposed.status, 200, "{}", proposed.text());
    let mut n_votes = 0;
    for proposal in proposed.json()["matches"].as_array().expect("matches") {
        let winner = if proposal["photo_a"]["id"] == champion.as_str() {
            "a"
        } else if proposal["photo_b"]["id"] == champion.as_str() {
            "b"
        } else {
            continue;
        };
        let path = format!(
            "/v1/users/me/matches/{}",
            proposal["match_id"].as_str().expect("match id")
        );
        let voted = call(
            &server,
            "PUT",
            &path,
            &judge,
            Some(json!({"winner": winner})),
        )
        .await;
        assert_eq!(voted.status, 200, "{}", voted.text());
        n_votes += 1;
    }
    assert!(n_votes > 0, "the champion played");
    assert_eq!(drain(&server).await, n_votes, "every vote scored");

    let after = read_tag_board(&server, &judge, "female", "Dog", 2).await;
    let after_ids = check_board_order(&after);
    assert_eq!(after_ids.iter().cloned().collect::<BTreeSet<_>>(), dog_ids);
    assert_eq!(after_ids[0], champion, "the champion tops the board");
    assert_eq!(after[0]["games"], n_votes, "{}", after[0]);
    for entry in &after {
        let photo_id = entry["photo"]["id"].as_str().expect("id");
        let photo = photo_json(&server, &judge, photo_id).await;
        let (board_score, photo_score) = (
            entry["score"].as_f64().expect("score"),
            photo["score"].as_f64().expect("score"),
        );
        assert!(
            (board_score - photo_score).abs() < 1e-9,
            "the board shows {photo_id}'s stored score: {board_score} v {photo_score}"
        );
        if photo_id == champion {
            assert!(board_score > 1500.0, "{entry}");
        } else if entry["games"].as_u64().expect("games") > 0 {
            assert!(board_score < 1500.0, "lost to the champion: {entry}");
        }
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tag_matches_pair_only_photos_carrying_the_tag() {
    let server = start_with_places().await;
    let photos = ready_photos_with(
        &server,
        &[
            tagged("female", &["Sunset"]),
            tagged("female", &["SUNSET", "Beach"]),
            tagged("female", &["sunset"]),
            tagged("female", &["SunSet"]),
            tagged("female", &["Street"]),
            tagged("female", &["Street"]),
            tagged("female", &["Lonely"]),
            tagged("cars", &["sunset"]),
        ],
        400,
    )
    .await;
    let sunset_ids = ids(&photos[..4]);
    let (_, judge) = sign_up(&server).await;

    for tag in ["sunset", "SUNSET"] {
        let proposed = call(
            &server,
            "GET",
            &format!("/v1/users/me/tag_matches/{}", path_segment(tag)),
            &judge,
            None,
        )
        .await;
        assert_eq!(proposed.status, 200, "{}", proposed.text());
        let proposed = proposed.json();
        assert!(proposed["tournament"].is_null(), "{proposed}");
        let matches = proposed["matches"].as_array().expect("matches");
        assert!(!matches.is_empty(), "{proposed}");
        let mut pairs = BTreeSet::new();
        for proposal in matches {
            let (a, b) = (&proposal["photo_a"], &proposal["photo_b"]);
            for photo in [a, b] {
                assert!(carries(photo, "sunset"), "{proposal}");
                assert_eq!(photo["category"], "female", "{proposal}");
                assert!(
                    sunset_ids.contains(photo["id"].as_str().expect("id")),
                    "{proposal}"
                );
            }
            let pair = (a["id"].as_str().expect("a"), b["id"].as_str().expect("b"));
            assert!(pair.0 < pair.1, "a is the smaller id: {proposal}");
            assert!(
                pairs.insert(pair),
                "no pair twice in one response: {proposal}"
            );
        }
    }
    // A tag match is remembered like any proposal: it takes a vote.
    let proposed = call(
        &server,
        "GET",
        "/v1/users/me/tag_matches/Sunset",
        &judge,
        None,
    )
    .await;
    assert_eq!(proposed.status, 200, "{}", proposed.text());
    let match_id = proposed.json()["matches"][0]["match_id"]
        .as_str()
        .expect("match id")
        .to_owned();
    let voted = call(
        &server,
        "PUT",
        &format!("/v1/users/me/matches/{match_id}"),
        &judge,
        Some(json!({"winner": "a"})),
    )
    .await;
    assert_eq!(voted.status, 200, "{}", voted.text());

    for scarce in ["Lonely", "Beach", "nobody has this"] {
        call(
            &server,
            "GET",
            &format!("/v1/users/me/tag_matches/{}", path_segment(scarce)),
            &judge,
            None,
        )
        .await
        .assert_error(404, "not_enough_photos");
    }
    server.stop().await;
}
