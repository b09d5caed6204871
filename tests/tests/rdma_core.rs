//! rdma-core's userspace table (`schemas/verbs_context_ops.toml`): `check-c`
//! on the shape of `libibverbs/dummy_ops.c` and the struct of
//! `libibverbs/driver.h` (`tests/fixtures/rdma-core/`, written by us from
//! their facts at the commit the schema names) and on planted faults, the
//! emitted `verbs_set_ops()` against the real merge lines, `coverage` over
//! a directory of providers, and `diff` from release v64.0's table.

use std::path::{Path, PathBuf};

use ibops_codegen::c::check::{check, check_struct};
use ibops_codegen::c::{emit_c, import};
use ibops_codegen::diff::{ChangeKind, diff};
use ibops_codegen::{Schema, coverage_from, load_schema};

const DUMMY_OPS_C: &str = include_str!("../fixtures/rdma-core/dummy_ops.c");
const DRIVER_H: &str = include_str!("../fixtures/rdma-core/driver.h");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn schema(path: &str) -> Schema {
    load_schema(&root(), Path::new(path)).unwrap_or_else(|e| panic!("{e}"))
}

fn today() -> Schema {
    schema("schemas/verbs_context_ops.toml")
}

/// `check-c` of the fixture with `from` replaced by `to` (which must be
/// there): its errors.
fn planted(from: &str, to: &str) -> Vec<String> {
    assert!(DUMMY_OPS_C.contains(from), "fixture lacks {from:?}");
    check("dummy_ops.c", &DUMMY_OPS_C.replacen(from, to, 1), &today()).errors()
}

/// Asserts that exactly one error was found and it contains `needle`.
#[track_caller]
fn assert_one(errors: &[String], needle: &str) {
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains(needle), "{errors:?} lacks {needle:?}");
}

/// The `SET_...(...)` lines of a C text, in order.
fn merge_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("SET_") && l.ends_with(");"))
        .collect()
}

#[test]
fn the_real_function_and_table_pass() {
    let report = check("dummy_ops.c", DUMMY_OPS_C, &today());
    assert_eq!(report.findings, Vec::new(), "{report}");
    assert_eq!(report.checked, 93);
}

#[test]
fn the_emitted_merge_lines_are_the_real_ones_line_for_line() {
    let files = emit_c(&today()).unwrap_or_else(|e| panic!("{e}"));
    let source = files
        .iter()
        .find(|f| f.path.extension().is_some_and(|e| e == "c"))
        .map(|f| f.contents.as_str())
        .unwrap_or_default();
    let real = merge_lines(DUMMY_OPS_C);
    assert_eq!(real.len(), 93);
    assert_eq!(merge_lines(source), real);
    // And the emitted file checks clean, dummy table included.
    let report = check("verbs_context_ops.c", source, &today());
    assert_eq!(report.findings, Vec::new(), "{report}");
}

#[test]
fn a_deleted_merge_line_is_found() {
    let errors = planted("\tSET_OP(vctx, alloc_dm);\n", "");
    assert_one(&errors, "no merge line for op `alloc_dm`");
}

#[test]
fn a_duplicated_merge_line_is_found() {
    let errors = planted(
        "\tSET_OP(ctx, poll_cq);\n",
        "\tSET_OP(ctx, poll_cq);\n\tSET_OP(ctx, poll_cq);\n",
    );
    assert_one(&errors, "`poll_cq` is merged again");
}

#[test]
fn a_merge_line_with_the_wrong_macro_is_found() {
    // SET_OP instead of SET_PRIV_OP: the _compat_ pointer is never set.
    let errors = planted("SET_PRIV_OP(ctx, alloc_pd);", "SET_OP(ctx, alloc_pd);");
    assert_one(
        &errors,
        "`SET_OP(ctx, alloc_pd)` where the schema has `SET_PRIV_OP(ctx, alloc_pd)`",
    );
    let errors = planted(
        "SET_OP2(vctx, ibv_create_flow, create_flow);",
        "SET_OP2(vctx, create_flow, create_flow);",
    );
    assert_one(
        &errors,
        "where the schema has `SET_OP2(vctx, ibv_create_flow, create_flow)`",
    );
}

#[test]
fn a_merge_line_naming_no_op_is_found() {
    let errors = planted("SET_OP(vctx, alloc_td);", "SET_OP(vctx, alloc_tdd);");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("names no op of the schema; did you mean `alloc_td`?"))
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("no merge line for op `alloc_td`"))
    );
}

#[test]
fn a_dummy_out_of_struct_order_is_found() {
    let errors = planted(
        "\tcreate_qp,\n\tcreate_qp_ex,\n",
        "\tcreate_qp_ex,\n\tcreate_qp,\n",
    );
    assert_one(
        &errors,
        "`create_qp_ex` is out of struct order in `verbs_dummy_ops`: a positional entry here fills `create_qp`",
    );
}

#[test]
fn a_struct_op_with_no_dummy_is_found() {
    let errors = planted("\talloc_td,\n", "");
    assert_one(&errors, "op `alloc_td` has no dummy in `verbs_dummy_ops`");
    let errors = planted("\talloc_td,\n", "\talloc_td,\n\talloc_td,\n");
    assert_one(&errors, "`alloc_td` again in `verbs_dummy_ops`");
}

#[test]
fn the_struct_in_driver_h_matches_and_a_missing_member_is_found() {
    let check_header = |text: &str| {
        let imported =
            import::import(text, "verbs_context_ops").unwrap_or_else(|e| panic!("{e:?}"));
        check_struct("driver.h", &imported, &today())
    };
    let report = check_header(DRIVER_H);
    assert_eq!(report.findings, Vec::new(), "{report}");
    assert_eq!(report.checked, 93);
    let line = DRIVER_H
        .lines()
        .find(|l| l.contains("(*set_ece)"))
        .unwrap_or_else(|| panic!("driver.h declares set_ece"));
    let report = check_header(&DRIVER_H.replacen(&format!("{line}\n"), "", 1));
    assert_one(
        &report.errors(),
        "the schema's op `set_ece` is not in the header's struct",
    );
}

#[test]
fn coverage_reads_a_directory_of_providers_as_the_union_of_their_tables() {
    let providers = root().join("tests/fixtures/rdma-core/providers");
    let coverage = coverage_from(&today(), &[("providers".to_owned(), providers)])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(coverage.providers, ["soft_a", "soft_b", "soft_c"]);
    let by = |op: &str| -> Vec<bool> {
        coverage
            .ops
            .iter()
            .find(|r| r.name == op)
            .map(|r| r.by.clone())
            .unwrap_or_default()
    };
    // soft_b's two tables live in two files: both count.
    assert_eq!(by("query_port"), [false, true, false]);
    assert_eq!(by("create_comp_cntr"), [false, true, false]);
    assert_eq!(by("alloc_pd"), [true, true, true]);
    assert_eq!(coverage.ops.len(), 93);
    assert_eq!(
        coverage.unknown,
        [
            ("soft_a".to_owned(), vec![]),
            ("soft_b".to_owned(), vec![]),
            ("soft_c".to_owned(), vec!["post_recieve".to_owned()]),
        ]
    );
    assert_eq!(
        coverage.suggestions.get("post_recieve").map(String::as_str),
        Some("post_recv")
    );
    assert!(
        coverage
            .to_string()
            .contains("ops implemented: soft_a 6, soft_b 5, soft_c 1 of 93")
    );
}

#[test]
fn diff_from_v64_adds_the_completion_counters_and_bumps_the_private_abi() {
    let (old, new) = (schema("schemas/verbs_context_ops-v64.toml"), today());
    assert_eq!((old.ops.len(), new.ops.len()), (83, 93));
    let d = diff("v64.0", &old, "today", &new);
    let added: Vec<&str> = d
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::OpAdded)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(added.len(), 10, "{d}");
    assert!(added.iter().all(|op| op.contains("comp_cntr")), "{added:?}");
    assert_eq!(d.count(ChangeKind::OpRemoved), 0);
    let abi: Vec<_> = d
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::PrivateAbi)
        .collect();
    assert_eq!(abi.len(), 1, "{d}");
    assert_eq!(abi[0].detail, "IBVERBS_PRIVATE_64 -> IBVERBS_PRIVATE_65");
    assert!(!d.is_breaking(), "{d}");
}

#[test]
fn a_changed_struct_under_the_same_private_symbol_is_breaking() {
    let old = schema("schemas/verbs_context_ops-v64.toml");
    let mut new = today();
    let mut c = new.target.c.clone().unwrap_or_default();
    c.private_symbol = Some("IBVERBS_PRIVATE_64".to_owned());
    new.target.c = Some(c);
    let d = diff("v64.0", &old, "today", &new);
    let abi = d.changes.iter().find(|c| c.kind == ChangeKind::PrivateAbi);
    assert!(
        abi.is_some_and(|c| c.breaking && c.detail.contains("needs a new private symbol")),
        "{d}"
    );
    // An unchanged struct needs no new symbol.
    let same = diff("v64.0", &old, "v64.0", &old);
    assert_eq!(same.count(ChangeKind::PrivateAbi), 0);
}
