//! Snapshots of everything the code generator emits for a small fixture
//! schema (`tests/fixtures/small.toml`).

use ibops_codegen::{emit_all, schema};

#[test]
fn fixture_schema_output() {
    let source = include_str!("../fixtures/small.toml");
    let schema = schema::load("small.toml", source).unwrap_or_else(|e| panic!("{e}"));
    for file in emit_all(&schema) {
        let name = file.path.to_string_lossy().replace(['/', '.'], "_");
        insta::assert_snapshot!(name, file.contents);
    }
}
