//! The C readers and `diff` take time linear in their input. Before the
//! shared lexer and the indexes, each of these shapes was quadratic:
//! `coverage` on `struct ib_device_ops x` repeated (920 KB 29 s), `check-c`
//! on `ib_set_device_ops(` repeated (1.5 MB 5.7 s) and on many distinct
//! merge lines (3 MB 20 s, the duplicate search), `diff` on 8k ops (5.7 s).
//!
//! Each shape is timed at three sizes, n, 2n and 4n (the best of three
//! runs each): a linear reader takes about 4x from n to 4n, a quadratic one
//! 16x. The assertion allows 8x, which absorbs this VM's noise and still
//! catches a quadratic step.

use std::time::{Duration, Instant};

use ibops_codegen::c::check::check;
use ibops_codegen::coverage::read_c;
use ibops_codegen::diff::diff;
use ibops_codegen::schema::load;

/// The best of three timings of `run`.
fn best_of_three(mut run: impl FnMut()) -> Duration {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Asserts that `run` on inputs of `n`, `2n` and `4n` units grows linearly.
#[track_caller]
fn assert_linear(what: &str, n: usize, mut run: impl FnMut(usize)) {
    let times: Vec<Duration> = [n, 2 * n, 4 * n]
        .iter()
        .map(|&size| best_of_three(|| run(size)))
        .collect();
    // Below a millisecond the ratio is noise: the reader is fast enough.
    let base = times[0].max(Duration::from_millis(1));
    let ratio = times[2].as_secs_f64() / base.as_secs_f64();
    assert!(ratio < 8.0, "{what}: {times:?} (4n/n = {ratio:.1})");
}

const SCHEMA: &str = include_str!("../../tests/fixtures/small.toml");

fn schema() -> ibops_codegen::Schema {
    load("small.toml", SCHEMA).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn coverage_on_repeated_declarations() {
    assert_linear("struct x repeated", 20_000, |n| {
        let text = format!(
            "{}struct ib_device_ops ops = {{ .query_device = q, }};\n",
            "struct ib_device_ops x\n".repeat(n)
        );
        let provider =
            read_c("hostile", &text, "ib_device_ops", "INIT_RDMA_OBJ_SIZE").expect("reads");
        assert!(provider.fields.contains("query_device"));
    });
}

#[test]
fn check_c_on_repeated_calls() {
    let schema = schema();
    assert_linear("ib_set_device_ops( repeated", 20_000, |n| {
        let text = "ib_set_device_ops(\n".repeat(n);
        assert_eq!(check("hostile.c", &text, &schema).checked, 0);
    });
}

#[test]
fn check_c_on_many_distinct_merge_lines() {
    let schema = schema();
    assert_linear("distinct merge lines", 10_000, |n| {
        let lines: String = (0..n)
            .map(|i| format!("\tSET_DEVICE_OP(dev_ops, op_{i});\n"))
            .collect();
        let text = format!(
            "void ib_set_device_ops(struct ib_device *dev, const struct ib_device_ops *ops)\n{{\n{lines}}}\n"
        );
        assert_eq!(check("hostile.c", &text, &schema).checked, n);
    });
}

/// A schema of `n` ops of one signature and group, named `prefix_N`.
fn many_ops(prefix: &str, n: usize) -> String {
    let head = "struct = \"ib_device_ops\"\ngroups = [\"device\"]\n";
    let ops: String = (0..n)
        .map(|i| {
            format!(
                "[[op]]\nname = \"{prefix}_{i}\"\ngroup = \"device\"\ndoc = \"Op {prefix} {i}.\"\nparams = [\"device: &Device\"]\nreturns = \"Result<(), Error>\"\n"
            )
        })
        .collect();
    format!("{head}{ops}")
}

#[test]
fn diff_of_large_schemas() {
    assert_linear("diff", 1_000, |n| {
        let old = load("old.toml", &many_ops("old", n)).unwrap_or_else(|e| panic!("{e}"));
        let new = load("new.toml", &many_ops("new", n)).unwrap_or_else(|e| panic!("{e}"));
        let changes = diff("old", &old, "new", &new).changes.len();
        assert!(changes >= n, "{changes}");
    });
}
