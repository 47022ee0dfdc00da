//! `Coordinates`: a latitude and longitude within range, from `lat,lon` text or from the
//! first generation's `Geo-Position` header.

use std::fmt;

use crate::error::Error;

/// A point on Earth in degrees: latitude in [-90, 90], longitude in [-180, 180].
///
/// ```
/// use tourney_core::Coordinates;
///
/// let la = Coordinates::parse_geo_position("34.0522;-118.2437;71.0 hdn=90.0 spd=0.0")?;
/// assert_eq!((la.lat(), la.lon()), (34.0522, -118.2437));
/// assert!(Coordinates::new(91.0, 0.0).is_err());
/// # Ok::<(), tourney_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinates {
    lat: f64,
    lon: f64,
}

impl Coordinates {
    /// Accepted latitudes.
    pub const LAT_BOUNDS: (f64, f64) = (-90.0, 90.0);
    /// Accepted longitudes.
    pub const LON_BOUNDS: (f64, f64) = (-180.0, 180.0);

    /// A point from degrees, refused when either is not finite or out of range.
    pub fn new(lat: f64, lon: f64) -> Result<Self, Error> {
        Ok(Self {
            lat: check_degrees("lat", lat, Self::LAT_BOUNDS)?,
            lon: check_degrees("lon", lon, Self::LON_BOUNDS)?,
        })
    }

    /// Parses `"<lat>,<lon>"` (white space around either number allowed).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let Some((lat_text, lon_text)) = text.split_once(',') else {
            return Err(Error::CoordinateOutOfRange {
                field: "lat",
                value: text.to_owned(),
                min: Self::LAT_BOUNDS.0,
                max: Self::LAT_BOUNDS.1,
            });
        };
        Self::from_texts(lat_text, lon_text)
    }

    /// Parses the first generation's `Geo-Position` header,
    /// `"<lat>;<lon>;<alt> hdn=<heading> spd=<speed>"`: only latitude and longitude are kept;
    /// altitude, heading and speed may be anything (clients sent `-1` or nothing).
    pub fn parse_geo_position(text: &str) -> Result<Self, Error> {
        let malformed = || Error::MalformedGeoPosition {
            value: text.to_owned(),
        };
        let position = text.split_whitespace().next().ok_or_else(malformed)?;
        let mut parts = position.split(';');
        let (Some(lat_text), Some(lon_text)) = (parts.next(), parts.next()) else {
            return Err(malformed());
        };
        Self::from_texts(lat_text, lon_text)
    }

    /// Latitude in degrees.
    pub fn lat(self) -> f64 {
        self.lat
    }

    /// Longitude in degrees.
    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Great-circle distance in kilometres (haversine, mean Earth radius 6371.0088 km),
    /// for resolving a point to its nearest place.
    pub fn distance_km(self, other: Coordinates) -> f64 {
        const EARTH_RADIUS_KM: f64 = 6371.0088;
        let (lat_a, lat_b) = (self.lat.to_radians(), other.lat.to_radians());
        let d_lat = lat_b - lat_a;
        let d_lon = (other.lon - self.lon).to_radians();
        let h =
            (d_lat / 2.0).sin().powi(2) + lat_a.cos() * lat_b.cos() * (d_lon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
    }

    fn from_texts(lat_text: &str, lon_text: &str) -> Result<Self, Error> {
        let lat = parse_degrees("lat", lat_text, Self::LAT_BOUNDS)?;
        let lon = parse_degrees("lon", lon_text, Self::LON_BOUNDS)?;
        Self::new(lat, lon)
    }
}

impl fmt::Display for Coordinates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{}", self.lat, self.lon)
    }
}

fn parse_degrees(field: &'static str, text: &str, bounds: (f64, f64)) -> Result<f64, Error> {
    text.trim()
        .parse::<f64>()
        .map_err(|_| Error::CoordinateOutOfRange {
            field,
            value: text.to_owned(),
            min: bounds.0,
            max: bounds.1,
        })
}

fn check_degrees(field: &'static str, value: f64, bounds: (f64, f64)) -> Result<f64, Error> {
    if !value.is_finite() || value < bounds.0 || value > bounds.1 {
        return Err(Error::CoordinateOutOfRange {
            field,
            value: value.to_string(),
            min: bounds.0,
            max: bounds.1,
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geo_position_headers_parse_like_the_first_generation() {
        let cases = [
            (
                "34.05;-118.24;71.0 hdn=90.0 spd=0.0",
                Some((34.05, -118.24)),
            ),
            ("34.05;-118.24;-1 hdn=-1 spd=-1", Some((34.05, -118.24))),
            ("34.05;-118.24", Some((34.05, -118.24))),
            ("-90;180;0", Some((-90.0, 180.0))),
            ("91;0;0 hdn=0 spd=0", None),
            ("0;181;0", None),
            ("34.05 -118.24", None),
            ("", None),
            ("NaN;0;0", None),
            ("inf;0;0", None),
        ];
        for (text, expected) in cases {
            let parsed = Coordinates::parse_geo_position(text)
                .ok()
                .map(|c| (c.lat(), c.lon()));
            assert_eq!(parsed, expected, "{text:?}");
        }
    }

    #[test]
    fn comma_pairs_parse_with_ranges_checked() {
        let cases = [
            ("34.05,-118.24", true),
            (" 34.05 , -118.24 ", true),
            ("34.05", false),
            ("x,1", false),
            ("-90.0001,0", false),
        ];
        for (text, accepted) in cases {
            assert_eq!(Coordinates::parse(text).is_ok(), accepted, "{text:?}");
        }
    }

    #[test]
    fn distances_match_known_city_pairs() {
        let los_angeles = Coordinates::new(34.0522, -118.2437).unwrap();
        let new_york = Coordinates::new(40.7128, -74.0060).unwrap();
        let km = los_angeles.distance_km(new_york);
        assert!((km - 3936.0).abs() < 10.0, "{km}");
        assert!(los_angeles.distance_km(los_angeles).abs() < 1e-9);
    }
}
