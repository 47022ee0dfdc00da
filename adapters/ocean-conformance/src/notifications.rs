//! Conformance checks for the notifications port: idempotent registration, sending, the
//! record of what was sent (or its documented absence), and unknown endpoints.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use futures_util::future::join_all;
use ocean::ErrorKind;
use ocean::notifications::{Device, Endpoint, Notifications, Platform, Push, SentPush};

use crate::{assert_kind, unique};

/// What a notifications backend can do, so the suite checks the documented alternative
/// instead of skipping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationsCapabilities {
    /// Whether `sent` returns what was sent (an outbox) or [`ErrorKind::Unsupported`] (a
    /// backend that hands pushes off without keeping them).
    pub keeps_sent: bool,
}

/// Runs every notifications check, one after the other; `capabilities` says whether `sent`
/// must return the pushes or must be unsupported.
pub async fn run_all(notifications: &dyn Notifications, capabilities: NotificationsCapabilities) {
    register_is_idempotent(notifications).await;
    concurrent_registrations_make_one_endpoint(notifications).await;
    send_to_unknown_endpoint_is_not_found(notifications).await;
    if capabilities.keeps_sent {
        sent_to_endpoint_lists_pushes_newest_first(notifications).await;
        sent_to_all_lists_every_endpoint_newest_first(notifications).await;
    } else {
        sent_is_unsupported_and_sends_succeed(notifications).await;
    }
}

/// A device no other check uses.
fn fresh_device(platform: Platform) -> Device {
    Device {
        platform,
        token: unique("token"),
    }
}

/// A push with every field set, its text and data naming `label`.
fn full_push(label: &str, badge: u32) -> Push {
    Push {
        message: format!("{label}: you have a new vote"),
        badge: Some(badge),
        data: BTreeMap::from([
            ("kind".to_owned(), "vote".to_owned()),
            ("photo_id".to_owned(), format!("photo-{label}")),
            ("note".to_owned(), "a=b; c/d + é".to_owned()),
        ]),
    }
}

/// Registering one device twice gives the same endpoint; another token or another platform
/// gives another endpoint.
pub async fn register_is_idempotent(notifications: &dyn Notifications) {
    let device = fresh_device(Platform::Apns);
    let first = notifications
        .register(&device)
        .await
        .expect("register a new device");
    let again = notifications
        .register(&device)
        .await
        .expect("register the device again");
    assert_eq!(
        first, again,
        "register is idempotent: the same device gets the same endpoint"
    );

    let other_token = fresh_device(Platform::Apns);
    let other_token_endpoint = notifications
        .register(&other_token)
        .await
        .expect("register a device with another token");
    assert_ne!(
        first, other_token_endpoint,
        "another token gets another endpoint"
    );

    let other_platform = Device {
        platform: Platform::Fcm,
        token: device.token.clone(),
    };
    let other_platform_endpoint = notifications
        .register(&other_platform)
        .await
        .expect("register the token on another platform");
    assert_ne!(
        first, other_platform_endpoint,
        "the same token on another platform gets another endpoint"
    );
    let sandbox = Device {
        platform: Platform::ApnsSandbox,
        token: device.token.clone(),
    };
    let sandbox_endpoint = notifications
        .register(&sandbox)
        .await
        .expect("register the token on the sandbox platform");
    assert_ne!(
        first, sandbox_endpoint,
        "the same token on the APNs sandbox gets another endpoint than on APNs"
    );
}

/// Eight concurrent registrations of one new device all get the same endpoint.
pub async fn concurrent_registrations_make_one_endpoint(notifications: &dyn Notifications) {
    let device = fresh_device(Platform::Fcm);
    let registrations = (0..8).map(|_| notifications.register(&device));
    let endpoints = join_all(registrations).await;
    let endpoints = endpoints
        .into_iter()
        .collect::<ocean::Result<Vec<_>>>()
        .expect("concurrent registrations of one device succeed");
    assert!(
        endpoints.iter().all(|endpoint| *endpoint == endpoints[0]),
        "concurrent registrations of one device make one endpoint, got {endpoints:?}"
    );
    let later = notifications
        .register(&device)
        .await
        .expect("register after the race");
    assert_eq!(
        later, endpoints[0],
        "a registration after the race gets the raced endpoint"
    );
}

/// Sending to an endpoint the backend never made is NotFound.
pub async fn send_to_unknown_endpoint_is_not_found(notifications: &dyn Notifications) {
    let unknown = Endpoint(unique("no-such-endpoint"));
    assert_kind(
        &notifications.send(&unknown, &full_push("unknown", 1)).await,
        ErrorKind::NotFound,
        "send to an unknown endpoint",
    );
}

/// `sent(Some(endpoint), n)` lists the pushes to that endpoint, newest first, with message,
/// badge and data as sent and a send time within the call; at most `n`.
pub async fn sent_to_endpoint_lists_pushes_newest_first(notifications: &dyn Notifications) {
    let endpoint = notifications
        .register(&fresh_device(Platform::Apns))
        .await
        .expect("register a device");
    let first = full_push("first", 3);
    let second = Push {
        message: "second".to_owned(),
        badge: None,
        data: BTreeMap::new(),
    };
    let third = full_push("third", 0);
    let before = SystemTime::now();
    for push in [&first, &second, &third] {
        notifications
            .send(&endpoint, push)
            .await
            .expect("send to a registered endpoint");
    }
    let after = SystemTime::now();

    let sent = notifications
        .sent(Some(&endpoint), 10)
        .await
        .expect("sent to one endpoint");
    let pushes: Vec<&Push> = sent.iter().map(|sent_push| &sent_push.push).collect();
    assert_eq!(
        pushes,
        [&third, &second, &first],
        "sent(endpoint) lists exactly the pushes to it, newest first, as sent"
    );
    for sent_push in &sent {
        assert_eq!(
            sent_push.endpoint, endpoint,
            "sent(endpoint) names the endpoint"
        );
        assert_sent_within(sent_push, before, after);
    }

    let newest = notifications
        .sent(Some(&endpoint), 1)
        .await
        .expect("sent with limit 1");
    assert_eq!(newest.len(), 1, "sent honours its limit");
    assert_eq!(newest[0].push, third, "sent with limit 1 gives the newest");
    let none = notifications
        .sent(Some(&endpoint), 0)
        .await
        .expect("sent with limit 0");
    assert!(none.is_empty(), "sent with limit 0 gives nothing");
}

/// Panics unless `sent_push` was sent between `before` and `after` (one second of slack for
/// clock granularity).
#[track_caller]
fn assert_sent_within(sent_push: &SentPush, before: SystemTime, after: SystemTime) {
    let slack = Duration::from_secs(1);
    assert!(
        sent_push.sent_at + slack >= before && sent_push.sent_at <= after + slack,
        "sent_at is when the push was handed off: {:?} is outside {before:?}..{after:?}",
        sent_push.sent_at
    );
}

/// `sent(None, n)` includes pushes to several endpoints, newest first, at most `n`.
pub async fn sent_to_all_lists_every_endpoint_newest_first(notifications: &dyn Notifications) {
    let endpoint_a = notifications
        .register(&fresh_device(Platform::Fcm))
        .await
        .expect("register device a");
    let endpoint_b = notifications
        .register(&fresh_device(Platform::ApnsSandbox))
        .await
        .expect("register device b");
    let label = unique("all");
    let sends = [
        (&endpoint_a, full_push(&format!("{label}-1"), 1)),
        (&endpoint_b, full_push(&format!("{label}-2"), 2)),
        (&endpoint_a, full_push(&format!("{label}-3"), 3)),
    ];
    for (endpoint, push) in &sends {
        notifications
            .send(endpoint, push)
            .await
            .expect("send to a registered endpoint");
    }

    let all = notifications
        .sent(None, 1000)
        .await
        .expect("sent to all endpoints");
    assert!(all.len() <= 1000, "sent(None) honours its limit");
    let ours: Vec<(&Endpoint, &Push)> = all
        .iter()
        .filter(|sent_push| sent_push.endpoint == endpoint_a || sent_push.endpoint == endpoint_b)
        .map(|sent_push| (&sent_push.endpoint, &sent_push.push))
        .collect();
    let expected: Vec<(&Endpoint, &Push)> = sends
        .iter()
        .rev()
        .map(|(endpoint, push)| (*endpoint, push))
        .collect();
    assert_eq!(
        ours, expected,
        "sent(None) includes the pushes to every endpoint, newest first"
    );

    let two = notifications
        .sent(None, 2)
        .await
        .expect("sent to all with limit 2");
    assert_eq!(
        two.len(),
        2,
        "sent(None, 2) gives exactly 2 when more were sent"
    );
}

/// For a backend that does not keep pushes: sends succeed and `sent` (for one endpoint or
/// all) is exactly Unsupported.
pub async fn sent_is_unsupported_and_sends_succeed(notifications: &dyn Notifications) {
    let endpoint = notifications
        .register(&fresh_device(Platform::Apns))
        .await
        .expect("register a device");
    notifications
        .send(&endpoint, &full_push("unkept", 5))
        .await
        .expect("send succeeds on a backend that does not keep pushes");
    assert_kind(
        &notifications.sent(Some(&endpoint), 10).await,
        ErrorKind::Unsupported,
        "sent(endpoint) on a backend that does not keep pushes",
    );
    assert_kind(
        &notifications.sent(None, 10).await,
        ErrorKind::Unsupported,
        "sent(None) on a backend that does not keep pushes",
    );
}
