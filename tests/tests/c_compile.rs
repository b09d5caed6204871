//! The C emitted from today's `ops.toml` and from the seed's
//! `schemas/seed.toml` compiles warning-free against a stub of the kernel
//! types (`tests/fixtures/c/`), and today's merge behaves as the schema
//! says: a C program merges two partial tables with the generated
//! `ib_set_device_ops()` and checks the op policy (keep-first and, from the
//! same schema switched to `last-wins`, last-wins) for ops, attribute
//! groups and object sizes, every identity member's policy and
//! `ib_device_check_mandatory()`.
//!
//! gcc is on every machine this project builds on; without it these tests
//! fail with a message saying so rather than pass silently.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ibops_codegen::c::emit_c;
use ibops_codegen::schema;

const FLAGS: [&str; 4] = ["-std=gnu11", "-Wall", "-Wextra", "-Werror"];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/c")
}

/// The workspace's `ops.toml`, with its op merge policy replaced by `merge`.
fn schema_with(merge: &str) -> schema::Schema {
    schema_file_with("ops.toml", merge)
}

/// The schema at `path` (from the workspace root), with its op merge policy
/// replaced by `merge`.
fn schema_file_with(path: &str, merge: &str) -> schema::Schema {
    let text = fs::read_to_string(workspace().join(path)).unwrap_or_else(|e| panic!("{e}"));
    assert!(text.contains("\nmerge = \"keep-first\"\n"));
    let text = text.replace(
        "\nmerge = \"keep-first\"\n",
        &format!("\nmerge = \"{merge}\"\n"),
    );
    schema::load(path, &text).unwrap_or_else(|e| panic!("{e}"))
}

/// Emits the C files for `schema` into a fresh directory named `name`.
fn emit_into(name: &str, schema: &schema::Schema) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    for file in emit_c(schema).unwrap_or_else(|e| panic!("{e}")) {
        fs::write(dir.join(&file.path), file.contents).unwrap_or_else(|e| panic!("{e}"));
    }
    dir
}

/// Runs gcc with the warning flags, the stub include path and `args`, and
/// requires it to succeed.
fn gcc(out_dir: &Path, args: &[&str]) {
    let output = gcc_output(out_dir, args);
    assert!(
        output.status.success(),
        "gcc {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs gcc with the warning flags, the stub include path and `args`.
fn gcc_output(out_dir: &Path, args: &[&str]) -> Output {
    let include = fixtures().join("include");
    Command::new("gcc")
        .args(FLAGS)
        .arg("-I")
        .arg(&include)
        .arg("-I")
        .arg(out_dir)
        .args(args)
        .current_dir(out_dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("gcc could not be run ({e}): the C-side tests need gcc on PATH (Debian: apt-get install gcc)")
        })
}

#[test]
fn emitted_header_and_source_compile_warning_free() {
    compiles("compile", &schema_with("keep-first"));
}

#[test]
fn the_seeds_emitted_c_compiles_warning_free() {
    compiles(
        "compile_seed",
        &schema_file_with("schemas/seed.toml", "keep-first"),
    );
}

/// Emits `schema` into `name` and compiles the source, then the header alone.
fn compiles(name: &str, schema: &schema::Schema) {
    let dir = emit_into(name, schema);
    gcc(&dir, &["-c", "ib_device_ops.c", "-o", "ib_device_ops.o"]);
    // The header alone, after only the kernel types.
    let types = fixtures().join("include/kernel_types.h");
    let types = types.to_string_lossy();
    gcc(
        &dir,
        &[
            "-fsyntax-only",
            "-include",
            &types,
            "-x",
            "c",
            "ib_device_ops.h",
        ],
    );
}

/// Builds the C test program `fixture` (in `tests/fixtures/c/`) with the
/// emitted `source` and `defines` in `dir`, runs it, and returns what it
/// did.
fn build_and_run(dir: &Path, fixture: &str, source: &str, defines: &[&str]) -> Output {
    let test = fixtures().join(fixture);
    let test = test.to_string_lossy();
    let exe = fixture.trim_end_matches(".c");
    let mut args = vec![test.as_ref(), source, "-o", exe];
    args.extend_from_slice(defines);
    gcc(dir, &args);
    Command::new(dir.join(exe))
        .output()
        .unwrap_or_else(|e| panic!("{exe} did not run: {e}"))
}

/// Builds and runs the merge test against the C emitted for `merge`.
fn run_merge_test(merge: &str, defines: &[&str]) {
    let schema = schema_with(merge);
    let dir = emit_into(merge, &schema);
    let mandatory = format!("-DEXPECTED_MANDATORY={}", schema.mandatory().count());
    let mut args = vec![mandatory.as_str()];
    args.extend_from_slice(defines);
    let output = build_and_run(&dir, "merge_test.c", "ib_device_ops.c", &args);
    assert!(
        output.status.success() && output.stdout == b"ok\n",
        "the C merge test failed for `{merge}`:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn generated_c_merge_keeps_first() {
    run_merge_test("keep-first", &[]);
}

#[test]
fn generated_c_merge_last_wins() {
    run_merge_test("last-wins", &["-DEXPECT_LAST_WINS"]);
}

#[test]
fn keep_first_merge_test_fails_against_last_wins_output() {
    // The C test can fail: the keep-first expectations against last-wins
    // output must not pass.
    let schema = schema_with("last-wins");
    let dir = emit_into("mismatch", &schema);
    let output = build_and_run(
        &dir,
        "merge_test.c",
        "ib_device_ops.c",
        &["-DEXPECTED_MANDATORY=17"],
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("dev.ops.poll_cq == first_poll_cq"));
}

/// `schemas/verbs_context_ops.toml`, rdma-core's userspace table.
fn verbs_schema() -> schema::Schema {
    let text = fs::read_to_string(workspace().join("schemas/verbs_context_ops.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    schema::load("schemas/verbs_context_ops.toml", &text).unwrap_or_else(|e| panic!("{e}"))
}

/// The members of the public context (`struct ibv_context_ops`) and of the
/// verbs context that the schema's merge lines write, as rdma-core's four
/// macros write them: `SET_OP(ptr, name)` the member `name` at `ptr`,
/// `SET_OP2(ptr, iname, name)` the member `iname`, `SET_PRIV_OP(ptr, name)`
/// the `void *_compat_name`, `SET_PRIV_OP_IC` nothing but the private ops.
fn context_members(schema: &schema::Schema) -> String {
    let (mut ctx, mut vctx) = (String::new(), String::new());
    for op in &schema.ops {
        let line = op
            .set
            .as_ref()
            .unwrap_or_else(|| panic!("{} has a set line", op.name));
        let field = match line.macro_name.as_str() {
            "SET_OP" => format!("\tIBOPS_OP_TYPE({0}) {0};\n", op.name),
            "SET_OP2" => format!("\tIBOPS_OP_TYPE({}) {};\n", op.name, line.args[1]),
            "SET_PRIV_OP" => format!("\tvoid *_compat_{};\n", op.name),
            "SET_PRIV_OP_IC" => continue,
            other => panic!("a macro this test does not know: {other}"),
        };
        match line.args[0].as_str() {
            "ctx" => ctx.push_str(&field),
            "vctx" => vctx.push_str(&field),
            other => panic!("a pointer this test does not know: {other}"),
        }
    }
    format!(
        "#define IBOPS_OP_TYPE(name) __typeof__(((struct verbs_context_ops *)0)->name)\n\
         struct ibv_context_ops {{\n{ctx}}};\n\
         struct ibv_context {{\n\tstruct ibv_context_ops ops;\n}};\n\
         struct verbs_context {{\n\tstruct verbs_ex_private *priv;\n\
         \tstruct ibv_context context;\n{vctx}}};\n"
    )
}

/// Emits rdma-core's table into `name`, with the context's members.
fn emit_verbs(name: &str) -> PathBuf {
    let schema = verbs_schema();
    let dir = emit_into(name, &schema);
    fs::write(dir.join("context_members.h"), context_members(&schema))
        .unwrap_or_else(|e| panic!("{e}"));
    dir
}

#[test]
fn rdma_cores_table_compiles_and_merges_last_wins_over_the_dummies() {
    let dir = emit_verbs("verbs");
    gcc(
        &dir,
        &["-c", "verbs_context_ops.c", "-o", "verbs_context_ops.o"],
    );
    let output = build_and_run(&dir, "verbs_merge_test.c", "verbs_context_ops.c", &[]);
    assert!(
        output.status.success() && output.stdout == b"ok\n",
        "the C merge test of verbs_context_ops failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_dummy_missing_from_the_positional_table_fails_the_build() {
    // What the positional initializer is for: the last op's dummy removed,
    // -Wmissing-field-initializers (in -Wextra) stops the build.
    let dir = emit_verbs("verbs_missing_dummy");
    let source = dir.join("verbs_context_ops.c");
    let text = fs::read_to_string(&source).unwrap_or_else(|e| panic!("{e}"));
    let last = verbs_schema().ops.last().map(|op| op.name.clone());
    let entry = format!("\t{},\n}};", last.unwrap_or_default());
    assert!(text.contains(&entry), "{entry} ends the table");
    fs::write(&source, text.replace(&entry, "};")).unwrap_or_else(|e| panic!("{e}"));
    let output = gcc_output(
        &dir,
        &["-c", "verbs_context_ops.c", "-o", "verbs_context_ops.o"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the build passed without a dummy");
    assert!(stderr.contains("missing-field-initializers"), "{stderr}");
}
