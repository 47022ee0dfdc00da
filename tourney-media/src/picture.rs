//! Validating an uploaded still picture and making its renditions: size, sniffed type against the
//! declared one, completeness, header dimensions before any pixel is decoded, then decode, apply
//! EXIF orientation, flatten to RGB and resize.

use std::io::{self, Cursor};

use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader};

use crate::content_type::{Sniffed, sniff};
use crate::jpeg_check::check_jpeg_complete;
use crate::rendition::{make_renditions, to_rgb_on_white};
use crate::{ContentType, Limits, ProcessedImage, Rejection, content_hash};

/// Validates an uploaded picture and makes its three fit-inside JPEG renditions.
///
/// In order, and stopping at the first failure: the declared type must be an image type, the
/// body must be non-empty and within `limits.max_bytes`, its magic bytes must match `declared`
/// (a PNG declared as JPEG is a lie), the body must be as long as its structure says, and
/// the header's dimensions must be within `limits` before any pixel is decoded (so a
/// decompression bomb costs nothing). Then
/// the picture is decoded within `limits.max_alloc`, turned upright by its EXIF orientation,
/// flattened onto white if transparent, and resized to fit inside 240, 480 and 960 pixels
/// (never upscaled) as JPEG quality 85.
///
/// Pure and synchronous but CPU-heavy (about 0.1 s for a 12-megapixel JPEG in a release build,
/// most of it decoding): call it from a blocking thread in async code.
///
/// # Errors
///
/// A [`Rejection`] saying why the body was refused; see its variants.
pub fn process_image(
    bytes: &[u8],
    declared: ContentType,
    limits: &Limits,
) -> Result<ProcessedImage, Rejection> {
    let format = check_declared_image(bytes, declared, limits)?;
    match format {
        ImageFormat::Jpeg => check_jpeg_complete(bytes)?,
        ImageFormat::WebP => check_webp_complete(bytes)?,
        ImageFormat::Png => check_png_complete(bytes)?,
        _ => {}
    }
    let picture = decode_within_limits(bytes, format, limits)?;
    let (width, height) = (picture.width(), picture.height());
    let renditions = make_renditions(&to_rgb_on_white(picture))?;
    Ok(ProcessedImage {
        width,
        height,
        content_hash: content_hash(bytes),
        renditions,
    })
}

/// Checks the declared type, the size and the sniffed type; returns the format to decode.
fn check_declared_image(
    bytes: &[u8],
    declared: ContentType,
    limits: &Limits,
) -> Result<ImageFormat, Rejection> {
    let format = match declared {
        ContentType::ImageJpeg => ImageFormat::Jpeg,
        ContentType::ImagePng => ImageFormat::Png,
        ContentType::ImageWebp => ImageFormat::WebP,
        ContentType::VideoMp4 | ContentType::VideoQuicktime => {
            return Err(Rejection::UnsupportedType {
                content_type: declared.as_str().to_owned(),
            });
        }
    };
    check_body_size(bytes, limits)?;
    match sniff(bytes) {
        Sniffed::Accepted(actual) if actual == declared => Ok(format),
        sniffed => match sniffed.mime() {
            Some(actual) => Err(Rejection::TypeMismatch { declared, actual }),
            None => Err(Rejection::NotAnImage),
        },
    }
}

/// Refuses empty bodies and bodies over `limits.max_bytes`.
pub(crate) fn check_body_size(bytes: &[u8], limits: &Limits) -> Result<(), Rejection> {
    if bytes.is_empty() {
        return Err(Rejection::Empty);
    }
    let n_bytes = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if n_bytes > limits.max_bytes {
        return Err(Rejection::TooLarge {
            bytes: n_bytes,
            max: limits.max_bytes,
        });
    }
    Ok(())
}

/// Checks a WebP body is as long as its RIFF header says (the WebP decoder reports a cut-off
/// file as a corrupt bitstream; the PNG decoder already says it ran out of data).
fn check_webp_complete(bytes: &[u8]) -> Result<(), Rejection> {
    let Some(size_field) = bytes.get(4..8) else {
        return Err(Rejection::Truncated {
            detail: "webp header is cut off".to_owned(),
        });
    };
    let riff_size =
        u32::from_le_bytes([size_field[0], size_field[1], size_field[2], size_field[3]]);
    let declared_len = u64::from(riff_size) + 8;
    let n_bytes = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if n_bytes < declared_len {
        return Err(Rejection::Truncated {
            detail: format!("webp says {declared_len} bytes but the file has {n_bytes}"),
        });
    }
    Ok(())
}

/// Checks a PNG body reaches its `IEND` chunk through complete chunks (the PNG decoder stops
/// once it has the pixels, so a file cut inside its last chunks would pass otherwise).
fn check_png_complete(bytes: &[u8]) -> Result<(), Rejection> {
    const SIGNATURE_LEN: usize = 8;
    let n_bytes = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    let mut position = SIGNATURE_LEN;
    while let Some(header) = bytes.get(position..position + 8) {
        let data_len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        // Length, type, data, CRC.
        let end = u64::try_from(position).unwrap_or(u64::MAX) + 12 + u64::from(data_len);
        if end > n_bytes {
            return Err(Rejection::Truncated {
                detail: format!(
                    "png chunk '{}' at byte {position} needs {end} bytes but the file has {n_bytes}",
                    header[4..8].escape_ascii()
                ),
            });
        }
        if &header[4..8] == b"IEND" {
            return Ok(());
        }
        position = usize::try_from(end).unwrap_or(usize::MAX);
    }
    Err(Rejection::Truncated {
        detail: "png ends before its IEND chunk".to_owned(),
    })
}

/// Reads the header, checks its dimensions against `limits`, then decodes the pixels within the
/// image crate's limits and applies the EXIF orientation.
fn decode_within_limits(
    bytes: &[u8],
    format: ImageFormat,
    limits: &Limits,
) -> Result<DynamicImage, Rejection> {
    // The header is read with only the allocation limit, so that dimensions over the side limits
    // are reported by `check_dimensions` with their values rather than as an opaque limit error.
    let mut header_limits = image::Limits::default();
    header_limits.max_alloc = Some(limits.max_alloc);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(header_limits);
    let mut decoder = reader.into_decoder().map_err(from_image_error)?;

    let (width, height) = decoder.dimensions();
    check_dimensions(width, height, limits)?;

    let mut pixel_limits = image::Limits::default();
    pixel_limits.max_image_width = Some(limits.max_width);
    pixel_limits.max_image_height = Some(limits.max_height);
    pixel_limits.max_alloc = Some(limits.max_alloc);
    pixel_limits
        .reserve(decoder.total_bytes())
        .map_err(|_| too_many_pixels(width, height, limits))?;
    decoder
        .set_limits(pixel_limits)
        .map_err(|_| too_many_pixels(width, height, limits))?;

    // A broken EXIF block is no reason to refuse a picture: it is then shown as stored.
    let orientation = decoder.orientation().ok();
    let mut picture = DynamicImage::from_decoder(decoder).map_err(from_image_error)?;
    if let Some(orientation) = orientation {
        picture.apply_orientation(orientation);
    }
    Ok(picture)
}

/// Refuses headers announcing zero or too many pixels.
fn check_dimensions(width: u32, height: u32, limits: &Limits) -> Result<(), Rejection> {
    if width == 0 || height == 0 {
        return Err(Rejection::Corrupt {
            detail: format!("header announces {width} x {height} pixels"),
        });
    }
    if !limits.allows_dimensions(width, height) {
        return Err(too_many_pixels(width, height, limits));
    }
    Ok(())
}

fn too_many_pixels(width: u32, height: u32, limits: &Limits) -> Rejection {
    Rejection::TooManyPixels {
        width,
        height,
        max_pixels: limits.max_pixels,
        max_width: limits.max_width,
        max_height: limits.max_height,
    }
}

/// Sorts a decoder error into a rejection: end of input means truncated, limits mean too many
/// pixels, unsupported features are told apart from corrupt data.
fn from_image_error(error: ImageError) -> Rejection {
    match error {
        ImageError::IoError(io_error) if io_error.kind() == io::ErrorKind::UnexpectedEof => {
            Rejection::Truncated {
                detail: io_error.to_string(),
            }
        }
        ImageError::Unsupported(unsupported) => Rejection::UnsupportedFeature {
            detail: unsupported.to_string(),
        },
        ImageError::Limits(limit) => Rejection::Corrupt {
            detail: format!("decoder limit reached: {limit}"),
        },
        ImageError::Decoding(decoding) if looks_truncated(&decoding.to_string()) => {
            Rejection::Truncated {
                detail: decoding.to_string(),
            }
        }
        other => Rejection::Corrupt {
            detail: other.to_string(),
        },
    }
}

/// Whether a decoder's message says the data ran out (decoders word it differently).
fn looks_truncated(message: &str) -> bool {
    let lowered = message.to_ascii_lowercase();
    [
        "eof",
        "end of file",
        "unexpected end",
        "truncated",
        "no more data",
    ]
    .iter()
    .any(|needle| lowered.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn movie_types_are_not_images() {
        let result = process_image(b"whatever", ContentType::VideoMp4, &Limits::default());
        assert_eq!(
            result,
            Err(Rejection::UnsupportedType {
                content_type: "video/mp4".to_owned()
            })
        );
    }

    #[test]
    fn empty_and_oversize_bodies_are_refused_before_sniffing() {
        let limits = Limits {
            max_bytes: 4,
            ..Limits::default()
        };
        assert_eq!(
            process_image(b"", ContentType::ImagePng, &limits),
            Err(Rejection::Empty)
        );
        assert_eq!(
            process_image(b"12345", ContentType::ImagePng, &limits),
            Err(Rejection::TooLarge { bytes: 5, max: 4 })
        );
    }

    #[test]
    fn dimensions_check_names_the_values() {
        let limits = Limits::default();
        assert_eq!(check_dimensions(100, 100, &limits), Ok(()));
        assert!(matches!(
            check_dimensions(0, 100, &limits),
            Err(Rejection::Corrupt { .. })
        ));
        assert_eq!(
            check_dimensions(100_000, 100_000, &limits),
            Err(too_many_pixels(100_000, 100_000, &limits))
        );
    }

    #[test]
    fn a_webp_shorter_than_its_riff_size_is_truncated() {
        let mut bytes = b"RIFF".to_vec();
        bytes.extend(20u32.to_le_bytes());
        bytes.extend(b"WEBPVP8L");
        assert!(matches!(
            check_webp_complete(&bytes),
            Err(Rejection::Truncated { .. })
        ));
        bytes.resize(28, 0);
        assert_eq!(check_webp_complete(&bytes), Ok(()));
    }

    #[test]
    fn a_png_must_reach_its_iend_chunk() {
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend(2u32.to_be_bytes());
        bytes.extend(b"tEXtab");
        bytes.extend([0; 4]);
        bytes.extend(0u32.to_be_bytes());
        bytes.extend(b"IEND");
        bytes.extend([0xAE, 0x42, 0x60, 0x82]);
        assert_eq!(check_png_complete(&bytes), Ok(()));
        let mut with_trailer = bytes.clone();
        with_trailer.extend(b"trailing bytes");
        assert_eq!(check_png_complete(&with_trailer), Ok(()));
        for cut in 8..bytes.len() {
            assert!(
                matches!(
                    check_png_complete(&bytes[..cut]),
                    Err(Rejection::Truncated { .. })
                ),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn end_of_input_errors_mean_truncated() {
        let eof = ImageError::IoError(io::Error::new(io::ErrorKind::UnexpectedEof, "eof"));
        assert_eq!(from_image_error(eof).reason_code(), "truncated");
        assert!(looks_truncated("Unexpected EOF while reading chunk"));
        assert!(!looks_truncated("invalid huffman code"));
    }
}
