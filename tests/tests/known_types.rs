//! The types the schema check knows (`ibops_codegen::schema::known_types`)
//! are the ones `ibops::prelude` exports, read from the runtime's code: the
//! prelude's `pub use` lists, the `pub use` lists of `verbs/`, the items of
//! `object.rs` and the object kinds its `object_kinds!` declares. A type
//! added to the runtime and not to the list, or listed and gone, fails here.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use ibops_codegen::schema::known_types::IBOPS_TYPES;

fn runtime_file(path: &str) -> syn::File {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../runtime/src")
        .join(path);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The leaf names of a `use` tree (globs skipped: their modules are read
/// on their own).
fn use_leaves(tree: &syn::UseTree, out: &mut BTreeSet<String>) {
    match tree {
        syn::UseTree::Path(p) => use_leaves(&p.tree, out),
        syn::UseTree::Name(n) => {
            out.insert(n.ident.to_string());
        }
        syn::UseTree::Rename(r) => {
            out.insert(r.rename.to_string());
        }
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_leaves(t, out)),
        syn::UseTree::Glob(_) => {}
    }
}

/// Every `pub use` leaf among `items`.
fn pub_uses(items: &[syn::Item], out: &mut BTreeSet<String>) {
    for item in items {
        if let syn::Item::Use(u) = item
            && matches!(u.vis, syn::Visibility::Public(_))
        {
            use_leaves(&u.tree, out);
        }
    }
}

/// What the prelude exports, from the code.
fn prelude_exports() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let lib = runtime_file("lib.rs");
    for item in &lib.items {
        if let syn::Item::Mod(m) = item
            && m.ident == "prelude"
            && let Some((_, items)) = &m.content
        {
            pub_uses(items, &mut names);
        }
    }
    pub_uses(&runtime_file("verbs/mod.rs").items, &mut names);
    for item in &runtime_file("object.rs").items {
        match item {
            syn::Item::Struct(s) if matches!(s.vis, syn::Visibility::Public(_)) => {
                names.insert(s.ident.to_string());
            }
            syn::Item::Trait(t) if matches!(t.vis, syn::Visibility::Public(_)) => {
                names.insert(t.ident.to_string());
            }
            // `Alias = Kind("name", ...);`: both are exported.
            syn::Item::Macro(m) if m.mac.path.is_ident("object_kinds") => {
                let tokens: Vec<proc_macro2::TokenTree> =
                    m.mac.tokens.clone().into_iter().collect();
                for w in tokens.windows(3) {
                    if let (
                        proc_macro2::TokenTree::Ident(alias),
                        proc_macro2::TokenTree::Punct(eq),
                        proc_macro2::TokenTree::Ident(kind),
                    ) = (&w[0], &w[1], &w[2])
                        && eq.as_char() == '='
                    {
                        names.insert(alias.to_string());
                        names.insert(kind.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    // The derive's macros are no types.
    names.remove("DeviceOps");
    names.remove("device_ops");
    names
}

#[test]
fn the_known_types_are_what_the_prelude_exports() {
    let listed: BTreeSet<String> = IBOPS_TYPES.iter().map(|s| (*s).to_owned()).collect();
    let exported = prelude_exports();
    let missing: Vec<&String> = exported.difference(&listed).collect();
    let gone: Vec<&String> = listed.difference(&exported).collect();
    assert!(
        missing.is_empty() && gone.is_empty(),
        "exported but not known to the schema check: {missing:?}\nknown but not exported: {gone:?}"
    );
}
