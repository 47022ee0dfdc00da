//! Table-driven cases for leaderboards: window edges, ranking keys, ties, cursors.

use glicko2::Rating;

use super::*;

const HOUR_MS: i64 = 60 * 60 * 1000;

fn photo(id: u128, posted_at: i64, rating: f64, rd: f64) -> BoardPhoto {
    BoardPhoto {
        photo_id: PhotoId::from_u128(id),
        posted_at: Timestamp::from_millis(posted_at),
        rating: PhotoRating {
            rating: Rating::new(rating, rd, 0.06).unwrap(),
            last_rated: None,
        },
        games: 3,
    }
}

#[test]
fn windows_roll_and_a_photo_leaves_exactly_at_the_window_length() {
    let now = Timestamp::from_millis(1_000 * 24 * HOUR_MS);
    let cases = [
        (Window::ThisHour, HOUR_MS - 1, true),
        (Window::ThisHour, HOUR_MS, false),
        (Window::Today, 24 * HOUR_MS - 1, true),
        (Window::Today, 24 * HOUR_MS, false),
        (Window::ThisWeek, 7 * 24 * HOUR_MS - 1, true),
        (Window::ThisWeek, 7 * 24 * HOUR_MS, false),
        (Window::ThisMonth, 30 * 24 * HOUR_MS - 1, true),
        (Window::ThisMonth, 30 * 24 * HOUR_MS, false),
        (Window::ThisYear, 365 * 24 * HOUR_MS - 1, true),
        (Window::ThisYear, 365 * 24 * HOUR_MS, false),
        (Window::AllTime, 999 * 24 * HOUR_MS, true),
        (Window::ThisHour, -5_000, true),
        (Window::ThisHour, 0, true),
    ];
    for (window, age_ms, expected) in cases {
        let posted_at = Timestamp::from_millis(now.millis() - age_ms);
        assert_eq!(
            window.contains(posted_at, now),
            expected,
            "{window} age {age_ms}"
        );
    }
}

#[test]
fn window_names_parse_and_unknown_ones_are_named() {
    for window in Window::ALL {
        assert_eq!(window.as_str().parse::<Window>().unwrap(), window);
    }
    assert_eq!(Window::default(), Window::ThisWeek);
    let error = "thisdecade".parse::<Window>().unwrap_err();
    assert!(error.to_string().contains("\"thisdecade\""), "{error}");
    assert!(
        error.to_string().starts_with("when must be one of"),
        "{error}"
    );
}

#[test]
fn ranking_keys_order_the_board() {
    let now = Timestamp::from_millis(10 * HOUR_MS);
    // A lucky new photo (high score, high RD) and a steady one.
    let photos = [photo(1, 0, 1700.0, 300.0), photo(2, 0, 1600.0, 50.0)];
    let cases = [
        (RankingKey::Score, [1, 2], [1700.0, 1600.0]),
        (RankingKey::Conservative, [2, 1], [1500.0, 1100.0]),
    ];
    for (ranking_key, expected_order, expected_keys) in cases {
        let config = LeaderboardConfig {
            ranking_key,
            ..LeaderboardConfig::default()
        };
        let board = rank_board(&photos, Window::AllTime, now, &config).unwrap();
        let order: Vec<u128> = board.iter().map(|e| e.photo_id.as_u128()).collect();
        assert_eq!(order, expected_order, "{ranking_key:?}");
        for (entry, expected_key) in board.iter().zip(expected_keys) {
            assert!((entry.rank_key - expected_key).abs() < 1e-9);
        }
    }
}

#[test]
fn entries_carry_aged_rd_and_the_provisional_flag() {
    let config = LeaderboardConfig::default();
    let mut aged_photo = photo(3, 0, 1500.0, 100.0);
    aged_photo.rating.last_rated = Some(Timestamp::UNIX_EPOCH);
    let now = Timestamp::UNIX_EPOCH.saturating_add(config.rating.aging_period() * 30);
    let photos = [
        photo(1, 0, 1500.0, 60.0),
        photo(2, 0, 1500.0, 200.0),
        aged_photo,
    ];
    let board = rank_board(&photos, Window::AllTime, now, &config).unwrap();
    let flags: Vec<(u128, bool)> = board
        .iter()
        .map(|e| (e.photo_id.as_u128(), e.provisional))
        .collect();
    // Photo 3 was rated RD 100 thirty idle days ago: aged above the 110 threshold.
    assert_eq!(flags, [(1, false), (3, true), (2, true)]);
    assert!(board[1].rd > 110.0);
}

#[test]
fn ties_are_broken_by_photo_id() {
    let photos = [
        photo(9, 0, 1500.0, 80.0),
        photo(4, 0, 1500.0, 80.0),
        photo(7, 0, 1500.0, 80.0),
    ];
    let board = rank_board(
        &photos,
        Window::AllTime,
        Timestamp::UNIX_EPOCH,
        &LeaderboardConfig::default(),
    )
    .unwrap();
    let order: Vec<u128> = board.iter().map(|e| e.photo_id.as_u128()).collect();
    assert_eq!(order, [4, 7, 9]);
}

#[test]
fn cursors_round_trip_and_refuse_foreign_text() {
    let entry = BoardEntry {
        photo_id: PhotoId::from_u128(42),
        score: 1500.0,
        rd: 80.0,
        games: 1,
        provisional: false,
        rank_key: -12.5,
    };
    let cursor = Cursor::after(&entry);
    assert_eq!(Cursor::parse(&cursor.encode()).unwrap(), cursor);
    let nan_key = format!("{:016x}{}", f64::NAN.to_bits(), entry.photo_id);
    let cases = [
        "",
        "abc",
        &nan_key,
        &"Z".repeat(48),
        &cursor.encode().to_uppercase(),
    ];
    for text in cases {
        assert!(Cursor::parse(text).is_err(), "{text:?}");
    }
}

#[test]
fn page_sizes_are_bounded() {
    let cases = [(0, false), (1, true), (50, true), (200, true), (201, false)];
    for (count, accepted) in cases {
        assert_eq!(PageSize::new(count).is_ok(), accepted, "{count}");
    }
    assert_eq!(PageSize::default().get(), 50);
}

#[test]
fn a_page_continues_after_its_cursor_even_when_a_photo_joins_above() {
    let now = Timestamp::from_millis(HOUR_MS);
    let mut photos: Vec<BoardPhoto> = (1..=6)
        .map(|id| photo(id, 0, 2000.0 - 10.0 * id as f64, 80.0))
        .collect();
    let config = LeaderboardConfig::default();
    let board = rank_board(&photos, Window::AllTime, now, &config).unwrap();
    let first = page(&board, None, PageSize::new(3).unwrap());
    let cursor = first.next_cursor.unwrap();
    photos.push(photo(99, 0, 2500.0, 80.0));
    let grown = rank_board(&photos, Window::AllTime, now, &config).unwrap();
    let second = page(&grown, Some(&cursor), PageSize::new(3).unwrap());
    let ids: Vec<u128> = second
        .entries
        .iter()
        .map(|e| e.photo_id.as_u128())
        .collect();
    assert_eq!(ids, [4, 5, 6]);
    assert_eq!(second.next_cursor, None);
}
