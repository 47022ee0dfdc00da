//! The embedded notifications outbox against the notifications conformance suite, plus
//! disabling endpoints and keeping the outbox across reopening.

use std::collections::BTreeMap;

use ocean::ErrorKind;
use ocean::notifications::{Device, Endpoint, Notifications, Platform, Push};
use ocean_conformance::notifications::NotificationsCapabilities;
use ocean_embedded::EmbeddedNotifications;

/// A push saying `message`, with a badge and one data entry.
fn push(message: &str) -> Push {
    Push {
        message: message.to_owned(),
        badge: Some(1),
        data: BTreeMap::from([("kind".to_owned(), "test".to_owned())]),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance() {
    let dir = tempfile::tempdir().expect("temp dir");
    let notifications = EmbeddedNotifications::open(dir.path()).expect("open");
    let capabilities = NotificationsCapabilities { keeps_sent: true };
    ocean_conformance::notifications::run_all(&notifications, capabilities).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disabled_endpoint_is_not_found_until_its_device_registers_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let notifications = EmbeddedNotifications::open(dir.path()).expect("open");
    let device = Device {
        platform: Platform::Apns,
        token: "device-token-1".to_owned(),
    };
    let endpoint = notifications.register(&device).await.expect("register");
    notifications
        .send(&endpoint, &push("before"))
        .await
        .expect("send to an enabled endpoint");
    notifications.disable(&endpoint).await.expect("disable");
    let result = notifications.send(&endpoint, &push("while disabled")).await;
    assert!(
        matches!(result, Err(e) if e.kind() == ErrorKind::NotFound),
        "send to a disabled endpoint is not found"
    );
    let again = notifications.register(&device).await.expect("re-register");
    assert_eq!(again, endpoint, "re-registering gives the same endpoint");
    notifications
        .send(&endpoint, &push("after"))
        .await
        .expect("send to a re-enabled endpoint");
    let messages: Vec<String> = notifications
        .sent(Some(&endpoint), 10)
        .await
        .expect("sent")
        .into_iter()
        .map(|sent| sent.push.message)
        .collect();
    assert_eq!(
        messages,
        ["after", "before"],
        "nothing was recorded while disabled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disable_of_an_unknown_endpoint_is_not_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    let notifications = EmbeddedNotifications::open(dir.path()).expect("open");
    for text in ["embedded:fcm:12345", "not-an-endpoint"] {
        let result = notifications.disable(&Endpoint(text.to_owned())).await;
        assert!(
            matches!(result, Err(e) if e.kind() == ErrorKind::NotFound),
            "disable of {text:?} is not found"
        );
    }
    let endpoint = notifications
        .register(&Device {
            platform: Platform::Fcm,
            token: "t".to_owned(),
        })
        .await
        .expect("register");
    let other_platform = Endpoint(endpoint.0.replace(":fcm:", ":apns:"));
    let result = notifications.send(&other_platform, &push("x")).await;
    assert!(
        matches!(result, Err(e) if e.kind() == ErrorKind::NotFound),
        "an endpoint id under another platform is not found"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn endpoints_and_outbox_survive_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let device = Device {
        platform: Platform::ApnsSandbox,
        token: "kept-token".to_owned(),
    };
    let endpoint = {
        let notifications = EmbeddedNotifications::open(dir.path()).expect("open");
        let endpoint = notifications.register(&device).await.expect("register");
        notifications
            .send(&endpoint, &push("kept"))
            .await
            .expect("send");
        endpoint
    };
    let notifications = EmbeddedNotifications::open(dir.path()).expect("reopen");
    assert_eq!(
        notifications.register(&device).await.expect("register"),
        endpoint,
        "a device keeps its endpoint across reopening"
    );
    let sent = notifications.sent(None, 10).await.expect("sent");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].endpoint, endpoint);
    assert_eq!(sent[0].push, push("kept"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_empty_token_is_invalid() {
    let dir = tempfile::tempdir().expect("temp dir");
    let notifications = EmbeddedNotifications::open(dir.path()).expect("open");
    let result = notifications
        .register(&Device {
            platform: Platform::Fcm,
            token: String::new(),
        })
        .await;
    assert!(matches!(result, Err(e) if e.kind() == ErrorKind::Invalid));
}
