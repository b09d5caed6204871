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

fuzz_target!(|text: &str| {
    let Ok(args) = TokenStream::from_str(text) else {
        return;
    };
    let derive = quote::quote! { #[device_ops(#args)] struct Fuzz; };
    let _ = expand::derive(derive);
    let item = quote::quote! { impl Fuzz { fn post_send() {} } };
    let _ = expand::attribute(args, item);
});
