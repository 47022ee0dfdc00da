//! The places port on PostgreSQL with PostGIS: places in `ocean_places`, each with a
//! `geography(Point, 4326)` column under a GiST index, so the nearest place is an index
//! (KNN) search that needs no special case at the antimeridian or the poles.
//!
//! PostGIS orders candidates by its spherical distance; the distance reported, the
//! `max_distance_km` bound and ties are decided here with the port's own great-circle
//! formula ([`great_circle_km`]), over every place within a metre of the closest one, so
//! results agree with every other backend to the bit.

use std::collections::BTreeMap;

use async_trait::async_trait;
use ocean::places::{LoadSummary, NearbyPlace, Place, Places, check_coordinates, great_circle_km};
use ocean::{Error, Result};
use tokio_postgres::Row;

use crate::db::{Component, ConnectOptions, Database};
use crate::error::{backend, from_postgres};

/// Places upserted per statement by [`Places::load`] (seven arrays of this many values).
const LOAD_CHUNK: usize = 5_000;

/// Distance (km) within which two candidates count as equally near, so the smaller id
/// wins: a micrometre, far above floating-point noise.
const TIE_EPSILON_KM: f64 = 1e-9;

/// The place with `id`.
const GET: &str = "SELECT id, name, region, country, lat, lon, population
    FROM ocean_places WHERE id = $1";

/// Every place within a metre (plus a millionth, for rounding) of the place closest to
/// `($1 lat, $2 lon)` on PostGIS's sphere: the KNN sub-select finds the closest through the
/// GiST index, the outer `ST_DWithin` (also indexed) collects its near-ties.
const NEAREST: &str = "SELECT id, name, region, country, lat, lon, population
    FROM ocean_places
    WHERE ST_DWithin(
        geog,
        ST_SetSRID(ST_MakePoint($2, $1), 4326)::geography,
        (SELECT geog <-> ST_SetSRID(ST_MakePoint($2, $1), 4326)::geography
            FROM ocean_places
            ORDER BY geog <-> ST_SetSRID(ST_MakePoint($2, $1), 4326)::geography
            LIMIT 1) * (1 + 1e-6) + 1.0,
        false)";

/// A region's places, most populous first, then by id, unknown populations last.
const IN_REGION: &str = "SELECT id, name, region, country, lat, lon, population
    FROM ocean_places
    WHERE lower(country) = lower($1) AND lower(region) = lower($2)
    ORDER BY lower(country), lower(region), population DESC NULLS LAST, id
    LIMIT $3";

/// Upserts one chunk of places passed as seven parallel arrays.
const UPSERT: &str = "INSERT INTO ocean_places (id, name, region, country, lat, lon, population)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                         $5::float8[], $6::float8[], $7::int8[])
    ON CONFLICT (id) DO UPDATE SET
        name = EXCLUDED.name, region = EXCLUDED.region, country = EXCLUDED.country,
        lat = EXCLUDED.lat, lon = EXCLUDED.lon, population = EXCLUDED.population";

/// How many places are stored.
const COUNT: &str = "SELECT count(*) FROM ocean_places";

/// The places port on PostgreSQL + PostGIS, over a small connection pool.
#[derive(Debug, Clone)]
pub struct PostgresPlaces {
    database: Database,
}

impl PostgresPlaces {
    /// Connects to the database at `url` (`postgres://user:password@host:port/dbname`) with
    /// [`ConnectOptions::default`] and creates the places table if missing (installing the
    /// PostGIS extension, which takes a superuser or RDS's `rds_superuser`). `Unsupported`
    /// when the server has no PostGIS to install, `Unavailable` when it cannot be reached.
    pub async fn connect(url: &str) -> Result<PostgresPlaces> {
        PostgresPlaces::connect_with(url, ConnectOptions::default()).await
    }

    /// [`PostgresPlaces::connect`] with a pool sized and timed by `options`.
    pub async fn connect_with(url: &str, options: ConnectOptions) -> Result<PostgresPlaces> {
        let database = Database::connect(url, options, Component::Places).await?;
        Ok(PostgresPlaces { database })
    }

    /// [`PostgresPlaces::connect_with`] for a host that must start while PostgreSQL is down: a
    /// server that cannot be reached now is logged, not an error. The port's calls then fail
    /// with `Unavailable` (fast when the connection is refused, else after `options.timeout`)
    /// until the server answers; the first call that reaches it applies the migrations. A
    /// malformed URL and permanent failures (bad credentials, a missing database or
    /// extension) still fail here.
    pub async fn connect_or_defer(url: &str, options: ConnectOptions) -> Result<PostgresPlaces> {
        let database = Database::connect_or_defer(url, options, Component::Places).await?;
        Ok(PostgresPlaces { database })
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

    /// Upserts `places` (one row per id) in chunks inside one transaction.
    async fn upsert(&self, places: &[Place]) -> Result<()> {
        let mut client = self.database.client().await?;
        let tx = client.transaction().await.map_err(from_postgres)?;
        let statement = tx.prepare_cached(UPSERT).await.map_err(from_postgres)?;
        for chunk in places.chunks(LOAD_CHUNK) {
            let ids: Vec<&str> = chunk.iter().map(|p| p.id.as_str()).collect();
            let names: Vec<&str> = chunk.iter().map(|p| p.name.as_str()).collect();
            let regions: Vec<&str> = chunk.iter().map(|p| p.region.as_str()).collect();
            let countries: Vec<&str> = chunk.iter().map(|p| p.country.as_str()).collect();
            let lats: Vec<f64> = chunk.iter().map(|p| p.lat).collect();
            let lons: Vec<f64> = chunk.iter().map(|p| p.lon).collect();
            let populations = chunk
                .iter()
                .map(population_to_sql)
                .collect::<Result<Vec<_>>>()?;
            tx.execute(
                &statement,
                &[
                    &ids,
                    &names,
                    &regions,
                    &countries,
                    &lats,
                    &lons,
                    &populations,
                ],
            )
            .await
            .map_err(from_postgres)?;
        }
        tx.commit().await.map_err(from_postgres)
    }
}

#[async_trait]
impl Places for PostgresPlaces {
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
        let rows = self.query(NEAREST, &[&lat, &lon]).await?;
        let mut candidates = Vec::with_capacity(rows.len());
        for row in &rows {
            let place = place_from_row(row)?;
            let distance_km = great_circle_km((lat, lon), (place.lat, place.lon));
            candidates.push(NearbyPlace { place, distance_km });
        }
        let nearest = closest(candidates);
        Ok(nearest.filter(|nearby| max_distance_km.is_none_or(|max| nearby.distance_km <= max)))
    }

    async fn get(&self, id: &str) -> Result<Option<Place>> {
        if id.contains('\0') {
            // PostgreSQL text cannot hold NUL, so no stored place has this id.
            return Ok(None);
        }
        let rows = self.query(GET, &[&id]).await?;
        rows.first().map(place_from_row).transpose()
    }

    async fn in_region(&self, country: &str, region: &str, limit: u32) -> Result<Vec<Place>> {
        if country.contains('\0') || region.contains('\0') {
            return Ok(Vec::new());
        }
        let rows = self
            .query(IN_REGION, &[&country, &region, &i64::from(limit)])
            .await?;
        rows.iter().map(place_from_row).collect()
    }

    async fn load(&self, places: Vec<Place>) -> Result<LoadSummary> {
        for place in &places {
            check_storable(place)?;
        }
        let loaded = places.len();
        if loaded == 0 {
            return Ok(LoadSummary { loaded });
        }
        // One row per id (the last one given wins, as if loaded one by one), in id order so
        // concurrent loads lock rows in the same order.
        let latest: BTreeMap<String, Place> = places
            .into_iter()
            .map(|place| (place.id.clone(), place))
            .collect();
        let latest: Vec<Place> = latest.into_values().collect();
        self.upsert(&latest)
            .await
            .map_err(|error| self.database.attribute(error))?;
        Ok(LoadSummary { loaded })
    }

    async fn count(&self) -> Result<u64> {
        let rows = self.query(COUNT, &[]).await?;
        let row = rows
            .first()
            .ok_or_else(|| backend("count(*) returned no row"))?;
        let count: i64 = row.try_get(0).map_err(from_postgres)?;
        u64::try_from(count).map_err(backend)
    }
}

/// The nearest candidate: the least great-circle distance, ties (within
/// [`TIE_EPSILON_KM`]) to the smaller id.
fn closest(candidates: Vec<NearbyPlace>) -> Option<NearbyPlace> {
    let least_km = candidates
        .iter()
        .map(|nearby| nearby.distance_km)
        .min_by(f64::total_cmp)?;
    candidates
        .into_iter()
        .filter(|nearby| nearby.distance_km <= least_km + TIE_EPSILON_KM)
        .min_by(|a, b| a.place.id.cmp(&b.place.id))
}

/// [`Place::check`], plus what PostgreSQL cannot store: NUL characters in text and
/// populations beyond `bigint`.
fn check_storable(place: &Place) -> Result<()> {
    place.check()?;
    let fields = [
        ("id", &place.id),
        ("name", &place.name),
        ("region", &place.region),
        ("country", &place.country),
    ];
    for (field, text) in fields {
        if text.contains('\0') {
            return Err(Error::invalid(
                field,
                format!(
                    "place {:?}: PostgreSQL text cannot hold NUL characters",
                    place.id
                ),
            ));
        }
    }
    population_to_sql(place).map(drop)
}

/// A population as PostgreSQL stores it (`bigint`).
fn population_to_sql(place: &Place) -> Result<Option<i64>> {
    place
        .population
        .map(|population| {
            i64::try_from(population).map_err(|_| {
                Error::invalid(
                    "population",
                    format!("place {}: {population} is too large", place.id),
                )
            })
        })
        .transpose()
}

/// A place from a row of `id, name, region, country, lat, lon, population`.
fn place_from_row(row: &Row) -> Result<Place> {
    let population: Option<i64> = row.try_get(6).map_err(from_postgres)?;
    Ok(Place {
        id: row.try_get(0).map_err(from_postgres)?,
        name: row.try_get(1).map_err(from_postgres)?,
        region: row.try_get(2).map_err(from_postgres)?,
        country: row.try_get(3).map_err(from_postgres)?,
        lat: row.try_get(4).map_err(from_postgres)?,
        lon: row.try_get(5).map_err(from_postgres)?,
        population: population.map(u64::try_from).transpose().map_err(backend)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nearby(id: &str, distance_km: f64) -> NearbyPlace {
        NearbyPlace {
            place: Place {
                id: id.to_owned(),
                name: id.to_owned(),
                region: "r".to_owned(),
                country: "zz".to_owned(),
                lat: 0.0,
                lon: 0.0,
                population: None,
            },
            distance_km,
        }
    }

    #[test]
    fn the_closest_wins_and_ties_go_to_the_smaller_id() {
        let got = closest(vec![nearby("b", 2.0), nearby("c", 1.0), nearby("a", 3.0)]);
        assert_eq!(got.map(|n| n.place.id), Some("c".to_owned()));
        let got = closest(vec![nearby("b", 1.0), nearby("a", 1.0 + 1e-12)]);
        assert_eq!(got.map(|n| n.place.id), Some("a".to_owned()));
        assert!(closest(Vec::new()).is_none());
    }

    #[test]
    fn nul_characters_and_huge_populations_are_invalid() {
        let mut place = nearby("a", 0.0).place;
        place.name = "nul\0name".to_owned();
        assert_eq!(
            check_storable(&place).unwrap_err().kind(),
            ocean::ErrorKind::Invalid
        );
        let mut place = nearby("a", 0.0).place;
        place.population = Some(u64::MAX);
        assert_eq!(
            check_storable(&place).unwrap_err().kind(),
            ocean::ErrorKind::Invalid
        );
    }
}
