//! How `generate`, `emit-c` and `import-c --out` write: temporaries that a
//! planted symlink cannot redirect, leftovers of a killed run removed, a
//! whole run written or nothing, and no skeleton written over its input.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

const FIXTURE: &str = include_str!("../../tests/fixtures/small.toml");
const VICTIM: &str = "a file outside the output directory\n";

/// A fresh root holding the fixture as `ops.toml`.
fn workspace(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("writes")
        .join(name);
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(&root).expect("create temp root");
    fs::write(root.join("ops.toml"), FIXTURE).expect("write schema");
    root
}

/// Every file below `dir` whose name ends with `.tmp` or `.ibops-tmp`.
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                dirs.push(path);
            } else if path.to_string_lossy().ends_with("tmp") {
                found.push(path);
            }
        }
    }
    found
}

/// Before the fix, `emit-c` opened `.NAME.PID.tmp` with `File::create`,
/// which followed a symlink planted there and truncated its target.
#[test]
fn a_symlink_at_a_temporary_name_is_never_followed() {
    let root = workspace("symlink");
    let out = root.join("c");
    fs::create_dir_all(&out).expect("out dir");
    let victim = root.join("victim.txt");
    fs::write(&victim, VICTIM).expect("victim");
    let pid = std::process::id();
    // The name the old code used, and one matching today's leftovers.
    symlink(&victim, out.join(format!(".demo_ops.h.{pid}.tmp"))).expect("plant");
    symlink(&victim, out.join(".demo_ops.c.planted.ibops-tmp")).expect("plant");
    fs::write(out.join(".demo_ops.h.killed.ibops-tmp"), "half a file").expect("leftover");

    ibops_codegen::generate_c(&root, Path::new("ops.toml"), &out).expect("emit-c");

    assert_eq!(fs::read_to_string(&victim).expect("victim"), VICTIM);
    let header = fs::read_to_string(out.join("demo_ops.h")).expect("header");
    assert!(header.contains("struct demo_ops {"), "{header}");
    let left: Vec<PathBuf> = temporaries(&out)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".ibops-tmp"))
        .collect();
    assert!(
        left.is_empty(),
        "leftovers of a killed run remain: {left:?}"
    );
}

/// Before the fix, a failure on one file left the files before it replaced.
#[test]
fn a_failed_generate_leaves_every_file_as_it_was() {
    let root = workspace("all_or_nothing");
    let schema = Path::new("ops.toml");
    ibops_codegen::generate(&root, schema).expect("first generate");
    let files = ibops_codegen::render(&root, schema).expect("render");
    let before: Vec<(PathBuf, Vec<u8>)> = files
        .iter()
        .map(|f| {
            let path = root.join(&f.path);
            let bytes = fs::read(&path).expect("generated");
            (path, bytes)
        })
        .collect();
    // A schema edit that changes several files, and a last file that cannot
    // be replaced (a non-empty directory stands in its place).
    let edited = FIXTURE.replace("Polls completions.", "Polls the completion queue.");
    fs::write(root.join("ops.toml"), edited).expect("edit");
    let blocked = root.join(&files.last().expect("files").path);
    fs::remove_file(&blocked).expect("remove last");
    fs::create_dir_all(blocked.join("keep")).expect("block it");

    let err = ibops_codegen::generate(&root, schema).expect_err("must fail");
    assert!(
        err.to_string().contains(&*blocked.to_string_lossy()),
        "{err}"
    );
    for (path, bytes) in &before[..before.len() - 1] {
        assert_eq!(
            &fs::read(path).expect("still there"),
            bytes,
            "{} was replaced by a failed run",
            path.display()
        );
    }
    assert!(blocked.join("keep").is_dir());
    assert!(temporaries(&root).is_empty(), "{:?}", temporaries(&root));
}

/// Before the fix, `import-c H --out H` replaced the header with its
/// skeleton.
#[test]
fn import_c_refuses_to_overwrite_its_own_input() {
    let root = workspace("import_self");
    let header = root.join("demo.h");
    let text = "struct demo_ops {\n\tint (*poll_cq)(struct ib_cq *cq);\n};\n";
    fs::write(&header, text).expect("header");
    // Through another spelling of the same path, too.
    let other = root.join(".").join("demo.h");
    for out in [&header, &other] {
        let err = ibops_codegen::import_c(&header, "demo_ops", Some(out)).expect_err("refused");
        assert!(
            matches!(err, ibops_codegen::Error::OverwritesInput(_)),
            "{err}"
        );
    }
    assert_eq!(fs::read_to_string(&header).expect("header"), text);
    let skeleton = root.join("skeleton.toml");
    ibops_codegen::import_c(&header, "demo_ops", Some(&skeleton)).expect("another file");
    assert!(skeleton.exists());
}

/// The mode `open` gives a new file here: 0666 less the process's umask.
fn new_file_mode(dir: &Path) -> u32 {
    let probe = dir.join("probe");
    fs::write(&probe, "").expect("probe");
    let mode = fs::metadata(&probe).expect("probe").permissions().mode() & 0o777;
    fs::remove_file(&probe).expect("remove probe");
    mode
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

/// Before the fix, `generate`, `emit-c` and `import-c --out` left their
/// files with the temporaries' mode 0600: C emitted into a kernel tree
/// could not be read by a build container or another user. A new file
/// now gets 0666 less the umask; a file that exists keeps its mode.
#[test]
fn new_files_get_the_umask_mode_and_existing_ones_keep_theirs() {
    let root = workspace("modes");
    let expected = new_file_mode(&root);
    assert_ne!(expected, 0o600, "the test needs a umask that is not 077");
    let out = root.join("c");
    ibops_codegen::generate_c(&root, Path::new("ops.toml"), &out).expect("emit-c");
    for name in ["demo_ops.h", "demo_ops.c"] {
        assert_eq!(mode(&out.join(name)), expected, "{name}");
    }
    let outcomes = ibops_codegen::generate(&root, Path::new("ops.toml")).expect("generate");
    for outcome in &outcomes {
        assert_eq!(
            mode(&root.join(&outcome.path)),
            expected,
            "{}",
            outcome.path.display()
        );
    }
    let header = out.join("demo_ops.h");
    fs::set_permissions(&header, fs::Permissions::from_mode(0o640)).expect("chmod");
    fs::write(&header, "stale").expect("make it stale");
    ibops_codegen::generate_c(&root, Path::new("ops.toml"), &out).expect("emit-c again");
    assert!(
        fs::read_to_string(&header)
            .expect("header")
            .contains("struct demo_ops {")
    );
    assert_eq!(mode(&header), 0o640, "an existing file keeps its mode");
    let skeleton = root.join("skeleton.toml");
    ibops_codegen::import_c(&header, "demo_ops", Some(&skeleton)).expect("import-c");
    assert_eq!(mode(&skeleton), expected);
}
