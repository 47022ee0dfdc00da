//! Integration tests of `ocean::settings`: layering, backend switching, error wording,
//! secrets and the committed documented defaults file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ocean::settings::{
    IdentityBackend, MediaBackend, NoApp, NotificationsBackend, PlacesBackend, QueueBackend,
    RecordsBackend, SearchBackend, Secret, Settings, SettingsError, Sources, StreamBackend,
};
use serde::{Deserialize, Serialize};

/// The committed documented defaults.
const DEFAULTS_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/defaults.toml");

/// A settings directory holding `<name>.toml` with `text`, and sources naming it plus `env`.
fn file_sources(text: &str, env: &[(&str, &str)]) -> (tempfile::TempDir, Sources) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("test.toml"), text).expect("write settings file");
    let sources = Sources {
        settings_dir: dir.path().to_owned(),
        name: Some("test".to_owned()),
        env: owned(env),
    };
    (dir, sources)
}

/// Sources with no file and only `env`.
fn env_sources(env: &[(&str, &str)]) -> Sources {
    Sources {
        env: owned(env),
        ..Sources::default()
    }
}

fn owned(env: &[(&str, &str)]) -> Vec<(String, String)> {
    env.iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

/// The file the sources of `dir` read.
fn file_of(dir: &tempfile::TempDir) -> String {
    dir.path().join("test.toml").display().to_string()
}

/// Loads `sources` and returns the error's message, failing when loading succeeds.
fn load_error(sources: &Sources) -> String {
    match Settings::<NoApp>::load_from(sources) {
        Ok(settings) => panic!("loaded, expected an error: {settings:?}"),
        Err(error) => error.to_string(),
    }
}

fn assert_contains(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            message.contains(part),
            "{message:?} does not contain {part:?}"
        );
    }
}

#[test]
fn defaults_load_without_sources() {
    let settings = Settings::<NoApp>::load_from(&Sources::default()).expect("defaults load");
    assert_eq!(settings, Settings::default());
    assert_eq!(settings.data_dir, PathBuf::from("./data"));
    assert_eq!(settings.aws.region, "us-east-1");
    assert_eq!(settings.queue, QueueBackend::Embedded { max_receives: 5 });
    assert_eq!(
        settings.media,
        MediaBackend::Embedded {
            public_url: "http://127.0.0.1:8080".to_owned(),
            signing_key: None
        }
    );
    assert_eq!(
        settings.places,
        PlacesBackend::Embedded {
            load_default_dataset: true,
            dataset_csv: None
        }
    );
    assert_eq!(
        settings.identity,
        IdentityBackend::Facebook {
            graph_url: "https://graph.facebook.com".to_owned(),
            api_version: "v19.0".to_owned(),
            timeout_secs: 10
        }
    );
}

#[test]
fn the_file_overrides_defaults_and_env_overrides_the_file() {
    let (_dir, sources) = file_sources(
        "data_dir = \"/var/lib/pics\"\n[queue]\nmax_receives = 3\n[aws]\nregion = \"eu-west-1\"\n",
        &[("OCEAN__QUEUE__MAX_RECEIVES", "7")],
    );
    let settings = Settings::<NoApp>::load_from(&sources).expect("loads");
    assert_eq!(settings.data_dir, PathBuf::from("/var/lib/pics"));
    assert_eq!(settings.aws.region, "eu-west-1");
    assert_eq!(settings.queue, QueueBackend::Embedded { max_receives: 7 });
}

#[test]
fn variables_without_the_prefix_are_ignored() {
    let sources = env_sources(&[("HOME", "/root"), ("OCEAN_SETTINGS_DIR", "x")]);
    let settings = Settings::<NoApp>::load_from(&sources).expect("loads");
    assert_eq!(settings, Settings::default());
}

#[test]
fn a_later_variable_wins_over_an_earlier_one() {
    let sources = env_sources(&[
        ("OCEAN__QUEUE__MAX_RECEIVES", "7"),
        ("OCEAN__QUEUE__MAX_RECEIVES", "9"),
    ]);
    let settings = Settings::<NoApp>::load_from(&sources).expect("loads");
    assert_eq!(settings.queue, QueueBackend::Embedded { max_receives: 9 });
}

#[test]
fn the_file_switches_every_backend() {
    let (_dir, sources) = file_sources(
        r#"
[records]
backend = "dynamodb"
table = "pics"

[media]
backend = "s3"
bucket = "pics-media"

[stream]
backend = "kinesis"
stream_prefix = "pics-"
checkpoint_table = "pics-checkpoints"

[queue]
backend = "sqs"
queue_prefix = "pics-"

[places]
backend = "postgres"
url = "postgres://u:p@localhost/places"

[search]
backend = "postgres"
url = "postgres://u:p@localhost/search"

[notifications]
backend = "sns"
apns_application_arn = "arn:aws:sns:us-east-1:1:app/APNS/pics"

[identity]
backend = "disabled"
"#,
        &[],
    );
    let settings = Settings::<NoApp>::load_from(&sources).expect("loads");
    assert_eq!(
        settings.records,
        RecordsBackend::Dynamodb {
            table: "pics".to_owned()
        }
    );
    assert_eq!(
        settings.media,
        MediaBackend::S3 {
            bucket: "pics-media".to_owned(),
            public_url: None,
            endpoint_url: None
        }
    );
    assert_eq!(
        settings.stream,
        StreamBackend::Kinesis {
            stream_prefix: "pics-".to_owned(),
            checkpoint_table: "pics-checkpoints".to_owned(),
            shards: 1
        }
    );
    assert_eq!(
        settings.queue,
        QueueBackend::Sqs {
            queue_prefix: "pics-".to_owned(),
            max_receives: 5
        }
    );
    assert_eq!(
        settings.places,
        PlacesBackend::Postgres {
            url: Secret::new("postgres://u:p@localhost/places")
        }
    );
    assert_eq!(
        settings.search,
        SearchBackend::Postgres {
            url: Secret::new("postgres://u:p@localhost/search")
        }
    );
    assert_eq!(
        settings.notifications,
        NotificationsBackend::Sns {
            apns_application_arn: "arn:aws:sns:us-east-1:1:app/APNS/pics".to_owned(),
            apns_sandbox_application_arn: None
        }
    );
    assert_eq!(settings.identity, IdentityBackend::Disabled);
}

#[test]
fn env_switches_a_backend() {
    let sources = env_sources(&[
        ("OCEAN__RECORDS__BACKEND", "dynamodb"),
        ("OCEAN__RECORDS__TABLE", "2024"),
        ("OCEAN__MEDIA__BACKEND", "s3"),
        ("OCEAN__MEDIA__BUCKET", "pics-media"),
        ("OCEAN__MEDIA__PUBLIC_URL", "https://cdn.example.com"),
    ]);
    let settings = Settings::<NoApp>::load_from(&sources).expect("loads");
    // A numeric-looking value stays a string for a string key.
    assert_eq!(
        settings.records,
        RecordsBackend::Dynamodb {
            table: "2024".to_owned()
        }
    );
    assert_eq!(
        settings.media,
        MediaBackend::S3 {
            bucket: "pics-media".to_owned(),
            public_url: Some("https://cdn.example.com".to_owned()),
            endpoint_url: None
        }
    );
}

#[test]
fn the_graph_api_keys_are_set_by_file_and_env() {
    let (_dir, sources) = file_sources(
        "[identity]\ngraph_url = \"http://127.0.0.1:9\"\napi_version = \"v21.0\"\n",
        &[("OCEAN__IDENTITY__TIMEOUT_SECS", "3")],
    );
    let settings = Settings::<NoApp>::load_from(&sources).expect("loads");
    assert_eq!(
        settings.identity,
        IdentityBackend::Facebook {
            graph_url: "http://127.0.0.1:9".to_owned(),
            api_version: "v21.0".to_owned(),
            timeout_secs: 3
        }
    );
}

#[test]
fn a_graph_api_key_with_identity_disabled_is_refused_by_name() {
    let (dir, sources) = file_sources(
        "[identity]\nbackend = \"disabled\"\napi_version = \"v21.0\"\n",
        &[],
    );
    assert_contains(
        &load_error(&sources),
        &[
            "unknown key `identity.api_version`",
            &format!("settings file {}", file_of(&dir)),
            "backend `disabled` uses only `backend`",
        ],
    );
    let message = load_error(&env_sources(&[("OCEAN__IDENTITY__GRAPH_ULR", "http://x")]));
    assert_contains(
        &message,
        &[
            "unknown key `identity.graph_ulr`",
            "environment variable OCEAN__IDENTITY__GRAPH_ULR",
        ],
    );
}

#[test]
fn bad_graph_api_values_are_named() {
    for (variable, value, key, expected) in [
        (
            "OCEAN__IDENTITY__GRAPH_URL",
            "graph.facebook.com",
            "invalid `identity.graph_url`",
            "http://",
        ),
        (
            "OCEAN__IDENTITY__API_VERSION",
            "19.0",
            "invalid `identity.api_version`",
            "v19.0",
        ),
        (
            "OCEAN__IDENTITY__TIMEOUT_SECS",
            "0",
            "invalid `identity.timeout_secs`",
            "at least 1",
        ),
        (
            "OCEAN__IDENTITY__TIMEOUT_SECS",
            "soon",
            "bad value for `identity.timeout_secs`",
            "soon",
        ),
    ] {
        let message = load_error(&env_sources(&[(variable, value)]));
        assert_contains(
            &message,
            &[key, &format!("environment variable {variable}"), expected],
        );
    }
}

#[test]
fn env_switches_back_a_backend_the_file_chose() {
    let (_dir, sources) = file_sources(
        "[queue]\nbackend = \"sqs\"\nmax_receives = 2\n",
        &[("OCEAN__QUEUE__BACKEND", "embedded")],
    );
    let settings = Settings::<NoApp>::load_from(&sources).expect("loads");
    assert_eq!(settings.queue, QueueBackend::Embedded { max_receives: 2 });
}

#[test]
fn env_values_parse_to_booleans_and_paths() {
    let sources = env_sources(&[
        ("OCEAN__PLACES__LOAD_DEFAULT_DATASET", "false"),
        ("OCEAN__PLACES__DATASET_CSV", "/data/cities.csv"),
        ("OCEAN__DATA_DIR", "/tmp/ocean"),
    ]);
    let settings = Settings::<NoApp>::load_from(&sources).expect("loads");
    assert_eq!(
        settings.places,
        PlacesBackend::Embedded {
            load_default_dataset: false,
            dataset_csv: Some(PathBuf::from("/data/cities.csv"))
        }
    );
    assert_eq!(settings.data_dir, PathBuf::from("/tmp/ocean"));
}

#[test]
fn an_unknown_key_in_the_file_names_key_and_file() {
    let (dir, sources) = file_sources("[queue]\nmax_recieves = 3\n", &[]);
    let message = load_error(&sources);
    assert_contains(
        &message,
        &[
            "unknown key `queue.max_recieves`",
            &format!("settings file {}", file_of(&dir)),
            "max_receives",
        ],
    );
}

#[test]
fn an_unknown_top_level_key_in_the_file_is_refused() {
    let (dir, sources) = file_sources("data_directory = \"x\"\n", &[]);
    let message = load_error(&sources);
    assert_contains(
        &message,
        &[
            "`data_directory`",
            &format!("settings file {}", file_of(&dir)),
        ],
    );
}

#[test]
fn an_unknown_key_in_env_names_key_and_variable() {
    let message = load_error(&env_sources(&[("OCEAN__AWS__REGOIN", "eu-west-1")]));
    assert_contains(
        &message,
        &[
            "unknown key `aws.regoin`",
            "environment variable OCEAN__AWS__REGOIN",
        ],
    );
}

#[test]
fn a_key_under_no_app_is_refused() {
    let message = load_error(&env_sources(&[("OCEAN__APP__X", "1")]));
    assert_contains(&message, &["`app.x`", "environment variable OCEAN__APP__X"]);
}

#[test]
fn a_bad_value_in_env_names_key_and_variable() {
    let message = load_error(&env_sources(&[("OCEAN__QUEUE__MAX_RECEIVES", "many")]));
    assert_contains(
        &message,
        &[
            "bad value for `queue.max_receives`",
            "environment variable OCEAN__QUEUE__MAX_RECEIVES",
            "many",
        ],
    );
}

#[test]
fn a_bad_value_in_the_file_names_key_and_file() {
    let (dir, sources) = file_sources("[places]\nload_default_dataset = 3\n", &[]);
    let message = load_error(&sources);
    assert_contains(
        &message,
        &[
            "bad value for `places.load_default_dataset`",
            &format!("settings file {}", file_of(&dir)),
        ],
    );
}

#[test]
fn a_negative_number_in_the_file_is_a_bad_value() {
    let (dir, sources) = file_sources("[queue]\nmax_receives = -1\n", &[]);
    let message = load_error(&sources);
    assert_contains(
        &message,
        &[
            "`queue.max_receives`",
            &format!("settings file {}", file_of(&dir)),
        ],
    );
}

#[test]
fn an_unknown_backend_name_is_refused_with_the_choices() {
    let (dir, sources) = file_sources("[records]\nbackend = \"mongodb\"\n", &[]);
    let message = load_error(&sources);
    assert_contains(
        &message,
        &[
            "`records.backend`",
            &format!("settings file {}", file_of(&dir)),
            "mongodb",
            "`embedded`",
            "`dynamodb`",
        ],
    );
    let message = load_error(&env_sources(&[("OCEAN__SEARCH__BACKEND", "elastic")]));
    assert_contains(
        &message,
        &[
            "`search.backend`",
            "environment variable OCEAN__SEARCH__BACKEND",
            "elastic",
        ],
    );
}

#[test]
fn a_key_the_chosen_backend_does_not_use_is_refused() {
    let (dir, sources) = file_sources("[records]\ntable = \"pics\"\n", &[]);
    let message = load_error(&sources);
    assert_contains(
        &message,
        &[
            "unknown key `records.table`",
            &format!("settings file {}", file_of(&dir)),
            "backend `embedded`",
        ],
    );
    // The file switches media to S3; env sets a key only the embedded backend uses.
    let (_dir, sources) = file_sources(
        "[media]\nbackend = \"s3\"\nbucket = \"b\"\n",
        &[("OCEAN__MEDIA__SIGNING_KEY", "0123456789abcdef0123")],
    );
    let message = load_error(&sources);
    assert_contains(
        &message,
        &[
            "unknown key `media.signing_key`",
            "environment variable OCEAN__MEDIA__SIGNING_KEY",
            "backend `s3`",
        ],
    );
    assert!(
        !message.contains("0123456789abcdef"),
        "{message} leaks the secret"
    );
}

#[test]
fn a_key_the_chosen_backend_needs_is_named_with_where_it_was_chosen() {
    let message = load_error(&env_sources(&[("OCEAN__STREAM__BACKEND", "kinesis")]));
    assert_contains(
        &message,
        &[
            "missing key `stream.stream_prefix`",
            "backend `kinesis`",
            "environment variable OCEAN__STREAM__BACKEND",
        ],
    );
}

#[test]
fn validation_names_the_key_and_its_origin() {
    let message = load_error(&env_sources(&[("OCEAN__QUEUE__MAX_RECEIVES", "0")]));
    assert_contains(
        &message,
        &[
            "invalid `queue.max_receives`",
            "environment variable OCEAN__QUEUE__MAX_RECEIVES",
            "at least 1",
        ],
    );
    let (dir, sources) = file_sources("[media]\npublic_url = \"localhost:8080\"\n", &[]);
    let message = load_error(&sources);
    assert_contains(
        &message,
        &[
            "invalid `media.public_url`",
            &format!("settings file {}", file_of(&dir)),
            "http://",
        ],
    );
    let (_dir, sources) = file_sources("[records]\nbackend = \"dynamodb\"\ntable = \"\"\n", &[]);
    assert_contains(&load_error(&sources), &["invalid `records.table`", "empty"]);
}

#[test]
fn a_missing_settings_file_names_the_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sources = Sources {
        settings_dir: dir.path().to_owned(),
        name: Some("nowhere".to_owned()),
        env: Vec::new(),
    };
    let error = Settings::<NoApp>::load_from(&sources).expect_err("no such file");
    assert!(
        matches!(error, SettingsError::MissingFile { .. }),
        "{error:?}"
    );
    let expected = dir.path().join("nowhere.toml").display().to_string();
    assert_contains(&error.to_string(), &[&expected]);
}

#[test]
fn a_settings_name_that_is_not_a_plain_stem_is_refused() {
    for name in ["../secrets", "local_server.toml", "a/b", ""] {
        let sources = Sources {
            name: Some(name.to_owned()),
            ..Sources::default()
        };
        let error = Settings::<NoApp>::load_from(&sources).expect_err("bad name");
        assert!(
            matches!(error, SettingsError::BadName { .. }),
            "{name}: {error:?}"
        );
        let expected = Path::new("settings").join(format!("{name}.toml"));
        assert_contains(&error.to_string(), &[&expected.display().to_string()]);
    }
}

#[test]
fn invalid_toml_names_the_file_and_line() {
    let (dir, sources) = file_sources("[queue]\nmax_receives = = 3\n", &[]);
    let message = load_error(&sources);
    assert_contains(&message, &[&file_of(&dir), "line 2"]);
}

#[test]
fn a_bad_variable_name_is_refused() {
    let message = load_error(&env_sources(&[("OCEAN__QUEUE____MAX_RECEIVES", "7")]));
    assert_contains(&message, &["OCEAN__QUEUE____MAX_RECEIVES"]);
}

#[test]
fn secrets_never_print() {
    let sources = env_sources(&[
        ("OCEAN__AWS__ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("OCEAN__AWS__SECRET_ACCESS_KEY", "very-secret-value"),
        ("OCEAN__SEARCH__BACKEND", "postgres"),
        (
            "OCEAN__SEARCH__URL",
            "postgres://app:db-password@localhost/search",
        ),
    ]);
    let settings = Settings::<NoApp>::load_from(&sources).expect("loads");
    let debug = format!("{settings:?}");
    let pretty = format!("{settings:#?}");
    let toml = toml::to_string(&settings).expect("serializes");
    let json = serde_json::to_string(&settings).expect("serializes");
    for shown in [&debug, &pretty, &toml, &json] {
        assert!(
            !shown.contains("very-secret-value"),
            "{shown} leaks a secret"
        );
        assert!(!shown.contains("db-password"), "{shown} leaks a secret");
        assert!(
            shown.contains("[redacted]"),
            "{shown} does not mark secrets"
        );
    }
    let secret = settings.aws.secret_access_key.expect("set");
    assert_eq!(secret.expose(), "very-secret-value");
}

#[test]
fn a_secret_of_the_wrong_type_is_not_quoted() {
    let (dir, sources) = file_sources("[search]\nbackend = \"postgres\"\nurl = 918273645\n", &[]);
    let message = load_error(&sources);
    assert_contains(
        &message,
        &["`search.url`", &format!("settings file {}", file_of(&dir))],
    );
    assert!(!message.contains("918273645"), "{message} leaks the secret");
}

/// An application's own settings section, for the `app` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct PicsApp {
    max_photos: u32,
    greeting: String,
}

impl Default for PicsApp {
    fn default() -> Self {
        Self {
            max_photos: 10,
            greeting: "hi".to_owned(),
        }
    }
}

#[test]
fn the_app_section_is_layered_too() {
    let (_dir, sources) = file_sources(
        "[app]\ngreeting = \"hello\"\n",
        &[("OCEAN__APP__MAX_PHOTOS", "12")],
    );
    let settings = Settings::<PicsApp>::load_from(&sources).expect("loads");
    assert_eq!(
        settings.app,
        PicsApp {
            max_photos: 12,
            greeting: "hello".to_owned()
        }
    );
    let typo = env_sources(&[("OCEAN__APP__MAX_PHOTO", "12")]);
    let message = Settings::<PicsApp>::load_from(&typo)
        .expect_err("typo")
        .to_string();
    assert_contains(
        &message,
        &[
            "`app.max_photo`",
            "environment variable OCEAN__APP__MAX_PHOTO",
        ],
    );
}

#[test]
fn the_app_section_is_rendered_with_its_docs() {
    let rendered = Settings::<PicsApp>::defaults_toml_with_app_docs(&[
        ("app.max_photos", "Most photos per user."),
        ("app.greeting", "What the server says."),
    ]);
    assert_contains(
        &rendered,
        &[
            "[app]\n",
            "# Most photos per user.\nmax_photos = 10\n",
            "# What the server says.\ngreeting = \"hi\"\n",
        ],
    );
}

#[test]
fn the_committed_defaults_file_is_fresh() {
    let rendered = Settings::<NoApp>::defaults_toml();
    if std::env::var_os("OCEAN_BLESS").is_some_and(|value| value == "1") {
        std::fs::write(DEFAULTS_FILE, &rendered).expect("write defaults.toml");
    }
    let committed = std::fs::read_to_string(DEFAULTS_FILE).unwrap_or_default();
    assert!(
        committed == rendered,
        "ocean/defaults.toml is stale: rerun with `OCEAN_BLESS=1 cargo test -p ocean --test it settings` and commit it"
    );
}

/// The dotted keys of a rendered file, set or commented out.
fn rendered_keys(rendered: &str) -> BTreeSet<String> {
    let mut section = String::new();
    let mut keys = BTreeSet::new();
    for line in rendered.lines() {
        if let Some(name) = line
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            section = name.to_owned();
            continue;
        }
        let line = line.strip_prefix("# ").unwrap_or(line);
        let Some((key, _)) = line.split_once(" = ") else {
            continue;
        };
        if key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            let dotted = if section.is_empty() {
                key.to_owned()
            } else {
                format!("{section}.{key}")
            };
            keys.insert(dotted);
        }
    }
    keys
}

#[test]
fn every_rendered_key_is_documented_and_every_documented_key_is_rendered() {
    let rendered = Settings::<NoApp>::defaults_toml();
    assert!(!rendered.contains("(undocumented)"), "{rendered}");
    assert!(
        !rendered.contains("[redacted]"),
        "a secret key has no example in SECRET_EXAMPLES: {rendered}"
    );
    let keys = rendered_keys(&rendered);
    for expected in [
        "data_dir",
        "queue.max_receives",
        "records.table",
        "aws.secret_access_key",
        "media.signing_key",
        "notifications.apns_sandbox_application_arn",
        "identity.graph_url",
        "identity.api_version",
        "identity.timeout_secs",
    ] {
        assert!(keys.contains(expected), "{expected} is not rendered");
    }
    // Each rendered key line has its documentation on the line above.
    let lines: Vec<&str> = rendered.lines().collect();
    for (idx, line) in lines.iter().enumerate().skip(1) {
        let uncommented = line.strip_prefix("# ").unwrap_or(line);
        let is_key = uncommented
            .split_once(" = ")
            .is_some_and(|(key, _)| key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        assert!(
            !is_key || lines[idx - 1].starts_with("# "),
            "{line:?} has no comment above it"
        );
    }
    assert_eq!(
        keys,
        documented_keys(&rendered),
        "the documented keys and the rendered keys differ"
    );
}

/// The dotted keys with a documentation line in the rendered file (a `# <Capital>...` line
/// directly above a key line).
fn documented_keys(rendered: &str) -> BTreeSet<String> {
    let mut section = String::new();
    let mut keys = BTreeSet::new();
    let mut documented = false;
    for line in rendered.lines() {
        if let Some(name) = line
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            section = name.to_owned();
            documented = false;
            continue;
        }
        let uncommented = line.strip_prefix("# ").unwrap_or(line);
        if let Some((key, _)) = uncommented.split_once(" = ") {
            if documented || key == "backend" {
                let dotted = if section.is_empty() {
                    key.to_owned()
                } else {
                    format!("{section}.{key}")
                };
                keys.insert(dotted);
            }
            documented = false;
        } else {
            documented = uncommented.starts_with(char::is_uppercase);
        }
    }
    keys
}

#[test]
fn the_rendered_defaults_load_back_to_the_defaults() {
    let (_dir, sources) = file_sources(&Settings::<NoApp>::defaults_toml(), &[]);
    let settings = Settings::<NoApp>::load_from(&sources).expect("the rendered defaults load");
    assert_eq!(settings, Settings::default());
}

#[test]
fn every_commented_out_backend_block_loads_when_uncommented() {
    let rendered = Settings::<NoApp>::defaults_toml();
    let blocks: Vec<&str> = rendered.split("\n# Or, to use the ").skip(1).collect();
    assert_eq!(blocks.len(), 8, "one other backend per port");
    for block in blocks {
        let section = section_of(&rendered, block);
        let uncommented: String = block
            .lines()
            .skip(1)
            .take_while(|line| !line.is_empty())
            .filter_map(|line| line.strip_prefix("# "))
            .filter(|line| line.contains(" = "))
            .map(|line| format!("{line}\n"))
            .collect();
        let text = format!("[{section}]\n{uncommented}");
        let (_dir, sources) = file_sources(&text, &[]);
        let loaded = Settings::<NoApp>::load_from(&sources);
        assert!(loaded.is_ok(), "{text}\nfails: {:?}", loaded.err());
    }
}

/// The section header above `block` in `rendered`.
fn section_of<'a>(rendered: &'a str, block: &str) -> &'a str {
    let offset = rendered.find(block).expect("block in rendered");
    rendered[..offset]
        .lines()
        .rev()
        .find_map(|line| {
            line.strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
        })
        .expect("a section above")
}
