//! The backend choice of each port: one tagged enum per port, read through a flat table of
//! every backend's keys so that a key the chosen backend does not use is refused by name.
//!
//! Serde's internally tagged enums buffer the table before picking the variant, which loses
//! the key path of errors inside the variant and lets a unit variant ignore unknown keys.
//! So each enum serializes as an internally tagged enum (`backend = "dynamodb"` next to the
//! variant's keys) but deserializes through a `*Fields` struct holding every backend's keys
//! as options (`deny_unknown_fields`), then checks that the chosen backend uses each key set.

use std::fmt;
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use super::secret::Secret;

/// Where the records port keeps its items.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
pub enum RecordsBackend {
    /// SQLite in `data_dir` (the default).
    #[default]
    Embedded,
    /// One DynamoDB table.
    Dynamodb {
        /// The table holding every record.
        table: String,
    },
}

/// Where the media port keeps its objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
pub enum MediaBackend {
    /// Files in `data_dir`, served by the application itself (the default).
    Embedded {
        /// The base URL objects are served from (default `http://127.0.0.1:8080`).
        public_url: String,
        /// The key signing upload and read URLs; `None`: the adapter generates one once and
        /// keeps it in `data_dir`.
        #[serde(skip_serializing_if = "Option::is_none")]
        signing_key: Option<Secret>,
    },
    /// An S3 bucket.
    S3 {
        /// The bucket name.
        bucket: String,
        /// The public base URL of the bucket (a CDN), when objects are read without signing.
        #[serde(skip_serializing_if = "Option::is_none")]
        public_url: Option<String>,
        /// An S3 endpoint overriding `aws.endpoint_url` for S3 alone (a local S3 server next
        /// to a local server for the other services); `None`: `aws.endpoint_url`.
        #[serde(skip_serializing_if = "Option::is_none")]
        endpoint_url: Option<String>,
    },
}

impl Default for MediaBackend {
    fn default() -> Self {
        MediaBackend::Embedded {
            public_url: default_public_url(),
            signing_key: None,
        }
    }
}

/// Where the stream port keeps its logs and checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
pub enum StreamBackend {
    /// SQLite in `data_dir` (the default).
    #[default]
    Embedded,
    /// Kinesis data streams, with checkpoints in a DynamoDB table.
    Kinesis {
        /// Prefix of every stream name.
        stream_prefix: String,
        /// The DynamoDB table holding consumer checkpoints.
        checkpoint_table: String,
        /// Shards of a stream created on first use (default 1; more spread the writes).
        shards: u32,
    },
}

/// Where the job-queue port keeps its messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
pub enum QueueBackend {
    /// SQLite in `data_dir` (the default).
    Embedded {
        /// Receives before a message is dead-lettered (default 5).
        max_receives: u32,
    },
    /// SQS queues, each with a dead-letter queue.
    Sqs {
        /// Prefix of every queue name.
        queue_prefix: String,
        /// Receives before a message is dead-lettered (default 5).
        max_receives: u32,
    },
}

impl Default for QueueBackend {
    fn default() -> Self {
        QueueBackend::Embedded {
            max_receives: default_max_receives(),
        }
    }
}

/// Where the places port finds cities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
pub enum PlacesBackend {
    /// An in-memory index loaded at start-up (the default).
    Embedded {
        /// Whether to load the built-in dataset (default `true`).
        load_default_dataset: bool,
        /// A CSV places dataset to load as well.
        #[serde(skip_serializing_if = "Option::is_none")]
        dataset_csv: Option<PathBuf>,
    },
    /// PostgreSQL (with PostGIS).
    Postgres {
        /// The connection URL, credentials included.
        url: Secret,
    },
}

impl Default for PlacesBackend {
    fn default() -> Self {
        PlacesBackend::Embedded {
            load_default_dataset: default_load_default_dataset(),
            dataset_csv: None,
        }
    }
}

/// Where the search port keeps its index.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
pub enum SearchBackend {
    /// SQLite in `data_dir` (the default).
    #[default]
    Embedded,
    /// PostgreSQL (trigram indexes).
    Postgres {
        /// The connection URL, credentials included.
        url: Secret,
    },
}

/// Where the notifications port sends pushes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
pub enum NotificationsBackend {
    /// Recorded in `data_dir`, never delivered (the default).
    #[default]
    Embedded,
    /// SNS mobile push through APNs.
    Sns {
        /// The SNS platform application ARN for production APNs.
        apns_application_arn: String,
        /// The SNS platform application ARN for the APNs sandbox (development builds).
        #[serde(skip_serializing_if = "Option::is_none")]
        apns_sandbox_application_arn: Option<String>,
    },
}

/// Which provider checks external access tokens and says whose they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
pub enum IdentityBackend {
    /// Facebook's Graph API (the default).
    Facebook {
        /// The Graph API's base URL (default `https://graph.facebook.com`); a local fake
        /// server's `http://` URL in tests.
        graph_url: String,
        /// The Graph API version called, `v<major>.<minor>` (default `v19.0`).
        api_version: String,
        /// Seconds one Graph API request may take before it counts as unavailable
        /// (default 10).
        timeout_secs: u32,
    },
    /// No identity provider: a deployment without Facebook.
    Disabled,
}

impl Default for IdentityBackend {
    fn default() -> Self {
        IdentityBackend::Facebook {
            graph_url: default_graph_url(),
            api_version: default_api_version(),
            timeout_secs: default_timeout_secs(),
        }
    }
}

/// The default of `media.public_url` for the embedded backend.
pub(crate) fn default_public_url() -> String {
    "http://127.0.0.1:8080".to_owned()
}

/// The default of `queue.max_receives`.
pub(crate) fn default_max_receives() -> u32 {
    5
}

/// The default of `places.load_default_dataset`.
pub(crate) fn default_load_default_dataset() -> bool {
    true
}

/// The default of `identity.graph_url`.
pub(crate) fn default_graph_url() -> String {
    "https://graph.facebook.com".to_owned()
}

/// The default of `identity.api_version`.
pub(crate) fn default_api_version() -> String {
    "v19.0".to_owned()
}

/// The default of `identity.timeout_secs`.
pub(crate) fn default_timeout_secs() -> u32 {
    10
}

/// A key the chosen backend of a port does not use, or a key it needs that is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BackendKeyError {
    /// The key within the port's table, e.g. `table`.
    pub(crate) key: &'static str,
    /// The chosen backend, e.g. `embedded`.
    pub(crate) backend: &'static str,
    /// What is wrong with it.
    pub(crate) problem: KeyProblem,
}

/// What a [`BackendKeyError`] is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyProblem {
    /// The key is set but the backend does not use it; these are the keys it uses.
    NotUsed { used: &'static [&'static str] },
    /// The backend needs the key and it is not set.
    Required,
}

impl fmt::Display for BackendKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (key, backend) = (self.key, self.backend);
        match self.problem {
            KeyProblem::NotUsed { used } => write!(
                f,
                "key `{key}` is not used by backend `{backend}` (it uses: {})",
                key_list(used)
            ),
            KeyProblem::Required => write!(f, "key `{key}` is required by backend `{backend}`"),
        }
    }
}

/// `backend` and then `keys`, as a comma-separated list of quoted keys.
pub(crate) fn key_list(keys: &[&str]) -> String {
    std::iter::once("backend")
        .chain(keys.iter().copied())
        .map(|key| format!("`{key}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The flat table of one port's keys, turned into the port's backend enum.
pub(crate) trait PortFields: DeserializeOwned {
    /// The backend enum it becomes.
    type Backend;
    /// The chosen backend, checked against the keys set.
    fn into_backend(self) -> Result<Self::Backend, BackendKeyError>;
}

/// Fails when a key in `set` (name, whether set) is set but not among `used`.
fn only_keys(
    backend: &'static str,
    set: &[(&'static str, bool)],
    used: &'static [&'static str],
) -> Result<(), BackendKeyError> {
    let unused = set
        .iter()
        .find(|(key, is_set)| *is_set && !used.contains(key));
    match unused {
        Some((key, _)) => Err(BackendKeyError {
            key,
            backend,
            problem: KeyProblem::NotUsed { used },
        }),
        None => Ok(()),
    }
}

/// The value of a key `backend` needs.
fn required<T>(
    value: Option<T>,
    key: &'static str,
    backend: &'static str,
) -> Result<T, BackendKeyError> {
    value.ok_or(BackendKeyError {
        key,
        backend,
        problem: KeyProblem::Required,
    })
}

/// Implements `Deserialize` for a backend enum through its `*Fields` struct.
macro_rules! deserialize_through_fields {
    ($backend:ty, $fields:ty) => {
        impl<'de> Deserialize<'de> for $backend {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let fields = <$fields>::deserialize(deserializer)?;
                fields.into_backend().map_err(serde::de::Error::custom)
            }
        }
    };
}

deserialize_through_fields!(RecordsBackend, RecordsFields);
deserialize_through_fields!(MediaBackend, MediaFields);
deserialize_through_fields!(StreamBackend, StreamFields);
deserialize_through_fields!(QueueBackend, QueueFields);
deserialize_through_fields!(PlacesBackend, PlacesFields);
deserialize_through_fields!(SearchBackend, SearchFields);
deserialize_through_fields!(NotificationsBackend, NotificationsFields);
deserialize_through_fields!(IdentityBackend, IdentityFields);

/// The backend names of the records port.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RecordsName {
    Embedded,
    Dynamodb,
}

/// Every key of every records backend.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecordsFields {
    backend: Option<RecordsName>,
    table: Option<String>,
}

impl PortFields for RecordsFields {
    type Backend = RecordsBackend;

    fn into_backend(self) -> Result<RecordsBackend, BackendKeyError> {
        let set = [("table", self.table.is_some())];
        match self.backend.unwrap_or(RecordsName::Embedded) {
            RecordsName::Embedded => {
                only_keys("embedded", &set, &[])?;
                Ok(RecordsBackend::Embedded)
            }
            RecordsName::Dynamodb => {
                only_keys("dynamodb", &set, &["table"])?;
                Ok(RecordsBackend::Dynamodb {
                    table: required(self.table, "table", "dynamodb")?,
                })
            }
        }
    }
}

/// The backend names of the media port.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MediaName {
    Embedded,
    S3,
}

/// Every key of every media backend.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MediaFields {
    backend: Option<MediaName>,
    public_url: Option<String>,
    signing_key: Option<Secret>,
    bucket: Option<String>,
    endpoint_url: Option<String>,
}

impl PortFields for MediaFields {
    type Backend = MediaBackend;

    fn into_backend(self) -> Result<MediaBackend, BackendKeyError> {
        let set = [
            ("public_url", self.public_url.is_some()),
            ("signing_key", self.signing_key.is_some()),
            ("bucket", self.bucket.is_some()),
            ("endpoint_url", self.endpoint_url.is_some()),
        ];
        match self.backend.unwrap_or(MediaName::Embedded) {
            MediaName::Embedded => {
                only_keys("embedded", &set, &["public_url", "signing_key"])?;
                Ok(MediaBackend::Embedded {
                    public_url: self.public_url.unwrap_or_else(default_public_url),
                    signing_key: self.signing_key,
                })
            }
            MediaName::S3 => {
                only_keys("s3", &set, &["bucket", "public_url", "endpoint_url"])?;
                Ok(MediaBackend::S3 {
                    bucket: required(self.bucket, "bucket", "s3")?,
                    public_url: self.public_url,
                    endpoint_url: self.endpoint_url,
                })
            }
        }
    }
}

/// The backend names of the stream port.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StreamName {
    Embedded,
    Kinesis,
}

/// Every key of every stream backend.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StreamFields {
    backend: Option<StreamName>,
    stream_prefix: Option<String>,
    checkpoint_table: Option<String>,
    shards: Option<u32>,
}

impl PortFields for StreamFields {
    type Backend = StreamBackend;

    fn into_backend(self) -> Result<StreamBackend, BackendKeyError> {
        let set = [
            ("stream_prefix", self.stream_prefix.is_some()),
            ("checkpoint_table", self.checkpoint_table.is_some()),
            ("shards", self.shards.is_some()),
        ];
        match self.backend.unwrap_or(StreamName::Embedded) {
            StreamName::Embedded => {
                only_keys("embedded", &set, &[])?;
                Ok(StreamBackend::Embedded)
            }
            StreamName::Kinesis => {
                only_keys(
                    "kinesis",
                    &set,
                    &["stream_prefix", "checkpoint_table", "shards"],
                )?;
                Ok(StreamBackend::Kinesis {
                    stream_prefix: required(self.stream_prefix, "stream_prefix", "kinesis")?,
                    checkpoint_table: required(
                        self.checkpoint_table,
                        "checkpoint_table",
                        "kinesis",
                    )?,
                    shards: self.shards.unwrap_or(1),
                })
            }
        }
    }
}

/// The backend names of the job-queue port.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum QueueName {
    Embedded,
    Sqs,
}

/// Every key of every job-queue backend.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueueFields {
    backend: Option<QueueName>,
    max_receives: Option<u32>,
    queue_prefix: Option<String>,
}

impl PortFields for QueueFields {
    type Backend = QueueBackend;

    fn into_backend(self) -> Result<QueueBackend, BackendKeyError> {
        let set = [
            ("max_receives", self.max_receives.is_some()),
            ("queue_prefix", self.queue_prefix.is_some()),
        ];
        let max_receives = self.max_receives.unwrap_or_else(default_max_receives);
        match self.backend.unwrap_or(QueueName::Embedded) {
            QueueName::Embedded => {
                only_keys("embedded", &set, &["max_receives"])?;
                Ok(QueueBackend::Embedded { max_receives })
            }
            QueueName::Sqs => {
                only_keys("sqs", &set, &["queue_prefix", "max_receives"])?;
                Ok(QueueBackend::Sqs {
                    queue_prefix: required(self.queue_prefix, "queue_prefix", "sqs")?,
                    max_receives,
                })
            }
        }
    }
}

/// The backend names of the places port.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PlacesName {
    Embedded,
    Postgres,
}

/// Every key of every places backend.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlacesFields {
    backend: Option<PlacesName>,
    load_default_dataset: Option<bool>,
    dataset_csv: Option<PathBuf>,
    url: Option<Secret>,
}

impl PortFields for PlacesFields {
    type Backend = PlacesBackend;

    fn into_backend(self) -> Result<PlacesBackend, BackendKeyError> {
        let set = [
            ("load_default_dataset", self.load_default_dataset.is_some()),
            ("dataset_csv", self.dataset_csv.is_some()),
            ("url", self.url.is_some()),
        ];
        match self.backend.unwrap_or(PlacesName::Embedded) {
            PlacesName::Embedded => {
                only_keys("embedded", &set, &["load_default_dataset", "dataset_csv"])?;
                Ok(PlacesBackend::Embedded {
                    load_default_dataset: self
                        .load_default_dataset
                        .unwrap_or_else(default_load_default_dataset),
                    dataset_csv: self.dataset_csv,
                })
            }
            PlacesName::Postgres => {
                only_keys("postgres", &set, &["url"])?;
                Ok(PlacesBackend::Postgres {
                    url: required(self.url, "url", "postgres")?,
                })
            }
        }
    }
}

/// The backend names of the search port.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SearchName {
    Embedded,
    Postgres,
}

/// Every key of every search backend.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchFields {
    backend: Option<SearchName>,
    url: Option<Secret>,
}

impl PortFields for SearchFields {
    type Backend = SearchBackend;

    fn into_backend(self) -> Result<SearchBackend, BackendKeyError> {
        let set = [("url", self.url.is_some())];
        match self.backend.unwrap_or(SearchName::Embedded) {
            SearchName::Embedded => {
                only_keys("embedded", &set, &[])?;
                Ok(SearchBackend::Embedded)
            }
            SearchName::Postgres => {
                only_keys("postgres", &set, &["url"])?;
                Ok(SearchBackend::Postgres {
                    url: required(self.url, "url", "postgres")?,
                })
            }
        }
    }
}

/// The backend names of the notifications port.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum NotificationsName {
    Embedded,
    Sns,
}

/// Every key of every notifications backend.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotificationsFields {
    backend: Option<NotificationsName>,
    apns_application_arn: Option<String>,
    apns_sandbox_application_arn: Option<String>,
}

impl PortFields for NotificationsFields {
    type Backend = NotificationsBackend;

    fn into_backend(self) -> Result<NotificationsBackend, BackendKeyError> {
        let set = [
            ("apns_application_arn", self.apns_application_arn.is_some()),
            (
                "apns_sandbox_application_arn",
                self.apns_sandbox_application_arn.is_some(),
            ),
        ];
        match self.backend.unwrap_or(NotificationsName::Embedded) {
            NotificationsName::Embedded => {
                only_keys("embedded", &set, &[])?;
                Ok(NotificationsBackend::Embedded)
            }
            NotificationsName::Sns => {
                only_keys(
                    "sns",
                    &set,
                    &["apns_application_arn", "apns_sandbox_application_arn"],
                )?;
                Ok(NotificationsBackend::Sns {
                    apns_application_arn: required(
                        self.apns_application_arn,
                        "apns_application_arn",
                        "sns",
                    )?,
                    apns_sandbox_application_arn: self.apns_sandbox_application_arn,
                })
            }
        }
    }
}

/// The backend names of the identity port.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum IdentityName {
    Facebook,
    Disabled,
}

/// Every key of every identity backend.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IdentityFields {
    backend: Option<IdentityName>,
    graph_url: Option<String>,
    api_version: Option<String>,
    timeout_secs: Option<u32>,
}

impl PortFields for IdentityFields {
    type Backend = IdentityBackend;

    fn into_backend(self) -> Result<IdentityBackend, BackendKeyError> {
        let set = [
            ("graph_url", self.graph_url.is_some()),
            ("api_version", self.api_version.is_some()),
            ("timeout_secs", self.timeout_secs.is_some()),
        ];
        match self.backend.unwrap_or(IdentityName::Facebook) {
            IdentityName::Facebook => {
                only_keys(
                    "facebook",
                    &set,
                    &["graph_url", "api_version", "timeout_secs"],
                )?;
                Ok(IdentityBackend::Facebook {
                    graph_url: self.graph_url.unwrap_or_else(default_graph_url),
                    api_version: self.api_version.unwrap_or_else(default_api_version),
                    timeout_secs: self.timeout_secs.unwrap_or_else(default_timeout_secs),
                })
            }
            IdentityName::Disabled => {
                only_keys("disabled", &set, &[])?;
                Ok(IdentityBackend::Disabled)
            }
        }
    }
}

/// Every port's table at once, each optional, other keys ignored: the loader reads this
/// before the whole tree to turn a backend-key mistake into an error naming the exact key.
#[derive(Debug, Deserialize)]
pub(crate) struct AllPortFields {
    records: Option<RecordsFields>,
    media: Option<MediaFields>,
    stream: Option<StreamFields>,
    queue: Option<QueueFields>,
    places: Option<PlacesFields>,
    search: Option<SearchFields>,
    notifications: Option<NotificationsFields>,
    identity: Option<IdentityFields>,
}

impl AllPortFields {
    /// The first port (by name) whose backend does not accept its keys, with the reason.
    pub(crate) fn first_key_error(self) -> Option<(&'static str, BackendKeyError)> {
        let errors = [
            ("records", check(self.records)),
            ("media", check(self.media)),
            ("stream", check(self.stream)),
            ("queue", check(self.queue)),
            ("places", check(self.places)),
            ("search", check(self.search)),
            ("notifications", check(self.notifications)),
            ("identity", check(self.identity)),
        ];
        errors
            .into_iter()
            .find_map(|(port, error)| error.map(|error| (port, error)))
    }
}

/// The key error of one port's table, if any.
fn check<F: PortFields>(fields: Option<F>) -> Option<BackendKeyError> {
    fields?.into_backend().err()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(json: &str) -> Result<RecordsBackend, String> {
        serde_json::from_str(json).map_err(|error| error.to_string())
    }

    #[test]
    fn a_missing_backend_means_embedded() {
        assert_eq!(records("{}"), Ok(RecordsBackend::Embedded));
    }

    #[test]
    fn a_key_of_another_backend_is_refused_by_name() {
        let error = records(r#"{"table": "x"}"#).expect_err("embedded has no table");
        assert!(
            error.contains("key `table` is not used by backend `embedded`"),
            "{error}"
        );
    }

    #[test]
    fn a_required_key_is_named() {
        let error = records(r#"{"backend": "dynamodb"}"#).expect_err("dynamodb needs a table");
        assert!(
            error.contains("key `table` is required by backend `dynamodb`"),
            "{error}"
        );
    }

    #[test]
    fn an_unknown_key_is_refused_even_with_a_unit_variant() {
        let error = records(r#"{"backend": "embedded", "tabel": "x"}"#).expect_err("typo");
        assert!(error.contains("tabel"), "{error}");
    }

    #[test]
    fn serialization_is_internally_tagged() {
        let json = serde_json::to_value(RecordsBackend::Dynamodb {
            table: "t".to_owned(),
        })
        .expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({"backend": "dynamodb", "table": "t"})
        );
    }

    #[test]
    fn variant_defaults_fill_missing_keys() {
        let queue: QueueBackend =
            serde_json::from_str(r#"{"backend": "sqs", "queue_prefix": "p"}"#).expect("reads");
        assert_eq!(
            queue,
            QueueBackend::Sqs {
                queue_prefix: "p".to_owned(),
                max_receives: 5
            }
        );
    }

    #[test]
    fn identity_defaults_to_facebook_and_disabled_takes_no_keys() {
        let identity: IdentityBackend = serde_json::from_str("{}").expect("reads");
        assert_eq!(identity, IdentityBackend::default());
        let identity: IdentityBackend =
            serde_json::from_str(r#"{"api_version": "v21.0"}"#).expect("reads");
        assert_eq!(
            identity,
            IdentityBackend::Facebook {
                graph_url: "https://graph.facebook.com".to_owned(),
                api_version: "v21.0".to_owned(),
                timeout_secs: 10
            }
        );
        let error = serde_json::from_str::<IdentityBackend>(
            r#"{"backend": "disabled", "timeout_secs": 3}"#,
        )
        .expect_err("disabled has no timeout");
        assert!(
            error
                .to_string()
                .contains("key `timeout_secs` is not used by backend `disabled`"),
            "{error}"
        );
    }

    #[test]
    fn key_list_starts_with_backend() {
        assert_eq!(key_list(&["table"]), "`backend`, `table`");
    }
}
