//! The dispatch layer: one method per op that calls the provider's function
//! or fails with `Error::NotSupported`, like the kernel core's wrappers that
//! check for a NULL op. With the runtime's `trace` feature, each call also
//! runs in a tracing span and counts in its device's statistics; without
//! it, those lines are compiled out.

use proc_macro2::TokenStream;
use quote::quote;

use super::ops_struct::table_type;
use super::{doc_attrs, ident, rust_names, variant};
use crate::schema::{Op, Schema, is_unit};

/// The device a call of `op` is attributed to: its first parameter that is
/// `&Device` or a reference to one of the schema's object types.
fn device_of(op: &Op, objects: &[String]) -> TokenStream {
    for p in &op.params {
        let syn::Type::Reference(r) = &p.ty else {
            continue;
        };
        if r.mutability.is_some() {
            continue;
        }
        let syn::Type::Path(path) = &*r.elem else {
            continue;
        };
        let Some(last) = path.path.segments.last() else {
            continue;
        };
        let name = ident(&p.name);
        if last.ident == "Device" {
            return quote!(::core::option::Option::Some(#name));
        }
        if objects.iter().any(|o| last.ident == o) {
            return quote!(::core::option::Option::Some(#name.device()));
        }
    }
    quote!(::core::option::Option::None)
}

pub(super) fn emit(schema: &Schema) -> TokenStream {
    let table = table_type(schema);
    let names = rust_names(schema);
    let op_id = ident(&names.op_id);
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
            "Calls the provider's `{0}`.\n\n# Errors\n`Error::NotSupported({op_id}::{id})` when the table has no `{0}`{1}.",
            op.name,
            if op.returns_result() { "; otherwise whatever the provider returns" } else { "" }
        ));
        // `self` plus the op's parameters; the kernel's signatures are kept whole.
        let allow = (op.params.len() >= 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
        let device = device_of(op, &schema.objects);
        let (start, finish) = if names.trace {
            (
                quote! {
                    #[cfg(feature = "trace")]
                    let call = crate::stats::Call::start(#op_id::#id, #device);
                },
                quote! {
                    #[cfg(feature = "trace")]
                    call.finish(&result);
                },
            )
        } else {
            (TokenStream::new(), TokenStream::new())
        };
        let call = quote! {
            match self.#name {
                ::core::option::Option::Some(f) => #call,
                ::core::option::Option::None => ::core::result::Result::Err(Error::NotSupported(#op_id::#id)),
            }
        };
        // With the trace feature the result is counted before it returns.
        let body = if names.trace {
            quote! {
                #start
                let result = #call;
                #finish
                result
            }
        } else {
            call
        };
        quote! {
            #doc
            #[inline]
            #allow
            pub fn #name(&self, #(#params),*) -> #ret {
                #body
            }
        }
    });
    quote! {
        //! Dispatch: calling an op through the table.
        #[allow(unused_imports)]
        use crate::prelude::*;
        use super::op_id::#op_id;
        use super::ops_struct::#table;

        impl #table {
            #(#methods)*
        }
    }
}
