//! Identifiers: 128-bit time-ordered ids for users, photos and tournaments (32 lowercase hex
//! characters on the wire), the match id built from two photo ids, and place ids.

use std::fmt;
use std::str::FromStr;

use rand::{Rng, RngExt};

use crate::error::Error;
use crate::time::Timestamp;

/// Parses exactly `2 * bytes` lowercase hex characters into a number, naming `field` on error.
fn parse_lower_hex(field: &'static str, text: &str, expected_len: usize) -> Result<u128, Error> {
    let is_lower_hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
    if text.len() != expected_len || !text.bytes().all(is_lower_hex) {
        return Err(Error::InvalidHexId {
            field,
            value: text.to_owned(),
            expected_len,
        });
    }
    u128::from_str_radix(text, 16).map_err(|_| Error::InvalidHexId {
        field,
        value: text.to_owned(),
        expected_len,
    })
}

/// Lays out a UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, the version nibble 7,
/// 12 random bits, the variant bits 10 and 62 random bits. Instants before the epoch or
/// past 2^48 ms clamp to the nearest representable one.
fn uuid_v7_bits(at: Timestamp, random_bits: u128) -> u128 {
    const MAX_MILLIS: i64 = (1 << 48) - 1;
    let millis = at.millis().clamp(0, MAX_MILLIS) as u128;
    let rand_a = (random_bits >> 64) & 0xfff;
    let rand_b = random_bits & ((1 << 62) - 1);
    (millis << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
}

macro_rules! time_ordered_id {
    ($(#[$meta:meta])* $name:ident, $field:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u128);

        impl $name {
            /// Parses 32 lowercase hex characters (a UUID without dashes); anything else is
            /// refused, so the same id always has the same spelling.
            pub fn parse(text: &str) -> Result<Self, Error> {
                parse_lower_hex($field, text, 32).map(Self)
            }

            /// A time-ordered id (UUIDv7 layout) from the creation instant and random bits:
            /// ids created later sort later, whatever the random bits.
            pub fn from_time_and_random(created_at: Timestamp, random_bits: u128) -> Self {
                Self(uuid_v7_bits(created_at, random_bits))
            }

            /// A fresh time-ordered id from the creation instant and the caller's generator.
            pub fn generate(created_at: Timestamp, rng: &mut (impl Rng + ?Sized)) -> Self {
                Self::from_time_and_random(created_at, rng.random())
            }

            /// The id as a 128-bit number (its hex spelling read as big-endian).
            pub const fn as_u128(self) -> u128 {
                self.0
            }

            /// The id whose hex spelling is this number's; any value is accepted, so ids of
            /// the first generation (UUIDv1) convert too.
            pub const fn from_u128(value: u128) -> Self {
                Self(value)
            }

            /// The creation instant stored in a UUIDv7 (meaningless for other versions).
            pub fn created_at(self) -> Timestamp {
                Timestamp::from_millis((self.0 >> 80) as i64)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:032x}", self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:032x})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = Error;

            fn from_str(text: &str) -> Result<Self, Error> {
                Self::parse(text)
            }
        }
    };
}

time_ordered_id!(
    /// A user (judge, photographer, follower): 32 lowercase hex characters, time-ordered.
    UserId,
    "user_id"
);
time_ordered_id!(
    /// A photo or movie: 32 lowercase hex characters, time-ordered, so "newest first" is an
    /// id order and ties anywhere are broken by id.
    PhotoId,
    "photo_id"
);
time_ordered_id!(
    /// A 16-photo tournament proposed to one judge: 32 lowercase hex characters, time-ordered.
    TournamentId,
    "tournament_id"
);
time_ordered_id!(
    /// A comment on a photo: 32 lowercase hex characters, time-ordered.
    CommentId,
    "comment_id"
);

/// A pair of photos proposed to a judge: `hex(a) + hex(b)` with `a < b`, 64 characters.
///
/// The order makes the id independent of left/right on screen, so "has this judge seen
/// this pair?" is one lookup whichever side each photo was shown on.
///
/// ```
/// use tourney_core::{MatchId, PhotoId};
///
/// let a = PhotoId::from_u128(1);
/// let b = PhotoId::from_u128(2);
/// let id = MatchId::new(b, a)?;
/// assert_eq!((id.low(), id.high()), (a, b));
/// assert_eq!(MatchId::parse(&id.to_string())?, id);
/// assert!(MatchId::new(a, a).is_err());
/// # Ok::<(), tourney_core::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MatchId {
    low: PhotoId,
    high: PhotoId,
}

impl MatchId {
    /// The match of two distinct photos, in either order.
    pub fn new(first: PhotoId, second: PhotoId) -> Result<Self, Error> {
        if first == second {
            return Err(Error::SamePhotoTwice { photo_id: first });
        }
        Ok(Self {
            low: first.min(second),
            high: first.max(second),
        })
    }

    /// Parses 64 lowercase hex characters whose first half is strictly below the second.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let invalid = || Error::InvalidHexId {
            field: "match_id",
            value: text.to_owned(),
            expected_len: 64,
        };
        if text.len() != 64 || !text.is_ascii() {
            return Err(invalid());
        }
        let (low_text, high_text) = text.split_at(32);
        let low = parse_lower_hex("match_id", low_text, 32).map_err(|_| invalid())?;
        let high = parse_lower_hex("match_id", high_text, 32).map_err(|_| invalid())?;
        if low >= high {
            return Err(Error::MatchIdOrder {
                value: text.to_owned(),
            });
        }
        Ok(Self {
            low: PhotoId::from_u128(low),
            high: PhotoId::from_u128(high),
        })
    }

    /// The smaller photo id (the spec's `photo_a`).
    pub fn low(self) -> PhotoId {
        self.low
    }

    /// The larger photo id (the spec's `photo_b`).
    pub fn high(self) -> PhotoId {
        self.high
    }

    /// Whether `photo_id` is one of the two photos.
    pub fn contains(self, photo_id: PhotoId) -> bool {
        self.low == photo_id || self.high == photo_id
    }
}

impl fmt::Display for MatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.low, self.high)
    }
}

impl fmt::Debug for MatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MatchId({}{})", self.low, self.high)
    }
}

impl FromStr for MatchId {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Self::parse(text)
    }
}

/// A place of the places dataset: 1 to 64 ASCII letters, digits, `-` or `_` (a GeoNames
/// number, or the first generation's 32-hex uuid, both fit).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlaceId(String);

impl PlaceId {
    /// The longest accepted place id.
    pub const MAX_LEN: usize = 64;

    /// Parses a place id, refusing empty, overlong or non-`[A-Za-z0-9_-]` text.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text.is_empty() || text.len() > Self::MAX_LEN {
            return Err(Error::TextLength {
                field: "place_id",
                value: text.to_owned(),
                n_chars: text.chars().count(),
                min: 1,
                max: Self::MAX_LEN,
            });
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if !text.chars().all(allowed) {
            return Err(Error::TextCharacters {
                field: "place_id",
                value: text.to_owned(),
                reason: "only ASCII letters, digits, '-' and '_'",
            });
        }
        Ok(Self(text.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PlaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for PlaceId {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Self::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_ids_parse_only_32_lowercase_hex() {
        let cases = [
            ("0123456789abcdef0123456789abcdef", true),
            ("0123456789ABCDEF0123456789ABCDEF", false),
            ("0123456789abcdef0123456789abcde", false),
            ("0123456789abcdef0123456789abcdef0", false),
            ("01234567-89ab-cdef-0123-456789abcdef", false),
            ("g123456789abcdef0123456789abcdef", false),
            ("+123456789abcdef0123456789abcdef", false),
            ("", false),
        ];
        for (text, accepted) in cases {
            let parsed = PhotoId::parse(text);
            assert_eq!(parsed.is_ok(), accepted, "{text:?}");
            if let Ok(id) = parsed {
                assert_eq!(id.to_string(), text);
            }
        }
    }

    #[test]
    fn generated_ids_are_uuid_v7_and_ordered_by_time() {
        let early = PhotoId::from_time_and_random(Timestamp::from_millis(1_000), u128::MAX);
        let late = PhotoId::from_time_and_random(Timestamp::from_millis(1_001), 0);
        assert!(early < late);
        assert!(early.to_string() < late.to_string());
        assert_eq!(early.created_at(), Timestamp::from_millis(1_000));
        let text = late.to_string();
        assert_eq!(&text[12..13], "7", "version nibble in {text}");
        assert!(
            matches!(&text[16..17], "8" | "9" | "a" | "b"),
            "variant in {text}"
        );
    }

    #[test]
    fn match_ids_order_their_photos_and_refuse_bad_text() {
        let low = "00000000000000000000000000000001";
        let high = "00000000000000000000000000000002";
        let cases = [
            (format!("{low}{high}"), true),
            (format!("{high}{low}"), false),
            (format!("{low}{low}"), false),
            (format!("{low}{high}0"), false),
            (format!("{}{high}", "A".repeat(32)), false),
        ];
        for (text, accepted) in &cases {
            assert_eq!(MatchId::parse(text).is_ok(), *accepted, "{text}");
        }
        assert!(matches!(
            MatchId::parse(&format!("{high}{low}")),
            Err(Error::MatchIdOrder { .. })
        ));
    }

    #[test]
    fn place_ids_accept_geonames_numbers_and_legacy_uuids() {
        let cases = [
            ("5368361", true),
            ("67f21dcfecf311e487d3c8e0eb16059b", true),
            ("los-angeles_ca", true),
            ("", false),
            ("los angeles", false),
            ("Zürich", false),
        ];
        for (text, accepted) in cases {
            assert_eq!(PlaceId::parse(text).is_ok(), accepted, "{text:?}");
        }
        assert!(PlaceId::parse(&"x".repeat(65)).is_err());
    }
}
