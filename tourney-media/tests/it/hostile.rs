//! Hostile uploads, each refused with a clear rejection and no panic, with memory bounded by
//! the limits: decompression bombs in every format, files lying about their type, truncated
//! files, headers announcing huge pictures over a few bytes of data; movies with cut-off,
//! overlong, zero-size, deeply nested and 64-bit-overflowing boxes, and sample tables
//! announcing billions of entries. Every fixture is built here from a few bytes.

use tourney_media::{
    ContentType, Limits, MovieInfo, Rejection, generate_demo_image, process_image, validate_movie,
};

use crate::fixtures::{gradient, jpeg, png, png_header, png_header_claiming, webp};
use crate::mp4_builder::{MovieSpec, build_movie, full_box, mp4_box};

fn process(bytes: &[u8], declared: ContentType) -> Result<(u32, u32), Rejection> {
    process_image(bytes, declared, &Limits::default())
        .map(|processed| (processed.width, processed.height))
}

fn validate(bytes: &[u8]) -> Result<MovieInfo, Rejection> {
    validate_movie(bytes, ContentType::VideoMp4, &Limits::default())
}

/// The rejection the default limits give a header announcing `width` x `height`.
fn too_many_pixels(width: u32, height: u32) -> Rejection {
    Rejection::TooManyPixels {
        width,
        height,
        max_pixels: Limits::DEFAULT_MAX_PIXELS,
        max_width: Limits::DEFAULT_MAX_SIDE,
        max_height: Limits::DEFAULT_MAX_SIDE,
    }
}

/// A real JPEG whose frame header (SOF0) now announces `width` x `height`; the scan data
/// stays that of 16 x 12 pixels, so the file is structurally complete but lies.
fn jpeg_announcing(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = jpeg(&gradient(16, 12));
    let sof = bytes
        .windows(2)
        .position(|pair| pair == [0xFF, 0xC0])
        .expect("a baseline frame header");
    bytes[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    bytes
}

/// A real lossless WebP whose VP8L header now announces `width` x `height` (each at most
/// 16384, the format's 14 bits; image-webp 0.2.4 reads 16384 itself as 0).
fn webp_announcing(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = webp(&gradient(8, 6));
    let chunk = bytes
        .windows(4)
        .position(|window| window == b"VP8L")
        .expect("a lossless bitstream");
    // Chunk type, chunk size, the 0x2F signature, then 14 + 14 bits of width and height - 1.
    let header = chunk + 9;
    let old = u32::from_le_bytes(bytes[header..header + 4].try_into().expect("4 bytes"));
    let new = (old & 0xF000_0000) | (width - 1) | ((height - 1) << 14);
    bytes[header..header + 4].copy_from_slice(&new.to_le_bytes());
    bytes
}

#[test]
fn bombs_in_every_format_are_refused_before_decoding() {
    let bombs = [
        (
            png_header_claiming(50_000, 50_000),
            ContentType::ImagePng,
            too_many_pixels(50_000, 50_000),
        ),
        (
            jpeg_announcing(50_000, 50_000),
            ContentType::ImageJpeg,
            too_many_pixels(50_000, 50_000),
        ),
        (
            webp_announcing(16_383, 16_383),
            ContentType::ImageWebp,
            too_many_pixels(16_383, 16_383),
        ),
        // Every side within the limits, the total over them (121 megapixels).
        (
            jpeg_announcing(11_000, 11_000),
            ContentType::ImageJpeg,
            too_many_pixels(11_000, 11_000),
        ),
    ];
    for (bytes, declared, expected) in bombs {
        assert!(
            bytes.len() < 1024,
            "{declared}: a bomb of {} bytes",
            bytes.len()
        );
        assert_eq!(process(&bytes, declared), Err(expected), "{declared}");
    }
}

#[test]
fn the_allocation_limit_binds_before_decoding() {
    // 8000 x 6000 is within every side and pixel limit, but as 16-bit RGBA it decodes to
    // 384 MB: over a 256 MiB allocation limit, refused from the header alone.
    let deep = png_header(8_000, 6_000, 16, 6);
    let mut limits = Limits::default();
    limits.max_alloc = 256 * 1024 * 1024;
    let rejection = process_image(&deep, ContentType::ImagePng, &limits).expect_err("384 MB");
    assert_eq!(
        rejection,
        Rejection::TooManyPixels {
            width: 8_000,
            height: 6_000,
            max_pixels: Limits::DEFAULT_MAX_PIXELS,
            max_width: Limits::DEFAULT_MAX_SIDE,
            max_height: Limits::DEFAULT_MAX_SIDE,
        }
    );
}

#[test]
fn huge_headers_over_a_few_bytes_of_data_are_refused_as_corrupt() {
    // Complete chunk by chunk and within every limit (44 megapixels, 132 MB decoded), so the
    // decoder starts; its image data runs out at once.
    let lying = png_header(11_000, 4_000, 8, 2);
    assert!(lying.len() < 100);
    let rejection = process(&lying, ContentType::ImagePng).expect_err("no pixel data");
    assert_eq!(rejection.reason_code(), "corrupt", "{rejection}");
    assert!(
        rejection.to_string().contains("not have enough data"),
        "{rejection}"
    );
}

#[test]
fn a_jpeg_announcing_more_pixels_than_its_scan_holds_stays_within_the_limits() {
    // The JPEG decoder is lenient: a scan shorter than the frame is padded, not refused.
    // What it may cost is bounded by the limits the header is checked against.
    let mut limits = Limits::default();
    limits.max_pixels = 1_000_000;
    let lying = jpeg_announcing(1_200, 800);
    let processed =
        process_image(&lying, ContentType::ImageJpeg, &limits).expect("padded, not refused");
    assert_eq!((processed.width, processed.height), (1_200, 800));
    let over = jpeg_announcing(1_200, 900);
    let rejection = process_image(&over, ContentType::ImageJpeg, &limits).expect_err("1.08 MP");
    assert_eq!(rejection.reason_code(), "too_many_pixels", "{rejection}");
}

#[test]
fn pictures_cut_at_any_length_are_refused() {
    let pixels = gradient(24, 16);
    let pictures = [
        (generate_demo_image(5, 24, 16), ContentType::ImageJpeg, 3),
        (png(&pixels), ContentType::ImagePng, 8),
        (webp(&pixels), ContentType::ImageWebp, 12),
    ];
    for (bytes, declared, magic_len) in pictures {
        for cut in 1..bytes.len() {
            let Err(rejection) = process(&bytes[..cut], declared) else {
                panic!("{declared} cut at {cut} of {} is accepted", bytes.len());
            };
            let expected: &[&str] = if cut < magic_len {
                &["not_an_image"]
            } else {
                &["truncated", "corrupt"]
            };
            assert!(
                expected.contains(&rejection.reason_code()),
                "{declared} cut at {cut} of {}: {rejection}",
                bytes.len()
            );
        }
    }
}

#[test]
fn files_lying_about_their_type_are_refused_naming_the_truth() {
    let picture = png(&gradient(8, 8));
    let lies = [
        (
            picture.clone(),
            ContentType::ImageJpeg,
            Rejection::TypeMismatch {
                declared: ContentType::ImageJpeg,
                actual: "image/png",
            },
        ),
        (
            b"hello, this is plain text and not a picture".to_vec(),
            ContentType::ImageJpeg,
            Rejection::NotAnImage,
        ),
        (
            b"<!doctype html><title>x</title>".to_vec(),
            ContentType::ImagePng,
            Rejection::NotAnImage,
        ),
        (
            build_movie(&MovieSpec::default()),
            ContentType::ImageWebp,
            Rejection::TypeMismatch {
                declared: ContentType::ImageWebp,
                actual: "video/mp4",
            },
        ),
    ];
    for (bytes, declared, expected) in lies {
        assert_eq!(process(&bytes, declared), Err(expected), "{declared}");
    }
    // The right magic bytes in front of text: refused by the structure check or the decoder.
    for (magic, declared) in [
        (&b"\xFF\xD8\xFF\xE0"[..], ContentType::ImageJpeg),
        (&b"\x89PNG\r\n\x1a\n"[..], ContentType::ImagePng),
        (&b"RIFF\x20\0\0\0WEBPVP8L"[..], ContentType::ImageWebp),
    ] {
        let mut bytes = magic.to_vec();
        bytes.extend(b" and then plain text where the picture should be");
        let rejection = process(&bytes, declared).expect_err("text after magic");
        assert!(
            matches!(rejection.reason_code(), "truncated" | "corrupt"),
            "{declared}: {rejection}"
        );
    }
    // A picture declared as a movie.
    assert_eq!(
        validate(&picture),
        Err(Rejection::TypeMismatch {
            declared: ContentType::VideoMp4,
            actual: "image/png"
        })
    );
}

/// The `ftyp` box of an MP4.
fn ftyp() -> Vec<u8> {
    mp4_box(b"ftyp", b"isom\0\0\0\0isom")
}

/// Asserts `result` is a rejection with `code` whose message mentions `needle`.
#[track_caller]
fn assert_refused(result: Result<MovieInfo, Rejection>, code: &str, needle: &str) {
    let rejection = result.expect_err("refused");
    assert_eq!(rejection.reason_code(), code, "{rejection}");
    let message = rejection.to_string();
    assert!(message.contains(needle), "{message:?} mentions {needle:?}");
}

#[test]
fn movies_cut_at_any_length_are_refused() {
    for spec in [
        MovieSpec::default(),
        MovieSpec {
            mdat_first: true,
            ..MovieSpec::default()
        },
    ] {
        let bytes = build_movie(&spec);
        assert!(validate(&bytes).is_ok(), "the whole movie is valid");
        for cut in 0..bytes.len() {
            let rejection = validate(&bytes[..cut]).expect_err("a cut movie is refused");
            let expected: &[&str] = match cut {
                0 => &["empty"],
                1..12 => &["bad_movie"],
                _ => &["truncated", "bad_movie"],
            };
            assert!(
                expected.contains(&rejection.reason_code()),
                "cut at {cut} of {}: {rejection}",
                bytes.len()
            );
        }
    }
}

#[test]
fn a_movie_cut_right_after_its_header_is_truncated() {
    // ftyp, moov, mdat: without the mdat every remaining box is complete, but the track's
    // data would start past the end of the file.
    let bytes = build_movie(&MovieSpec::default());
    let without_data = &bytes[..bytes.len() - 16];
    assert_refused(
        validate(without_data),
        "truncated",
        "past the end of the file",
    );
}

#[test]
fn boxes_larger_than_the_file_or_their_parent_are_refused() {
    let movie = build_movie(&MovieSpec::default());

    // A top-level box claiming more than the file holds.
    let moov_at = movie
        .windows(4)
        .position(|window| window == b"moov")
        .expect("a moov")
        - 4;
    let mut overlong = movie.clone();
    let claimed = u32::try_from(movie.len() * 4).expect("small");
    overlong[moov_at..moov_at + 4].copy_from_slice(&claimed.to_be_bytes());
    assert_refused(validate(&overlong), "truncated", "box 'moov'");

    // A box inside the movie header claiming more than its parent holds.
    let mut nested = movie.clone();
    let trak_at = movie
        .windows(4)
        .position(|window| window == b"trak")
        .expect("a trak")
        - 4;
    nested[trak_at..trak_at + 4].copy_from_slice(&0x0010_0000u32.to_be_bytes());
    assert_refused(validate(&nested), "bad_movie", "box 'trak'");
}

#[test]
fn zero_size_boxes_are_refused_unless_a_final_mdat() {
    // A top-level box of size 0 ("to the end of the file") that is not the final mdat.
    let mut top = ftyp();
    top.extend([0, 0, 0, 0]);
    top.extend(b"free");
    top.extend(build_movie(&MovieSpec::default()));
    assert_refused(validate(&top), "bad_movie", "size 0");

    // A box of size 0 inside the movie header.
    let movie = build_movie(&MovieSpec::default());
    let mut nested = movie.clone();
    let mdia_at = movie
        .windows(4)
        .position(|window| window == b"mdia")
        .expect("an mdia")
        - 4;
    nested[mdia_at..mdia_at + 4].copy_from_slice(&[0, 0, 0, 0]);
    assert_refused(validate(&nested), "bad_movie", "size 0");

    // A box whose size is smaller than its own header.
    let mut tiny = ftyp();
    tiny.extend([0, 0, 0, 7]);
    tiny.extend(b"moov");
    assert_refused(validate(&tiny), "bad_movie", "has size 7");
}

#[test]
fn deeply_nested_boxes_neither_overflow_the_stack_nor_pass() {
    // 100 000 levels of containers the parser does not descend into, inside a trak, and
    // 100 000 levels of movie headers: each level is only skipped by its size.
    let depth: u32 = 100_000;
    for (inner, outer) in [(b"trak", b"moov"), (b"moov", b"moov")] {
        // Level n (0 the innermost) is an empty box around level n - 1: 8 (n + 1) bytes.
        let mut nested = Vec::with_capacity(8 * usize::try_from(depth).expect("small"));
        for level in (0..depth).rev() {
            nested.extend((8 * (level + 1)).to_be_bytes());
            nested.extend(inner);
        }
        let mut bytes = ftyp();
        bytes.extend(mp4_box(outer, &nested));
        let rejection = validate(&bytes).expect_err("nothing to show");
        assert!(
            matches!(
                rejection,
                Rejection::NoVideoTrack | Rejection::BadMovie { .. }
            ),
            "{rejection}"
        );
    }
}

#[test]
fn sixty_four_bit_sizes_that_overflow_are_refused() {
    let large_box = |size: u64| {
        let mut bytes = ftyp();
        bytes.extend(1u32.to_be_bytes());
        bytes.extend(b"mdat");
        bytes.extend(size.to_be_bytes());
        bytes.extend([0; 16]);
        bytes
    };
    for size in [u64::MAX, u64::MAX - 7, 1 << 63, 1 << 40] {
        assert_refused(validate(&large_box(size)), "truncated", "box 'mdat'");
    }
    // A 64-bit size smaller than the 16-byte header it is part of.
    assert_refused(validate(&large_box(15)), "bad_movie", "has size 15");

    // Inside the movie header too.
    let mut bytes = ftyp();
    let mut huge_trak = 1u32.to_be_bytes().to_vec();
    huge_trak.extend(b"trak");
    huge_trak.extend(u64::MAX.to_be_bytes());
    bytes.extend(mp4_box(b"moov", &huge_trak));
    assert_refused(validate(&bytes), "bad_movie", "box 'trak'");
}

#[test]
fn sample_tables_announcing_billions_of_entries_are_refused_before_parsing() {
    let movie = build_movie(&MovieSpec::default());
    for (table, count_offset, entry_bytes) in [
        (b"stts", 4, 8),
        (b"stsc", 4, 12),
        (b"stsz", 8, 4),
        (b"stco", 4, 4),
        (b"stsd", 4, 8),
    ] {
        let mut bytes = movie.clone();
        let content_at = movie
            .windows(4)
            .position(|window| window == table)
            .expect("the table")
            + 4;
        let at = content_at + count_offset;
        bytes[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        let name = String::from_utf8_lossy(table).into_owned();
        assert_refused(
            validate(&bytes),
            "bad_movie",
            &format!("'{name}' box declares 4294967295 entries of {entry_bytes} bytes"),
        );
    }
    // An edit list and a protection header's key ids, in a movie otherwise valid.
    let elst = mp4_box(b"edts", &full_box(b"elst", 0, 0, &u32::MAX.to_be_bytes()));
    let with_edits = insert_child(&movie, &[b"moov", b"trak"], &elst);
    assert_refused(validate(&with_edits), "bad_movie", "'elst' box declares");
    let mut pssh_payload = vec![7; 16];
    pssh_payload.extend(u32::MAX.to_be_bytes());
    let pssh = full_box(b"pssh", 1, 0, &pssh_payload);
    let with_pssh = insert_child(&movie, &[b"moov"], &pssh);
    assert_refused(
        validate(&with_pssh),
        "bad_movie",
        "'pssh' box declares 4294967295 entries of 16 bytes",
    );
}

#[test]
fn boxes_inside_sample_entries_claiming_gigabytes_are_refused() {
    // Found by the `movie` fuzz target: an avcC whose size field says 4 GiB inside a sample
    // entry of 100 bytes made the parser reserve 4 GiB before reading it.
    let movie = build_movie(&MovieSpec::default());
    let mut bytes = movie.clone();
    let avcc_at = movie
        .windows(4)
        .position(|window| window == b"avcC")
        .expect("an avcC")
        - 4;
    bytes[avcc_at..avcc_at + 4].copy_from_slice(&0xFB00_000Fu32.to_be_bytes());
    assert_refused(validate(&bytes), "bad_movie", "box 'avcC'");
}

#[test]
fn user_data_is_not_parsed_even_when_it_claims_gigabytes() {
    // Titles, artists and places in `udta` are not used; a data box claiming 4 GiB in it
    // (or QuickTime's version-less `meta`, which reads as garbage sizes) costs nothing.
    let mut data = 0xFB00_000Fu32.to_be_bytes().to_vec();
    data.extend(b"data");
    data.extend([0; 8]);
    let udta = mp4_box(b"udta", &mp4_box(b"meta", &data));
    let movie = build_movie(&MovieSpec::default());
    let with_user_data = insert_child(&movie, &[b"moov"], &udta);
    let info = validate(&with_user_data).expect("user data is skipped");
    assert_eq!((info.width, info.height), (640, 360));
}

/// `movie` with `extra` added as the first child of the last box of `path` (each box of the
/// path grown to match, the chunk offset moved as far).
fn insert_child(movie: &[u8], path: &[&[u8; 4]], extra: &[u8]) -> Vec<u8> {
    let n_extra = u32::try_from(extra.len()).expect("small");
    let mut bytes = movie.to_vec();
    let mut insert_at = 0;
    for kind in path {
        let at = bytes
            .windows(4)
            .position(|window| window == *kind)
            .expect("the box")
            - 4;
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        bytes[at..at + 4].copy_from_slice(&(size + n_extra).to_be_bytes());
        insert_at = at + 8;
    }
    let offset_at = bytes
        .windows(4)
        .position(|window| window == b"stco")
        .expect("stco")
        + 12;
    let offset = u32::from_be_bytes(bytes[offset_at..offset_at + 4].try_into().expect("4 bytes"));
    bytes[offset_at..offset_at + 4].copy_from_slice(&(offset + n_extra).to_be_bytes());
    bytes.splice(insert_at..insert_at, extra.iter().copied());
    bytes
}
