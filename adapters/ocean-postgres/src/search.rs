//! The search port on PostgreSQL with pg_trgm: terms in `ocean_search_terms`, keyed by
//! `(namespace, lowercase term)`, under a GIN trigram index; ranking done in SQL.
//!
//! Terms and queries are lowercased here with Rust's [`str::to_lowercase`] (the database's
//! `lower()` follows its locale and differs on letters such as `İ`), so case folding matches
//! every other backend. A query finds the terms containing it with `LIKE '%query%'` (its
//! `%`, `_` and `\` escaped, the pattern passed as a parameter), ranked exact, prefix,
//! contained; then [`MatchKind::Similar`] terms, which do not contain it but are similar by
//! pg_trgm: `similarity(term, query)` at least `pg_trgm.similarity_threshold` (default 0.3)
//! or `word_similarity(query, term)` at least `pg_trgm.word_similarity_threshold` (default
//! 0.6; plain similarity of a short query against a long term is always low). Within a kind,
//! shorter terms come first, then by lowercase term in byte order (`COLLATE "C"`).

use async_trait::async_trait;
use ocean::search::{Hit, MAX_HITS, MAX_TERM_CHARS, MatchKind, Search};
use ocean::{Error, Result, check_name};
use tokio_postgres::Row;

use crate::db::{Component, ConnectOptions, Database};
use crate::error::{backend, from_postgres};

/// Adds a term, or updates the displayed spelling of its lowercase form.
const INDEX: &str = "INSERT INTO ocean_search_terms (namespace, lowered, display)
    VALUES ($1, $2, $3)
    ON CONFLICT (namespace, lowered) DO UPDATE SET display = EXCLUDED.display
    WHERE ocean_search_terms.display IS DISTINCT FROM EXCLUDED.display";

/// Removes a term by its lowercase form.
const REMOVE: &str = "DELETE FROM ocean_search_terms WHERE namespace = $1 AND lowered = $2";

/// The ranked hits: `$1` namespace, `$2` lowercase query, `$3` its escaped LIKE pattern,
/// `$4` limit. The kind column is 0 exact, 1 prefix, 2 contains, 3 similar.
const SEARCH: &str = r"SELECT display,
        CASE WHEN lowered = $2 THEN 0
             WHEN starts_with(lowered, $2) THEN 1
             WHEN strpos(lowered, $2) > 0 THEN 2
             ELSE 3 END AS kind
    FROM ocean_search_terms
    WHERE namespace = $1 AND (lowered LIKE $3 ESCAPE '\' OR lowered % $2 OR $2 <% lowered)
    ORDER BY kind, char_length(display), lowered
    LIMIT $4";

/// The search port on PostgreSQL + pg_trgm, over a small connection pool.
#[derive(Debug, Clone)]
pub struct PostgresSearch {
    database: Database,
}

impl PostgresSearch {
    /// Connects to the database at `url` (`postgres://user:password@host:port/dbname`) with
    /// [`ConnectOptions::default`] and creates the terms table if missing (installing the
    /// `pg_trgm` and `btree_gin` contrib extensions, which any database owner may do).
    /// `Unavailable` when the server cannot be reached.
    pub async fn connect(url: &str) -> Result<PostgresSearch> {
        PostgresSearch::connect_with(url, ConnectOptions::default()).await
    }

    /// [`PostgresSearch::connect`] with a pool sized and timed by `options`.
    pub async fn connect_with(url: &str, options: ConnectOptions) -> Result<PostgresSearch> {
        let database = Database::connect(url, options, Component::Search).await?;
        Ok(PostgresSearch { database })
    }

    /// [`PostgresSearch::connect_with`] for a host that must start while PostgreSQL is down: a
    /// server that cannot be reached now is logged, not an error. The port's calls then fail
    /// with `Unavailable` (fast when the connection is refused, else after `options.timeout`)
    /// until the server answers; the first call that reaches it applies the migrations. A
    /// malformed URL and permanent failures (bad credentials, a missing database or
    /// extension) still fail here.
    pub async fn connect_or_defer(url: &str, options: ConnectOptions) -> Result<PostgresSearch> {
        let database = Database::connect_or_defer(url, options, Component::Search).await?;
        Ok(PostgresSearch { database })
    }

    /// Runs `sql` with `params` on a pooled connection (a cached prepared statement).
    async fn query(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        let client = self.database.client().await?;
        let statement = client
            .prepare_cached(sql)
            .await
            .map_err(|error| self.database.attribute(from_postgres(error)))?;
        client
            .query(&statement, params)
            .await
            .map_err(|error| self.database.attribute(from_postgres(error)))
    }
}

#[async_trait]
impl Search for PostgresSearch {
    async fn index(&self, namespace: &str, term: &str) -> Result<()> {
        check_name("namespace", namespace)?;
        check_text("term", term)?;
        if term.contains('\0') {
            return Err(Error::invalid(
                "term",
                "PostgreSQL text cannot hold NUL characters",
            ));
        }
        let lowered = term.to_lowercase();
        self.query(INDEX, &[&namespace, &lowered, &term]).await?;
        Ok(())
    }

    async fn remove(&self, namespace: &str, term: &str) -> Result<()> {
        check_name("namespace", namespace)?;
        check_text("term", term)?;
        if term.contains('\0') {
            // Never indexed (index refuses it), so already absent.
            return Ok(());
        }
        let lowered = term.to_lowercase();
        self.query(REMOVE, &[&namespace, &lowered]).await?;
        Ok(())
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
        if query.contains('\0') {
            // No term holds NUL, so none contains the query.
            return Ok(Vec::new());
        }
        let lowered = query.to_lowercase();
        let pattern = format!("%{}%", escape_like(&lowered));
        let rows = self
            .query(SEARCH, &[&namespace, &lowered, &pattern, &i64::from(limit)])
            .await?;
        rows.iter().map(hit_from_row).collect()
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

/// `text` with LIKE's wildcards (`%`, `_`) and its escape character (`\`) escaped, so it
/// matches only itself inside a pattern with `ESCAPE '\'`.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A hit from a row of `display, kind`.
fn hit_from_row(row: &Row) -> Result<Hit> {
    let term: String = row.try_get(0).map_err(from_postgres)?;
    let kind: i32 = row.try_get(1).map_err(from_postgres)?;
    let kind = match kind {
        0 => MatchKind::Exact,
        1 => MatchKind::Prefix,
        2 => MatchKind::Contains,
        3 => MatchKind::Similar,
        other => return Err(backend(format!("unknown match kind {other}"))),
    };
    Ok(Hit { term, kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_and_the_escape_are_escaped() {
        assert_eq!(escape_like("50%off"), r"50\%off");
        assert_eq!(escape_like("a_b"), r"a\_b");
        assert_eq!(escape_like(r"c:\dir"), r"c:\\dir");
        assert_eq!(
            escape_like("'; DROP TABLE x; --"),
            "'; DROP TABLE x; --",
            "quotes need no escaping in a bound parameter"
        );
    }

    #[test]
    fn blank_and_overlong_text_is_invalid() {
        assert!(check_text("term", " ").is_err());
        assert!(check_text("term", &"é".repeat(MAX_TERM_CHARS)).is_ok());
        assert!(check_text("term", &"e".repeat(MAX_TERM_CHARS + 1)).is_err());
    }
}
