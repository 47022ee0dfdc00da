//! A bare warp hello-world server: the same-run baseline that `scripts/load.sh` measures the
//! real server against (same warp version, same tokio runtime shape, same machine), and the
//! storage floor next to it: what warp answers when each request also writes one record.
//!
//! `cargo run --release -p benches --bin hello-warp -- [ADDR]` (default `127.0.0.1:0`, a free
//! port) prints `serving on http://ADDR` once bound and serves:
//! - `GET /` -> `Hello, world!`;
//! - `GET /body/{n}` -> `n` bytes (at most 1 MiB) of one buffer made at start, as
//!   `application/json`: the hello-world for a response as large as a real one (a
//!   leaderboard page is about 43 KB), shared without copying as the server shares its
//!   encoded board pages;
//! - `PUT /write/{key}` with a small JSON body -> `204`, after one create-if-absent write of
//!   a 200-byte record through the embedded records port (`ocean-embedded`, in a temporary
//!   directory removed on exit), the same durable, group-committed write the real server's
//!   votes and proposals make several of. No routing table, auth, logging or reads besides:
//!   no request that records something can be faster on this storage.

use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use bytes::Bytes;
use ocean::records::{Condition, Item, Key, Records, Write};
use ocean_embedded::EmbeddedRecords;
use warp::http::StatusCode;
use warp::http::header::{CONTENT_TYPE, HeaderValue};
use warp::{Filter, Reply as _};

/// The body every written record carries: about the size of a proposed match.
const RECORD_BYTES: usize = 200;
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
    let data = tempfile::tempdir().context("creating the records' temporary directory")?;
    let records = Arc::new(EmbeddedRecords::open(data.path()).context("opening the records")?);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let address = listener.local_addr().context("reading the bound address")?;
    let hello = warp::path::end().and(warp::get()).map(|| "Hello, world!");
    let buffer = Bytes::from(vec![b' '; MAX_BODY_BYTES]);
    let body = warp::path!("body" / usize)
        .and(warp::get())
        .map(move |n: usize| sized_body(&buffer, n));
    let write = warp::path!("write" / String)
        .and(warp::put())
        .and(warp::body::content_length_limit(1024))
        .and(warp::body::json::<serde_json::Value>())
        .and_then(move |key: String, _body: serde_json::Value| {
            let records = Arc::clone(&records);
            async move { Ok::<_, Infallible>(write_one(records.as_ref(), key).await) }
        });
    let mut stdout = std::io::stdout();
    writeln!(stdout, "serving on http://{address}")?;
    stdout.flush()?;
    warp::serve(hello.or(body).or(write))
        .incoming(listener)
        .run()
        .await;
    drop(data);
    Ok(())
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

/// One create-if-absent record under `key`: 204, or the failure as a 409 or 500 with its text.
async fn write_one(records: &dyn Records, key: String) -> warp::reply::Response {
    let item = Item::new(Key::new("w", key), 1, vec![b'x'; RECORD_BYTES]);
    let write = Write::Put {
        item,
        condition: Condition::Absent,
    };
    match records.write(write).await {
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
