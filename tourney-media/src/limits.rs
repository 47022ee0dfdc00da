//! The limits an upload must stay within, checked before any pixel is decoded.

/// Limits on an uploaded body and on what its header may announce.
///
/// The defaults follow the product spec (20 MiB bodies) and keep a decoded image within a few
/// hundred MiB. The struct is `#[non_exhaustive]`: start from [`Limits::default`] and set fields.
///
/// ```
/// let mut limits = tourney_media::Limits::default();
/// limits.max_bytes = 5 * 1024 * 1024;
/// assert_eq!(limits.max_pixels, 50_000_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest accepted body, in bytes (default 20 MiB, the upload setting).
    pub max_bytes: u64,
    /// Most pixels (width x height) a header may announce (default 50 megapixels).
    pub max_pixels: u64,
    /// Widest accepted image, in pixels (default 12 000).
    pub max_width: u32,
    /// Tallest accepted image, in pixels (default 12 000).
    pub max_height: u32,
    /// Most memory the decoder may allocate, in bytes (default 512 MiB, image's own default).
    pub max_alloc: u64,
}

impl Limits {
    /// The default largest body: 20 MiB.
    pub const DEFAULT_MAX_BYTES: u64 = 20 * 1024 * 1024;
    /// The default most pixels: 50 megapixels.
    pub const DEFAULT_MAX_PIXELS: u64 = 50_000_000;
    /// The default widest and tallest side: 12 000 pixels.
    pub const DEFAULT_MAX_SIDE: u32 = 12_000;
    /// The default most decoder memory: 512 MiB.
    pub const DEFAULT_MAX_ALLOC: u64 = 512 * 1024 * 1024;

    /// Whether a `width` x `height` header is within the side and pixel limits.
    #[must_use]
    pub const fn allows_dimensions(&self, width: u32, height: u32) -> bool {
        let n_pixels = width as u64 * height as u64;
        width <= self.max_width && height <= self.max_height && n_pixels <= self.max_pixels
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_pixels: Self::DEFAULT_MAX_PIXELS,
            max_width: Self::DEFAULT_MAX_SIDE,
            max_height: Self::DEFAULT_MAX_SIDE,
            max_alloc: Self::DEFAULT_MAX_ALLOC,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_spec() {
        let limits = Limits::default();
        assert_eq!(limits.max_bytes, 20 * 1024 * 1024);
        assert_eq!(limits.max_pixels, 50_000_000);
        assert_eq!((limits.max_width, limits.max_height), (12_000, 12_000));
        assert_eq!(limits.max_alloc, 512 * 1024 * 1024);
    }

    #[test]
    fn dimensions_are_checked_per_side_and_in_total() {
        let limits = Limits::default();
        assert!(limits.allows_dimensions(8_000, 6_000));
        assert!(!limits.allows_dimensions(12_001, 10));
        assert!(!limits.allows_dimensions(10, 12_001));
        assert!(!limits.allows_dimensions(10_000, 5_001));
        assert!(!limits.allows_dimensions(u32::MAX, u32::MAX));
    }
}
