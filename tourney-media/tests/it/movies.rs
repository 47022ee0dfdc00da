//! Movies through `validate_movie`: MP4 and QuickTime files built in code accepted with their
//! size and duration, malformed, truncated, audio-only and mislabelled ones refused, and the
//! generated cover.

use tourney_media::{
    ContentType, Limits, MovieInfo, Rejection, RenditionSize, content_hash,
    movie_cover_placeholder, validate_movie,
};

use crate::fixtures::{gradient, jpeg};
use crate::mp4_builder::{MovieSpec, build_movie, moov, mp4_box, tkhd};

fn validate(bytes: &[u8], declared: ContentType) -> Result<MovieInfo, Rejection> {
    validate_movie(bytes, declared, &Limits::default())
}

#[test]
fn a_minimal_mp4_is_accepted_with_its_size_and_duration() {
    let bytes = build_movie(&MovieSpec::default());
    let info = validate(&bytes, ContentType::VideoMp4).expect("a valid mp4");
    assert_eq!(
        info,
        MovieInfo {
            duration_ms: 2000,
            width: 640,
            height: 360,
            content_hash: content_hash(&bytes),
        }
    );
}

#[test]
fn a_quicktime_movie_is_accepted_and_the_family_is_interchangeable() {
    let spec = MovieSpec {
        brand: *b"qt  ",
        timescale: 600,
        duration: 4500,
        ..MovieSpec::default()
    };
    let bytes = build_movie(&spec);
    let info = validate(&bytes, ContentType::VideoQuicktime).expect("a valid mov");
    assert_eq!(info.duration_ms, 7500);
    assert!(validate(&bytes, ContentType::VideoMp4).is_ok());
    let mp4 = build_movie(&MovieSpec::default());
    assert!(validate(&mp4, ContentType::VideoQuicktime).is_ok());
}

#[test]
fn a_portrait_phone_movie_reports_its_display_size() {
    let spec = MovieSpec {
        width: 1920,
        height: 1080,
        quarter_turn: true,
        ..MovieSpec::default()
    };
    let info = validate(&build_movie(&spec), ContentType::VideoMp4).expect("valid");
    assert_eq!((info.width, info.height), (1080, 1920));
}

#[test]
fn the_mdat_may_come_first_or_run_to_the_end_of_the_file() {
    let spec = MovieSpec {
        mdat_first: true,
        ..MovieSpec::default()
    };
    assert!(validate(&build_movie(&spec), ContentType::VideoMp4).is_ok());

    // ftyp, moov, then an mdat whose size field is 0: "to the end of the file".
    let complete = build_movie(&MovieSpec::default());
    let mdat_start = complete.len() - 16;
    let mut open_ended = complete[..mdat_start].to_vec();
    open_ended.extend([0, 0, 0, 0]);
    open_ended.extend(b"mdat");
    open_ended.extend([1, 2, 3, 4, 5]);
    assert!(validate(&open_ended, ContentType::VideoMp4).is_ok());
}

#[test]
fn an_audio_only_movie_has_no_video_track() {
    let spec = MovieSpec {
        handler: *b"soun",
        ..MovieSpec::default()
    };
    assert_eq!(
        validate(&build_movie(&spec), ContentType::VideoMp4),
        Err(Rejection::NoVideoTrack)
    );
}

#[test]
fn a_movie_cut_in_half_is_truncated() {
    let bytes = build_movie(&MovieSpec::default());
    let rejection =
        validate(&bytes[..bytes.len() / 2], ContentType::VideoMp4).expect_err("half a movie");
    assert_eq!(rejection.reason_code(), "truncated", "{rejection}");
}

#[test]
fn malformed_movies_are_refused() {
    let spec = MovieSpec::default();
    let ftyp = mp4_box(b"ftyp", b"isom\0\0\0\0isom");

    // A track header with an unknown version.
    let mut bad_tkhd = tkhd(&spec);
    bad_tkhd[8] = 9;
    let mut trak = mp4_box(b"trak", &bad_tkhd);
    let mut bytes = ftyp.clone();
    bytes.extend(mp4_box(b"moov", &trak));
    let rejection = validate(&bytes, ContentType::VideoMp4).expect_err("bad tkhd version");
    assert_eq!(rejection.reason_code(), "bad_movie", "{rejection}");

    // A child box claiming more bytes than its parent holds.
    trak = moov(&spec, 0);
    let claimed = u32::try_from(trak.len() * 2).expect("small");
    trak[8..12].copy_from_slice(&claimed.to_be_bytes());
    let mut bytes = ftyp.clone();
    bytes.extend(trak);
    let rejection = validate(&bytes, ContentType::VideoMp4).expect_err("overlong child");
    assert_eq!(rejection.reason_code(), "bad_movie", "{rejection}");

    // A top-level box smaller than its own header.
    let mut bytes = ftyp.clone();
    bytes.extend([0, 0, 0, 3]);
    bytes.extend(b"free");
    let rejection = validate(&bytes, ContentType::VideoMp4).expect_err("tiny box");
    assert_eq!(rejection.reason_code(), "bad_movie", "{rejection}");

    // No moov at all.
    let rejection = validate(&ftyp, ContentType::VideoMp4).expect_err("no moov");
    assert_eq!(rejection.reason_code(), "bad_movie", "{rejection}");
}

#[test]
fn pictures_and_junk_declared_as_movies_are_refused() {
    let picture = jpeg(&gradient(32, 32));
    assert_eq!(
        validate(&picture, ContentType::VideoMp4),
        Err(Rejection::TypeMismatch {
            declared: ContentType::VideoMp4,
            actual: "image/jpeg"
        })
    );
    let heic = mp4_box(b"ftyp", b"heic\0\0\0\0mif1heic");
    assert_eq!(
        validate(&heic, ContentType::VideoQuicktime),
        Err(Rejection::TypeMismatch {
            declared: ContentType::VideoQuicktime,
            actual: "image/heic"
        })
    );
    assert_eq!(
        validate(b"not a movie at all", ContentType::VideoMp4).map_err(|r| r.reason_code()),
        Err("bad_movie")
    );
    assert_eq!(validate(b"", ContentType::VideoMp4), Err(Rejection::Empty));
}

#[test]
fn movie_limits_apply() {
    let bytes = build_movie(&MovieSpec::default());
    let mut limits = Limits::default();
    limits.max_bytes = 64;
    assert_eq!(
        validate_movie(&bytes, ContentType::VideoMp4, &limits).map_err(|r| r.reason_code()),
        Err("too_large")
    );
    let mut limits = Limits::default();
    limits.max_pixels = 640 * 360 - 1;
    assert_eq!(
        validate_movie(&bytes, ContentType::VideoMp4, &limits).map_err(|r| r.reason_code()),
        Err("too_many_pixels")
    );
}

#[test]
fn the_cover_placeholder_has_three_decodable_renditions() {
    let bytes = build_movie(&MovieSpec::default());
    let info = validate(&bytes, ContentType::VideoMp4).expect("valid");
    let cover = movie_cover_placeholder(&info);
    assert_eq!(cover.content_hash, info.content_hash);
    let expected = [
        (RenditionSize::Small, 240, 135),
        (RenditionSize::Medium, 480, 270),
        (RenditionSize::Large, 640, 360),
    ];
    for (rendition, (size, width, height)) in cover.renditions.iter().zip(expected) {
        assert_eq!(
            (rendition.size, rendition.width, rendition.height),
            (size, width, height)
        );
        let decoded = image::load_from_memory(&rendition.jpeg)
            .expect("a cover is a jpeg")
            .into_rgb8();
        assert_eq!(decoded.dimensions(), (width, height));
        // Dark corners, a light play triangle in the middle.
        let corner = decoded.get_pixel(2, 2).0;
        let middle = decoded.get_pixel(width / 2, height / 2).0;
        assert!(corner.iter().all(|&c| c < 70), "corner {corner:?}");
        assert!(middle.iter().all(|&c| c > 180), "middle {middle:?}");
    }
}
