//! [`Secret`]: a settings string (a password, a key, a database URL) that never prints.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a [`Secret`] prints, serializes and debug-formats as, instead of its value.
pub(crate) const REDACTED: &str = "[redacted]";

/// A secret settings value (a password, a signing key, a database URL with credentials).
///
/// It reads from a plain string but never shows its value: `Debug`, `Display` and
/// `Serialize` all write `[redacted]`, so settings can be logged whole. Call
/// [`Secret::expose`] only where the value is handed to the backend that needs it.
///
/// ```
/// use ocean::settings::Secret;
///
/// let password = Secret::new("hunter2");
/// assert_eq!(format!("{password} {password:?}"), "[redacted] [redacted]");
/// assert_eq!(password.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value itself, for the one place that must use it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

/// Reads a secret from a string. The placeholder `[redacted]` itself is refused: it means
/// serialized settings were fed back in, and the real value was lost on the way.
impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        if value == REDACTED {
            return Err(serde::de::Error::custom(
                "a secret cannot be the placeholder \"[redacted]\": give the real value",
            ));
        }
        Ok(Self(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_display_and_serialize_hide_the_value() {
        let secret = Secret::new("swordfish");
        let debug = format!("{secret:?}");
        let display = secret.to_string();
        let json = serde_json::to_string(&secret).expect("serializes");
        for shown in [&debug, &display, &json] {
            assert!(!shown.contains("swordfish"), "{shown} leaks the secret");
            assert!(
                shown.contains(REDACTED),
                "{shown} does not say it is redacted"
            );
        }
        assert_eq!(secret.expose(), "swordfish");
    }

    #[test]
    fn reads_from_a_string_and_refuses_the_placeholder() {
        let secret: Secret = serde_json::from_str("\"swordfish\"").expect("reads");
        assert_eq!(secret, Secret::new("swordfish"));
        let placeholder = serde_json::from_str::<Secret>("\"[redacted]\"");
        assert!(placeholder.is_err(), "the placeholder was accepted");
    }
}
