//! Fit-inside JPEG renditions (240, 480 and 960 pixels) of a decoded picture.

use std::borrow::Cow;

use fast_image_resize as fir;
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ExtendedColorType, RgbImage};

use crate::Rejection;

/// JPEG quality of every rendition (good enough for phones, about a tenth of the original).
pub const JPEG_QUALITY: u8 = 85;

/// One of the three rendition sizes; each fits inside a square of [`RenditionSize::max_side`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RenditionSize {
    /// Fits inside 240 x 240 (`url_small`: lists and thumbnails).
    Small,
    /// Fits inside 480 x 480 (`url_medium`: profile and detail views).
    Medium,
    /// Fits inside 960 x 960 (`url_large` and `game`: the match screen).
    Large,
}

impl RenditionSize {
    /// Every size, smallest first (the order of [`ProcessedImage::renditions`]).
    pub const ALL: [Self; 3] = [Self::Small, Self::Medium, Self::Large];

    /// The side of the square the rendition fits inside, in pixels.
    #[must_use]
    pub const fn max_side(self) -> u32 {
        match self {
            Self::Small => 240,
            Self::Medium => 480,
            Self::Large => 960,
        }
    }

    /// A short lowercase name (`small`, `medium`, `large`), for object keys.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Small => "small",
            Self::Medium => "medium",
            Self::Large => "large",
        }
    }
}

/// One JPEG rendition of a picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendition {
    /// Which of the three sizes this is.
    pub size: RenditionSize,
    /// Width in pixels (at most `size.max_side()`, and at most the original's).
    pub width: u32,
    /// Height in pixels (at most `size.max_side()`, and at most the original's).
    pub height: u32,
    /// The encoded JPEG (quality [`JPEG_QUALITY`], no metadata).
    pub jpeg: Vec<u8>,
}

/// A validated picture: its display size, the hash of the original bytes and its renditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedImage {
    /// Display width of the original in pixels (after applying its EXIF orientation).
    pub width: u32,
    /// Display height of the original in pixels (after applying its EXIF orientation).
    pub height: u32,
    /// SHA-256 of the original bytes as lowercase hex (see [`crate::content_hash`]).
    pub content_hash: String,
    /// One rendition per [`RenditionSize`], in the order of [`RenditionSize::ALL`].
    pub renditions: Vec<Rendition>,
}

impl ProcessedImage {
    /// The rendition of the given size, if present (always present for this crate's output).
    #[must_use]
    pub fn rendition(&self, size: RenditionSize) -> Option<&Rendition> {
        self.renditions
            .iter()
            .find(|rendition| rendition.size == size)
    }
}

/// The size that fits `width` x `height` inside `max_side` x `max_side`, keeping the aspect
/// ratio (the short side rounded to the nearest pixel, at least 1) and never upscaling: a picture
/// that already fits keeps its size.
#[must_use]
pub fn fit_inside(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    if width <= max_side && height <= max_side {
        return (width, height);
    }
    if width >= height {
        (max_side, scale_side(height, max_side, width))
    } else {
        (scale_side(width, max_side, height), max_side)
    }
}

/// `short * max_side / long` rounded to the nearest integer, at least 1 (`short <= long`).
fn scale_side(short: u32, max_side: u32, long: u32) -> u32 {
    let long = u64::from(long);
    let scaled = (u64::from(short) * u64::from(max_side) + long / 2) / long;
    u32::try_from(scaled.max(1)).unwrap_or(max_side)
}

/// Flattens a decoded picture to 8-bit RGB, compositing any transparency onto white (JPEG has
/// no alpha, and a transparent logo on black looks broken).
pub(crate) fn to_rgb_on_white(picture: DynamicImage) -> RgbImage {
    if !picture.color().has_alpha() {
        return picture.into_rgb8();
    }
    let rgba = picture.into_rgba8();
    let (width, height) = rgba.dimensions();
    let mut rgb = Vec::with_capacity(rgba.as_raw().len() / 4 * 3);
    for pixel in rgba.as_raw().chunks_exact(4) {
        let alpha = u32::from(pixel[3]);
        for &channel in &pixel[..3] {
            let blended = (u32::from(channel) * alpha + 255 * (255 - alpha) + 127) / 255;
            rgb.push(u8::try_from(blended).unwrap_or(u8::MAX));
        }
    }
    RgbImage::from_raw(width, height, rgb).unwrap_or_else(|| RgbImage::new(width, height))
}

/// Makes the three renditions of `original`, smallest first.
///
/// Each size is resized from the next larger rendition (Large from the original), which costs
/// little quality at 2x steps and saves most of the work; equal sizes share one encoding.
pub(crate) fn make_renditions(original: &RgbImage) -> Result<Vec<Rendition>, Rejection> {
    let (original_width, original_height) = original.dimensions();
    let mut resizer = fir::Resizer::new();
    let mut source: Cow<'_, RgbImage> = Cow::Borrowed(original);
    let mut renditions: Vec<Rendition> = Vec::with_capacity(RenditionSize::ALL.len());
    for size in RenditionSize::ALL.into_iter().rev() {
        let (width, height) = fit_inside(original_width, original_height, size.max_side());
        if let Some(previous) = renditions.last()
            && (previous.width, previous.height) == (width, height)
        {
            let jpeg = previous.jpeg.clone();
            renditions.push(Rendition {
                size,
                width,
                height,
                jpeg,
            });
            continue;
        }
        if source.dimensions() != (width, height) {
            source = Cow::Owned(resize_rgb(&mut resizer, &source, width, height)?);
        }
        let jpeg = encode_jpeg(&source)?;
        renditions.push(Rendition {
            size,
            width,
            height,
            jpeg,
        });
    }
    renditions.reverse();
    Ok(renditions)
}

/// Resizes RGB pixels with a Catmull-Rom convolution (SIMD where the CPU has it).
fn resize_rgb(
    resizer: &mut fir::Resizer,
    source: &RgbImage,
    width: u32,
    height: u32,
) -> Result<RgbImage, Rejection> {
    let source_view = fir::images::ImageRef::new(
        source.width(),
        source.height(),
        source.as_raw(),
        fir::PixelType::U8x3,
    )
    .map_err(|error| internal("resize source", &error))?;
    let mut target = fir::images::Image::new(width, height, fir::PixelType::U8x3);
    let options = fir::ResizeOptions::new()
        .resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::CatmullRom));
    resizer
        .resize(&source_view, &mut target, &options)
        .map_err(|error| internal("resize", &error))?;
    RgbImage::from_raw(width, height, target.into_vec())
        .ok_or_else(|| internal("resize", &"buffer of the wrong size"))
}

/// Encodes RGB pixels as a baseline JPEG of quality [`JPEG_QUALITY`].
pub(crate) fn encode_jpeg(pixels: &RgbImage) -> Result<Vec<u8>, Rejection> {
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
        .encode(
            pixels.as_raw(),
            pixels.width(),
            pixels.height(),
            ExtendedColorType::Rgb8,
        )
        .map_err(|error| internal("jpeg encoding", &error))?;
    Ok(jpeg)
}

/// A failure of this crate's own processing after the input was accepted (not expected to
/// happen; reported as corrupt input so the upload is refused rather than the worker stuck).
fn internal(step: &str, error: &dyn std::fmt::Display) -> Rejection {
    Rejection::Corrupt {
        detail: format!("{step} failed: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, Rgba, RgbaImage};

    #[test]
    fn fit_inside_scales_the_long_side_to_the_box() {
        assert_eq!(fit_inside(4000, 3000, 960), (960, 720));
        assert_eq!(fit_inside(3000, 4000, 480), (360, 480));
        assert_eq!(fit_inside(1000, 1000, 240), (240, 240));
        assert_eq!(fit_inside(961, 1, 960), (960, 1));
        assert_eq!(fit_inside(100_000, 1, 240), (240, 1));
    }

    #[test]
    fn fit_inside_never_upscales() {
        assert_eq!(fit_inside(200, 100, 240), (200, 100));
        assert_eq!(fit_inside(960, 960, 960), (960, 960));
        assert_eq!(fit_inside(1, 1, 240), (1, 1));
    }

    #[test]
    fn fit_inside_rounds_to_the_nearest_pixel() {
        // 1000 x 333 into 240: 333 * 240 / 1000 = 79.92 -> 80.
        assert_eq!(fit_inside(1000, 333, 240), (240, 80));
        // 1000 x 331 into 240: 79.44 -> 79.
        assert_eq!(fit_inside(1000, 331, 240), (240, 79));
    }

    #[test]
    fn sizes_are_ordered_and_named() {
        let sides: Vec<u32> = RenditionSize::ALL.iter().map(|s| s.max_side()).collect();
        assert_eq!(sides, [240, 480, 960]);
        assert_eq!(RenditionSize::Large.as_str(), "large");
    }

    #[test]
    fn transparency_is_composited_onto_white() {
        let mut rgba = RgbaImage::new(2, 1);
        rgba.put_pixel(0, 0, Rgba([0, 0, 0, 0]));
        rgba.put_pixel(1, 0, Rgba([10, 20, 30, 255]));
        let rgb = to_rgb_on_white(DynamicImage::ImageRgba8(rgba));
        assert_eq!(rgb.get_pixel(0, 0), &Rgb([255, 255, 255]));
        assert_eq!(rgb.get_pixel(1, 0), &Rgb([10, 20, 30]));
    }

    #[test]
    fn renditions_fit_and_share_encodings_when_sizes_match() {
        let original = RgbImage::from_pixel(1200, 300, Rgb([200, 40, 90]));
        let renditions = make_renditions(&original).expect("renditions of a flat picture");
        let sizes: Vec<(u32, u32)> = renditions.iter().map(|r| (r.width, r.height)).collect();
        assert_eq!(sizes, [(240, 60), (480, 120), (960, 240)]);

        let small = RgbImage::from_pixel(100, 50, Rgb([1, 2, 3]));
        let renditions = make_renditions(&small).expect("renditions of a small picture");
        assert_eq!(renditions.len(), 3);
        assert!(
            renditions
                .iter()
                .all(|r| (r.width, r.height) == (100, 50) && r.jpeg == renditions[0].jpeg)
        );
    }

    #[test]
    fn resizing_keeps_a_flat_colour() {
        let original = RgbImage::from_pixel(900, 600, Rgb([30, 160, 220]));
        let mut resizer = fir::Resizer::new();
        let resized =
            resize_rgb(&mut resizer, &original, 300, 200).expect("resizing a flat picture");
        assert_eq!(resized.dimensions(), (300, 200));
        assert_eq!(resized.get_pixel(150, 100), &Rgb([30, 160, 220]));
    }
}
