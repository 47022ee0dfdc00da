//! Property tests: renditions fit inside N x N with the aspect ratio kept and never upscale,
//! for pictures of random sizes (kept small so the suite stays fast).

use proptest::prelude::*;
use tourney_media::{ContentType, Limits, RenditionSize, fit_inside, process_image};

use crate::fixtures::{gradient, png};

/// Whether `(fitted_width, fitted_height)` keeps the aspect ratio of `width` x `height` to within
/// rounding of the short side (or clamping it to one pixel).
fn keeps_aspect(width: u32, height: u32, fitted_width: u32, fitted_height: u32) -> bool {
    let (long, short, fitted_long, fitted_short) = if width >= height {
        (width, height, fitted_width, fitted_height)
    } else {
        (height, width, fitted_height, fitted_width)
    };
    if fitted_short == 1 {
        return true;
    }
    let exact_times_long = u64::from(short) * u64::from(fitted_long);
    let rounded_times_long = u64::from(fitted_short) * u64::from(long);
    2 * exact_times_long.abs_diff(rounded_times_long) <= u64::from(long)
}

proptest! {
    #[test]
    fn fit_inside_fits_keeps_aspect_and_never_upscales(
        width in 1u32..100_000,
        height in 1u32..100_000,
        max_side in prop::sample::select(vec![240u32, 480, 960]),
    ) {
        let (fitted_width, fitted_height) = fit_inside(width, height, max_side);
        prop_assert!(fitted_width >= 1 && fitted_height >= 1);
        prop_assert!(fitted_width <= max_side && fitted_height <= max_side);
        prop_assert!(fitted_width <= width && fitted_height <= height);
        if width <= max_side && height <= max_side {
            prop_assert_eq!((fitted_width, fitted_height), (width, height));
        } else {
            prop_assert_eq!(fitted_width.max(fitted_height), max_side);
        }
        prop_assert!(keeps_aspect(width, height, fitted_width, fitted_height));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn processed_renditions_fit_and_decode_at_their_size(
        width in 1u32..1100,
        height in 1u32..1100,
    ) {
        let bytes = png(&gradient(width, height));
        let processed = process_image(&bytes, ContentType::ImagePng, &Limits::default())
            .map_err(|rejection| TestCaseError::fail(rejection.to_string()))?;
        prop_assert_eq!((processed.width, processed.height), (width, height));
        prop_assert_eq!(processed.renditions.len(), 3);
        for (rendition, size) in processed.renditions.iter().zip(RenditionSize::ALL) {
            prop_assert_eq!(rendition.size, size);
            prop_assert_eq!(
                (rendition.width, rendition.height),
                fit_inside(width, height, size.max_side())
            );
            prop_assert!(keeps_aspect(width, height, rendition.width, rendition.height));
            let decoded = image::load_from_memory(&rendition.jpeg)
                .map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert_eq!((decoded.width(), decoded.height()), (rendition.width, rendition.height));
        }
    }
}
