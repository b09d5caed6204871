//! A table as the derive sees it ([`TableSpec`]): op and member names and
//! the Rust names of its expansion, generated from a schema (each schema's
//! `derive_table` file defines one with its derive's entry points, so the
//! proc-macro never parses TOML), and lookups with "did you mean"
//! suggestions.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// One table the derive builds: what its entries may name, and the paths
/// its expansion names.
pub(crate) struct TableSpec {
    /// The C struct the table mirrors (`ib_device_ops`), named in errors.
    pub(crate) struct_name: &'static str,
    /// The crate hosting the table (`ibops`).
    pub(crate) crate_name: &'static str,
    /// The table's type in that crate (`IbDeviceOps`).
    pub(crate) table: &'static str,
    /// The trait the expansion implements (`ProvideOps`).
    pub(crate) provide_trait: &'static str,
    /// The derive (`DeviceOps`), named in errors.
    pub(crate) derive: &'static str,
    /// Its helper attribute, also the impl-block attribute (`device_ops`).
    pub(crate) attribute: &'static str,
    /// Every op, in struct order.
    pub(crate) ops: &'static [OpSpec],
    /// Every non-function member, in struct order.
    pub(crate) members: &'static [MemberSpec],
    /// Every object size, in struct order.
    pub(crate) obj_sizes: &'static [ObjSizeSpec],
}

/// One op of the table.
pub(crate) struct OpSpec {
    /// Field name.
    pub(crate) name: &'static str,
    /// Whether registration requires it.
    pub(crate) mandatory: bool,
    /// The name it had before it was renamed (`renamed_from` in the
    /// schema).
    pub(crate) renamed_from: Option<&'static str>,
}

/// What value `#[device_ops(member = ...)]` takes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum MemberKind {
    /// A path or constant expression.
    Path,
    /// An integer literal.
    Int,
    /// No value: the bare word sets the member.
    Flag,
    /// A path to a `static`, stored as `Some(&PATH)`.
    Static,
}

/// One non-function member of the table.
pub(crate) struct MemberSpec {
    /// Field name.
    pub(crate) name: &'static str,
    /// What value it takes.
    pub(crate) kind: MemberKind,
}

/// One object size of the table.
pub(crate) struct ObjSizeSpec {
    /// What `obj_size(KEY = Type)` calls it: `ah`.
    pub(crate) key: &'static str,
    /// The table's field: `size_ib_ah`.
    pub(crate) field: &'static str,
}

impl TableSpec {
    /// The object size whose key is `key`.
    pub(crate) fn obj_size(&self, key: &str) -> Option<&'static ObjSizeSpec> {
        self.obj_sizes.iter().find(|size| size.key == key)
    }

    /// The op called `name`.
    pub(crate) fn op(&self, name: &str) -> Option<&'static OpSpec> {
        self.ops.iter().find(|op| op.name == name)
    }

    /// The op that was called `old` before it was renamed.
    pub(crate) fn renamed(&self, old: &str) -> Option<&'static OpSpec> {
        self.ops.iter().find(|op| op.renamed_from == Some(old))
    }

    /// The member called `name`.
    pub(crate) fn member(&self, name: &str) -> Option<&'static MemberSpec> {
        self.members.iter().find(|m| m.name == name)
    }

    /// `::CRATE::NAME`: a path into the table's crate (`::ibops::ObjSize`).
    pub(crate) fn path(&self, name: &str) -> TokenStream {
        let krate = Ident::new(self.crate_name, Span::call_site());
        let name = Ident::new(name, Span::call_site());
        quote!(::#krate::#name)
    }

    /// `::CRATE::TABLE`: the table's type.
    pub(crate) fn table_path(&self) -> TokenStream {
        self.path(self.table)
    }
}

/// The closest of `candidates` to `name`, if close enough to be a typo.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.len() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance with adjacent transpositions counting as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPS: &[OpSpec] = crate::IB_DEVICE_OPS.ops;

    #[test]
    fn suggests_the_nearest_op() {
        let names = OPS.iter().map(|op| op.name);
        assert_eq!(suggest("post_sned", names.clone()), Some("post_send"));
        assert_eq!(suggest("pollcq", names.clone()), Some("poll_cq"));
        assert_eq!(suggest("frobnicate", names), None);
    }

    #[test]
    fn the_table_has_every_op() {
        assert_eq!(OPS.len(), 128);
        assert_eq!(OPS.iter().filter(|op| op.mandatory).count(), 17);
        let member = crate::IB_DEVICE_OPS.member("driver_id");
        assert!(member.is_some_and(|m| m.kind == MemberKind::Path));
        assert_eq!(
            crate::IB_DEVICE_OPS.table_path().to_string(),
            ":: ibops :: IbDeviceOps"
        );
    }
}
