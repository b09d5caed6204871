//! The `ibops-codegen` binary: `generate` and `check` exit codes, messages,
//! and that a broken schema leaves every file untouched.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FIXTURE: &str = include_str!("../../tests/fixtures/small.toml");

/// A fresh workspace root holding the fixture as `ops.toml`.
fn workspace(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(&root).expect("create temp root");
    fs::write(root.join("ops.toml"), FIXTURE).expect("write schema");
    root
}

fn run(root: &Path, command: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ibops-codegen"))
        .args([command, "--root"])
        .arg(root)
        .output()
        .expect("run ibops-codegen")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every generated file under `root`, with its content.
fn snapshot(root: &Path) -> Vec<(PathBuf, String)> {
    ["runtime/src/generated", "derive/src/generated"]
        .iter()
        .flat_map(|dir| fs::read_dir(root.join(dir)).into_iter().flatten().flatten())
        .map(|e| (e.path(), fs::read_to_string(e.path()).unwrap_or_default()))
        .collect()
}

#[test]
fn generate_then_check_then_stale_then_fresh_again() {
    let root = workspace("cycle");
    let out = run(&root, "generate");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 6, "{stdout}");
    assert!(
        stdout
            .lines()
            .all(|l| l.trim_start().starts_with("written")),
        "{stdout}"
    );

    let again = run(&root, "generate");
    assert!(
        text(&again.stdout)
            .lines()
            .all(|l| l.trim_start().starts_with("unchanged"))
    );

    let fresh = run(&root, "check");
    assert_eq!(fresh.status.code(), Some(0), "{}", text(&fresh.stderr));

    let edited = FIXTURE.replace("Polls completions.", "Polls the completion queue.");
    fs::write(root.join("ops.toml"), edited).expect("edit schema");
    let stale = run(&root, "check");
    assert_eq!(stale.status.code(), Some(1));
    let stderr = text(&stale.stderr);
    assert!(
        stderr.contains("stale: runtime/src/generated/ops_struct.rs"),
        "{stderr}"
    );
    assert!(
        stderr.contains("+    /// Polls the completion queue."),
        "{stderr}"
    );
    assert!(stderr.contains("-    /// Polls completions."), "{stderr}");
    assert!(
        !stderr.contains("stale: derive/"),
        "docs do not reach the derive: {stderr}"
    );

    assert!(run(&root, "generate").status.success());
    assert_eq!(run(&root, "check").status.code(), Some(0));
}

#[test]
fn a_broken_schema_writes_nothing() {
    let root = workspace("broken");
    assert!(run(&root, "generate").status.success());
    let before = snapshot(&root);
    assert_eq!(before.len(), 6);

    let broken = FIXTURE.replacen("name = \"poll_cq\"", "name = \"post_send\"", 1);
    let line = broken[..broken.rfind("name = \"post_send\"").expect("dup")]
        .lines()
        .count()
        + 1;
    fs::write(root.join("ops.toml"), &broken).expect("write");
    let out = run(&root, "generate");
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("ops.toml:{line}:8")), "{stderr}");
    assert!(stderr.contains("duplicate op `post_send`"), "{stderr}");
    assert_eq!(
        snapshot(&root),
        before,
        "files changed after a failed generate"
    );
    let leftovers: Vec<_> = fs::read_dir(root.join("runtime/src/generated"))
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn a_missing_schema_is_an_error_not_a_panic() {
    let root = workspace("missing");
    fs::remove_file(root.join("ops.toml")).expect("remove");
    let out = run(&root, "check");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("ops.toml"),
        "{}",
        text(&out.stderr)
    );
}
