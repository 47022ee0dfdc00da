//! Port queue names to SQS queue names: SQS allows 1 to 80 of `A-Z a-z 0-9 _ -` (no `.`),
//! ocean allows `.` too and dead-letter names 5 characters longer, so names that do not fit
//! as they are get a hashed form.

use ocean::{Error, Result};

/// Longest SQS queue name.
pub(crate) const MAX_SQS_NAME: usize = 80;
/// Longest queue prefix: leaves room for a hashed name's readable part.
pub(crate) const MAX_PREFIX: usize = 40;
/// `-` and 16 hex digits of the hash.
const HASH_SUFFIX_LEN: usize = 17;

/// The SQS queue name for port queue `name` under `prefix`.
///
/// `<prefix><name>` when `name` has no `.`, fits in 80 characters with the prefix and does
/// not itself end like a hashed name; otherwise `<prefix><name with . as _, cut to fit>-<16
/// hex digits of FNV-1a 64 of name>`. Distinct port names get distinct SQS names (up to a
/// 64-bit hash collision), and the mapping never changes between versions.
pub(crate) fn sqs_queue_name(prefix: &str, name: &str) -> Result<String> {
    check_prefix(prefix)?;
    let fits = prefix.len() + name.len() <= MAX_SQS_NAME;
    if fits && !name.contains('.') && !ends_like_hashed(name) {
        return Ok(format!("{prefix}{name}"));
    }
    let room = MAX_SQS_NAME - prefix.len() - HASH_SUFFIX_LEN;
    let readable: String = name
        .chars()
        .take(room)
        .map(|c| if c == '.' { '_' } else { c })
        .collect();
    Ok(format!(
        "{prefix}{readable}-{:016x}",
        fnv1a_64(name.as_bytes())
    ))
}

/// Checks the prefix: up to [`MAX_PREFIX`] of SQS's queue-name characters (may be empty).
fn check_prefix(prefix: &str) -> Result<()> {
    let valid = prefix.len() <= MAX_PREFIX
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(Error::invalid(
            "queue_prefix",
            format!("{prefix:?}: use up to {MAX_PREFIX} ASCII letters, digits, _ -"),
        ))
    }
}

/// Whether `name` ends in `-` and 16 lowercase hex digits, as hashed names do.
fn ends_like_hashed(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() >= HASH_SUFFIX_LEN
        && bytes[bytes.len() - HASH_SUFFIX_LEN] == b'-'
        && bytes[bytes.len() - 16..]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// FNV-1a, 64 bits: small, stable across Rust versions (unlike `DefaultHasher`).
fn fnv1a_64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_keep_their_spelling() {
        assert_eq!(sqs_queue_name("lpt-", "media").unwrap(), "lpt-media");
        assert_eq!(sqs_queue_name("", "media-dead").unwrap(), "media-dead");
    }

    #[test]
    fn dotted_and_long_names_are_hashed_within_the_limit() {
        let dotted = sqs_queue_name("lpt-", "a.b").unwrap();
        let underscored = sqs_queue_name("lpt-", "a_b").unwrap();
        assert_ne!(dotted, underscored, "a.b and a_b stay apart");
        assert!(dotted.starts_with("lpt-a_b-") && dotted.len() == 4 + 3 + 17);

        let long = format!("{:.<64}-dead", "q_big");
        let sqs_name = sqs_queue_name(&"p".repeat(MAX_PREFIX), &long).unwrap();
        assert_eq!(sqs_name.len(), MAX_SQS_NAME);
        assert!(
            sqs_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        );
    }

    #[test]
    fn a_name_that_looks_hashed_is_hashed_again() {
        let hashed = sqs_queue_name("", "a.b").unwrap();
        let again = sqs_queue_name("", &hashed).unwrap();
        assert_ne!(hashed, again, "no plain name equals a hashed one");
    }

    #[test]
    fn the_hash_is_stable() {
        // FNV-1a 64 test vector: "a" -> af63dc4c8601ec8c.
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn bad_prefixes_are_invalid() {
        for prefix in ["has.dot", "has space", &"p".repeat(MAX_PREFIX + 1)] {
            let error = sqs_queue_name(prefix, "q").unwrap_err();
            assert_eq!(error.kind(), ocean::ErrorKind::Invalid, "{prefix}");
        }
    }
}
