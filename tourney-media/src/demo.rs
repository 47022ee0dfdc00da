//! Deterministic colourful pictures drawn by code (gradients and shapes), for the demo seeder and
//! for tests: no downloads, the same seed always gives the same bytes.

use crate::canvas::{Canvas, hsv, mix};
use crate::rendition::encode_jpeg;

/// The largest side [`generate_demo_image`] draws; larger requests are clamped to it.
pub const DEMO_MAX_SIDE: u32 = 4096;

/// Draws a deterministic colourful picture and returns it as a JPEG (quality 85).
///
/// The seed picks a two-hue gradient background and three to eight translucent circles,
/// rectangles and triangles, so different seeds give visibly different pictures and the same
/// seed always gives the same bytes. Each side is clamped to `1..=`[`DEMO_MAX_SIDE`].
///
/// ```
/// let jpeg = tourney_media::generate_demo_image(7, 64, 48);
/// assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
/// assert_eq!(jpeg, tourney_media::generate_demo_image(7, 64, 48));
/// ```
#[must_use]
pub fn generate_demo_image(seed: u64, width: u32, height: u32) -> Vec<u8> {
    let width = width.clamp(1, DEMO_MAX_SIDE);
    let height = height.clamp(1, DEMO_MAX_SIDE);
    let mut random = SplitMix64::new(seed);
    let mut canvas = Canvas::new(width, height);

    let base_hue = random.unit() * 360.0;
    let start = hsv(base_hue, 0.55 + 0.35 * random.unit(), 0.85);
    let end = hsv(
        base_hue + 90.0 + 120.0 * random.unit(),
        0.7,
        0.35 + 0.3 * random.unit(),
    );
    canvas.gradient(start, end, random.below(2) == 0);

    let n_shapes = 3 + random.below(6);
    for _ in 0..n_shapes {
        draw_random_shape(&mut canvas, &mut random, base_hue);
    }
    // Encoding in-memory RGB pixels of a valid size does not fail; an empty result would be
    // refused by `process_image` as empty rather than pass silently.
    encode_jpeg(&canvas.into_image()).unwrap_or_default()
}

/// Draws one circle, rectangle or triangle with a random colour, place and size.
fn draw_random_shape(canvas: &mut Canvas, random: &mut SplitMix64, base_hue: f32) {
    let width = canvas.width() as f32;
    let height = canvas.height() as f32;
    let short_side = width.min(height);
    let hue = base_hue + 180.0 + (random.unit() - 0.5) * 200.0;
    let colour = mix(hsv(hue, 0.8, 0.95), [255, 255, 255], 0.15 * random.unit());
    let opacity = 0.55 + 0.4 * random.unit();
    let centre = (random.unit() * width, random.unit() * height);
    let size = short_side * (0.08 + 0.3 * random.unit());
    match random.below(3) {
        0 => canvas.circle(centre, size, colour, opacity),
        1 => {
            let half_width = size * (0.5 + random.unit());
            let half_height = size * (0.5 + random.unit());
            canvas.rectangle(
                (centre.0 - half_width, centre.1 - half_height),
                (centre.0 + half_width, centre.1 + half_height),
                colour,
                opacity,
            );
        }
        _ => {
            let corner = |random: &mut SplitMix64| {
                let angle = random.unit() * std::f32::consts::TAU;
                (
                    centre.0 + size * 1.4 * angle.cos(),
                    centre.1 + size * 1.4 * angle.sin(),
                )
            };
            let corners = [corner(random), corner(random), corner(random)];
            canvas.triangle(corners, colour, opacity);
        }
    }
}

/// SplitMix64: a tiny, well-mixed deterministic generator (no dependency, stable across
/// versions, which a seeded demo needs).
#[derive(Debug)]
struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.state;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    /// A uniform number in `0..1` (24 bits of precision).
    fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// A uniform number in `0..bound` (`bound` > 0; the modulo bias is irrelevant here).
    fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_different_seed_different_bytes() {
        let first = generate_demo_image(1, 120, 80);
        assert_eq!(first, generate_demo_image(1, 120, 80));
        assert_ne!(first, generate_demo_image(2, 120, 80));
    }

    #[test]
    fn output_is_a_jpeg_of_the_requested_size() {
        let jpeg = generate_demo_image(3, 123, 45);
        let decoded = image::load_from_memory(&jpeg).expect("a demo jpeg decodes");
        assert_eq!((decoded.width(), decoded.height()), (123, 45));
    }

    #[test]
    fn sides_are_clamped() {
        let jpeg = generate_demo_image(4, 0, 5000);
        let decoded = image::load_from_memory(&jpeg).expect("a demo jpeg decodes");
        assert_eq!((decoded.width(), decoded.height()), (1, DEMO_MAX_SIDE));
    }

    #[test]
    fn pictures_are_colourful_not_flat() {
        let jpeg = generate_demo_image(5, 200, 150);
        let rgb = image::load_from_memory(&jpeg)
            .expect("a demo jpeg decodes")
            .into_rgb8();
        let mut colours: Vec<[u8; 3]> = rgb.pixels().map(|p| p.0.map(|c| c / 32)).collect();
        colours.sort_unstable();
        colours.dedup();
        assert!(colours.len() >= 8, "only {} coarse colours", colours.len());
    }

    #[test]
    fn splitmix_is_the_reference_sequence() {
        // First output of SplitMix64 seeded with 0 (Vigna's reference implementation).
        assert_eq!(SplitMix64::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
        let mut random = SplitMix64::new(9);
        for _ in 0..1000 {
            let unit = random.unit();
            assert!((0.0..1.0).contains(&unit));
            assert!(random.below(3) < 3);
        }
    }
}
