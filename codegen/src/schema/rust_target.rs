//! A table's Rust side (`[target.rust]`): the names the generated code and
//! the derive's expansion use, so that no emitter holds one table's names.
//! Today's kernel table is `ibops::IbDeviceOps`, identified by
//! `ibops::OpId` and derived with `#[derive(DeviceOps)]`; rdma-core's is
//! `ibops_uverbs::VerbsContextOps` with `#[derive(VerbsContextOps)]`.

use std::ops::Range;

use toml::de::DeTable;

use super::table::TableReader;
use crate::diagnostic::Diagnostic;

/// The names of a table's Rust side (`[target.rust]`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RustNames {
    /// The crate providers name in paths, which hosts the generated table
    /// (`ibops`).
    pub crate_name: String,
    /// The table's type (`IbDeviceOps`).
    pub table: String,
    /// The op identifier enum (`OpId`).
    pub op_id: String,
    /// The trait a provider type implements with its `const` table
    /// (`ProvideOps`).
    pub provide_trait: String,
    /// The derive macro (`DeviceOps`).
    pub derive: String,
    /// The helper attribute of the derive, also the impl-block attribute
    /// (`device_ops`).
    pub attribute: String,
    /// Whether dispatch counts calls in the host crate's `stats` (with its
    /// `trace` feature).
    pub trace: bool,
    /// Whether the host crate gets a `DUMMY` table: every op set to a
    /// function that answers `Error::NotSupported` (rdma-core's
    /// `verbs_dummy_ops`).
    pub dummy: bool,
}

/// Reads `[target.rust]`; `None` when a name is missing or invalid
/// (reported).
pub(super) fn read(
    (table, span): &(&DeTable<'_>, Range<usize>),
    diags: &mut Vec<Diagnostic>,
) -> Option<RustNames> {
    let mut t = TableReader::new(table, span.clone(), "[target.rust]");
    let ident = |t: &mut TableReader<'_, '_>, key: &'static str| {
        t.checked_string(key, true, "a Rust identifier", |v| {
            syn::parse_str::<syn::Ident>(v).is_ok()
        })
        .flatten()
    };
    let crate_name = ident(&mut t, "crate");
    let table_name = ident(&mut t, "table");
    let op_id = ident(&mut t, "op_id");
    let provide_trait = ident(&mut t, "provide_trait");
    let derive = ident(&mut t, "derive");
    let attribute = ident(&mut t, "attribute");
    let trace = t.boolean("trace", false);
    let dummy = t.boolean("dummy", false);
    t.finish(diags);
    Some(RustNames {
        crate_name: crate_name?,
        table: table_name?,
        op_id: op_id?,
        provide_trait: provide_trait?,
        derive: derive?,
        attribute: attribute?,
        trace,
        dummy,
    })
}
