-- The search port: terms per namespace, keyed by their lowercase form (lowercased by the
-- adapter with Rust's str::to_lowercase, so case folding matches every other backend), the
-- spelling last indexed for display, and a trigram index (namespace + lowered) serving
-- substring LIKE and similarity searches.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE TABLE ocean_search_terms (
    namespace text NOT NULL,
    lowered text COLLATE "C" NOT NULL,
    display text NOT NULL,
    PRIMARY KEY (namespace, lowered)
);

CREATE INDEX ocean_search_terms_trigrams
    ON ocean_search_terms USING gin (namespace, lowered gin_trgm_ops);
