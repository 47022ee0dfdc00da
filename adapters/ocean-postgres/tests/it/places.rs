//! The places adapter: the conformance suite, the project's real datasets (the first
//! generation's CSV and the GeoNames cities the embedded adapter ships), reloading, and
//! hostile ids and codes stored as plain text.

use std::io::Read;
use std::path::{Path, PathBuf};

use ocean::places::{Place, read_first_generation_csv, read_places_csv};
use ocean::{ErrorKind, Places};
use ocean_postgres::PostgresPlaces;

use crate::support::TestDb;

/// The first generation's Anchorage, as its CSV spells it.
const ANCHORAGE: (f64, f64) = (61.218_055_6, -149.900_277_8);
const ANCHORAGE_UUID: &str = "67f21dcfecf311e487d3c8e0eb16059b";

/// Strings that would change a query if they were pasted into SQL or a LIKE pattern.
const HOSTILE: [&str; 7] = [
    "'; DROP TABLE ocean_places; --",
    "' OR '1'='1",
    "%",
    "_",
    "\\",
    "a%b_c\\d",
    "\"quoted\"",
];

async fn connect(db: &TestDb) -> PostgresPlaces {
    PostgresPlaces::connect(&db.url)
        .await
        .expect("connect the places adapter")
}

fn place(id: &str, region: &str, lat: f64, lon: f64) -> Place {
    Place {
        id: id.to_owned(),
        name: format!("Place {id}"),
        region: region.to_owned(),
        country: "zz".to_owned(),
        lat,
        lon,
        population: Some(7),
    }
}

/// The directory holding the first generation's `locations.csv`, from `SHARED_DATA_DIR`, else
/// the workspace's sibling `shared/data`, else `/work/shared/data`.
fn shared_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SHARED_DATA_DIR") {
        return PathBuf::from(dir);
    }
    let beside_workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if beside_workspace.join("locations.csv").is_file() {
        return beside_workspace;
    }
    PathBuf::from("/work/shared/data")
}

/// The GeoNames cities15000 dataset the embedded adapter ships (read by path; this crate
/// does not depend on that adapter).
fn geonames_cities() -> Vec<Place> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ocean-embedded/data/places-cities15000.csv.gz");
    let gz = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut csv = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut csv)
        .expect("gunzip the cities dataset");
    read_places_csv(csv.as_slice()).expect("parse the cities dataset")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance() {
    let Some(db) = TestDb::create_with_postgis("places conformance").await else {
        return;
    };
    let places = connect(&db).await;
    ocean_conformance::places::run_all(&places).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_beside_the_geonames_cities() {
    let Some(db) = TestDb::create_with_postgis("places conformance beside real cities").await
    else {
        return;
    };
    let places = connect(&db).await;
    let cities = geonames_cities();
    let n_cities = cities.len();
    assert!(n_cities > 30_000, "{n_cities} cities");
    let summary = places.load(cities).await.expect("load the cities");
    assert_eq!(summary.loaded, n_cities);
    assert_eq!(
        places.count().await.unwrap(),
        u64::try_from(n_cities).unwrap()
    );
    let nearby = places
        .nearest(34.0522, -118.2437, Some(25.0))
        .await
        .unwrap()
        .expect("a city near Los Angeles");
    assert_eq!(nearby.place.name, "Los Angeles");
    assert!(nearby.distance_km < 1.0, "{}", nearby.distance_km);
    let californians = places.in_region("US", "ca", 3).await.unwrap();
    assert_eq!(californians.len(), 3);
    assert_eq!(californians[0].name, "Los Angeles", "most populous first");

    // Loading the same dataset again replaces every place: the count stays.
    let summary = places.load(geonames_cities()).await.expect("reload");
    assert_eq!(summary.loaded, n_cities);
    assert_eq!(
        places.count().await.unwrap(),
        u64::try_from(n_cities).unwrap()
    );
    ocean_conformance::places::run_all(&places).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_first_generation_csv_loads() {
    let Some(db) = TestDb::create_with_postgis("places first generation csv").await else {
        return;
    };
    let path = shared_data_dir().join("locations.csv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the first generation's places CSV {} ({e}): set SHARED_DATA_DIR to \
             the directory holding locations.csv",
            path.display()
        )
    });
    let rows = read_first_generation_csv(text.as_bytes()).expect("read locations.csv");
    let n_rows = rows.len();
    assert!(n_rows > 0, "locations.csv includes places");
    let places = connect(&db).await;
    let summary = places.load(rows).await.expect("load locations.csv");
    assert_eq!(summary.loaded, n_rows);
    assert_eq!(
        places.count().await.unwrap(),
        u64::try_from(n_rows).unwrap()
    );
    let nearby = places
        .nearest(ANCHORAGE.0, ANCHORAGE.1, Some(10.0))
        .await
        .unwrap()
        .expect("Anchorage is included");
    assert_eq!(nearby.place.id, ANCHORAGE_UUID);
    assert_eq!(nearby.place.name, "Anchorage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_ids_and_codes_are_plain_text() {
    let Some(db) = TestDb::create_with_postgis("places hostile ids").await else {
        return;
    };
    let places = connect(&db).await;
    let hostile: Vec<Place> = HOSTILE
        .iter()
        .enumerate()
        .map(|(n, text)| Place {
            name: (*text).to_owned(),
            ..place(
                text,
                text,
                -50.0 - 0.1 * f64::from(u8::try_from(n).unwrap()),
                -120.0,
            )
        })
        .collect();
    let bystander = place("bystander", "r1", -40.0, -100.0);
    let mut all = hostile.clone();
    all.push(bystander.clone());
    places.load(all).await.expect("load hostile places");
    assert_eq!(places.count().await.unwrap(), 8, "the table is intact");
    for expected in &hostile {
        let got = places.get(&expected.id).await.expect("get a hostile id");
        assert_eq!(got.as_ref(), Some(expected), "only the exact id matches");
        let in_region = places
            .in_region("ZZ", &expected.region, 100)
            .await
            .expect("in_region of a hostile code");
        assert_eq!(in_region, vec![expected.clone()], "codes are not patterns");
    }
    assert_eq!(places.get("bystander%").await.unwrap(), None);
    assert_eq!(places.get("b_stander").await.unwrap(), None);
    assert_eq!(
        places.get("a\0b").await.unwrap(),
        None,
        "NUL cannot be stored"
    );
    let nul = place("nul\0id", "r1", 0.0, 0.0);
    assert_eq!(
        places.load(vec![nul]).await.unwrap_err().kind(),
        ErrorKind::Invalid
    );
    assert_eq!(places.get("bystander").await.unwrap(), Some(bystander));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn duplicate_ids_in_one_load_keep_the_last() {
    let Some(db) = TestDb::create_with_postgis("places duplicate ids").await else {
        return;
    };
    let places = connect(&db).await;
    let first = place("a", "r1", 10.0, 10.0);
    let last = place("a", "r2", 20.0, 20.0);
    let summary = places
        .load(vec![first, place("b", "r1", 0.0, 0.0), last.clone()])
        .await
        .expect("a load repeating an id");
    assert_eq!(summary.loaded, 3, "the summary counts the places given");
    assert_eq!(places.count().await.unwrap(), 2);
    assert_eq!(places.get("a").await.unwrap(), Some(last));
}
