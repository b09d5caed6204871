//! The `ibops-codegen` binary: `generate`, `check`, `emit-c` and
//! `import-c` exit codes and messages, and that bad input leaves every file
//! untouched.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FIXTURE: &str = include_str!("../../tests/fixtures/small.toml");

/// A fresh workspace root holding the fixture as `ops.toml`.
fn workspace(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(&root).expect("create temp root");
    fs::write(root.join("ops.toml"), FIXTURE).expect("write schema");
    root
}

fn run(root: &Path, command: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ibops-codegen"))
        .args([command, "--root"])
        .arg(root)
        .output()
        .expect("run ibops-codegen")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every generated file under `root`, with its content.
fn snapshot(root: &Path) -> Vec<(PathBuf, String)> {
    ["runtime/src/generated", "derive/src/generated"]
        .iter()
        .flat_map(|dir| fs::read_dir(root.join(dir)).into_iter().flatten().flatten())
        .map(|e| (e.path(), fs::read_to_string(e.path()).unwrap_or_default()))
        .collect()
}

#[test]
fn generate_then_check_then_stale_then_fresh_again() {
    let root = workspace("cycle");
    let out = run(&root, "generate");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 6, "{stdout}");
    assert!(
        stdout
            .lines()
            .all(|l| l.trim_start().starts_with("written")),
        "{stdout}"
    );

    let again = run(&root, "generate");
    assert!(
        text(&again.stdout)
            .lines()
            .all(|l| l.trim_start().starts_with("unchanged"))
    );

    let fresh = run(&root, "check");
    assert_eq!(fresh.status.code(), Some(0), "{}", text(&fresh.stderr));

    let edited = FIXTURE.replace("Polls completions.", "Polls the completion queue.");
    fs::write(root.join("ops.toml"), edited).expect("edit schema");
    let stale = run(&root, "check");
    assert_eq!(stale.status.code(), Some(1));
    let stderr = text(&stale.stderr);
    assert!(
        stderr.contains("stale: runtime/src/generated/ops_struct.rs"),
        "{stderr}"
    );
    assert!(
        stderr.contains("+    /// Polls the completion queue."),
        "{stderr}"
    );
    assert!(stderr.contains("-    /// Polls completions."), "{stderr}");
    assert!(
        !stderr.contains("stale: derive/"),
        "docs do not reach the derive: {stderr}"
    );

    assert!(run(&root, "generate").status.success());
    assert_eq!(run(&root, "check").status.code(), Some(0));
}

#[test]
fn a_broken_schema_writes_nothing() {
    let root = workspace("broken");
    assert!(run(&root, "generate").status.success());
    let before = snapshot(&root);
    assert_eq!(before.len(), 6);

    let broken = FIXTURE.replacen("name = \"poll_cq\"", "name = \"post_send\"", 1);
    let line = broken[..broken.rfind("name = \"post_send\"").expect("dup")]
        .lines()
        .count()
        + 1;
    fs::write(root.join("ops.toml"), &broken).expect("write");
    let out = run(&root, "generate");
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("ops.toml:{line}:8")), "{stderr}");
    assert!(stderr.contains("duplicate op `post_send`"), "{stderr}");
    assert_eq!(
        snapshot(&root),
        before,
        "files changed after a failed generate"
    );
    let leftovers: Vec<_> = fs::read_dir(root.join("runtime/src/generated"))
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn a_missing_schema_is_an_error_not_a_panic() {
    let root = workspace("missing");
    fs::remove_file(root.join("ops.toml")).expect("remove");
    let out = run(&root, "check");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("ops.toml"),
        "{}",
        text(&out.stderr)
    );
}

/// `ibops-codegen emit-c --root ROOT --out OUT_DIR`.
fn emit_c(root: &Path, out_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ibops-codegen"))
        .args(["emit-c", "--root"])
        .arg(root)
        .arg("--out")
        .arg(out_dir)
        .output()
        .expect("run ibops-codegen")
}

/// `ibops-codegen import-c HEADER --struct demo_ops [--out OUT]`.
fn import_c(header: &Path, out: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ibops-codegen"));
    command
        .arg("import-c")
        .arg(header)
        .args(["--struct", "demo_ops"]);
    if let Some(out) = out {
        command.arg("--out").arg(out);
    }
    command.output().expect("run ibops-codegen")
}

#[test]
fn emit_c_writes_the_header_and_source_once() {
    let root = workspace("emit_c");
    let out_dir = root.join("c");
    let first = emit_c(&root, &out_dir);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(
        text(&first.stdout),
        "  written  demo_ops.h\n  written  demo_ops.c\n"
    );
    let header = fs::read_to_string(out_dir.join("demo_ops.h")).expect("header");
    assert!(header.contains("struct demo_ops {"), "{header}");
    let again = emit_c(&root, &out_dir);
    assert_eq!(
        text(&again.stdout),
        "unchanged  demo_ops.h\nunchanged  demo_ops.c\n"
    );
}

#[test]
fn emit_c_without_c_declarations_writes_nothing() {
    let root = workspace("emit_c_missing");
    let without = FIXTURE.replace("c = \"enum rdma_driver_id driver_id;\"\n", "");
    fs::write(root.join("ops.toml"), without).expect("write");
    let out_dir = root.join("c");
    let out = emit_c(&root, &out_dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("missing on: driver_id"),
        "{}",
        text(&out.stderr)
    );
    assert!(!out_dir.exists());
}

#[test]
fn import_c_prints_a_skeleton_or_writes_it() {
    let root = workspace("import_c");
    let header = root.join("demo.h");
    fs::write(
        &header,
        "/* mail */\nstruct demo_ops {\n\tint (*poll_cq)(struct ib_cq *cq,\n\t\tint n);\n};\n",
    )
    .expect("write");
    let printed = import_c(&header, None);
    assert!(printed.status.success(), "{}", text(&printed.stderr));
    let stdout = text(&printed.stdout);
    assert!(
        stdout.contains("name = \"poll_cq\"\n")
            && stdout.contains("c = \"int (*poll_cq)(struct ib_cq *cq, int n);\""),
        "{stdout}"
    );
    let out = root.join("skeleton.toml");
    let written = import_c(&header, Some(&out));
    assert!(written.status.success());
    assert!(written.stdout.is_empty());
    assert_eq!(fs::read_to_string(&out).expect("skeleton"), stdout);
}

#[test]
fn import_c_reports_each_bad_member_with_its_line_and_writes_nothing() {
    let root = workspace("import_c_bad");
    let header = root.join("bad.h");
    fs::write(
        &header,
        "struct demo_ops {\n\tint (*ok)(int);\n\tint (broken)(int);\n\tint (*fine)(void);\n\tint (*open)(int;\n};\n",
    )
    .expect("write");
    let out = root.join("skeleton.toml");
    let result = import_c(&header, Some(&out));
    assert_eq!(result.status.code(), Some(2));
    let stderr = text(&result.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert_eq!(
        lines[2],
        format!("2 errors in {}", header.display()),
        "{stderr}"
    );
    assert!(lines[0].ends_with("bad.h:3: error: `int (broken)(int)` is neither a field nor a function pointer `RET (*name)(PARAMS)`"), "{stderr}");
    assert!(lines[1].contains("bad.h:5: error:"), "{stderr}");
    assert!(!out.exists());
}

/// Before the depth bound this died of a stack overflow (exit 134).
#[test]
fn a_deeply_nested_type_is_exit_2_with_a_diagnostic() {
    let root = workspace("deep_type");
    let deep = format!("{}u8{}", "Vec<".repeat(10_000), ">".repeat(10_000));
    let schema = FIXTURE.replacen("returns = \"", &format!("returns = \"{deep}\" #"), 1);
    fs::write(root.join("ops.toml"), schema).expect("write");
    let out = run(&root, "generate");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("bytes long"),
        "{}",
        &stderr[..stderr.len().min(400)]
    );
    assert!(stderr.len() < 4096, "{} bytes of stderr", stderr.len());
}

/// The repository root, where `ops.toml` and `schemas/` are.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn codegen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ibops-codegen"))
        .args(args)
        .arg("--root")
        .arg(repo())
        .output()
        .expect("run ibops-codegen")
}

#[test]
fn diff_exits_1_on_a_breaking_change_and_0_on_none() {
    let breaking = codegen(&["diff", "schemas/seed.toml", "ops.toml"]);
    assert_eq!(
        breaking.status.code(),
        Some(1),
        "{}",
        text(&breaking.stderr)
    );
    let stdout = text(&breaking.stdout);
    assert!(
        stdout.starts_with("schemas/seed.toml -> ops.toml: "),
        "{stdout}"
    );
    assert!(
        stdout.contains("breaking  op-removed        alloc_fmr"),
        "{stdout}"
    );
    let same = codegen(&["diff", "ops.toml", "ops.toml", "--json"]);
    assert_eq!(same.status.code(), Some(0));
    assert!(text(&same.stdout).contains("\"breaking\":0,"));
    let missing = codegen(&["diff", "ops.toml", "no-such.toml"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn check_c_exits_1_on_an_error_and_0_on_warnings_only() {
    let fixture = repo().join("tests/fixtures/linux-next/device.c");
    let fixture = fixture.to_string_lossy();
    let real = codegen(&["check-c", &fixture]);
    assert_eq!(real.status.code(), Some(0), "{}", text(&real.stdout));
    assert!(text(&real.stdout).contains("0 errors, 5 warnings"));

    let root = workspace("check_c_fault");
    let text_c = fs::read_to_string(&*fixture).expect("fixture");
    let broken = root.join("device.c");
    fs::write(
        &broken,
        text_c.replace("\tSET_OBJ_SIZE(dev_ops, ib_qp);\n", ""),
    )
    .expect("write");
    let out = codegen(&["check-c", &broken.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("error: no `SET_OBJ_SIZE(.., ib_qp)`"));
}

/// Before `coverage` took the loader's bounds, a deeply nested Rust file
/// aborted it with a stack overflow (exit 134): types 2000 levels deep,
/// parentheses 5000, blocks 10,000. Now each is refused with a message,
/// and a file nested as deep as the bound allows is still read.
#[test]
fn coverage_refuses_rust_nested_too_deep_and_reads_up_to_the_bound() {
    let root = workspace("coverage_deep");
    let shapes = [
        (
            "types",
            format!("type T = {}u8{};", "Vec<".repeat(2000), ">".repeat(2000)),
        ),
        (
            "parens",
            format!("const X: u8 = {}1{};", "(".repeat(5000), ")".repeat(5000)),
        ),
        (
            "blocks",
            format!("fn f() {}{}", "{".repeat(10_000), "}".repeat(10_000)),
        ),
    ];
    for (what, source) in shapes {
        let file = root.join(format!("{what}.rs"));
        fs::write(&file, source).expect("write");
        let out = codegen(&["coverage", &file.to_string_lossy()]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(
            stderr.contains("levels deep; at most 256 are allowed"),
            "{what}: {stderr}"
        );
    }
    let at_bound = format!(
        "#[derive(DeviceOps)]\n#[device_ops(query_device)]\nstruct T;\nfn f() -> u8 {{ {}1{} }}\n",
        "(".repeat(250),
        ")".repeat(250)
    );
    let file = root.join("at_bound.rs");
    fs::write(&file, at_bound).expect("write");
    let out = codegen(&["coverage", &file.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// Before the shared lexer, a character literal `'"'` read as the start
/// of a string, so a commented-out entry after it counted as implemented.
#[test]
fn coverage_skips_comments_after_a_quote_character() {
    let text_c = "static const char q = '\"';\nstatic const struct ib_device_ops o = {\n\t.query_device = q,\n\t/* .post_send = x, */\n};\n";
    let provider =
        ibops_codegen::coverage::read_c("q", text_c, "ib_device_ops", "INIT_RDMA_OBJ_SIZE")
            .expect("reads");
    assert!(provider.fields.contains("query_device"));
    assert!(
        !provider.fields.contains("post_send"),
        "{:?}",
        provider.fields
    );
}

/// Runs the binary in `dir` with `args`, no `--root`.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ibops-codegen"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run ibops-codegen")
}

/// A folder outside any ibops workspace, laid out as a kernel tree, with
/// the linux-next merge function at its real path.
fn kernel_tree() -> PathBuf {
    let tree = std::env::temp_dir().join(format!("ibops-kernel-tree-{}", std::process::id()));
    let core = tree.join("drivers/infiniband/core");
    fs::create_dir_all(&core).expect("tree");
    fs::copy(
        repo().join("tests/fixtures/linux-next/device.c"),
        core.join("device.c"),
    )
    .expect("copy");
    tree
}

/// Before the built-in schema, `check-c` in a kernel tree answered
/// `./ops.toml: No such file or directory (os error 2)`.
#[test]
fn check_c_works_in_a_kernel_tree_with_the_builtin_schema() {
    let tree = kernel_tree();
    // No ops.toml above the temporary tree: the test runs outside any workspace.
    assert_eq!(ibops_codegen::SchemaSource::find_upward(&tree), None);
    let out = run_in(&tree, &["check-c", "drivers/infiniband/core/device.c"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stderr.starts_with("schema: the built-in linux-next ops.toml of ibops-codegen "),
        "{stderr}"
    );
    assert!(
        stdout.contains("142 merge lines, 0 errors, 5 warnings"),
        "{stdout}"
    );
    // The other reading commands take the built-in schema too.
    fs::copy(
        repo().join("tests/fixtures/drivers/rxe_verbs.c"),
        tree.join("rxe_verbs.c"),
    )
    .expect("copy");
    for args in [
        &["coverage", "rxe_verbs.c"][..],
        &["emit-c", "--out", "out"][..],
        &["import-c", "out/ib_device_ops.h"][..],
        &["diff", "out.toml"][..],
    ] {
        if args[0] == "diff" {
            fs::write(tree.join("out.toml"), ibops_codegen::source::BUILTIN_SCHEMA).expect("copy");
        }
        let out = run_in(&tree, args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("schema: the built-in linux-next ops.toml"),
            "{args:?}: {stderr}"
        );
    }
    // `generate` needs a workspace: an error that says what to do.
    let out = run_in(&tree, &["generate"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("error: no ops.toml in "), "{stderr}");
    assert!(
        stderr.contains("hint: run inside an ibops workspace, or pass --schema FILE"),
        "{stderr}"
    );
    let _ = fs::remove_dir_all(&tree);
}

/// `generate` and `check` find the workspace's `ops.toml` from any folder
/// below it, as cargo finds `Cargo.toml`, and say which schema they use.
#[test]
fn check_finds_the_schema_upward_from_a_subfolder() {
    let root = workspace("upward");
    assert_eq!(run(&root, "generate").status.code(), Some(0));
    let deep = root.join("runtime/src/generated");
    let out = run_in(&deep, &["check"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.starts_with(&format!("schema: {}", root.join("ops.toml").display())),
        "{stderr}"
    );
    assert_eq!(text(&out.stdout), "all generated files are up to date\n");
}

#[test]
fn version_and_errors_say_what_to_do() {
    let out = run_in(&repo(), &["--version"]);
    assert_eq!(
        text(&out.stdout).trim(),
        format!("ibops-codegen {}", env!("CARGO_PKG_VERSION"))
    );
    let out = run_in(&repo(), &["check-c", "no/such/device.c"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("schema: "))
        .collect();
    assert!(
        errors[0].starts_with("error: no/such/device.c: "),
        "{stderr}"
    );
    assert!(errors[1].starts_with("hint: "), "{stderr}");
}

/// The seed names types ibops no longer exports (its `extra_types`): its
/// target is C only, so `generate` with it writes its C and no runtime
/// code; a Rust target on such a schema is refused at its line.
#[test]
fn a_schema_with_extra_types_generates_only_its_c() {
    let root = workspace("extra_types");
    let seed = fs::read_to_string(repo().join("schemas/seed.toml")).expect("seed");
    fs::write(root.join("seed.toml"), &seed).expect("copy");
    let generate = |schema: &str| {
        Command::new(env!("CARGO_BIN_EXE_ibops-codegen"))
            .args(["generate", "--schema", schema, "--root"])
            .arg(&root)
            .output()
            .expect("run")
    };
    let out = generate("seed.toml");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(snapshot(&root).is_empty(), "no runtime code");
    assert!(root.join("c/seed/ib_device_ops.c").is_file());
    let with_rust = seed.replacen(
        "[target]\n",
        "[target]\nrust_dir = \"runtime/src/generated\"\n",
        1,
    );
    fs::write(root.join("rusty.toml"), &with_rust).expect("write");
    let out = generate("rusty.toml");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("a Rust target needs its names: add a [target.rust] table"),
        "{stderr}"
    );
    // Generated into ibops itself, the ops may name only ibops's types.
    let into_ibops = with_rust.replacen(
        "[target.c]\n",
        "[target.rust]\ncrate = \"ibops\"\ntable = \"SeedOps\"\nop_id = \"SeedOpId\"\n\
         provide_trait = \"ProvideOps\"\nderive = \"SeedOps\"\nattribute = \"seed_ops\"\n\n[target.c]\n",
        1,
    );
    fs::write(root.join("rusty.toml"), into_ibops).expect("write");
    let out = generate("rusty.toml");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("a table generated into ibops has no `extra_types`"),
        "{stderr}"
    );
}

/// Several schemas generate in one run, each writing only its own files;
/// two that would write one path are an error, and nothing is written.
#[test]
fn two_schemas_writing_one_path_is_an_error() {
    let root = workspace("same_path");
    let other = FIXTURE.replace("struct = \"demo_ops\"", "struct = \"other_ops\"");
    fs::write(root.join("other.toml"), other).expect("other");
    let listed = FIXTURE.replacen("merge = ", "workspace = [\"other.toml\"]\nmerge = ", 1);
    fs::write(root.join("ops.toml"), listed).expect("ops");
    let out = run(&root, "generate");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: ops.toml and other.toml both write runtime/src/generated/mod.rs"),
        "{stderr}"
    );
    assert!(snapshot(&root).is_empty(), "nothing written");
}
