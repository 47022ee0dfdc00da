//! The movie header handed to `mp4parse`, checked first: the top-level `ftyp` and `moov`
//! boxes, with every box `mp4parse` reads inside `moov` nested within its parent and every
//! sample table declaring no more entries than it holds.
//!
//! `mp4parse` reserves memory for what a box or a table declares before reading it: a
//! 600-byte movie whose `stsz` declares four billion samples, or whose `avcC` claims 4 GiB
//! inside a 100-byte sample entry, asks the allocator for gigabytes (granted as untouched
//! address space or refused, depending on the host's overcommit policy). Walking the same
//! boxes first makes what the parser allocates proportional to the file. The walk mirrors
//! the parser: the same containers (`moov`, `trak`, `edts`, `tref`, `mdia`, `minf`, `stbl`,
//! `stsd` and its sample entries, `sinf`, `schi`, `wave`), a list of children ending quietly
//! at a header cut off by its parent, and a refusal where the parser refuses too (a child
//! running past its parent, a size below the header's own). User data (`udta`) is renamed
//! `free` in the copy, so the parser skips it: it is not used here, and QuickTime's
//! version-less `meta` boxes in it read as garbage sizes.

use crate::Rejection;

/// A box: its type, where it starts, where its content starts and where it ends (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BoxSpan {
    kind: [u8; 4],
    start: usize,
    content_start: usize,
    end: usize,
}

impl BoxSpan {
    fn content<'a>(&self, bytes: &'a [u8]) -> &'a [u8] {
        &bytes[self.content_start..self.end]
    }

    fn name(&self) -> String {
        format!("'{}'", self.kind.escape_ascii())
    }
}

/// Where a table's entry count is and how many bytes each entry takes in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TableLayout {
    /// Offset of the 32-bit entry count from the start of the box's content.
    count_offset: usize,
    /// Bytes per entry.
    entry_bytes: u64,
}

/// Bytes of a visual sample entry before its child boxes (ISO/IEC 14496-12 12.1.3).
const VISUAL_ENTRY_FIELDS: usize = 78;

/// Bytes of a version 0 audio sample entry before its child boxes (12.2.3); QuickTime's
/// versions 1 and 2 add 16 and 36.
const AUDIO_ENTRY_FIELDS: usize = 28;

/// The `ftyp` and `moov` boxes of a movie whose top-level boxes are known to be complete
/// (the caller has checked them), in file order, with each `moov`'s user data renamed
/// `free`; after checking the boxes `mp4parse` reads in them.
pub(crate) fn movie_header(bytes: &[u8]) -> Result<Vec<u8>, Rejection> {
    let mut header = Vec::new();
    let mut position = 0;
    while position < bytes.len() {
        let Some(top) = next_box(bytes, position, bytes.len(), "the file")? else {
            break;
        };
        match &top.kind {
            b"ftyp" => header.extend_from_slice(&bytes[top.start..top.end]),
            b"moov" => {
                let copy_start = header.len();
                header.extend_from_slice(&bytes[top.start..top.end]);
                for udta in walk_moov(bytes, top)? {
                    let at = copy_start + (udta.start - top.start) + 4;
                    header[at..at + 4].copy_from_slice(b"free");
                }
            }
            _ => {}
        }
        position = top.end;
    }
    Ok(header)
}

/// Checks a `moov` box; returns its user data boxes.
fn walk_moov(bytes: &[u8], moov: BoxSpan) -> Result<Vec<BoxSpan>, Rejection> {
    let mut user_data = Vec::new();
    for child in children(bytes, moov, moov.content_start)? {
        match &child.kind {
            b"trak" => walk_trak(bytes, child)?,
            b"udta" => user_data.push(child),
            // Version 0 has no key ids; later ones a count after the 16-byte system id.
            b"pssh"
                if child
                    .content(bytes)
                    .first()
                    .is_some_and(|&version| version > 0) =>
            {
                check_table(bytes, child, layout(20, 16))?;
            }
            _ => {}
        }
    }
    Ok(user_data)
}

fn walk_trak(bytes: &[u8], trak: BoxSpan) -> Result<(), Rejection> {
    for child in children(bytes, trak, trak.content_start)? {
        match &child.kind {
            b"edts" => {
                for edit_list in children(bytes, child, child.content_start)? {
                    if &edit_list.kind == b"elst" {
                        let version = edit_list.content(bytes).first().copied();
                        let entry_bytes = if version == Some(1) { 20 } else { 12 };
                        check_table(bytes, edit_list, layout(4, entry_bytes))?;
                    }
                }
            }
            // Each reference is read whole: only its nesting matters.
            b"tref" => {
                children(bytes, child, child.content_start)?;
            }
            b"mdia" => walk_mdia(bytes, child)?,
            _ => {}
        }
    }
    Ok(())
}

/// Checks an `mdia`, reading its handler type as the parser does (from an `hdlr` before the
/// `minf`) to know how the sample entries are laid out.
fn walk_mdia(bytes: &[u8], mdia: BoxSpan) -> Result<(), Rejection> {
    let mut handler = None;
    for child in children(bytes, mdia, mdia.content_start)? {
        match &child.kind {
            b"hdlr" => {
                if let Some(kind) = child.content(bytes).get(8..12) {
                    handler = Some([kind[0], kind[1], kind[2], kind[3]]);
                }
            }
            b"minf" => {
                for stbl in children(bytes, child, child.content_start)? {
                    if &stbl.kind == b"stbl" {
                        walk_stbl(bytes, stbl, handler)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn walk_stbl(bytes: &[u8], stbl: BoxSpan, handler: Option<[u8; 4]>) -> Result<(), Rejection> {
    for child in children(bytes, stbl, stbl.content_start)? {
        let content = child.content(bytes);
        let table = match &child.kind {
            b"stsd" | b"stts" | b"ctts" | b"co64" => Some(layout(4, 8)),
            b"stsc" => Some(layout(4, 12)),
            b"stco" | b"stss" => Some(layout(4, 4)),
            // Entries follow only when the samples' sizes differ (constant size field 0).
            b"stsz" if content.get(4..8) == Some(&[0, 0, 0, 0]) => Some(layout(8, 4)),
            _ => None,
        };
        if let Some(table) = table {
            let count = check_table(bytes, child, table)?;
            if &child.kind == b"stsd" {
                walk_sample_entries(bytes, child, count, handler)?;
            }
        }
    }
    Ok(())
}

/// Checks the first `count` sample entries of an `stsd` (the parser reads no more), laid out
/// as the track's handler says: the fixed fields, then child boxes.
fn walk_sample_entries(
    bytes: &[u8],
    stsd: BoxSpan,
    count: u32,
    handler: Option<[u8; 4]>,
) -> Result<(), Rejection> {
    let entries = children(bytes, stsd, stsd.content_start + 8)?;
    let n_entries = usize::try_from(count).unwrap_or(usize::MAX);
    for entry in entries.into_iter().take(n_entries) {
        let content = entry.content(bytes);
        let fields = match handler.as_ref() {
            Some(b"vide" | b"pict" | b"auxv") => VISUAL_ENTRY_FIELDS,
            Some(b"soun") => match content.get(8..10) {
                Some([0, 1]) => AUDIO_ENTRY_FIELDS + 16,
                Some([0, 2]) => AUDIO_ENTRY_FIELDS + 36,
                _ => AUDIO_ENTRY_FIELDS,
            },
            // The parser skips the entries of other tracks unread.
            _ => continue,
        };
        if content.len() > fields {
            walk_entry_boxes(bytes, entry, entry.content_start + fields)?;
        }
    }
    Ok(())
}

/// Checks the child boxes of a sample entry from `from`, and inside the protection and
/// QuickTime containers among them.
fn walk_entry_boxes(bytes: &[u8], parent: BoxSpan, from: usize) -> Result<(), Rejection> {
    for child in children(bytes, parent, from)? {
        if matches!(&child.kind, b"sinf" | b"schi" | b"wave") {
            walk_entry_boxes(bytes, child, child.content_start)?;
        }
    }
    Ok(())
}

fn layout(count_offset: usize, entry_bytes: u64) -> TableLayout {
    TableLayout {
        count_offset,
        entry_bytes,
    }
}

/// Refuses a table whose declared entries do not fit in its box; returns the count.
fn check_table(bytes: &[u8], span: BoxSpan, layout: TableLayout) -> Result<u32, Rejection> {
    let content = span.content(bytes);
    let entries_start = layout.count_offset + 4;
    let Some(count_bytes) = content.get(layout.count_offset..entries_start) else {
        return Err(Rejection::BadMovie {
            detail: format!(
                "{} box of {} bytes is too short for its entry count",
                span.name(),
                content.len()
            ),
        });
    };
    let count = u32::from_be_bytes([
        count_bytes[0],
        count_bytes[1],
        count_bytes[2],
        count_bytes[3],
    ]);
    let needed = u64::from(count) * layout.entry_bytes;
    let held = u64::try_from(content.len() - entries_start).unwrap_or(u64::MAX);
    if needed > held {
        return Err(Rejection::BadMovie {
            detail: format!(
                "{} box declares {count} entries of {} bytes but holds {held} bytes",
                span.name(),
                layout.entry_bytes
            ),
        });
    }
    Ok(count)
}

/// The child boxes of `parent` from `from` on, as the parser lists them: the list ends at the
/// parent's end or at a header the parent's end cuts off.
fn children(bytes: &[u8], parent: BoxSpan, from: usize) -> Result<Vec<BoxSpan>, Rejection> {
    let parent_name = parent.name();
    let mut found = Vec::new();
    let mut position = from;
    while let Some(child) = next_box(bytes, position, parent.end, &parent_name)? {
        position = child.end;
        found.push(child);
    }
    Ok(found)
}

/// The box starting at `position`, which must end by `parent_end`; `None` when no whole
/// header fits before `parent_end`. Sizes follow ISO/IEC 14496-12 4.2: 1 means a 64-bit size
/// follows the type; 0 ("to the end of the file") is allowed only for a final top-level
/// `mdat`, which the caller has already cut off.
fn next_box(
    bytes: &[u8],
    position: usize,
    parent_end: usize,
    parent_name: &str,
) -> Result<Option<BoxSpan>, Rejection> {
    let bad = |detail: String| Rejection::BadMovie { detail };
    if position + 8 > parent_end {
        return Ok(None);
    }
    let header = &bytes[position..position + 8];
    let kind = [header[4], header[5], header[6], header[7]];
    let name = kind.escape_ascii();
    let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    let (size, header_len) = match size32 {
        0 => {
            return Err(bad(format!(
                "box '{name}' at byte {position} has size 0, which only a final 'mdat' may have"
            )));
        }
        1 => {
            if position + 16 > parent_end {
                return Ok(None);
            }
            let mut size = [0; 8];
            size.copy_from_slice(&bytes[position + 8..position + 16]);
            (u64::from_be_bytes(size), 16)
        }
        _ => (u64::from(size32), 8),
    };
    if size < header_len {
        return Err(bad(format!(
            "box '{name}' at byte {position} has size {size}"
        )));
    }
    let end = u64::try_from(position)
        .unwrap_or(u64::MAX)
        .saturating_add(size);
    if end > u64::try_from(parent_end).unwrap_or(u64::MAX) {
        return Err(bad(format!(
            "box '{name}' at byte {position} needs {end} bytes but {parent_name} ends at byte {parent_end}"
        )));
    }
    Ok(Some(BoxSpan {
        kind,
        start: position,
        content_start: position + usize::try_from(header_len).unwrap_or(usize::MAX),
        end: usize::try_from(end).unwrap_or(usize::MAX),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let size = u32::try_from(payload.len() + 8).unwrap_or(u32::MAX);
        let mut bytes = size.to_be_bytes().to_vec();
        bytes.extend_from_slice(kind);
        bytes.extend_from_slice(payload);
        bytes
    }

    /// A `moov` holding one `trak` whose `mdia` has a `handler` and whose `stbl` holds
    /// `stbl_content`.
    fn movie_with(handler: &[u8; 4], stbl_content: &[u8]) -> Vec<u8> {
        let mut hdlr = vec![0; 8];
        hdlr.extend_from_slice(handler);
        hdlr.extend([0; 12]);
        let stbl = boxed(b"stbl", stbl_content);
        let minf = boxed(b"minf", &stbl);
        let mut mdia = boxed(b"hdlr", &hdlr);
        mdia.extend(minf);
        let trak = boxed(b"trak", &boxed(b"mdia", &mdia));
        boxed(b"moov", &trak)
    }

    fn table(kind: &[u8; 4], prefix: &[u8], count: u32, entries: &[u8]) -> Vec<u8> {
        let mut payload = vec![0, 0, 0, 0];
        payload.extend_from_slice(prefix);
        payload.extend(count.to_be_bytes());
        payload.extend_from_slice(entries);
        boxed(kind, &payload)
    }

    fn bad_movie(result: Result<Vec<u8>, Rejection>) -> String {
        match result {
            Err(Rejection::BadMovie { detail }) => detail,
            other => panic!("expected a bad movie, got {other:?}"),
        }
    }

    #[test]
    fn tables_holding_their_entries_pass_and_user_data_is_renamed() {
        let stts = table(b"stts", &[], 2, &[0; 16]);
        let constant_size = table(b"stsz", &[0, 0, 0, 9], 1_000_000, &[]);
        let mut stbl = stts;
        stbl.extend(constant_size);
        let movie = movie_with(b"vide", &stbl);
        assert_eq!(movie_header(&movie), Ok(movie.clone()));

        let mut with_user_data = movie.clone();
        with_user_data.extend(boxed(b"udta", &boxed(b"meta", &[0xFF; 12])));
        let grown = u32::try_from(with_user_data.len()).expect("small");
        with_user_data[..4].copy_from_slice(&grown.to_be_bytes());
        let header = movie_header(&with_user_data).expect("user data is not checked");
        let free_at = movie.len() + 4;
        assert_eq!(&header[free_at..free_at + 4], b"free");
        assert_eq!(header.len(), with_user_data.len());
    }

    #[test]
    fn only_ftyp_and_moov_are_kept() {
        let mut file = boxed(b"ftyp", b"isom\0\0\0\0");
        file.extend(boxed(b"mdat", &[7; 100]));
        let moov = movie_with(b"soun", &[]);
        file.extend_from_slice(&moov);
        let mut expected = boxed(b"ftyp", b"isom\0\0\0\0");
        expected.extend(moov);
        assert_eq!(movie_header(&file), Ok(expected));
    }

    #[test]
    fn a_count_beyond_the_box_is_refused_naming_it() {
        for (kind, prefix, entry_bytes) in [
            (b"stts", &[][..], 8),
            (b"stsz", &[0, 0, 0, 0][..], 4),
            (b"stco", &[][..], 4),
            (b"stsc", &[][..], 12),
        ] {
            let hostile = table(kind, prefix, u32::MAX, &[0; 4]);
            let detail = bad_movie(movie_header(&movie_with(b"vide", &hostile)));
            let name = kind.escape_ascii();
            assert_eq!(
                detail,
                format!(
                    "'{name}' box declares 4294967295 entries of {entry_bytes} bytes but holds 4 bytes"
                )
            );
        }
    }

    #[test]
    fn sample_entry_boxes_must_fit_their_entry() {
        // A visual entry: 78 bytes of fields, then an avcC claiming 4 GiB.
        let mut entry = vec![0; VISUAL_ENTRY_FIELDS];
        entry.extend(0xFB00_000Fu32.to_be_bytes());
        entry.extend(b"avcC");
        entry.extend([1, 2, 3]);
        let stsd = table(b"stsd", &[], 1, &boxed(b"avc1", &entry));
        let detail = bad_movie(movie_header(&movie_with(b"vide", &stsd)));
        assert!(
            detail.contains("box 'avcC'") && detail.contains("'avc1' ends"),
            "{detail}"
        );
        // The same entry in a track the parser does not read entries of.
        assert!(movie_header(&movie_with(b"meta", &stsd)).is_ok());
        // A short entry has no boxes to check.
        let short = table(b"stsd", &[], 1, &boxed(b"avc1", &[0; 40]));
        assert!(movie_header(&movie_with(b"vide", &short)).is_ok());
    }

    #[test]
    fn children_must_fit_their_parent_but_a_cut_header_ends_the_list() {
        let mut moov = boxed(b"moov", &boxed(b"trak", &[]));
        moov[8..12].copy_from_slice(&100u32.to_be_bytes());
        let detail = bad_movie(movie_header(&moov));
        assert!(
            detail.contains("'trak'") && detail.contains("'moov' ends"),
            "{detail}"
        );
        let zero = boxed(b"moov", &[0, 0, 0, 0, b't', b'r', b'a', b'k']);
        assert!(bad_movie(movie_header(&zero)).contains("size 0"));
        let trailing = boxed(b"moov", &[0, 0, 0]);
        assert_eq!(movie_header(&trailing), Ok(trailing.clone()));
    }
}
