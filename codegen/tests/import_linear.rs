//! `import-c` scans in linear time. Before the fix, 100 KB of spaces in a
//! struct body took 2.4 s and 1 MB over a minute (the declaration was
//! re-trimmed on every character, and every `#` scanned back to its line's
//! start). Each input here is 1 MB; the bound sits well above what the
//! linear scan takes even in a debug build on a loaded machine (measured:
//! 0.3-0.8 s each in a debug build, 24-57 ms in a release build) and far
//! below what the quadratic one took.

use std::time::{Duration, Instant};

use ibops_codegen::c::import::import;

const MB: usize = 1 << 20;
const BOUND: Duration = Duration::from_secs(5);

fn time(body: &str) -> Duration {
    let text = format!("struct s {{\n{body}\n\tint (*f)(void);\n}};\n");
    let start = Instant::now();
    // Mid-line `#` is not C: that input is an error, which is fine here.
    let _ = import(&text, "s");
    start.elapsed()
}

#[test]
fn a_megabyte_of_any_filler_is_scanned_in_linear_time() {
    for (what, body) in [
        ("spaces", " ".repeat(MB)),
        ("newlines", "\n".repeat(MB)),
        ("mid-line #", format!("x{}", "#".repeat(MB))),
        ("comments", "/* c */".repeat(MB / 7)),
        (
            "comments inside a declaration",
            format!("int{}", "/* c */".repeat(MB / 7)),
        ),
        ("directives", "#if X\n#endif\n".repeat(MB / 13)),
    ] {
        let took = time(&body);
        assert!(took < BOUND, "1 MB of {what}: {took:?}");
    }
}

#[test]
fn the_filler_does_not_change_what_is_imported() {
    let spaced = format!("struct s {{\n{}\tint (*f)(void);\n}};\n", " ".repeat(MB));
    let imported = import(&spaced, "s").expect("imports");
    assert_eq!(imported.members.len(), 1);
    assert_eq!(imported.members[0].line, 2);
}
