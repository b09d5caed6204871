//! The source file: `ib_set_device_ops()` with the seed's `SET_DEVICE_OP`
//! macro and one line per op in alphabetical order, the members merged by
//! their policies, and `ib_device_check_mandatory()` over an `offsetof`
//! table.

use super::layout::{doc_comment, width};
use crate::schema::{Member, MemberPolicy, OpMerge, Schema};

pub(super) fn emit(schema: &Schema) -> String {
    let mut out = format!("\n#include <rdma/ib_verbs.h>\n\n{}", set_device_ops(schema));
    out.push('\n');
    out.push_str(&CHECK_MANDATORY.replace("@STRUCT@", &schema.struct_name));
    out
}

fn set_device_ops(schema: &Schema) -> String {
    let (rule, condition) = match schema.merge {
        OpMerge::KeepFirst => (
            "An op already set on @device is kept and an unset one is taken from @ops\n\
             (keep-first, the kernel's SET_DEVICE_OP).",
            "\t\tif (ops->name)\n\t\t\tif (!((ptr)->name))\n\t\t\t\t(ptr)->name = ops->name;",
        ),
        OpMerge::LastWins => (
            "An op set in @ops replaces the one on @device (last-wins, as\n\
             rdma-core's verbs_set_ops()).",
            "\t\tif (ops->name)\n\t\t\t(ptr)->name = ops->name;",
        ),
    };
    let mut policies = String::new();
    for member in &schema.members {
        policies.push_str(&format!("\n{}: {}", member.name, policy_doc(member.policy)));
    }
    let mut out = doc_comment(
        "",
        &format!(
            "ib_set_device_ops - Merge a provider's ops into a device\n\
             @device: the device whose ops are filled in\n\
             @ops: the provider's table\n\n\
             {rule}\n\
             Members follow their declared policies:{policies}"
        ),
    );
    out.push_str(&format!(
        "void ib_set_device_ops(struct ib_device *device,\n\
         \t\t       const struct {} *ops)\n{{\n\
         \tstruct {} *dev = &device->ops;\n\n",
        schema.struct_name, schema.struct_name
    ));
    out.push_str(&macro_lines(&format!(
        "#define SET_DEVICE_OP(ptr, name)\n\tdo {{\n{condition}\n\t}} while (0)"
    )));
    out.push('\n');
    if !schema.obj_sizes.is_empty() {
        out.push_str("#define SET_OBJ_SIZE(ptr, name) SET_DEVICE_OP(ptr, size_##name)\n\n");
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
        out.push_str(&format!("\tSET_DEVICE_OP(dev, {name});\n"));
    }
    if !schema.obj_sizes.is_empty() {
        out.push('\n');
        let mut sizes: Vec<&str> = schema.obj_sizes.iter().map(|s| s.name.as_str()).collect();
        sizes.sort_unstable();
        for name in sizes {
            out.push_str(&format!("\tSET_OBJ_SIZE(dev, {name});\n"));
        }
        out.push_str("#undef SET_OBJ_SIZE\n");
    }
    out.push_str("#undef SET_DEVICE_OP\n}\n");
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

fn policy_doc(policy: MemberPolicy) -> &'static str {
    match policy {
        MemberPolicy::KeepFirst => "the first non-zero value is kept",
        MemberPolicy::Conflict => "two different non-zero values WARN and the first is kept",
        MemberPolicy::Overwrite => "a non-zero value from @ops replaces the current one",
        MemberPolicy::Or => "the value from @ops is OR-ed into the device's",
        MemberPolicy::LikeOps => "merged as the ops are, by its SET_DEVICE_OP line",
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

const CHECK_MANDATORY: &str = "\
/**
 * ib_device_check_mandatory - Check that every mandatory op is set
 * @device: the device to check
 *
 * Warns once for each missing op, so one call names all of them.
 *
 * Return: 0, or -EINVAL when a mandatory op is missing.
 */
int ib_device_check_mandatory(const struct ib_device *device)
{
#define IB_MANDATORY_FUNC(x) { offsetof(struct @STRUCT@, x), #x },
	static const struct {
		size_t offset;
		const char *name;
	} mandatory_table[] = {
		IB_DEVICE_OPS_MANDATORY(IB_MANDATORY_FUNC)
	};
#undef IB_MANDATORY_FUNC
	const char *ops = (const char *)&device->ops;
	int ret = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mandatory_table); i++) {
		void *const *op =
			(void *const *)(ops + mandatory_table[i].offset);

		if (!*op) {
			pr_warn(\"ib_device: missing mandatory op %s\\n\",
				mandatory_table[i].name);
			ret = -EINVAL;
		}
	}
	return ret;
}
";
