//! `merge`: the schema's op policy (`SET_DEVICE_OP` keep-first, or
//! last-wins) for every op, and each member's declared policy.
//!
//! Conflicts are checked before anything changes, so a failed merge leaves
//! the table as it was.

use proc_macro2::TokenStream;
use quote::quote;

use super::ident;
use super::ops_struct::table_type;
use crate::schema::{MemberPolicy, OpMerge, Schema};

/// The merge of one `Option` field by the table's op rule.
fn like_ops(merge: OpMerge, name: &proc_macro2::Ident) -> TokenStream {
    match merge {
        OpMerge::KeepFirst => quote!(self.#name = self.#name.or(other.#name);),
        OpMerge::LastWins => quote!(self.#name = other.#name.or(self.#name);),
    }
}

pub(super) fn emit(schema: &Schema) -> TokenStream {
    let table = table_type(schema);
    let conflict_checks = schema
        .members
        .iter()
        .filter(|m| m.policy.refuses_conflicts())
        .map(|m| {
            let name = ident(&m.name);
            let label = &m.name;
            let empty = &m.empty;
            quote! {
                if self.#name != #empty && other.#name != #empty && self.#name != other.#name {
                    return ::core::result::Result::Err(MergeConflict::new(#label, &self.#name, &other.#name));
                }
            }
        });
    let member_merges = schema.members.iter().map(|m| {
        let name = ident(&m.name);
        let empty = &m.empty;
        match m.policy {
            MemberPolicy::KeepFirst | MemberPolicy::Conflict => quote! {
                if self.#name == #empty {
                    self.#name = other.#name;
                }
            },
            MemberPolicy::Overwrite => quote! {
                if other.#name != #empty {
                    self.#name = other.#name;
                }
            },
            MemberPolicy::Or => quote! {
                self.#name |= other.#name;
            },
            MemberPolicy::LikeOps => like_ops(schema.merge, &name),
        }
    });
    let op_merges = schema
        .ops
        .iter()
        .map(|op| like_ops(schema.merge, &ident(&op.name)));
    let size_merges = schema
        .obj_sizes
        .iter()
        .map(|size| like_ops(schema.merge, &ident(&size.field())));
    let policy_doc = match schema.merge {
        OpMerge::KeepFirst => {
            " Ops are kept first: an op already set is kept, an unset one is taken from `other`."
        }
        OpMerge::LastWins => " Ops are last-wins: an op set in `other` replaces the current one.",
    };
    quote! {
        //! Merging one ops table into another.
        use crate::ops::MergeConflict;
        #[allow(unused_imports)]
        use crate::prelude::*;
        use super::ops_struct::#table;

        impl #table {
            /// Merges `other` into this table.
            ///
            #[doc = #policy_doc]
            /// Each member follows its declared policy; object sizes merge as
            /// the ops do (`SET_OBJ_SIZE`).
            ///
            /// # Errors
            /// A member with the `conflict` policy set to two different
            /// non-empty values; the table is then left unchanged.
            pub fn merge(&mut self, other: &#table) -> ::core::result::Result<(), MergeConflict> {
                #(#conflict_checks)*
                #(#member_merges)*
                #(#op_merges)*
                #(#size_merges)*
                ::core::result::Result::Ok(())
            }
        }
    }
}
