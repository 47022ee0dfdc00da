//! A minimal MP4/QuickTime writer for tests: ftyp, moov (mvhd, one trak with tkhd and a full
//! mdia/minf/stbl with an avc1 sample entry) and a small mdat, laid out as ISO/IEC 14496-12 says.

/// What the built movie says about itself.
#[derive(Debug, Clone)]
pub(crate) struct MovieSpec {
    /// The ftyp major brand (`isom` for MP4, `qt  ` for QuickTime).
    pub(crate) brand: [u8; 4],
    /// The track's handler (`vide` for video, `soun` for audio).
    pub(crate) handler: [u8; 4],
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// Media timescale, ticks per second.
    pub(crate) timescale: u32,
    /// Duration in ticks of `timescale`.
    pub(crate) duration: u32,
    /// Whether the track matrix turns the picture a quarter (portrait phone video).
    pub(crate) quarter_turn: bool,
    /// Whether the mdat comes before the moov (as cameras write it) instead of after.
    pub(crate) mdat_first: bool,
}

impl Default for MovieSpec {
    fn default() -> Self {
        Self {
            brand: *b"isom",
            handler: *b"vide",
            width: 640,
            height: 360,
            timescale: 90_000,
            duration: 180_000,
            quarter_turn: false,
            mdat_first: false,
        }
    }
}

/// A box: 32-bit size, type, payload.
pub(crate) fn mp4_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let size = u32::try_from(payload.len() + 8).expect("box fits u32");
    let mut bytes = size.to_be_bytes().to_vec();
    bytes.extend_from_slice(kind);
    bytes.extend_from_slice(payload);
    bytes
}

/// A full box: a box whose payload starts with a version byte and 24 bits of flags.
pub(crate) fn full_box(kind: &[u8; 4], version: u8, flags: u32, payload: &[u8]) -> Vec<u8> {
    let mut content = vec![version];
    content.extend_from_slice(&flags.to_be_bytes()[1..]);
    content.extend_from_slice(payload);
    mp4_box(kind, &content)
}

fn u32s(values: &[u32]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|value| value.to_be_bytes())
        .collect()
}

const IDENTITY: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];
/// 90 degrees: a = 0, b = 1, c = -1, d = 0 (16.16 fixed point).
const QUARTER_TURN: [u32; 9] = [0, 0x0001_0000, 0, 0xFFFF_0000, 0, 0, 0, 0, 0x4000_0000];

/// The sample data in the mdat (an arbitrary 8-byte "frame").
const SAMPLE: [u8; 8] = [0, 0, 0, 4, 0x65, 0x88, 0x84, 0x00];

/// Builds the whole movie file.
pub(crate) fn build_movie(spec: &MovieSpec) -> Vec<u8> {
    let ftyp = {
        let mut payload = spec.brand.to_vec();
        payload.extend(0u32.to_be_bytes());
        payload.extend(spec.brand);
        payload.extend(b"isom");
        mp4_box(b"ftyp", &payload)
    };
    let mdat = mp4_box(b"mdat", &SAMPLE);
    // The chunk offset does not change the moov's size: build once to measure, once for real.
    let moov_len = moov(spec, 0).len();
    let sample_offset = if spec.mdat_first {
        ftyp.len() + 8
    } else {
        ftyp.len() + moov_len + 8
    };
    let moov = moov(spec, u32::try_from(sample_offset).expect("small file"));
    let mut bytes = ftyp;
    if spec.mdat_first {
        bytes.extend(mdat);
        bytes.extend(moov);
    } else {
        bytes.extend(moov);
        bytes.extend(mdat);
    }
    bytes
}

/// The moov box for `spec`, its one chunk at `sample_offset`.
pub(crate) fn moov(spec: &MovieSpec, sample_offset: u32) -> Vec<u8> {
    let mut payload = mvhd(spec);
    payload.extend(trak(spec, sample_offset));
    mp4_box(b"moov", &payload)
}

fn mvhd(spec: &MovieSpec) -> Vec<u8> {
    let mut payload = u32s(&[0, 0, spec.timescale, spec.duration, 0x0001_0000]);
    payload.extend(0x0100u16.to_be_bytes());
    payload.extend([0; 10]);
    payload.extend(u32s(&IDENTITY));
    payload.extend([0; 24]);
    payload.extend(2u32.to_be_bytes());
    full_box(b"mvhd", 0, 0, &payload)
}

fn trak(spec: &MovieSpec, sample_offset: u32) -> Vec<u8> {
    let mut payload = tkhd(spec);
    payload.extend(mdia(spec, sample_offset));
    mp4_box(b"trak", &payload)
}

/// The track header, with version 0 and flags "enabled, in movie".
pub(crate) fn tkhd(spec: &MovieSpec) -> Vec<u8> {
    let mut payload = u32s(&[0, 0, 1, 0, spec.duration, 0, 0]);
    payload.extend([0; 8]);
    let matrix = if spec.quarter_turn {
        QUARTER_TURN
    } else {
        IDENTITY
    };
    payload.extend(u32s(&matrix));
    payload.extend(u32s(&[spec.width << 16, spec.height << 16]));
    full_box(b"tkhd", 0, 3, &payload)
}

fn mdia(spec: &MovieSpec, sample_offset: u32) -> Vec<u8> {
    let mut mdhd_payload = u32s(&[0, 0, spec.timescale, spec.duration]);
    mdhd_payload.extend(0x55C4u16.to_be_bytes());
    mdhd_payload.extend(0u16.to_be_bytes());
    let mut hdlr_payload = 0u32.to_be_bytes().to_vec();
    hdlr_payload.extend(spec.handler);
    hdlr_payload.extend([0; 12]);
    hdlr_payload.extend(b"Handler\0");
    let mut payload = full_box(b"mdhd", 0, 0, &mdhd_payload);
    payload.extend(full_box(b"hdlr", 0, 0, &hdlr_payload));
    payload.extend(minf(spec, sample_offset));
    mp4_box(b"mdia", &payload)
}

fn minf(spec: &MovieSpec, sample_offset: u32) -> Vec<u8> {
    let mut payload = full_box(b"vmhd", 0, 1, &[0; 8]);
    let mut dref_payload = 1u32.to_be_bytes().to_vec();
    dref_payload.extend(full_box(b"url ", 0, 1, &[]));
    payload.extend(mp4_box(b"dinf", &full_box(b"dref", 0, 0, &dref_payload)));
    payload.extend(stbl(spec, sample_offset));
    mp4_box(b"minf", &payload)
}

fn stbl(spec: &MovieSpec, sample_offset: u32) -> Vec<u8> {
    let mut stsd_payload = 1u32.to_be_bytes().to_vec();
    if spec.handler == *b"vide" {
        stsd_payload.extend(avc1(spec));
    } else {
        stsd_payload = 0u32.to_be_bytes().to_vec();
    }
    let sample_len = u32::try_from(SAMPLE.len()).expect("tiny sample");
    let mut payload = full_box(b"stsd", 0, 0, &stsd_payload);
    payload.extend(full_box(b"stts", 0, 0, &u32s(&[1, 1, spec.duration])));
    payload.extend(full_box(b"stsc", 0, 0, &u32s(&[1, 1, 1, 1])));
    payload.extend(full_box(b"stsz", 0, 0, &u32s(&[0, 1, sample_len])));
    payload.extend(full_box(b"stco", 0, 0, &u32s(&[1, sample_offset])));
    mp4_box(b"stbl", &payload)
}

/// An H.264 visual sample entry with a minimal avcC (baseline profile, no parameter sets).
fn avc1(spec: &MovieSpec) -> Vec<u8> {
    let mut payload = vec![0; 6];
    payload.extend(1u16.to_be_bytes());
    payload.extend([0; 16]);
    payload.extend(u16::try_from(spec.width).unwrap_or(u16::MAX).to_be_bytes());
    payload.extend(u16::try_from(spec.height).unwrap_or(u16::MAX).to_be_bytes());
    payload.extend(u32s(&[0x0048_0000, 0x0048_0000, 0]));
    payload.extend(1u16.to_be_bytes());
    payload.extend([0; 32]);
    payload.extend(0x0018u16.to_be_bytes());
    payload.extend(0xFFFFu16.to_be_bytes());
    payload.extend(mp4_box(b"avcC", &[1, 0x42, 0xC0, 0x1E, 0xFF, 0xE0, 0x00]));
    mp4_box(b"avc1", &payload)
}
