//! The content types an upload may declare, and sniffing the real type from the first bytes.

use std::fmt;
use std::str::FromStr;

use crate::Rejection;

/// A content type LocalPicTourney accepts for an upload.
///
/// Uploads declare one (the `Content-Type` of the presigned upload); the worker then checks the
/// body against it, so a type is never taken on trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// `image/jpeg` (also accepted as `image/jpg` when parsing).
    ImageJpeg,
    /// `image/png`.
    ImagePng,
    /// `image/webp`.
    ImageWebp,
    /// `video/mp4`.
    VideoMp4,
    /// `video/quicktime` (`.mov`).
    VideoQuicktime,
}

impl ContentType {
    /// Every accepted content type, images first.
    pub const ALL: [Self; 5] = [
        Self::ImageJpeg,
        Self::ImagePng,
        Self::ImageWebp,
        Self::VideoMp4,
        Self::VideoQuicktime,
    ];

    /// Parses a declared content type: ASCII case-insensitive, surrounding spaces and parameters
    /// (`; charset=...`) ignored, `image/jpg` taken as `image/jpeg`.
    ///
    /// # Errors
    ///
    /// [`Rejection::UnsupportedType`] naming the declared text when it is none of the accepted
    /// types.
    pub fn parse(declared: &str) -> Result<Self, Rejection> {
        let essence = declared.split(';').next().unwrap_or_default().trim();
        let lowered = essence.to_ascii_lowercase();
        match lowered.as_str() {
            "image/jpeg" | "image/jpg" => Ok(Self::ImageJpeg),
            "image/png" => Ok(Self::ImagePng),
            "image/webp" => Ok(Self::ImageWebp),
            "video/mp4" => Ok(Self::VideoMp4),
            "video/quicktime" => Ok(Self::VideoQuicktime),
            _ => Err(Rejection::UnsupportedType {
                content_type: declared.to_owned(),
            }),
        }
    }

    /// The canonical MIME type, as stored and sent back in URLs' `Content-Type`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ImageJpeg => "image/jpeg",
            Self::ImagePng => "image/png",
            Self::ImageWebp => "image/webp",
            Self::VideoMp4 => "video/mp4",
            Self::VideoQuicktime => "video/quicktime",
        }
    }

    /// Whether this is a still image type (handled by [`crate::process_image`]).
    #[must_use]
    pub const fn is_image(self) -> bool {
        matches!(self, Self::ImageJpeg | Self::ImagePng | Self::ImageWebp)
    }

    /// Whether this is a movie type (handled by [`crate::validate_movie`]).
    #[must_use]
    pub const fn is_movie(self) -> bool {
        matches!(self, Self::VideoMp4 | Self::VideoQuicktime)
    }

    /// The usual file extension, without the dot (for object keys and downloads).
    #[must_use]
    pub const fn extension(self) -> &'static str {
        match self {
            Self::ImageJpeg => "jpg",
            Self::ImagePng => "png",
            Self::ImageWebp => "webp",
            Self::VideoMp4 => "mp4",
            Self::VideoQuicktime => "mov",
        }
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for ContentType {
    type Err = Rejection;

    fn from_str(declared: &str) -> Result<Self, Self::Err> {
        Self::parse(declared)
    }
}

/// What the first bytes of a body say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sniffed {
    /// One of the accepted types.
    Accepted(ContentType),
    /// A recognised format that is not accepted, by MIME type (`image/gif`, `image/heic`).
    Other(&'static str),
    /// Nothing recognised.
    Unknown,
}

impl Sniffed {
    /// The MIME type sniffed, if any.
    pub(crate) const fn mime(self) -> Option<&'static str> {
        match self {
            Self::Accepted(content_type) => Some(content_type.as_str()),
            Self::Other(mime) => Some(mime),
            Self::Unknown => None,
        }
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Box types that may open a QuickTime file that has no `ftyp` box (older `.mov` files).
const QUICKTIME_FIRST_BOXES: [&[u8; 4]; 6] = [b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"];

/// Sniffs the real format from the magic bytes at the start of `bytes`.
pub(crate) fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Accepted(ContentType::ImageJpeg);
    }
    if bytes.starts_with(PNG_SIGNATURE) {
        return Sniffed::Accepted(ContentType::ImagePng);
    }
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Sniffed::Accepted(ContentType::ImageWebp);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Sniffed::Other("image/gif");
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return Sniffed::Other("image/tiff");
    }
    if bytes.starts_with(b"%PDF-") {
        return Sniffed::Other("application/pdf");
    }
    sniff_iso_media(bytes)
}

/// Sniffs ISO base media files (MP4, QuickTime, HEIF, AVIF) from their first box.
fn sniff_iso_media(bytes: &[u8]) -> Sniffed {
    let Some(first_box_type) = bytes.get(4..8) else {
        return Sniffed::Unknown;
    };
    if first_box_type == b"ftyp" {
        let Some(major_brand) = bytes.get(8..12) else {
            return Sniffed::Unknown;
        };
        return sniff_brand(major_brand);
    }
    if QUICKTIME_FIRST_BOXES
        .iter()
        .any(|box_type| first_box_type == box_type.as_slice())
    {
        return Sniffed::Accepted(ContentType::VideoQuicktime);
    }
    Sniffed::Unknown
}

/// Maps an `ftyp` major brand to a type.
fn sniff_brand(major_brand: &[u8]) -> Sniffed {
    match major_brand {
        b"qt  " => Sniffed::Accepted(ContentType::VideoQuicktime),
        b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
            Sniffed::Other("image/heic")
        }
        b"avif" | b"avis" => Sniffed::Other("image/avif"),
        b"M4A " | b"M4B " | b"M4P " => Sniffed::Other("audio/mp4"),
        _ => Sniffed::Accepted(ContentType::VideoMp4),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_canonical_names_and_round_trips() {
        for content_type in ContentType::ALL {
            assert_eq!(ContentType::parse(content_type.as_str()), Ok(content_type));
            assert_eq!(content_type.to_string(), content_type.as_str());
        }
    }

    #[test]
    fn parse_ignores_case_spaces_parameters_and_knows_jpg() {
        assert_eq!(
            ContentType::parse(" Image/JPEG; charset=binary"),
            Ok(ContentType::ImageJpeg)
        );
        assert_eq!(ContentType::parse("image/jpg"), Ok(ContentType::ImageJpeg));
        assert_eq!("VIDEO/QuickTime".parse(), Ok(ContentType::VideoQuicktime));
    }

    #[test]
    fn parse_refuses_other_types_naming_them() {
        assert_eq!(
            ContentType::parse("image/gif"),
            Err(Rejection::UnsupportedType {
                content_type: "image/gif".to_owned()
            })
        );
        assert!(ContentType::parse("").is_err());
    }

    #[test]
    fn images_and_movies_are_told_apart() {
        let n_images = ContentType::ALL.iter().filter(|t| t.is_image()).count();
        let n_movies = ContentType::ALL.iter().filter(|t| t.is_movie()).count();
        assert_eq!((n_images, n_movies), (3, 2));
        assert_eq!(ContentType::VideoQuicktime.extension(), "mov");
    }

    #[test]
    fn sniff_knows_the_accepted_formats() {
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Sniffed::Accepted(ContentType::ImageJpeg)
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n...."),
            Sniffed::Accepted(ContentType::ImagePng)
        );
        assert_eq!(
            sniff(b"RIFF\x10\0\0\0WEBPVP8L"),
            Sniffed::Accepted(ContentType::ImageWebp)
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypisom\0\0\0\0"),
            Sniffed::Accepted(ContentType::VideoMp4)
        );
        assert_eq!(
            sniff(b"\0\0\0\x14ftypqt  \0\0\0\0"),
            Sniffed::Accepted(ContentType::VideoQuicktime)
        );
        assert_eq!(
            sniff(b"\0\0\0\x08wide\0\0\0\x10mdat"),
            Sniffed::Accepted(ContentType::VideoQuicktime)
        );
    }

    #[test]
    fn sniff_names_unaccepted_formats_and_gives_up_on_the_rest() {
        assert_eq!(sniff(b"GIF89a...."), Sniffed::Other("image/gif"));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic"), Sniffed::Other("image/heic"));
        assert_eq!(sniff(b"\0\0\0\x18ftypavif"), Sniffed::Other("image/avif"));
        assert_eq!(sniff(b"hello, world"), Sniffed::Unknown);
        assert_eq!(sniff(b""), Sniffed::Unknown);
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVE"), Sniffed::Unknown);
        assert_eq!(Sniffed::Unknown.mime(), None);
        assert_eq!(Sniffed::Other("image/gif").mime(), Some("image/gif"));
    }
}
