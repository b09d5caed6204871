//! The op table the derive validates against: names, mandatory flags and
//! member kinds as plain Rust, so the proc-macro never parses TOML.

use proc_macro2::TokenStream;
use quote::quote;

use crate::schema::{AttrKind, Schema};

pub(super) fn emit(schema: &Schema) -> TokenStream {
    let ops = schema.ops.iter().map(|op| {
        let name = &op.name;
        let mandatory = op.mandatory;
        let renamed_from = match &op.renamed_from {
            Some(old) => quote!(Some(#old)),
            None => quote!(None),
        };
        quote!(OpSpec { name: #name, mandatory: #mandatory, renamed_from: #renamed_from },)
    });
    let members = schema.members.iter().map(|m| {
        let name = &m.name;
        let kind = match m.attr {
            AttrKind::Path => quote!(MemberKind::Path),
            AttrKind::Int => quote!(MemberKind::Int),
            AttrKind::Flag => quote!(MemberKind::Flag),
            AttrKind::Static => quote!(MemberKind::Static),
        };
        quote!(MemberSpec { name: #name, kind: #kind },)
    });
    let sizes = schema.obj_sizes.iter().map(|size| {
        let key = &size.key;
        let field = size.field();
        quote!(ObjSizeSpec { key: #key, field: #field },)
    });
    quote! {
        //! The schema as the derive needs it.
        #[allow(unused_imports)]
        use super::{MemberKind, MemberSpec, ObjSizeSpec, OpSpec};

        /// Every op, in struct order.
        pub(crate) const OPS: &[OpSpec] = &[#(#ops)*];

        /// Every non-function member, in struct order.
        pub(crate) const MEMBERS: &[MemberSpec] = &[#(#members)*];

        /// Every object size, in struct order.
        pub(crate) const OBJ_SIZES: &[ObjSizeSpec] = &[#(#sizes)*];
    }
}
