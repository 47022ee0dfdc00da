//! The places port: named cities with coordinates, the nearest one to a point, and the
//! dataset formats places are loaded from.

use std::fmt;
use std::io::Read;

use async_trait::async_trait;

use crate::error::{Error, Result};

/// A named place (a city) from a places dataset.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Place {
    /// Stable id within its dataset (a GeoNames id, or the first generation's UUID).
    pub id: String,
    /// Display name, accents kept (`Los Angeles`).
    pub name: String,
    /// Region code within the country (`CA`).
    pub region: String,
    /// ISO 3166-1 alpha-2 country code, lowercase (`us`).
    pub country: String,
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
    /// Inhabitants, when the dataset says.
    pub population: Option<u64>,
}

impl Place {
    /// Refuses an empty id or name, or coordinates out of range.
    pub fn check(&self) -> Result<()> {
        if self.id.is_empty() || self.id.len() > 64 {
            return Err(Error::invalid(
                "id",
                format!("{:?}: 1 to 64 bytes", self.id),
            ));
        }
        if self.name.trim().is_empty() {
            return Err(Error::invalid(
                "name",
                format!("place {} has no name", self.id),
            ));
        }
        check_coordinates(self.lat, self.lon)
    }

    /// Great-circle distance to a point in kilometres (haversine, mean Earth radius).
    pub fn distance_km(&self, lat: f64, lon: f64) -> f64 {
        great_circle_km((self.lat, self.lon), (lat, lon))
    }
}

/// Mean Earth radius used for distances, in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance between two `(lat, lon)` points in degrees, in kilometres.
pub fn great_circle_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat_a, lat_b) = (a.0.to_radians(), b.0.to_radians());
    let half_dlat = (lat_b - lat_a) / 2.0;
    let half_dlon = (b.1 - a.1).to_radians() / 2.0;
    let h = half_dlat.sin().powi(2) + lat_a.cos() * lat_b.cos() * half_dlon.sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Refuses a latitude outside [-90, 90] or a longitude outside [-180, 180] (or not finite).
pub fn check_coordinates(lat: f64, lon: f64) -> Result<()> {
    if !(-90.0..=90.0).contains(&lat) {
        return Err(Error::invalid("lat", format!("{lat} is not in [-90, 90]")));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(Error::invalid(
            "lon",
            format!("{lon} is not in [-180, 180]"),
        ));
    }
    Ok(())
}

/// What a dataset load did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoadSummary {
    /// Places stored (new or replaced).
    pub loaded: usize,
}

/// A place and how far it is from the point asked about.
#[derive(Debug, Clone, PartialEq)]
pub struct NearbyPlace {
    /// The place.
    pub place: Place,
    /// Great-circle distance in kilometres.
    pub distance_km: f64,
}

/// Places by id, by region and by proximity.
///
/// Loading is idempotent (a place with a known id is replaced) and each place is written
/// atomically; lookups see a load's places once it returns.
#[async_trait]
pub trait Places: Send + Sync + fmt::Debug + 'static {
    /// The place nearest to `(lat, lon)` by great-circle distance, if any lies within
    /// `max_distance_km` (`None`: any distance). Ties go to the smaller id.
    /// [`Error::Invalid`] for coordinates out of range.
    async fn nearest(
        &self,
        lat: f64,
        lon: f64,
        max_distance_km: Option<f64>,
    ) -> Result<Option<NearbyPlace>>;

    /// The place with `id`, or `None`.
    async fn get(&self, id: &str) -> Result<Option<Place>>;

    /// Places of `region` in `country` (codes compared case-insensitively), most populous
    /// first (then by id), at most `limit`.
    async fn in_region(&self, country: &str, region: &str, limit: u32) -> Result<Vec<Place>>;

    /// Stores `places` (each checked; a bad one fails the load with [`Error::Invalid`]
    /// before anything is stored), replacing places with the same ids.
    async fn load(&self, places: Vec<Place>) -> Result<LoadSummary>;

    /// How many places are stored.
    async fn count(&self) -> Result<u64>;
}

/// Reads the first generation's places CSV
/// (`INCLUDE,Country,City,AccentCity,Region,Population,Latitude,Longitude,uuid,notes`),
/// keeping the rows whose `INCLUDE` is `t`. Errors name the line.
pub fn read_first_generation_csv(reader: impl Read) -> Result<Vec<Place>> {
    #[derive(serde::Deserialize)]
    struct Row {
        #[serde(rename = "INCLUDE")]
        include: String,
        #[serde(rename = "Country")]
        country: String,
        #[serde(rename = "AccentCity")]
        accent_city: String,
        #[serde(rename = "Region")]
        region: String,
        #[serde(rename = "Population")]
        population: Option<u64>,
        #[serde(rename = "Latitude")]
        latitude: f64,
        #[serde(rename = "Longitude")]
        longitude: f64,
        uuid: String,
    }
    let mut places = Vec::new();
    for (n, row) in csv::Reader::from_reader(reader)
        .deserialize::<Row>()
        .enumerate()
    {
        let line = n + 2;
        let row = row.map_err(|e| Error::invalid("places_csv", format!("line {line}: {e}")))?;
        if row.include.trim() != "t" {
            continue;
        }
        let place = Place {
            id: row.uuid,
            name: row.accent_city,
            region: row.region,
            country: row.country.to_ascii_lowercase(),
            lat: row.latitude,
            lon: row.longitude,
            population: row.population,
        };
        place
            .check()
            .map_err(|e| Error::invalid("places_csv", format!("line {line}: {e}")))?;
        places.push(place);
    }
    Ok(places)
}

/// Reads the places CSV this project ships (`id,name,region,country,lat,lon,population`,
/// with a header; population may be empty). Errors name the line.
pub fn read_places_csv(reader: impl Read) -> Result<Vec<Place>> {
    let mut places = Vec::new();
    for (n, row) in csv::Reader::from_reader(reader)
        .deserialize::<Place>()
        .enumerate()
    {
        let line = n + 2;
        let mut place =
            row.map_err(|e| Error::invalid("places_csv", format!("line {line}: {e}")))?;
        place.country.make_ascii_lowercase();
        place
            .check()
            .map_err(|e| Error::invalid("places_csv", format!("line {line}: {e}")))?;
        places.push(place);
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_generation_rows_marked_t_are_kept() {
        let csv = "INCLUDE,Country,City,AccentCity,Region,Population,Latitude,Longitude,uuid,notes\n\
                   t,us,anchorage,Anchorage,AK,276263,61.2180556,-149.9002778,67f21dcf,only AK\n\
                   ,us,mesa,Mesa,AZ,449878,33.4222222,-111.8219444,67f21f68,\n";
        let places = read_first_generation_csv(csv.as_bytes()).unwrap();
        assert_eq!(places.len(), 1);
        assert_eq!(places[0].name, "Anchorage");
        assert_eq!(places[0].region, "AK");
        assert_eq!(places[0].population, Some(276_263));
    }

    #[test]
    fn a_bad_row_names_its_line() {
        let csv = "INCLUDE,Country,City,AccentCity,Region,Population,Latitude,Longitude,uuid,notes\n\
                   t,us,x,X,AK,1,95.0,0.0,id1,\n";
        let error = read_first_generation_csv(csv.as_bytes()).unwrap_err();
        assert!(error.to_string().contains("line 2"), "{error}");
    }

    #[test]
    fn distances_follow_the_great_circle() {
        // Los Angeles to New York is about 3936 km.
        let km = great_circle_km((34.0522, -118.2437), (40.7128, -74.0060));
        assert!((km - 3936.0).abs() < 5.0, "{km}");
    }
}
