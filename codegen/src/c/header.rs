//! The header: the table's struct, the mandatory-op list and the
//! prototypes of the functions the source file defines, with the names of
//! the schema's `[target.c]`.

use super::layout::{doc_comment, fn_pointer_member};
use crate::schema::{CNames, Schema};

pub(super) fn emit(schema: &Schema, c: &CNames) -> String {
    let guard = format!("_IBOPS_{}_H", schema.struct_name.to_ascii_uppercase());
    let name = &schema.struct_name;
    let (include, device, declare) = (&c.include, &c.device, &c.size_declare);
    let mut out = format!(
        "#ifndef {guard}\n#define {guard}\n\n\
         /*\n * Include after the types the prototypes name, as {include} does.\n */\n\n\
         struct {device};\n\n"
    );
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
             {}() merges a provider's table into the device.",
            c.title, c.merge_function
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
    out.push_str(&format!(
        "/*\n * The ops {}() requires, in struct order:\n \
         * {list}(F) expands F(name) once for each.\n */\n\
         #define {list}(F) \\\n",
        c.mandatory_check,
        list = c.mandatory_list
    ));
    let mandatory: Vec<&str> = schema.mandatory().map(|op| op.name.as_str()).collect();
    for (i, op) in mandatory.iter().enumerate() {
        let cont = if i + 1 == mandatory.len() { "" } else { " \\" };
        out.push_str(&format!("\tF({op}){cont}\n"));
    }
    out.push_str(&format!(
        "\n{}\n\
         int {}(const struct {device} *device);\n\n\
         #endif /* {guard} */\n",
        super::source::merge_prototype(schema, c),
        c.mandatory_check
    ));
    out
}

/// A member's kernel-doc text: `@name: doc`, or `@name:` on a line of its
/// own above a doc that keeps its own line breaks.
fn member_doc(name: &str, doc: &str) -> String {
    let sep = if doc.contains('\n') { "\n" } else { " " };
    format!("@{name}:{sep}{doc}")
}
