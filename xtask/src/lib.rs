//! Helpers for the workspace's tidy tests (`xtask/tests/tidy.rs`): where the workspace is,
//! which Rust files it holds, which crate edges it has and which ARCHITECTURE.md allows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The workspace root: the parent of this crate's folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Every `.rs` file of the workspace, skipping build output and hidden folders.
pub fn rust_files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let path = entry?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name.starts_with('.') || name == "target" || name == "data" || name == "node_modules"
            {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if name.ends_with(".rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Edges between workspace crates, `crate -> {dependencies}`, of every kind (normal, build
/// and dev), read from `cargo metadata`. Every member appears as a key.
pub fn workspace_edges(root: &Path) -> Result<BTreeMap<String, BTreeSet<String>>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let packages = metadata["packages"]
        .as_array()
        .context("metadata has no packages")?;
    let members: BTreeSet<String> = packages
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    let mut edges = BTreeMap::new();
    for package in packages {
        let name = package["name"].as_str().context("package without a name")?;
        let dependencies = package["dependencies"]
            .as_array()
            .context("no dependencies list")?;
        let local: BTreeSet<String> = dependencies
            .iter()
            .filter_map(|d| d["name"].as_str())
            .filter(|d| members.contains(*d) && *d != name)
            .map(str::to_owned)
            .collect();
        edges.insert(name.to_owned(), local);
    }
    Ok(edges)
}

/// The allowed edges written in ARCHITECTURE.md's `allowed-edges` block, one line per crate:
/// `crate -> dep, dep` (nothing after the arrow: no workspace dependency).
pub fn allowed_edges(architecture_md: &str) -> Result<BTreeMap<String, BTreeSet<String>>> {
    let block = architecture_md
        .split("```text allowed-edges")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .context("ARCHITECTURE.md has no ```text allowed-edges block")?;
    let mut allowed = BTreeMap::new();
    for line in block.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, deps) = line
            .split_once("->")
            .with_context(|| format!("allowed-edges line without `->`: {line}"))?;
        let deps = deps
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
            .collect();
        allowed.insert(name.trim().to_owned(), deps);
    }
    Ok(allowed)
}
