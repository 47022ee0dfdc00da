//! Fuzz target: what the server reads from a request line: the route table's matcher
//! (`route_of`, run on every request), percent-decoded path segments, the ids and cursors
//! they hold, media object keys, and query strings (`filters::parse_query` into `Paging`,
//! then `page_count`). Accepted ids, cursors and keys have exactly one spelling.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ocean::media::ObjectKey;
use tourney_core::{CommentId, Cursor, MatchId, PhotoId, PlaceId, TournamentId, UserId};
use tourney_server::dto::{Paging, page_count};
use tourney_server::filters::{parse_query, percent_decode};
use tourney_server::route_of;

const METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let (path, query) = text.split_once('?').unwrap_or((&text, ""));

    let method = METHODS[usize::from(selector) % METHODS.len()];
    if let Some(route) = route_of(method, path) {
        let n_segments = path.trim_start_matches('/').split('/').count();
        let n_template_segments = route.path.trim_start_matches('/').split('/').count();
        assert!(
            n_segments == n_template_segments || (route.tail && n_segments > n_template_segments),
            "{method} {path:?} matched {} with another number of segments",
            route.path
        );
    }

    for segment in path.split('/') {
        match percent_decode("segment", segment) {
            Ok(decoded) => check_segment(&decoded),
            Err(error) => assert_eq!(error.field(), Some("segment")),
        }
    }
    if let Some(key) = path.strip_prefix("/media/")
        && let Ok(object_key) = ObjectKey::parse(key)
    {
        assert_eq!(object_key.as_str(), key);
        assert!(
            !key.split('/')
                .any(|segment| segment == ".." || segment.is_empty())
        );
    }

    match parse_query::<Paging>(query) {
        Ok(paging) => {
            if let Ok(count) = page_count(paging.count, 50, 200) {
                assert!((1..=200).contains(&count));
            }
            if let Some(cursor) = &paging.cursor {
                check_segment(cursor);
            }
        }
        Err(error) => assert_eq!(error.field(), Some("query")),
    }
});

/// A decoded segment as each id type and as a board cursor: accepted ones print back as
/// given.
fn check_segment(text: &str) {
    if let Ok(id) = UserId::parse(text) {
        assert_eq!(id.to_string(), text);
    }
    if let Ok(id) = PhotoId::parse(text) {
        assert_eq!(id.to_string(), text);
    }
    if let Ok(id) = CommentId::parse(text) {
        assert_eq!(id.to_string(), text);
    }
    if let Ok(id) = TournamentId::parse(text) {
        assert_eq!(id.to_string(), text);
    }
    if let Ok(id) = MatchId::parse(text) {
        assert_eq!(id.to_string(), text);
        assert!(id.low() < id.high(), "a match's photos are ordered");
    }
    if let Ok(id) = PlaceId::parse(text) {
        assert_eq!(id.to_string(), text);
    }
    if let Ok(cursor) = Cursor::parse(text) {
        assert_eq!(cursor.encode(), text);
    }
}
