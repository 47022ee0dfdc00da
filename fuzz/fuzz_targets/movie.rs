//! Fuzz target: an uploaded movie through the worker's validator
//! (`tourney_media::validate_movie`: sniffing, the top-level box walk, then Mozilla's
//! `mp4parse` on the movie header). What is accepted has a video size within the limits.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tourney_media::{ContentType, Limits, validate_movie};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let declared = if selector % 2 == 0 {
        ContentType::VideoMp4
    } else {
        ContentType::VideoQuicktime
    };
    let limits = Limits::default();
    match validate_movie(bytes, declared, &limits) {
        Ok(info) => {
            assert!(info.width > 0 && info.height > 0);
            assert!(limits.allows_dimensions(info.width, info.height));
            assert_eq!(info.content_hash.len(), 64);
        }
        Err(rejection) => {
            assert!(!rejection.reason_code().is_empty() && !rejection.to_string().is_empty());
        }
    }
});
