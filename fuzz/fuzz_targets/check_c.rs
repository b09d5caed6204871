//! `check-c` on any text against today's kernel schema and rdma-core's
//! (merge lines of their own, a positional dummy table): a report, never a
//! panic, every finding at a line of the text.
#![no_main]

use ibops_codegen::c::check::check;
use ibops_codegen::schema::{self, Schema};
use libfuzzer_sys::fuzz_target;

thread_local! {
    // The schema's syntax trees are not `Sync`: one per fuzzing thread.
    static SCHEMA: Schema =
        schema::load("ops.toml", include_str!("../../ops.toml")).expect("ops.toml is valid");
    static VERBS: Schema = schema::load(
        "schemas/verbs_context_ops.toml",
        include_str!("../../schemas/verbs_context_ops.toml"),
    )
    .expect("verbs_context_ops.toml is valid");
}

/// Checks `text` against `schema` and the report's lines against the text.
fn checked(text: &str, schema: &Schema) {
    let report = check("fuzz.c", text, schema);
    let lines = text.lines().count() + 1;
    assert!(report.findings.iter().all(|f| f.line <= lines));
    let _ = report.to_string();
}

fuzz_target!(|text: &str| {
    let kernel = format!("void ib_set_device_ops(struct ib_device *dev, const struct ib_device_ops *ops)\n{{{text}");
    SCHEMA.with(|schema| checked(&kernel, schema));
    // Half the input as the dummy table, the rest as the merge function.
    let (table, body) = text.split_at(text.char_indices().nth(text.chars().count() / 2).map_or(0, |(i, _)| i));
    let verbs = format!(
        "const struct verbs_context_ops verbs_dummy_ops = {{{table}\nvoid verbs_set_ops(struct verbs_context *vctx, const struct verbs_context_ops *ops)\n{{{body}"
    );
    VERBS.with(|schema| checked(&verbs, schema));
});
