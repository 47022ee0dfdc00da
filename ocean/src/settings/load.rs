//! The settings layers (a TOML file named by `OCEAN_SETTINGS`, then `OCEAN__` environment
//! variables) as figment providers, and figment's errors turned into [`SettingsError`]s.
//!
//! The built-in defaults are not a layer: serde's defaults fill what the layers leave out,
//! so a file that switches a port's backend never meets the embedded backend's keys.

use std::path::{Path, PathBuf};

use figment::error::Kind;
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider, Source};

use super::backends::{AllPortFields, BackendKeyError, KeyProblem, key_list};
use super::error::SettingsError;
use super::render::is_secret_key;

/// Prefix of the environment variables that set keys: `OCEAN__QUEUE__MAX_RECEIVES=7`.
pub(crate) const ENV_PREFIX: &str = "OCEAN__";
/// The environment variable naming the settings file.
pub(crate) const SETTINGS_NAME_VARIABLE: &str = "OCEAN_SETTINGS";
/// Where settings files live unless [`Sources::settings_dir`] says otherwise.
pub(crate) const DEFAULT_SETTINGS_DIR: &str = "settings";
/// The origin named for values nobody set.
pub(crate) const DEFAULTS_ORIGIN: &str = "defaults";

/// Where settings come from: the settings directory, the file name chosen in it, and the
/// environment variables. [`Sources::from_process`] reads the real environment; tests build
/// one by hand so they never touch the process environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sources {
    /// The directory of settings files (default `settings`).
    pub settings_dir: PathBuf,
    /// The settings file's stem: `Some("local_server")` reads
    /// `<settings_dir>/local_server.toml`; `None` reads no file.
    pub name: Option<String>,
    /// Environment variables as (name, value); only those starting with `OCEAN__` are used,
    /// in order, a later one winning over an earlier one for the same key.
    pub env: Vec<(String, String)>,
}

impl Default for Sources {
    /// The `settings` directory, no file, no variables: the built-in defaults alone.
    fn default() -> Self {
        Self {
            settings_dir: PathBuf::from(DEFAULT_SETTINGS_DIR),
            name: None,
            env: Vec::new(),
        }
    }
}

impl Sources {
    /// The process's sources: `./settings`, the file named by `OCEAN_SETTINGS` (unset or
    /// empty: none) and every `OCEAN__` variable.
    pub fn from_process() -> Self {
        let name = std::env::var_os(SETTINGS_NAME_VARIABLE)
            .map(|name| name.to_string_lossy().into_owned())
            .filter(|name| !name.is_empty());
        let env = std::env::vars_os()
            .map(|(name, value)| {
                (
                    name.to_string_lossy().into_owned(),
                    value.to_string_lossy().into_owned(),
                )
            })
            .filter(|(name, _)| name.starts_with(ENV_PREFIX))
            .collect();
        Self {
            settings_dir: PathBuf::from(DEFAULT_SETTINGS_DIR),
            name,
            env,
        }
    }

    /// The settings file these sources name, if any, after checking the name is a plain
    /// file stem.
    pub fn settings_file(&self) -> Result<Option<PathBuf>, SettingsError> {
        let Some(name) = &self.name else {
            return Ok(None);
        };
        let path = self.settings_dir.join(format!("{name}.toml"));
        if !is_plain_stem(name) {
            return Err(SettingsError::BadName {
                name: name.clone(),
                path,
            });
        }
        Ok(Some(path))
    }
}

/// Whether `name` is 1 or more ASCII letters, digits, `_` or `-`.
fn is_plain_stem(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

/// The layers of `sources` merged in order: the file, then each environment variable.
pub(crate) fn layered(sources: &Sources) -> Result<Figment, SettingsError> {
    let mut figment = Figment::new();
    if let Some(path) = sources.settings_file()? {
        let name = sources.name.clone().unwrap_or_default();
        figment = figment.merge(FileLayer::read(&path, name)?);
    }
    for (variable, value) in &sources.env {
        if let Some(layer) = EnvLayer::parse(variable, value)? {
            figment = figment.merge(layer);
        }
    }
    Ok(figment)
}

/// One TOML settings file, already parsed.
#[derive(Debug)]
struct FileLayer {
    path: PathBuf,
    dict: Dict,
}

impl FileLayer {
    /// Reads and parses the file at `path`, named `name` by `OCEAN_SETTINGS`.
    fn read(path: &Path, name: String) -> Result<Self, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                SettingsError::MissingFile {
                    name,
                    path: path.to_owned(),
                }
            } else {
                SettingsError::ReadFile {
                    path: path.to_owned(),
                    source,
                }
            }
        })?;
        let dict = toml::from_str::<Dict>(&text).map_err(|error| SettingsError::Syntax {
            path: path.to_owned(),
            message: error.message().trim().replace('\n', "; ") + &line_of(&text, error.span()),
        })?;
        Ok(Self {
            path: path.to_owned(),
            dict,
        })
    }
}

/// ` (line N)` for the start of `span` in `text`, or nothing when the span is unknown.
fn line_of(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    let Some(span) = span else {
        return String::new();
    };
    let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
    format!(" (line {line})")
}

impl Provider for FileLayer {
    fn metadata(&self) -> Metadata {
        Metadata::from("settings file", Source::File(self.path.clone()))
    }

    fn data(&self) -> figment::Result<Map<Profile, Dict>> {
        Ok(Profile::Default.collect(self.dict.clone()))
    }
}

/// One `OCEAN__` environment variable, setting one key to a string (figment's lossy
/// extraction parses it to the field's type: numbers, booleans).
#[derive(Debug)]
struct EnvLayer {
    variable: String,
    key_path: Vec<String>,
    value: String,
}

impl EnvLayer {
    /// The layer of one variable; `None` when it does not start with `OCEAN__`.
    fn parse(variable: &str, value: &str) -> Result<Option<Self>, SettingsError> {
        let Some(key) = variable.strip_prefix(ENV_PREFIX) else {
            return Ok(None);
        };
        let key_path: Vec<String> = key.split("__").map(str::to_ascii_lowercase).collect();
        let valid = key_path.iter().all(|segment| is_key_segment(segment));
        if !valid {
            return Err(SettingsError::BadVariable {
                variable: variable.to_owned(),
            });
        }
        Ok(Some(Self {
            variable: variable.to_owned(),
            key_path,
            value: value.to_owned(),
        }))
    }
}

/// Whether `segment` can be one key of a path: ASCII letters, digits and `_`, not starting
/// or ending with `_` (so `__` always separates keys).
fn is_key_segment(segment: &str) -> bool {
    !segment.is_empty()
        && !segment.starts_with('_')
        && !segment.ends_with('_')
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Provider for EnvLayer {
    fn metadata(&self) -> Metadata {
        Metadata::named(format!("environment variable {}", self.variable))
    }

    fn data(&self) -> figment::Result<Map<Profile, Dict>> {
        let mut value = Value::from(self.value.clone());
        for key in self.key_path.iter().rev() {
            let mut dict = Dict::new();
            dict.insert(key.clone(), value);
            value = Value::from(dict);
        }
        let dict = value.into_dict().unwrap_or_default();
        Ok(Profile::Default.collect(dict))
    }
}

/// Fails with the exact key when a port's table sets a key its chosen backend does not
/// use, or lacks one it needs.
pub(crate) fn check_port_keys(figment: &Figment) -> Result<(), SettingsError> {
    let fields: AllPortFields = figment
        .extract_lossy()
        .map_err(|error| explain(&error, figment))?;
    match fields.first_key_error() {
        Some((port, error)) => Err(explain_key_error(port, &error, figment)),
        None => Ok(()),
    }
}

/// A [`BackendKeyError`] in `port` as a [`SettingsError`] naming the key and its origin.
fn explain_key_error(port: &str, error: &BackendKeyError, figment: &Figment) -> SettingsError {
    let key = format!("{port}.{}", error.key);
    match error.problem {
        KeyProblem::NotUsed { used } => SettingsError::UnknownKey {
            origin: origin_of(figment, &key, None),
            allowed: format!("backend `{}` uses only {}", error.backend, key_list(used)),
            key,
        },
        KeyProblem::Required => SettingsError::MissingKey {
            origin: origin_of(figment, &format!("{port}.backend"), None),
            reason: format!("backend `{}` requires it", error.backend),
            key,
        },
    }
}

/// A figment extraction error as a [`SettingsError`] naming the key and its origin.
pub(crate) fn explain(error: &figment::Error, figment: &Figment) -> SettingsError {
    let mut path = error.path.clone();
    let fallback = error.metadata.as_ref();
    match &error.kind {
        Kind::UnknownField(field, expected) => {
            if path.last() != Some(field) {
                path.push(field.clone());
            }
            let key = path.join(".");
            SettingsError::UnknownKey {
                origin: origin_of(figment, &key, fallback),
                allowed: format!("expected one of {}", quoted_list(expected)),
                key,
            }
        }
        Kind::UnknownVariant(found, expected) => {
            let key = path.join(".");
            SettingsError::BadValue {
                origin: origin_of(figment, &key, fallback),
                message: format!(
                    "unknown `{found}`, expected one of {}",
                    quoted_list(expected)
                ),
                key,
            }
        }
        Kind::MissingField(field) => {
            let origin = origin_of(figment, &path.join("."), fallback);
            path.push(field.to_string());
            SettingsError::MissingKey {
                key: path.join("."),
                origin,
                reason: "it is required".to_owned(),
            }
        }
        kind => {
            let key = path.join(".");
            let message = match kind {
                // The message would quote the value, and the value is a secret.
                _ if is_secret_key(&key) => {
                    "must be a string (the value is a secret: not shown)".to_owned()
                }
                Kind::InvalidType(found, expected) if expected.starts_with("struct ") => {
                    format!("found {found}, expected a table")
                }
                kind => kind.to_string(),
            };
            SettingsError::BadValue {
                origin: origin_of(figment, &key, fallback),
                message,
                key,
            }
        }
    }
}

/// `` `a`, `b`, `c` ``.
fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where the value at dotted `key` came from: the layer that set it, else `fallback`'s,
/// else the defaults.
pub(crate) fn origin_of(figment: &Figment, key: &str, fallback: Option<&Metadata>) -> String {
    let found = if key.is_empty() {
        None
    } else {
        figment.find_metadata(key)
    };
    found
        .or(fallback)
        .map_or_else(|| DEFAULTS_ORIGIN.to_owned(), describe)
}

/// A layer's metadata as an origin: `settings file <path>` or `environment variable <NAME>`.
fn describe(metadata: &Metadata) -> String {
    match metadata.source.as_ref().and_then(Source::file_path) {
        Some(path) => format!("settings file {}", path.display()),
        None => metadata.name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_stems_are_letters_digits_underscore_and_dash() {
        assert!(is_plain_stem("local_server-2"));
        for bad in ["", "../etc", "a/b", "prod.toml", ".hidden", "a b"] {
            assert!(!is_plain_stem(bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn env_names_split_on_double_underscore_and_lowercase() {
        let layer = EnvLayer::parse("OCEAN__QUEUE__MAX_RECEIVES", "7")
            .expect("valid")
            .expect("prefixed");
        assert_eq!(layer.key_path, ["queue", "max_receives"]);
        assert!(matches!(EnvLayer::parse("HOME", "/root"), Ok(None)));
    }

    #[test]
    fn env_names_with_empty_or_odd_segments_are_refused() {
        for bad in [
            "OCEAN__",
            "OCEAN__QUEUE____X",
            "OCEAN__QUEUE___X",
            "OCEAN__A-B",
        ] {
            assert!(
                matches!(
                    EnvLayer::parse(bad, "1"),
                    Err(SettingsError::BadVariable { .. })
                ),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn line_of_counts_from_one() {
        assert_eq!(line_of("a\nb\nc", Some(4..5)), " (line 3)");
        assert_eq!(line_of("a", None), "");
    }
}
