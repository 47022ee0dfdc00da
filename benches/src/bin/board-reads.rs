//! Leaderboard page reads on the embedded backend at a million photos: every page of the
//! global board of each window, read through `Game::board` as the server reads it, with
//! each read's latency.
//!
//! ```sh
//! cargo run --release -p benches --bin board-reads -- --photos 1000000
//! cargo run --release -p benches --bin board-reads -- --help
//! ```
//!
//! Seeding is not timed (see `benches::embedded_game`): photos with random ratings, posted
//! evenly over the last year, so the windows hold from about a hundred photos (this hour)
//! to all of them (this year, all time). For each window the first read ranks the board
//! (timed and reported apart: the server does it once per change, at most once per
//! n × 20 µs); then the bench walks the board from the first page to the last with the
//! cursors, timing each read.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use benches::embedded_game::{Seeding, game_in, seed_photos};
use ocean_embedded::{EmbeddedRecords, EmbeddedStream};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tourney_core::service::{BoardQuery, GameConfig};
use tourney_core::{PageSize, Timestamp, Window};

const HELP: &str = "\
board-reads: latency of every leaderboard page of every window on the embedded backend

USAGE: board-reads [--photos N] [--page-size P] [--max-pages M]

  --photos N      photos, posted evenly over the last 365 days (default 1000000)
  --page-size P   entries per page, 1-200 (default 50, the API's default)
  --max-pages M   pages walked per window at most (default: every page)
  -h, --help      this text

Seeding is not timed. Prints, per window: photos on the board, the first read (which
ranks the board), then pages read and their p50 / p99 / max latency.";

struct Options {
    photos: usize,
    page_size: u32,
    max_pages: usize,
}

fn options() -> Result<Option<Options>> {
    let mut options = Options {
        photos: 1_000_000,
        page_size: 50,
        max_pages: usize::MAX,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--photos" => options.photos = value.parse().context("--photos")?,
            "--page-size" => options.page_size = value.parse().context("--page-size")?,
            "--max-pages" => options.max_pages = value.parse().context("--max-pages")?,
            other => bail!("unknown argument {other:?}\n\n{HELP}"),
        }
    }
    if options.photos < 2 {
        bail!("use --photos >= 2");
    }
    Ok(Some(options))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let Some(options) = options()? else {
        writeln!(std::io::stdout(), "{HELP}")?;
        return Ok(());
    };
    let page_size = PageSize::new(options.page_size)?;
    let dir = tempfile::tempdir()?;
    let records = Arc::new(EmbeddedRecords::open(dir.path())?);
    let stream = Arc::new(EmbeddedStream::open(dir.path())?);
    let config = GameConfig {
        default_place: "la".to_owned(),
        ..GameConfig::default()
    };
    let game = game_in(dir.path(), records.clone(), stream.clone(), config).await?;
    let mut rng = SmallRng::seed_from_u64(1);
    let now = Timestamp::from_millis(1_800_000_000_000);
    let seeding = Seeding {
        photos: options.photos,
        photos_per_owner: 10,
        posted_over: Duration::from_secs(365 * 24 * 3600),
        random_ratings: true,
    };
    let seed_started = Instant::now();
    seed_photos(&game, records.as_ref(), &seeding, now, &mut rng).await?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} photos seeded in {:.1} s (not timed below); pages of {}",
        options.photos,
        seed_started.elapsed().as_secs_f64(),
        options.page_size
    )?;
    writeln!(
        out,
        "\n| window | photos | first read (ranks) | pages | p50 | p99 | max |\n|---|---|---|---|---|---|---|"
    )?;
    let clock = Instant::now();
    // The server's clock: `now`, moving on in real time.
    let now_at = || {
        Timestamp::from_millis(
            now.millis() + i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX),
        )
    };
    for window in [
        Window::ThisHour,
        Window::Today,
        Window::ThisWeek,
        Window::ThisMonth,
        Window::ThisYear,
        Window::AllTime,
    ] {
        let query = |cursor| BoardQuery {
            category: "female".to_owned(),
            place_id: None,
            window,
            count: page_size,
            cursor,
        };
        let started = Instant::now();
        let first = game.board(query(None), now_at()).await?;
        let first_read = started.elapsed();
        let mut n_entries = first.entries.len();
        let mut cursor = first.next_cursor;
        let mut latencies = Vec::new();
        while let Some(next) = cursor.take() {
            if latencies.len() >= options.max_pages {
                break;
            }
            let started = Instant::now();
            let page = game.board(query(Some(next)), now_at()).await?;
            latencies.push(started.elapsed());
            n_entries += page.entries.len();
            cursor = page.next_cursor;
        }
        // The first page again, from the kept ranking, counts as a page read too.
        let started = Instant::now();
        game.board(query(None), now_at()).await?;
        latencies.push(started.elapsed());
        latencies.sort_unstable();
        let percentile = |p: f64| {
            let rank = ((latencies.len() as f64) * p).ceil() as usize;
            latencies[rank.clamp(1, latencies.len()) - 1]
        };
        let photos = if latencies.len() > options.max_pages {
            format!("≥ {n_entries}")
        } else {
            n_entries.to_string()
        };
        writeln!(
            out,
            "| {} | {photos} | {} | {} | {} | {} | {} |",
            window.as_str(),
            millis(first_read),
            latencies.len(),
            millis(percentile(0.50)),
            millis(percentile(0.99)),
            millis(*latencies.last().context("at least one page")?),
        )?;
        out.flush()?;
    }
    Ok(())
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}
