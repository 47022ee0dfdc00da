//! The SNS notifications against moto: the whole notifications conformance suite (with
//! `keeps_sent: false`), the APNs payload as moto recorded it, re-enabling a disabled
//! endpoint, and what moto lacks (one endpoint per token across applications of a region).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;

use aws_config::{Region, SdkConfig};
use ocean::notifications::{Device, Endpoint, Platform, Push};
use ocean::{ErrorKind, Notifications};
use ocean_conformance::notifications::{self as suite, NotificationsCapabilities};
use ocean_conformance::servers::{self, MOTO};
use ocean_conformance::{assert_kind, unique};
use ocean_sns::{PlatformCredentials, SnsNotifications};
use serde_json::Value;

/// What moto accepts as push-service credentials.
fn dummy_credentials() -> PlatformCredentials {
    PlatformCredentials {
        principal: Some("dummy certificate".to_owned()),
        credential: "dummy private key".to_owned(),
    }
}

/// The test configuration for moto at `url`, in `region`.
fn config_in(url: &str, region: &'static str) -> SdkConfig {
    ocean_aws::test_config(url)
        .to_builder()
        .region(Region::from_static(region))
        .build()
}

/// A fresh platform application for `platform` in `region`; returns its ARN.
async fn application(url: &str, region: &'static str, platform: Platform) -> String {
    SnsNotifications::create_platform_application(
        &config_in(url, region),
        &unique("photos"),
        platform,
        &dummy_credentials(),
    )
    .await
    .expect("create platform application")
}

/// A backend on moto at `url` with fresh APNs, APNs sandbox and FCM applications, each in
/// its own region: moto keeps one endpoint per token across the applications of a region
/// (SNS scopes it per application), and the suite registers one token on all three.
async fn notifications_on(url: &str) -> SnsNotifications {
    let apns = application(url, "us-east-1", Platform::Apns).await;
    let sandbox = application(url, "us-west-2", Platform::ApnsSandbox).await;
    let fcm = application(url, "eu-west-1", Platform::Fcm).await;
    SnsNotifications::new(&ocean_aws::test_config(url), apns, Some(sandbox))
        .with_fcm_application(fcm)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance() {
    let Some(url) = servers::server(&MOTO, "ocean-sns conformance") else {
        return;
    };
    let notifications = notifications_on(&url).await;
    suite::run_all(
        &notifications,
        NotificationsCapabilities { keeps_sent: false },
    )
    .await;
}

/// The messages moto recorded as published to `endpoint`, oldest first, from the
/// `/ocean-test/sns-endpoint-messages` route of `scripts/moto-serial.py` (which reads moto's
/// own record of the endpoint).
fn published_to(url: &str, endpoint: &Endpoint) -> Vec<Value> {
    let authority = url.trim_start_matches("http://").trim_end_matches('/');
    let mut connection = TcpStream::connect(authority).expect("connect to moto");
    let arn: String = endpoint
        .0
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect();
    // HTTP/1.0: no chunked encoding, the body ends when moto closes the connection.
    let request = format!(
        "GET /ocean-test/sns-endpoint-messages?arn={arn} HTTP/1.0\r\nHost: {authority}\r\n\r\n"
    );
    connection
        .write_all(request.as_bytes())
        .expect("send the request");
    let mut response = String::new();
    connection
        .read_to_string(&mut response)
        .expect("read the response");
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(
        head.starts_with("HTTP/1.") && head.contains(" 200 "),
        "moto has no record of {}: {head} (is moto running through scripts/moto-serial.py?)",
        endpoint.0
    );
    let messages: Vec<String> = serde_json::from_str(body).expect("a JSON list");
    messages
        .iter()
        .map(|message| serde_json::from_str(message).expect("each message is JSON"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn apns_payload_carries_alert_badge_and_data() {
    let Some(url) = servers::server(&MOTO, "ocean-sns APNs payload") else {
        return;
    };
    let notifications = notifications_on(&url).await;
    let device = Device {
        platform: Platform::Apns,
        token: unique("token"),
    };
    let endpoint = notifications.register(&device).await.expect("register");
    let push = Push {
        message: "Your photo won a match".to_owned(),
        badge: Some(4),
        data: BTreeMap::from([
            ("kind".to_owned(), "match_won".to_owned()),
            ("photo_id".to_owned(), "p-42".to_owned()),
        ]),
    };
    notifications.send(&endpoint, &push).await.expect("send");

    let published = published_to(&url, &endpoint);
    assert_eq!(published.len(), 1, "one message: {published:?}");
    let message = &published[0];
    assert_eq!(message["default"], "Your photo won a match");
    let apns: Value =
        serde_json::from_str(message["APNS"].as_str().expect("an APNS payload")).expect("JSON");
    assert_eq!(apns["aps"]["alert"], "Your photo won a match");
    assert_eq!(apns["aps"]["badge"], 4);
    assert_eq!(apns["kind"], "match_won");
    assert_eq!(apns["photo_id"], "p-42");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_disabled_endpoint_is_not_found_until_registered_again() {
    let Some(url) = servers::server(&MOTO, "ocean-sns re-enable") else {
        return;
    };
    let notifications = notifications_on(&url).await;
    let device = Device {
        platform: Platform::ApnsSandbox,
        token: unique("token"),
    };
    let endpoint = notifications.register(&device).await.expect("register");
    // What SNS does when APNs rejects the token.
    let client = aws_sdk_sns::Client::new(&config_in(&url, "us-west-2"));
    client
        .set_endpoint_attributes()
        .endpoint_arn(&endpoint.0)
        .attributes("Enabled", "false")
        .send()
        .await
        .expect("disable the endpoint");
    let push = Push {
        message: "hello".to_owned(),
        ..Push::default()
    };
    assert_kind(
        &notifications.send(&endpoint, &push).await,
        ErrorKind::NotFound,
        "send to a disabled endpoint",
    );

    let again = notifications
        .register(&device)
        .await
        .expect("register again");
    assert_eq!(again, endpoint, "the same endpoint comes back");
    notifications
        .send(&endpoint, &push)
        .await
        .expect("send after re-enabling");

    client
        .delete_endpoint()
        .endpoint_arn(&endpoint.0)
        .send()
        .await
        .expect("delete the endpoint");
    assert_kind(
        &notifications.send(&endpoint, &push).await,
        ErrorKind::NotFound,
        "send to a deleted endpoint",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn moto_shares_a_token_across_applications_of_a_region() {
    let Some(url) = servers::server(&MOTO, "ocean-sns moto token sharing") else {
        return;
    };
    let apns = application(&url, "us-east-1", Platform::Apns).await;
    let fcm = application(&url, "us-east-1", Platform::Fcm).await;
    let notifications =
        SnsNotifications::new(&ocean_aws::test_config(&url), apns, None).with_fcm_application(fcm);
    let token = unique("token");
    notifications
        .register(&Device {
            platform: Platform::Apns,
            token: token.clone(),
        })
        .await
        .expect("register on APNs");
    // moto answers the APNs endpoint; the adapter refuses it rather than return it.
    let result = notifications
        .register(&Device {
            platform: Platform::Fcm,
            token,
        })
        .await;
    assert_kind(
        &result,
        ErrorKind::Backend,
        "the same token on FCM, on moto",
    );

    let sandbox_less = notifications
        .register(&Device {
            platform: Platform::ApnsSandbox,
            token: unique("token"),
        })
        .await;
    assert_kind(
        &sandbox_less,
        ErrorKind::Unsupported,
        "a sandbox device without a sandbox application",
    );
}
