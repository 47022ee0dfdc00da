//! The documented defaults file: the built-in defaults rendered as TOML, a comment above
//! every key, and commented-out lines for the keys the defaults leave out (unset options,
//! the other backends of each port).

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use super::AwsSettings;
use super::backends::{
    IdentityBackend, MediaBackend, NotificationsBackend, PlacesBackend, QueueBackend,
    RecordsBackend, SearchBackend, StreamBackend,
};
use super::secret::{REDACTED, Secret};

/// What every key of the platform's settings is, by dotted path. The rendered defaults file
/// shows each entry above its key; a test holds this table and the real keys equal.
pub(crate) const KEY_DOCS: &[(&str, &str)] = &[
    (
        "data_dir",
        "Directory where the embedded backends keep their files (databases, media, keys).",
    ),
    ("aws.region", "AWS region of every AWS backend."),
    (
        "aws.endpoint_url",
        "Endpoint of every AWS service, for a local server (e.g. LocalStack); unset: AWS itself.",
    ),
    (
        "aws.access_key_id",
        "AWS access key id; unset: the default credential chain (environment, profile, role).",
    ),
    (
        "aws.secret_access_key",
        "AWS secret access key, with access_key_id (a secret: never printed).",
    ),
    (
        "records.backend",
        "Where records live: \"embedded\" (SQLite in data_dir) or \"dynamodb\".",
    ),
    ("records.table", "The DynamoDB table holding every record."),
    (
        "media.backend",
        "Where media objects live: \"embedded\" (files in data_dir) or \"s3\".",
    ),
    (
        "media.public_url",
        "Base URL media objects are read from (embedded: this server; s3: a public bucket or CDN, unset: signed URLs).",
    ),
    (
        "media.signing_key",
        "Key signing upload and read URLs (a secret); unset: generated once and kept in data_dir.",
    ),
    ("media.bucket", "The S3 bucket holding media objects."),
    (
        "media.endpoint_url",
        "An S3 endpoint for media alone, overriding aws.endpoint_url (a local S3 server); unset: aws.endpoint_url.",
    ),
    (
        "stream.backend",
        "Where event streams live: \"embedded\" (SQLite in data_dir) or \"kinesis\".",
    ),
    (
        "stream.stream_prefix",
        "Prefix of every Kinesis stream name.",
    ),
    (
        "stream.checkpoint_table",
        "The DynamoDB table holding stream consumers' checkpoints.",
    ),
    (
        "stream.shards",
        "Shards of each Kinesis stream created on first use; more shards take more writes per second.",
    ),
    (
        "queue.backend",
        "Where job queues live: \"embedded\" (SQLite in data_dir) or \"sqs\".",
    ),
    (
        "queue.max_receives",
        "Receives before a message moves to the dead-letter queue (at least 1).",
    ),
    ("queue.queue_prefix", "Prefix of every SQS queue name."),
    (
        "places.backend",
        "Where places (cities) come from: \"embedded\" (in memory) or \"postgres\".",
    ),
    (
        "places.load_default_dataset",
        "Whether to load the built-in places dataset.",
    ),
    (
        "places.dataset_csv",
        "A CSV places dataset to load as well.",
    ),
    (
        "places.url",
        "PostgreSQL connection URL of the places database (a secret).",
    ),
    (
        "search.backend",
        "Where the search index lives: \"embedded\" (SQLite in data_dir) or \"postgres\".",
    ),
    (
        "search.url",
        "PostgreSQL connection URL of the search database (a secret).",
    ),
    (
        "notifications.backend",
        "How push notifications go out: \"embedded\" (recorded in data_dir, never sent) or \"sns\".",
    ),
    (
        "notifications.apns_application_arn",
        "SNS platform application ARN for production APNs.",
    ),
    (
        "notifications.apns_sandbox_application_arn",
        "SNS platform application ARN for the APNs sandbox (development builds); unset: none.",
    ),
    (
        "identity.backend",
        "Which provider checks external access tokens: \"facebook\" (the Graph API) or \"disabled\" (no Facebook login).",
    ),
    (
        "identity.graph_url",
        "Base URL of the Graph API (a local fake server's http:// URL in tests).",
    ),
    (
        "identity.api_version",
        "Graph API version called, v<major>.<minor>.",
    ),
    (
        "identity.timeout_secs",
        "Seconds one Graph API request may take before it counts as unavailable (at least 1).",
    ),
];

/// Every secret key, with the example value shown for it in commented-out lines (a secret
/// serializes as `[redacted]`, which would be useless there). Errors about these keys never
/// quote the value.
pub(crate) const SECRET_EXAMPLES: &[(&str, &str)] = &[
    (
        "aws.secret_access_key",
        "\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"",
    ),
    ("media.signing_key", "\"at least 16 random characters\""),
    (
        "places.url",
        "\"postgres://user:password@localhost/places\"",
    ),
    (
        "search.url",
        "\"postgres://user:password@localhost/search\"",
    ),
];

/// Whether dotted `key` holds a [`Secret`] (one of [`SECRET_EXAMPLES`]).
pub(crate) fn is_secret_key(key: &str) -> bool {
    SECRET_EXAMPLES
        .iter()
        .any(|(secret_key, _)| *secret_key == key)
}

/// The first lines of the rendered file.
const HEADER: &str = "\
# Ocean settings: every key with its built-in default.
# Generated from the code (OCEAN_BLESS=1 cargo test -p ocean --test it settings); do not edit.
# Put the keys you change in settings/<name>.toml and run with OCEAN_SETTINGS=<name>, or set
# one key with an environment variable: OCEAN__QUEUE__MAX_RECEIVES=7 sets queue.max_receives.
";

/// One table of the file: its name and, for every way to fill it, a sample serialized.
/// The first sample is the default's shape with every option set (its unset options are
/// shown commented out); the others are the port's other backends.
struct Section {
    name: &'static str,
    samples: Vec<toml::Table>,
}

/// Renders the defaults (`defaults`, the serialized `Settings::default()`), documenting
/// platform keys from [`KEY_DOCS`] and the application's from `app_docs`.
pub(crate) fn render(defaults: &toml::Table, app_docs: &[(&str, &str)]) -> String {
    let docs: Vec<(&str, &str)> = KEY_DOCS.iter().chain(app_docs).copied().collect();
    let mut out = String::from(HEADER);
    for (key, value) in defaults.iter().filter(|(_, value)| !value.is_table()) {
        out.push('\n');
        push_key(&mut out, &docs, key, key, value, false);
    }
    for section in sections() {
        let empty = toml::Table::new();
        let section_defaults = defaults
            .get(section.name)
            .and_then(toml::Value::as_table)
            .unwrap_or(&empty);
        push_section(&mut out, &docs, &section, section_defaults);
    }
    if let Some(app) = defaults.get("app").and_then(toml::Value::as_table)
        && !app.is_empty()
    {
        let section = Section {
            name: "app",
            samples: Vec::new(),
        };
        push_section(&mut out, &docs, &section, app);
    }
    out
}

/// Writes `[name]`, its default keys, its unset options commented out, then one
/// commented-out block per other backend.
fn push_section(
    out: &mut String,
    docs: &[(&str, &str)],
    section: &Section,
    defaults: &toml::Table,
) {
    let _ = write!(out, "\n[{}]\n", section.name);
    for (key, value) in ordered(defaults, section.name, docs) {
        push_key(out, docs, &dotted(section.name, key), key, value, false);
    }
    let Some((shape, others)) = section.samples.split_first() else {
        return;
    };
    for (key, value) in ordered(shape, section.name, docs) {
        if !defaults.contains_key(key) {
            push_key(out, docs, &dotted(section.name, key), key, value, true);
        }
    }
    for other in others {
        push_other_backend(out, docs, section.name, other);
    }
}

/// Writes a commented-out block choosing another backend, with all its keys.
fn push_other_backend(out: &mut String, docs: &[(&str, &str)], port: &str, sample: &toml::Table) {
    let backend = sample
        .get("backend")
        .map(ToString::to_string)
        .unwrap_or_default();
    let _ = write!(out, "\n# Or, to use the {backend} backend instead:\n");
    for (key, value) in ordered(sample, port, docs) {
        if key == "backend" {
            let _ = writeln!(out, "# backend = {backend}");
        } else {
            push_key(out, docs, &dotted(port, key), key, value, true);
        }
    }
}

/// Writes `# <doc>` and `key = value` (commented out when `commented`).
fn push_key(
    out: &mut String,
    docs: &[(&str, &str)],
    dotted_key: &str,
    key: &str,
    value: &toml::Value,
    commented: bool,
) {
    let doc = doc_of(docs, dotted_key).unwrap_or("(undocumented)");
    let _ = writeln!(out, "# {doc}");
    let shown = shown_value(dotted_key, value);
    let comment = if commented { "# " } else { "" };
    let _ = writeln!(out, "{comment}{key} = {shown}");
}

/// The value as TOML, or the secret example for a redacted secret.
fn shown_value(dotted_key: &str, value: &toml::Value) -> String {
    if value.as_str() == Some(REDACTED)
        && let Some((_, example)) = SECRET_EXAMPLES.iter().find(|(key, _)| *key == dotted_key)
    {
        return (*example).to_owned();
    }
    value.to_string()
}

/// The documentation of `dotted_key`.
pub(crate) fn doc_of<'a>(docs: &[(&str, &'a str)], dotted_key: &str) -> Option<&'a str> {
    docs.iter()
        .find(|(key, _)| *key == dotted_key)
        .map(|(_, doc)| *doc)
}

/// `section.key`.
fn dotted(section: &str, key: &str) -> String {
    format!("{section}.{key}")
}

/// The entries of `table`: `backend` first, then in documentation order, then the
/// undocumented ones by name.
fn ordered<'t>(
    table: &'t toml::Table,
    section: &str,
    docs: &[(&str, &str)],
) -> Vec<(&'t str, &'t toml::Value)> {
    let rank = |key: &str| {
        if key == "backend" {
            return 0;
        }
        let dotted_key = dotted(section, key);
        docs.iter()
            .position(|(doc_key, _)| *doc_key == dotted_key)
            .map_or(usize::MAX, |idx| idx + 1)
    };
    let mut entries: Vec<(&str, &toml::Value)> = table
        .iter()
        .map(|(key, value)| (key.as_str(), value))
        .collect();
    entries.sort_by_key(|(key, _)| (rank(key), *key));
    entries
}

/// `value` serialized as a TOML table.
fn table_of(value: &impl Serialize) -> toml::Table {
    toml::Table::try_from(value).unwrap_or_default()
}

/// The platform's sections, each with its default shape fully set and its other backends.
fn sections() -> Vec<Section> {
    let example = |text: &str| Some(text.to_owned());
    let secret = |text: &str| Secret::new(text);
    vec![
        Section {
            name: "aws",
            samples: vec![table_of(&AwsSettings {
                region: AwsSettings::default().region,
                endpoint_url: example("http://localhost:4566"),
                access_key_id: example("AKIAIOSFODNN7EXAMPLE"),
                secret_access_key: Some(secret("example")),
            })],
        },
        Section {
            name: "records",
            samples: vec![
                table_of(&RecordsBackend::Embedded),
                table_of(&RecordsBackend::Dynamodb {
                    table: "localpictourney".to_owned(),
                }),
            ],
        },
        Section {
            name: "media",
            samples: vec![
                table_of(&MediaBackend::Embedded {
                    public_url: super::backends::default_public_url(),
                    signing_key: Some(secret("example")),
                }),
                table_of(&MediaBackend::S3 {
                    bucket: "localpictourney-media".to_owned(),
                    public_url: example("https://media.example.com"),
                    endpoint_url: example("http://127.0.0.1:9000"),
                }),
            ],
        },
        Section {
            name: "stream",
            samples: vec![
                table_of(&StreamBackend::Embedded),
                table_of(&StreamBackend::Kinesis {
                    stream_prefix: "localpictourney-".to_owned(),
                    checkpoint_table: "localpictourney-checkpoints".to_owned(),
                    shards: 1,
                }),
            ],
        },
        Section {
            name: "queue",
            samples: vec![
                table_of(&QueueBackend::default()),
                table_of(&QueueBackend::Sqs {
                    queue_prefix: "localpictourney-".to_owned(),
                    max_receives: super::backends::default_max_receives(),
                }),
            ],
        },
        Section {
            name: "places",
            samples: vec![
                table_of(&PlacesBackend::Embedded {
                    load_default_dataset: super::backends::default_load_default_dataset(),
                    dataset_csv: Some(PathBuf::from("places.csv")),
                }),
                table_of(&PlacesBackend::Postgres {
                    url: secret("example"),
                }),
            ],
        },
        Section {
            name: "search",
            samples: vec![
                table_of(&SearchBackend::Embedded),
                table_of(&SearchBackend::Postgres {
                    url: secret("example"),
                }),
            ],
        },
        Section {
            name: "notifications",
            samples: vec![
                table_of(&NotificationsBackend::Embedded),
                table_of(&NotificationsBackend::Sns {
                    apns_application_arn:
                        "arn:aws:sns:us-east-1:123456789012:app/APNS/localpictourney".to_owned(),
                    apns_sandbox_application_arn: example(
                        "arn:aws:sns:us-east-1:123456789012:app/APNS_SANDBOX/localpictourney",
                    ),
                }),
            ],
        },
        Section {
            name: "identity",
            samples: vec![
                table_of(&IdentityBackend::default()),
                table_of(&IdentityBackend::Disabled),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_example_is_a_documented_key() {
        for (key, _) in SECRET_EXAMPLES {
            assert!(
                doc_of(KEY_DOCS, key).is_some(),
                "{key} has no documentation"
            );
        }
    }

    #[test]
    fn docs_start_with_a_capital_and_keys_are_unique() {
        for (idx, (key, doc)) in KEY_DOCS.iter().enumerate() {
            assert!(doc.starts_with(char::is_uppercase), "{key}: {doc}");
            assert!(
                KEY_DOCS[idx + 1..].iter().all(|(other, _)| other != key),
                "{key} is documented twice"
            );
        }
    }

    #[test]
    fn every_documented_key_is_a_rendered_key() {
        let rendered = crate::settings::Settings::<crate::settings::NoApp>::defaults_toml();
        let mut section = "";
        let mut rendered_keys = Vec::new();
        for line in rendered.lines() {
            if let Some(name) = line
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
            {
                section = name;
                continue;
            }
            let line = line.strip_prefix("# ").unwrap_or(line);
            if let Some((key, _)) = line.split_once(" = ") {
                rendered_keys.push(if section.is_empty() {
                    key.to_owned()
                } else {
                    dotted(section, key)
                });
            }
        }
        for (key, _) in KEY_DOCS {
            assert!(
                rendered_keys.iter().any(|rendered| rendered == key),
                "{key} is documented but no such key exists"
            );
        }
    }

    #[test]
    fn backend_comes_first_then_documentation_order() {
        let table: toml::Table =
            toml::from_str("table = \"t\"\nbackend = \"dynamodb\"\nzzz = 1").expect("parses");
        let keys: Vec<&str> = ordered(&table, "records", KEY_DOCS)
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        assert_eq!(keys, ["backend", "table", "zzz"]);
    }
}
