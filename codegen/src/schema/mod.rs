//! The schema model: what `ops.toml` says once it has been read and validated.
//!
//! [`load`] is the only way to build one, so every emitter can rely on
//! a schema that is complete and consistent.

pub mod c_target;
pub mod known_types;
mod load;
pub mod rust_target;
mod shape;
mod table;

use std::fmt;

use crate::c::decl::FnPointer;

pub use c_target::{CMacro, CNames, Dummy, MandatoryNames, SetLine, SizeNames};
pub use load::load;
pub use rust_target::RustNames;

/// How a second table's ops combine with ops already set on a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpMerge {
    /// An op already set is kept (the kernel's `SET_DEVICE_OP`).
    KeepFirst,
    /// A later non-empty op replaces the earlier one (rdma-core's `verbs_set_ops`).
    LastWins,
}

impl OpMerge {
    /// Every policy with its name in the schema.
    pub const ALL: [(&'static str, OpMerge); 2] = [
        ("keep-first", OpMerge::KeepFirst),
        ("last-wins", OpMerge::LastWins),
    ];
}

/// How a non-function member combines when two tables are merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberPolicy {
    /// The first non-empty value is kept; later ones are ignored.
    KeepFirst,
    /// Two different non-empty values are an error.
    Conflict,
    /// A non-empty incoming value replaces the current one.
    Overwrite,
    /// The incoming value is OR-ed into the current one.
    Or,
    /// Merged exactly as the ops are (the table's `merge` rule): the
    /// kernel's `SET_DEVICE_OP` line for a non-function member.
    LikeOps,
}

impl MemberPolicy {
    /// Every policy with its name in the schema.
    pub const ALL: [(&'static str, MemberPolicy); 5] = [
        ("keep-first", MemberPolicy::KeepFirst),
        ("conflict", MemberPolicy::Conflict),
        ("overwrite", MemberPolicy::Overwrite),
        ("or", MemberPolicy::Or),
        ("like-ops", MemberPolicy::LikeOps),
    ];

    /// The policy's name in the schema.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map_or("?", |(name, _)| name)
    }

    /// Whether the member is merged as the ops are (by a `SET_DEVICE_OP`
    /// line in C), rather than by a policy of its own. An exhaustive match:
    /// a new policy must say.
    pub fn merged_like_ops(self) -> bool {
        match self {
            MemberPolicy::LikeOps => true,
            MemberPolicy::KeepFirst
            | MemberPolicy::Conflict
            | MemberPolicy::Overwrite
            | MemberPolicy::Or => false,
        }
    }

    /// Whether two different non-empty values refuse the merge (an exhaustive
    /// match: a new policy must say).
    pub fn refuses_conflicts(self) -> bool {
        match self {
            MemberPolicy::Conflict => true,
            MemberPolicy::KeepFirst
            | MemberPolicy::Overwrite
            | MemberPolicy::Or
            | MemberPolicy::LikeOps => false,
        }
    }

    /// The C assignment operator its merge uses: `|=` for `or`, `=` else.
    pub fn c_operator(self) -> &'static str {
        match self {
            MemberPolicy::Or => "|=",
            MemberPolicy::KeepFirst
            | MemberPolicy::Conflict
            | MemberPolicy::Overwrite
            | MemberPolicy::LikeOps => "=",
        }
    }
}

/// What kind of value `#[device_ops(member = ...)]` takes for a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrKind {
    /// A path to a constant or enum variant: `driver_id = DriverId::Soft`.
    Path,
    /// An integer literal: `uverbs_abi_ver = 1`.
    Int,
    /// A bare word that sets the member to `true`: `uverbs_no_driver_id_binding`.
    Flag,
    /// A path to a `static`, stored as `Some(&PATH)`: `device_group = MY_GROUP`.
    Static,
}

impl AttrKind {
    /// Every kind with its name in the schema.
    pub const ALL: [(&'static str, AttrKind); 4] = [
        ("path", AttrKind::Path),
        ("int", AttrKind::Int),
        ("flag", AttrKind::Flag),
        ("static", AttrKind::Static),
    ];
}

/// A validated schema: the ops table and its members.
#[derive(Clone, Debug)]
pub struct Schema {
    /// The file it was read from, as named to the loader (`ops.toml`);
    /// generated files name it.
    pub file: String,
    /// Name of the C struct the table mirrors (`ib_device_ops`).
    pub struct_name: String,
    /// How ops of a second table combine with ops already set.
    pub merge: OpMerge,
    /// The groups an op may belong to, in schema order.
    pub groups: Vec<String>,
    /// The Rust types that are verbs objects (each has `.device()`): the
    /// dispatch attributes a call to the device of its first parameter of
    /// one of these types, or of type `&Device`.
    pub objects: Vec<String>,
    /// Non-function members, in struct order.
    pub members: Vec<Member>,
    /// Function-pointer ops, in struct order.
    pub ops: Vec<Op>,
    /// Object sizes (`DECLARE_RDMA_OBJ_SIZE`), in struct order, after the ops.
    pub obj_sizes: Vec<ObjSize>,
    /// Types the ops name that `ibops` does not export (`extra_types`): a
    /// historical table's, such as the seed's FMR types. A schema with any
    /// has no Rust target.
    pub extra_types: Vec<String>,
    /// What `generate` writes from it, and where.
    pub target: Target,
    /// The other schemas of the workspace (`workspace`, relative to the
    /// workspace root), generated and checked in the same run as this one.
    pub workspace: Vec<String>,
    /// What looks wrong but does not stop generation, each as
    /// `file:line:col: warning: message` (an op's Rust shape that does not
    /// fit its C prototype).
    pub warnings: Vec<String>,
}

/// A non-function member of the table.
#[derive(Clone, Debug)]
pub struct Member {
    /// Field name.
    pub name: String,
    /// Rust type of the field.
    pub ty: syn::Type,
    /// Rust constant expression for "unset".
    pub empty: syn::Expr,
    /// How two values merge.
    pub policy: MemberPolicy,
    /// What `#[device_ops(name = ...)]` accepts.
    pub attr: AttrKind,
    /// Documentation.
    pub doc: String,
    /// The C declaration of the member, normalized, if the schema gives one.
    pub c: Option<String>,
}

/// An object size: the kernel's `DECLARE_RDMA_OBJ_SIZE(ib_ah)`, a
/// `size_t size_ib_ah` that tells the core how large the driver's object
/// embedding `struct ib_ah` is. In Rust it names the provider's state type
/// for objects of that kind, which the core checks on every creation.
#[derive(Clone, Debug)]
pub struct ObjSize {
    /// The C struct: `ib_ah`.
    pub name: String,
    /// What `#[device_ops(obj_size(KEY = Type))]` calls it: `ah`.
    pub key: String,
    /// Documentation.
    pub doc: String,
}

impl ObjSize {
    /// The field of the table: `size_ib_ah`.
    pub fn field(&self) -> String {
        format!("size_{}", self.name)
    }
}

/// One function-pointer op.
#[derive(Clone, Debug)]
pub struct Op {
    /// Field and op name.
    pub name: String,
    /// Group the op belongs to.
    pub group: String,
    /// Documentation.
    pub doc: String,
    /// Parameters in order.
    pub params: Vec<Param>,
    /// Rust return type.
    pub returns: syn::Type,
    /// Whether registration requires the op.
    pub mandatory: bool,
    /// The C function-pointer member the op mirrors, if the schema gives one.
    pub c: Option<FnPointer>,
    /// The name the op had before it was renamed (`renamed_from`): the
    /// derive then answers the old name with the new one, and `diff`
    /// reports the rename from it instead of guessing.
    pub renamed_from: Option<String>,
    /// Its own line in the C merge function (`set`, `set_line`), for a
    /// table whose ops are merged by several macros in an order of their
    /// own (rdma-core's `verbs_set_ops()`).
    pub set: Option<SetLine>,
    /// What its dummy does (`dummy`), for a table with a dummy table.
    pub dummy: Option<Dummy>,
}

/// One parameter of an op.
#[derive(Clone, Debug)]
pub struct Param {
    /// Parameter name.
    pub name: String,
    /// Rust type.
    pub ty: syn::Type,
}

/// What a schema generates, and where (`[target]`), each path relative to
/// the workspace root; an absent key generates none of that kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    /// The runtime's generated modules (`runtime/src/generated`).
    pub rust_dir: Option<String>,
    /// The derive's op table (`derive/src/generated/op_table.rs`).
    pub derive_table: Option<String>,
    /// The emitted C header and source, checked in (`c/linux-next`).
    pub c_dir: Option<String>,
    /// The C side's names (`[target.c]`): what `emit-c` writes and what
    /// `check-c` and `coverage` look for.
    pub c: Option<CNames>,
    /// The Rust side's names (`[target.rust]`), which a schema with a Rust
    /// target needs: the crate, the table type, the op identifiers, the
    /// derive.
    pub rust: Option<RustNames>,
}

impl Op {
    /// Whether the op returns a `Result` (its dispatch passes it through)
    /// rather than a plain value (its dispatch wraps it in `Ok`).
    pub fn returns_result(&self) -> bool {
        match &self.returns {
            syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "Result"),
            _ => false,
        }
    }
}

/// The Rust signature as text: `fn post_send(qp: &Qp, wrs: &[SendWr]) -> Result<(), Error>`.
impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fn {}(", self.name)?;
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}: {}", p.name, type_text(&p.ty))?;
        }
        f.write_str(")")?;
        if !is_unit(&self.returns) {
            write!(f, " -> {}", type_text(&self.returns))?;
        }
        Ok(())
    }
}

/// Whether `ty` is `()`.
pub fn is_unit(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Tuple(t) if t.elems.is_empty())
}

/// A type as Rust source text, spaced the way rustfmt would.
pub fn type_text(ty: &syn::Type) -> String {
    let file: syn::File = syn::parse_quote!(type T = #ty;);
    let text = prettyplease::unparse(&file);
    text.trim()
        .trim_start_matches("type T = ")
        .trim_end_matches(';')
        .to_owned()
}

impl Schema {
    /// Every field merged by a `SET_DEVICE_OP` line: the ops and the
    /// members that merge like them, sorted (the order the kernel keeps).
    pub fn set_device_op_fields(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .ops
            .iter()
            .map(|op| op.name.as_str())
            .chain(
                self.members
                    .iter()
                    .filter(|m| m.policy.merged_like_ops())
                    .map(|m| m.name.as_str()),
            )
            .collect();
        names.sort_unstable();
        names
    }

    /// The mandatory ops, in struct order.
    pub fn mandatory(&self) -> impl Iterator<Item = &Op> {
        self.ops.iter().filter(|op| op.mandatory)
    }
}
