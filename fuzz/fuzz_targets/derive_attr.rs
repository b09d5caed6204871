//! The derive's expander on any attribute contents, in both forms: an
//! expansion or compile errors, never a panic. The derive's modules are
//! compiled here as plain code (a proc-macro crate exports only macros).
#![no_main]

use core::str::FromStr;

use libfuzzer_sys::fuzz_target;
use proc_macro2::TokenStream;

#[path = "../../derive/src/attr.rs"]
mod attr;
#[path = "../../derive/src/check.rs"]
mod check;
#[path = "../../derive/src/ctxt.rs"]
mod ctxt;
#[path = "../../derive/src/expand.rs"]
mod expand;
#[path = "../../derive/src/table.rs"]
mod table;

/// The generated tables' entry points are the proc-macro crate's: here
/// they make nothing, and the tables are plain constants.
macro_rules! entry_points {
    ($($tokens:tt)*) => {};
}

include!("../../derive/src/generated/op_table.rs");
include!("../../derive/src/generated/verbs_op_table.rs");

fuzz_target!(|text: &str| {
    let Ok(args) = TokenStream::from_str(text) else {
        return;
    };
    for spec in [&IB_DEVICE_OPS, &VERBS_CONTEXT_OPS] {
        let attribute = proc_macro2::Ident::new(spec.attribute, proc_macro2::Span::call_site());
        let derive = quote::quote! { #[#attribute(#args)] struct Fuzz; };
        let _ = expand::derive(derive, spec);
        let item = quote::quote! { impl Fuzz { fn post_send() {} } };
        let _ = expand::attribute(args.clone(), item, spec);
    }
});
