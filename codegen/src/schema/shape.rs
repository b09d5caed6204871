//! Whether an op's Rust signature fits its C prototype.
//!
//! The Rust signatures are idiomatic, not transliterated (a `bad_wr`
//! out-pointer becomes an error's index, a count and an array become one
//! slice, a create op's allocated object becomes the parent and the
//! creation context), so the parameter counts legitimately differ. One
//! rule, with R Rust parameters and C parameters in the prototype (`void`
//! counts none), warns on exactly what no idiomatic rewrite does:
//!
//! | case | warns when |
//! |---|---|
//! | a skeleton filled mechanically | R = 0 and C > 0 |
//! | parameters from nowhere | R > C + 1 (one more is the create ops' parent and context) |
//! | a data result dropped | C returns a pointer and Rust returns no data |
//! | a result from nowhere | C returns `void`, Rust returns data, and C <= R (no out-parameter to spare) |
//!
//! The tests below sit on both sides of each bound.

use syn::{GenericArgument, PathArguments, Type};

use super::Op;

/// What does not fit in `op`, one sentence each (empty without a C
/// prototype).
pub(super) fn mismatches(op: &Op) -> impl Iterator<Item = String> + '_ {
    let checks = op.c.as_ref().map(|c| {
        let (rust, c_params) = (op.params.len(), c.params.len());
        let c_returns = c.returns.as_str();
        let data = returns_data(&op.returns);
        [
            (rust == 0 && c_params > 0).then(|| {
                format!(
                    "op `{}` has no Rust parameters, but its C prototype has {c_params}",
                    op.name
                )
            }),
            // Today's create ops take the object the core allocated (`struct
            // ib_pd *pd`), which stands for two Rust parameters: the parent
            // and the creation context. One more is idiomatic, two are not.
            (rust > c_params + 1).then(|| {
                format!(
                    "op `{}` has {rust} Rust parameters, but its C prototype only {c_params}",
                    op.name
                )
            }),
            (c_returns.ends_with('*') && !data).then(|| {
                format!(
                    "op `{}` returns `{c_returns}` in C but no value in Rust",
                    op.name
                )
            }),
            // A C out-parameter may have become the Rust result: only a
            // prototype with no parameter to spare is suspect.
            (c_returns == "void" && data && c_params <= rust)
                .then(|| format!("op `{}` returns nothing in C but a value in Rust", op.name)),
        ]
    });
    checks.into_iter().flatten().flatten()
}

/// Whether a Rust result carries data: not `()` and not `Result<(), _>`.
fn returns_data(ty: &Type) -> bool {
    !is_unit(ty) && result_ok(ty).is_none_or(|ok| !is_unit(ok))
}

fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(t) if t.elems.is_empty())
}

/// `T` of a `Result<T, _>`.
fn result_ok(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last().filter(|s| s.ident == "Result")?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(ok)) => Some(ok),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::c::decl::{CDecl, parse};
    use crate::schema::Param;

    /// An op `f` with `rust` parameters returning `returns`, mirroring `c`.
    fn op(rust: usize, returns: &str, c: &str) -> Op {
        let Ok(CDecl::FnPointer(c)) = parse(c) else {
            panic!("{c} is a prototype");
        };
        Op {
            name: "f".to_owned(),
            group: "g".to_owned(),
            doc: "d".to_owned(),
            params: (0..rust)
                .map(|i| Param {
                    name: format!("p{i}"),
                    ty: syn::parse_quote!(u32),
                })
                .collect(),
            returns: syn::parse_str(returns).expect("a type"),
            mandatory: false,
            c: Some(c),
            renamed_from: None,
            set: None,
            dummy: None,
        }
    }

    fn warns(op: &Op) -> usize {
        mismatches(op).count()
    }

    #[test]
    fn no_rust_parameters_for_c_ones() {
        assert_eq!(warns(&op(0, "Result<(), Error>", "int (*f)(int a);")), 1);
        assert_eq!(warns(&op(1, "Result<(), Error>", "int (*f)(int a);")), 0);
        assert_eq!(warns(&op(0, "Result<(), Error>", "int (*f)(void);")), 0);
    }

    #[test]
    fn one_rust_parameter_more_than_c_and_no_more() {
        // A one-parameter `void` prototype: two Rust parameters fit, three
        // do not; the same bound as for any other prototype.
        assert_eq!(warns(&op(2, "()", "void (*f)(int a);")), 0);
        assert_eq!(warns(&op(3, "()", "void (*f)(int a);")), 1);
        assert_eq!(warns(&op(1, "()", "void (*f)(void);")), 0);
        assert_eq!(warns(&op(2, "()", "void (*f)(void);")), 1);
    }

    #[test]
    fn a_pointer_result_needs_a_rust_result() {
        assert_eq!(warns(&op(1, "()", "void *(*f)(int a);")), 1);
        assert_eq!(warns(&op(1, "Option<u32>", "void *(*f)(int a);")), 0);
    }

    #[test]
    fn a_rust_result_needs_a_c_result_or_an_out_parameter() {
        assert_eq!(warns(&op(1, "u32", "void (*f)(int a);")), 1);
        assert_eq!(warns(&op(1, "u32", "void (*f)(int a, int *out);")), 0);
        assert_eq!(warns(&op(1, "Result<(), Error>", "void (*f)(int a);")), 0);
    }
}
