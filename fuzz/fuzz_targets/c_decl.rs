//! The C member-declaration grammar on any text: a declaration or an error,
//! and a parsed function pointer prints back to text that parses the same.
#![no_main]

use ibops_codegen::c::decl::{CDecl, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(CDecl::FnPointer(f)) = parse(text) {
        let again = parse(&f.to_string());
        assert_eq!(again, Ok(CDecl::FnPointer(f)));
    }
});
