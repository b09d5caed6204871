//! `IbDeviceOps`: one `Option<fn(..)>` field per op, the members, and `EMPTY`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc_attrs, ident, rust_names};
use crate::schema::{Op, Schema};

/// The type name of the ops table, from `[target.rust]`: `IbDeviceOps`.
pub(super) fn table_type(schema: &Schema) -> proc_macro2::Ident {
    ident(&rust_names(schema).table)
}

/// `fn(qp: &Qp, wrs: &[SendWr]) -> Result<(), Error>` for one op.
pub(super) fn fn_type(op: &Op) -> TokenStream {
    let params = op.params.iter().map(|p| {
        let name = ident(&p.name);
        let ty = &p.ty;
        quote!(#name: #ty)
    });
    let returns = &op.returns;
    quote!(fn(#(#params),*) -> #returns)
}

pub(super) fn emit(schema: &Schema) -> TokenStream {
    let table = table_type(schema);
    let names = rust_names(schema);
    let op_id = ident(&names.op_id);
    let table_name = table.to_string();
    let struct_doc = format!(
        "The `struct {}` table: every operation a provider may implement, \
         plus the members that describe the provider.\n\n\
         Build one with `#[derive({})]` (a `const`) or start from \
         [`{table}::EMPTY`]; combine tables with [`{table}::merge`].",
        schema.struct_name, names.derive
    );
    let struct_doc = doc_attrs(&struct_doc);
    let member_fields = schema.members.iter().map(|m| {
        let doc = doc_attrs(&format!(
            "{}\n\nMerge policy: `{}`.",
            m.doc,
            m.policy.name()
        ));
        let name = ident(&m.name);
        let ty = &m.ty;
        quote!(#doc pub #name: #ty,)
    });
    let op_fields = schema.ops.iter().map(|op| {
        let mandatory = if op.mandatory { " Mandatory." } else { "" };
        let doc = doc_attrs(&format!("{}\n\nGroup `{}`.{mandatory}", op.doc, op.group));
        let name = ident(&op.name);
        let ty = fn_type(op);
        quote!(#doc pub #name: ::core::option::Option<#ty>,)
    });
    let size_fields = schema.obj_sizes.iter().map(|size| {
        let doc = doc_attrs(&format!(
            "{}\n\nThe C table's `size_{}`: set with `#[{}(obj_size({} = Type))]`; \
             merged as the ops are.",
            size.doc, size.name, names.attribute, size.key
        ));
        let name = ident(&size.field());
        quote!(#doc pub #name: ::core::option::Option<ObjSize>,)
    });
    let size_empty = schema.obj_sizes.iter().map(|size| {
        let name = ident(&size.field());
        quote!(#name: ::core::option::Option::None,)
    });
    let member_empty = schema.members.iter().map(|m| {
        let name = ident(&m.name);
        let empty = &m.empty;
        quote!(#name: #empty,)
    });
    let op_empty = schema.ops.iter().map(|op| {
        let name = ident(&op.name);
        quote!(#name: ::core::option::Option::None,)
    });
    let member_debug = schema.members.iter().map(|m| {
        let (key, name) = (&m.name, ident(&m.name));
        quote!(.field(#key, &self.#name))
    });
    let size_debug = (!schema.obj_sizes.is_empty()).then(|| {
        let pushes = schema.obj_sizes.iter().map(|size| {
            let (key, name) = (size.field(), ident(&size.field()));
            quote!(if let ::core::option::Option::Some(size) = &self.#name {
                sizes.push((#key, size));
            })
        });
        quote! {
            let mut sizes: ::std::vec::Vec<(&str, &ObjSize)> = ::std::vec::Vec::new();
            #(#pushes)*
        }
    });
    let size_field = size_debug
        .as_ref()
        .map(|_| quote!(.field("obj_sizes", &sizes)));
    let debug_doc = doc_attrs(
        "Every member (from the schema, none left out), the ops set, by name, \
         and the object sizes declared.",
    );
    quote! {
        //! The ops table type and its empty value.
        #[allow(unused_imports)]
        use crate::prelude::*;

        #struct_doc
        #[derive(Clone, Copy)]
        #[allow(clippy::type_complexity)]
        pub struct #table {
            #(#member_fields)*
            #(#op_fields)*
            #(#size_fields)*
        }

        impl #table {
            /// A table with no op set and every member unset: the identity of `merge`.
            pub const EMPTY: #table = #table {
                #(#member_empty)*
                #(#op_empty)*
                #(#size_empty)*
            };
        }

        impl ::core::default::Default for #table {
            fn default() -> Self {
                Self::EMPTY
            }
        }

        #debug_doc
        impl ::core::fmt::Debug for #table {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                let ops: ::std::vec::Vec<&str> = self.implemented().map(#op_id::name).collect();
                #size_debug
                f.debug_struct(#table_name)
                    #(#member_debug)*
                    .field("implemented", &ops)
                    #size_field
                    .finish()
            }
        }
    }
}
