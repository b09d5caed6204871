//! Expansion: both forms (the derive and the impl-block attribute) become
//! one impl of the table's trait (`ibops::ProvideOps`) with a `const`
//! table, every name from the table's [`TableSpec`].

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Generics, ImplItem, ItemImpl, Type};

use crate::attr::{self, Entry, Origin};
use crate::check::{self, Table};
use crate::ctxt::Ctxt;
use crate::table::TableSpec;

/// The table's derive (`#[derive(DeviceOps)]`) on `input`.
pub(crate) fn derive(input: TokenStream, spec: &TableSpec) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    let mut cx = Ctxt::default();
    if let Data::Union(u) = &input.data {
        cx.error_spanned_by(
            u.union_token,
            format!(
                "`{}` can be derived for structs and enums (usually a unit struct \
                 naming the provider), not unions",
                spec.derive
            ),
        );
    }
    let entries = attr::parse_attrs(&input.attrs, spec.attribute, &mut cx);
    let ident = &input.ident;
    let (_, ty_generics, _) = input.generics.split_for_impl();
    let self_ty: Type = syn::parse_quote!(#ident #ty_generics);
    provide_ops(spec, &self_ty, &input.generics, entries, cx)
}

/// The table's attribute (`#[device_ops(args)]`) on an impl block: every fn
/// of the block is an op.
pub(crate) fn attribute(args: TokenStream, item: TokenStream, spec: &TableSpec) -> TokenStream {
    let attr = spec.attribute;
    let item: ItemImpl = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            let e = syn::Error::new_spanned(
                &item,
                format!("`#[{attr}]` goes on an inherent impl block whose functions are ops"),
            );
            let e = e.to_compile_error();
            return quote!(#e #item);
        }
    };
    let mut cx = Ctxt::default();
    if let Some((path, _)) = &item.trait_ {
        cx.error_spanned_by(
            path,
            format!("`#[{attr}]` goes on an inherent impl block, not a trait impl"),
        );
    }
    let mut entries = attr::parse_list(args, &mut cx);
    entries.extend(item.items.iter().filter_map(|it| match it {
        ImplItem::Fn(f) => Some(Entry {
            key: f.sig.ident.clone(),
            value: None,
            list: None,
            origin: Origin::ImplFn,
        }),
        _ => None,
    }));
    let provide = provide_ops(spec, &item.self_ty, &item.generics, entries, cx);
    quote!(#item #provide)
}

/// Checks `entries` and emits the `ProvideOps` impl for `self_ty`; on any
/// error, the errors plus a stub impl with an empty table, so the user sees
/// the real error and not a cascade.
fn provide_ops(
    spec: &TableSpec,
    self_ty: &Type,
    generics: &Generics,
    entries: Vec<Entry>,
    mut cx: Ctxt,
) -> TokenStream {
    let table = check::check(spec, entries, &mut cx);
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let ty = spec.table_path();
    let value = if cx.has_errors() {
        quote!(#ty::EMPTY)
    } else {
        table_expr(&ty, &table)
    };
    let provide = spec.path(spec.provide_trait);
    let errors = cx.into_compile_errors();
    quote! {
        #errors
        impl #impl_generics #provide for #self_ty #where_clause {
            const OPS: #ty = #value;
        }
    }
}

/// `TABLE { field: value, .., ..TABLE::EMPTY }`.
fn table_expr(ty: &TokenStream, table: &Table) -> TokenStream {
    let fields = table
        .fields
        .iter()
        .map(|(name, value)| quote!(#name: #value,));
    quote! {
        #ty {
            #(#fields)*
            ..#ty::EMPTY
        }
    }
}
