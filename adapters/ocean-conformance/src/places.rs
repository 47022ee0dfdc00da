//! Conformance checks for the places port: loading, lookups by id and region, and the nearest
//! place by great-circle distance (across the antimeridian and near the poles too).
//!
//! The store may already hold real places (a shared server, or an adapter's default dataset)
//! and the places of earlier or concurrent runs of these checks (loads are never undone), so:
//! - every synthetic place has an id from [`unique`], country `zz` (a user-assigned ISO code no
//!   real place uses) and, where regions matter, a unique region code;
//! - places lie in empty ocean over 700 km from any city: checks that never ask `nearest` park
//!   theirs at one point of the South Atlantic, nearest checks pick a pseudo-random site of
//!   their own in the South Pacific around Point Nemo, on the antimeridian south of New
//!   Zealand, or near a pole;
//! - a nearest check that finds another run's place at least as near as its own (possible,
//!   if unlikely, in a crowded shared store) cannot conclude, and tries again at a new site;
//!   a place of its own, or anyone's place farther away, is a verdict.

use std::hash::{DefaultHasher, Hash, Hasher};

use ocean::ErrorKind;
use ocean::places::{NearbyPlace, Place, Places, great_circle_km};

use crate::{assert_kind, unique};

/// Country code of every synthetic place (ISO 3166 leaves `zz` unassigned).
const COUNTRY: &str = "zz";
/// How far a reported distance may stray from [`great_circle_km`], in kilometres.
const DISTANCE_TOLERANCE_KM: f64 = 0.1;
/// A distance bound small enough to exclude every real city from a check's site.
const NEAR_KM: f64 = 50.0;
/// Kilometres per degree of latitude (mean Earth radius).
const KM_PER_DEGREE: f64 = ocean::places::EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;
/// Attempts of a check that other runs' places (or loads) can disturb before it gives up.
const ATTEMPTS: usize = 5;
/// A distance bound around a pole that excludes every real city.
const POLAR_KM: f64 = 500.0;
/// Where checks that never ask `nearest` put their places: the South Atlantic, 1,500 km
/// from any city.
const PARKING: (f64, f64) = (-45.0, -20.0);

/// Runs every places check, one after another.
pub async fn run_all(places: &dyn Places) {
    load_then_get(places).await;
    get_unknown_is_none(places).await;
    count_grows_by_new_places(places).await;
    load_replaces_same_id(places).await;
    bad_place_fails_whole_load(places).await;
    empty_load_is_fine(places).await;
    nearest_finds_closest(places).await;
    nearest_without_max_distance(places).await;
    max_distance_excludes_farther(places).await;
    nearest_across_antimeridian(places).await;
    nearest_near_poles(places).await;
    nearest_ties_go_to_smaller_id(places).await;
    nearest_refuses_bad_coordinates(places).await;
    in_region_most_populous_first(places).await;
    in_region_honours_limit(places).await;
    in_region_ignores_case(places).await;
    in_region_unknown_is_empty(places).await;
}

/// A load's places are visible by id once it returns, every field as loaded (accents,
/// missing population), and the summary counts them.
pub async fn load_then_get(places: &dyn Places) {
    let seed = unique("places-get");
    let with_population = synthetic(&seed, "a", PARKING, Some(15_000));
    let mut without_population = synthetic(&seed, "b", offset(PARKING, 2.0, 0.5), None);
    without_population.name = "São Tomé – Ñandú 東京".to_owned();
    let summary = places
        .load(vec![with_population.clone(), without_population.clone()])
        .await
        .expect("load: two good places load");
    assert_eq!(
        summary.loaded, 2,
        "load: the summary counts the places stored"
    );
    for expected in [with_population, without_population] {
        let got = places.get(&expected.id).await.expect("get: a loaded id");
        assert_eq!(
            got.as_ref(),
            Some(&expected),
            "get: returns the place as loaded"
        );
    }
}

/// `get` of an id nobody loaded is `None`, not an error.
pub async fn get_unknown_is_none(places: &dyn Places) {
    let got = places
        .get(&unique("places-unknown"))
        .await
        .expect("get: an unknown id is not an error");
    assert_eq!(got, None, "get: an unknown id is None");
}

/// `count` grows by the number of new places a load stores. (Another process loading places
/// between the two counts spoils an attempt; only `ATTEMPTS` spoiled ones fail.)
pub async fn count_grows_by_new_places(places: &dyn Places) {
    for attempt in 0..ATTEMPTS {
        let seed = unique(&format!("places-count{attempt}"));
        let batch: Vec<Place> = (0..3)
            .map(|n| synthetic(&seed, &format!("p{n}"), PARKING, None))
            .collect();
        let before = places.count().await.expect("count: before the load");
        places.load(batch).await.expect("load: three new places");
        let after = places.count().await.expect("count: after the load");
        if after == before + 3 {
            return;
        }
    }
    panic!("count: did not grow by the number of new places in {ATTEMPTS} attempts");
}

/// A load replaces the place with the same id: the count does not change, `get` and
/// `nearest` see the new data and the old position no longer finds it.
pub async fn load_replaces_same_id(places: &dyn Places) {
    for attempt in 0..ATTEMPTS {
        let seed = unique(&format!("places-replace{attempt}"));
        let old_site = ocean_site(&seed, 0);
        let original = synthetic(&seed, "p", old_site, Some(10));
        places
            .load(vec![original.clone()])
            .await
            .expect("load: the original place");
        let new_site = ocean_site(&seed, 1);
        let replacement = Place {
            name: format!("{} renamed", original.name),
            lat: new_site.0,
            lon: new_site.1,
            population: Some(20),
            ..original.clone()
        };
        let before = places.count().await.expect("count: before replacing");
        let summary = places
            .load(vec![replacement.clone()])
            .await
            .expect("load: a place with a known id");
        assert_eq!(summary.loaded, 1, "load: a replaced place counts as stored");
        let after = places.count().await.expect("count: after replacing");
        let got = places.get(&original.id).await.expect("get: a replaced id");
        assert_eq!(got, Some(replacement.clone()), "load: replaces the place");
        let at_old = places
            .nearest(old_site.0, old_site.1, Some(5.0))
            .await
            .expect("nearest: at the replaced position");
        assert!(
            at_old.is_none_or(|nearby| nearby.place.id != original.id),
            "load: the replaced position no longer finds the place"
        );
        let verified = expect_nearest(
            places,
            new_site,
            Some(NEAR_KM),
            &replacement,
            &seed,
            "load: new position",
        )
        .await;
        if verified && after == before {
            return;
        }
    }
    panic!("load: replacing a place changed the count (or was disturbed) in {ATTEMPTS} attempts");
}

/// One bad place (latitude, longitude, id or name) fails the load with Invalid and none of
/// the load's places is stored.
pub async fn bad_place_fails_whole_load(places: &dyn Places) {
    let bad_cases: [(&str, Spoil); 6] = [
        ("latitude 95", |p| p.lat = 95.0),
        ("latitude -90.5", |p| p.lat = -90.5),
        ("longitude 181", |p| p.lon = 181.0),
        ("latitude NaN", |p| p.lat = f64::NAN),
        ("an empty id", |p| p.id.clear()),
        ("an empty name", |p| p.name = "  ".to_owned()),
    ];
    for (what, spoil) in bad_cases {
        let seed = unique("places-bad");
        let first = synthetic(&seed, "first", PARKING, None);
        let mut bad = synthetic(&seed, "bad", PARKING, None);
        spoil(&mut bad);
        let last = synthetic(&seed, "last", PARKING, None);
        let result = places
            .load(vec![first.clone(), bad.clone(), last.clone()])
            .await;
        assert_kind(
            &result,
            ErrorKind::Invalid,
            &format!("load: a place with {what}"),
        );
        for id in [&first.id, &bad.id, &last.id] {
            if id.is_empty() {
                continue;
            }
            let got = places.get(id).await.expect("get: after a failed load");
            assert_eq!(
                got, None,
                "load: a load failing on {what} stores none of its places"
            );
        }
    }
}

/// Loading no places is fine and stores nothing.
pub async fn empty_load_is_fine(places: &dyn Places) {
    let summary = places.load(Vec::new()).await.expect("load: an empty load");
    assert_eq!(summary.loaded, 0, "load: an empty load stores nothing");
}

/// `nearest` returns the closest place and its great-circle distance.
pub async fn nearest_finds_closest(places: &dyn Places) {
    for _ in 0..ATTEMPTS {
        let seed = unique("places-nearest");
        let site = ocean_site(&seed, 0);
        let north = synthetic(&seed, "north", offset(site, 1.5, 0.2), Some(5));
        let east = synthetic(&seed, "east", offset(site, 0.3, 2.5), Some(50_000));
        let south = synthetic(&seed, "south", offset(site, -4.0, 0.0), Some(1_000_000));
        places
            .load(vec![south.clone(), east, north.clone()])
            .await
            .expect("load: three places around a site");
        let what = "nearest: the closest place";
        if !expect_nearest(places, site, Some(NEAR_KM), &north, &seed, what).await {
            continue;
        }
        let near_south = offset(site, -3.5, 0.0);
        let what = "nearest: the closest place from the south";
        if expect_nearest(places, near_south, Some(NEAR_KM), &south, &seed, what).await {
            return;
        }
    }
    disturbed("nearest_finds_closest");
}

/// Without a distance bound `nearest` finds a place at any distance.
pub async fn nearest_without_max_distance(places: &dyn Places) {
    for _ in 0..ATTEMPTS {
        let seed = unique("places-unbounded");
        let site = ocean_site(&seed, 0);
        let place = synthetic(&seed, "p", offset(site, 0.0, 0.7), None);
        places
            .load(vec![place.clone()])
            .await
            .expect("load: one place");
        let what = "nearest: with no distance bound";
        if expect_nearest(places, site, None, &place, &seed, what).await {
            return;
        }
    }
    disturbed("nearest_without_max_distance");
}

/// `max_distance_km` excludes places farther away (`None`) and admits those within it.
pub async fn max_distance_excludes_farther(places: &dyn Places) {
    for _ in 0..ATTEMPTS {
        let seed = unique("places-max-distance");
        let site = ocean_site(&seed, 0);
        let place = synthetic(&seed, "p", offset(site, 0.0, 3.0), None);
        places
            .load(vec![place.clone()])
            .await
            .expect("load: one place 3 km from the site");
        let too_far = places
            .nearest(site.0, site.1, Some(2.0))
            .await
            .expect("nearest: with a bound of 2 km");
        if let Some(found) = too_far {
            assert!(
                !is_own(&found, &seed) && great_circle_km(site, position(&found.place)) <= 2.0,
                "nearest: max_distance_km 2 admitted {found:?}"
            );
            continue;
        }
        let what = "nearest: within max_distance_km";
        if expect_nearest(places, site, Some(4.0), &place, &seed, what).await {
            return;
        }
    }
    disturbed("max_distance_excludes_farther");
}

/// The nearest place may lie across the antimeridian (longitude 179.99 is 0.02 degrees from
/// -179.99), in both directions, even when a place on the query's side is nearer in naive
/// longitude arithmetic.
pub async fn nearest_across_antimeridian(places: &dyn Places) {
    for _ in 0..ATTEMPTS {
        let seed = unique("places-antimeridian");
        let lat = antimeridian_lat(&seed);
        // How far the place and the query sit from the antimeridian, in degrees.
        let (place_gap, query_gap) = (
            0.001 + 0.01 * fraction(&seed, 4),
            0.001 + 0.01 * fraction(&seed, 5),
        );
        let decoy_gap = query_gap + place_gap + query_gap + 0.01;
        let west_edge = synthetic(&seed, "west", (lat, 180.0 - place_gap), None);
        let east_decoy = synthetic(&seed, "east-decoy", (lat, -180.0 + decoy_gap), None);
        let east_edge = synthetic(&seed, "east", (lat + 0.5, -180.0 + place_gap), None);
        let west_decoy = synthetic(&seed, "west-decoy", (lat + 0.5, 180.0 - decoy_gap), None);
        places
            .load(vec![
                west_edge.clone(),
                east_decoy,
                east_edge.clone(),
                west_decoy,
            ])
            .await
            .expect("load: places on both sides of the antimeridian");
        let query = (lat, -180.0 + query_gap);
        let what = "nearest: west across the antimeridian";
        if !expect_nearest(places, query, Some(NEAR_KM), &west_edge, &seed, what).await {
            continue;
        }
        let query = (lat + 0.5, 180.0 - query_gap);
        let what = "nearest: east across the antimeridian";
        if expect_nearest(places, query, Some(NEAR_KM), &east_edge, &seed, what).await {
            return;
        }
    }
    disturbed("nearest_across_antimeridian");
}

/// Near a pole, longitudes converge: a place 1.5 km away at a longitude many degrees off
/// beats one at the query's own longitude 2 km away, and a point next to the pole finds
/// places on its far side.
pub async fn nearest_near_poles(places: &dyn Places) {
    for pole in [90.0, -90.0] {
        let mut verified = false;
        for _ in 0..ATTEMPTS {
            if near_pole_attempt(places, pole).await {
                verified = true;
                break;
            }
        }
        if !verified {
            disturbed("nearest_near_poles");
        }
    }
}

/// One attempt of [`nearest_near_poles`] at `pole` (90 or -90); false if disturbed.
async fn near_pole_attempt(places: &dyn Places, pole: f64) -> bool {
    let seed = unique("places-pole");
    let sign: f64 = if pole > 0.0 { 1.0 } else { -1.0 };
    // Everything stays within 300 km of the pole: no city is within 1,300 km of either.
    let polar_km = 5.0 + 295.0 * fraction(&seed, 5);
    let bearing = -180.0 + 360.0 * fraction(&seed, 6);
    let lat = sign * (90.0 - polar_km / KM_PER_DEGREE);
    // The longitude step that puts two points at this latitude 1.5 km apart.
    let step = 2.0 * (0.75 / polar_km).asin().to_degrees();
    let query = (lat, wrap_lon(bearing));
    let across = synthetic(&seed, "across", (lat, wrap_lon(bearing + step)), None);
    let along_lat = lat - sign * 2.0 / KM_PER_DEGREE;
    let along = synthetic(&seed, "along", (along_lat, query.1), None);
    places
        .load(vec![along, across.clone()])
        .await
        .expect("load: places near a pole");
    let what = "nearest: near a pole";
    if !expect_nearest(places, query, Some(NEAR_KM), &across, &seed, what).await {
        return false;
    }
    let over_the_pole = (sign * 89.999, wrap_lon(bearing + 180.0));
    let found = places
        .nearest(over_the_pole.0, over_the_pole.1, Some(POLAR_KM))
        .await
        .expect("nearest: next to the pole")
        .expect("nearest: a place lies within 300 km of the pole");
    check_distance(&found, over_the_pole, "nearest: next to the pole");
    let across_km = great_circle_km(over_the_pole, position(&across));
    assert!(
        found.distance_km <= across_km + DISTANCE_TOLERANCE_KM,
        "nearest: next to the pole, found {found:?}, but {} is {across_km} km away",
        across.id
    );
    true
}

/// Two places at the same distance: the smaller id wins, whatever the load order or side.
pub async fn nearest_ties_go_to_smaller_id(places: &dyn Places) {
    for _ in 0..ATTEMPTS {
        if ties_attempt(places).await {
            return;
        }
    }
    disturbed("nearest_ties_go_to_smaller_id");
}

/// One attempt of [`nearest_ties_go_to_smaller_id`]; false if disturbed.
async fn ties_attempt(places: &dyn Places) -> bool {
    let seed = unique("places-tie");
    // Coordinates that are exact binary fractions make the two distances bit-for-bit equal.
    let site = ocean_site(&seed, 0);
    let site = (
        (site.0 * 1024.0).round() / 1024.0,
        (site.1 * 1024.0).round() / 1024.0,
    );
    let same_a = synthetic(&seed, "same-a", site, Some(1));
    let same_b = synthetic(&seed, "same-b", site, Some(1_000_000));
    places
        .load(vec![same_b, same_a.clone()])
        .await
        .expect("load: two places at one point");
    let what = "nearest: a tie at one point";
    if !expect_nearest(places, site, Some(NEAR_KM), &same_a, &seed, what).await {
        return false;
    }
    let step = 1.0 / 64.0;
    let query = (site.0 + 0.25, site.1);
    let west_b = synthetic(&seed, "mirror-b", (query.0, query.1 - step), None);
    let east_a = synthetic(&seed, "mirror-a", (query.0, query.1 + step), None);
    places
        .load(vec![west_b, east_a.clone()])
        .await
        .expect("load: two places mirrored around a point");
    let what = "nearest: a tie east and west";
    if !expect_nearest(places, query, Some(NEAR_KM), &east_a, &seed, what).await {
        return false;
    }
    let query = (site.0 + 0.5, site.1);
    let west_a = synthetic(&seed, "mirror2-a", (query.0, query.1 - step), None);
    let east_b = synthetic(&seed, "mirror2-b", (query.0, query.1 + step), None);
    places
        .load(vec![east_b, west_a.clone()])
        .await
        .expect("load: two more places mirrored around a point");
    let what = "nearest: a tie west and east";
    expect_nearest(places, query, Some(NEAR_KM), &west_a, &seed, what).await
}

/// Coordinates out of range (or not numbers) are Invalid.
pub async fn nearest_refuses_bad_coordinates(places: &dyn Places) {
    let bad_points = [
        (90.5, 0.0),
        (-91.0, 0.0),
        (0.0, 180.5),
        (0.0, -181.0),
        (f64::NAN, 0.0),
        (0.0, f64::INFINITY),
    ];
    for (lat, lon) in bad_points {
        let result = places.nearest(lat, lon, Some(NEAR_KM)).await;
        assert_kind(
            &result,
            ErrorKind::Invalid,
            &format!("nearest: coordinates ({lat}, {lon})"),
        );
    }
    for (lat, lon) in [(90.0, 180.0), (-90.0, -180.0)] {
        places
            .nearest(lat, lon, Some(NEAR_KM))
            .await
            .expect("nearest: the edges of the coordinate ranges are valid");
    }
}

/// `in_region` lists the most populous first, equal populations by id, places without a
/// population last, and only places of that region and country.
pub async fn in_region_most_populous_first(places: &dyn Places) {
    let seed = unique("places-region");
    let region = unique("R");
    let in_region = |label: &str, population: Option<u64>| Place {
        region: region.clone(),
        ..synthetic(&seed, label, PARKING, population)
    };
    let unknown_a = in_region("a-unknown", None);
    let big_c = in_region("c-big", Some(1_000));
    let big_b = in_region("b-big", Some(1_000));
    let middle = in_region("d-middle", Some(500));
    let small = in_region("e-small", Some(0));
    let other_country = Place {
        country: "zy".to_owned(),
        ..in_region("f-other-country", Some(9_999))
    };
    let other_region = Place {
        region: format!("{region}x"),
        ..in_region("g-other-region", Some(9_999))
    };
    places
        .load(vec![
            unknown_a.clone(),
            small.clone(),
            big_c.clone(),
            other_country,
            middle.clone(),
            big_b.clone(),
            other_region,
        ])
        .await
        .expect("load: places of one region");
    let got = places
        .in_region(COUNTRY, &region, 100)
        .await
        .expect("in_region: a loaded region");
    let expected = vec![big_b, big_c, middle, small, unknown_a];
    assert_eq!(
        ids(&got),
        ids(&expected),
        "in_region: most populous first, then by id, unknown population last, only that region"
    );
    assert_eq!(got, expected, "in_region: returns the places as loaded");
}

/// `in_region` returns at most `limit` places, the first ones in its order.
pub async fn in_region_honours_limit(places: &dyn Places) {
    let seed = unique("places-region-limit");
    let region = unique("R");
    let batch: Vec<Place> = (0..5u64)
        .map(|n| Place {
            region: region.clone(),
            ..synthetic(&seed, &format!("p{n}"), PARKING, Some(100 * n))
        })
        .collect();
    places.load(batch.clone()).await.expect("load: five places");
    let got = places
        .in_region(COUNTRY, &region, 2)
        .await
        .expect("in_region: with a limit");
    assert_eq!(
        ids(&got),
        vec![batch[4].id.as_str(), batch[3].id.as_str()],
        "in_region: at most limit places, most populous first"
    );
}

/// Country and region codes compare case-insensitively.
pub async fn in_region_ignores_case(places: &dyn Places) {
    let seed = unique("places-region-case");
    let region = format!("Rg{}", unique("MiXed"));
    let place = Place {
        region: region.clone(),
        ..synthetic(&seed, "p", PARKING, Some(1))
    };
    places
        .load(vec![place.clone()])
        .await
        .expect("load: a place with a mixed-case region");
    let spellings = [
        (COUNTRY.to_uppercase(), region.to_uppercase()),
        (COUNTRY.to_owned(), region.to_lowercase()),
        ("Zz".to_owned(), region.clone()),
    ];
    for (country, region) in spellings {
        let got = places
            .in_region(&country, &region, 10)
            .await
            .expect("in_region: any spelling");
        assert_eq!(
            ids(&got),
            vec![place.id.as_str()],
            "in_region: codes compare case-insensitively ({country}, {region})"
        );
    }
}

/// A region nobody loaded has no places.
pub async fn in_region_unknown_is_empty(places: &dyn Places) {
    let got = places
        .in_region(COUNTRY, &unique("R-none"), 10)
        .await
        .expect("in_region: an unknown region");
    assert!(got.is_empty(), "in_region: an unknown region is empty");
}

/// A change that makes a good place invalid.
type Spoil = fn(&mut Place);

/// Calls `nearest(point)` and checks it found `expected` at its great-circle distance.
/// Returns false, without a verdict, when it found another run's place (not one whose id
/// starts with `seed`) at least as near as `expected`: the store is right, the check is
/// disturbed. Anything else that is not `expected` panics.
async fn expect_nearest(
    places: &dyn Places,
    point: (f64, f64),
    max_distance_km: Option<f64>,
    expected: &Place,
    seed: &str,
    what: &str,
) -> bool {
    let found = places
        .nearest(point.0, point.1, max_distance_km)
        .await
        .unwrap_or_else(|e| panic!("{what}: nearest failed: {e}"));
    let Some(found) = found else {
        panic!(
            "{what}: expected {} near {point:?}, found nothing",
            expected.id
        );
    };
    check_distance(&found, point, what);
    if found.place.id == expected.id {
        assert_eq!(&found.place, expected, "{what}: the place as loaded");
        return true;
    }
    let expected_km = great_circle_km(point, position(expected));
    let found_km = great_circle_km(point, position(&found.place));
    let another_runs_nearer = !is_own(&found, seed) && found_km <= expected_km;
    assert!(
        another_runs_nearer,
        "{what}: nearest to {point:?} is {} ({expected_km} km), found {found:?}",
        expected.id
    );
    false
}

/// Asserts the reported distance is the great-circle distance to the place reported.
#[track_caller]
fn check_distance(found: &NearbyPlace, point: (f64, f64), what: &str) {
    let actual_km = great_circle_km(point, position(&found.place));
    assert!(
        (found.distance_km - actual_km).abs() <= DISTANCE_TOLERANCE_KM,
        "{what}: reported {} km to {}, the great-circle distance is {actual_km} km",
        found.distance_km,
        found.place.id
    );
}

/// Panics: every attempt of `check` met other runs' places nearer than its own.
fn disturbed(check: &str) -> ! {
    panic!(
        "places: {check} found other runs' places nearer than its own in all {ATTEMPTS} \
         attempts; the store is too crowded around the check sites to conclude"
    )
}

/// Whether `found` is one of the places of the check seeded with `seed`.
fn is_own(found: &NearbyPlace, seed: &str) -> bool {
    found.place.id.starts_with(seed)
}

/// A place's `(lat, lon)`.
fn position(place: &Place) -> (f64, f64) {
    (place.lat, place.lon)
}

/// A synthetic place `<seed>-<label>` in a region of its own.
fn synthetic(seed: &str, label: &str, (lat, lon): (f64, f64), population: Option<u64>) -> Place {
    Place {
        id: format!("{seed}-{label}"),
        name: format!("Conformance {label}"),
        region: format!("{seed}-region"),
        country: COUNTRY.to_owned(),
        lat,
        lon,
        population,
    }
}

/// A pseudo-random latitude where the antimeridian crosses open ocean, 700 km or more from
/// any city, with half a degree to spare northwards: 64 to 48 degrees south (south of New
/// Zealand) or 20 to 47.5 degrees north (the North Pacific).
fn antimeridian_lat(seed: &str) -> f64 {
    let south_band = 16.0;
    let along = 43.5 * fraction(seed, 3);
    if along < south_band {
        -64.0 + along
    } else {
        20.0 + (along - south_band)
    }
}

/// A pseudo-random point (the `n`th for `seed`) in the empty South Pacific around Point Nemo
/// (-48.9, -123.4): 35 to 60 degrees south, 95 to 150 degrees west, over 1,600 km from any
/// city.
fn ocean_site(seed: &str, n: u64) -> (f64, f64) {
    let lat = -60.0 + 25.0 * fraction(seed, 2 * n + 100);
    let lon = -150.0 + 55.0 * fraction(seed, 2 * n + 101);
    (lat, lon)
}

/// The point `north_km` north and `east_km` east of `(lat, lon)` (flat-earth offsets, fine
/// for a few kilometres away from the poles).
fn offset((lat, lon): (f64, f64), north_km: f64, east_km: f64) -> (f64, f64) {
    let lat = lat + north_km / KM_PER_DEGREE;
    let lon = lon + east_km / (KM_PER_DEGREE * lat.to_radians().cos());
    (lat, wrap_lon(lon))
}

/// `lon` brought into [-180, 180).
fn wrap_lon(lon: f64) -> f64 {
    (lon + 180.0).rem_euclid(360.0) - 180.0
}

/// A number in [0, 1) that depends only on `seed` and `salt`.
fn fraction(seed: &str, salt: u64) -> f64 {
    let mut hasher = DefaultHasher::new();
    seed.hash(&mut hasher);
    salt.hash(&mut hasher);
    let bits = u32::try_from(hasher.finish() >> 32).unwrap_or(0);
    f64::from(bits) / (f64::from(u32::MAX) + 1.0)
}

/// The ids of `places`, in order.
fn ids(places: &[Place]) -> Vec<&str> {
    places.iter().map(|p| p.id.as_str()).collect()
}
