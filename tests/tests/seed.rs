//! `schemas/seed.toml` against the seed patch that introduced `struct
//! ib_device_ops`, through a fixture of ours written from its facts
//! (`tests/fixtures/seed/ib_device_ops.c`: the 86 ops in order with their C
//! prototypes, which of them the patch documented, and its `SET_DEVICE_OP`
//! lines): the round trip through the C importer (the same ops, order and
//! prototypes) and the emitted `SET_DEVICE_OP` lines against the seed's,
//! byte for byte; and today's `ops.toml` against the kernel's 17 mandatory
//! ops, which have not changed since.

use std::path::Path;

use ibops::{OPS, OpId};
use ibops_codegen::c::decl::{CDecl, normalize};
use ibops_codegen::c::{emit_c, import};

/// The seed's struct and merge lines, as the fixture states them.
const SEED: &str = include_str!("../fixtures/seed/ib_device_ops.c");

fn schema() -> ibops_codegen::Schema {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    ibops_codegen::load_schema(&root, Path::new("schemas/seed.toml"))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn importing_the_seed_reproduces_the_schemas_ops_and_prototypes() {
    let imported = import::import(SEED, "ib_device_ops").unwrap_or_else(|e| panic!("{e}"));
    let seed: Vec<(String, String)> = imported
        .members
        .iter()
        .map(|m| match &m.decl {
            CDecl::FnPointer(f) => (f.name.clone(), f.to_string()),
            CDecl::Field { name, .. } | CDecl::ObjSize { name } => {
                panic!("the seed's struct has only ops, found `{name}`")
            }
        })
        .collect();
    assert_eq!(seed.len(), 86);
    let ours: Vec<(String, String)> = schema()
        .ops
        .iter()
        .map(|op| {
            let c = op.c.as_ref().map(ToString::to_string).unwrap_or_default();
            (op.name.clone(), normalize(&c))
        })
        .collect();
    assert_eq!(ours, seed);
}

#[test]
fn imported_skeleton_keeps_the_seeds_comments_as_docs() {
    let imported = import::import(SEED, "ib_device_ops").unwrap_or_else(|e| panic!("{e}"));
    let documented: Vec<&str> = imported
        .members
        .iter()
        .filter(|m| m.doc.is_some())
        .map(|m| m.decl.name())
        .collect();
    assert_eq!(
        documented,
        [
            "get_port_immutable",
            "get_netdev",
            "alloc_rdma_netdev",
            "query_gid",
            "add_gid",
            "del_gid",
            "alloc_hw_stats",
            "get_hw_stats"
        ]
    );
    let skeleton = imported.to_skeleton("seed");
    assert_eq!(skeleton.matches("[[op]]").count(), 86);
}

#[test]
fn emitted_set_device_op_lines_are_the_seeds() {
    let seed: Vec<&str> = SEED
        .lines()
        .filter(|l| l.starts_with("\tSET_DEVICE_OP("))
        .collect();
    assert_eq!(seed.len(), 86);
    let files = emit_c(&schema()).unwrap_or_else(|e| panic!("{e}"));
    let source = files
        .iter()
        .find(|f| f.path.extension().is_some_and(|e| e == "c"))
        .map(|f| f.contents.as_str())
        .unwrap_or_default();
    let emitted: Vec<&str> = source
        .lines()
        .filter(|l| l.starts_with("\tSET_DEVICE_OP("))
        .collect();
    assert_eq!(emitted, seed);
}

#[test]
fn mandatory_ops_are_the_kernels_17() {
    let mut mandatory: Vec<&str> = OpId::MANDATORY.iter().map(|op| op.name()).collect();
    mandatory.sort_unstable();
    let mut expected = vec![
        "query_device",
        "query_port",
        "alloc_pd",
        "dealloc_pd",
        "create_qp",
        "modify_qp",
        "destroy_qp",
        "post_send",
        "post_recv",
        "create_cq",
        "destroy_cq",
        "poll_cq",
        "req_notify_cq",
        "get_dma_mr",
        "reg_user_mr",
        "dereg_mr",
        "get_port_immutable",
    ];
    expected.sort_unstable();
    assert_eq!(mandatory, expected);
    assert!(
        OPS.iter()
            .all(|info| info.mandatory == OpId::MANDATORY.contains(&info.id))
    );
}

#[test]
fn every_op_has_a_c_prototype_naming_it_and_a_doc() {
    for info in &OPS {
        assert!(
            info.c.contains(&format!("(*{})(", info.name)),
            "{}: {}",
            info.name,
            info.c
        );
        assert!(!info.doc.is_empty());
    }
}

/// The seed is a target of its own: `generate` writes its C to `c/seed/`
/// (checked in, kept fresh by the freshness test), whose merge lines are
/// the seed's byte for byte and whose struct has the seed's ops in order
/// (beside the identity members the schema adds).
#[test]
fn the_checked_in_seed_c_has_the_seeds_lines_and_struct() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../c/seed");
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("c/seed/{name}: {e}"))
    };
    let source = read("ib_device_ops.c");
    let merge = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("\tSET_DEVICE_OP("))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(merge(&source), merge(SEED));
    let names = |text: &str| -> Vec<String> {
        import::import(text, "ib_device_ops")
            .unwrap_or_else(|e| panic!("{e}"))
            .members
            .iter()
            .filter(|m| matches!(m.decl, CDecl::FnPointer(_)))
            .map(|m| m.decl.name().to_owned())
            .collect()
    };
    assert_eq!(names(&read("ib_device_ops.h")), names(SEED));
}
