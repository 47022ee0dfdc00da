//! Wiring from settings: the embedded defaults open every port in a fresh data directory, and
//! a backend that is not built in is refused naming its setting.

use ocean::records::{Item, Key, Write};
use ocean::settings::{NoApp, RecordsBackend, Settings};

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
    let ports = tourney_wiring::open(&settings).expect("open");
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

#[test]
fn a_backend_not_built_in_is_refused_naming_its_setting() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings_in(dir.path());
    settings.records = RecordsBackend::Dynamodb {
        table: "pics".to_owned(),
    };
    let error = tourney_wiring::open(&settings).unwrap_err().to_string();
    assert!(error.starts_with("records.backend: "), "{error}");
}
