//! `ibops-codegen`: reads `ops.toml`, the single source of truth of the RDMA
//! device-ops table, validates it with spanned errors, and writes the
//! generated Rust code that the `ibops` runtime and the `ibops-derive`
//! proc-macro check in.
//!
//! ```no_run
//! use std::path::Path;
//! let outcomes = ibops_codegen::generate(Path::new("."), Path::new("ops.toml"))?;
//! for file in &outcomes {
//!     println!("{file}");
//! }
//! # Ok::<(), ibops_codegen::Error>(())
//! ```

#![forbid(unsafe_code)]

pub mod c;
pub mod coverage;
// The derive's `#[device_ops(...)]` parser, compiled here as plain code (a
// proc-macro crate exports only macros), so `coverage` reads the
// attributes exactly as the derive does.
#[path = "../../derive/src/ctxt.rs"]
#[allow(dead_code)]
mod ctxt;
#[path = "../../derive/src/attr.rs"]
#[allow(dead_code)]
mod derive_attr;
pub mod diagnostic;
pub mod diff;
pub mod emit;
mod json;
mod output;
mod rust_bounds;
pub mod schema;
pub mod source;
pub mod suggest;
mod write;

pub use diagnostic::{Diagnostic, SchemaErrors};
pub use emit::{GeneratedFile, emit_all};
pub use output::{
    Error, FileOutcome, StaleFile, check, check_c, check_c_from, check_from, coverage_from,
    coverage_of, diff_schemas, generate, generate_c, generate_c_from, generate_from, import_c,
    import_c_into, load_schema, render, workspace_files,
};
pub use schema::Schema;
pub use source::SchemaSource;
