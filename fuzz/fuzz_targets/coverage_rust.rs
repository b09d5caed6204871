//! `coverage` on any Rust text: the fields of its derived tables or a read
//! error, never a panic and never a stack overflow, however deep the text
//! nests.
#![no_main]

use ibops_codegen::coverage::{RustTable, read_rust};
use libfuzzer_sys::fuzz_target;

/// ops.toml's Rust names.
const KERNEL: RustTable<'static> = RustTable {
    derive: "DeviceOps",
    attribute: "device_ops",
};

fuzz_target!(|text: &str| {
    // Give most inputs a derived table to find.
    let text = format!("#[derive(DeviceOps)]\n#[device_ops({text}");
    if let Ok(provider) = read_rust("fuzz", &text, &KERNEL) {
        assert!(provider.fields.iter().all(|f| !f.is_empty()));
    }
});
