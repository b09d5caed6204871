//! The repository is self-contained: no source, test, script or manifest
//! refers to a path outside its root. A user clones it alone and runs
//! README's commands; before this test, `tests/tests/seed.rs` read the seed
//! patch from a `shared/` folder that only CI happened to lay beside the
//! clone.
//!
//! A relative path climbs out when it has more `../` steps than the folders
//! between its file and the root (`include_str!` and manifests resolve
//! from their file's folder; scripts here `cd` to the root first, which
//! their one `..` does). Documentation is not read: it may describe the
//! world outside.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Folders that hold build output or local fuzzing state, not the product.
const SKIPPED: [&str; 5] = ["target", ".git", "corpus", "artifacts", "snapshots"];

/// Every file below `dir` that is code, a script or a manifest.
fn product_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            if !SKIPPED.contains(&name.as_str()) {
                product_files(&path, out);
            }
        } else {
            let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
            let code = matches!(
                ext.as_deref(),
                Some("rs" | "sh" | "py" | "toml" | "c" | "h" | "yml" | "yaml")
            ) || name == "run";
            if code {
                out.push(path);
            }
        }
    }
}

/// The relative paths in `text` that climb above the root from a file
/// `depth` folders below it, with their line numbers.
fn climbing_out(text: &str, depth: usize) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("../") {
            let run = &rest[at..];
            let steps = run.len() - run.trim_start_matches("../").len();
            let steps = steps / 3;
            if steps > depth {
                found.push((n + 1, line.trim().to_owned()));
                break;
            }
            rest = &run[steps * 3..];
        }
        if line.contains("shared/seeds") {
            found.push((n + 1, line.trim().to_owned()));
        }
    }
    found
}

#[test]
fn no_file_refers_to_a_path_outside_the_repository() {
    let root = root();
    let mut files = Vec::new();
    product_files(&root, &mut files);
    assert!(
        files.len() > 100,
        "the walk found the sources ({})",
        files.len()
    );
    let mut outside = Vec::new();
    for file in &files {
        let Ok(text) = fs::read_to_string(file) else {
            continue;
        };
        let relative = file.strip_prefix(&root).unwrap_or(file);
        let depth = relative.components().count() - 1;
        for (line, text) in climbing_out(&text, depth) {
            outside.push(format!("{}:{line}: {text}", relative.display()));
        }
    }
    // This file names the pattern it looks for.
    outside.retain(|hit| !hit.starts_with("tests/tests/self_contained.rs"));
    assert!(
        outside.is_empty(),
        "paths outside the repository:\n{}",
        outside.join("\n")
    );
}

#[test]
fn the_check_sees_a_path_that_climbs_out() {
    let planted = "const PATCH: &str = include_str!(\"../../../elsewhere/x.txt\");";
    assert_eq!(climbing_out(planted, 2).len(), 1);
    assert!(climbing_out(planted, 3).is_empty());
    assert!(climbing_out("ibops = { path = \"../../runtime\" }", 2).is_empty());
}
