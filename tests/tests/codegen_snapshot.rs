//! Snapshots of everything the code generator emits for a small fixture
//! schema (`tests/fixtures/small.toml`): the Rust files, the C files, and
//! the Rust merge under the other op policy.

use ibops_codegen::c::emit_c;
use ibops_codegen::{emit_all, schema};

const FIXTURE: &str = include_str!("../fixtures/small.toml");

fn load(source: &str) -> schema::Schema {
    schema::load("small.toml", source).unwrap_or_else(|e| panic!("{e}"))
}

fn snapshot_name(path: &std::path::Path) -> String {
    path.to_string_lossy().replace(['/', '.'], "_")
}

#[test]
fn fixture_schema_output() {
    for file in emit_all(&load(FIXTURE)) {
        insta::assert_snapshot!(snapshot_name(&file.path), file.contents);
    }
}

#[test]
fn fixture_schema_c_output() {
    let files = emit_c(&load(FIXTURE)).unwrap_or_else(|e| panic!("{e}"));
    for file in files {
        insta::assert_snapshot!(format!("c_{}", snapshot_name(&file.path)), file.contents);
    }
}

#[test]
fn last_wins_merge_output() {
    let source = FIXTURE.replace("merge = \"keep-first\"", "merge = \"last-wins\"");
    let schema = load(&source);
    let merge = emit_all(&schema)
        .into_iter()
        .find(|f| f.path.ends_with("merge.rs"))
        .map(|f| f.contents)
        .unwrap_or_default();
    assert!(
        merge.contains("self.poll_cq = other.poll_cq.or(self.poll_cq);"),
        "{merge}"
    );
    insta::assert_snapshot!("last_wins_merge", merge);
}
