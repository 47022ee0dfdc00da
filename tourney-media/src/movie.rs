//! Validating uploaded movies (MP4 and QuickTime) by their box structure, and the generated
//! cover used when no frame extractor (ffmpeg) is configured.

use std::io::Cursor;

use mp4parse::{MediaContext, SampleEntry, Track, TrackType};

use crate::box_tree::movie_header;
use crate::canvas::{Canvas, mix};
use crate::content_type::{Sniffed, sniff};
use crate::picture::check_body_size;
use crate::rendition::{Rendition, RenditionSize, encode_jpeg, fit_inside};
use crate::{ContentType, Limits, ProcessedImage, Rejection, content_hash};

/// What validating a movie learned about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovieInfo {
    /// Duration of the first video track in milliseconds (0 when the file does not say, as in
    /// fragmented MP4).
    pub duration_ms: u64,
    /// Display width in pixels (after the track's rotation, so portrait phone videos are tall).
    pub width: u32,
    /// Display height in pixels.
    pub height: u32,
    /// SHA-256 of the original bytes as lowercase hex (see [`crate::content_hash`]).
    pub content_hash: String,
}

/// Validates an uploaded MP4 or QuickTime movie by parsing its box structure.
///
/// In order: the declared type must be a movie type, the body non-empty and within
/// `limits.max_bytes`, its first bytes an MP4 or QuickTime file (MP4 and QuickTime are one
/// container family and accepted for each other; an image or other format is a type lie), every
/// top-level box complete (a cut-off upload is [`Rejection::Truncated`]), the boxes the
/// parser reads in the movie header nested within their parents and no sample table
/// declaring more entries than it holds (so parsing allocates in proportion to the file),
/// the movie header (`ftyp` and `moov`, user data aside) parsable by Mozilla's `mp4parse`,
/// the parser Firefox uses, and holding a video track whose data starts within the file and
/// whose size is within `limits`. The frames themselves are not decoded.
///
/// # Errors
///
/// A [`Rejection`] saying why the body was refused.
pub fn validate_movie(
    bytes: &[u8],
    declared: ContentType,
    limits: &Limits,
) -> Result<MovieInfo, Rejection> {
    if !declared.is_movie() {
        return Err(Rejection::UnsupportedType {
            content_type: declared.as_str().to_owned(),
        });
    }
    check_body_size(bytes, limits)?;
    match sniff(bytes) {
        Sniffed::Accepted(actual) if actual.is_movie() => {}
        Sniffed::Unknown => {
            return Err(Rejection::BadMovie {
                detail: "not an mp4 or quicktime file".to_owned(),
            });
        }
        sniffed => {
            let actual = sniffed.mime().unwrap_or("an unknown format");
            return Err(Rejection::TypeMismatch { declared, actual });
        }
    }
    let parse_len = check_top_level_boxes(bytes)?;
    let header = movie_header(&bytes[..parse_len])?;
    let context = mp4parse::read_mp4(&mut Cursor::new(&header)).map_err(from_mp4_error)?;
    let track = context
        .tracks
        .iter()
        .find(|track| track.track_type == TrackType::Video)
        .ok_or(Rejection::NoVideoTrack)?;
    check_chunks_in_file(track, bytes.len())?;
    let (width, height) = display_size(track).ok_or_else(|| Rejection::BadMovie {
        detail: "video track has no size".to_owned(),
    })?;
    if !limits.allows_dimensions(width, height) {
        return Err(Rejection::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_pixels,
            max_width: limits.max_width,
            max_height: limits.max_height,
        });
    }
    Ok(MovieInfo {
        duration_ms: duration_ms(track, &context),
        width,
        height,
        content_hash: content_hash(bytes),
    })
}

/// Walks the top-level boxes and checks each ends within the file; returns how many leading
/// bytes hold the boxes to read on (all of them, except a final `mdat` of size 0 meaning "to
/// the end of the file", which `mp4parse` does not need).
fn check_top_level_boxes(bytes: &[u8]) -> Result<usize, Rejection> {
    let mut position = 0;
    while position < bytes.len() {
        let Some(header) = bytes.get(position..position + 8) else {
            return Err(Rejection::Truncated {
                detail: format!("box header at byte {position} is cut off"),
            });
        };
        let box_type = header[4..8].escape_ascii().to_string();
        let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let (size, header_len) = match size32 {
            0 if box_type == "mdat" => return Ok(position),
            0 => return Ok(bytes.len()),
            1 => (large_box_size(bytes, position)?, 16),
            _ => (u64::from(size32), 8),
        };
        if size < header_len {
            return Err(Rejection::BadMovie {
                detail: format!("box '{box_type}' at byte {position} has size {size}"),
            });
        }
        let end = u64::try_from(position)
            .unwrap_or(u64::MAX)
            .saturating_add(size);
        let n_bytes = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if end > n_bytes {
            return Err(Rejection::Truncated {
                detail: format!(
                    "box '{box_type}' at byte {position} needs {end} bytes but the file has {n_bytes}"
                ),
            });
        }
        position = usize::try_from(end).unwrap_or(usize::MAX);
    }
    Ok(bytes.len())
}

/// Refuses a video track whose data chunks start at or past the end of the file: an upload
/// cut off right after a movie header written first (for streaming) is otherwise complete box
/// by box.
fn check_chunks_in_file(track: &Track, n_bytes: usize) -> Result<(), Rejection> {
    let n_bytes = u64::try_from(n_bytes).unwrap_or(u64::MAX);
    let beyond = track.stco.as_ref().and_then(|stco| {
        stco.offsets
            .iter()
            .copied()
            .find(|&offset| offset >= n_bytes)
    });
    match beyond {
        Some(offset) => Err(Rejection::Truncated {
            detail: format!(
                "the video track's data at byte {offset} is past the end of the file ({n_bytes} bytes)"
            ),
        }),
        None => Ok(()),
    }
}

/// The 64-bit size of a box whose 32-bit size field is 1.
fn large_box_size(bytes: &[u8], position: usize) -> Result<u64, Rejection> {
    let Some(size_bytes) = bytes.get(position + 8..position + 16) else {
        return Err(Rejection::Truncated {
            detail: format!("large box header at byte {position} is cut off"),
        });
    };
    let mut size = [0; 8];
    size.copy_from_slice(size_bytes);
    Ok(u64::from_be_bytes(size))
}

/// Sorts an `mp4parse` error into a rejection (the top-level boxes are already known complete,
/// so running out of data inside one means a malformed box, not a truncated file).
fn from_mp4_error(error: mp4parse::Error) -> Rejection {
    let detail = match error {
        mp4parse::Error::InvalidData(status) => format!("invalid box data ({status:?})"),
        mp4parse::Error::Unsupported(what) => format!("unsupported structure ({what})"),
        mp4parse::Error::UnexpectedEOF => "a box is shorter than its contents".to_owned(),
        mp4parse::Error::Io(io_error) => format!("read failed ({io_error})"),
        mp4parse::Error::MoovMissing => "no movie header ('moov' box)".to_owned(),
        mp4parse::Error::OutOfMemory => "the box structure asks for too much memory".to_owned(),
    };
    Rejection::BadMovie { detail }
}

/// The display size of a video track: the track header's presentation size (16.16 fixed point),
/// else the sample entry's coded size, swapped when the track matrix turns it a quarter.
fn display_size(track: &Track) -> Option<(u32, u32)> {
    let header_size = track
        .tkhd
        .as_ref()
        .map(|tkhd| (tkhd.width >> 16, tkhd.height >> 16))
        .filter(|&(width, height)| width > 0 && height > 0);
    let coded_size = || {
        let descriptions = &track.stsd.as_ref()?.descriptions;
        descriptions
            .iter()
            .find_map(|description| match description {
                SampleEntry::Video(video) => {
                    Some((u32::from(video.width), u32::from(video.height)))
                }
                SampleEntry::Audio(_) | SampleEntry::Unknown => None,
            })
    };
    let (width, height) = header_size
        .or_else(coded_size)
        .filter(|&(width, height)| width > 0 && height > 0)?;
    let quarter_turn = track
        .tkhd
        .as_ref()
        .is_some_and(|tkhd| tkhd.matrix.a == 0 && tkhd.matrix.d == 0);
    Some(if quarter_turn {
        (height, width)
    } else {
        (width, height)
    })
}

/// The track's duration in milliseconds from its media header, else from its track header in
/// the movie's timescale, else 0.
fn duration_ms(track: &Track, context: &MediaContext) -> u64 {
    if let (Some(duration), Some(timescale)) = (track.duration, track.timescale)
        && let Some(milliseconds) = scale_to_ms(duration.0, timescale.0)
    {
        return milliseconds;
    }
    if let (Some(tkhd), Some(timescale)) = (&track.tkhd, context.timescale)
        && tkhd.duration != u64::from(u32::MAX)
        && tkhd.duration != u64::MAX
        && let Some(milliseconds) = scale_to_ms(tkhd.duration, timescale.0)
    {
        return milliseconds;
    }
    0
}

/// `ticks` at `timescale` ticks per second, in whole milliseconds (None for a zero timescale).
fn scale_to_ms(ticks: u64, timescale: u64) -> Option<u64> {
    if timescale == 0 {
        return None;
    }
    let milliseconds = u128::from(ticks) * 1000 / u128::from(timescale);
    Some(u64::try_from(milliseconds).unwrap_or(u64::MAX))
}

/// Dark background colours of the cover placeholder (top and bottom of the gradient).
const COVER_TOP: [u8; 3] = [34, 36, 48];
const COVER_BOTTOM: [u8; 3] = [14, 15, 20];

/// A generated cover for a movie: a dark frame with a round play button, at the three rendition
/// sizes and the movie's aspect ratio (16:9 when its size is unknown).
///
/// This is the fallback when no frame extractor is configured: with ffmpeg, the worker should
/// instead extract the first frame as a JPEG and pass it to [`crate::process_image`]. The result
/// carries the movie's size and content hash, so it slots in where a picture's would.
#[must_use]
pub fn movie_cover_placeholder(info: &MovieInfo) -> ProcessedImage {
    let (frame_width, frame_height) = if info.width > 0 && info.height > 0 {
        (info.width, info.height)
    } else {
        (1920, 1080)
    };
    let renditions = RenditionSize::ALL
        .into_iter()
        .map(|size| {
            let (width, height) = fit_inside(frame_width, frame_height, size.max_side());
            Rendition {
                size,
                width,
                height,
                jpeg: draw_cover(width, height),
            }
        })
        .collect();
    ProcessedImage {
        width: info.width,
        height: info.height,
        content_hash: info.content_hash.clone(),
        renditions,
    }
}

/// Draws one cover placeholder as a JPEG.
fn draw_cover(width: u32, height: u32) -> Vec<u8> {
    let mut canvas = Canvas::new(width, height);
    canvas.gradient(COVER_TOP, COVER_BOTTOM, false);
    let centre = (width as f32 / 2.0, height as f32 / 2.0);
    let radius = width.min(height) as f32 * 0.2;
    canvas.circle(centre, radius, mix(COVER_TOP, [255, 255, 255], 0.2), 0.9);
    let (cx, cy) = centre;
    canvas.triangle(
        [
            (cx - radius * 0.35, cy - radius * 0.5),
            (cx - radius * 0.35, cy + radius * 0.5),
            (cx + radius * 0.55, cy),
        ],
        [240, 240, 240],
        1.0,
    );
    // Encoding in-memory RGB pixels of a valid size does not fail.
    encode_jpeg(&canvas.into_image()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(box_type: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let size = u32::try_from(payload.len() + 8).unwrap_or(u32::MAX);
        let mut bytes = size.to_be_bytes().to_vec();
        bytes.extend_from_slice(box_type);
        bytes.extend_from_slice(payload);
        bytes
    }

    #[test]
    fn complete_top_level_boxes_pass_and_a_final_open_mdat_is_left_out() {
        let mut bytes = boxed(b"ftyp", b"isom\0\0\0\0");
        bytes.extend(boxed(b"free", &[]));
        assert_eq!(check_top_level_boxes(&bytes), Ok(bytes.len()));
        let parse_len = bytes.len();
        bytes.extend([0, 0, 0, 0]);
        bytes.extend(b"mdat");
        bytes.extend([1, 2, 3]);
        assert_eq!(check_top_level_boxes(&bytes), Ok(parse_len));
    }

    #[test]
    fn cut_off_boxes_are_truncated_and_tiny_sizes_bad() {
        let bytes = boxed(b"mdat", &[7; 100]);
        for cut in [3, 8, 50, 107] {
            let result = check_top_level_boxes(&bytes[..cut]);
            assert!(
                matches!(result, Err(Rejection::Truncated { .. })),
                "cut at {cut}: {result:?}"
            );
        }
        let tiny = [0, 0, 0, 4, b'f', b'r', b'e', b'e'];
        assert!(matches!(
            check_top_level_boxes(&tiny),
            Err(Rejection::BadMovie { .. })
        ));
    }

    #[test]
    fn large_sizes_are_read_from_the_extended_field() {
        let mut bytes = vec![0, 0, 0, 1];
        bytes.extend(b"mdat");
        bytes.extend(20u64.to_be_bytes());
        bytes.extend([9; 4]);
        assert_eq!(check_top_level_boxes(&bytes), Ok(20));
        assert!(matches!(
            check_top_level_boxes(&bytes[..12]),
            Err(Rejection::Truncated { .. })
        ));
    }

    #[test]
    fn durations_scale_to_milliseconds() {
        assert_eq!(scale_to_ms(90_000, 90_000), Some(1000));
        assert_eq!(scale_to_ms(1, 3), Some(333));
        assert_eq!(scale_to_ms(5, 0), None);
        assert_eq!(scale_to_ms(u64::MAX, 1), Some(u64::MAX));
    }

    #[test]
    fn non_movie_types_and_non_movies_are_refused() {
        let limits = Limits::default();
        assert_eq!(
            validate_movie(b"x", ContentType::ImagePng, &limits).map_err(|r| r.reason_code()),
            Err("unsupported_type")
        );
        assert_eq!(
            validate_movie(b"plain text here", ContentType::VideoMp4, &limits)
                .map_err(|r| r.reason_code()),
            Err("bad_movie")
        );
        assert_eq!(
            validate_movie(b"\x89PNG\r\n\x1a\n", ContentType::VideoMp4, &limits),
            Err(Rejection::TypeMismatch {
                declared: ContentType::VideoMp4,
                actual: "image/png"
            })
        );
    }

    #[test]
    fn a_movie_without_moov_is_bad() {
        let bytes = boxed(b"ftyp", b"isom\0\0\0\0");
        let result = validate_movie(&bytes, ContentType::VideoMp4, &Limits::default());
        assert!(
            matches!(&result, Err(Rejection::BadMovie { detail }) if detail.contains("moov")),
            "{result:?}"
        );
    }

    #[test]
    fn the_cover_keeps_the_aspect_and_the_hash() {
        let info = MovieInfo {
            duration_ms: 3000,
            width: 1080,
            height: 1920,
            content_hash: "ab".repeat(32),
        };
        let cover = movie_cover_placeholder(&info);
        assert_eq!((cover.width, cover.height), (1080, 1920));
        assert_eq!(cover.content_hash, info.content_hash);
        let sizes: Vec<(u32, u32)> = cover
            .renditions
            .iter()
            .map(|r| (r.width, r.height))
            .collect();
        assert_eq!(sizes, [(135, 240), (270, 480), (540, 960)]);
        let unknown = MovieInfo {
            width: 0,
            height: 0,
            ..info
        };
        let cover = movie_cover_placeholder(&unknown);
        assert_eq!(
            cover
                .rendition(RenditionSize::Large)
                .map(|r| (r.width, r.height)),
            Some((960, 540))
        );
    }
}
