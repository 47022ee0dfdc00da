//! Fuzz target: the JSON request bodies the server reads (`filters::parse_json` into each
//! body type of `dto`), then what the handlers validate in them (names, tags, comment text,
//! content types, locations). A refusal must be a 4xx; what is accepted must obey its rules.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tourney_core::{CommentText, PhotoId, Tag, UserName};
use tourney_media::ContentType;
use tourney_server::ApiError;
use tourney_server::dto::{
    CommentBody, NewPhotoBody, ReportBody, UserPatch, VoteBody, parse_location,
};
use tourney_server::filters::parse_json;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 6 {
        0 => {
            if let Some(patch) = accepted::<UserPatch>(body) {
                if let Some(name) = &patch.user_name {
                    check_user_name(name);
                }
                if let Some(location) = &patch.location {
                    check_location(location);
                }
            }
        }
        1 => {
            if let Some(new_photo) = accepted::<NewPhotoBody>(body) {
                if let Ok(content_type) = ContentType::parse(&new_photo.content_type) {
                    assert_eq!(ContentType::parse(content_type.as_str()), Ok(content_type));
                }
                for tag in new_photo.tags.iter().flatten() {
                    check_tag(tag);
                }
                if let Some(location) = &new_photo.location {
                    check_location(location);
                }
            }
        }
        2 => {
            if let Some(report) = accepted::<ReportBody>(body) {
                for winner in &report.winners {
                    if let Ok(id) = PhotoId::parse(winner) {
                        assert_eq!(&id.to_string(), winner, "ids have one spelling");
                    }
                }
            }
        }
        3 => {
            accepted::<VoteBody>(body);
        }
        4 => {
            if let Some(comment) = accepted::<CommentBody>(body) {
                check_comment(&comment.text);
            }
        }
        _ => {
            if let Some(value) = accepted::<serde_json::Value>(body) {
                check_location(&value);
            }
        }
    }
});

/// The body parsed as `T`, or `None` after checking the refusal is a client error.
fn accepted<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<T> {
    match parse_json::<T>(body) {
        Ok(value) => Some(value),
        Err(error) => {
            assert_client_error(&error);
            None
        }
    }
}

fn assert_client_error(error: &ApiError) {
    assert!(
        error.status().is_client_error(),
        "a refused body is a 4xx, not {}: {error}",
        error.status()
    );
}

fn check_location(value: &serde_json::Value) {
    match parse_location(value) {
        Ok(point) => {
            assert!(point.lat().is_finite() && (-90.0..=90.0).contains(&point.lat()));
            assert!(point.lon().is_finite() && (-180.0..=180.0).contains(&point.lon()));
        }
        Err(error) => {
            assert_client_error(&error);
            assert_eq!(error.field(), Some("location"));
        }
    }
}

/// Accepted text is trimmed, within `max_chars` and free of the refused characters.
fn check_text(text: &str, max_chars: usize, refused: impl Fn(char) -> bool) {
    assert_eq!(text, text.trim(), "accepted text is trimmed");
    let n_chars = text.chars().count();
    assert!((1..=max_chars).contains(&n_chars), "{n_chars} characters");
    assert!(
        !text.chars().any(refused),
        "{text:?} holds a refused character"
    );
}

fn check_user_name(text: &str) {
    if let Ok(name) = UserName::parse(text) {
        check_text(name.as_str(), UserName::MAX_CHARS, char::is_control);
    }
}

fn check_tag(text: &str) {
    if let Ok(tag) = Tag::parse(text) {
        check_text(tag.display(), Tag::MAX_CHARS, |c| {
            c.is_control() || c == '/'
        });
        assert_eq!(tag.key(), tag.display().to_lowercase());
        let again = Tag::parse(tag.display()).expect("an accepted tag parses again");
        assert_eq!(again.display(), tag.display());
    }
}

fn check_comment(text: &str) {
    if let Ok(comment) = CommentText::parse(text) {
        check_text(comment.as_str(), CommentText::MAX_CHARS, |c| {
            c.is_control() && c != '\n'
        });
    }
}
