//! LocalPicTourney's media validation and renditions, as a pure library: bytes in, bytes out, no
//! I/O, no async, no clock.
//!
//! The worker calls it once an upload has landed:
//!
//! - [`process_image`] checks a JPEG, PNG or WebP picture against its declared
//!   [`ContentType`] and the [`Limits`] (size, type lies, truncation, decompression bombs refused
//!   before any pixel is decoded), turns it upright by its EXIF orientation and makes three
//!   fit-inside JPEG [`Rendition`]s (240, 480, 960 pixels, never upscaled) plus a
//!   [`content_hash`] of the original bytes for exact-duplicate detection;
//! - [`validate_movie`] checks an MP4 or QuickTime movie's box structure and that it has a video
//!   track, and [`movie_cover_placeholder`] draws its cover when no frame extractor is configured;
//! - [`generate_demo_image`] draws deterministic colourful pictures for the demo seeder and tests.
//!
//! Every refusal is a [`Rejection`] whose [`Rejection::reason_code`] is the API's
//! `rejection_reason`.
//!
//! ```
//! use tourney_media::{ContentType, Limits, RenditionSize, generate_demo_image, process_image};
//!
//! let jpeg = generate_demo_image(42, 1600, 1200);
//! let processed = process_image(&jpeg, ContentType::ImageJpeg, &Limits::default())?;
//! assert_eq!((processed.width, processed.height), (1600, 1200));
//! let large = processed.rendition(RenditionSize::Large).expect("three renditions");
//! assert_eq!((large.width, large.height), (960, 720));
//! assert_eq!(processed.content_hash.len(), 64);
//!
//! // The same bytes declared as PNG are a lie.
//! let lie = process_image(&jpeg, ContentType::ImagePng, &Limits::default()).unwrap_err();
//! assert_eq!(lie.reason_code(), "type_mismatch");
//! # Ok::<(), tourney_media::Rejection>(())
//! ```

mod box_tree;
mod canvas;
mod content_type;
mod demo;
mod hash;
mod jpeg_check;
mod limits;
mod movie;
mod picture;
mod rejection;
mod rendition;

pub use content_type::ContentType;
pub use demo::{DEMO_MAX_SIDE, generate_demo_image};
pub use hash::content_hash;
pub use limits::Limits;
pub use movie::{MovieInfo, movie_cover_placeholder, validate_movie};
pub use picture::process_image;
pub use rejection::Rejection;
pub use rendition::{JPEG_QUALITY, ProcessedImage, Rendition, RenditionSize, fit_inside};
