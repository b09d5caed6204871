//! Whether an op's Rust signature fits its C prototype.
//!
//! The Rust signatures are idiomatic, not transliterated (a `bad_wr`
//! out-pointer becomes an error's index, a count and an array become one
//! slice), so the parameter counts legitimately differ. What is checked is
//! what no idiomatic rewrite does: a Rust op with no parameters for a C
//! prototype that has some (a skeleton filled mechanically), two or more
//! Rust parameters beyond the C ones, a C result that is data (a pointer) with no
//! Rust result, and a Rust result for a C prototype that returns nothing
//! and has no out-parameter to spare.

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
