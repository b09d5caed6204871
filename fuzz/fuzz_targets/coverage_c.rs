//! `coverage` on any C text: the fields of its `struct ib_device_ops`
//! initializers or a read error, never a panic; every field it reports is
//! a C identifier (or an object size) taken from the text.
#![no_main]

use ibops_codegen::coverage::read_c;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    // Give most inputs an initializer to find.
    let text = format!("static const struct ib_device_ops o = {{{text}");
    if let Ok(provider) = read_c("fuzz", &text, "ib_device_ops", "INIT_RDMA_OBJ_SIZE") {
        for field in &provider.fields {
            // `.name = ...` names itself; `INIT_RDMA_OBJ_SIZE(ib_qp, ...)`
            // is the field `size_ib_qp`.
            let object = field.strip_prefix("size_").filter(|o| !o.is_empty());
            assert!(text.contains(field.as_str()) || object.is_some_and(|o| text.contains(o)), "{field}");
            assert!(field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{field}");
        }
    }
});
