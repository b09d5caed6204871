//! Compile-fail and must-compile tests of `#[derive(DeviceOps)]` and
//! `#[device_ops]`, and of rdma-core's table's `#[derive(VerbsContextOps)]`
//! and `#[verbs_ops]` (`fail_verbs_*`, `pass_verbs_*`) (trybuild).
//!
//! rustc's wording changes between compiler versions, so the `.stderr` files
//! belong to the version in `tests/ui/RUSTC_VERSION`; on that version these
//! tests always run. On another version they are skipped with a message. To
//! re-record on a new compiler:
//!
//! ```sh
//! rustc --version > tests/ui/RUSTC_VERSION
//! TRYBUILD=overwrite cargo test -p ibops-tests --test ui
//! ```
//! then review the `.stderr` diffs before committing them.

use std::process::Command;

fn rustc_version() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let out = Command::new(rustc)
        .arg("--version")
        .output()
        .expect("run rustc --version");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn ui() {
    let recorded = include_str!("../ui/RUSTC_VERSION").trim();
    let current = rustc_version();
    if current != recorded {
        eprintln!(
            "SKIPPED: UI tests were recorded with `{recorded}`, this is `{current}`; \
             see tests/tests/ui.rs to re-record"
        );
        return;
    }
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass_*.rs");
    cases.compile_fail("ui/fail_*.rs");
}
