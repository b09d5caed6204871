//! `DUMMY`: the table with every op set to a function that answers as no
//! provider gave it (rdma-core's `verbs_dummy_ops`), for a target with
//! `dummy = true`. A context starts from it and merges its provider's
//! tables over it, so every op can be called.
//!
//! A dummy returning a `Result` answers `Error::NotSupported(ID)`; one
//! returning nothing does nothing; one returning a plain value answers the
//! type's default (rdma-core's dummy `query_qp_data_in_order` answers 0).

use proc_macro2::TokenStream;
use quote::quote;

use super::ops_struct::table_type;
use super::{ident, rust_names, variant};
use crate::schema::{Schema, is_unit};

pub(super) fn emit(schema: &Schema) -> TokenStream {
    let table = table_type(schema);
    let op_id = ident(&rust_names(schema).op_id);
    let functions = schema.ops.iter().map(|op| {
        let name = ident(&op.name);
        let id = variant(&op.name);
        let params = op.params.iter().map(|p| {
            let n = ident(&format!("_{}", p.name));
            let ty = &p.ty;
            quote!(#n: #ty)
        });
        let returns = &op.returns;
        let arrow = (!is_unit(returns)).then(|| quote!(-> #returns));
        let body = if op.returns_result() {
            quote!(::core::result::Result::Err(Error::NotSupported(#op_id::#id)))
        } else if is_unit(returns) {
            TokenStream::new()
        } else {
            quote!(::core::default::Default::default())
        };
        let doc = format!(" The dummy `{}`.", op.name);
        quote! {
            #[doc = #doc]
            pub(super) fn #name(#(#params),*) #arrow {
                #body
            }
        }
    });
    let fields = schema.ops.iter().map(|op| {
        let name = ident(&op.name);
        quote!(#name: ::core::option::Option::Some(dummies::#name),)
    });
    let sizes = (!schema.obj_sizes.is_empty() || !schema.members.is_empty())
        .then(|| quote!(..#table::EMPTY));
    let doc = format!(
        " Every op set to its dummy, which answers as no provider gave it: \
         `Error::NotSupported({op_id}::..)`, nothing, or the result type's default. \
         A context starts from it and merges its provider's tables over it."
    );
    quote! {
        //! The dummy table.
        #[allow(unused_imports)]
        use crate::prelude::*;
        use super::op_id::#op_id;
        use super::ops_struct::#table;

        impl #table {
            #[doc = #doc]
            pub const DUMMY: #table = #table {
                #(#fields)*
                #sizes
            };
        }

        /// One dummy per op.
        mod dummies {
            #[allow(unused_imports)]
            use super::*;

            #(#functions)*
        }
    }
}
