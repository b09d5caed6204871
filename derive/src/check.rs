//! Validating entries against the schema's op table: unknown and duplicate
//! ops, members given the wrong kind of value, and the `mandatory` check.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit};

use crate::attr::{Entry, Origin};
use crate::ctxt::Ctxt;
use crate::table::{self, MemberKind, TableSpec};

/// A checked table: each named field with the expression that fills it.
#[derive(Default)]
pub(crate) struct Table {
    /// `(field, value)` for each op and member set, in the order written.
    pub(crate) fields: Vec<(Ident, TokenStream)>,
}

/// Checks `entries` against `spec` and builds the table, recording every
/// problem in `cx`.
pub(crate) fn check(spec: &TableSpec, entries: Vec<Entry>, cx: &mut Ctxt) -> Table {
    let mut table = Table::default();
    let mut mandatory: Option<Span> = None;
    let mut seen: Vec<Ident> = Vec::new();
    for entry in entries {
        let key = entry.key.to_string();
        if let Some(first) = seen.iter().find(|s| **s == entry.key) {
            let what = if spec.member(&key).is_some() {
                "member"
            } else {
                "op"
            };
            cx.error_spanned_by(&entry.key, format!("duplicate {what} `{key}`"));
            // A second error at the first, as a note would be.
            cx.error_spanned_by(first, format!("`{key}` is first named here"));
            continue;
        }
        if key == "obj_size" && spec.obj_sizes.is_empty() {
            // A table without object sizes has no `obj_size` key.
            unknown(spec, &entry, cx);
            continue;
        }
        if key == "obj_size" && entry.origin == Origin::Attribute {
            // Any number of `obj_size(...)` lists; each size once overall.
            obj_sizes(spec, &entry, &mut table, cx);
            continue;
        } else if let Some(list) = entry.list.as_ref().and_then(|l| l.first()) {
            cx.error_spanned_by(
                &list.key,
                format!("`{key}` takes no list: only `obj_size(key = Type, ...)` does"),
            );
        } else if key == "mandatory" && entry.origin == Origin::Attribute {
            match &entry.value {
                None => mandatory = Some(entry.key.span()),
                Some(v) => cx.error_spanned_by(v, "`mandatory` takes no value"),
            }
        } else if spec.op(&key).is_some() {
            if let Some(value) = op_value(&entry, cx) {
                table.fields.push((entry.key.clone(), value));
            }
        } else if let Some(member) = spec
            .member(&key)
            .filter(|_| entry.origin == Origin::Attribute)
        {
            if let Some(value) = member_value(&entry, member.kind, cx) {
                table.fields.push((entry.key.clone(), value));
            }
        } else {
            unknown(spec, &entry, cx);
            continue;
        }
        seen.push(entry.key);
    }
    if let Some(span) = mandatory {
        let missing: Vec<&str> = spec
            .ops
            .iter()
            .filter(|op| op.mandatory && !table.fields.iter().any(|(f, _)| f == op.name))
            .map(|op| op.name)
            .collect();
        if !missing.is_empty() {
            cx.syn_error(syn::Error::new(
                span,
                format!(
                    "`mandatory`: this table lacks {} mandatory op{}: {}",
                    missing.len(),
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", ")
                ),
            ));
        }
    }
    table
}

/// `obj_size(ah = MyAh, qp = MyQp)`: each key an object size of the
/// schema, each set to `Some(ObjSize::declared::<Type>("the attribute at
/// FILE:LINE"))`.
fn obj_sizes(spec: &TableSpec, entry: &Entry, table: &mut Table, cx: &mut Ctxt) {
    let Some(list) = &entry.list else {
        cx.error_spanned_by(
            &entry.key,
            "`obj_size` takes a list of object types, e.g. `obj_size(qp = MyQp, cq = MyCq)`",
        );
        return;
    };
    for pair in list {
        let key = pair.key.to_string();
        let Some(size) = spec.obj_size(&key) else {
            let keys = spec.obj_sizes.iter().map(|s| s.key);
            let message = match table::suggest(&key, keys.clone()) {
                Some(s) => format!("unknown object size `{key}`; did you mean `{s}`?"),
                None => format!(
                    "unknown object size `{key}`: the object sizes are {}",
                    keys.collect::<Vec<_>>().join(", ")
                ),
            };
            cx.error_spanned_by(&pair.key, message);
            continue;
        };
        if table.fields.iter().any(|(f, _)| f == size.field) {
            cx.error_spanned_by(&pair.key, format!("duplicate object size `{key}`"));
            continue;
        }
        let field = Ident::new(size.field, pair.key.span());
        let ty = &pair.ty;
        // The attribute, and where it is, for the run-time error of a
        // create op that returns another state type.
        let declared = format!(
            "#[{}(obj_size({key} = {}))]",
            spec.attribute,
            quote::ToTokens::to_token_stream(ty)
                .to_string()
                .replace(' ', "")
        );
        let obj_size = spec.path("ObjSize");
        let value = quote_spanned!(ty.span()=>
        ::core::option::Option::Some(#obj_size::declared::<#ty>(
            ::core::concat!(#declared, " at ", ::core::file!(), ":", ::core::line!())
        )));
        table.fields.push((field, value));
    }
}

/// The function an op entry names: `Self::op` for a bare name, else the path.
/// Spanned on the user's tokens, so a signature mismatch points there.
fn op_value(entry: &Entry, cx: &mut Ctxt) -> Option<TokenStream> {
    let key = &entry.key;
    match &entry.value {
        None => Some(quote_spanned!(key.span()=> ::core::option::Option::Some(Self::#key))),
        Some(Expr::Path(path)) => {
            Some(quote_spanned!(path.span()=> ::core::option::Option::Some(#path)))
        }
        Some(other) => {
            cx.error_spanned_by(
                other,
                format!("op `{key}` takes a path to a function, e.g. `{key} = my_driver::{key}`"),
            );
            None
        }
    }
}

/// The value of a member entry, checked against the member's kind.
fn member_value(entry: &Entry, kind: MemberKind, cx: &mut Ctxt) -> Option<TokenStream> {
    let key = &entry.key;
    let wrong = |cx: &mut Ctxt, at: &dyn quote::ToTokens, expected: String| {
        cx.error_spanned_by(at, format!("member `{key}` takes {expected}"));
        None
    };
    match (kind, &entry.value) {
        (MemberKind::Flag, None) => Some(quote!(true)),
        (MemberKind::Flag, Some(v)) => {
            wrong(cx, v, format!("no value: write just `{key}` to set it"))
        }
        (MemberKind::Int, Some(Expr::Lit(lit))) if matches!(lit.lit, Lit::Int(_)) => {
            Some(quote_spanned!(lit.span()=> #lit))
        }
        (MemberKind::Int, Some(v)) => wrong(cx, v, "an integer literal, e.g. `1`".into()),
        (MemberKind::Int, None) => wrong(cx, key, "an integer literal, e.g. `= 1`".into()),
        (MemberKind::Path, Some(Expr::Lit(lit))) => wrong(
            cx,
            lit,
            "a path to a constant, e.g. `DriverId::Soft`, not a literal".into(),
        ),
        (MemberKind::Path, Some(v)) => Some(quote_spanned!(v.span()=> #v)),
        (MemberKind::Path, None) => wrong(cx, key, "a path, e.g. `= DriverId::Soft`".into()),
        (MemberKind::Static, Some(Expr::Path(path))) => {
            Some(quote_spanned!(path.span()=> ::core::option::Option::Some(&#path)))
        }
        (MemberKind::Static, Some(v)) => {
            wrong(cx, v, "a path to a `static`, e.g. `MY_ATTRIBUTES`".into())
        }
        (MemberKind::Static, None) => wrong(
            cx,
            key,
            "a path to a `static`, e.g. `= MY_ATTRIBUTES`".into(),
        ),
    }
}

fn unknown(spec: &TableSpec, entry: &Entry, cx: &mut Ctxt) {
    let key = entry.key.to_string();
    let table = spec.struct_name;
    // A renamed op is answered with its new name, whatever the spelling
    // distance between the two.
    if let Some(new) = spec.renamed(&key) {
        let message = format!("`{key}` was renamed to `{}`", new.name);
        cx.error_spanned_by(&entry.key, message);
        return;
    }
    let message = match entry.origin {
        Origin::Attribute => {
            let candidates = spec
                .ops
                .iter()
                .map(|op| op.name)
                .chain(spec.members.iter().map(|m| m.name))
                .chain(["mandatory"])
                .chain((!spec.obj_sizes.is_empty()).then_some("obj_size"));
            match table::suggest(&key, candidates) {
                Some(s) => format!("unknown op or key `{key}`; did you mean `{s}`?"),
                None => format!("unknown op or key `{key}`: not an op or member of {table}"),
            }
        }
        Origin::ImplFn => {
            let hint = "helper functions belong in another impl block";
            match table::suggest(&key, spec.ops.iter().map(|op| op.name)) {
                Some(s) => format!("`{key}` is not an op; did you mean `{s}`? ({hint})"),
                None => format!("`{key}` is not an op of {table} ({hint})"),
            }
        }
    };
    cx.error_spanned_by(&entry.key, message);
}
