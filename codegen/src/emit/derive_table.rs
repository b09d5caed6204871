//! The op table the derive validates against: names, mandatory flags and
//! member kinds as plain Rust, so the proc-macro never parses TOML.

use proc_macro2::TokenStream;
use quote::quote;

use crate::schema::{AttrKind, Schema};

pub(super) fn emit(schema: &Schema) -> TokenStream {
    let ops = schema.ops.iter().map(|op| {
        let name = &op.name;
        let mandatory = op.mandatory;
        quote!(OpSpec { name: #name, mandatory: #mandatory },)
    });
    let members = schema.members.iter().map(|m| {
        let name = &m.name;
        let kind = match m.attr {
            AttrKind::Path => quote!(MemberKind::Path),
            AttrKind::Int => quote!(MemberKind::Int),
            AttrKind::Flag => quote!(MemberKind::Flag),
        };
        quote!(MemberSpec { name: #name, kind: #kind },)
    });
    quote! {
        //! The schema as the derive needs it.
        use super::{MemberKind, MemberSpec, OpSpec};

        /// Every op, in struct order.
        pub(crate) const OPS: &[OpSpec] = &[#(#ops)*];

        /// Every non-function member, in struct order.
        pub(crate) const MEMBERS: &[MemberSpec] = &[#(#members)*];
    }
}
