//! Leaderboards: rolling windows by post time, the ranking key (score or conservative),
//! provisional flags, a stable order, and opaque cursors that page it without gaps.

use std::cmp::Ordering;
use std::time::Duration;

use crate::error::Error;
use crate::ids::PhotoId;
use crate::named::wire_names;
use crate::period::{PhotoRating, RatingSettings};
use crate::time::Timestamp;

/// Which photos a board shows, by how long ago they were posted. Windows roll: `today` is
/// the last 24 hours, not the calendar day, so a board never empties at midnight (in some
/// time zone) and every photo gets the same time on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Window {
    /// Posted in the last hour.
    ThisHour,
    /// Posted in the last 24 hours.
    Today,
    /// Posted in the last 7 days (the default board).
    #[default]
    ThisWeek,
    /// Posted in the last 30 days.
    ThisMonth,
    /// Posted in the last 365 days.
    ThisYear,
    /// Every photo.
    AllTime,
}

impl Window {
    /// How far back the window reaches; `None` for `alltime`.
    pub fn length(self) -> Option<Duration> {
        const HOUR: u64 = 60 * 60;
        const DAY: u64 = 24 * HOUR;
        let seconds = match self {
            Window::ThisHour => HOUR,
            Window::Today => DAY,
            Window::ThisWeek => 7 * DAY,
            Window::ThisMonth => 30 * DAY,
            Window::ThisYear => 365 * DAY,
            Window::AllTime => return None,
        };
        Some(Duration::from_secs(seconds))
    }

    /// Whether a photo posted at `posted_at` is on this window's board at `now`: its age is
    /// below the window's length. A photo leaves exactly when its age reaches the length; a
    /// post time slightly in the future (clock skew) counts as age zero.
    pub fn contains(self, posted_at: Timestamp, now: Timestamp) -> bool {
        self.length()
            .is_none_or(|length| now.saturating_duration_since(posted_at) < length)
    }
}

wire_names!(
    Window,
    "when",
    [ThisHour => "thishour", Today => "today", ThisWeek => "thisweek", ThisMonth => "thismonth", ThisYear => "thisyear", AllTime => "alltime"]
);

/// What a board ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RankingKey {
    /// The Glicko-2 rating r (the first generation).
    Score,
    /// r - 2 RD, with RD aged to now (the default): a photo must be both good and known to
    /// top a board, so two lucky votes are not enough.
    #[default]
    Conservative,
}

wire_names!(RankingKey, "ranking_key", [Score => "score", Conservative => "conservative"]);

/// How boards rank.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeaderboardConfig {
    /// The ranking key (default `conservative`).
    pub ranking_key: RankingKey,
    /// An entry whose aged RD is above this is `provisional` (default 110, the usual
    /// Glicko convention for "not yet established").
    pub provisional_rd_threshold: f64,
    /// How RD ages while a photo is idle.
    pub rating: RatingSettings,
}

impl Default for LeaderboardConfig {
    fn default() -> Self {
        Self {
            ranking_key: RankingKey::Conservative,
            provisional_rd_threshold: 110.0,
            rating: RatingSettings::default(),
        }
    }
}

/// A ready photo of the board's category and place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoardPhoto {
    /// The photo.
    pub photo_id: PhotoId,
    /// When it was posted (became ready); decides window membership.
    pub posted_at: Timestamp,
    /// Its stored rating.
    pub rating: PhotoRating,
    /// Games played (wins + losses).
    pub games: u32,
}

/// One line of a board.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoardEntry {
    /// The photo.
    pub photo_id: PhotoId,
    /// Its rating r.
    pub score: f64,
    /// Its RD aged to now.
    pub rd: f64,
    /// Games played.
    pub games: u32,
    /// RD above the provisional threshold.
    pub provisional: bool,
    /// The value the board is sorted by (descending).
    pub rank_key: f64,
}

/// The full board of `window` at `now`: the photos posted within the window, ranked by
/// the configured key, highest first, ties broken by photo id (ascending) so the order is
/// total and stable from one request to the next.
pub fn rank_board(
    photos: &[BoardPhoto],
    window: Window,
    now: Timestamp,
    config: &LeaderboardConfig,
) -> Result<Vec<BoardEntry>, Error> {
    let mut board = Vec::new();
    for photo in photos.iter().filter(|p| window.contains(p.posted_at, now)) {
        let aged = photo.rating.aged_to(now, &config.rating)?;
        let rank_key = match config.ranking_key {
            RankingKey::Score => aged.rating(),
            RankingKey::Conservative => aged.rating() - 2.0 * aged.deviation(),
        };
        board.push(BoardEntry {
            photo_id: photo.photo_id,
            score: aged.rating(),
            rd: aged.deviation(),
            games: photo.games,
            provisional: aged.deviation() > config.provisional_rd_threshold,
            rank_key,
        });
    }
    board.sort_by(|a, b| board_order(a.rank_key, a.photo_id, b.rank_key, b.photo_id));
    Ok(board)
}

fn board_order(key_a: f64, id_a: PhotoId, key_b: f64, id_b: PhotoId) -> Ordering {
    key_b.total_cmp(&key_a).then(id_a.cmp(&id_b))
}

/// Where the previous page ended: the last entry's rank key and photo id. Paging by key
/// rather than by offset means a page continues right after the last entry seen even if
/// photos were added above it meanwhile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    rank_key: f64,
    photo_id: PhotoId,
}

impl Cursor {
    /// The cursor just after `entry`.
    pub fn after(entry: &BoardEntry) -> Self {
        Self {
            rank_key: entry.rank_key,
            photo_id: entry.photo_id,
        }
    }

    /// Reads a cursor produced by [`Cursor::encode`]; anything else is refused.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let invalid = || Error::InvalidCursor {
            value: text.to_owned(),
        };
        if text.len() != 48 || !text.is_ascii() {
            return Err(invalid());
        }
        let (key_text, id_text) = text.split_at(16);
        let is_lower_hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
        if !key_text.bytes().all(is_lower_hex) {
            return Err(invalid());
        }
        let bits = u64::from_str_radix(key_text, 16).map_err(|_| invalid())?;
        let rank_key = f64::from_bits(bits);
        let photo_id = PhotoId::parse(id_text).map_err(|_| invalid())?;
        if !rank_key.is_finite() {
            return Err(invalid());
        }
        Ok(Self { rank_key, photo_id })
    }

    /// The cursor as opaque text (48 lowercase hex characters) for the `cursor` parameter.
    pub fn encode(&self) -> String {
        format!("{:016x}{}", self.rank_key.to_bits(), self.photo_id)
    }
}

/// How many entries a page holds: 1 to 200, default 50.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u32);

impl PageSize {
    /// The largest page.
    pub const MAX: u32 = 200;

    /// A page size, refused outside 1 to [`PageSize::MAX`].
    pub fn new(count: u32) -> Result<Self, Error> {
        if count == 0 || count > Self::MAX {
            return Err(Error::PageSizeOutOfRange {
                count,
                max: Self::MAX,
            });
        }
        Ok(Self(count))
    }

    /// The number of entries.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for PageSize {
    fn default() -> Self {
        Self(50)
    }
}

/// One page of a board and the cursor of the next, if there are more entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The entries, in board order.
    pub entries: Vec<BoardEntry>,
    /// Pass this to get the next page; `None` on the last page.
    pub next_cursor: Option<Cursor>,
}

/// The page of `board` (as returned by [`rank_board`]) that starts right after `after`
/// (or at the top), holding up to `size` entries.
///
/// ```
/// use tourney_core::{Cursor, PageSize, rank_board, page, BoardPhoto, LeaderboardConfig,
///     PhotoId, PhotoRating, RatingSettings, Timestamp, Window};
///
/// let now = Timestamp::from_millis(1_000_000);
/// let photos: Vec<BoardPhoto> = (1..=5)
///     .map(|n| BoardPhoto {
///         photo_id: PhotoId::from_u128(n),
///         posted_at: now,
///         rating: PhotoRating::new_photo(&RatingSettings::default()),
///         games: 0,
///     })
///     .collect();
/// let board = rank_board(&photos, Window::Today, now, &LeaderboardConfig::default())?;
/// let first = page(&board, None, PageSize::new(2)?);
/// let cursor = Cursor::parse(&first.next_cursor.unwrap().encode())?;
/// let second = page(&board, Some(&cursor), PageSize::new(2)?);
/// assert_eq!(second.entries[0].photo_id, PhotoId::from_u128(3));
/// # Ok::<(), tourney_core::Error>(())
/// ```
pub fn page(board: &[BoardEntry], after: Option<&Cursor>, size: PageSize) -> Page {
    let start = page_start(board, after);
    let end = board.len().min(start + size.get() as usize);
    let entries = board[start..end].to_vec();
    let next_cursor = (end < board.len())
        .then(|| entries.last().map(Cursor::after))
        .flatten();
    Page {
        entries,
        next_cursor,
    }
}

/// Where the page after `after` starts on `board` (as returned by [`rank_board`]): the
/// 0-based rank of its first entry, found by binary search.
pub fn page_start(board: &[BoardEntry], after: Option<&Cursor>) -> usize {
    after.map_or(0, |cursor| {
        board.partition_point(|entry| {
            board_order(
                entry.rank_key,
                entry.photo_id,
                cursor.rank_key,
                cursor.photo_id,
            ) != Ordering::Greater
        })
    })
}

#[cfg(test)]
mod tests;
