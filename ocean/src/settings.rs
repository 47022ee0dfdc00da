//! Typed, layered settings: the platform's tree (data directory, AWS, one backend per port)
//! plus the application's own section, loaded from defaults, a TOML file and `OCEAN__`
//! environment variables, and validated once at start-up.
//!
//! # Layers
//!
//! 1. The built-in defaults of the types (every storage port embedded, identity through
//!    Facebook's Graph API; see `ocean/defaults.toml`, rendered by
//!    [`Settings::defaults_toml`]).
//! 2. The TOML file named by `OCEAN_SETTINGS`: `OCEAN_SETTINGS=local_server` reads
//!    `settings/local_server.toml`.
//! 3. Environment variables `OCEAN__<KEY>`, nested with `__`, parsed to the field's type:
//!    `OCEAN__QUEUE__MAX_RECEIVES=7`, `OCEAN__RECORDS__BACKEND=dynamodb`,
//!    `OCEAN__APP__<KEY>` for the application's section.
//!
//! Each port's backend is a table with a `backend` key and that backend's keys:
//!
//! ```toml
//! [records]
//! backend = "dynamodb"
//! table = "localpictourney"
//! ```
//!
//! Unknown keys (anywhere, including a key the chosen backend does not use), values of the
//! wrong type and values validation refuses all fail loading with a [`SettingsError`] naming
//! the dotted key and where the value came from. Secrets are [`Secret`]s, which never print.
//!
//! # Quick start
//!
//! ```
//! use ocean::settings::{QueueBackend, RecordsBackend, Settings, Sources};
//!
//! let dir = std::env::temp_dir().join(format!("ocean-settings-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! std::fs::write(dir.join("cloud.toml"), "[records]\nbackend = \"dynamodb\"\ntable = \"pics\"\n")?;
//!
//! let sources = Sources {
//!     settings_dir: dir.clone(),
//!     name: Some("cloud".to_owned()),
//!     env: vec![("OCEAN__QUEUE__MAX_RECEIVES".to_owned(), "7".to_owned())],
//! };
//! let settings: Settings = Settings::load_from(&sources)?;
//! assert_eq!(settings.records, RecordsBackend::Dynamodb { table: "pics".to_owned() });
//! assert_eq!(settings.queue, QueueBackend::Embedded { max_receives: 7 });
//!
//! // A typo is refused, naming the key and its origin.
//! let typo = Sources {
//!     env: vec![("OCEAN__QUEUE__MAX_RECIEVES".to_owned(), "7".to_owned())],
//!     ..Sources::default()
//! };
//! let error = Settings::<ocean::settings::NoApp>::load_from(&typo).unwrap_err();
//! assert!(error.to_string().contains("`queue.max_recieves` in environment variable OCEAN__QUEUE__MAX_RECIEVES"));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

mod backends;
mod error;
mod load;
mod render;
mod secret;

pub use backends::{
    IdentityBackend, MediaBackend, NotificationsBackend, PlacesBackend, QueueBackend,
    RecordsBackend, SearchBackend, StreamBackend,
};
pub use error::SettingsError;
pub use load::Sources;
pub use secret::Secret;

/// The whole settings tree: the platform's keys and the application's own section `app`.
///
/// Passed explicitly to whatever needs it (never a global). `App` is the application's
/// settings type, read from the `[app]` table; [`NoApp`] when it has none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings<App = NoApp> {
    /// Directory where the embedded backends keep their files (default `./data`).
    pub data_dir: PathBuf,
    /// AWS connection settings shared by every AWS backend.
    pub aws: AwsSettings,
    /// The records port's backend (default embedded).
    pub records: RecordsBackend,
    /// The media port's backend (default embedded).
    pub media: MediaBackend,
    /// The stream port's backend (default embedded).
    pub stream: StreamBackend,
    /// The job-queue port's backend (default embedded).
    pub queue: QueueBackend,
    /// The places port's backend (default embedded).
    pub places: PlacesBackend,
    /// The search port's backend (default embedded).
    pub search: SearchBackend,
    /// The notifications port's backend (default embedded).
    pub notifications: NotificationsBackend,
    /// The identity port's backend (default Facebook's Graph API).
    pub identity: IdentityBackend,
    /// The application's own settings (the `[app]` table).
    pub app: App,
}

impl<App: Default> Default for Settings<App> {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            aws: AwsSettings::default(),
            records: RecordsBackend::default(),
            media: MediaBackend::default(),
            stream: StreamBackend::default(),
            queue: QueueBackend::default(),
            places: PlacesBackend::default(),
            search: SearchBackend::default(),
            notifications: NotificationsBackend::default(),
            identity: IdentityBackend::default(),
            app: App::default(),
        }
    }
}

/// The `app` section of an application with no settings of its own: an empty table, so
/// any key under `[app]` is refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoApp {}

/// AWS connection settings shared by every AWS backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AwsSettings {
    /// The region (default `us-east-1`).
    pub region: String,
    /// An endpoint for every service, for a local server (e.g. `http://localhost:4566`);
    /// `None`: AWS itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// The access key id; `None`: the default credential chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// The secret access key, set together with `access_key_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<Secret>,
}

impl Default for AwsSettings {
    fn default() -> Self {
        Self {
            region: "us-east-1".to_owned(),
            endpoint_url: None,
            access_key_id: None,
            secret_access_key: None,
        }
    }
}

/// Shortest accepted `media.signing_key`, in bytes.
const MIN_SIGNING_KEY_BYTES: usize = 16;

impl<App: Serialize + DeserializeOwned + Default> Settings<App> {
    /// Loads the process's settings (see [`Sources::from_process`]) and validates them.
    pub fn load() -> Result<Self, SettingsError> {
        Self::load_from(&Sources::from_process())
    }

    /// Loads settings from `sources` (defaults, then the named file, then the `OCEAN__`
    /// variables) and validates them.
    pub fn load_from(sources: &Sources) -> Result<Self, SettingsError> {
        let figment = load::layered(sources)?;
        load::check_port_keys(&figment)?;
        let settings: Self = figment
            .extract_lossy()
            .map_err(|error| load::explain(&error, &figment))?;
        match settings.first_problem() {
            Some((key, message)) => Err(SettingsError::Invalid {
                origin: load::origin_of(&figment, &key, None),
                key,
                message,
            }),
            None => Ok(settings),
        }
    }

    /// The built-in defaults as a TOML file with a comment above every key and the keys
    /// left unset commented out (the committed `ocean/defaults.toml` for [`NoApp`]).
    pub fn defaults_toml() -> String {
        Self::defaults_toml_with_app_docs(&[])
    }

    /// [`Settings::defaults_toml`], documenting the application's keys from `app_docs`
    /// (dotted key such as `app.max_photos`, description).
    pub fn defaults_toml_with_app_docs(app_docs: &[(&str, &str)]) -> String {
        let defaults = toml::Table::try_from(Self::default()).unwrap_or_default();
        render::render(&defaults, app_docs)
    }
}

impl<App> Settings<App> {
    /// Checks what types cannot: names are not empty, URLs have a scheme, `max_receives`
    /// and `timeout_secs` are at least 1, an API version looks like `v19.0`. Loading calls it; call it again after changing settings in code.
    pub fn validate(&self) -> Result<(), SettingsError> {
        match self.first_problem() {
            Some((key, message)) => Err(SettingsError::Invalid {
                key,
                origin: "the settings given".to_owned(),
                message,
            }),
            None => Ok(()),
        }
    }

    /// The first invalid value, as (dotted key, what is wrong).
    fn first_problem(&self) -> Option<(String, String)> {
        let mut checks = Checks::default();
        checks.path("data_dir", &self.data_dir);
        self.check_aws(&mut checks);
        self.check_ports(&mut checks);
        checks.first
    }

    fn check_aws(&self, checks: &mut Checks) {
        let aws = &self.aws;
        checks.non_empty("aws.region", &aws.region);
        checks.optional_http_url("aws.endpoint_url", aws.endpoint_url.as_deref());
        if let Some(key_id) = &aws.access_key_id {
            checks.non_empty("aws.access_key_id", key_id);
        }
        if let Some(secret) = &aws.secret_access_key {
            checks.non_empty("aws.secret_access_key", secret.expose());
        }
        let together = "set access_key_id and secret_access_key together, or neither";
        match (&aws.access_key_id, &aws.secret_access_key) {
            (Some(_), None) => checks.fail("aws.access_key_id", together),
            (None, Some(_)) => checks.fail("aws.secret_access_key", together),
            _ => {}
        }
    }

    fn check_ports(&self, checks: &mut Checks) {
        if let RecordsBackend::Dynamodb { table } = &self.records {
            checks.non_empty("records.table", table);
        }
        match &self.media {
            MediaBackend::Embedded {
                public_url,
                signing_key,
            } => {
                checks.http_url("media.public_url", public_url);
                if let Some(key) = signing_key {
                    checks.signing_key("media.signing_key", key);
                }
            }
            MediaBackend::S3 {
                bucket,
                public_url,
                endpoint_url,
            } => {
                checks.non_empty("media.bucket", bucket);
                checks.optional_http_url("media.public_url", public_url.as_deref());
                checks.optional_http_url("media.endpoint_url", endpoint_url.as_deref());
            }
        }
        if let StreamBackend::Kinesis {
            stream_prefix,
            checkpoint_table,
            shards,
        } = &self.stream
        {
            checks.non_empty("stream.stream_prefix", stream_prefix);
            checks.non_empty("stream.checkpoint_table", checkpoint_table);
            checks.at_least_one("stream.shards", *shards);
        }
        match &self.queue {
            QueueBackend::Embedded { max_receives } => {
                checks.at_least_one("queue.max_receives", *max_receives);
            }
            QueueBackend::Sqs {
                queue_prefix,
                max_receives,
            } => {
                checks.non_empty("queue.queue_prefix", queue_prefix);
                checks.at_least_one("queue.max_receives", *max_receives);
            }
        }
        match &self.places {
            PlacesBackend::Embedded { dataset_csv, .. } => {
                if let Some(path) = dataset_csv {
                    checks.path("places.dataset_csv", path);
                }
            }
            PlacesBackend::Postgres { url } => checks.postgres_url("places.url", url),
        }
        if let SearchBackend::Postgres { url } = &self.search {
            checks.postgres_url("search.url", url);
        }
        if let NotificationsBackend::Sns {
            apns_application_arn,
            apns_sandbox_application_arn,
        } = &self.notifications
        {
            checks.arn("notifications.apns_application_arn", apns_application_arn);
            if let Some(arn) = apns_sandbox_application_arn {
                checks.arn("notifications.apns_sandbox_application_arn", arn);
            }
        }
        if let IdentityBackend::Facebook {
            graph_url,
            api_version,
            timeout_secs,
        } = &self.identity
        {
            checks.http_url("identity.graph_url", graph_url);
            checks.api_version("identity.api_version", api_version);
            checks.at_least_one("identity.timeout_secs", *timeout_secs);
        }
    }
}

/// Validation checks, keeping the first failure.
#[derive(Debug, Default)]
struct Checks {
    first: Option<(String, String)>,
}

impl Checks {
    fn fail(&mut self, key: &str, message: &str) {
        if self.first.is_none() {
            self.first = Some((key.to_owned(), message.to_owned()));
        }
    }

    fn non_empty(&mut self, key: &str, value: &str) {
        if value.trim().is_empty() {
            self.fail(key, "must not be empty");
        }
    }

    fn path(&mut self, key: &str, path: &std::path::Path) {
        if path.as_os_str().is_empty() {
            self.fail(key, "must not be empty");
        }
    }

    fn http_url(&mut self, key: &str, url: &str) {
        let has_host = ["http://", "https://"]
            .iter()
            .any(|scheme| url.len() > scheme.len() && url.starts_with(scheme));
        if !has_host {
            self.fail(key, &format!("{url:?} must start with http:// or https://"));
        }
    }

    fn optional_http_url(&mut self, key: &str, url: Option<&str>) {
        if let Some(url) = url {
            self.http_url(key, url);
        }
    }

    fn postgres_url(&mut self, key: &str, url: &Secret) {
        let url = url.expose();
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            // The value is a secret: say what is wrong without showing it.
            self.fail(key, "must start with postgres:// or postgresql://");
        }
    }

    fn signing_key(&mut self, key: &str, signing_key: &Secret) {
        if signing_key.expose().len() < MIN_SIGNING_KEY_BYTES {
            self.fail(
                key,
                &format!("must have at least {MIN_SIGNING_KEY_BYTES} bytes"),
            );
        }
    }

    fn at_least_one(&mut self, key: &str, value: u32) {
        if value == 0 {
            self.fail(key, "must be at least 1");
        }
    }

    /// `v<major>.<minor>`, both decimal numbers, as the Graph API's path names versions.
    fn api_version(&mut self, key: &str, version: &str) {
        let numbers = version
            .strip_prefix('v')
            .and_then(|rest| rest.split_once('.'));
        let is_number = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        let valid = numbers.is_some_and(|(major, minor)| is_number(major) && is_number(minor));
        if !valid {
            self.fail(key, &format!("{version:?} must look like v19.0"));
        }
    }

    fn arn(&mut self, key: &str, arn: &str) {
        if !arn.starts_with("arn:") {
            self.fail(key, &format!("{arn:?} must be an ARN (arn:...)"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert!(Settings::<NoApp>::default().validate().is_ok());
    }

    #[test]
    fn http_urls_need_a_scheme_and_a_host() {
        let mut checks = Checks::default();
        checks.http_url("k", "https://example.com");
        assert_eq!(checks.first, None);
        for bad in ["example.com", "http://", "ftp://x"] {
            let mut checks = Checks::default();
            checks.http_url("k", bad);
            assert!(checks.first.is_some(), "{bad} accepted");
        }
    }

    #[test]
    fn api_versions_are_v_major_dot_minor() {
        let mut checks = Checks::default();
        checks.api_version("k", "v19.0");
        checks.api_version("k", "v2.12");
        assert_eq!(checks.first, None);
        for bad in ["19.0", "v19", "v19.", "v.0", "vx.1", "v1.2.3", ""] {
            let mut checks = Checks::default();
            checks.api_version("k", bad);
            assert!(checks.first.is_some(), "{bad} accepted");
        }
    }

    #[test]
    fn the_first_problem_wins() {
        let mut checks = Checks::default();
        checks.non_empty("first", "");
        checks.at_least_one("second", 0);
        assert_eq!(checks.first.map(|(key, _)| key).as_deref(), Some("first"));
    }

    #[test]
    fn a_bad_postgres_url_is_named_without_showing_it() {
        let settings = Settings::<NoApp> {
            search: SearchBackend::Postgres {
                url: Secret::new("mysql://root:hunter2@db"),
            },
            ..Settings::default()
        };
        let error = settings.validate().expect_err("not postgres").to_string();
        assert!(error.contains("search.url"), "{error}");
        assert!(!error.contains("hunter2"), "{error} leaks the secret");
    }
}
