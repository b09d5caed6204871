//! `check-c` on any text against today's schema: a report, never a panic,
//! every finding at a line of the text.
#![no_main]

use ibops_codegen::c::check::check;
use ibops_codegen::schema::{self, Schema};
use libfuzzer_sys::fuzz_target;

thread_local! {
    // The schema's syntax trees are not `Sync`: one per fuzzing thread.
    static SCHEMA: Schema =
        schema::load("ops.toml", include_str!("../../ops.toml")).expect("ops.toml is valid");
}

fuzz_target!(|text: &str| {
    let text = format!("void ib_set_device_ops(struct ib_device *dev, const struct ib_device_ops *ops)\n{{{text}");
    let report = SCHEMA.with(|schema| check("fuzz.c", &text, schema));
    let lines = text.lines().count() + 1;
    assert!(report.findings.iter().all(|f| f.line <= lines));
    let _ = report.to_string();
});
