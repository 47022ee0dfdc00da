//! [`SnsNotifications`]: the notifications port on SNS platform applications and endpoints.

use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_smithy_types::retry::RetryConfig;
use ocean::notifications::{Device, Endpoint, Notifications, Platform, Push, SentPush};
use ocean::{Error, Result};

use crate::error::{BACKEND, SnsFailure, sns_failure, unexpected};
use crate::payload::{self, SnsPlatform};

/// Most `CreatePlatformEndpoint` attempts of one registration (a second one when the endpoint
/// vanished between its creation and the check of its attributes).
const MAX_REGISTER_ATTEMPTS: u32 = 2;

/// The credentials SNS holds for a platform application, to reach the push service: for
/// APNs the certificate (`principal`) and private key (`credential`), or the team/key id and
/// signing key of token authentication; for FCM the server key or service JSON (`credential`).
#[derive(Clone)]
pub struct PlatformCredentials {
    /// `PlatformPrincipal` (APNs certificate), if the platform takes one.
    pub principal: Option<String>,
    /// `PlatformCredential` (APNs private key, FCM key). Never printed.
    pub credential: String,
}

impl fmt::Debug for PlatformCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformCredentials")
            .field("principal", &self.principal.as_ref().map(|_| "<set>"))
            .field("credential", &"<redacted>")
            .finish()
    }
}

/// The notifications port on Amazon SNS mobile push.
///
/// Each device is one platform endpoint of the platform application for its push service:
/// APNs (required), the APNs sandbox and FCM (optional: without one, registering such a device
/// is [`Error::Unsupported`]). Pushes are published to the endpoint; SNS keeps no record of
/// them, so [`Notifications::sent`] is [`Error::Unsupported`]. Calls about an application or
/// endpoint go to the region its ARN names (applications may live in different regions).
#[derive(Clone)]
pub struct SnsNotifications {
    /// The SNS client of the configuration's region.
    client: Client,
    /// Clients of the other regions the applications' ARNs name.
    regional_clients: BTreeMap<String, Client>,
    /// The APNs platform application.
    apns_application_arn: String,
    /// The APNs sandbox platform application, if any.
    apns_sandbox_application_arn: Option<String>,
    /// The FCM (`GCM`) platform application, if any.
    fcm_application_arn: Option<String>,
}

impl SnsNotifications {
    /// A notifications backend on the SNS of `config`, registering APNs devices with the
    /// platform application `apns_application_arn` and APNs sandbox devices with
    /// `apns_sandbox_application_arn` (`None`: such devices are [`Error::Unsupported`]). FCM
    /// devices need [`SnsNotifications::with_fcm_application`].
    pub fn new(
        config: &aws_config::SdkConfig,
        apns_application_arn: impl Into<String>,
        apns_sandbox_application_arn: Option<String>,
    ) -> Self {
        let mut notifications = SnsNotifications {
            client: Client::new(config),
            regional_clients: BTreeMap::new(),
            apns_application_arn: apns_application_arn.into(),
            apns_sandbox_application_arn,
            fcm_application_arn: None,
        };
        let applications = [
            Some(notifications.apns_application_arn.clone()),
            notifications.apns_sandbox_application_arn.clone(),
        ];
        for application in applications.into_iter().flatten() {
            notifications.add_region_of(&application);
        }
        notifications
    }

    /// This backend, registering FCM devices with the platform application
    /// `fcm_application_arn` (an SNS `GCM` application).
    pub fn with_fcm_application(mut self, fcm_application_arn: impl Into<String>) -> Self {
        let fcm_application_arn = fcm_application_arn.into();
        self.add_region_of(&fcm_application_arn);
        self.fcm_application_arn = Some(fcm_application_arn);
        self
    }

    /// Adds a client for the region of `arn` when it is not the configuration's.
    fn add_region_of(&mut self, arn: &str) {
        let Some(region) = region_of(arn) else {
            return;
        };
        let own_region = self.client.config().region();
        if own_region.is_some_and(|own| own.as_ref() == region)
            || self.regional_clients.contains_key(region)
        {
            return;
        }
        let regional = self
            .client
            .config()
            .to_builder()
            .region(aws_sdk_sns::config::Region::new(region.to_owned()))
            .build();
        self.regional_clients
            .insert(region.to_owned(), Client::from_conf(regional));
    }

    /// The client for the region `arn` names (the configuration's when it names none known).
    fn client_for(&self, arn: &str) -> &Client {
        region_of(arn)
            .and_then(|region| self.regional_clients.get(region))
            .unwrap_or(&self.client)
    }

    /// Creates the SNS platform application `name` for `platform` (`APNS`, `APNS_SANDBOX`
    /// or `GCM`) holding `credentials`, and returns its ARN: for `init-aws` and tests (moto
    /// accepts any credentials; SNS checks them against the push service).
    pub async fn create_platform_application(
        config: &aws_config::SdkConfig,
        name: &str,
        platform: Platform,
        credentials: &PlatformCredentials,
    ) -> Result<String> {
        let mut request = Client::new(config)
            .create_platform_application()
            .name(name)
            .platform(sns_platform(platform).name())
            .attributes("PlatformCredential", credentials.credential.clone());
        if let Some(principal) = &credentials.principal {
            request = request.attributes("PlatformPrincipal", principal.clone());
        }
        let output = request.send().await.map_err(|error| {
            sns_failure("platform_application", error)
                .into_error(&format!("platform application {name}"))
        })?;
        output
            .platform_application_arn
            .ok_or_else(|| unexpected("CreatePlatformApplication returned no ARN"))
    }

    /// The platform application for `platform`, or [`Error::Unsupported`].
    fn application(&self, platform: Platform) -> Result<&str> {
        let application = match platform {
            Platform::Apns => Some(&self.apns_application_arn),
            Platform::ApnsSandbox => self.apns_sandbox_application_arn.as_ref(),
            Platform::Fcm => self.fcm_application_arn.as_ref(),
        };
        application.map(String::as_str).ok_or(Error::Unsupported {
            operation: match platform {
                Platform::Apns => "register an APNs device",
                Platform::ApnsSandbox => "register an APNs sandbox device (no sandbox application)",
                Platform::Fcm => "register an FCM device (no FCM application)",
            },
            backend: BACKEND,
        })
    }

    /// `CreatePlatformEndpoint` for `token` in `application`: the new or existing endpoint
    /// (SNS answers an existing endpoint with other attributes, e.g. disabled, with an error
    /// naming it).
    async fn create_endpoint(&self, application: &str, token: &str) -> Result<String> {
        let created = self
            .client_for(application)
            .create_platform_endpoint()
            .platform_application_arn(application)
            .token(token)
            .send()
            .await;
        let endpoint_arn = match created {
            Ok(output) => output
                .endpoint_arn
                .ok_or_else(|| unexpected("CreatePlatformEndpoint returned no ARN"))?,
            Err(error) => match sns_failure("token", error) {
                SnsFailure::EndpointExists(endpoint_arn) => endpoint_arn,
                SnsFailure::EndpointGone => {
                    return Err(unexpected(format!(
                        "platform application {application} does not exist"
                    )));
                }
                failure => return Err(failure.into_error("endpoint")),
            },
        };
        if !belongs_to(&endpoint_arn, application) {
            return Err(unexpected(format!(
                "SNS gave endpoint {endpoint_arn} of another application for a token of \
                 {application} (moto keeps one endpoint per token across applications)"
            )));
        }
        Ok(endpoint_arn)
    }

    /// Makes `endpoint_arn` enabled with `token` (the push service disables an endpoint
    /// whose token it rejects; the app may come back with the same token). `Ok(false)` when
    /// the endpoint no longer exists.
    async fn enable(&self, endpoint_arn: &str, token: &str) -> Result<bool> {
        let attributes = match self
            .client_for(endpoint_arn)
            .get_endpoint_attributes()
            .endpoint_arn(endpoint_arn)
            .send()
            .await
        {
            Ok(output) => output.attributes.unwrap_or_default(),
            Err(error) => match sns_failure("endpoint", error) {
                SnsFailure::EndpointGone => return Ok(false),
                failure => return Err(failure.into_error(endpoint_arn)),
            },
        };
        let enabled = attributes
            .get("Enabled")
            .is_some_and(|enabled| enabled.eq_ignore_ascii_case("true"));
        let same_token = attributes.get("Token").map(String::as_str) == Some(token);
        if enabled && same_token {
            return Ok(true);
        }
        let updated = self
            .client_for(endpoint_arn)
            .set_endpoint_attributes()
            .endpoint_arn(endpoint_arn)
            .attributes("Token", token)
            .attributes("Enabled", "true")
            .send()
            .await;
        match updated {
            Ok(_) => Ok(true),
            Err(error) => match sns_failure("endpoint", error) {
                SnsFailure::EndpointGone => Ok(false),
                failure => Err(failure.into_error(endpoint_arn)),
            },
        }
    }
}

/// SNS's platform for ocean's.
fn sns_platform(platform: Platform) -> SnsPlatform {
    match platform {
        Platform::Apns => SnsPlatform::Apns,
        Platform::ApnsSandbox => SnsPlatform::ApnsSandbox,
        Platform::Fcm => SnsPlatform::Gcm,
    }
}

impl fmt::Debug for SnsNotifications {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnsNotifications")
            .field("region", &self.client.config().region())
            .field("other_regions", &self.regional_clients.keys())
            .field("apns_application_arn", &self.apns_application_arn)
            .field(
                "apns_sandbox_application_arn",
                &self.apns_sandbox_application_arn,
            )
            .field("fcm_application_arn", &self.fcm_application_arn)
            .finish()
    }
}

/// The region of an SNS ARN (`arn:<partition>:sns:<region>:<account>:...`).
fn region_of(arn: &str) -> Option<&str> {
    let mut fields = arn.split(':');
    match (fields.next(), fields.next(), fields.next(), fields.next()) {
        (Some("arn"), Some(_), Some("sns"), Some(region)) if !region.is_empty() => Some(region),
        _ => None,
    }
}

/// Whether endpoint `arn:...:endpoint/<P>/<name>/<id>` belongs to application
/// `arn:...:app/<P>/<name>`.
fn belongs_to(endpoint_arn: &str, application_arn: &str) -> bool {
    let endpoint_prefix = format!("{}/", application_arn.replacen(":app/", ":endpoint/", 1));
    endpoint_arn.starts_with(&endpoint_prefix)
}

#[async_trait]
impl Notifications for SnsNotifications {
    /// `CreatePlatformEndpoint` (idempotent in SNS for the same token and attributes), the
    /// existing endpoint when SNS names one with other attributes, then
    /// `GetEndpointAttributes` and, if it is disabled or holds another token,
    /// `SetEndpointAttributes(Enabled = true, Token)`: the pattern SNS documents for
    /// registering a device.
    async fn register(&self, device: &Device) -> Result<Endpoint> {
        if device.token.is_empty() {
            return Err(Error::invalid("token", "empty: register a device token"));
        }
        let application = self.application(device.platform)?;
        for _ in 0..MAX_REGISTER_ATTEMPTS {
            let endpoint_arn = self.create_endpoint(application, &device.token).await?;
            if self.enable(&endpoint_arn, &device.token).await? {
                return Ok(Endpoint(endpoint_arn));
            }
        }
        Err(Error::Unavailable {
            backend: BACKEND,
            source: "the endpoint kept vanishing while it was registered".into(),
        })
    }

    /// `Publish` to the endpoint ARN with `MessageStructure = json` (see the crate docs for
    /// the payloads), never retried: an ambiguous failure may have delivered the push.
    async fn send(&self, endpoint: &Endpoint, push: &Push) -> Result<()> {
        let not_found = || Error::not_found(format!("endpoint {}", endpoint.0));
        let Some(platform) = SnsPlatform::of_endpoint(&endpoint.0) else {
            return Err(not_found());
        };
        let message = payload::message(platform, push)?;
        let published = self
            .client_for(&endpoint.0)
            .publish()
            .target_arn(&endpoint.0)
            .message(message)
            .message_structure("json")
            .customize()
            .config_override(
                aws_sdk_sns::config::Config::builder().retry_config(RetryConfig::disabled()),
            )
            .send()
            .await;
        match published {
            Ok(_) => Ok(()),
            Err(error) => match sns_failure("push", error) {
                SnsFailure::EndpointGone => Err(not_found()),
                failure => Err(failure.into_error(&endpoint.0)),
            },
        }
    }

    /// Unsupported: SNS hands pushes to the push service and keeps no record of them.
    async fn sent(&self, _endpoint: Option<&Endpoint>, _limit: u32) -> Result<Vec<SentPush>> {
        Err(Error::Unsupported {
            operation: "list sent pushes",
            backend: BACKEND,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{belongs_to, region_of};

    #[test]
    fn regions_come_from_arns() {
        assert_eq!(
            region_of("arn:aws:sns:eu-west-1:123456789012:app/GCM/photos"),
            Some("eu-west-1")
        );
        assert_eq!(region_of("no-such-endpoint"), None);
        assert_eq!(region_of("arn:aws:sqs:eu-west-1:1:q"), None);
    }

    #[test]
    fn endpoints_belong_to_their_application() {
        let app = "arn:aws:sns:us-east-1:123456789012:app/APNS/photos";
        assert!(belongs_to(
            "arn:aws:sns:us-east-1:123456789012:endpoint/APNS/photos/1f2e",
            app
        ));
        for other in [
            "arn:aws:sns:us-east-1:123456789012:endpoint/APNS/photos-dev/1f2e",
            "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/photos/1f2e",
            "arn:aws:sns:us-east-1:123456789012:endpoint/APNS_SANDBOX/photos/1f2e",
        ] {
            assert!(!belongs_to(other, app), "{other}");
        }
    }
}
