//! Wiring from settings: the embedded defaults open every port in a fresh data directory, the
//! identity port is the Graph API client at the configured URL (or none when disabled), AWS
//! backends open lazily, and (without the `cloud` feature) a backend that is not built in is
//! refused naming its setting.

use ocean::records::{Item, Key, Write};
use ocean::settings::{IdentityBackend, NoApp, RecordsBackend, Settings};
use ocean_conformance::fake_graph::FakeGraph;

fn settings_in(dir: &std::path::Path) -> Settings<NoApp> {
    Settings::<NoApp> {
        data_dir: dir.join("data"),
        ..Settings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_defaults_open_every_port_in_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let settings = settings_in(dir.path());
    let ports = tourney_wiring::open(&settings).await.expect("open");
    tourney_wiring::load_datasets(&ports, &settings)
        .await
        .expect("datasets");

    let key = Key::new("wiring", "probe");
    ports
        .records
        .write(Write::put(Item::new(key.clone(), 1, b"ok".to_vec())))
        .await
        .unwrap();
    assert_eq!(ports.records.get(&key).await.unwrap().unwrap().body, b"ok");
    assert!(
        ports.places.count().await.unwrap() > 30_000,
        "the default places dataset"
    );
    assert!(ports.embedded_media.is_some());
    assert!(settings.data_dir.join("records.sqlite3").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_is_facebook_at_the_configured_graph_url_or_none_when_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings_in(dir.path());
    let ports = tourney_wiring::open(&settings).await.expect("open");
    assert!(ports.identity.is_some(), "facebook is the default");

    let graph = FakeGraph::start().await.unwrap();
    let known = graph.sample_account("Ada", "Lovelace");
    settings.identity = IdentityBackend::Facebook {
        graph_url: graph.url().to_owned(),
        api_version: "v21.0".to_owned(),
        timeout_secs: 5,
    };
    let ports = tourney_wiring::open(&settings).await.expect("open");
    let identity = ports.identity.expect("facebook identity");
    assert_eq!(identity.profile(&known.token).await.unwrap(), known.profile);
    assert_eq!(graph.requests(), 1);

    settings.identity = IdentityBackend::Disabled;
    let ports = tourney_wiring::open(&settings).await.expect("open");
    assert!(ports.identity.is_none(), "disabled: no identity port");
}

#[cfg(not(feature = "cloud"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_not_built_in_is_refused_naming_its_setting() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings_in(dir.path());
    settings.records = RecordsBackend::Dynamodb {
        table: "pics".to_owned(),
    };
    let error = tourney_wiring::open(&settings)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("records.backend: "), "{error}");
}

/// With the `cloud` feature, AWS backends open without a request (clients are lazy); the
/// first call to a server that is not there fails as unavailable, not at start-up.
#[cfg(feature = "cloud")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_backends_open_lazily_and_an_absent_server_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings_in(dir.path());
    settings.aws.endpoint_url = Some("http://127.0.0.1:9".to_owned());
    settings.aws.access_key_id = Some("test".to_owned());
    settings.aws.secret_access_key = Some(ocean::settings::Secret::new("test"));
    settings.records = RecordsBackend::Dynamodb {
        table: "pics".to_owned(),
    };
    let ports = tourney_wiring::open(&settings).await.expect("open");
    let error = ports
        .records
        .get(&Key::new("p", "s"))
        .await
        .expect_err("nothing listens on port 9");
    assert_eq!(error.kind(), ocean::ErrorKind::Unavailable, "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_places_reads_either_csv_format_or_the_built_in_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings_in(dir.path());
    settings.places = ocean::settings::PlacesBackend::Embedded {
        load_default_dataset: false,
        dataset_csv: None,
    };
    let ports = tourney_wiring::open(&settings).await.expect("open");
    assert_eq!(ports.places.count().await.unwrap(), 0);

    let ours = dir.path().join("ours.csv");
    std::fs::write(
        &ours,
        "id,name,region,country,lat,lon,population\nx1,Xville,CA,us,34.0,-118.0,\n",
    )
    .unwrap();
    let (source, loaded) = tourney_wiring::reindex_places(&ports, &settings, Some(&ours))
        .await
        .unwrap();
    assert_eq!((source.ends_with("ours.csv"), loaded), (true, 1));
    assert_eq!(
        ports.places.get("x1").await.unwrap().unwrap().name,
        "Xville"
    );

    let first_generation = dir.path().join("first.csv");
    std::fs::write(
        &first_generation,
        "INCLUDE,Country,City,AccentCity,Region,Population,Latitude,Longitude,uuid,notes\n\
         t,US,yville,Yville,CA,1200,35.0,-119.0,y1,\n\
         f,US,zville,Zville,CA,1200,36.0,-119.0,z1,\n",
    )
    .unwrap();
    let (_, loaded) = tourney_wiring::reindex_places(&ports, &settings, Some(&first_generation))
        .await
        .unwrap();
    assert_eq!(loaded, 1, "only INCLUDE=t rows");
    assert_eq!(ports.places.count().await.unwrap(), 2);

    let (source, loaded) = tourney_wiring::reindex_places(&ports, &settings, None)
        .await
        .unwrap();
    assert!(source.contains("built-in"), "{source}");
    assert!(loaded > 30_000, "{loaded}");

    let missing = dir.path().join("missing.csv");
    let error = tourney_wiring::reindex_places(&ports, &settings, Some(&missing))
        .await
        .unwrap_err();
    assert!(format!("{error:#}").contains("missing.csv"), "{error:#}");
}
