//! The schema loader on any text: a valid schema or located errors, never
//! a panic, and every error's `file:line:col` inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err(errors) = ibops_codegen::schema::load("fuzz.toml", text) {
        let shown = errors.to_string();
        assert!(shown.ends_with("in fuzz.toml"));
        // Lines as the loader counts them: CR and CRLF end a line too.
        let lines = text.replace("\r\n", "\n").replace('\r', "\n").lines().count();
        for d in errors.diagnostics() {
            let (line, _) = errors.line_col(d.span.start);
            assert!(line <= lines.max(1) + 1, "line {line} of {lines}");
        }
    }
});
