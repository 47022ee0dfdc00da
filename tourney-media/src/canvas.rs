//! A tiny RGB canvas drawn by code (gradients and anti-aliased shapes) for generated demo
//! pictures and movie cover placeholders.

use image::{Rgb, RgbImage};

/// An RGB colour.
pub(crate) type Colour = [u8; 3];

/// Sub-pixel sample offsets for anti-aliasing (a 2 x 2 grid inside each pixel).
const SAMPLE_OFFSETS: [(f32, f32); 4] = [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)];

/// An RGB picture being drawn.
#[derive(Debug)]
pub(crate) struct Canvas {
    pixels: RgbImage,
}

impl Canvas {
    /// A black canvas of the given size.
    pub(crate) fn new(width: u32, height: u32) -> Self {
        Self {
            pixels: RgbImage::new(width, height),
        }
    }

    pub(crate) fn width(&self) -> u32 {
        self.pixels.width()
    }

    pub(crate) fn height(&self) -> u32 {
        self.pixels.height()
    }

    /// Fills the canvas with a linear gradient from `start` (at the top-left corner when
    /// `diagonal`, else at the top edge) to `end`.
    pub(crate) fn gradient(&mut self, start: Colour, end: Colour, diagonal: bool) {
        let (width, height) = self.pixels.dimensions();
        let span = if diagonal {
            (width + height).saturating_sub(2).max(1)
        } else {
            height.saturating_sub(1).max(1)
        };
        for (x, y, pixel) in self.pixels.enumerate_pixels_mut() {
            let distance = if diagonal { x + y } else { y };
            let fraction = distance as f32 / span as f32;
            *pixel = Rgb(mix(start, end, fraction));
        }
    }

    /// Blends `colour` at `opacity` (0 to 1) over a disc.
    pub(crate) fn circle(&mut self, centre: (f32, f32), radius: f32, colour: Colour, opacity: f32) {
        let (cx, cy) = centre;
        let bounds = (cx - radius, cy - radius, cx + radius, cy + radius);
        let radius_squared = radius * radius;
        self.fill(bounds, colour, opacity, |x, y| {
            (x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius_squared
        });
    }

    /// Blends `colour` at `opacity` over the rectangle from `(left, top)` to `(right, bottom)`.
    pub(crate) fn rectangle(
        &mut self,
        (left, top): (f32, f32),
        (right, bottom): (f32, f32),
        colour: Colour,
        opacity: f32,
    ) {
        self.fill((left, top, right, bottom), colour, opacity, |x, y| {
            x >= left && x <= right && y >= top && y <= bottom
        });
    }

    /// Blends `colour` at `opacity` over a triangle (corners in any order).
    pub(crate) fn triangle(&mut self, corners: [(f32, f32); 3], colour: Colour, opacity: f32) {
        let [a, b, c] = corners;
        let left = a.0.min(b.0).min(c.0);
        let top = a.1.min(b.1).min(c.1);
        let right = a.0.max(b.0).max(c.0);
        let bottom = a.1.max(b.1).max(c.1);
        self.fill((left, top, right, bottom), colour, opacity, |x, y| {
            let side_ab = edge(a, b, (x, y));
            let side_bc = edge(b, c, (x, y));
            let side_ca = edge(c, a, (x, y));
            let all_left = side_ab >= 0.0 && side_bc >= 0.0 && side_ca >= 0.0;
            let all_right = side_ab <= 0.0 && side_bc <= 0.0 && side_ca <= 0.0;
            all_left || all_right
        });
    }

    /// The finished picture.
    pub(crate) fn into_image(self) -> RgbImage {
        self.pixels
    }

    /// Blends `colour` over the pixels inside `bounds` (left, top, right, bottom) in proportion
    /// to how many of their sub-pixel samples `inside` accepts.
    fn fill(
        &mut self,
        bounds: (f32, f32, f32, f32),
        colour: Colour,
        opacity: f32,
        inside: impl Fn(f32, f32) -> bool,
    ) {
        let (width, height) = self.pixels.dimensions();
        let (left, top, right, bottom) = bounds;
        let x_range = pixel_range(left, right, width);
        let y_range = pixel_range(top, bottom, height);
        for y in y_range {
            for x in x_range.clone() {
                let n_inside = SAMPLE_OFFSETS
                    .iter()
                    .filter(|(dx, dy)| inside(x as f32 + dx, y as f32 + dy))
                    .count();
                if n_inside == 0 {
                    continue;
                }
                let coverage = n_inside as f32 / SAMPLE_OFFSETS.len() as f32;
                let pixel = self.pixels.get_pixel_mut(x, y);
                *pixel = Rgb(mix(pixel.0, colour, coverage * opacity.clamp(0.0, 1.0)));
            }
        }
    }
}

/// The whole pixels touched by the span `start..end`, clipped to `0..limit`.
fn pixel_range(start: f32, end: f32, limit: u32) -> std::ops::Range<u32> {
    let first = start.floor().max(0.0) as u32;
    let last = (end.ceil().max(0.0) as u32).min(limit);
    first.min(last)..last
}

/// Which side of the line from `a` to `b` the point `p` is on (the sign of the cross product).
fn edge(a: (f32, f32), b: (f32, f32), p: (f32, f32)) -> f32 {
    (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0)
}

/// `from` moved `fraction` (0 to 1) of the way to `to`, per channel.
pub(crate) fn mix(from: Colour, to: Colour, fraction: f32) -> Colour {
    let fraction = fraction.clamp(0.0, 1.0);
    let mut mixed = [0; 3];
    for (channel, slot) in mixed.iter_mut().enumerate() {
        let start = f32::from(from[channel]);
        let end = f32::from(to[channel]);
        *slot = (start + (end - start) * fraction).round().clamp(0.0, 255.0) as u8;
    }
    mixed
}

/// The RGB colour of a hue (0 to 360 degrees) at the given saturation and value (0 to 1).
pub(crate) fn hsv(hue: f32, saturation: f32, value: f32) -> Colour {
    let hue = hue.rem_euclid(360.0) / 60.0;
    let chroma = value * saturation;
    let second = chroma * (1.0 - (hue % 2.0 - 1.0).abs());
    let (red, green, blue) = match hue as u32 {
        0 => (chroma, second, 0.0),
        1 => (second, chroma, 0.0),
        2 => (0.0, chroma, second),
        3 => (0.0, second, chroma),
        4 => (second, 0.0, chroma),
        _ => (chroma, 0.0, second),
    };
    let offset = value - chroma;
    let to_byte = |channel: f32| ((channel + offset) * 255.0).round().clamp(0.0, 255.0) as u8;
    [to_byte(red), to_byte(green), to_byte(blue)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_goes_from_one_colour_to_the_other() {
        assert_eq!(mix([0, 100, 200], [200, 100, 0], 0.0), [0, 100, 200]);
        assert_eq!(mix([0, 100, 200], [200, 100, 0], 0.5), [100, 100, 100]);
        assert_eq!(mix([0, 100, 200], [200, 100, 0], 7.0), [200, 100, 0]);
    }

    #[test]
    fn hsv_gives_the_primaries() {
        assert_eq!(hsv(0.0, 1.0, 1.0), [255, 0, 0]);
        assert_eq!(hsv(120.0, 1.0, 1.0), [0, 255, 0]);
        assert_eq!(hsv(240.0, 1.0, 1.0), [0, 0, 255]);
        assert_eq!(hsv(480.0, 1.0, 1.0), [0, 255, 0]);
        assert_eq!(hsv(10.0, 0.0, 0.5), [128, 128, 128]);
    }

    #[test]
    fn shapes_cover_their_inside_and_spare_the_outside() {
        let mut canvas = Canvas::new(20, 20);
        canvas.circle((5.0, 5.0), 3.0, [255, 0, 0], 1.0);
        canvas.rectangle((12.0, 12.0), (18.0, 18.0), [0, 255, 0], 1.0);
        canvas.triangle([(0.0, 19.0), (8.0, 19.0), (0.0, 11.0)], [0, 0, 255], 1.0);
        let pixels = canvas.into_image();
        assert_eq!(pixels.get_pixel(5, 5).0, [255, 0, 0]);
        assert_eq!(pixels.get_pixel(15, 15).0, [0, 255, 0]);
        assert_eq!(pixels.get_pixel(1, 17).0, [0, 0, 255]);
        assert_eq!(pixels.get_pixel(10, 2).0, [0, 0, 0]);
        assert_eq!(pixels.get_pixel(7, 12).0, [0, 0, 0]);
    }

    #[test]
    fn shapes_off_the_canvas_are_clipped() {
        let mut canvas = Canvas::new(4, 4);
        canvas.circle((-50.0, -50.0), 10.0, [255, 255, 255], 1.0);
        canvas.rectangle((2.0, 2.0), (400.0, 400.0), [255, 255, 255], 0.5);
        let pixels = canvas.into_image();
        assert_eq!(pixels.get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(pixels.get_pixel(3, 3).0, [128, 128, 128]);
    }

    #[test]
    fn gradients_run_from_start_to_end() {
        let mut canvas = Canvas::new(3, 5);
        canvas.gradient([0, 0, 0], [200, 200, 200], false);
        assert_eq!((canvas.width(), canvas.height()), (3, 5));
        let pixels = canvas.into_image();
        assert_eq!(pixels.get_pixel(2, 0).0, [0, 0, 0]);
        assert_eq!(pixels.get_pixel(0, 4).0, [200, 200, 200]);
    }
}
