//! The places port on SQLite: places in `<dir>/places.sqlite3`, and an in-memory k-d tree over
//! unit vectors for exact nearest-place lookups that need no special case at the antimeridian
//! or the poles.
//!
//! The table is the truth. The tree is rebuilt from it when the store opens and after each
//! load; a generation counter in the database, bumped by every load, tells each lookup whether
//! another process loaded places since, in which case the tree is rebuilt first.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use async_trait::async_trait;
use ocean::places::{LoadSummary, NearbyPlace, Place, Places, check_coordinates};
use ocean::{Error, Result};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};

use crate::db::{Db, prepare};
use crate::error::{from_io, from_sqlite};

/// The default dataset (GeoNames cities15000, see `data/README.md`), gzip CSV.
const DEFAULT_DATASET_GZ: &[u8] = include_bytes!("../data/places-cities15000.csv.gz");

/// The places table, its region index, and the load generation counter.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS places (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    region TEXT NOT NULL,
    country TEXT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    population INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS places_by_region
    ON places (lower(country), lower(region), population);
CREATE TABLE IF NOT EXISTS places_generation (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 0),
    generation INTEGER NOT NULL
);
INSERT OR IGNORE INTO places_generation (singleton, generation) VALUES (0, 0);
";

/// The columns every place query selects, in [`place_from_row`]'s order.
const PLACE_COLUMNS: &str = "id, name, region, country, lat, lon, population";

/// Chord length (on the unit sphere) within which two candidates count as equally near
/// before their haversine distances and ids decide: a few micrometres on Earth, far above
/// floating-point noise.
const CHORD_TIE_EPSILON: f64 = 1e-9;

/// A generation no database holds: marks the tree as stale.
const STALE: i64 = -1;

/// How the places store opens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlacesOptions {
    /// Load [`EmbeddedPlaces::default_dataset`] when the store holds no place yet, so a fresh
    /// data directory resolves coordinates to cities with no set-up.
    pub load_default_dataset: bool,
}

/// The embedded places backend: SQLite for storage, an in-memory k-d tree for `nearest`.
#[derive(Debug)]
pub struct EmbeddedPlaces {
    db: Arc<Db>,
    index: Arc<RwLock<SpatialIndex>>,
}

impl EmbeddedPlaces {
    /// Opens (creating if needed) the places store in `dir`, loading the default dataset
    /// into an empty store when `options` say so, and builds the nearest-place index.
    /// Blocking (a first load takes a fraction of a second): call it before serving.
    pub fn open(dir: &Path, options: PlacesOptions) -> Result<EmbeddedPlaces> {
        std::fs::create_dir_all(dir).map_err(|e| from_io(e, "places data directory"))?;
        let path = dir.join("places.sqlite3");
        let db = Db::open(&path, SCHEMA)?;
        let mut connection = Connection::open(&path).map_err(from_sqlite)?;
        connection
            .busy_timeout(Duration::from_secs(10))
            .map_err(from_sqlite)?;
        if options.load_default_dataset {
            load_default_if_empty(&mut connection)?;
        }
        let index = SpatialIndex::read(&connection)?;
        Ok(EmbeddedPlaces {
            db,
            index: Arc::new(RwLock::new(index)),
        })
    }

    /// The default dataset: every GeoNames city of 15,000 inhabitants or more (about 34,000
    /// places, ids are GeoNames ids), embedded in the binary. Data from GeoNames
    /// (<https://www.geonames.org/>), CC BY 4.0.
    pub fn default_dataset() -> Result<Vec<Place>> {
        read_gzip_places(DEFAULT_DATASET_GZ)
    }
}

#[async_trait]
impl Places for EmbeddedPlaces {
    async fn nearest(
        &self,
        lat: f64,
        lon: f64,
        max_distance_km: Option<f64>,
    ) -> Result<Option<NearbyPlace>> {
        check_coordinates(lat, lon)?;
        if let Some(max) = max_distance_km
            && (max.is_nan() || max < 0.0)
        {
            return Err(Error::invalid(
                "max_distance_km",
                format!("{max} is not a distance"),
            ));
        }
        let index = Arc::clone(&self.index);
        self.db
            .read(move |conn| {
                let index = fresh_index(&index, conn)?;
                let Some(nearby) = index.nearest(lat, lon) else {
                    return Ok(None);
                };
                let within = max_distance_km.is_none_or(|max| nearby.distance_km <= max);
                Ok(within.then_some(nearby))
            })
            .await
    }

    async fn get(&self, id: &str) -> Result<Option<Place>> {
        let id = id.to_owned();
        self.db
            .read(move |conn| {
                let sql = format!("SELECT {PLACE_COLUMNS} FROM places WHERE id = ?1");
                let mut statement = prepare(conn, &sql).map_err(from_sqlite)?;
                statement
                    .query_row(params![id], place_from_row)
                    .optional()
                    .map_err(from_sqlite)
            })
            .await
    }

    async fn in_region(&self, country: &str, region: &str, limit: u32) -> Result<Vec<Place>> {
        let (country, region) = (country.to_owned(), region.to_owned());
        self.db
            .read(move |conn| {
                let sql = format!(
                    "SELECT {PLACE_COLUMNS} FROM places
                     WHERE lower(country) = lower(?1) AND lower(region) = lower(?2)
                     ORDER BY population IS NULL, population DESC, id
                     LIMIT ?3"
                );
                let mut statement = prepare(conn, &sql).map_err(from_sqlite)?;
                let rows = statement
                    .query_map(params![country, region, limit], place_from_row)
                    .map_err(from_sqlite)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(from_sqlite)
            })
            .await
    }

    async fn load(&self, places: Vec<Place>) -> Result<LoadSummary> {
        for place in &places {
            place.check()?;
            population_to_sql(place)?;
        }
        let loaded = places.len();
        if loaded == 0 {
            return Ok(LoadSummary { loaded });
        }
        let index = Arc::clone(&self.index);
        self.db
            .write(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(from_sqlite)?;
                let (before, after) = store_places(&tx, &places)?;
                tx.commit().map_err(from_sqlite)?;
                let mut index = write_lock(&index);
                if index.generation == before {
                    index.apply(places, after);
                } else {
                    // Another process loaded places too: rebuild from the table on next use.
                    index.generation = STALE;
                }
                Ok(LoadSummary { loaded })
            })
            .await
    }

    async fn count(&self) -> Result<u64> {
        self.db
            .read(|conn| {
                let mut statement =
                    prepare(conn, "SELECT count(*) FROM places").map_err(from_sqlite)?;
                statement
                    .query_row([], |row| row.get::<_, i64>(0))
                    .map(|n| u64::try_from(n).unwrap_or(0))
                    .map_err(from_sqlite)
            })
            .await
    }
}

/// Decodes a gzip places CSV (`id,name,region,country,lat,lon,population`).
fn read_gzip_places(gz: &[u8]) -> Result<Vec<Place>> {
    let mut csv = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut csv)
        .map_err(|e| Error::invalid("places_csv", format!("not a gzip file: {e}")))?;
    ocean::places::read_places_csv(csv.as_slice())
}

/// Loads the default dataset if the store has no place, in one transaction (a second
/// process opening the same empty directory at the same time waits, then finds it loaded).
fn load_default_if_empty(connection: &mut Connection) -> Result<()> {
    if has_places(connection)? {
        return Ok(());
    }
    let places = EmbeddedPlaces::default_dataset()?;
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(from_sqlite)?;
    if has_places(&tx)? {
        return Ok(());
    }
    store_places(&tx, &places)?;
    tx.commit().map_err(from_sqlite)?;
    tracing::info!(n_places = places.len(), "loaded the default places dataset");
    Ok(())
}

/// Whether the table holds any place.
fn has_places(conn: &Connection) -> Result<bool> {
    conn.query_row("SELECT EXISTS (SELECT 1 FROM places)", [], |row| row.get(0))
        .map_err(from_sqlite)
}

/// Upserts `places` and bumps the generation inside `tx`; returns the generation before and
/// after.
fn store_places(tx: &Transaction<'_>, places: &[Place]) -> Result<(i64, i64)> {
    let before = read_generation(tx)?;
    let mut upsert = prepare(
        tx,
        "INSERT INTO places (id, name, region, country, lat, lon, population)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET
                 name = excluded.name, region = excluded.region, country = excluded.country,
                 lat = excluded.lat, lon = excluded.lon, population = excluded.population",
    )
    .map_err(from_sqlite)?;
    for place in places {
        upsert
            .execute(params![
                place.id,
                place.name,
                place.region,
                place.country,
                place.lat,
                place.lon,
                population_to_sql(place)?,
            ])
            .map_err(from_sqlite)?;
    }
    let after = before + 1;
    tx.execute(
        "UPDATE places_generation SET generation = ?1 WHERE singleton = 0",
        params![after],
    )
    .map_err(from_sqlite)?;
    Ok((before, after))
}

/// The load generation stored in the database.
fn read_generation(conn: &Connection) -> Result<i64> {
    let mut statement = prepare(
        conn,
        "SELECT generation FROM places_generation WHERE singleton = 0",
    )
    .map_err(from_sqlite)?;
    statement
        .query_row([], |row| row.get(0))
        .map_err(from_sqlite)
}

/// A population as SQLite stores it (a signed 64-bit integer).
fn population_to_sql(place: &Place) -> Result<Option<i64>> {
    place
        .population
        .map(|population| {
            i64::try_from(population).map_err(|_| {
                Error::invalid(
                    "population",
                    format!("place {} has {population} inhabitants", place.id),
                )
            })
        })
        .transpose()
}

/// A place from a row selected with [`PLACE_COLUMNS`].
fn place_from_row(row: &Row<'_>) -> rusqlite::Result<Place> {
    let population: Option<i64> = row.get(6)?;
    Ok(Place {
        id: row.get(0)?,
        name: row.get(1)?,
        region: row.get(2)?,
        country: row.get(3)?,
        lat: row.get(4)?,
        lon: row.get(5)?,
        population: population.and_then(|n| u64::try_from(n).ok()),
    })
}

/// The index, rebuilt from the table first if another process loaded places since it was
/// built.
fn fresh_index<'a>(
    index: &'a RwLock<SpatialIndex>,
    conn: &Connection,
) -> Result<RwLockReadGuard<'a, SpatialIndex>> {
    let generation = read_generation(conn)?;
    {
        let current = read_lock(index);
        if current.generation == generation {
            return Ok(current);
        }
    }
    let mut current = write_lock(index);
    if current.generation != generation {
        *current = SpatialIndex::read(conn)?;
    }
    drop(current);
    Ok(read_lock(index))
}

/// Takes the read lock, ignoring poisoning (the index is replaced whole, never half-updated).
fn read_lock(index: &RwLock<SpatialIndex>) -> RwLockReadGuard<'_, SpatialIndex> {
    index.read().unwrap_or_else(|e| e.into_inner())
}

/// Takes the write lock, ignoring poisoning.
fn write_lock(index: &RwLock<SpatialIndex>) -> RwLockWriteGuard<'_, SpatialIndex> {
    index.write().unwrap_or_else(|e| e.into_inner())
}

/// Every place in memory, with a k-d tree over their positions.
#[derive(Debug, Default)]
struct SpatialIndex {
    /// The database generation this index reflects ([`STALE`]: rebuild before use).
    generation: i64,
    places: Vec<Place>,
    /// Position of each id in `places`.
    positions: HashMap<String, usize>,
    tree: KdTree,
}

impl SpatialIndex {
    /// Reads every place and the generation in one read transaction.
    fn read(conn: &Connection) -> Result<SpatialIndex> {
        let tx = conn.unchecked_transaction().map_err(from_sqlite)?;
        let generation = read_generation(&tx)?;
        let places = {
            let sql = format!("SELECT {PLACE_COLUMNS} FROM places");
            let mut statement = tx.prepare(&sql).map_err(from_sqlite)?;
            let rows = statement
                .query_map([], place_from_row)
                .map_err(from_sqlite)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .map_err(from_sqlite)?
        };
        tx.commit().map_err(from_sqlite)?;
        let mut index = SpatialIndex {
            generation,
            ..SpatialIndex::default()
        };
        index.apply(places, generation);
        Ok(index)
    }

    /// Adds or replaces `places` (later ones win) and rebuilds the tree.
    fn apply(&mut self, places: Vec<Place>, generation: i64) {
        for place in places {
            match self.positions.get(&place.id) {
                Some(&position) => self.places[position] = place,
                None => {
                    self.positions.insert(place.id.clone(), self.places.len());
                    self.places.push(place);
                }
            }
        }
        self.tree = KdTree::build(&self.places);
        self.generation = generation;
    }

    /// The nearest place by haversine distance, ties to the smaller id.
    fn nearest(&self, lat: f64, lon: f64) -> Option<NearbyPlace> {
        let query = unit_vector(lat, lon);
        let (best_chord2, _) = self.tree.nearest(query)?;
        let radius = best_chord2.sqrt() + CHORD_TIE_EPSILON;
        let mut candidates = Vec::new();
        self.tree.within(query, radius * radius, &mut candidates);
        candidates
            .into_iter()
            .map(|position| {
                let place = &self.places[position];
                (place.distance_km(lat, lon), place)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)))
            .map(|(distance_km, place)| NearbyPlace {
                place: place.clone(),
                distance_km,
            })
    }
}

/// A point on the unit sphere: straight-line (chord) distance between two of them grows with
/// their great-circle distance, so the nearest by chord is the nearest on Earth.
fn unit_vector(lat: f64, lon: f64) -> [f64; 3] {
    let (lat, lon) = (lat.to_radians(), lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// Squared straight-line distance.
fn chord2(a: [f64; 3], b: [f64; 3]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
}

/// A point of the tree and the position of its place.
#[derive(Debug, Clone, Copy)]
struct KdNode {
    point: [f64; 3],
    place: usize,
}

/// An implicit k-d tree: each slice's middle node splits the rest on one axis (x, y, z in
/// turn by depth), smaller values before it, larger after.
#[derive(Debug, Default)]
struct KdTree {
    nodes: Vec<KdNode>,
}

impl KdTree {
    /// Builds the tree over `places` (in O(n log n)).
    fn build(places: &[Place]) -> KdTree {
        let mut nodes: Vec<KdNode> = places
            .iter()
            .enumerate()
            .map(|(place, p)| KdNode {
                point: unit_vector(p.lat, p.lon),
                place,
            })
            .collect();
        split(&mut nodes, 0);
        KdTree { nodes }
    }

    /// The squared chord to the nearest point and its place's position.
    fn nearest(&self, query: [f64; 3]) -> Option<(f64, usize)> {
        let mut best = (f64::INFINITY, None);
        nearest_in(&self.nodes, 0, query, &mut best);
        best.1.map(|place| (best.0, place))
    }

    /// Pushes the place positions of every point within `radius2` (squared chord) of `query`.
    fn within(&self, query: [f64; 3], radius2: f64, found: &mut Vec<usize>) {
        within_in(&self.nodes, 0, query, radius2, found);
    }
}

/// Arranges `nodes` as a k-d subtree splitting on `axis`.
fn split(nodes: &mut [KdNode], axis: usize) {
    if nodes.len() <= 1 {
        return;
    }
    let middle = nodes.len() / 2;
    nodes.select_nth_unstable_by(middle, |a, b| a.point[axis].total_cmp(&b.point[axis]));
    let (before, rest) = nodes.split_at_mut(middle);
    let next_axis = (axis + 1) % 3;
    split(before, next_axis);
    split(&mut rest[1..], next_axis);
}

/// Nearest-neighbour descent: the query's side first, the other side only if the splitting
/// plane is closer than the best point so far.
fn nearest_in(nodes: &[KdNode], axis: usize, query: [f64; 3], best: &mut (f64, Option<usize>)) {
    if nodes.is_empty() {
        return;
    }
    let middle = nodes.len() / 2;
    let node = nodes[middle];
    let distance2 = chord2(node.point, query);
    if distance2 < best.0 {
        *best = (distance2, Some(node.place));
    }
    let offset = query[axis] - node.point[axis];
    let (near, far) = if offset < 0.0 {
        (&nodes[..middle], &nodes[middle + 1..])
    } else {
        (&nodes[middle + 1..], &nodes[..middle])
    };
    let next_axis = (axis + 1) % 3;
    nearest_in(near, next_axis, query, best);
    if offset * offset <= best.0 {
        nearest_in(far, next_axis, query, best);
    }
}

/// Collects every point within `radius2` of `query`, skipping subtrees beyond it.
fn within_in(nodes: &[KdNode], axis: usize, query: [f64; 3], radius2: f64, found: &mut Vec<usize>) {
    if nodes.is_empty() {
        return;
    }
    let middle = nodes.len() / 2;
    let node = nodes[middle];
    if chord2(node.point, query) <= radius2 {
        found.push(node.place);
    }
    let offset = query[axis] - node.point[axis];
    let next_axis = (axis + 1) % 3;
    if offset <= 0.0 || offset * offset <= radius2 {
        within_in(&nodes[..middle], next_axis, query, radius2, found);
    }
    if offset >= 0.0 || offset * offset <= radius2 {
        within_in(&nodes[middle + 1..], next_axis, query, radius2, found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(id: &str, lat: f64, lon: f64) -> Place {
        Place {
            id: id.to_owned(),
            name: id.to_owned(),
            region: "r".to_owned(),
            country: "zz".to_owned(),
            lat,
            lon,
            population: None,
        }
    }

    /// The nearest place by brute force, ties to the smaller id.
    fn brute_force(places: &[Place], lat: f64, lon: f64) -> (String, f64) {
        places
            .iter()
            .map(|p| (p.id.clone(), p.distance_km(lat, lon)))
            .min_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)))
            .unwrap()
    }

    #[test]
    fn the_tree_agrees_with_brute_force() {
        // A deterministic scatter of places and queries over the whole sphere.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            f64::from(u32::try_from(state >> 32).unwrap()) / f64::from(u32::MAX)
        };
        let places: Vec<Place> = (0..2_000)
            .map(|n| {
                place(
                    &format!("p{n:04}"),
                    next() * 180.0 - 90.0,
                    next() * 360.0 - 180.0,
                )
            })
            .collect();
        let mut index = SpatialIndex::default();
        index.apply(places.clone(), 1);
        for _ in 0..500 {
            let (lat, lon) = (next() * 180.0 - 90.0, next() * 360.0 - 180.0);
            let found = index.nearest(lat, lon).unwrap();
            let (id, km) = brute_force(&places, lat, lon);
            assert_eq!(found.place.id, id, "nearest to ({lat}, {lon})");
            assert!((found.distance_km - km).abs() < 1e-9);
        }
    }

    #[test]
    fn ties_go_to_the_smaller_id_and_the_antimeridian_wraps() {
        let mut index = SpatialIndex::default();
        index.apply(
            vec![
                place("b", 10.0, 179.99),
                place("a", 10.0, 179.99),
                place("c", 10.0, -179.9),
            ],
            1,
        );
        let found = index.nearest(10.0, -179.99).unwrap();
        assert_eq!(found.place.id, "a");
        assert!(
            (found.distance_km - 2.19).abs() < 0.01,
            "{}",
            found.distance_km
        );
    }

    #[test]
    fn an_empty_index_finds_nothing() {
        assert!(SpatialIndex::default().nearest(0.0, 0.0).is_none());
    }

    #[test]
    fn replacing_a_place_moves_it() {
        let mut index = SpatialIndex::default();
        index.apply(vec![place("a", 0.0, 0.0), place("b", 50.0, 50.0)], 1);
        index.apply(vec![place("a", 51.0, 51.0)], 2);
        assert_eq!(index.places.len(), 2);
        assert_eq!(index.nearest(0.0, 0.0).unwrap().place.id, "b");
        assert_eq!(index.nearest(51.0, 51.0).unwrap().place.id, "a");
    }

    #[test]
    fn the_default_dataset_decodes() {
        let places = EmbeddedPlaces::default_dataset().unwrap();
        assert!(places.len() > 30_000, "{}", places.len());
    }
}
