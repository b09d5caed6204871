//! Introspection records of the ops.

use super::OpId;

/// What the schema says of one op; `OPS[id as usize]` for each [`OpId`].
///
/// `Id` is the table's op identifier: [`OpId`] for the kernel table, or
/// another table's own (`ibops_uverbs::VerbsOpId`), which share this record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpInfo<Id = OpId> {
    /// The op.
    pub id: Id,
    /// Its name, as in the schema and the C struct.
    pub name: &'static str,
    /// Its group (`"qp"`, `"datapath"`, ...).
    pub group: &'static str,
    /// Whether registration requires it.
    pub mandatory: bool,
    /// Its Rust signature: `fn post_send(qp: &Qp, wrs: &[SendWr]) -> Result<(), Error>`.
    pub signature: &'static str,
    /// Its Rust return type.
    pub returns: &'static str,
    /// Its documentation.
    pub doc: &'static str,
    /// The C member declaration it mirrors (empty if the schema gives none).
    pub c: &'static str,
}
