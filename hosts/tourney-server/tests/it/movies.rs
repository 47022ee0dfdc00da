//! Movies through the photo upload flow: an MP4 built in code becomes `ready` with a drawn
//! cover at the three rendition sizes and its original served back; truncated or garbage
//! bodies declared as MP4 end `rejected` with a reason; movies are matched only with movies.

use std::collections::BTreeSet;

use serde_json::json;
use tourney_media::{ContentType, Limits, RenditionSize};

use crate::support::{
    TestServer, call, drain, ready_photos, sign_up, start_with_places, upload_with,
};

/// A box: 32-bit size, type, payload (ISO/IEC 14496-12).
fn mp4_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let size = u32::try_from(payload.len() + 8).expect("box fits u32");
    let mut bytes = size.to_be_bytes().to_vec();
    bytes.extend_from_slice(kind);
    bytes.extend_from_slice(payload);
    bytes
}

/// A full box: its payload starts with a version byte and 24 bits of flags.
fn full_box(kind: &[u8; 4], flags: u32, payload: &[u8]) -> Vec<u8> {
    let mut content = vec![0];
    content.extend_from_slice(&flags.to_be_bytes()[1..]);
    content.extend_from_slice(payload);
    mp4_box(kind, &content)
}

fn u32s(values: &[u32]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|value| value.to_be_bytes())
        .collect()
}

/// The identity transformation matrix of movie and track headers (16.16 and 2.30 fixed).
const IDENTITY: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];
/// The one "frame" in the mdat (a tiny H.264 NAL unit; frames are not decoded).
const SAMPLE: [u8; 8] = [0, 0, 0, 4, 0x65, 0x88, 0x84, 0x00];
/// Ticks per second, and a two-second duration in them.
const TIMESCALE: u32 = 90_000;
const DURATION: u32 = 180_000;

/// A minimal MP4 of `width` x `height`: ftyp, moov (mvhd, one video trak with tkhd and a
/// full mdia/minf/stbl with an avc1 sample entry), then an mdat holding one sample; the same
/// layout as `tourney-media`'s test builder.
fn build_mp4(width: u16, height: u16) -> Vec<u8> {
    let ftyp = mp4_box(b"ftyp", b"isom\0\0\0\0isomisom");
    // The chunk offset does not change the moov's size: build once to measure, once for real.
    let moov_len = moov(width, height, 0).len();
    let sample_offset = u32::try_from(ftyp.len() + moov_len + 8).expect("small file");
    let mut bytes = ftyp;
    bytes.extend(moov(width, height, sample_offset));
    bytes.extend(mp4_box(b"mdat", &SAMPLE));
    bytes
}

fn moov(width: u16, height: u16, sample_offset: u32) -> Vec<u8> {
    let mut mvhd = u32s(&[0, 0, TIMESCALE, DURATION, 0x0001_0000]);
    mvhd.extend(0x0100u16.to_be_bytes());
    mvhd.extend([0; 10]);
    mvhd.extend(u32s(&IDENTITY));
    mvhd.extend([0; 24]);
    mvhd.extend(2u32.to_be_bytes());

    let mut tkhd = u32s(&[0, 0, 1, 0, DURATION, 0, 0]);
    tkhd.extend([0; 8]);
    tkhd.extend(u32s(&IDENTITY));
    tkhd.extend(u32s(&[u32::from(width) << 16, u32::from(height) << 16]));

    let mut mdhd = u32s(&[0, 0, TIMESCALE, DURATION]);
    mdhd.extend(0x55C4u16.to_be_bytes());
    mdhd.extend(0u16.to_be_bytes());
    let mut hdlr = 0u32.to_be_bytes().to_vec();
    hdlr.extend(b"vide");
    hdlr.extend([0; 12]);
    hdlr.extend(b"Handler\0");

    let mut avc1 = vec![0; 6];
    avc1.extend(1u16.to_be_bytes());
    avc1.extend([0; 16]);
    avc1.extend(width.to_be_bytes());
    avc1.extend(height.to_be_bytes());
    avc1.extend(u32s(&[0x0048_0000, 0x0048_0000, 0]));
    avc1.extend(1u16.to_be_bytes());
    avc1.extend([0; 32]);
    avc1.extend(0x0018u16.to_be_bytes());
    avc1.extend(0xFFFFu16.to_be_bytes());
    avc1.extend(mp4_box(b"avcC", &[1, 0x42, 0xC0, 0x1E, 0xFF, 0xE0, 0x00]));
    let mut stsd = 1u32.to_be_bytes().to_vec();
    stsd.extend(mp4_box(b"avc1", &avc1));
    let sample_len = u32::try_from(SAMPLE.len()).expect("tiny sample");
    let mut stbl = full_box(b"stsd", 0, &stsd);
    stbl.extend(full_box(b"stts", 0, &u32s(&[1, 1, DURATION])));
    stbl.extend(full_box(b"stsc", 0, &u32s(&[1, 1, 1, 1])));
    stbl.extend(full_box(b"stsz", 0, &u32s(&[0, 1, sample_len])));
    stbl.extend(full_box(b"stco", 0, &u32s(&[1, sample_offset])));

    let mut dref = 1u32.to_be_bytes().to_vec();
    dref.extend(full_box(b"url ", 1, &[]));
    let mut minf = full_box(b"vmhd", 1, &[0; 8]);
    minf.extend(mp4_box(b"dinf", &full_box(b"dref", 0, &dref)));
    minf.extend(mp4_box(b"stbl", &stbl));

    let mut mdia = full_box(b"mdhd", 0, &mdhd);
    mdia.extend(full_box(b"hdlr", 0, &hdlr));
    mdia.extend(mp4_box(b"minf", &minf));
    // Track header flags 3: enabled, in movie.
    let mut trak = full_box(b"tkhd", 3, &tkhd);
    trak.extend(mp4_box(b"mdia", &mdia));

    let mut payload = full_box(b"mvhd", 0, &mvhd);
    payload.extend(mp4_box(b"trak", &trak));
    mp4_box(b"moov", &payload)
}

/// Uploads `bytes` as a movie (`video/mp4`) for `token`; returns its id.
async fn upload_movie(server: &TestServer, token: &str, bytes: Vec<u8>) -> String {
    let new_movie = json!({"media_type": "movie", "content_type": "video/mp4"});
    upload_with(server, token, new_movie, bytes).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_mp4_becomes_ready_with_a_cover_and_malformed_ones_are_rejected() {
    let server = start_with_places().await;
    let (_, owner) = sign_up(&server).await;
    let movie = build_mp4(640, 360);
    let good = upload_movie(&server, &owner, movie.clone()).await;
    let truncated = upload_movie(&server, &owner, movie[..movie.len() / 2].to_vec()).await;
    let garbage = upload_movie(&server, &owner, b"this is no movie, just text".to_vec()).await;
    drain(&server).await;

    let ready = photo_view(&server, &owner, &good).await;
    assert_eq!(ready["state"], "ready", "{ready}");
    assert_eq!(ready["media_type"], "movie");
    // The cover fits inside each rendition's square, never enlarged: the 640 x 360 movie's
    // 16:9 frame at 240 and 480 px wide, and at its own size for the 960 px rendition.
    let expected_covers = [
        ("url_small", RenditionSize::Small, (240, 135)),
        ("url_medium", RenditionSize::Medium, (480, 270)),
        ("url_large", RenditionSize::Large, (640, 360)),
    ];
    for (field, size, expected_dimensions) in expected_covers {
        let url = ready[field].as_str().unwrap_or_else(|| panic!("{field}"));
        let cover = server.get(url).await;
        assert_eq!(
            (cover.status, cover.header("content-type")),
            (200, "image/jpeg"),
            "{field}"
        );
        let decoded =
            tourney_media::process_image(&cover.body, ContentType::ImageJpeg, &Limits::default())
                .unwrap_or_else(|rejection| panic!("{field} is no jpeg: {rejection}"));
        assert_eq!(
            (decoded.width, decoded.height),
            expected_dimensions,
            "{field} ({size:?})"
        );
    }
    let original = server
        .get(ready["url_original"].as_str().expect("url_original"))
        .await;
    assert_eq!(
        (original.status, original.header("content-type")),
        (200, "video/mp4")
    );
    assert_eq!(original.body, movie, "the original is the uploaded movie");

    for (id, reason) in [(truncated, "truncated"), (garbage, "bad_movie")] {
        let rejected = photo_view(&server, &owner, &id).await;
        assert_eq!(rejected["state"], "rejected", "{rejected}");
        assert_eq!(rejected["rejection_reason"], reason, "{rejected}");
        assert!(rejected["url_large"].is_null(), "{rejected}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn movies_are_matched_only_with_movies() {
    let server = start_with_places().await;
    let pictures = ready_photos(&server, 3, 300).await;
    let mut movies = Vec::new();
    for n in 0..3 {
        let (_, owner) = sign_up(&server).await;
        // Different sizes, so different bytes: no movie is a duplicate of another.
        movies.push(upload_movie(&server, &owner, build_mp4(320 + 16 * n, 180)).await);
    }
    drain(&server).await;

    // Three owners of each kind allow exactly three photo pairs and three movie pairs; a
    // response has room for ten, so it holds every allowed pair and nothing else.
    let unordered = |ids: &[&str]| -> BTreeSet<(String, String)> {
        let mut pairs = BTreeSet::new();
        for (idx, first) in ids.iter().enumerate() {
            for second in &ids[idx + 1..] {
                pairs.insert(ordered(first, second));
            }
        }
        pairs
    };
    let picture_ids: Vec<&str> = pictures.iter().map(|photo| photo.id.as_str()).collect();
    let movie_ids: Vec<&str> = movies.iter().map(String::as_str).collect();
    let mut expected = unordered(&picture_ids);
    expected.extend(unordered(&movie_ids));

    let (_, judge) = sign_up(&server).await;
    let response = call(&server, "GET", "/v1/users/me/matches", &judge, None).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    let mut proposed = BTreeSet::new();
    for proposal in body["matches"].as_array().expect("matches") {
        let (a, b) = (&proposal["photo_a"], &proposal["photo_b"]);
        assert_eq!(a["media_type"], b["media_type"], "never mixed: {proposal}");
        let pair = ordered(a["id"].as_str().expect("id"), b["id"].as_str().expect("id"));
        assert!(proposed.insert(pair), "no pair twice in {body}");
    }
    assert_eq!(proposed, expected, "{body}");
    server.stop().await;
}

/// `GET /v1/photos/{id}` as its owner sees it.
async fn photo_view(server: &TestServer, owner: &str, id: &str) -> serde_json::Value {
    let response = call(server, "GET", &format!("/v1/photos/{id}"), owner, None).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// A pair of ids as (smaller, larger).
fn ordered(first: &str, second: &str) -> (String, String) {
    if first < second {
        (first.to_owned(), second.to_owned())
    } else {
        (second.to_owned(), first.to_owned())
    }
}
