//! The search port on SQLite: terms in `<dir>/search.sqlite3`, an FTS5 trigram index over
//! their lowercase forms for substring candidates, and the ranking computed here.
//!
//! Terms are keyed by `(namespace, lowercase term)`, lowercased with Rust's
//! [`str::to_lowercase`] (as are queries), so case-insensitivity covers every script. Queries
//! of three characters or more find their candidates through the trigram index; shorter
//! ones (and every query when the SQLite build lacks FTS5) scan the namespace with `instr`,
//! which has no wildcards to escape. Similar hits are terms that do not contain the query but
//! share at least [`SIMILARITY_THRESHOLD`] of their trigrams with it (Jaccard similarity).

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ocean::search::{Hit, MAX_HITS, MAX_TERM_CHARS, MatchKind, Search};
use ocean::{Error, Result, check_name};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::db::{Db, prepare};
use crate::error::{from_io, from_sqlite};

/// The terms table.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS terms (
    id INTEGER PRIMARY KEY,
    namespace TEXT NOT NULL,
    lowered TEXT NOT NULL,
    display TEXT NOT NULL,
    UNIQUE (namespace, lowered)
);
";

/// The trigram index over `terms.lowered` (rowid = `terms.id`). Terms are lowercased in
/// Rust, so the tokenizer keeps case as it is.
const FTS_SCHEMA: &str = "
CREATE VIRTUAL TABLE terms_trigrams USING fts5(lowered, tokenize = 'trigram case_sensitive 1');
INSERT INTO terms_trigrams (rowid, lowered) SELECT id, lowered FROM terms;
";

/// Least trigram Jaccard similarity of a [`MatchKind::Similar`] hit.
pub const SIMILARITY_THRESHOLD: f64 = 0.3;

/// Most terms sharing a trigram with the query that are scored for similarity (those
/// sharing the most come first).
const MAX_SIMILAR_CANDIDATES: u32 = 2_000;

/// The embedded search backend.
#[derive(Debug)]
pub struct EmbeddedSearch {
    db: Arc<Db>,
    /// Whether the trigram index exists (SQLite built with FTS5).
    trigrams: bool,
}

impl EmbeddedSearch {
    /// Opens (creating if needed) the search store in `dir`. Blocking: call it before serving.
    pub fn open(dir: &Path) -> Result<EmbeddedSearch> {
        std::fs::create_dir_all(dir).map_err(|e| from_io(e, "search data directory"))?;
        let path = dir.join("search.sqlite3");
        let db = Db::open(&path, SCHEMA)?;
        let mut connection = Connection::open(&path).map_err(from_sqlite)?;
        connection
            .busy_timeout(Duration::from_secs(10))
            .map_err(from_sqlite)?;
        let trigrams = has_fts5(&connection)?;
        if trigrams {
            ensure_trigram_index(&mut connection)?;
        } else {
            tracing::warn!("SQLite lacks FTS5: term search scans each namespace");
        }
        Ok(EmbeddedSearch { db, trigrams })
    }
}

#[async_trait]
impl Search for EmbeddedSearch {
    async fn index(&self, namespace: &str, term: &str) -> Result<()> {
        check_name("namespace", namespace)?;
        check_text("term", term)?;
        let (namespace, display, lowered) =
            (namespace.to_owned(), term.to_owned(), term.to_lowercase());
        let trigrams = self.trigrams;
        self.db
            .write(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(from_sqlite)?;
                let existing = find_term(&tx, &namespace, &lowered)?;
                match existing {
                    Some((_, current)) if current == display => {}
                    Some((id, _)) => {
                        prepare(&tx, "UPDATE terms SET display = ?1 WHERE id = ?2")
                            .and_then(|mut s| s.execute(params![display, id]))
                            .map_err(from_sqlite)?;
                    }
                    None => {
                        prepare(
                            &tx,
                            "INSERT INTO terms (namespace, lowered, display) VALUES (?1, ?2, ?3)",
                        )
                        .and_then(|mut s| s.execute(params![namespace, lowered, display]))
                        .map_err(from_sqlite)?;
                        if trigrams {
                            let id = tx.last_insert_rowid();
                            prepare(
                                &tx,
                                "INSERT INTO terms_trigrams (rowid, lowered) VALUES (?1, ?2)",
                            )
                            .and_then(|mut s| s.execute(params![id, lowered]))
                            .map_err(from_sqlite)?;
                        }
                    }
                }
                tx.commit().map_err(from_sqlite)
            })
            .await
    }

    async fn remove(&self, namespace: &str, term: &str) -> Result<()> {
        check_name("namespace", namespace)?;
        check_text("term", term)?;
        let (namespace, lowered) = (namespace.to_owned(), term.to_lowercase());
        let trigrams = self.trigrams;
        self.db
            .write(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(from_sqlite)?;
                let Some((id, _)) = find_term(&tx, &namespace, &lowered)? else {
                    return Ok(());
                };
                prepare(&tx, "DELETE FROM terms WHERE id = ?1")
                    .and_then(|mut s| s.execute(params![id]))
                    .map_err(from_sqlite)?;
                if trigrams {
                    prepare(&tx, "DELETE FROM terms_trigrams WHERE rowid = ?1")
                        .and_then(|mut s| s.execute(params![id]))
                        .map_err(from_sqlite)?;
                }
                tx.commit().map_err(from_sqlite)
            })
            .await
    }

    async fn search(&self, namespace: &str, query: &str, limit: u32) -> Result<Vec<Hit>> {
        check_name("namespace", namespace)?;
        check_text("query", query)?;
        if !(1..=MAX_HITS).contains(&limit) {
            return Err(Error::invalid(
                "limit",
                format!("{limit} is not in 1 to {MAX_HITS}"),
            ));
        }
        let (namespace, query) = (namespace.to_owned(), query.to_lowercase());
        // FTS5's query parser stops at NUL ("unterminated string"): such a query scans.
        let trigrams = self.trigrams && !query.contains('\0');
        self.db
            .read(move |conn| {
                let mut ranked = containing(conn, &namespace, &query, trigrams)?;
                let limit = usize::try_from(limit).unwrap_or(usize::MAX);
                if ranked.len() < limit && trigrams {
                    ranked.extend(similar(conn, &namespace, &query)?);
                }
                ranked.sort_unstable_by(|a, b| a.key().cmp(&b.key()));
                ranked.truncate(limit);
                Ok(ranked.into_iter().map(Ranked::into_hit).collect())
            })
            .await
    }
}

/// Refuses an empty, blank or overlong term or query.
fn check_text(field: &'static str, text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty or blank"));
    }
    let n_chars = text.chars().count();
    if n_chars > MAX_TERM_CHARS {
        return Err(Error::invalid(
            field,
            format!("{n_chars} characters, at most {MAX_TERM_CHARS} allowed"),
        ));
    }
    Ok(())
}

/// Whether this SQLite build has FTS5.
fn has_fts5(conn: &Connection) -> Result<bool> {
    let mut statement = conn
        .prepare("PRAGMA compile_options")
        .map_err(from_sqlite)?;
    let options = statement
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(from_sqlite)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(from_sqlite)?;
    Ok(options.iter().any(|option| option == "ENABLE_FTS5"))
}

/// Creates (and fills from the terms table) the trigram index if it does not exist yet.
fn ensure_trigram_index(conn: &mut Connection) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(from_sqlite)?;
    let exists: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'terms_trigrams')",
            [],
            |row| row.get(0),
        )
        .map_err(from_sqlite)?;
    if !exists {
        tx.execute_batch(FTS_SCHEMA).map_err(from_sqlite)?;
    }
    tx.commit().map_err(from_sqlite)
}

/// The id and displayed spelling of a term.
fn find_term(conn: &Connection, namespace: &str, lowered: &str) -> Result<Option<(i64, String)>> {
    prepare(
        conn,
        "SELECT id, display FROM terms WHERE namespace = ?1 AND lowered = ?2",
    )
    .and_then(|mut s| {
        s.query_row(params![namespace, lowered], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()
    })
    .map_err(from_sqlite)
}

/// A matching term with what it sorts by.
#[derive(Debug)]
struct Ranked {
    kind: MatchKind,
    n_chars: usize,
    lowered: String,
    display: String,
}

impl Ranked {
    /// The documented order: kind, then length, then lowercase term.
    fn key(&self) -> (MatchKind, usize, &str) {
        (self.kind, self.n_chars, &self.lowered)
    }

    fn into_hit(self) -> Hit {
        Hit {
            term: self.display,
            kind: self.kind,
        }
    }
}

/// How a lowercase term matches a lowercase query, if it contains it.
fn containment(lowered: &str, query: &str) -> Option<MatchKind> {
    if lowered == query {
        Some(MatchKind::Exact)
    } else if lowered.starts_with(query) {
        Some(MatchKind::Prefix)
    } else if lowered.contains(query) {
        Some(MatchKind::Contains)
    } else {
        None
    }
}

/// Every term of `namespace` containing the lowercase `query`, through the trigram index
/// when the query is long enough for it, else by scanning the namespace.
fn containing(
    conn: &Connection,
    namespace: &str,
    query: &str,
    trigrams: bool,
) -> Result<Vec<Ranked>> {
    let (sql, pattern) = if trigrams && query.chars().count() >= 3 {
        (
            "SELECT t.lowered, t.display FROM terms_trigrams f JOIN terms t ON t.id = f.rowid
             WHERE terms_trigrams MATCH ?2 AND t.namespace = ?1",
            fts_phrase(query),
        )
    } else {
        (
            "SELECT lowered, display FROM terms WHERE namespace = ?1 AND instr(lowered, ?2) > 0",
            query.to_owned(),
        )
    };
    let mut statement = prepare(conn, sql).map_err(from_sqlite)?;
    let rows = statement
        .query_map(params![namespace, pattern], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(from_sqlite)?;
    let mut ranked = Vec::new();
    for row in rows {
        let (lowered, display) = row.map_err(from_sqlite)?;
        if let Some(kind) = containment(&lowered, query) {
            ranked.push(Ranked {
                kind,
                n_chars: display.chars().count(),
                lowered,
                display,
            });
        }
    }
    Ok(ranked)
}

/// Terms of `namespace` not containing the lowercase `query` whose trigram Jaccard
/// similarity with it reaches [`SIMILARITY_THRESHOLD`].
fn similar(conn: &Connection, namespace: &str, query: &str) -> Result<Vec<Ranked>> {
    let query_trigrams = trigrams_of(query);
    if query_trigrams.is_empty() {
        return Ok(Vec::new());
    }
    let any_trigram = query_trigrams
        .iter()
        .map(|trigram| fts_phrase(trigram))
        .collect::<Vec<_>>()
        .join(" OR ");
    let mut statement = prepare(
        conn,
        "SELECT t.lowered, t.display FROM terms_trigrams f JOIN terms t ON t.id = f.rowid
             WHERE terms_trigrams MATCH ?2 AND t.namespace = ?1
             ORDER BY f.rank LIMIT ?3",
    )
    .map_err(from_sqlite)?;
    let rows = statement
        .query_map(
            params![namespace, any_trigram, MAX_SIMILAR_CANDIDATES],
            |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
        )
        .map_err(from_sqlite)?;
    let mut ranked = Vec::new();
    for row in rows {
        let (lowered, display) = row.map_err(from_sqlite)?;
        if lowered.contains(query) {
            continue;
        }
        if jaccard(&query_trigrams, &trigrams_of(&lowered)) >= SIMILARITY_THRESHOLD {
            ranked.push(Ranked {
                kind: MatchKind::Similar,
                n_chars: display.chars().count(),
                lowered,
                display,
            });
        }
    }
    Ok(ranked)
}

/// `text` as one FTS5 phrase (quoted, inner quotes doubled), which matches it literally.
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The distinct three-character windows of `text`.
fn trigrams_of(text: &str) -> HashSet<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(3)
        .map(|window| window.iter().collect())
        .collect()
}

/// Shared trigrams over all trigrams of either.
fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    let shared = a.intersection(b).count();
    let union = a.len() + b.len() - shared;
    if union == 0 {
        return 0.0;
    }
    ratio(shared, union)
}

/// `numerator / denominator` for small counts.
fn ratio(numerator: usize, denominator: usize) -> f64 {
    let as_f64 = |n: usize| f64::from(u32::try_from(n).unwrap_or(u32::MAX));
    as_f64(numerator) / as_f64(denominator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containment_ranks_exact_prefix_contains() {
        assert_eq!(containment("hand", "hand"), Some(MatchKind::Exact));
        assert_eq!(containment("handy", "hand"), Some(MatchKind::Prefix));
        assert_eq!(
            containment("thehandover", "hand"),
            Some(MatchKind::Contains)
        );
        assert_eq!(containment("sunset", "hand"), None);
    }

    #[test]
    fn jaccard_of_a_misspelling_passes_the_threshold() {
        let similarity = jaccard(&trigrams_of("fotografh"), &trigrams_of("photograph"));
        assert!(similarity >= SIMILARITY_THRESHOLD, "{similarity}");
        let unrelated = jaccard(&trigrams_of("sunset"), &trigrams_of("photograph"));
        assert!(unrelated < SIMILARITY_THRESHOLD, "{unrelated}");
    }

    #[test]
    fn phrases_double_their_quotes() {
        assert_eq!(fts_phrase(r#"say "hi""#), r#""say ""hi""""#);
    }

    #[test]
    fn blank_and_overlong_text_is_invalid() {
        assert!(check_text("term", " ").is_err());
        assert!(check_text("term", &"é".repeat(MAX_TERM_CHARS)).is_ok());
        assert!(check_text("term", &"e".repeat(MAX_TERM_CHARS + 1)).is_err());
    }
}
