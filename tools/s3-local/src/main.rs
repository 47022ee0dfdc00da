//! `s3-local`: a local S3 server for the adapters' integration tests. It serves a directory
//! through s3s-fs (one folder per bucket), checks every SigV4 signature (headers, presigned
//! URLs, POST forms) against one static key pair, and speaks path-style addressing only.
//!
//! Differences from running the s3s-fs binary: TCP_NODELAY on every connection (without it
//! each GET waits 30-45 ms on delayed ACKs), per-key locks so a read never pairs one write's
//! bytes with another write's content type ([`atomic`]), anonymous object reads allowed
//! unless `--private` (a public-read bucket, for public media URLs; [`access`]), and a
//! request-time skew window as wide as a SigV4 credential's life, so a POST upload signed an
//! hour ago is judged by its policy's expiration as on AWS, not refused after s3s's default
//! 15 minutes.

mod access;
mod atomic;

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use hyper_util::rt::TokioIo;
use s3s::auth::SimpleAuth;
use s3s::config::{S3Config, StaticConfigProvider};
use s3s::service::{S3Service, S3ServiceBuilder};
use tokio::net::TcpListener;

use crate::access::PublicReads;
use crate::atomic::AtomicFileSystem;

/// The longest a SigV4 signature can be valid (seven days), in seconds.
const MAX_SIGNATURE_AGE_SECS: u32 = 7 * 24 * 3600;

/// A local S3 server (s3s-fs) for tests: path-style, SigV4-checked with one static key pair.
///
/// Buckets are folders under ROOT; objects are files in them (attributes beside them).
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
struct Cli {
    /// The directory holding the buckets (created if missing).
    #[arg(long)]
    root: PathBuf,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The port to listen on (0: any free port, printed at start).
    #[arg(long, default_value_t = 9000)]
    port: u16,
    /// The access key id clients sign with.
    #[arg(long, default_value = "test")]
    access_key: String,
    /// The secret key clients sign with.
    #[arg(long, default_value = "test")]
    secret_key: String,
    /// Refuse anonymous object reads too (by default they are allowed, as with a
    /// public-read bucket policy; every other anonymous request is refused).
    #[arg(long)]
    private: bool,
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let cli = Cli::parse();
    std::fs::create_dir_all(&cli.root)?;
    let root = cli.root.canonicalize()?;
    let service = build_service(&cli, &root)?;
    let listener = TcpListener::bind((cli.host.as_str(), cli.port)).await?;
    let address = listener.local_addr()?;
    writeln!(
        io::stdout(),
        "s3-local serving {} on http://{address}",
        root.display()
    )?;
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = ctrl_c.as_mut() => return Ok(()),
        };
        let socket = match accepted {
            Ok((socket, _peer)) => socket,
            // A connection that failed before it was accepted (e.g. reset) concerns no one
            // else; too many open files passes once others close.
            Err(error) => {
                writeln!(io::stderr(), "s3-local: accept failed: {error}")?;
                continue;
            }
        };
        socket.set_nodelay(true)?;
        let service = service.clone();
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(socket), service);
            // A client that goes away mid-request is its own problem.
            let _ = connection.await;
        });
    }
}

/// The S3 service over `root` with `cli`'s keys and access policy.
fn build_service(cli: &Cli, root: &std::path::Path) -> io::Result<S3Service> {
    let store = s3s_fs::FileSystem::new(root)
        .map_err(|error| io::Error::other(format!("opening {}: {error:?}", root.display())))?;
    let mut builder = S3ServiceBuilder::new(AtomicFileSystem::new(store));
    builder.set_auth(SimpleAuth::from_single(
        cli.access_key.clone(),
        cli.secret_key.clone(),
    ));
    builder.set_access(PublicReads {
        allowed: !cli.private,
    });
    let mut config = S3Config::default();
    config.presigned_url_max_skew_time_secs = MAX_SIGNATURE_AGE_SECS;
    builder.set_config(Arc::new(StaticConfigProvider::new(Arc::new(config))));
    Ok(builder.build())
}
