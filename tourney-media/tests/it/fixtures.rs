//! Picture bodies built in code with the image crate's encoders, and byte-level helpers
//! (CRC-32, an EXIF segment) for hand-made variants.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

/// A smooth colourful RGB picture (cheap to make at any size).
pub(crate) fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let red = u8::try_from(x * 255 / width.max(1)).unwrap_or(255);
        let green = u8::try_from(y * 255 / height.max(1)).unwrap_or(255);
        Rgb([red, green, 128])
    })
}

/// `pixels` as a JPEG of quality 90.
pub(crate) fn jpeg(pixels: &RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, 90)
        .encode(
            pixels.as_raw(),
            pixels.width(),
            pixels.height(),
            ExtendedColorType::Rgb8,
        )
        .expect("jpeg encoding in memory");
    bytes
}

/// `pixels` as a PNG.
pub(crate) fn png(pixels: &RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    PngEncoder::new(&mut bytes)
        .write_image(
            pixels.as_raw(),
            pixels.width(),
            pixels.height(),
            ExtendedColorType::Rgb8,
        )
        .expect("png encoding in memory");
    bytes
}

/// `pixels` (with alpha) as a PNG.
pub(crate) fn png_rgba(pixels: &RgbaImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    PngEncoder::new(&mut bytes)
        .write_image(
            pixels.as_raw(),
            pixels.width(),
            pixels.height(),
            ExtendedColorType::Rgba8,
        )
        .expect("png encoding in memory");
    bytes
}

/// `pixels` as a lossless WebP (the image crate's own WebP encoder).
pub(crate) fn webp(pixels: &RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    WebPEncoder::new_lossless(&mut bytes)
        .write_image(
            pixels.as_raw(),
            pixels.width(),
            pixels.height(),
            ExtendedColorType::Rgb8,
        )
        .expect("webp encoding in memory");
    bytes
}

/// A half-transparent RGBA picture.
pub(crate) fn translucent(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, _| {
        let alpha = if x < width / 2 { 0 } else { 255 };
        Rgba([20, 40, 60, alpha])
    })
}

/// The CRC-32 (IEEE) that PNG chunks carry.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// A PNG chunk: length, type, data, CRC of type and data.
pub(crate) fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let length = u32::try_from(data.len()).expect("chunk fits u32");
    let mut chunk = length.to_be_bytes().to_vec();
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    chunk.extend_from_slice(&crc_input);
    chunk.extend(crc32(&crc_input).to_be_bytes());
    chunk
}

/// A tiny PNG whose header claims `width` x `height` RGB pixels, followed by a few bytes of
/// image data: a decompression bomb's header.
pub(crate) fn png_header_claiming(width: u32, height: u32) -> Vec<u8> {
    png_header(width, height, 8, 2)
}

/// A PNG of `width` x `height` with `bit_depth` and `color_type` whose image data is a few
/// bytes: the header of a picture of any size, in any pixel format.
pub(crate) fn png_header(width: u32, height: u32, bit_depth: u8, color_type: u8) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([bit_depth, color_type, 0, 0, 0]);
    bytes.extend(png_chunk(b"IHDR", &ihdr));
    bytes.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    bytes.extend(png_chunk(b"IEND", &[]));
    bytes
}

/// `jpeg` with an EXIF segment saying the stored picture must be shown turned by `orientation`
/// (1 to 8), inserted right after the start-of-image marker.
pub(crate) fn with_exif_orientation(jpeg: &[u8], orientation: u8) -> Vec<u8> {
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(b"II*\0");
    exif.extend(8u32.to_le_bytes());
    exif.extend(1u16.to_le_bytes());
    exif.extend(0x0112u16.to_le_bytes());
    exif.extend(3u16.to_le_bytes());
    exif.extend(1u32.to_le_bytes());
    exif.extend([orientation, 0, 0, 0]);
    exif.extend(0u32.to_le_bytes());
    let length = u16::try_from(exif.len() + 2).expect("segment fits u16");
    let mut bytes = jpeg[..2].to_vec();
    bytes.extend([0xFF, 0xE1]);
    bytes.extend(length.to_be_bytes());
    bytes.extend(exif);
    bytes.extend_from_slice(&jpeg[2..]);
    bytes
}

#[test]
fn crc32_matches_the_standard_check_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}
