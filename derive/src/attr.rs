//! Parsing a table's attribute (`#[device_ops(...)]`): a comma-separated
//! list of `key`, `key = value` or `obj_size(key = Type, ...)` entries,
//! from any number of attributes.

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, Ident, Token, Type};

use crate::ctxt::Ctxt;

/// Where an entry was written; errors are worded for it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// In `#[device_ops(...)]`.
    Attribute,
    /// A function of an impl block under `#[device_ops]`.
    ImplFn,
}

/// One `key`, `key = value` or `key(inner = Type, ...)` entry.
pub(crate) struct Entry {
    /// The op, member, `mandatory` or `obj_size`.
    pub(crate) key: Ident,
    /// The value after `=`, if any.
    pub(crate) value: Option<Expr>,
    /// The `inner = Type` pairs of a parenthesized list (`obj_size(...)`).
    pub(crate) list: Option<Vec<TypeEntry>>,
    /// Where it was written.
    pub(crate) origin: Origin,
}

/// One `key = Type` pair inside a parenthesized entry.
pub(crate) struct TypeEntry {
    /// The key: an object size's (`ah`).
    pub(crate) key: Ident,
    /// The type.
    pub(crate) ty: Type,
}

impl Parse for TypeEntry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key = input.parse()?;
        input.parse::<Token![=]>()?;
        Ok(TypeEntry {
            key,
            ty: input.parse()?,
        })
    }
}

impl Parse for Entry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key: Ident = input.parse()?;
        let (mut value, mut list) = (None, None);
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            value = Some(input.parse()?);
        } else if input.peek(syn::token::Paren) {
            let inner;
            syn::parenthesized!(inner in input);
            let pairs = Punctuated::<TypeEntry, Token![,]>::parse_terminated(&inner)?;
            list = Some(pairs.into_iter().collect());
        }
        Ok(Entry {
            key,
            value,
            list,
            origin: Origin::Attribute,
        })
    }
}

/// The entries of `tokens`, the inside of one `device_ops(...)`.
pub(crate) fn parse_list(tokens: TokenStream, cx: &mut Ctxt) -> Vec<Entry> {
    match Punctuated::<Entry, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(list) => list.into_iter().collect(),
        Err(e) => {
            cx.syn_error(e);
            Vec::new()
        }
    }
}

/// The entries of every `#[NAME(...)]` among `attrs` (`name` is the
/// table's attribute, `device_ops`), in order.
pub(crate) fn parse_attrs(attrs: &[Attribute], name: &str, cx: &mut Ctxt) -> Vec<Entry> {
    let mut entries = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident(name)) {
        match attr.meta.require_list() {
            Ok(list) => entries.extend(parse_list(list.tokens.clone(), cx)),
            Err(_) => cx.error_spanned_by(
                attr,
                format!(
                    "expected `#[{name}(op, op = path, member = value, obj_size(key = Type), mandatory)]`"
                ),
            ),
        }
    }
    entries
}
