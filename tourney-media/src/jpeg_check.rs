//! A structural check that a JPEG is complete: walks its segments and entropy-coded data up to
//! the end-of-image marker, because the lenient decoder fills a cut-off file with grey instead of
//! failing.

use crate::Rejection;

const MARKER_PREFIX: u8 = 0xFF;
const START_OF_SCAN: u8 = 0xDA;
const END_OF_IMAGE: u8 = 0xD9;

/// Checks that `bytes` (which start with a JPEG start-of-image marker) reach an end-of-image
/// marker through well-formed segments. Bytes after the end-of-image marker are allowed.
pub(crate) fn check_jpeg_complete(bytes: &[u8]) -> Result<(), Rejection> {
    let mut position = 2;
    loop {
        position = next_marker(bytes, position)?;
        let marker = bytes[position + 1];
        match marker {
            END_OF_IMAGE => return Ok(()),
            0x01 | 0xD0..=0xD8 => position += 2,
            START_OF_SCAN => {
                position = skip_segment(bytes, position)?;
                position = skip_entropy_coded_data(bytes, position)?;
            }
            _ => position = skip_segment(bytes, position)?,
        }
    }
}

/// The position of the next marker (`0xFF` then a marker byte) at or after `position`,
/// skipping fill bytes and any stray bytes between segments.
fn next_marker(bytes: &[u8], mut position: usize) -> Result<usize, Rejection> {
    while position + 1 < bytes.len() {
        if bytes[position] == MARKER_PREFIX && bytes[position + 1] != MARKER_PREFIX {
            return Ok(position);
        }
        position += 1;
    }
    Err(missing_end())
}

/// Skips a segment with a two-byte length after its marker; returns the position after it.
fn skip_segment(bytes: &[u8], position: usize) -> Result<usize, Rejection> {
    let Some(length_bytes) = bytes.get(position + 2..position + 4) else {
        return Err(missing_end());
    };
    let length = usize::from(u16::from_be_bytes([length_bytes[0], length_bytes[1]]));
    if length < 2 {
        return Err(Rejection::Corrupt {
            detail: format!("jpeg segment at byte {position} has length {length}"),
        });
    }
    let end = position + 2 + length;
    if end > bytes.len() {
        return Err(Rejection::Truncated {
            detail: format!(
                "jpeg segment at byte {position} needs {end} bytes but the file has {}",
                bytes.len()
            ),
        });
    }
    Ok(end)
}

/// Skips entropy-coded scan data (where `0xFF 0x00` is a stuffed byte and restart markers may
/// appear); returns the position of the marker that ends it.
fn skip_entropy_coded_data(bytes: &[u8], mut position: usize) -> Result<usize, Rejection> {
    while position + 1 < bytes.len() {
        let is_marker = bytes[position] == MARKER_PREFIX
            && !matches!(bytes[position + 1], 0x00 | 0xD0..=0xD7 | MARKER_PREFIX);
        if is_marker {
            return Ok(position);
        }
        position += 1;
    }
    Err(missing_end())
}

fn missing_end() -> Rejection {
    Rejection::Truncated {
        detail: "jpeg ends before its end-of-image marker".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A skeleton JPEG: SOI, an APP0-like segment, SOS with scan data (including a stuffed byte
    /// and a restart marker), then EOI.
    fn skeleton() -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xD8];
        bytes.extend([0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB]);
        bytes.extend([0xFF, 0xDA, 0x00, 0x03, 0x01]);
        bytes.extend([0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        bytes.extend([0xFF, 0xD9]);
        bytes
    }

    #[test]
    fn a_complete_skeleton_passes_even_with_trailing_bytes() {
        assert_eq!(check_jpeg_complete(&skeleton()), Ok(()));
        let mut with_trailer = skeleton();
        with_trailer.extend(b"trailing camera data");
        assert_eq!(check_jpeg_complete(&with_trailer), Ok(()));
    }

    #[test]
    fn every_cut_of_the_skeleton_is_truncated() {
        let bytes = skeleton();
        for cut in 2..bytes.len() {
            let result = check_jpeg_complete(&bytes[..cut]);
            assert!(
                matches!(result, Err(Rejection::Truncated { .. })),
                "cut at {cut}: {result:?}"
            );
        }
    }

    #[test]
    fn a_segment_shorter_than_its_length_field_is_corrupt() {
        let bytes = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0xFF, 0xD9];
        assert!(matches!(
            check_jpeg_complete(&bytes),
            Err(Rejection::Corrupt { .. })
        ));
    }
}
