//! The notifications port ([`ocean::Notifications`]) on Amazon SNS mobile push:
//! [`SnsNotifications`].
//!
//! - **Register** makes or reuses the device's platform endpoint in the platform application
//!   of its push service, following the pattern SNS documents: `CreatePlatformEndpoint`
//!   (idempotent for the same token and attributes); when SNS answers that the endpoint
//!   exists with other attributes (disabled, say), the ARN its message names; then
//!   `GetEndpointAttributes` and, when the endpoint is disabled or holds another token,
//!   `SetEndpointAttributes(Enabled = true, Token)`. The same device always gets the same
//!   endpoint, re-enabled. APNs needs its application (`apns_application_arn`); APNs sandbox
//!   devices need `apns_sandbox_application_arn` and FCM devices an SNS `GCM` application
//!   ([`SnsNotifications::with_fcm_application`]); without one, registering such a device is
//!   [`ocean::Error::Unsupported`].
//! - **Send** publishes to the endpoint ARN with `MessageStructure = json`: for APNs and the
//!   sandbox `{"aps": {"alert": message, "badge": n}, <data keys>}` (a data key `aps` is
//!   [`ocean::Error::Invalid`]), for FCM `{"notification": {"body": message}, "data": {<data
//!   keys>, "badge": "n"}}`, and `default` = the message. `Publish` is sent once, without the
//!   SDK's retries, as the port's at-most-once asks. An unknown, deleted or disabled endpoint
//!   (and a string that is no endpoint ARN) is [`ocean::Error::NotFound`].
//! - **Sent** is [`ocean::Error::Unsupported`]: SNS hands pushes to APNs or FCM and keeps no
//!   record (the conformance suite's `keeps_sent: false`).
//! - [`SnsNotifications::create_platform_application`] creates a platform application with
//!   its push-service credentials, for `init-aws` and tests.
//!
//! Errors map in one place, `error.rs`: throttling, internal and transport failures are
//! [`ocean::Error::Unavailable`] (retryable), parameters SNS refuses
//! [`ocean::Error::Invalid`], the rest [`ocean::Error::Backend`].
//!
//! - **Regions.** Calls about an application or endpoint go to the region its ARN names, so
//!   the applications may live in different regions than the configuration's.
//!
//! Tested against moto 5.2 in server mode (the whole conformance suite), which accepts
//! platform applications with dummy credentials, keeps each published message on its endpoint
//! (a test reads the APNs payload back through `scripts/moto-serial.py`'s endpoint-messages route) and honours `Enabled`.
//! What moto lacks: it keeps one endpoint per token across *all* applications of a region,
//! so the same token registered on APNs and then on FCM gets the APNs endpoint back. This
//! adapter checks that an endpoint belongs to the requested application and answers
//! [`ocean::Error::Backend`] rather than a wrong endpoint; the tests put the three
//! applications in three regions so the suite's "one token on every platform" check runs.
//! SNS scopes tokens per application, and real tokens differ between push services anyway.

mod error;
pub mod notifications;
mod payload;

pub use notifications::{PlatformCredentials, SnsNotifications};
