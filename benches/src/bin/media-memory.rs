//! Peak memory of one media job: one 12-megapixel JPEG through `tourney_media::process_image`
//! (checks, decode, EXIF orientation, three renditions, content hash), as the worker runs it.
//!
//! `cargo run --release -p benches --bin media-memory -- [JPEG_PATH]` (default: a 4000 x 3000
//! picture from `generate_demo_image`). Prints the process's resident set (`VmRSS`) and peak
//! (`VmHWM`, from `/proc/self/status`) before and after the job. The peak is reset (by
//! writing 5 to `/proc/self/clear_refs`) once the input bytes are ready, so drawing the demo
//! picture does not count; where the reset is refused the "before" peak says so.

#![allow(clippy::print_stdout)] // A report's output is its point.

use std::time::Instant;

use anyhow::{Context, Result};
use tourney_media::{ContentType, Limits, generate_demo_image, process_image};

fn main() -> Result<()> {
    let jpeg = match std::env::args().nth(1) {
        Some(path) => std::fs::read(&path).with_context(|| format!("reading {path}"))?,
        None => generate_demo_image(12, 4000, 3000),
    };
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let (rss_before, hwm_before) = memory_kib()?;
    let started = Instant::now();
    let processed = process_image(&jpeg, ContentType::ImageJpeg, &Limits::default())
        .map_err(|rejection| anyhow::anyhow!("refused: {rejection}"))?;
    let elapsed = started.elapsed();
    let (rss_after, hwm_after) = memory_kib()?;
    let megapixels = f64::from(processed.width) * f64::from(processed.height) / 1e6;
    let rendition_bytes: usize = processed.renditions.iter().map(|r| r.jpeg.len()).sum();
    println!(
        "input: {} x {} ({megapixels:.1} MP), {} KiB of JPEG; job took {:.3} s; renditions {} KiB",
        processed.width,
        processed.height,
        jpeg.len() / 1024,
        elapsed.as_secs_f64(),
        rendition_bytes / 1024
    );
    println!(
        "before the job: VmRSS {} MiB, VmHWM {} MiB{}",
        rss_before / 1024,
        hwm_before / 1024,
        if reset {
            " (peak reset)"
        } else {
            " (peak NOT reset: clear_refs refused)"
        }
    );
    println!(
        "after the job:  VmRSS {} MiB, VmHWM {} MiB; peak added by the job: {} MiB",
        rss_after / 1024,
        hwm_after / 1024,
        hwm_after.saturating_sub(rss_before) / 1024
    );
    Ok(())
}

/// `VmRSS` and `VmHWM` of this process, in KiB.
fn memory_kib() -> Result<(u64, u64)> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    let field = |name: &str| -> Result<u64> {
        let line = status
            .lines()
            .find(|line| line.starts_with(name))
            .with_context(|| format!("no {name} in /proc/self/status"))?;
        line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .with_context(|| format!("parsing {line:?}"))
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}
