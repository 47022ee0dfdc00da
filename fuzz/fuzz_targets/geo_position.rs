//! Fuzz target: locations as clients send them: the first generation's `Geo-Position`
//! header (`lat;lon;alt hdn=.. spd=..`), `lat,lon` text, and the JSON forms the API takes
//! (`dto::parse_location`). Whatever is accepted is a finite point within range.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tourney_core::Coordinates;
use tourney_server::dto::parse_location;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(point) = Coordinates::parse_geo_position(&text) {
        check_point(point);
    }
    if let Ok(point) = Coordinates::parse(&text) {
        check_point(point);
        let again = Coordinates::parse(&point.to_string()).expect("a point prints parsably");
        assert_eq!(again, point, "{text:?} prints as {point}");
    }
    let as_string = serde_json::Value::String(text.clone().into_owned());
    match parse_location(&as_string) {
        Ok(point) => check_point(point),
        Err(error) => assert!(error.status().is_client_error(), "{error}"),
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        match parse_location(&value) {
            Ok(point) => check_point(point),
            Err(error) => assert!(error.status().is_client_error(), "{error}"),
        }
    }
});

fn check_point(point: Coordinates) {
    let (lat, lon) = (point.lat(), point.lon());
    assert!(
        lat.is_finite() && (-90.0..=90.0).contains(&lat),
        "lat {lat}"
    );
    assert!(
        lon.is_finite() && (-180.0..=180.0).contains(&lon),
        "lon {lon}"
    );
    let km = point.distance_km(point);
    assert!(km.abs() < 1e-6, "a point is {km} km from itself");
}
