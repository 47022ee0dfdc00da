//! The `Publish` message for a push: `MessageStructure = json`, one payload per platform.
//!
//! APNs (`APNS`, `APNS_SANDBOX`): `{"aps": {"alert": message, "badge": n}, <data keys>}`, the
//! data keys beside `aps` as Apple's custom keys. FCM (`GCM`): `{"notification": {"body":
//! message}, "data": {<data keys>, "badge": "n"}}` (Android has no badge field: the app
//! reads it from the data). `default` carries the message for any other subscriber.

use ocean::notifications::Push;
use ocean::{Error, Result};
use serde_json::{Map, Value, json};

/// SNS's name for a platform, as in application and endpoint ARNs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SnsPlatform {
    /// `APNS`.
    Apns,
    /// `APNS_SANDBOX`.
    ApnsSandbox,
    /// `GCM` (Firebase Cloud Messaging).
    Gcm,
}

impl SnsPlatform {
    /// The name in ARNs and in the message structure.
    pub(crate) fn name(self) -> &'static str {
        match self {
            SnsPlatform::Apns => "APNS",
            SnsPlatform::ApnsSandbox => "APNS_SANDBOX",
            SnsPlatform::Gcm => "GCM",
        }
    }

    /// The platform of an endpoint ARN (`arn:...:endpoint/<PLATFORM>/<app>/<id>`), `None`
    /// for anything else.
    pub(crate) fn of_endpoint(endpoint_arn: &str) -> Option<Self> {
        let (_, path) = endpoint_arn.split_once(":endpoint/")?;
        if !endpoint_arn.starts_with("arn:") {
            return None;
        }
        match path.split('/').next()? {
            "APNS" => Some(SnsPlatform::Apns),
            "APNS_SANDBOX" => Some(SnsPlatform::ApnsSandbox),
            "GCM" => Some(SnsPlatform::Gcm),
            _ => None,
        }
    }
}

/// The `Publish` message (for `MessageStructure = json`) of `push` to an endpoint of
/// `platform`; [`Error::Invalid`] for a data key `aps` on APNs (Apple reserves it).
pub(crate) fn message(platform: SnsPlatform, push: &Push) -> Result<String> {
    let payload = match platform {
        SnsPlatform::Apns | SnsPlatform::ApnsSandbox => apns_payload(push)?,
        SnsPlatform::Gcm => fcm_payload(push),
    };
    let mut structure = Map::new();
    structure.insert("default".to_owned(), Value::String(push.message.clone()));
    structure.insert(
        platform.name().to_owned(),
        Value::String(payload.to_string()),
    );
    Ok(Value::Object(structure).to_string())
}

/// `{"aps": {"alert", "badge"}, <data keys>}`.
fn apns_payload(push: &Push) -> Result<Value> {
    let mut aps = Map::new();
    aps.insert("alert".to_owned(), Value::String(push.message.clone()));
    if let Some(badge) = push.badge {
        aps.insert("badge".to_owned(), json!(badge));
    }
    let mut payload = Map::new();
    payload.insert("aps".to_owned(), Value::Object(aps));
    for (key, value) in &push.data {
        if key == "aps" {
            return Err(Error::invalid(
                "data",
                "the key \"aps\" is Apple's own: name the data key otherwise",
            ));
        }
        payload.insert(key.clone(), Value::String(value.clone()));
    }
    Ok(Value::Object(payload))
}

/// `{"notification": {"body"}, "data": {<data keys>, "badge"}}`.
fn fcm_payload(push: &Push) -> Value {
    let mut data: Map<String, Value> = push
        .data
        .iter()
        .map(|(key, value)| (key.clone(), Value::String(value.clone())))
        .collect();
    if let Some(badge) = push.badge {
        data.entry("badge")
            .or_insert_with(|| Value::String(badge.to_string()));
    }
    json!({ "notification": { "body": push.message }, "data": data })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// A push with a badge and two data keys.
    fn push() -> Push {
        Push {
            message: "a new vote".to_owned(),
            badge: Some(3),
            data: BTreeMap::from([
                ("kind".to_owned(), "vote".to_owned()),
                ("photo_id".to_owned(), "p1".to_owned()),
            ]),
        }
    }

    /// The platform payload inside a `Publish` message.
    fn inner(message: &str, platform: SnsPlatform) -> Value {
        let outer: Value = serde_json::from_str(message).unwrap();
        assert_eq!(outer["default"], "a new vote");
        serde_json::from_str(outer[platform.name()].as_str().unwrap()).unwrap()
    }

    #[test]
    fn apns_carries_alert_badge_and_data() {
        for platform in [SnsPlatform::Apns, SnsPlatform::ApnsSandbox] {
            let payload = inner(&message(platform, &push()).unwrap(), platform);
            assert_eq!(
                payload,
                json!({"aps": {"alert": "a new vote", "badge": 3}, "kind": "vote", "photo_id": "p1"})
            );
        }
        let no_badge = Push {
            badge: None,
            ..push()
        };
        let payload = inner(
            &message(SnsPlatform::Apns, &no_badge).unwrap(),
            SnsPlatform::Apns,
        );
        assert_eq!(payload["aps"], json!({"alert": "a new vote"}));
    }

    #[test]
    fn a_data_key_named_aps_is_invalid_on_apns() {
        let mut push = push();
        push.data.insert("aps".to_owned(), "x".to_owned());
        let error = message(SnsPlatform::Apns, &push).unwrap_err();
        assert_eq!(error.kind(), ocean::ErrorKind::Invalid);
        assert!(message(SnsPlatform::Gcm, &push).is_ok());
    }

    #[test]
    fn fcm_carries_body_and_data_with_the_badge() {
        let payload = inner(
            &message(SnsPlatform::Gcm, &push()).unwrap(),
            SnsPlatform::Gcm,
        );
        assert_eq!(
            payload,
            json!({"notification": {"body": "a new vote"}, "data": {"kind": "vote", "photo_id": "p1", "badge": "3"}})
        );
    }

    #[test]
    fn platforms_come_from_endpoint_arns() {
        let arn = "arn:aws:sns:us-east-1:123456789012:endpoint/APNS_SANDBOX/app/id";
        assert_eq!(
            SnsPlatform::of_endpoint(arn),
            Some(SnsPlatform::ApnsSandbox)
        );
        let arn = "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/id";
        assert_eq!(SnsPlatform::of_endpoint(arn), Some(SnsPlatform::Gcm));
        for not_ours in [
            "no-such-endpoint",
            "arn:aws:sns:us-east-1:1:app/APNS/app",
            "x:endpoint/APNS/a/b",
        ] {
            assert_eq!(SnsPlatform::of_endpoint(not_ours), None, "{not_ours}");
        }
    }
}
