//! `diff OLD NEW`: what changed between two schemas, for a reviewer and for
//! a provider author, each change classified as breaking for providers or
//! not.
//!
//! A change is breaking when some provider has to change its code: an op it
//! implements is removed or renamed or takes another signature (in Rust or
//! in C), an op becomes mandatory, a member goes away or merges
//! differently. Added ops, members and object sizes are not breaking
//! (unless the op is mandatory); nor is an op becoming optional or moving
//! to another group.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::json;
use crate::schema::{Member, Op, Schema};

/// What kind of change one entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// An op only the new schema has.
    OpAdded,
    /// An op only the old schema has.
    OpRemoved,
    /// An op removed and one added that look like the same op renamed
    /// (same C prototype, same doc, or same Rust signature and a shared
    /// name prefix).
    OpRenamed,
    /// An op's Rust signature changed.
    RustSignature,
    /// An op's C prototype changed.
    CPrototype,
    /// An op became mandatory, or stopped being.
    Mandatory,
    /// An op moved to another group.
    Group,
    /// A member only the new schema has.
    MemberAdded,
    /// A member only the old schema has.
    MemberRemoved,
    /// A member's merge policy changed.
    MemberPolicy,
    /// A member's Rust type, C declaration or attribute kind changed.
    MemberType,
    /// An object size only the new schema has.
    ObjSizeAdded,
    /// An object size only the old schema has.
    ObjSizeRemoved,
    /// The table's op merge rule changed.
    Merge,
    /// An op's own merge line changed its macro or arguments.
    MergeLine,
    /// What an op's dummy answers changed.
    Dummy,
    /// The struct's layout changed (members added, removed, reordered or
    /// retyped): its private ABI symbol must change, and did or did not.
    PrivateAbi,
}

impl ChangeKind {
    /// Every kind, in report order.
    pub const ALL: [ChangeKind; 17] = [
        ChangeKind::OpRemoved,
        ChangeKind::OpRenamed,
        ChangeKind::OpAdded,
        ChangeKind::RustSignature,
        ChangeKind::CPrototype,
        ChangeKind::Mandatory,
        ChangeKind::Group,
        ChangeKind::MemberRemoved,
        ChangeKind::MemberAdded,
        ChangeKind::MemberPolicy,
        ChangeKind::MemberType,
        ChangeKind::ObjSizeRemoved,
        ChangeKind::ObjSizeAdded,
        ChangeKind::Merge,
        ChangeKind::MergeLine,
        ChangeKind::Dummy,
        ChangeKind::PrivateAbi,
    ];

    /// The kind's name in reports and JSON: `op-added`.
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::OpAdded => "op-added",
            ChangeKind::OpRemoved => "op-removed",
            ChangeKind::OpRenamed => "op-renamed",
            ChangeKind::RustSignature => "rust-signature",
            ChangeKind::CPrototype => "c-prototype",
            ChangeKind::Mandatory => "mandatory",
            ChangeKind::Group => "group",
            ChangeKind::MemberAdded => "member-added",
            ChangeKind::MemberRemoved => "member-removed",
            ChangeKind::MemberPolicy => "member-policy",
            ChangeKind::MemberType => "member-type",
            ChangeKind::ObjSizeAdded => "obj-size-added",
            ChangeKind::ObjSizeRemoved => "obj-size-removed",
            ChangeKind::Merge => "merge",
            ChangeKind::MergeLine => "merge-line",
            ChangeKind::Dummy => "dummy",
            ChangeKind::PrivateAbi => "private-abi",
        }
    }
}

/// One change between the schemas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// What kind of change.
    pub kind: ChangeKind,
    /// The op, member or object size (`old -> new` for a rename).
    pub name: String,
    /// What it was and what it is, where that says more than the name.
    pub detail: String,
    /// Whether some provider has to change its code.
    pub breaking: bool,
}

/// Every change from one schema to another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaDiff {
    /// What the old schema is called in reports.
    pub old: String,
    /// What the new schema is called in reports.
    pub new: String,
    /// The changes, grouped by kind in [`ChangeKind::ALL`] order, each
    /// kind in the new schema's order (removals in the old one's).
    pub changes: Vec<Change>,
}

impl SchemaDiff {
    /// Whether any change is breaking.
    pub fn is_breaking(&self) -> bool {
        self.changes.iter().any(|c| c.breaking)
    }

    /// How many changes of `kind` there are.
    pub fn count(&self, kind: ChangeKind) -> usize {
        self.changes.iter().filter(|c| c.kind == kind).count()
    }

    /// The report as JSON: `old`, `new`, `breaking` (a count), `summary`
    /// (a count per kind) and `changes`.
    pub fn to_json(&self) -> String {
        let summary: Vec<(String, String)> = ChangeKind::ALL
            .iter()
            .map(|k| (k.name().to_owned(), self.count(*k).to_string()))
            .collect();
        let changes: Vec<String> = self
            .changes
            .iter()
            .map(|c| {
                json::object(&[
                    ("kind", json::string(c.kind.name())),
                    ("name", json::string(&c.name)),
                    ("detail", json::string(&c.detail)),
                    ("breaking", c.breaking.to_string()),
                ])
            })
            .collect();
        let breaking = self.changes.iter().filter(|c| c.breaking).count();
        let summary: Vec<(&str, String)> = summary
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        json::object(&[
            ("old", json::string(&self.old)),
            ("new", json::string(&self.new)),
            ("breaking", breaking.to_string()),
            ("summary", json::object(&summary)),
            ("changes", json::array(&changes)),
        ])
    }
}

/// The human report: one line per change, then a count per kind.
impl fmt::Display for SchemaDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let breaking = self.changes.iter().filter(|c| c.breaking).count();
        writeln!(
            f,
            "{} -> {}: {} change{}, {breaking} breaking for providers",
            self.old,
            self.new,
            self.changes.len(),
            crate::diagnostic::plural(self.changes.len())
        )?;
        for c in &self.changes {
            let mark = if c.breaking { "breaking" } else { "        " };
            write!(f, "  {mark}  {:<16}  {}", c.kind.name(), c.name)?;
            if !c.detail.is_empty() {
                write!(f, ": {}", c.detail)?;
            }
            writeln!(f)?;
        }
        let counts: Vec<String> = ChangeKind::ALL
            .iter()
            .filter(|k| self.count(**k) > 0)
            .map(|k| format!("{} {}", k.name(), self.count(*k)))
            .collect();
        write!(f, "summary: {}", counts.join(", "))
    }
}

/// The changes from `old` to `new`, reported under the names given.
pub fn diff(old_name: &str, old: &Schema, new_name: &str, new: &Schema) -> SchemaDiff {
    let mut changes = Vec::new();
    if old.merge != new.merge {
        changes.push(Change {
            kind: ChangeKind::Merge,
            name: new.struct_name.clone(),
            detail: format!("{:?} -> {:?}", old.merge, new.merge),
            breaking: true,
        });
    }
    ops(old, new, &mut changes);
    members(old, new, &mut changes);
    obj_sizes(old, new, &mut changes);
    private_abi(old, new, &mut changes);
    changes.sort_by_key(|c| ChangeKind::ALL.iter().position(|k| *k == c.kind));
    SchemaDiff {
        old: old_name.to_owned(),
        new: new_name.to_owned(),
        changes,
    }
}

/// An op's Rust signature without its name: `fn(qp: &Qp) -> Result<(), Error>`.
fn rust_shape(op: &Op) -> String {
    op.to_string()
        .replacen(&format!("fn {}(", op.name), "fn(", 1)
}

/// An op's C prototype without its name: `int (*)(struct ib_qp *qp)`.
fn c_shape(op: &Op) -> Option<String> {
    op.c.as_ref()
        .map(|c| c.to_string().replacen(&format!("(*{})", op.name), "(*)", 1))
}

/// Whether two names share a prefix of at least half the shorter one.
fn similar_names(a: &str, b: &str) -> bool {
    let shared = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    2 * shared >= a.len().min(b.len())
}

/// How many ops of one Rust signature a removed op is compared with by
/// name when guessing a rename: the guess stays linear in the schemas
/// (thousands of ops of one signature would otherwise compare every pair).
const SAME_SIGNATURE_CANDIDATES: usize = 64;

/// The added ops, indexed for finding the one a removed op was renamed to.
struct RenameTargets<'s> {
    added: Vec<&'s Op>,
    by_c: HashMap<String, Vec<usize>>,
    by_doc: HashMap<&'s str, Vec<usize>>,
    by_rust: HashMap<String, Vec<usize>>,
    by_old_name: HashMap<&'s str, usize>,
    taken: HashSet<usize>,
}

impl<'s> RenameTargets<'s> {
    fn new(added: Vec<&'s Op>) -> RenameTargets<'s> {
        let mut targets = RenameTargets {
            by_c: HashMap::new(),
            by_doc: HashMap::new(),
            by_rust: HashMap::new(),
            by_old_name: HashMap::new(),
            taken: HashSet::new(),
            added,
        };
        for (i, op) in targets.added.iter().enumerate() {
            if let Some(old) = &op.renamed_from {
                targets.by_old_name.entry(old.as_str()).or_insert(i);
            }
            if let Some(c) = c_shape(op) {
                targets.by_c.entry(c).or_default().push(i);
            }
            targets.by_doc.entry(op.doc.as_str()).or_default().push(i);
            targets.by_rust.entry(rust_shape(op)).or_default().push(i);
        }
        targets
    }

    /// The added op the removed op `gone` most likely became: the one its
    /// `renamed_from` names, else the first (in schema order) with the same
    /// C prototype or the same doc, or the same Rust signature and a
    /// similar name; each added op is taken once.
    fn take(&mut self, gone: &Op) -> Option<(&'s Op, bool)> {
        let free = |i: &&usize| !self.taken.contains(*i);
        let declared = self
            .by_old_name
            .get(gone.name.as_str())
            .copied()
            .filter(|i| !self.taken.contains(i));
        let guessed = || {
            let by_c = c_shape(gone)
                .and_then(|c| self.by_c.get(&c))
                .and_then(|l| l.iter().find(free));
            let by_doc = self
                .by_doc
                .get(gone.doc.as_str())
                .and_then(|l| l.iter().find(free));
            let by_rust = self.by_rust.get(&rust_shape(gone)).and_then(|l| {
                l.iter()
                    .filter(free)
                    .take(SAME_SIGNATURE_CANDIDATES)
                    .find(|&&i| similar_names(&gone.name, &self.added[i].name))
            });
            [by_c, by_doc, by_rust].into_iter().flatten().min().copied()
        };
        let (at, declared) = match declared {
            Some(at) => (at, true),
            None => (guessed()?, false),
        };
        self.taken.insert(at);
        Some((self.added[at], declared))
    }
}

fn ops(old: &Schema, new: &Schema, changes: &mut Vec<Change>) {
    let old_index: HashMap<&str, &Op> = old.ops.iter().map(|op| (op.name.as_str(), op)).collect();
    let new_index: HashMap<&str, &Op> = new.ops.iter().map(|op| (op.name.as_str(), op)).collect();
    let removed: Vec<&Op> = old
        .ops
        .iter()
        .filter(|op| !new_index.contains_key(op.name.as_str()))
        .collect();
    let added: Vec<&Op> = new
        .ops
        .iter()
        .filter(|op| !old_index.contains_key(op.name.as_str()))
        .collect();
    let mut targets = RenameTargets::new(added.clone());
    let mut renamed_to: HashSet<&str> = HashSet::new();
    for gone in &removed {
        match targets.take(gone) {
            Some((to, declared)) => {
                renamed_to.insert(&to.name);
                changes.push(Change {
                    kind: ChangeKind::OpRenamed,
                    name: format!("{} -> {}", gone.name, to.name),
                    detail: if declared {
                        format!("`{}` says `renamed_from = \"{}\"`", to.name, gone.name)
                    } else {
                        "likely: a removal and an addition that look alike".to_owned()
                    },
                    breaking: true,
                });
            }
            None => changes.push(Change {
                kind: ChangeKind::OpRemoved,
                name: gone.name.clone(),
                detail: String::new(),
                breaking: true,
            }),
        }
    }
    for op in added
        .iter()
        .filter(|op| !renamed_to.contains(op.name.as_str()))
    {
        changes.push(Change {
            kind: ChangeKind::OpAdded,
            name: op.name.clone(),
            detail: if op.mandatory {
                "mandatory".to_owned()
            } else {
                String::new()
            },
            breaking: op.mandatory,
        });
    }
    for op in &new.ops {
        let Some(&before) = old_index.get(op.name.as_str()) else {
            continue;
        };
        let (was, is) = (rust_shape(before), rust_shape(op));
        if was != is {
            changes.push(changed(
                ChangeKind::RustSignature,
                &op.name,
                &was,
                &is,
                true,
            ));
        }
        let (was, is) = (c_shape(before), c_shape(op));
        if was != is {
            let text = |c: Option<String>| c.unwrap_or_else(|| "(none)".to_owned());
            changes.push(changed(
                ChangeKind::CPrototype,
                &op.name,
                &text(was),
                &text(is),
                true,
            ));
        }
        if before.mandatory != op.mandatory {
            let word = |m: bool| if m { "mandatory" } else { "optional" };
            let (was, is) = (word(before.mandatory), word(op.mandatory));
            changes.push(changed(
                ChangeKind::Mandatory,
                &op.name,
                was,
                is,
                op.mandatory,
            ));
        }
        if before.group != op.group {
            changes.push(changed(
                ChangeKind::Group,
                &op.name,
                &before.group,
                &op.group,
                false,
            ));
        }
        // A table's own merge lines and dummies (rdma-core's).
        let line = |op: &Op| op.set.as_ref().map(ToString::to_string);
        if let (Some(was), Some(is)) = (line(before), line(op))
            && was != is
        {
            changes.push(changed(ChangeKind::MergeLine, &op.name, &was, &is, false));
        }
        if let (Some(was), Some(is)) = (&before.dummy, &op.dummy)
            && was != is
        {
            let (was, is) = (format!("{was:?}"), format!("{is:?}"));
            changes.push(changed(ChangeKind::Dummy, &op.name, &was, &is, false));
        }
    }
}

/// What the table's private ABI symbol did about a changed struct, for a
/// table that names one.
fn private_abi(old: &Schema, new: &Schema, changes: &mut Vec<Change>) {
    let symbol = |s: &Schema| s.target.c.as_ref().and_then(|c| c.private_symbol.clone());
    let (Some(was), Some(is)) = (symbol(old), symbol(new)) else {
        return;
    };
    if layout(old) == layout(new) {
        return;
    }
    changes.push(if was == is {
        Change {
            kind: ChangeKind::PrivateAbi,
            name: new.struct_name.clone(),
            detail: format!(
                "the struct changed but {is} did not: it needs a new private symbol, \
                 or a provider built for the old layout loads against the new one"
            ),
            breaking: true,
        }
    } else {
        changed(ChangeKind::PrivateAbi, &new.struct_name, &was, &is, false)
    });
}

/// The struct's layout as C sees it: each member's name and declaration,
/// in order.
fn layout(schema: &Schema) -> Vec<(String, Option<String>)> {
    schema
        .members
        .iter()
        .map(|m| (m.name.clone(), m.c.clone()))
        .chain(schema.ops.iter().map(|op| (op.name.clone(), c_shape(op))))
        .chain(schema.obj_sizes.iter().map(|s| (s.field(), None)))
        .collect()
}

fn changed(kind: ChangeKind, name: &str, was: &str, is: &str, breaking: bool) -> Change {
    Change {
        kind,
        name: name.to_owned(),
        detail: format!("{was} -> {is}"),
        breaking,
    }
}

/// A member's Rust type, C declaration and attribute kind as one text.
fn member_shape(m: &Member) -> String {
    format!(
        "{} ({:?} attribute; C: {})",
        crate::schema::type_text(&m.ty),
        m.attr,
        m.c.as_deref().unwrap_or("none")
    )
}

/// The member of `schema` called `name`.
fn member<'s>(schema: &'s Schema, name: &str) -> Option<&'s Member> {
    schema.members.iter().find(|m| m.name == name)
}

fn members(old: &Schema, new: &Schema, changes: &mut Vec<Change>) {
    let find = member;
    for m in old.members.iter().filter(|m| find(new, &m.name).is_none()) {
        changes.push(Change {
            kind: ChangeKind::MemberRemoved,
            name: m.name.clone(),
            detail: String::new(),
            breaking: true,
        });
    }
    for m in &new.members {
        let Some(before) = find(old, &m.name) else {
            changes.push(Change {
                kind: ChangeKind::MemberAdded,
                name: m.name.clone(),
                detail: format!("policy {}", m.policy.name()),
                breaking: false,
            });
            continue;
        };
        if before.policy != m.policy {
            let (was, is) = (before.policy.name(), m.policy.name());
            changes.push(changed(ChangeKind::MemberPolicy, &m.name, was, is, true));
        }
        let (was, is) = (member_shape(before), member_shape(m));
        if was != is {
            changes.push(changed(ChangeKind::MemberType, &m.name, &was, &is, true));
        }
    }
}

fn obj_sizes(old: &Schema, new: &Schema, changes: &mut Vec<Change>) {
    let has = |schema: &Schema, name: &str| schema.obj_sizes.iter().any(|s| s.name == name);
    for size in old.obj_sizes.iter().filter(|s| !has(new, &s.name)) {
        changes.push(Change {
            kind: ChangeKind::ObjSizeRemoved,
            name: size.name.clone(),
            detail: String::new(),
            breaking: true,
        });
    }
    for size in new.obj_sizes.iter().filter(|s| !has(old, &s.name)) {
        changes.push(Change {
            kind: ChangeKind::ObjSizeAdded,
            name: size.name.clone(),
            detail: format!("obj_size({} = ...)", size.key),
            breaking: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A schema of one op, with an optional `renamed_from`.
    fn one_op(name: &str, doc: &str, renamed_from: Option<&str>) -> Schema {
        let renamed =
            renamed_from.map_or(String::new(), |old| format!("renamed_from = \"{old}\"\n"));
        let text = format!(
            "struct = \"s\"\ngroups = [\"port\"]\n[[op]]\nname = \"{name}\"\ngroup = \"port\"\n{renamed}doc = \"{doc}\"\nparams = [\"device: &Device\"]\nreturns = \"Result<u32, Error>\"\n"
        );
        crate::schema::load("s.toml", &text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Before `renamed_from`, a rename whose names, docs and prototypes
    /// all changed read as a removal and an addition.
    #[test]
    fn a_declared_rename_is_reported_whatever_else_changed() {
        let old = one_op("query_port_fec", "Old words.", None);
        let guessed = diff(
            "old",
            &old,
            "new",
            &one_op("get_port_fec", "New words.", None),
        );
        assert_eq!(guessed.count(ChangeKind::OpRenamed), 0);
        assert_eq!(guessed.count(ChangeKind::OpRemoved), 1);
        let new = one_op("get_port_fec", "New words.", Some("query_port_fec"));
        let declared = diff("old", &old, "new", &new);
        assert_eq!(declared.count(ChangeKind::OpRenamed), 1, "{declared}");
        assert_eq!(declared.changes[0].name, "query_port_fec -> get_port_fec");
        assert_eq!(declared.count(ChangeKind::OpAdded), 0);
        assert!(
            declared
                .to_string()
                .starts_with("old -> new: 1 change, 1 breaking")
        );
    }
}
