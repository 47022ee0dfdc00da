//! Media renditions of a 12-megapixel JPEG (4000 x 3000, drawn by
//! `tourney_media::generate_demo_image`): tourney-media's resizer (`fast_image_resize`,
//! Catmull-Rom) against the `image` crate's own resize with the same filter, on the same
//! decoded picture, with decoding timed on its own.
//!
//! Groups (entry `ours` is tourney-media's path, so `bench-report` prints the ratios):
//! - `media 12 MP: decode`: JPEG to 8-bit RGB, as `process_image` does before resizing;
//! - `media 12 MP: resize to 960/480/240`: the three renditions' resizes from the decoded
//!   picture, chained as tourney-media chains them (960 from the original, 480 from 960, 240
//!   from 480), no encoding;
//! - `media 12 MP: whole job`: bytes in, three JPEG renditions out. `ours` is the public
//!   `tourney_media::process_image` (checks, decode, resize, encode, content hash); `image` is
//!   the same decode and encoder around `image::imageops::resize`.
//!
//! Throughput is in thumbnails (three per original), so criterion's `elem/s` is thumbnails
//! per second. Run: `cargo bench -p benches --bench media`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fast_image_resize as fir;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::{self, FilterType};
use image::{ExtendedColorType, ImageFormat, RgbImage};
use tourney_media::{
    ContentType, JPEG_QUALITY, Limits, RenditionSize, fit_inside, generate_demo_image,
    process_image,
};

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;

/// The 12 MP original as JPEG bytes.
fn original() -> Vec<u8> {
    generate_demo_image(12, WIDTH, HEIGHT)
}

/// Decodes JPEG bytes to 8-bit RGB.
fn decode(jpeg: &[u8]) -> RgbImage {
    image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg)
        .expect("the generated JPEG decodes")
        .into_rgb8()
}

/// The rendition sizes, largest first, as tourney-media makes them.
fn sizes() -> Vec<(u32, u32)> {
    RenditionSize::ALL
        .iter()
        .rev()
        .map(|size| fit_inside(WIDTH, HEIGHT, size.max_side()))
        .collect()
}

/// tourney-media's resize (`rendition::resize_rgb`, private there): `fast_image_resize`,
/// Catmull-Rom convolution, one `Resizer` reused across the three sizes.
fn resize_ours(resizer: &mut fir::Resizer, source: &RgbImage, width: u32, height: u32) -> RgbImage {
    let view = fir::images::ImageRef::new(
        source.width(),
        source.height(),
        source.as_raw(),
        fir::PixelType::U8x3,
    )
    .expect("a valid source view");
    let mut target = fir::images::Image::new(width, height, fir::PixelType::U8x3);
    let options = fir::ResizeOptions::new()
        .resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::CatmullRom));
    resizer
        .resize(&view, &mut target, &options)
        .expect("resizing works");
    RgbImage::from_raw(width, height, target.into_vec()).expect("a buffer of the right size")
}

/// The `image` crate's own resize with the same filter.
fn resize_image(source: &RgbImage, width: u32, height: u32) -> RgbImage {
    imageops::resize(source, width, height, FilterType::CatmullRom)
}

/// The three renditions chained largest first, with `resize`.
fn chain(
    original: &RgbImage,
    mut resize: impl FnMut(&RgbImage, u32, u32) -> RgbImage,
) -> Vec<RgbImage> {
    let mut out: Vec<RgbImage> = Vec::with_capacity(3);
    for (width, height) in sizes() {
        let next = resize(out.last().unwrap_or(original), width, height);
        out.push(next);
    }
    out
}

/// JPEG quality 85, as tourney-media encodes its renditions.
fn encode(pixels: &RgbImage) -> Vec<u8> {
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
        .encode(
            pixels.as_raw(),
            pixels.width(),
            pixels.height(),
            ExtendedColorType::Rgb8,
        )
        .expect("encoding works");
    jpeg
}

fn configure(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(3));
}

fn media(c: &mut Criterion) {
    let jpeg = original();
    let decoded = decode(&jpeg);
    assert_eq!(decoded.dimensions(), (WIDTH, HEIGHT));

    let mut group = c.benchmark_group("media 12 MP: decode");
    configure(&mut group);
    group.bench_function("ours", |b| b.iter(|| decode(black_box(&jpeg))));
    group.finish();

    let mut group = c.benchmark_group("media 12 MP: resize to 960/480/240");
    configure(&mut group);
    let mut resizer = fir::Resizer::new();
    group.bench_function("ours", |b| {
        b.iter(|| {
            chain(black_box(&decoded), |source, w, h| {
                resize_ours(&mut resizer, source, w, h)
            })
        });
    });
    group.bench_function("image", |b| {
        b.iter(|| chain(black_box(&decoded), resize_image));
    });
    group.finish();

    let mut group = c.benchmark_group("media 12 MP: whole job");
    configure(&mut group);
    let limits = Limits::default();
    group.bench_function("ours", |b| {
        b.iter(|| {
            process_image(black_box(&jpeg), ContentType::ImageJpeg, &limits)
                .expect("a valid picture")
        });
    });
    group.bench_function("image", |b| {
        b.iter(|| {
            let decoded = decode(black_box(&jpeg));
            chain(&decoded, resize_image)
                .iter()
                .map(encode)
                .collect::<Vec<_>>()
        });
    });
    group.finish();
}

criterion_group!(benches, media);
criterion_main!(benches);
