//! The dummy ops of a table that has a dummy table (rdma-core's
//! `verbs_dummy_ops`): one `static` function per op, named after it, that
//! answers as the schema's `dummy` says, and the table itself as a
//! positional initializer in struct order, so that a struct changed
//! without its dummies fails `-Wmissing-field-initializers`.

use super::decl::{self, FnPointer};
use super::layout::{doc_comment, wrapped};
use crate::schema::{CNames, Dummy, Op, Schema};

/// The dummy functions and the table, or nothing without a dummy table.
pub(super) fn emit(schema: &Schema, c: &CNames) -> String {
    let Some(table) = &c.dummy_table else {
        return String::new();
    };
    let mut out = String::new();
    for op in &schema.ops {
        if let (Some(f), Some(dummy)) = (&op.c, &op.dummy) {
            out.push_str(&function(op, f, dummy));
            out.push('\n');
        }
    }
    out.push_str(&doc_comment(
        "",
        &format!(
            "{table} - What a context answers for an op its provider lacks\n\n\
             Positional on purpose: a member added to struct {} without its\n\
             dummy here is a -Wmissing-field-initializers warning.",
            schema.struct_name
        ),
    ));
    out.push_str(&format!(
        "const struct {} {table} = {{\n",
        schema.struct_name
    ));
    for op in &schema.ops {
        out.push_str(&format!("\t{},\n", op.name));
    }
    out.push_str("};\n");
    out
}

/// The prototypes of the library's real defaults the dummies call, for the
/// header.
pub(super) fn default_prototypes(schema: &Schema) -> String {
    let mut out = String::new();
    for op in &schema.ops {
        if let (Some(f), Some(Dummy::Default(name))) = (&op.c, &op.dummy) {
            out.push_str(&wrapped(
                &format!("{}{name}(", f.prefix()),
                &named_params(f),
                ");",
            ));
        }
    }
    out
}

fn function(op: &Op, f: &FnPointer, dummy: &Dummy) -> String {
    let params = named_params(f);
    let mut out = wrapped(&format!("static {}{}(", f.prefix(), op.name), &params, ")");
    out.push_str("{\n");
    let names: Vec<String> = params
        .iter()
        .map(|p| decl::last_ident(p).to_owned())
        .collect();
    match dummy {
        Dummy::Returns { errno, value } => {
            for name in &names {
                out.push_str(&format!("\t(void){name};\n"));
            }
            if let Some(errno) = errno {
                out.push_str(&format!("\terrno = {errno};\n"));
            }
            if let Some(value) = value {
                out.push_str(&format!("\treturn {value};\n"));
            }
        }
        Dummy::Default(function) => {
            let call = format!("{function}({})", names.join(", "));
            if f.returns == "void" {
                out.push_str(&format!("\t{call};\n"));
            } else {
                out.push_str(&format!("\treturn {call};\n"));
            }
        }
    }
    out.push_str("}\n");
    out
}

/// The prototype's parameters, each with a name (`argN` where the
/// prototype gives none); none for `(void)`.
fn named_params(f: &FnPointer) -> Vec<String> {
    f.params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if has_name(p) {
                p.clone()
            } else {
                let sep = if p.ends_with('*') { "" } else { " " };
                format!("{p}{sep}arg{i}")
            }
        })
        .collect()
}

/// Whether a normalized parameter names itself: more than a type, i.e. its
/// last word is not a type word and follows a type.
fn has_name(param: &str) -> bool {
    const TYPE_WORDS: [&str; 12] = [
        "int", "char", "short", "long", "unsigned", "signed", "void", "float", "double", "size_t",
        "bool", "const",
    ];
    if !param.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
        return false;
    }
    let last = decl::last_ident(param);
    let before = param[..param.len() - last.len()].trim_end();
    !last.is_empty()
        && !before.is_empty()
        && !TYPE_WORDS.contains(&last)
        && !matches!(before.rsplit(' ').next(), Some("struct" | "union" | "enum"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_keep_their_names_or_get_one() {
        let f = FnPointer {
            returns: "int".to_owned(),
            name: "f".to_owned(),
            params: vec![
                "struct ibv_qp *qp".to_owned(),
                "const union ibv_gid *gid".to_owned(),
                "uint16_t lid".to_owned(),
                "struct ibv_pd *".to_owned(),
                "int".to_owned(),
                "enum ibv_mw_type".to_owned(),
            ],
        };
        assert_eq!(
            named_params(&f),
            [
                "struct ibv_qp *qp",
                "const union ibv_gid *gid",
                "uint16_t lid",
                "struct ibv_pd *arg3",
                "int arg4",
                "enum ibv_mw_type arg5"
            ]
        );
    }

    #[test]
    fn a_dummy_answers_as_the_schema_says() {
        let f = FnPointer {
            returns: "struct ibv_pd *".to_owned(),
            name: "alloc_pd".to_owned(),
            params: vec!["struct ibv_context *context".to_owned()],
        };
        let op = Op {
            name: "alloc_pd".to_owned(),
            group: "pd".to_owned(),
            doc: "d".to_owned(),
            params: Vec::new(),
            returns: syn::parse_quote!(()),
            mandatory: false,
            c: Some(f.clone()),
            renamed_from: None,
            set: None,
            dummy: None,
        };
        let null = Dummy::shorthand("errno-null").expect("a shorthand");
        assert_eq!(
            function(&op, &f, &null),
            "static struct ibv_pd *alloc_pd(struct ibv_context *context)\n{\n\
             \t(void)context;\n\terrno = EOPNOTSUPP;\n\treturn NULL;\n}\n"
        );
        let default = Dummy::Default("lib_alloc_pd".to_owned());
        assert!(function(&op, &f, &default).contains("\treturn lib_alloc_pd(context);\n"));
    }
}
