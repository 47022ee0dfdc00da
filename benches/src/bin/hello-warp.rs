//! A bare warp hello-world server: the same-run baseline that `scripts/load.sh` measures the
//! real server against (same warp version, same tokio runtime shape, same machine).
//!
//! `cargo run --release -p benches --bin hello-warp -- [ADDR]` (default `127.0.0.1:0`, a free
//! port) serves `GET /` -> `Hello, world!` and prints `serving on http://ADDR` once bound.

use std::io::Write as _;
use std::net::SocketAddr;

use anyhow::{Context, Result};
use warp::Filter;

#[tokio::main]
async fn main() -> Result<()> {
    let listen: SocketAddr = match std::env::args().nth(1) {
        Some(text) => text
            .parse()
            .with_context(|| format!("{text:?} is not a socket address (e.g. 127.0.0.1:0)"))?,
        None => SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let address = listener.local_addr().context("reading the bound address")?;
    let hello = warp::path::end().and(warp::get()).map(|| "Hello, world!");
    let mut stdout = std::io::stdout();
    writeln!(stdout, "serving on http://{address}")?;
    stdout.flush()?;
    warp::serve(hello).incoming(listener).run().await;
    Ok(())
}
