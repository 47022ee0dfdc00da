//! The embedded places store: the conformance suite beside the default dataset, the default
//! dataset itself, the first generation's CSV, durability across reopening, and two handles
//! on one directory (as two processes would be).

use std::path::{Path, PathBuf};

use ocean::Places;
use ocean::places::{Place, read_first_generation_csv};
use ocean_embedded::EmbeddedPlaces;
use ocean_embedded::places::PlacesOptions;

/// The first generation's Anchorage, as its CSV spells it.
const ANCHORAGE: (f64, f64) = (61.218_055_6, -149.900_277_8);
const ANCHORAGE_UUID: &str = "67f21dcfecf311e487d3c8e0eb16059b";

fn open(dir: &Path, load_default_dataset: bool) -> EmbeddedPlaces {
    EmbeddedPlaces::open(
        dir,
        PlacesOptions {
            load_default_dataset,
        },
    )
    .expect("open the places store")
}

fn place(id: &str, lat: f64, lon: f64) -> Place {
    Place {
        id: id.to_owned(),
        name: format!("Place {id}"),
        region: "r1".to_owned(),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_beside_the_default_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let places = open(dir.path(), true);
    ocean_conformance::places::run_all(&places).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_default_dataset_resolves_los_angeles() {
    let dir = tempfile::tempdir().unwrap();
    let places = open(dir.path(), true);
    let count = places.count().await.unwrap();
    assert!(count > 30_000, "the default dataset holds {count} places");
    let nearby = places
        .nearest(34.0522, -118.2437, Some(25.0))
        .await
        .unwrap()
        .expect("a city near Los Angeles");
    assert_eq!(nearby.place.name, "Los Angeles");
    assert_eq!(nearby.place.region, "CA");
    assert_eq!(nearby.place.country, "us");
    assert!(nearby.distance_km < 1.0, "{}", nearby.distance_km);
    let californians = places.in_region("US", "ca", 3).await.unwrap();
    assert_eq!(
        californians[0].name, "Los Angeles",
        "the most populous first"
    );
    assert_eq!(californians.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_default_dataset_loads_once() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path(), true);
    let count = first.count().await.unwrap();
    let expected = EmbeddedPlaces::default_dataset().unwrap().len();
    assert_eq!(count, u64::try_from(expected).unwrap());
    first
        .load(vec![place("extra", -50.0, -120.0)])
        .await
        .unwrap();
    drop(first);
    let again = open(dir.path(), true);
    assert_eq!(
        again.count().await.unwrap(),
        count + 1,
        "a store with places is not reloaded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_first_generation_csv_loads() {
    let path = shared_data_dir().join("locations.csv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the first generation's places CSV {} ({e}): set SHARED_DATA_DIR to \
             the directory holding locations.csv",
            path.display()
        )
    });
    let n_included = text
        .lines()
        .skip(1)
        .filter(|line| line.split(',').next() == Some("t"))
        .count();
    let rows = read_first_generation_csv(text.as_bytes()).expect("read locations.csv");
    assert_eq!(rows.len(), n_included, "only the INCLUDE=t rows are kept");

    let dir = tempfile::tempdir().unwrap();
    let places = open(dir.path(), false);
    let summary = places.load(rows).await.expect("load locations.csv");
    assert_eq!(summary.loaded, n_included);
    assert_eq!(
        places.count().await.unwrap(),
        u64::try_from(n_included).unwrap()
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
async fn places_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let stored = vec![place("a", -50.0, -120.0), place("b", -50.1, -120.0)];
    {
        let places = open(dir.path(), false);
        places.load(stored.clone()).await.unwrap();
    }
    let places = open(dir.path(), false);
    assert_eq!(places.count().await.unwrap(), 2);
    assert_eq!(places.get("b").await.unwrap().as_ref(), Some(&stored[1]));
    let nearby = places.nearest(-50.09, -120.0, None).await.unwrap().unwrap();
    assert_eq!(nearby.place.id, "b", "the index is rebuilt on open");
    assert_eq!(places.in_region("ZZ", "R1", 10).await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_handle_sees_loads_of_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let writer = open(dir.path(), false);
    let reader = open(dir.path(), false);
    writer.load(vec![place("a", 10.0, 10.0)]).await.unwrap();
    let nearby = reader.nearest(10.0, 10.1, None).await.unwrap().unwrap();
    assert_eq!(nearby.place.id, "a", "a load by another handle is seen");
    writer.load(vec![place("a", 20.0, 20.0)]).await.unwrap();
    reader.load(vec![place("b", 30.0, 30.0)]).await.unwrap();
    let nearby = reader.nearest(20.0, 20.0, None).await.unwrap().unwrap();
    assert_eq!(nearby.place.id, "a", "interleaved loads rebuild the index");
    let nearby = writer.nearest(30.0, 30.0, None).await.unwrap().unwrap();
    assert_eq!(nearby.place.id, "b");
}
