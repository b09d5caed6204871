//! The source file: the merge function (`ib_set_device_ops()` for the
//! kernel) with its merge macro and one line per op in alphabetical order,
//! the members merged by their policies, and the mandatory check over an
//! `offsetof` table; every name from the schema's `[target.c]`.

use super::layout::{doc_comment, width};
use crate::schema::{CNames, Member, MemberPolicy, OpMerge, Schema};

pub(super) fn emit(schema: &Schema, c: &CNames) -> String {
    let mut out = format!(
        "\n#include <{}>\n\n{}",
        c.include,
        merge_function(schema, c)
    );
    out.push('\n');
    out.push_str(&check_mandatory(schema, c));
    out
}

/// `void MERGE(struct DEVICE *device,\n\t\t       const struct TABLE *ops)`,
/// the second line aligned after the parenthesis, as the kernel writes it.
fn merge_signature(schema: &Schema, c: &CNames) -> String {
    let first = format!("void {}(", c.merge_function);
    let col = first.len();
    let indent = format!("{}{}", "\t".repeat(col / 8), " ".repeat(col % 8));
    format!(
        "{first}struct {} *device,\n{indent}const struct {} *ops)",
        c.device, schema.struct_name
    )
}

/// The merge function's prototype, for the header.
pub(super) fn merge_prototype(schema: &Schema, c: &CNames) -> String {
    format!("{};", merge_signature(schema, c))
}

fn merge_function(schema: &Schema, c: &CNames) -> String {
    let mac = &c.merge_macro;
    let (rule, condition) = match schema.merge {
        OpMerge::KeepFirst => (
            "An op already set on @device is kept and an unset one is taken from @ops\n\
             (keep-first).",
            "\t\tif (ops->name)\n\t\t\tif (!((ptr)->name))\n\t\t\t\t(ptr)->name = ops->name;",
        ),
        OpMerge::LastWins => (
            "An op set in @ops replaces the one on @device (last-wins).",
            "\t\tif (ops->name)\n\t\t\t(ptr)->name = ops->name;",
        ),
    };
    let mut policies = String::new();
    for member in &schema.members {
        policies.push_str(&format!(
            "\n{}: {}",
            member.name,
            policy_doc(member.policy, mac)
        ));
    }
    let mut out = doc_comment(
        "",
        &format!(
            "{} - Merge a provider's ops into a device\n\
             @device: the device whose ops are filled in\n\
             @ops: the provider's table\n\n\
             {rule}\n\
             Members follow their declared policies:{policies}",
            c.merge_function
        ),
    );
    out.push_str(&format!(
        "{}\n{{\n\tstruct {} *dev = &device->{};\n\n",
        merge_signature(schema, c),
        schema.struct_name,
        c.device_member
    ));
    out.push_str(&macro_lines(&format!(
        "#define {mac}(ptr, name)\n\tdo {{\n{condition}\n\t}} while (0)"
    )));
    out.push('\n');
    let size_mac = &c.size_macro;
    if !schema.obj_sizes.is_empty() {
        out.push_str(&format!(
            "#define {size_mac}(ptr, name) {mac}(ptr, size_##name)\n\n"
        ));
    }
    let by_policy: Vec<&Member> = schema
        .members
        .iter()
        .filter(|m| !m.policy.merged_like_ops())
        .collect();
    for member in &by_policy {
        out.push_str(&merge_member(member));
    }
    if !by_policy.is_empty() {
        out.push('\n');
    }
    for name in schema.set_device_op_fields() {
        out.push_str(&format!("\t{mac}(dev, {name});\n"));
    }
    if !schema.obj_sizes.is_empty() {
        out.push('\n');
        let mut sizes: Vec<&str> = schema.obj_sizes.iter().map(|s| s.name.as_str()).collect();
        sizes.sort_unstable();
        for name in sizes {
            out.push_str(&format!("\t{size_mac}(dev, {name});\n"));
        }
        out.push_str(&format!("#undef {size_mac}\n"));
    }
    out.push_str(&format!("#undef {mac}\n}}\n"));
    out
}

/// A multi-line macro with its continuation backslashes aligned at column 72.
fn macro_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        if i + 1 < lines.len() {
            let mut col = width(line);
            while col < 72 {
                out.push('\t');
                col = (col / 8 + 1) * 8;
            }
            out.push('\\');
        }
        out.push('\n');
    }
    out
}

fn policy_doc(policy: MemberPolicy, merge_macro: &str) -> String {
    match policy {
        MemberPolicy::KeepFirst => "the first non-zero value is kept".to_owned(),
        MemberPolicy::Conflict => {
            "two different non-zero values WARN and the first is kept".to_owned()
        }
        MemberPolicy::Overwrite => "a non-zero value from @ops replaces the current one".to_owned(),
        MemberPolicy::Or => "the value from @ops is OR-ed into the device's".to_owned(),
        MemberPolicy::LikeOps => format!("merged as the ops are, by its {merge_macro} line"),
    }
}

/// The merge of one member by its policy. The `or` policy ORs the incoming
/// value into the device's, never the device's into itself.
fn merge_member(member: &Member) -> String {
    let n = &member.name;
    match member.policy {
        MemberPolicy::KeepFirst => {
            format!("\tif (ops->{n} && !dev->{n})\n\t\tdev->{n} = ops->{n};\n")
        }
        MemberPolicy::Conflict => format!(
            "\tif (ops->{n} &&\n\t    !WARN_ON(dev->{n} && dev->{n} != ops->{n}))\n\t\tdev->{n} = ops->{n};\n"
        ),
        MemberPolicy::Overwrite => format!("\tif (ops->{n})\n\t\tdev->{n} = ops->{n};\n"),
        MemberPolicy::Or => format!("\tdev->{n} |= ops->{n};\n"),
        MemberPolicy::LikeOps => String::new(),
    }
}

/// The mandatory check: warns once per missing op, over an `offsetof`
/// table built from the header's X-macro list.
fn check_mandatory(schema: &Schema, c: &CNames) -> String {
    format!(
        "\
/**
 * {check} - Check that every mandatory op is set
 * @device: the device to check
 *
 * Warns once for each missing op, so one call names all of them.
 *
 * Return: 0, or -EINVAL when a mandatory op is missing.
 */
int {check}(const struct {device} *device)
{{
#define MANDATORY_FUNC(x) {{ offsetof(struct {table}, x), #x }},
\tstatic const struct {{
\t\tsize_t offset;
\t\tconst char *name;
\t}} mandatory_table[] = {{
\t\t{list}(MANDATORY_FUNC)
\t}};
#undef MANDATORY_FUNC
\tconst char *ops = (const char *)&device->{member};
\tint ret = 0;
\tsize_t i;

\tfor (i = 0; i < ARRAY_SIZE(mandatory_table); i++) {{
\t\tvoid *const *op =
\t\t\t(void *const *)(ops + mandatory_table[i].offset);

\t\tif (!*op) {{
\t\t\tpr_warn(\"{device}: missing mandatory op %s\\n\",
\t\t\t\tmandatory_table[i].name);
\t\t\tret = -EINVAL;
\t\t}}
\t}}
\treturn ret;
}}
",
        check = c.mandatory_check,
        device = c.device,
        table = schema.struct_name,
        list = c.mandatory_list,
        member = c.device_member,
    )
}
