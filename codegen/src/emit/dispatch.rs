//! The dispatch layer: one method per op that calls the provider's function
//! or fails with `Error::NotSupported`, like the kernel core's wrappers that
//! check for a NULL op.

use proc_macro2::TokenStream;
use quote::quote;

use super::ops_struct::table_type;
use super::{doc_attrs, ident, variant};
use crate::schema::{Schema, is_unit};

pub(super) fn emit(schema: &Schema) -> TokenStream {
    let table = table_type(schema);
    let methods = schema.ops.iter().map(|op| {
        let name = ident(&op.name);
        let id = variant(&op.name);
        let params = op.params.iter().map(|p| {
            let n = ident(&p.name);
            let ty = &p.ty;
            quote!(#n: #ty)
        });
        let args = op.params.iter().map(|p| ident(&p.name));
        let returns = &op.returns;
        let (ret, call) = if op.returns_result() {
            (quote!(#returns), quote!(f(#(#args),*)))
        } else if is_unit(returns) {
            (
                quote!(::core::result::Result<(), Error>),
                quote!({
                    f(#(#args),*);
                    ::core::result::Result::Ok(())
                }),
            )
        } else {
            (
                quote!(::core::result::Result<#returns, Error>),
                quote!(::core::result::Result::Ok(f(#(#args),*))),
            )
        };
        let doc = doc_attrs(&format!(
            "Calls the provider's `{0}`.\n\n# Errors\n`Error::NotSupported(OpId::{id})` when the table has no `{0}`{1}.",
            op.name,
            if op.returns_result() { "; otherwise whatever the provider returns" } else { "" }
        ));
        // `self` plus the op's parameters; the kernel's signatures are kept whole.
        let allow = (op.params.len() >= 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
        quote! {
            #doc
            #[inline]
            #allow
            pub fn #name(&self, #(#params),*) -> #ret {
                match self.#name {
                    ::core::option::Option::Some(f) => #call,
                    ::core::option::Option::None => ::core::result::Result::Err(Error::NotSupported(OpId::#id)),
                }
            }
        }
    });
    quote! {
        //! Dispatch: calling an op through the table.
        #[allow(unused_imports)]
        use crate::prelude::*;
        use super::op_id::OpId;
        use super::ops_struct::#table;

        impl #table {
            #(#methods)*
        }
    }
}
