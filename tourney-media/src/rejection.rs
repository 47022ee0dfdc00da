//! Why an upload was refused: one error enum whose variants carry the offending values, and a
//! stable snake_case code per variant for the API's `rejection_reason`.

use crate::ContentType;

/// Why an uploaded body was refused.
///
/// Messages are lowercase and carry the values involved; [`Rejection::reason_code`] gives the
/// stable code the API stores as the photo's `rejection_reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The body is larger than [`crate::Limits::max_bytes`].
    #[error("body of {bytes} bytes is over the limit of {max} bytes")]
    TooLarge {
        /// Size of the body.
        bytes: u64,
        /// The limit it broke.
        max: u64,
    },
    /// The body is empty.
    #[error("body is empty")]
    Empty,
    /// The body is not a JPEG, PNG or WebP image (nor any other recognised format).
    #[error("body is not a jpeg, png or webp image")]
    NotAnImage,
    /// The body's real format differs from the declared content type.
    #[error("declared {declared} but the body is {actual}")]
    TypeMismatch {
        /// What the upload declared.
        declared: ContentType,
        /// The MIME type sniffed from the body's first bytes.
        actual: &'static str,
    },
    /// The file ends before its format says it does (an interrupted upload).
    #[error("truncated file: {detail}")]
    Truncated {
        /// What was missing, from the check or the decoder.
        detail: String,
    },
    /// The image data is malformed.
    #[error("corrupt image: {detail}")]
    Corrupt {
        /// The decoder's account of the problem.
        detail: String,
    },
    /// The image is well formed but uses a feature the decoders do not support.
    #[error("unsupported image feature: {detail}")]
    UnsupportedFeature {
        /// The decoder's account of the feature.
        detail: String,
    },
    /// The header announces more pixels than allowed (a decompression bomb or a huge scan):
    /// refused before any pixel is decoded.
    #[error(
        "image of {width} x {height} pixels is over the limit of {max_width} x {max_height} and {max_pixels} pixels"
    )]
    TooManyPixels {
        /// Width announced by the header.
        width: u32,
        /// Height announced by the header.
        height: u32,
        /// [`crate::Limits::max_pixels`].
        max_pixels: u64,
        /// [`crate::Limits::max_width`].
        max_width: u32,
        /// [`crate::Limits::max_height`].
        max_height: u32,
    },
    /// The declared content type is not one LocalPicTourney accepts here.
    #[error("unsupported content type {content_type:?}")]
    UnsupportedType {
        /// The declared type, as given.
        content_type: String,
    },
    /// The movie's box structure is malformed.
    #[error("bad movie: {detail}")]
    BadMovie {
        /// What is wrong with it.
        detail: String,
    },
    /// The movie parses but has no video track (an audio-only file, for instance).
    #[error("movie has no video track")]
    NoVideoTrack,
}

impl Rejection {
    /// A stable snake_case code for the API's `rejection_reason` (one per variant).
    #[must_use]
    pub const fn reason_code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Empty => "empty",
            Self::NotAnImage => "not_an_image",
            Self::TypeMismatch { .. } => "type_mismatch",
            Self::Truncated { .. } => "truncated",
            Self::Corrupt { .. } => "corrupt",
            Self::UnsupportedFeature { .. } => "unsupported_feature",
            Self::TooManyPixels { .. } => "too_many_pixels",
            Self::UnsupportedType { .. } => "unsupported_type",
            Self::BadMovie { .. } => "bad_movie",
            Self::NoVideoTrack => "no_video_track",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_of_each() -> Vec<Rejection> {
        vec![
            Rejection::TooLarge { bytes: 21, max: 20 },
            Rejection::Empty,
            Rejection::NotAnImage,
            Rejection::TypeMismatch {
                declared: ContentType::ImageJpeg,
                actual: "image/png",
            },
            Rejection::Truncated {
                detail: "no end".to_owned(),
            },
            Rejection::Corrupt {
                detail: "bad huffman table".to_owned(),
            },
            Rejection::UnsupportedFeature {
                detail: "12-bit samples".to_owned(),
            },
            Rejection::TooManyPixels {
                width: 100_000,
                height: 100_000,
                max_pixels: 50_000_000,
                max_width: 12_000,
                max_height: 12_000,
            },
            Rejection::UnsupportedType {
                content_type: "image/gif".to_owned(),
            },
            Rejection::BadMovie {
                detail: "no moov box".to_owned(),
            },
            Rejection::NoVideoTrack,
        ]
    }

    #[test]
    fn reason_codes_are_distinct_snake_case() {
        let rejections = one_of_each();
        let mut codes: Vec<&str> = rejections.iter().map(Rejection::reason_code).collect();
        for code in &codes {
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code} is not snake_case"
            );
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), rejections.len());
    }

    #[test]
    fn messages_are_lowercase_without_final_period() {
        for rejection in one_of_each() {
            let message = rejection.to_string();
            let first = message.chars().next().unwrap_or('x');
            assert!(first.is_lowercase(), "{message}");
            assert!(!message.ends_with('.'), "{message}");
        }
    }

    #[test]
    fn messages_carry_the_values() {
        let mismatch = Rejection::TypeMismatch {
            declared: ContentType::ImageJpeg,
            actual: "image/png",
        };
        assert_eq!(
            mismatch.to_string(),
            "declared image/jpeg but the body is image/png"
        );
        let bomb = Rejection::TooManyPixels {
            width: 100_000,
            height: 90_000,
            max_pixels: 50_000_000,
            max_width: 12_000,
            max_height: 12_000,
        };
        let message = bomb.to_string();
        assert!(message.contains("100000 x 90000"), "{message}");
        assert!(message.contains("50000000"), "{message}");
    }
}
