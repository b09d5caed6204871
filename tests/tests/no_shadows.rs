//! Nothing keeps a hand-written copy of a schema: the `Debug` of each ops
//! table is generated and shows every member of its schema (before, a
//! hand-written impl named four and left out `device_group` and
//! `port_groups`), rdma-core's dummies are the schema's ops, and the
//! derive's entry points come from every schema's derive table.

use std::path::Path;

use ibops::IbDeviceOps;
use ibops_soft::SoftConfig;

#[test]
fn the_tables_debug_shows_every_member_of_the_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let schema =
        ibops_codegen::load_schema(&root, Path::new("ops.toml")).unwrap_or_else(|e| panic!("{e}"));
    let shown = format!("{:?}", IbDeviceOps::EMPTY);
    for member in &schema.members {
        assert!(
            shown.contains(&format!("{}: ", member.name)),
            "{} missing from {shown}",
            member.name
        );
    }
    assert!(shown.contains("implemented: []"), "{shown}");
    let dev = SoftConfig::new("no-shadows0").probe().expect("probe");
    let shown = format!("{:?}", dev.ops());
    assert!(shown.contains("\"post_send\""), "{shown}");
    assert!(shown.contains("obj_sizes: ["), "{shown}");
}

/// rdma-core's table's `Debug` shows each op it sets by the schema's name,
/// and every op of the schema has a dummy.
#[test]
fn the_verbs_tables_debug_and_dummies_follow_the_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let schema = ibops_codegen::load_schema(&root, Path::new("schemas/verbs_context_ops.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let dummy = ibops_uverbs::VerbsContextOps::DUMMY;
    let shown = format!("{dummy:?}");
    for op in &schema.ops {
        assert!(
            shown.contains(&format!("\"{}\"", op.name)),
            "{} missing from {shown}",
            op.name
        );
    }
    assert_eq!(dummy.implemented().count(), schema.ops.len());
}

/// The derive includes the table of every schema with a `derive_table`
/// target, and nothing else: its entry points are generated, not listed
/// by hand.
#[test]
fn the_derive_includes_every_schemas_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let lib = std::fs::read_to_string(root.join("derive/src/lib.rs")).expect("derive's lib.rs");
    let included: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("include!(\"")?.strip_suffix("\");"))
        .collect();
    let schema =
        ibops_codegen::load_schema(&root, Path::new("ops.toml")).unwrap_or_else(|e| panic!("{e}"));
    let files = ibops_codegen::workspace_files(&root, &schema).unwrap_or_else(|e| panic!("{e}"));
    let mut tables: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let path = f.path.to_str()?;
            path.strip_prefix("derive/src/").map(str::to_owned)
        })
        .collect();
    tables.sort();
    let mut included: Vec<String> = included.iter().map(|s| (*s).to_owned()).collect();
    included.sort();
    assert_eq!(included, tables);
}
