//! The source file: the dummy ops, if the table has them; the merge
//! function, either with one merge macro and one line per op in
//! alphabetical order (the kernel's `ib_set_device_ops()`) or with the
//! macros and lines the ops give themselves (rdma-core's
//! `verbs_set_ops()`); the members merged by their policies; and the
//! mandatory check over an `offsetof` table, if the table has mandatory
//! ops. Every name comes from the schema's `[target.c]`.

use super::dummies;
use super::layout::{doc_comment, width};
use crate::schema::{CMacro, CNames, Member, MemberPolicy, OpMerge, Schema};

pub(super) fn emit(schema: &Schema, c: &CNames) -> String {
    let mut out = format!("\n#include <{}>\n\n", c.include);
    let dummies = dummies::emit(schema, c);
    if !dummies.is_empty() {
        out.push_str(&dummies);
        out.push('\n');
    }
    out.push_str(&merge_function(schema, c));
    if c.mandatory.is_some() {
        out.push('\n');
        out.push_str(&check_mandatory(schema, c));
    }
    out
}

/// `void MERGE(struct DEVICE *device,\n\t\t       const struct TABLE *ops)`,
/// the second line aligned after the parenthesis, as the kernel writes it.
fn merge_signature(schema: &Schema, c: &CNames) -> String {
    let first = format!("void {}(", c.merge_function);
    let col = first.len();
    let indent = format!("{}{}", "\t".repeat(col / 8), " ".repeat(col % 8));
    format!(
        "{first}struct {} *{},\n{indent}const struct {} *ops)",
        c.device, c.device_param, schema.struct_name
    )
}

/// The merge function's prototype, for the header.
pub(super) fn merge_prototype(schema: &Schema, c: &CNames) -> String {
    format!("{};", merge_signature(schema, c))
}

fn merge_function(schema: &Schema, c: &CNames) -> String {
    let own_lines = schema.ops.iter().any(|op| op.set.is_some());
    // The loader requires `merge_macro` of a table whose ops give no lines
    // of their own, so the fallback only names the macro in docs.
    let default_macro = c.merge_macro.as_deref().unwrap_or("MERGE_OP");
    let (rule, condition) = match schema.merge {
        OpMerge::KeepFirst => (
            "An op already set on @{device} is kept and an unset one is taken from @ops\n\
             (keep-first).",
            "if (ops->name)\n\tif (!((ptr)->name))\n\t\t(ptr)->name = ops->name;",
        ),
        OpMerge::LastWins => (
            "An op set in @ops replaces the one on @{device} (last-wins), so a provider\n\
             may call it again with a table for other hardware.",
            "if (ops->name)\n\t(ptr)->name = ops->name;",
        ),
    };
    let mut policies = String::new();
    for member in &schema.members {
        policies.push_str(&format!(
            "\n{}: {}",
            member.name,
            policy_doc(member.policy, default_macro)
        ));
    }
    if !policies.is_empty() {
        policies = format!("\nMembers follow their declared policies:{policies}");
    }
    let mut out = doc_comment(
        "",
        &format!(
            "{} - Merge a provider's ops into a device\n\
             @{}: the device whose ops are filled in\n\
             @ops: the provider's table\n\n\
             {}{policies}",
            c.merge_function,
            c.device_param,
            rule.replace("{device}", &c.device_param)
        ),
    );
    out.push_str(&format!("{}\n{{\n", merge_signature(schema, c)));
    match &c.device_member {
        Some(member) if c.locals.is_empty() => out.push_str(&format!(
            "\tstruct {} *dev = &{}->{member};\n\n",
            schema.struct_name, c.device_param
        )),
        _ => {
            for local in &c.locals {
                out.push_str(&format!("\t{local}\n"));
            }
            out.push('\n');
        }
    }
    let macros: Vec<CMacro> = if own_lines {
        c.macros.clone()
    } else {
        vec![CMacro {
            name: default_macro.to_owned(),
            params: vec!["ptr".to_owned(), "name".to_owned()],
            body: condition.to_owned(),
            doc: None,
        }]
    };
    for m in &macros {
        out.push_str(&define(m));
        out.push('\n');
    }
    if let Some(sizes) = c.sizes.as_ref().filter(|_| !schema.obj_sizes.is_empty()) {
        out.push_str(&format!(
            "#define {}(ptr, name) {default_macro}(ptr, size_##name)\n\n",
            sizes.merge
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
    if own_lines {
        let mut lines: Vec<_> = schema.ops.iter().filter_map(|op| op.set.as_ref()).collect();
        lines.sort_by_key(|l| l.position);
        for line in lines {
            out.push_str(&format!("\t{line};\n"));
        }
    } else {
        for name in schema.set_device_op_fields() {
            out.push_str(&format!("\t{default_macro}(dev, {name});\n"));
        }
    }
    if let Some(sizes) = c.sizes.as_ref().filter(|_| !schema.obj_sizes.is_empty()) {
        out.push('\n');
        let mut names: Vec<&str> = schema.obj_sizes.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        for name in names {
            out.push_str(&format!("\t{}(dev, {name});\n", sizes.merge));
        }
        out.push_str(&format!("#undef {}\n", sizes.merge));
    }
    for m in &macros {
        out.push_str(&format!("#undef {}\n", m.name));
    }
    out.push_str("}\n");
    out
}

/// `#define NAME(params)` around `do { BODY } while (0)`, its comment above.
fn define(m: &CMacro) -> String {
    let mut text = format!("#define {}({})\n\tdo {{\n", m.name, m.params.join(", "));
    for line in m.body.lines() {
        text.push_str(&format!("\t\t{line}\n"));
    }
    text.push_str("\t} while (0)");
    let doc = m
        .doc
        .as_ref()
        .map(|d| format!("\t/* {d} */\n"))
        .unwrap_or_default();
    format!("{doc}{}", macro_lines(&text))
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
    let Some(mandatory) = &c.mandatory else {
        return String::new();
    };
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
        check = mandatory.check,
        device = c.device,
        table = schema.struct_name,
        list = mandatory.list,
        member = c.device_member.as_deref().unwrap_or("ops"),
    )
}
