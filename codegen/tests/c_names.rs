//! The C side's names come from the schema's `[target.c]`: a table with
//! other names emits C with those names, which `check-c` then reads back,
//! and no emitter or C reader keeps the kernel's names as literals.

use std::fs;
use std::path::Path;

use ibops_codegen::c::check::{Severity, check};
use ibops_codegen::c::emit_c;
use ibops_codegen::schema::load;

const FIXTURE: &str = include_str!("../../tests/fixtures/small.toml");

/// The fixture with every kernel name of `[target.c]` replaced.
fn renamed() -> String {
    [
        ("\"ib_set_device_ops\"", "\"demo_set_ops\""),
        ("\"SET_DEVICE_OP\"", "\"DEMO_OP\""),
        ("\"SET_OBJ_SIZE\"", "\"DEMO_SIZE\""),
        ("\"ib_device\"", "\"demo_device\""),
        ("\"ib_device_check_mandatory\"", "\"demo_check\""),
        ("\"IB_DEVICE_OPS_MANDATORY\"", "\"DEMO_MANDATORY\""),
        ("\"rdma/ib_verbs.h\"", "\"demo/verbs.h\""),
    ]
    .iter()
    .fold(FIXTURE.to_owned(), |text, (from, to)| {
        assert!(text.contains(from), "fixture lacks {from}");
        text.replace(from, to)
    })
}

#[test]
fn another_tables_names_are_emitted_and_read_back() {
    let schema = load("demo.toml", &renamed()).unwrap_or_else(|e| panic!("{e}"));
    let files = emit_c(&schema).unwrap_or_else(|e| panic!("{e}"));
    let all: String = files.iter().map(|f| f.contents.as_str()).collect();
    for name in [
        "demo_set_ops(",
        "DEMO_OP(dev,",
        "demo_check(",
        "DEMO_MANDATORY(F)",
        "#include <demo/verbs.h>",
        "struct demo_device *device",
    ] {
        assert!(all.contains(name), "no {name:?} in\n{all}");
    }
    for kernel in [
        "ib_set_device_ops",
        "SET_DEVICE_OP",
        "ib_device_check_mandatory",
        "ib_verbs.h",
        "struct ib_device ",
    ] {
        assert!(!all.contains(kernel), "{kernel:?} left in\n{all}");
    }
    let source = files
        .iter()
        .find(|f| f.path.extension().is_some_and(|e| e == "c"))
        .expect("a source");
    let report = check("demo_ops.c", &source.contents, &schema);
    assert_eq!(report.count(Severity::Error), 0, "{report}");
    assert!(report.checked > 0, "{report}");
}

/// Neither the kernel's C names nor rdma-core's appear in the code of the
/// emitters and C readers (comments may name them as examples).
#[test]
fn no_emitter_or_reader_keeps_the_kernels_names() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for file in [
        "c/source.rs",
        "c/header.rs",
        "c/check.rs",
        "c/dummies.rs",
        "c/dummy_check.rs",
        "coverage.rs",
        "diff.rs",
        "emit/merge.rs",
        "emit/ops_struct.rs",
        "emit/dispatch.rs",
        "emit/op_id.rs",
        "emit/derive_table.rs",
    ] {
        let text = fs::read_to_string(src.join(file)).expect("source");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for kernel in [
                "ib_set_device_ops",
                "SET_DEVICE_OP",
                "SET_OBJ_SIZE",
                "INIT_RDMA_OBJ_SIZE",
                "ib_device_check_mandatory",
                "IB_DEVICE_OPS_MANDATORY",
                "rdma/ib_verbs.h",
                "DECLARE_RDMA_OBJ_SIZE",
                // rdma-core's, from schemas/verbs_context_ops.toml.
                "verbs_set_ops",
                "verbs_dummy_ops",
                "SET_PRIV_OP",
                "SET_OP",
                "IBVERBS_PRIVATE",
                "infiniband/driver.h",
            ] {
                assert!(!code.contains(kernel), "{file}:{}: {line}", n + 1);
            }
        }
    }
}
