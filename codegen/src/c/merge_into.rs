//! `import-c --merge-into SCHEMA`: the part of an imported struct that an
//! existing schema lacks or declares differently, as entries to paste into
//! it. An op the schema has with the same C prototype is left out; one
//! whose prototype changed comes back with the schema's own group, doc and
//! Rust signature beside the new prototype, and a marker to check the
//! signature against it; a new op is a skeleton entry. The ops the schema
//! has and the struct lacks are named at the end.

use super::decl::{CDecl, normalize};
use super::import::{Imported, op_skeleton, toml_doc, toml_string};
use crate::schema::{Op, Schema, type_text};

/// The marker of an op whose C prototype changed.
const TODO_CHANGED: &str =
    "todo = \"the C prototype changed: check params and returns against it\"\n";

impl Imported {
    /// What `existing` lacks or declares differently, as `ops.toml`
    /// entries (see the module's documentation).
    pub fn merge_skeleton(&self, source: &str, existing: &Schema) -> String {
        let mut out = format!(
            "# Entries imported by `ibops-codegen import-c --merge-into` from `struct {}`\n\
             # in {source}: only what the schema lacks or declares differently.\n",
            self.struct_name
        );
        let mut unchanged = 0;
        for member in &self.members {
            let entry = match &member.decl {
                CDecl::FnPointer(f) => match existing.ops.iter().find(|op| op.name == f.name) {
                    Some(op)
                        if op.c.as_ref().map(ToString::to_string)
                            == Some(normalize(&f.to_string())) =>
                    {
                        None
                    }
                    Some(op) => Some(changed_op(op, &f.to_string())),
                    None => Some(op_skeleton(f, member.doc.as_deref())),
                },
                CDecl::Field { name, text } => {
                    match existing.members.iter().find(|m| &m.name == name) {
                        Some(m)
                            if m.c.as_ref().map(ToString::to_string) == Some(normalize(text)) =>
                        {
                            None
                        }
                        Some(_) => Some(format!(
                            "# member `{name}`: its C declaration is now `{text}`\n"
                        )),
                        None => Some(format!(
                            "# member `{name}` is new: import it without --merge-into for its entry (`{text}`)\n"
                        )),
                    }
                }
                CDecl::ObjSize { name } => (!existing.obj_sizes.iter().any(|s| &s.name == name))
                    .then(|| format!("# object size `{name}` is new\n")),
            };
            match entry {
                Some(entry) => {
                    out.push('\n');
                    for cond in &member.conditions {
                        out.push_str(&format!("# only under: {cond}\n"));
                    }
                    out.push_str(&entry);
                }
                None => unchanged += 1,
            }
        }
        let gone: Vec<&str> = existing
            .ops
            .iter()
            .filter(|op| !self.members.iter().any(|m| m.decl.name() == op.name))
            .map(|op| op.name.as_str())
            .collect();
        out.push_str(&format!("\n# {unchanged} unchanged, left out.\n"));
        if !gone.is_empty() {
            out.push_str(&format!(
                "# In the schema, not in the struct (delete them, or give the new op `renamed_from`): {}\n",
                gone.join(", ")
            ));
        }
        out
    }
}

/// The schema's entry for `op` with the new C prototype `c`.
fn changed_op(op: &Op, c: &str) -> String {
    let params: Vec<String> = op
        .params
        .iter()
        .map(|p| toml_string(&format!("{}: {}", p.name, type_text(&p.ty))))
        .collect();
    let mut entry = format!(
        "[[op]]\nname = {}\n{TODO_CHANGED}group = {}\n",
        toml_string(&op.name),
        toml_string(&op.group)
    );
    if let Some(old) = &op.renamed_from {
        entry.push_str(&format!("renamed_from = {}\n", toml_string(old)));
    }
    entry.push_str(&format!(
        "doc = {}\nparams = [{}]\nreturns = {}\n",
        toml_doc(Some(&op.doc)),
        params.join(", "),
        toml_string(&type_text(&op.returns))
    ));
    if op.mandatory {
        entry.push_str("mandatory = true\n");
    }
    if let Some(was) = &op.c {
        entry.push_str(&format!("# was: {was}\n"));
    }
    entry.push_str(&format!("c = {}\n", toml_string(&normalize(c))));
    entry
}

#[cfg(test)]
mod tests {
    use crate::c::import::import;
    use crate::schema::load;

    const SCHEMA: &str = include_str!("../../../tests/fixtures/small.toml");

    #[test]
    fn only_what_is_new_or_changed_comes_back() {
        let existing = load("small.toml", SCHEMA).unwrap_or_else(|e| panic!("{e}"));
        let first = existing.ops[0]
            .c
            .as_ref()
            .map(ToString::to_string)
            .expect("a prototype");
        let second = &existing.ops[1];
        let header = format!(
            "struct demo_ops {{\n\t{first}\n\tint (*{}) (struct ib_qp *qp, int changed);\n\tint (*brand_new)(struct ib_device *dev);\n}};\n",
            second.name
        );
        let imported = import(&header, "demo_ops").unwrap_or_else(|e| panic!("{e}"));
        let merged = imported.merge_skeleton("new.h", &existing);
        assert!(
            !merged.contains(&format!("name = \"{}\"", existing.ops[0].name)),
            "{merged}"
        );
        assert!(
            merged.contains(&format!(
                "name = \"{}\"\ntodo = \"the C prototype changed",
                second.name
            )),
            "{merged}"
        );
        assert!(
            merged.contains(&format!("group = \"{}\"", second.group)),
            "{merged}"
        );
        assert!(merged.contains("name = \"brand_new\""), "{merged}");
        assert!(merged.contains("# 1 unchanged, left out."), "{merged}");
    }
}
