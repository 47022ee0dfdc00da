//! Prints the medians criterion recorded under `target/criterion` as a markdown table,
//! with, for every other entry of a group, the ratio of our entry's median (`glicko2` or
//! `ours`) to that entry's, ready to paste into BENCHMARKS.md.
//!
//! Run after `cargo bench -p benches`: `cargo run -p benches --bin bench-report [-- DIR]`.

#![allow(clippy::print_stdout)] // A report's output is its point.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The entry measured against the others in each group.
const OURS: &[&str] = &["glicko2", "ours"];

fn main() -> Result<()> {
    let root = match std::env::args().nth(1) {
        Some(arg) if arg == "--help" || arg == "-h" => {
            println!("usage: bench-report [CRITERION_DIR]  (default: target/criterion)");
            return Ok(());
        }
        Some(dir) => PathBuf::from(dir),
        None => workspace_target().join("criterion"),
    };
    let medians = read_medians(&root)?;
    anyhow::ensure!(
        !medians.is_empty(),
        "no criterion results under {}; run `cargo bench -p benches` first",
        root.display()
    );
    println!("| group | entry | median | ours ÷ this |");
    println!("|---|---|---|---|");
    for (group, entries) in &medians {
        let ours = entries
            .iter()
            .find(|(name, _)| OURS.contains(&name.as_str()))
            .map(|(_, ns)| *ns);
        for (name, ns) in entries {
            let ratio = match ours {
                Some(ours_ns) if !OURS.contains(&name.as_str()) => format!("{:.2}x", ours_ns / ns),
                _ => String::new(),
            };
            println!("| {group} | {name} | {} | {ratio} |", human(*ns));
        }
    }
    Ok(())
}

/// `group -> [(entry, median ns)]` from `<root>/<group>/<entry>/new/estimates.json`.
fn read_medians(root: &Path) -> Result<BTreeMap<String, Vec<(String, f64)>>> {
    let mut medians: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    for group_dir in sorted_dirs(root)? {
        for entry_dir in sorted_dirs(&group_dir)? {
            let estimates = entry_dir.join("new").join("estimates.json");
            let Ok(text) = std::fs::read_to_string(&estimates) else {
                continue;
            };
            let json: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("parsing {}", estimates.display()))?;
            let median = json["median"]["point_estimate"]
                .as_f64()
                .with_context(|| format!("no median in {}", estimates.display()))?;
            let benchmark = entry_dir.join("new").join("benchmark.json");
            let (group, entry) =
                names(&benchmark).unwrap_or_else(|| (file_name(&group_dir), file_name(&entry_dir)));
            medians.entry(group).or_default().push((entry, median));
        }
    }
    Ok(medians)
}

/// The group and function names as criterion recorded them (folder names are sanitised).
fn names(benchmark_json: &Path) -> Option<(String, String)> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(benchmark_json).ok()?).ok()?;
    Some((
        json["group_id"].as_str()?.to_owned(),
        json["function_id"].as_str()?.to_owned(),
    ))
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_dir() && file_name(path) != "report")
        .collect();
    dirs.sort();
    Ok(dirs)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn workspace_target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
        },
        PathBuf::from,
    )
}

/// Nanoseconds in the most readable unit.
fn human(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}
