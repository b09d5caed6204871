//! The checked-in generated files are exactly what `ops.toml` generates:
//! editing the schema without running `generate` fails here.

use std::path::Path;

#[test]
fn generated_files_match_the_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let stale =
        ibops_codegen::check(&root, Path::new("ops.toml")).unwrap_or_else(|e| panic!("{e}"));
    let report: Vec<String> = stale
        .iter()
        .map(|s| format!("{}\n{}", s.path.display(), s.diff))
        .collect();
    assert!(
        stale.is_empty(),
        "stale generated files; run `{}`:\n{}",
        ibops_codegen::emit::GENERATE_COMMAND,
        report.join("\n")
    );
}
