//! Fuzz target: an uploaded picture through the worker's validator
//! (`tourney_media::process_image`: size, sniffed type against the declared one, JPEG and
//! WebP completeness, header dimensions, decoding within the allocation limit, renditions).
//! The limits are lowered so one run stays fast and its memory bounded; what is accepted
//! must be within them, with three renditions that fit.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tourney_media::{ContentType, Limits, RenditionSize, process_image};

const DECLARED: [ContentType; 3] = [
    ContentType::ImageJpeg,
    ContentType::ImagePng,
    ContentType::ImageWebp,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let declared = DECLARED[usize::from(selector) % DECLARED.len()];
    let mut limits = Limits::default();
    limits.max_pixels = 1 << 20;
    limits.max_width = 4096;
    limits.max_height = 4096;
    limits.max_alloc = 64 * 1024 * 1024;
    match process_image(bytes, declared, &limits) {
        Ok(processed) => {
            assert!(limits.allows_dimensions(processed.width, processed.height));
            assert!(processed.width > 0 && processed.height > 0);
            assert_eq!(processed.content_hash.len(), 64);
            assert_eq!(processed.renditions.len(), RenditionSize::ALL.len());
            for rendition in &processed.renditions {
                let max_side = rendition.size.max_side();
                assert!(rendition.width <= max_side && rendition.height <= max_side);
                assert!(rendition.width <= processed.width && rendition.height <= processed.height);
                assert!(!rendition.jpeg.is_empty());
            }
        }
        Err(rejection) => {
            let message = rejection.to_string();
            assert!(!rejection.reason_code().is_empty() && !message.is_empty());
        }
    }
});
