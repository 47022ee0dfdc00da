//! Error reporting: with a Sentry DSN, every 5xx and every failed worker step reaches the
//! Sentry endpoint as an event (here a loopback endpoint that captures envelopes), and no
//! token does.

use std::sync::Arc;
use std::time::Duration;

use ocean_conformance::faulty::{FaultPlan, Faulty};
use tokio::sync::mpsc;
use tourney_wiring::observability::{SentryOptions, start_sentry, subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use warp::Filter;

use crate::support::{TestServer, sign_up};

/// A loopback "Sentry" that hands every envelope it receives to the returned channel; its
/// DSN.
async fn capturing_sentry() -> (String, mpsc::UnboundedReceiver<String>) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let envelopes = warp::post()
        .and(warp::path!("api" / String / "envelope"))
        .and(warp::body::bytes())
        .map(move |_project: String, body: hyper::body::Bytes| {
            let _ = sender.send(String::from_utf8_lossy(&body).into_owned());
            warp::reply()
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(warp::serve(envelopes).incoming(listener).run());
    (format!("http://publickey@{address}/1"), receiver)
}

/// The next envelope whose text contains `needle` (within 10 s).
async fn envelope_with(receiver: &mut mpsc::UnboundedReceiver<String>, needle: &str) -> String {
    let wait = async {
        loop {
            let envelope = receiver.recv().await.expect("the capture server runs");
            if envelope.contains(needle) {
                return envelope;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("no Sentry event containing {needle:?}"))
}

// One thread, so the server's tasks log through this test's subscriber.
#[tokio::test(flavor = "current_thread")]
async fn server_errors_and_failed_worker_steps_become_sentry_events_without_tokens() {
    let (dsn, mut envelopes) = capturing_sentry().await;
    let _sentry = start_sentry(&SentryOptions {
        dsn: Some(dsn),
        environment: Some("test".to_owned()),
        capture_panics: false,
    })
    .expect("sentry starts")
    .expect("a client");
    let _logs = tracing::subscriber::set_default(subscriber(
        false,
        Targets::new().with_default(LevelFilter::WARN),
    ));

    let records_down = FaultPlan::never();
    let plan = Arc::clone(&records_down);
    let server = TestServer::start_with(
        |_| {},
        move |state| {
            state.modified(|state| {
                let records: Arc<dyn ocean::Records> =
                    Arc::new(Faulty::new(Arc::clone(&state.ports.records), plan));
                state.ports.records = Arc::clone(&records);
                state.game = tourney_core::service::Game::new(
                    tourney_core::service::GamePorts {
                        records,
                        ..state.game.ports().clone()
                    },
                    state.game.config().clone(),
                );
            })
        },
    )
    .await;
    let (_, token) = sign_up(&server).await;
    records_down.fail_after_more(0);
    let auth = format!("Bearer {token}");
    let response = server
        .request(
            "GET",
            "/v1/users/me",
            &[("authorization", auth.as_str())],
            Vec::new(),
        )
        .await;
    assert_eq!(response.status, 503, "{}", response.text());
    let event = envelope_with(&mut envelopes, "server error").await;
    assert!(event.contains("\"environment\":\"test\""), "{event}");
    assert!(!event.contains(&token), "no token in the event: {event}");

    let worker = tourney_worker::Worker::new(server.game.clone(), Duration::from_millis(1));
    // One step (it fails: the records are down), then the stop request.
    worker.run(std::future::ready(())).await;
    envelope_with(&mut envelopes, "worker step failed").await;
    records_down.heal();
    server.stop().await;
}
