//! The search port: terms indexed per namespace (tags per category, say), found by
//! case-insensitive substring, ranked exact > prefix > contained > similar.

use std::fmt;

use async_trait::async_trait;

use crate::error::Result;

/// Most hits one search returns.
pub const MAX_HITS: u32 = 100;
/// Longest indexed term or query, in characters.
pub const MAX_TERM_CHARS: usize = 100;

/// How a hit matches the query, best first (the derived order ranks them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKind {
    /// The term equals the query, ignoring case.
    Exact,
    /// The term starts with the query, ignoring case.
    Prefix,
    /// The term contains the query elsewhere, ignoring case.
    Contains,
    /// The term does not contain the query but is similar to it (shares most trigrams);
    /// backends without a similarity measure never return this kind.
    Similar,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The term as indexed (case preserved).
    pub term: String,
    /// How it matched.
    pub kind: MatchKind,
}

/// Substring search over short terms.
///
/// Terms are unique per namespace ignoring case: indexing `Hand` after `hand` replaces the
/// displayed spelling. Indexing and removing are idempotent; a search sees every index or
/// remove call that returned before it started. Empty or overlong terms and queries are
/// [`crate::Error::Invalid`].
#[async_trait]
pub trait Search: Send + Sync + fmt::Debug + 'static {
    /// Adds `term` to `namespace` (or updates its displayed spelling).
    async fn index(&self, namespace: &str, term: &str) -> Result<()>;

    /// Removes `term` (any spelling) from `namespace`; removing an absent term is fine.
    async fn remove(&self, namespace: &str, term: &str) -> Result<()>;

    /// Up to `limit` (1 to [`MAX_HITS`]) terms of `namespace` matching `query`, ordered by
    /// [`MatchKind`], then shorter terms first, then by lowercase term.
    async fn search(&self, namespace: &str, query: &str, limit: u32) -> Result<Vec<Hit>>;
}
