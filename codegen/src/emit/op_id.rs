//! `OpId`, the static `OPS` introspection table, and the queries built on it
//! (`is_set`, `implemented`, `missing_mandatory`).

use proc_macro2::TokenStream;
use quote::quote;

use super::ops_struct::table_type;
use super::{doc_attrs, ident, rust_names, variant};
use crate::schema::{Schema, type_text};

pub(super) fn emit(schema: &Schema) -> TokenStream {
    let table = table_type(schema);
    let op_id = ident(&rust_names(schema).op_id);
    let count = schema.ops.len();
    let enum_doc = doc_attrs(&format!(
        "Identifies one op of the table; `{op_id}::ALL` lists them in struct order."
    ));
    let variants = schema.ops.iter().map(|op| {
        let doc = doc_attrs(&format!("`{}`", op.name));
        let v = variant(&op.name);
        quote!(#doc #v,)
    });
    let all = schema.ops.iter().map(|op| {
        let v = variant(&op.name);
        quote!(#op_id::#v,)
    });
    let infos = schema.ops.iter().map(|op| {
        let v = variant(&op.name);
        let name = &op.name;
        let group = &op.group;
        let mandatory = op.mandatory;
        let signature = op.to_string();
        let returns = type_text(&op.returns);
        let doc = &op.doc;
        let c = op.c.as_ref().map(ToString::to_string).unwrap_or_default();
        quote! {
            OpInfo {
                id: #op_id::#v,
                name: #name,
                group: #group,
                mandatory: #mandatory,
                signature: #signature,
                returns: #returns,
                doc: #doc,
                c: #c,
            },
        }
    });
    let is_set_arms = schema.ops.iter().map(|op| {
        let v = variant(&op.name);
        let field = ident(&op.name);
        quote!(#op_id::#v => self.#field.is_some(),)
    });
    let retain_arms = schema.ops.iter().map(|op| {
        let v = variant(&op.name);
        let field = ident(&op.name);
        quote! {
            if !keep(#op_id::#v) {
                self.#field = ::core::option::Option::None;
            }
        }
    });
    let mandatory = schema.mandatory().map(|op| {
        let v = variant(&op.name);
        quote!(#op_id::#v,)
    });
    let mandatory_count = schema.mandatory().count();
    quote! {
        //! Op identifiers and the introspection table.
        use crate::ops::OpInfo;
        use super::ops_struct::#table;

        #enum_doc
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #op_id {
            #(#variants)*
        }

        impl #op_id {
            /// Every op, in struct order.
            pub const ALL: [#op_id; #count] = [#(#all)*];

            /// The mandatory ops, in struct order: registration refuses a
            /// device that lacks any of them.
            pub const MANDATORY: [#op_id; #mandatory_count] = [#(#mandatory)*];

            /// The introspection record of this op.
            pub const fn info(self) -> &'static OpInfo {
                &OPS[self as usize]
            }

            /// The op's name, as in the schema and the C struct.
            pub const fn name(self) -> &'static str {
                self.info().name
            }
        }

        /// One record per op, in struct order, indexed by `OpId as usize`.
        pub static OPS: [OpInfo; #count] = [#(#infos)*];

        impl #table {
            /// Whether the table provides `op`.
            pub const fn is_set(&self, op: #op_id) -> bool {
                match op {
                    #(#is_set_arms)*
                }
            }

            /// Clears every op for which `keep` returns `false`, such as the
            /// ops of a capability the hardware turns out to lack.
            pub fn retain(&mut self, mut keep: impl FnMut(#op_id) -> bool) {
                #(#retain_arms)*
            }

            /// The ops this table provides, in struct order.
            pub fn implemented(&self) -> impl Iterator<Item = #op_id> + '_ {
                #op_id::ALL.into_iter().filter(move |&op| self.is_set(op))
            }

            /// The mandatory ops this table lacks, in struct order.
            pub fn missing_mandatory(&self) -> impl Iterator<Item = #op_id> + '_ {
                #op_id::MANDATORY.into_iter().filter(move |&op| !self.is_set(op))
            }
        }
    }
}
