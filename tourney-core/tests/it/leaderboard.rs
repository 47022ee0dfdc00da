//! Leaderboard pages tile the board exactly, and window membership is the post-time rule.

use std::collections::HashSet;

use glicko2::Rating;
use proptest::prelude::*;
use tourney_core::{
    BoardPhoto, Cursor, LeaderboardConfig, PageSize, PhotoId, PhotoRating, RankingKey, Timestamp,
    Window, page, rank_board,
};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const NOW_MS: i64 = 1_000 * DAY_MS;

fn window_strategy() -> impl Strategy<Value = Window> {
    prop::sample::select(Window::ALL.to_vec())
}

fn photo_strategy() -> impl Strategy<Value = BoardPhoto> {
    (
        1u128..500,
        -2 * DAY_MS..400 * DAY_MS,
        // Few distinct ratings and RDs, so ties are common.
        0u32..8,
        prop::sample::select(vec![40.0, 80.0, 200.0]),
        prop::option::of(0i64..50 * DAY_MS),
        0u32..100,
    )
        .prop_map(|(id, age_ms, step, rd, rated_ago, games)| BoardPhoto {
            photo_id: PhotoId::from_u128(id),
            posted_at: Timestamp::from_millis(NOW_MS - age_ms),
            rating: PhotoRating {
                rating: Rating::new(1400.0 + 50.0 * f64::from(step), rd, 0.06).unwrap(),
                last_rated: rated_ago.map(|ago| Timestamp::from_millis(NOW_MS - ago)),
            },
            games,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn pages_concatenate_to_the_full_board(
        mut photos in prop::collection::vec(photo_strategy(), 0..80),
        window in window_strategy(),
        conservative in any::<bool>(),
        page_size in 1u32..25,
    ) {
        let mut seen_ids = HashSet::new();
        photos.retain(|p| seen_ids.insert(p.photo_id));
        let ranking_key = if conservative { RankingKey::Conservative } else { RankingKey::Score };
        let config = LeaderboardConfig { ranking_key, ..LeaderboardConfig::default() };
        let now = Timestamp::from_millis(NOW_MS);
        let board = rank_board(&photos, window, now, &config).unwrap();
        // The board is ordered by key (descending) then photo id, with no duplicate.
        for pair in board.windows(2) {
            let order = pair[1]
                .rank_key
                .total_cmp(&pair[0].rank_key)
                .then(pair[0].photo_id.cmp(&pair[1].photo_id));
            prop_assert_eq!(order, std::cmp::Ordering::Less, "{:?}", pair);
        }
        let mut concatenated = Vec::new();
        let mut cursor: Option<Cursor> = None;
        let size = PageSize::new(page_size).unwrap();
        for _ in 0..=board.len() {
            // The cursor travels as text, as it would through the API.
            let parsed = cursor.map(|c| Cursor::parse(&c.encode()).unwrap());
            let next = page(&board, parsed.as_ref(), size);
            prop_assert!(next.entries.len() <= page_size as usize);
            concatenated.extend(next.entries);
            cursor = next.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        prop_assert!(cursor.is_none(), "paging did not end");
        prop_assert_eq!(concatenated, board);
    }

    #[test]
    fn window_membership_is_the_post_time_rule(
        photos in prop::collection::vec(photo_strategy(), 0..60),
        window in window_strategy(),
    ) {
        let now = Timestamp::from_millis(NOW_MS);
        let board = rank_board(&photos, window, now, &LeaderboardConfig::default()).unwrap();
        let on_board: HashSet<PhotoId> = board.iter().map(|e| e.photo_id).collect();
        let length_ms = match window {
            Window::ThisHour => Some(DAY_MS / 24),
            Window::Today => Some(DAY_MS),
            Window::ThisWeek => Some(7 * DAY_MS),
            Window::ThisMonth => Some(30 * DAY_MS),
            Window::ThisYear => Some(365 * DAY_MS),
            Window::AllTime => None,
        };
        for photo in &photos {
            let age_ms = (NOW_MS - photo.posted_at.millis()).max(0);
            let expected = length_ms.is_none_or(|length| age_ms < length);
            prop_assert_eq!(window.contains(photo.posted_at, now), expected);
            if expected {
                prop_assert!(on_board.contains(&photo.photo_id));
            }
        }
        let all_members = board.iter().all(|entry| {
            photos.iter().any(|p| p.photo_id == entry.photo_id && window.contains(p.posted_at, now))
        });
        prop_assert!(all_members, "a photo outside the window is on the board");
    }
}
