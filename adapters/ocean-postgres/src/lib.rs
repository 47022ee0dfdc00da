//! ocean's places and search ports on PostgreSQL, for deployments that outgrow one machine
//! (RDS PostgreSQL in production).
//!
//! - [`PostgresPlaces`]: places in a table with a PostGIS `geography(Point, 4326)` column
//!   under a GiST index; the nearest place is a KNN index search (`ORDER BY geog <-> point`),
//!   correct across the antimeridian and at the poles. Distances, the distance bound and ties
//!   use the port's great-circle formula. Loads upsert in chunks of `unnest`ed arrays inside
//!   one transaction (tens of thousands of places in about a second).
//! - [`PostgresSearch`]: terms per namespace under a GIN trigram index (pg_trgm with
//!   btree_gin), ranked exact > prefix > contained > similar in SQL.
//!
//! Each port connects on its own (`connect(url)`, the `places.url` and `search.url`
//! settings), keeps a small pool (deadpool, [`ConnectOptions`]), and applies its own
//! migrations from `migrations/` (embedded) when it connects: in one transaction, under an
//! advisory lock, recorded in `ocean_migrations`, so concurrent starts apply each once.
//! `connect_or_defer` serves even when the server is down at start: calls fail with
//! `Unavailable`, within the pool's timeout, until it answers, and the first call that
//! reaches it migrates. Errors name the component (`postgresql places`, `postgresql
//! search`), so an outage says which database is down. Every query is a prepared statement
//! with bound parameters.
//!
//! Tested against PostgreSQL 15 with PostGIS 3.3 (Debian's `postgresql-15-postgis-3`) and
//! contrib's pg_trgm and btree_gin. Limits: a server without PostGIS makes
//! [`PostgresPlaces::connect`] fail with `Unsupported` (search needs only contrib); text
//! with NUL characters cannot be stored (such terms and places are `Invalid`); connections
//! are unencrypted (`NoTls`), so a server that requires TLS (RDS with `rds.force_ssl`)
//! needs a TLS connector added first. Errors map to port kinds in one place
//! (`src/error.rs`).

mod db;
mod error;
pub mod places;
pub mod search;

pub use db::ConnectOptions;
pub use places::PostgresPlaces;
pub use search::PostgresSearch;
