//! Pictures through `process_image`: the three formats accepted, renditions' sizes, EXIF
//! orientation, transparency, and every refusal (type lies, truncation, non-images, bombs).

use image::{GenericImageView, Rgb, RgbImage};
use tourney_media::{
    ContentType, Limits, ProcessedImage, Rejection, RenditionSize, content_hash,
    generate_demo_image, process_image,
};

use crate::fixtures::{
    gradient, jpeg, png, png_header_claiming, png_rgba, translucent, webp, with_exif_orientation,
};

fn process(bytes: &[u8], declared: ContentType) -> Result<ProcessedImage, Rejection> {
    process_image(bytes, declared, &Limits::default())
}

fn rendition_sizes(processed: &ProcessedImage) -> Vec<(RenditionSize, u32, u32)> {
    processed
        .renditions
        .iter()
        .map(|rendition| (rendition.size, rendition.width, rendition.height))
        .collect()
}

/// Every rendition decodes as a JPEG of exactly its announced size.
fn assert_renditions_decode(processed: &ProcessedImage) {
    for rendition in &processed.renditions {
        let decoded =
            image::load_from_memory_with_format(&rendition.jpeg, image::ImageFormat::Jpeg)
                .expect("a rendition is a jpeg");
        assert_eq!(
            decoded.dimensions(),
            (rendition.width, rendition.height),
            "{:?}",
            rendition.size
        );
    }
}

#[test]
fn jpeg_png_and_webp_are_accepted_with_three_fitting_renditions() {
    let pixels = gradient(1000, 750);
    let bodies = [
        (jpeg(&pixels), ContentType::ImageJpeg),
        (png(&pixels), ContentType::ImagePng),
        (webp(&pixels), ContentType::ImageWebp),
    ];
    for (bytes, declared) in bodies {
        let processed = process(&bytes, declared).expect("a real picture is accepted");
        assert_eq!(
            (processed.width, processed.height),
            (1000, 750),
            "{declared}"
        );
        assert_eq!(
            rendition_sizes(&processed),
            [
                (RenditionSize::Small, 240, 180),
                (RenditionSize::Medium, 480, 360),
                (RenditionSize::Large, 960, 720),
            ],
            "{declared}"
        );
        assert_eq!(processed.content_hash, content_hash(&bytes));
        assert_renditions_decode(&processed);
    }
}

#[test]
fn renditions_keep_the_colours() {
    let pixels = RgbImage::from_pixel(1000, 500, Rgb([200, 60, 30]));
    let processed = process(&png(&pixels), ContentType::ImagePng).expect("accepted");
    let small = processed
        .rendition(RenditionSize::Small)
        .expect("small rendition");
    let decoded = image::load_from_memory(&small.jpeg)
        .expect("jpeg")
        .into_rgb8();
    let centre = decoded.get_pixel(small.width / 2, small.height / 2).0;
    for (got, want) in centre.iter().zip([200u8, 60, 30]) {
        assert!(got.abs_diff(want) <= 6, "{centre:?}");
    }
}

#[test]
fn a_small_picture_is_never_upscaled() {
    let pixels = gradient(200, 120);
    let processed = process(&jpeg(&pixels), ContentType::ImageJpeg).expect("accepted");
    assert_eq!(
        rendition_sizes(&processed),
        [
            (RenditionSize::Small, 200, 120),
            (RenditionSize::Medium, 200, 120),
            (RenditionSize::Large, 200, 120),
        ]
    );
    assert_renditions_decode(&processed);
}

#[test]
fn a_portrait_picture_fits_by_its_height() {
    let processed = process(&png(&gradient(600, 1500)), ContentType::ImagePng).expect("accepted");
    assert_eq!(
        rendition_sizes(&processed),
        [
            (RenditionSize::Small, 96, 240),
            (RenditionSize::Medium, 192, 480),
            (RenditionSize::Large, 384, 960),
        ]
    );
}

#[test]
fn exif_orientation_turns_the_picture_upright() {
    // Left half red, right half blue, stored 200 x 100 with "rotate 90 clockwise to show".
    let stored = RgbImage::from_fn(200, 100, |x, _| {
        if x < 100 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    let bytes = with_exif_orientation(&jpeg(&stored), 6);
    let processed = process(&bytes, ContentType::ImageJpeg).expect("accepted");
    assert_eq!((processed.width, processed.height), (100, 200));
    let large = processed
        .rendition(RenditionSize::Large)
        .expect("large rendition");
    let shown = image::load_from_memory(&large.jpeg)
        .expect("jpeg")
        .into_rgb8();
    assert_eq!(shown.dimensions(), (100, 200));
    // Turned clockwise, the left (red) half becomes the top.
    let top = shown.get_pixel(50, 20).0;
    let bottom = shown.get_pixel(50, 180).0;
    assert!(top[0] > 150 && top[2] < 80, "top {top:?}");
    assert!(bottom[2] > 150 && bottom[0] < 80, "bottom {bottom:?}");
}

#[test]
fn transparent_pngs_are_flattened_onto_white() {
    let bytes = png_rgba(&translucent(400, 200));
    let processed = process(&bytes, ContentType::ImagePng).expect("accepted");
    let small = processed
        .rendition(RenditionSize::Small)
        .expect("small rendition");
    let decoded = image::load_from_memory(&small.jpeg)
        .expect("jpeg")
        .into_rgb8();
    let transparent_side = decoded.get_pixel(10, 60).0;
    let opaque_side = decoded.get_pixel(small.width - 10, 60).0;
    assert!(
        transparent_side.iter().all(|&c| c > 240),
        "{transparent_side:?}"
    );
    assert!(opaque_side.iter().all(|&c| c < 80), "{opaque_side:?}");
}

#[test]
fn type_lies_are_refused_naming_both_types() {
    let pixels = gradient(64, 48);
    let cases = [
        (png(&pixels), ContentType::ImageJpeg, "image/png"),
        (jpeg(&pixels), ContentType::ImageWebp, "image/jpeg"),
        (webp(&pixels), ContentType::ImagePng, "image/webp"),
        (
            b"GIF89a\x01\0\x01\0\0\0\0;".to_vec(),
            ContentType::ImagePng,
            "image/gif",
        ),
        (
            crate::mp4_builder::build_movie(&crate::mp4_builder::MovieSpec::default()),
            ContentType::ImageJpeg,
            "video/mp4",
        ),
    ];
    for (bytes, declared, actual) in cases {
        let rejection = process(&bytes, declared).expect_err("a lie is refused");
        assert_eq!(rejection, Rejection::TypeMismatch { declared, actual });
        assert_eq!(rejection.reason_code(), "type_mismatch");
        let message = rejection.to_string();
        assert!(
            message.contains(declared.as_str()) && message.contains(actual),
            "{message}"
        );
    }
}

#[test]
fn a_jpeg_cut_in_half_is_truncated() {
    let bytes = generate_demo_image(11, 640, 480);
    let half = &bytes[..bytes.len() / 2];
    let rejection = process(half, ContentType::ImageJpeg).expect_err("half a jpeg");
    assert_eq!(rejection.reason_code(), "truncated", "{rejection}");
}

#[test]
fn a_png_or_webp_cut_in_half_is_refused() {
    let pixels = gradient(300, 200);
    for (bytes, declared) in [
        (png(&pixels), ContentType::ImagePng),
        (webp(&pixels), ContentType::ImageWebp),
    ] {
        let half = &bytes[..bytes.len() / 2];
        let rejection = process(half, declared).expect_err("half a picture");
        assert_eq!(
            rejection.reason_code(),
            "truncated",
            "{declared}: {rejection}"
        );
    }
}

#[test]
fn non_images_and_empty_bodies_are_refused() {
    assert_eq!(
        process(b"just some text, not a picture", ContentType::ImageJpeg),
        Err(Rejection::NotAnImage)
    );
    assert_eq!(process(b"", ContentType::ImagePng), Err(Rejection::Empty));
    // Right magic, garbage after it.
    let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    fake.extend([0x42; 200]);
    let rejection = process(&fake, ContentType::ImageJpeg).expect_err("garbage jpeg");
    assert!(
        matches!(
            rejection,
            Rejection::Truncated { .. } | Rejection::Corrupt { .. }
        ),
        "{rejection}"
    );
}

#[test]
fn a_bomb_header_is_refused_before_decoding() {
    let bytes = png_header_claiming(100_000, 100_000);
    assert!(bytes.len() < 100, "the bomb is tiny: {} bytes", bytes.len());
    let rejection = process(&bytes, ContentType::ImagePng).expect_err("a bomb");
    assert_eq!(
        rejection,
        Rejection::TooManyPixels {
            width: 100_000,
            height: 100_000,
            max_pixels: 50_000_000,
            max_width: 12_000,
            max_height: 12_000,
        }
    );
    // Within the side limits but over the pixel limit.
    let rejection = process(&png_header_claiming(11_000, 11_000), ContentType::ImagePng)
        .expect_err("121 megapixels");
    assert_eq!(rejection.reason_code(), "too_many_pixels");
}

#[test]
fn a_highly_compressible_picture_over_the_pixel_limit_is_refused() {
    let black = RgbImage::new(1000, 1000);
    let bytes = png(&black);
    assert!(bytes.len() < 20_000, "compresses to {} bytes", bytes.len());
    let mut limits = Limits::default();
    limits.max_pixels = 500_000;
    let rejection = process_image(&bytes, ContentType::ImagePng, &limits).expect_err("too many");
    assert!(
        matches!(
            rejection,
            Rejection::TooManyPixels {
                width: 1000,
                height: 1000,
                max_pixels: 500_000,
                ..
            }
        ),
        "{rejection}"
    );
}

#[test]
fn the_allocation_limit_is_applied() {
    let bytes = png(&gradient(1000, 1000));
    let mut limits = Limits::default();
    limits.max_alloc = 1024 * 1024;
    let rejection = process_image(&bytes, ContentType::ImagePng, &limits).expect_err("3 MB > 1 MB");
    assert_eq!(rejection.reason_code(), "too_many_pixels");
}

#[test]
fn oversize_bodies_are_refused() {
    let bytes = png(&gradient(200, 200));
    let mut limits = Limits::default();
    limits.max_bytes = 100;
    let n_bytes = u64::try_from(bytes.len()).expect("small");
    assert_eq!(
        process_image(&bytes, ContentType::ImagePng, &limits),
        Err(Rejection::TooLarge {
            bytes: n_bytes,
            max: 100
        })
    );
}

#[test]
fn identical_bytes_hash_equal_and_different_bytes_differ() {
    let first = generate_demo_image(21, 320, 240);
    let again = generate_demo_image(21, 320, 240);
    let other = generate_demo_image(22, 320, 240);
    let hash_of = |bytes: &[u8]| {
        process(bytes, ContentType::ImageJpeg)
            .expect("accepted")
            .content_hash
    };
    assert_eq!(hash_of(&first), hash_of(&again));
    assert_ne!(hash_of(&first), hash_of(&other));
    assert_eq!(hash_of(&first).len(), 64);
}

#[test]
fn demo_images_pass_validation() {
    for seed in 0..2 {
        let bytes = generate_demo_image(seed, 800, 600);
        let processed = process(&bytes, ContentType::ImageJpeg).expect("a demo image is valid");
        assert_eq!((processed.width, processed.height), (800, 600));
        assert_renditions_decode(&processed);
    }
}
