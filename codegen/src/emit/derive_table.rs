//! A table as the derive needs it: its names, mandatory flags and member
//! kinds as a `TableSpec` constant, and the derive's entry points
//! (`#[proc_macro_derive(DeviceOps, attributes(device_ops))]` and the
//! impl-block attribute) named from `[target.rust]`, through the
//! `entry_points!` macro of the file's includer. The proc-macro crate
//! includes the file at its root, so it never parses TOML and holds no
//! table's names itself; the fuzz target includes it with an
//! `entry_points!` that makes nothing.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc_attrs, ident, rust_names};
use crate::schema::{AttrKind, Schema};

pub(super) fn emit(schema: &Schema) -> TokenStream {
    let names = rust_names(schema);
    let ops = schema.ops.iter().map(|op| {
        let name = &op.name;
        let mandatory = op.mandatory;
        let renamed_from = match &op.renamed_from {
            Some(old) => quote!(Some(#old)),
            None => quote!(None),
        };
        quote!(crate::table::OpSpec { name: #name, mandatory: #mandatory, renamed_from: #renamed_from },)
    });
    let members = schema.members.iter().map(|m| {
        let name = &m.name;
        let kind = match m.attr {
            AttrKind::Path => quote!(crate::table::MemberKind::Path),
            AttrKind::Int => quote!(crate::table::MemberKind::Int),
            AttrKind::Flag => quote!(crate::table::MemberKind::Flag),
            AttrKind::Static => quote!(crate::table::MemberKind::Static),
        };
        quote!(crate::table::MemberSpec { name: #name, kind: #kind },)
    });
    let sizes = schema.obj_sizes.iter().map(|size| {
        let key = &size.key;
        let field = size.field();
        quote!(crate::table::ObjSizeSpec { key: #key, field: #field },)
    });
    let spec = ident(&schema.struct_name.to_ascii_uppercase());
    let spec_doc = doc_attrs(&format!(
        "`{}` as the derive checks it, from {}.",
        schema.struct_name, schema.file
    ));
    let (struct_name, krate, table, provide) = (
        &schema.struct_name,
        &names.crate_name,
        &names.table,
        &names.provide_trait,
    );
    let (derive, attribute) = (ident(&names.derive), ident(&names.attribute));
    let (derive_name, attribute_name) = (&names.derive, &names.attribute);
    let derive_fn = ident(&format!("derive_{}", names.attribute));
    let derive_doc = format!(
        "Implements `{krate}::{provide}` with a `const` `{krate}::{table}`, checked at \
         compile time against `{struct_name}`.\n\n\
         ```ignore\n#[derive({derive_name})]\n#[{attribute_name}(op, op = path::to::function, member = value, mandatory)]\n\
         struct MyOps;\n```\n\n\
         A bare op name means `Self::name`; `op = path` names any function; members take \
         the value kind the schema gives them; `mandatory` requires the table alone to \
         provide every mandatory op. Ops not named are `None`."
    );
    let attribute_doc = format!(
        "On an inherent impl block: every function of the block is an op of `{struct_name}`, \
         and the block's type gets the same `{krate}::{provide}` impl \
         `#[derive({derive_name})]` makes. The attribute takes members and `mandatory` \
         like `#[{attribute_name}(...)]`."
    );
    quote! {
        #spec_doc
        pub(crate) const #spec: crate::table::TableSpec = crate::table::TableSpec {
            struct_name: #struct_name,
            crate_name: #krate,
            table: #table,
            provide_trait: #provide,
            derive: #derive_name,
            attribute: #attribute_name,
            ops: &[#(#ops)*],
            members: &[#(#members)*],
            obj_sizes: &[#(#sizes)*],
        };

        entry_points!(#spec, #derive, #attribute, #derive_fn, #derive_doc, #attribute_doc);
    }
}
