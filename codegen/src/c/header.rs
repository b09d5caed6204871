//! The header: the table's struct, the mandatory-op list (if the table has
//! mandatory ops), the dummy table's declaration and the real defaults its
//! dummies call (if it has one), and the prototypes of the functions the
//! source file defines, with the names of the schema's `[target.c]`.

use super::dummies;
use super::layout::{doc_comment, fn_pointer_member};
use crate::schema::{CNames, Schema};

pub(super) fn emit(schema: &Schema, c: &CNames) -> String {
    let guard = format!("_IBOPS_{}_H", schema.struct_name.to_ascii_uppercase());
    let name = &schema.struct_name;
    let (include, device) = (&c.include, &c.device);
    let mut out = format!(
        "#ifndef {guard}\n#define {guard}\n\n\
         /*\n * Include after the types the prototypes name, as {include} does.\n */\n\n\
         struct {device};\n\n"
    );
    let declare = c.sizes.as_ref().map_or("", |s| s.declare.as_str());
    if !schema.obj_sizes.is_empty() {
        out.push_str(&format!(
            "/* As {include} defines it, for a build without it. */\n\
             #ifndef {declare}\n\
             #define {declare}(obj_struct) size_t size_##obj_struct\n\
             #endif\n\n",
        ));
    }
    out.push_str(&doc_comment(
        "",
        &format!(
            "struct {name} - {}\n\n\
             Providers fill in the ops they support and leave the others NULL;\n\
             {}() merges a provider's table into the device.{}",
            c.title,
            c.merge_function,
            c.private_symbol.as_ref().map_or(String::new(), |symbol| format!(
                "\n\nPrivate ABI: a changed struct needs a new private symbol; today's is\n{symbol}."
            ))
        ),
    ));
    out.push_str(&format!("struct {name} {{\n"));
    for member in &schema.members {
        out.push_str(&doc_comment("\t", &member_doc(&member.name, &member.doc)));
        out.push_str(&format!("\t{}\n", member.c.as_deref().unwrap_or_default()));
    }
    for op in &schema.ops {
        let Some(c) = &op.c else { continue };
        out.push_str(&doc_comment("\t", &member_doc(&op.name, &op.doc)));
        out.push_str(&fn_pointer_member(c));
    }
    for size in &schema.obj_sizes {
        let field = size.field();
        out.push_str(&doc_comment("\t", &member_doc(&field, &size.doc)));
        out.push_str(&format!("\t{declare}({});\n", size.name));
    }
    out.push_str("};\n\n");
    if let Some(mandatory) = &c.mandatory {
        out.push_str(&format!(
            "/*\n * The ops {}() requires, in struct order:\n \
             * {list}(F) expands F(name) once for each.\n */\n\
             #define {list}(F) \\\n",
            mandatory.check,
            list = mandatory.list
        ));
        let names: Vec<&str> = schema.mandatory().map(|op| op.name.as_str()).collect();
        for (i, op) in names.iter().enumerate() {
            let cont = if i + 1 == names.len() { "" } else { " \\" };
            out.push_str(&format!("\tF({op}){cont}\n"));
        }
        out.push('\n');
    }
    if let Some(table) = &c.dummy_table {
        out.push_str(&format!("extern const struct {name} {table};\n\n"));
        let defaults = dummies::default_prototypes(schema);
        if !defaults.is_empty() {
            out.push_str(&format!(
                "/* The library's real defaults, which {table} answers with. */\n{defaults}\n"
            ));
        }
    }
    out.push_str(&super::source::merge_prototype(schema, c));
    out.push('\n');
    if let Some(mandatory) = &c.mandatory {
        out.push_str(&format!(
            "int {}(const struct {device} *device);\n",
            mandatory.check
        ));
    }
    out.push_str(&format!("\n#endif /* {guard} */\n"));
    out
}

/// A member's kernel-doc text: `@name: doc`, or `@name:` on a line of its
/// own above a doc that keeps its own line breaks.
fn member_doc(name: &str, doc: &str) -> String {
    let sep = if doc.contains('\n') { "\n" } else { " " };
    format!("@{name}:{sep}{doc}")
}
