//! The notifications port: devices registered for mobile push, pushes with a badge and data,
//! and the record of what was sent.

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use async_trait::async_trait;

use crate::error::Result;

/// Which push service a device token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// Apple Push Notification service, production.
    Apns,
    /// Apple Push Notification service, sandbox (development builds).
    ApnsSandbox,
    /// Firebase Cloud Messaging.
    Fcm,
}

/// A device as its app reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Device {
    /// The push service.
    pub platform: Platform,
    /// The service's token for this app on this device.
    pub token: String,
}

/// Where pushes for one device go: an opaque id made by the backend (an SNS endpoint ARN).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint(pub String);

/// One push message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Push {
    /// The text shown.
    pub message: String,
    /// The number on the app icon (unread count), if set.
    pub badge: Option<u32>,
    /// Data for the app (kind, ids), delivered with the message.
    pub data: BTreeMap<String, String>,
}

/// A push as recorded by the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentPush {
    /// Where it went.
    pub endpoint: Endpoint,
    /// What it said.
    pub push: Push,
    /// When it was handed to the push service.
    pub sent_at: SystemTime,
}

/// Mobile push.
#[async_trait]
pub trait Notifications: Send + Sync + fmt::Debug + 'static {
    /// The endpoint for `device`, created on first registration. Idempotent: the same device
    /// always gets the same endpoint, re-enabled if it had been disabled.
    async fn register(&self, device: &Device) -> Result<Endpoint>;

    /// Sends `push` to `endpoint`, at most once (no retry after an ambiguous failure).
    /// [`crate::Error::NotFound`] if the endpoint is unknown or disabled by the push service:
    /// the caller should forget it.
    async fn send(&self, endpoint: &Endpoint, push: &Push) -> Result<()>;

    /// The most recent pushes (newest first, at most `limit`), to `endpoint` or to all.
    /// Backends that hand pushes off without keeping them return
    /// [`crate::Error::Unsupported`].
    async fn sent(&self, endpoint: Option<&Endpoint>, limit: u32) -> Result<Vec<SentPush>>;
}
