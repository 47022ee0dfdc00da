//! Leaderboards: the ready photos of a category, at a place or everywhere, posted within a
//! window, ranked by the configured key and paged with cursors.

use std::collections::HashMap;
use std::sync::Arc;

use ocean::records::{Index, Order, Query, SortRange};

use crate::leaderboard::{
    BoardEntry, BoardPhoto, Cursor, Page, PageSize, Window, page, page_start, rank_board,
};
use crate::names::Category;
use crate::service::photos::{PhotoRecord, PhotoView};
use crate::service::read_cache::{BoardKey, Lookup};
use crate::service::sharded::MergedScan;
use crate::service::store;
use crate::service::{Game, PlaceView, ServiceError};
use crate::time::Timestamp;

/// Which board, which page.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardQuery {
    /// The category.
    pub category: String,
    /// A place id, or `None` for every place.
    pub place_id: Option<String>,
    /// The window photos must have been posted in.
    pub window: Window,
    /// Entries per page.
    pub count: PageSize,
    /// Continue after this cursor (from the previous page).
    pub cursor: Option<String>,
}

/// One page of a board.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardView {
    /// The entries with their photos, best first; `rank` is 1-based over the whole board.
    pub entries: Vec<(usize, BoardEntry, PhotoView)>,
    /// Where the next page starts.
    pub next_cursor: Option<String>,
}

/// A page of a board as kept for every request for it while its ranking is kept (see
/// [`Game::board_shared`]). Two pages with the same `revision` are one rendering of one
/// page, so whatever a caller derives from a page (an encoded response body, say) can be
/// reused for every page of that revision instead of being derived per request.
#[derive(Debug, Clone)]
pub struct SharedBoardPage {
    /// The page.
    pub view: Arc<BoardView>,
    /// Names this rendering of this page; unique within the process.
    pub revision: u64,
}

/// Re-ranks large boards off the request path while it lives: a request that finds a
/// board of many photos stale (more than a few thousand, see `read_cache`) is served the
/// kept ranking and leaves the board to [`BoardRefresher::refresh`], which the host calls
/// in a loop; without a refresher that request ranks the board itself and waits for it.
/// A board never ranked yet is still ranked by its first request.
#[derive(Debug)]
pub struct BoardRefresher {
    game: Game,
}

impl BoardRefresher {
    /// Re-ranks, one after another, the boards requests left to the refresher since the
    /// last call, at `now`; returns how many. A board whose photos cannot be read keeps
    /// its ranking and is left for a later call (the next request that finds it stale
    /// asks again).
    pub async fn refresh(&self, now: Timestamp) -> Result<usize, ServiceError> {
        let tickets = self.game.read_cache.wanted_boards();
        let n = tickets.len();
        for ticket in tickets {
            let records = self.game.board_photos(ticket.key(), now).await?;
            let board = self.game.rank(&records, ticket.key().window, now)?;
            ticket.finish(now, board);
        }
        Ok(n)
    }
}

impl Drop for BoardRefresher {
    fn drop(&mut self) {
        self.game.read_cache.refresher_running(false);
    }
}

/// Photos read per index page while building a board.
const BOARD_READ_PAGE: u32 = 1000;

impl Game {
    /// A refresher for this `Game`'s boards (and its clones'): see [`BoardRefresher`].
    pub fn board_refresher(&self) -> BoardRefresher {
        self.read_cache.refresher_running(true);
        BoardRefresher { game: self.clone() }
    }

    /// One page of a board at `now`. The board is ranked once and kept (see
    /// `read_cache`), and so is each page rendered from it (its photos, comment counts and
    /// owner names as they were at its first request); later pages (with a cursor) use the
    /// ranking the first page came from while it is kept, so ratings aging between
    /// requests cannot repeat or skip an entry. An unknown category or a bad cursor
    /// is [`ServiceError::Invalid`].
    pub async fn board(
        &self,
        query: BoardQuery,
        now: Timestamp,
    ) -> Result<BoardView, ServiceError> {
        let page = self.board_shared(query, now).await?;
        Ok(Arc::unwrap_or_clone(page.view))
    }

    /// [`Game::board`] without copying the page: the page as kept, shared with every other
    /// request for it, and its revision (hot read paths use it to encode a page once).
    pub async fn board_shared(
        &self,
        query: BoardQuery,
        now: Timestamp,
    ) -> Result<SharedBoardPage, ServiceError> {
        let category = Category::parse(&query.category, &self.config.categories)?;
        let (ranked_at, cursor) = read_cursor(query.cursor.as_deref(), now)?;
        let key = BoardKey {
            category: category.as_str().to_owned(),
            place_id: query.place_id,
            window: query.window,
        };
        let ranked_at = cursor.is_some().then_some(ranked_at);
        let snapshot = match self.read_cache.lookup(&key, now, ranked_at) {
            Lookup::Ready(snapshot) => snapshot,
            Lookup::Build(ticket) => {
                let records = self.board_photos(&key, now).await?;
                ticket.finish(now, self.rank(&records, key.window, now)?)
            }
        };
        let page_key = (query.cursor, query.count.get());
        if let Some(page) = snapshot.page(&page_key) {
            return Ok(page);
        }
        let page = page(&snapshot.board, cursor.as_ref(), query.count);
        let first_rank = page_start(&snapshot.board, cursor.as_ref());
        let ids: Vec<String> = page
            .entries
            .iter()
            .map(|e| e.photo_id.to_string())
            .collect();
        let keys: Vec<_> = ids.iter().map(|id| store::photo_key(id)).collect();
        let mut records = Vec::with_capacity(keys.len());
        for item in self.ports.records.get_many(&keys).await?.iter().flatten() {
            let record: PhotoRecord = store::decode(item)?;
            // Changed since the ranking (hidden, deleted): left out until the next one.
            if record.competes() {
                records.push(record);
            }
        }
        let view = self
            .render_page(&records, page, first_rank, snapshot.at)
            .await?;
        Ok(snapshot.keep_page(page_key, view))
    }

    /// The competing photos of `key`'s board at `now`, oldest first.
    async fn board_photos(
        &self,
        key: &BoardKey,
        now: Timestamp,
    ) -> Result<Vec<PhotoRecord>, ServiceError> {
        let (index, partitions) = match &key.place_id {
            Some(place_id) => (
                store::LOCAL_POOL,
                vec![store::local_pool(&key.category, place_id)],
            ),
            None => (
                store::GLOBAL_POOL,
                store::global_pool_partitions(&key.category),
            ),
        };
        self.window_photos(index, partitions, key.window, now).await
    }

    /// The first page (`count` entries) of each featured place's board in `category` and
    /// `window`, in the configured order; featured places missing from the places dataset
    /// are left out.
    pub async fn featured_boards(
        &self,
        category: &str,
        window: Window,
        count: PageSize,
        now: Timestamp,
    ) -> Result<Vec<(PlaceView, BoardView)>, ServiceError> {
        let mut boards = Vec::with_capacity(self.config.featured_places.len());
        for place_id in &self.config.featured_places {
            let Some(place) = self.ports.places.get(place_id).await? else {
                continue;
            };
            let query = BoardQuery {
                category: category.to_owned(),
                place_id: Some(place_id.clone()),
                window,
                count,
                cursor: None,
            };
            boards.push((place.into(), self.board(query, now).await?));
        }
        Ok(boards)
    }

    /// One page of the board `records` make in `window` at `now`, after `cursor`; its
    /// next cursor carries `now`, so later pages rank the board as it stood then.
    pub(crate) async fn board_page(
        &self,
        records: &[PhotoRecord],
        window: Window,
        count: PageSize,
        cursor: Option<&Cursor>,
        now: Timestamp,
    ) -> Result<BoardView, ServiceError> {
        let board = self.rank(records, window, now)?;
        let page = page(&board, cursor, count);
        let first_rank = page_start(&board, cursor);
        self.render_page(records, page, first_rank, now).await
    }

    /// `records` ranked as the board of `window` at `now`.
    fn rank(
        &self,
        records: &[PhotoRecord],
        window: Window,
        now: Timestamp,
    ) -> Result<Vec<BoardEntry>, ServiceError> {
        let photos: Vec<BoardPhoto> = records
            .iter()
            .map(|record| {
                Ok(BoardPhoto {
                    photo_id: record.photo_id()?,
                    posted_at: Timestamp::from_millis(record.created_at),
                    rating: record.rating.to_photo_rating()?,
                    games: record.wins + record.losses,
                })
            })
            .collect::<Result<_, ServiceError>>()?;
        Ok(rank_board(&photos, window, now, &self.config.leaderboard)?)
    }

    /// The view of `page` (ranked at `at`, its first entry at 0-based `first_rank`) with the
    /// entries' photos from `records`; entries whose photo is not there are left out.
    async fn render_page(
        &self,
        records: &[PhotoRecord],
        page: Page,
        first_rank: usize,
        at: Timestamp,
    ) -> Result<BoardView, ServiceError> {
        let by_id: HashMap<&str, &PhotoRecord> = records
            .iter()
            .map(|record| (record.id.as_str(), record))
            .collect();
        let mut entries = Vec::with_capacity(page.entries.len());
        for (offset, entry) in page.entries.into_iter().enumerate() {
            let Some(record) = by_id.get(entry.photo_id.to_string().as_str()) else {
                continue;
            };
            let view = self.photo_view(record, at)?;
            entries.push((first_rank + offset + 1, entry, view));
        }
        self.add_photo_details(entries.iter_mut().map(|(_, _, view)| view))
            .await?;
        Ok(BoardView {
            entries,
            next_cursor: page
                .next_cursor
                .map(|cursor| format!("{:x}.{}", at.millis(), cursor.encode())),
        })
    }

    /// The competing photos of a pool (its partitions of `index`) posted within `window`,
    /// oldest first.
    async fn window_photos(
        &self,
        index: Index,
        partitions: Vec<String>,
        window: Window,
        now: Timestamp,
    ) -> Result<Vec<PhotoRecord>, ServiceError> {
        let range = match window.length() {
            Some(length) => SortRange::Between {
                start: store::time_key(now.saturating_sub(length).millis()),
                end: "~".to_owned(),
            },
            None => SortRange::All,
        };
        let query = Query {
            index: Some(index),
            range,
            order: Order::Ascending,
            ..Query::partition("", BOARD_READ_PAGE)
        };
        self.competing_photos(query, partitions).await
    }

    /// Every competing photo `query` finds in `partitions` (its own partition is ignored),
    /// merged in the query's order.
    pub(crate) async fn competing_photos(
        &self,
        query: Query,
        partitions: Vec<String>,
    ) -> Result<Vec<PhotoRecord>, ServiceError> {
        let mut scan = MergedScan::new(self.ports.records.as_ref(), query, partitions);
        let mut photos = Vec::new();
        for item in scan.collect_all().await? {
            let record: PhotoRecord = store::decode(&item)?;
            if record.competes() {
                photos.push(record);
            }
        }
        Ok(photos)
    }
}

/// The instant a board page is ranked at and where it starts: `now` and the top without a
/// cursor; the first page's instant and the position with one. A cursor that does not
/// parse is [`ServiceError::Invalid`] naming `cursor`.
pub(crate) fn read_cursor(
    text: Option<&str>,
    now: Timestamp,
) -> Result<(Timestamp, Option<Cursor>), ServiceError> {
    let Some(text) = text else {
        return Ok((now, None));
    };
    let invalid = || ServiceError::invalid("cursor", format!("{text:?} is not a board cursor"));
    let (at, position) = text.split_once('.').ok_or_else(invalid)?;
    let at = i64::from_str_radix(at, 16).map_err(|_| invalid())?;
    let position = Cursor::parse(position).map_err(|_| invalid())?;
    Ok((Timestamp::from_millis(at), Some(position)))
}
