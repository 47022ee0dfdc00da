//! Tidy tests: the crate graph matches ARCHITECTURE.md, every Rust file says what it is
//! for, and no unfinished or hidden-test marker slips in.

use xtask::{allowed_edges, rust_files, workspace_edges, workspace_root};

#[test]
fn crate_edges_are_the_ones_architecture_md_allows() {
    let root = workspace_root();
    let architecture = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let allowed = allowed_edges(&architecture).unwrap();
    let actual = workspace_edges(&root).unwrap();
    let mut problems = Vec::new();
    for (name, deps) in &actual {
        let Some(allowed_deps) = allowed.get(name) else {
            problems.push(format!(
                "crate `{name}` is missing from ARCHITECTURE.md's allowed-edges"
            ));
            continue;
        };
        for dep in deps.difference(allowed_deps) {
            problems.push(format!(
                "`{name}` depends on `{dep}`, which ARCHITECTURE.md does not allow"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_rust_file_opens_with_a_module_doc() {
    let root = workspace_root();
    let files = rust_files(&root).unwrap();
    assert!(
        !files.is_empty(),
        "found no Rust files under {}",
        root.display()
    );
    let missing: Vec<_> = files
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            !text.trim_start().starts_with("//!")
        })
        .map(|path| path.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a `//!` header:\n{}",
        missing.join("\n")
    );
}

#[test]
fn no_unfinished_code_or_hidden_tests() {
    // Spelled in pieces so this file does not match itself.
    let banned = [
        concat!("to", "do!("),
        concat!("d", "bg!("),
        concat!("#[", "ignore"),
        concat!("#[", "should_panic"),
    ];
    let root = workspace_root();
    let mut hits = Vec::new();
    for path in rust_files(&root).unwrap() {
        let text = std::fs::read_to_string(&path).unwrap();
        for (line_idx, line) in text.lines().enumerate() {
            for pattern in banned.iter().filter(|p| line.contains(**p)) {
                let shown = path.strip_prefix(&root).unwrap().display();
                hits.push(format!("{shown}:{}: `{pattern}`", line_idx + 1));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "banned markers found:\n{}",
        hits.join("\n")
    );
}

#[test]
fn allowed_edges_parser_reads_arrows_and_empty_lists() {
    let text = "intro\n```text allowed-edges\nglicko2 ->\ntourney-core -> glicko2, ocean\n```\n";
    let allowed = allowed_edges(text).unwrap();
    assert!(allowed["glicko2"].is_empty());
    assert_eq!(
        allowed["tourney-core"]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["glicko2", "ocean"]
    );
}
