//! The header: `struct ib_device_ops`, the mandatory-op list and the
//! prototypes of the functions the source file defines.

use super::layout::{doc_comment, fn_pointer_member};
use crate::schema::Schema;

pub(super) fn emit(schema: &Schema) -> String {
    let guard = format!("_IBOPS_{}_H", schema.struct_name.to_ascii_uppercase());
    let name = &schema.struct_name;
    let mut out = format!(
        "#ifndef {guard}\n#define {guard}\n\n\
         /*\n * Include after the kernel types the prototypes name (struct ib_qp, u8,\n \
         * ...), as include/rdma/ib_verbs.h does.\n */\n\n\
         struct ib_device;\n\n"
    );
    if !schema.obj_sizes.is_empty() {
        out.push_str(
            "/* As include/rdma/ib_verbs.h defines it, for a build without it. */\n\
             #ifndef DECLARE_RDMA_OBJ_SIZE\n\
             #define DECLARE_RDMA_OBJ_SIZE(ib_struct) size_t size_##ib_struct\n\
             #endif\n\n",
        );
    }
    out.push_str(&doc_comment(
        "",
        &format!(
            "struct {name} - InfiniBand device operations\n\n\
             Providers fill in the ops they support and leave the others NULL;\n\
             ib_set_device_ops() merges a provider's table into the device."
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
        out.push_str(&format!("\tDECLARE_RDMA_OBJ_SIZE({});\n", size.name));
    }
    out.push_str("};\n\n");
    out.push_str(
        "/*\n * The ops ib_device_check_mandatory() requires, in struct order:\n \
         * IB_DEVICE_OPS_MANDATORY(F) expands F(name) once for each.\n */\n\
         #define IB_DEVICE_OPS_MANDATORY(F) \\\n",
    );
    let mandatory: Vec<&str> = schema.mandatory().map(|op| op.name.as_str()).collect();
    for (i, op) in mandatory.iter().enumerate() {
        let cont = if i + 1 == mandatory.len() { "" } else { " \\" };
        out.push_str(&format!("\tF({op}){cont}\n"));
    }
    out.push_str(&format!(
        "\nvoid ib_set_device_ops(struct ib_device *device,\n\
         \t\t       const struct {name} *ops);\n\
         int ib_device_check_mandatory(const struct ib_device *device);\n\n\
         #endif /* {guard} */\n"
    ));
    out
}

/// A member's kernel-doc text: `@name: doc`, or `@name:` on a line of its
/// own above a doc that keeps its own line breaks.
fn member_doc(name: &str, doc: &str) -> String {
    let sep = if doc.contains('\n') { "\n" } else { " " };
    format!("@{name}:{sep}{doc}")
}
