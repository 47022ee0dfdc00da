//! A bare warp hello-world server: the same-run baseline that `scripts/load.sh` measures the
//! real server against (same warp version, same tokio runtime shape, same machine), and the
//! storage floor next to it: what warp answers when each request also writes one record.
//!
//! `cargo run --release -p benches --bin hello-warp -- [ADDR [DATA_DIR]]` (default
//! `127.0.0.1:0`, a free port) prints `serving on http://ADDR` once bound and serves:
//! - `GET /` -> `Hello, world!`;
//! - `GET /body/{n}` -> `n` bytes (at most 1 MiB) of one buffer made at start, as
//!   `application/json`: the hello-world for a response as large as a real one (a
//!   leaderboard page is about 43 KB), shared without copying as the server shares its
//!   encoded board pages;
//! - `PUT /write/{key}` with a small JSON body -> `204`, after one create-if-absent write of
//!   a 200-byte record through the embedded records port (`ocean-embedded`), the same
//!   durable, group-committed write the real server's votes and proposals make several of.
//!   No routing table, auth, logging or reads besides: no request that records something
//!   can be faster on this storage. The records go to `DATA_DIR` (`scripts/load.sh` gives
//!   one in its work directory), else to a temporary directory removed when Ctrl-C stops
//!   the server (a few hundred MB after a 20 s load).
//! - `PUT /vote/{key}` -> `204`, after what any vote must do on these ports: read the key
//!   (a vote reads its match), write it if absent (the vote on its match), then append a
//!   150-byte record to the embedded stream (for scoring), each group-committed.

use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use bytes::Bytes;
use ocean::Stream;
use ocean::records::{Condition, Item, Key, Records, Write};
use ocean::stream::NewRecord;
use ocean_embedded::{EmbeddedRecords, EmbeddedStream};
use tourney_core::service::VOTES_STREAM;
use warp::http::StatusCode;
use warp::http::header::{CONTENT_TYPE, HeaderValue};
use warp::{Filter, Reply as _};

/// The body every written record carries: about the size of a proposed match.
const RECORD_BYTES: usize = 200;
/// The stream record `PUT /vote/{key}` appends: about the size of a vote event.
const EVENT_BYTES: usize = 150;
/// The largest body `GET /body/{n}` serves.
const MAX_BODY_BYTES: usize = 1 << 20;

#[tokio::main]
async fn main() -> Result<()> {
    let listen: SocketAddr = match std::env::args().nth(1) {
        Some(text) => text
            .parse()
            .with_context(|| format!("{text:?} is not a socket address (e.g. 127.0.0.1:0)"))?,
        None => SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let (data_dir, temporary) = match std::env::args_os().nth(2) {
        Some(dir) => (PathBuf::from(dir), None),
        None => {
            let temporary =
                tempfile::tempdir().context("creating the records' temporary directory")?;
            (temporary.path().to_owned(), Some(temporary))
        }
    };
    let records = Arc::new(
        EmbeddedRecords::open(&data_dir)
            .with_context(|| format!("opening the records in {}", data_dir.display()))?,
    );
    let stream = Arc::new(
        EmbeddedStream::open(&data_dir)
            .with_context(|| format!("opening the stream in {}", data_dir.display()))?,
    );
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let address = listener.local_addr().context("reading the bound address")?;
    let hello = warp::path::end().and(warp::get()).map(|| "Hello, world!");
    let buffer = Bytes::from(vec![b' '; MAX_BODY_BYTES]);
    let body = warp::path!("body" / usize)
        .and(warp::get())
        .map(move |n: usize| sized_body(&buffer, n));
    let write = put_json("write").and_then({
        let records = Arc::clone(&records);
        move |key: String| {
            let records = Arc::clone(&records);
            async move { Ok::<_, Infallible>(reply(write_one(records.as_ref(), "w", key).await)) }
        }
    });
    let vote = put_json("vote").and_then(move |key: String| {
        let records = Arc::clone(&records);
        let stream = Arc::clone(&stream);
        async move {
            let voted = vote_one(records.as_ref(), stream.as_ref(), key).await;
            Ok::<_, Infallible>(reply(voted))
        }
    });
    let mut stdout = std::io::stdout();
    writeln!(stdout, "serving on http://{address}")?;
    stdout.flush()?;
    warp::serve(hello.or(body).or(write).or(vote))
        .incoming(listener)
        .graceful(async {
            // Failing to listen for Ctrl-C leaves the server to run until it is killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .run()
        .await;
    drop(temporary);
    Ok(())
}

/// `PUT /{route}/{key}` with a small JSON body, parsed as the server parses its bodies (and
/// dropped): extracts the key.
fn put_json(
    route: &'static str,
) -> impl Filter<Extract = (String,), Error = warp::Rejection> + Clone {
    warp::path(route)
        .and(warp::path::param::<String>())
        .and(warp::path::end())
        .and(warp::put())
        .and(warp::body::content_length_limit(1024))
        .and(warp::body::json::<serde_json::Value>())
        .map(|key: String, _body: serde_json::Value| key)
}

/// The first `n` bytes of `buffer` as a JSON response, or 400 past its end.
fn sized_body(buffer: &Bytes, n: usize) -> warp::reply::Response {
    if n > buffer.len() {
        let text = format!("at most {} bytes", buffer.len());
        return warp::reply::with_status(text, StatusCode::BAD_REQUEST).into_response();
    }
    let mut response = warp::reply::Response::new(buffer.slice(..n).into());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// One create-if-absent record under `key` of `partition`.
async fn write_one(records: &dyn Records, partition: &str, key: String) -> ocean::Result<()> {
    let item = Item::new(Key::new(partition, key), 1, vec![b'x'; RECORD_BYTES]);
    records
        .write(Write::Put {
            item,
            condition: Condition::Absent,
        })
        .await
}

/// The storage work of a vote: read `key`, write it if absent, append to the stream.
async fn vote_one(records: &dyn Records, stream: &dyn Stream, key: String) -> ocean::Result<()> {
    records.get(&Key::new("v", key.as_str())).await?;
    write_one(records, "v", key.clone()).await?;
    let event = NewRecord {
        partition_key: key,
        data: vec![b'x'; EVENT_BYTES],
    };
    stream.append(VOTES_STREAM, vec![event]).await
}

/// 204, or the failure as a 409 (conflict) or 500 with its text.
fn reply(result: ocean::Result<()>) -> warp::reply::Response {
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => {
            let status = if error.kind() == ocean::ErrorKind::Conflict {
                StatusCode::CONFLICT
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            warp::reply::with_status(error.to_string(), status).into_response()
        }
    }
}
