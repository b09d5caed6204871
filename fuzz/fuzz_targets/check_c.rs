//! `check-c` on any text against today's schema: a report, never a panic,
//! every finding at a line of the text.
#![no_main]

use std::sync::LazyLock;

use ibops_codegen::c::check::check;
use ibops_codegen::schema::{self, Schema};
use libfuzzer_sys::fuzz_target;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    schema::load("ops.toml", include_str!("../../ops.toml")).expect("ops.toml is valid")
});

fuzz_target!(|text: &str| {
    let text = format!("void ib_set_device_ops(struct ib_device *dev, const struct ib_device_ops *ops)\n{{{text}");
    let report = check("fuzz.c", &text, &SCHEMA);
    let lines = text.lines().count() + 1;
    assert!(report.findings.iter().all(|f| f.line <= lines));
    let _ = report.to_string();
});
