//! Turning `ops.toml` text into a [`Schema`], collecting every problem with
//! its span before giving up.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::c_target;
use super::rust_target;
use super::shape;
use super::table::{SpannedStr, TableReader};
use super::{AttrKind, Member, MemberPolicy, ObjSize, Op, OpMerge, Param, Schema, Target};
use crate::c::decl::{self, CDecl};
use crate::diagnostic::{Diagnostic, SchemaErrors};
use crate::rust_bounds;
use crate::suggest;

use super::known_types;

/// Reads and validates the schema text `source` of the file `file_name`.
///
/// Either the whole schema is valid, or every problem found is returned,
/// each with its location.
///
/// CRLF and lone CR line endings read as LF, so a schema saved on any
/// platform gives the same schema (and the same generated files).
pub fn load(file_name: &str, source: &str) -> Result<Schema, SchemaErrors> {
    let source = &*unix_newlines(source);
    let (root, syntax_errors) = DeTable::parse_recoverable(source);
    if !syntax_errors.is_empty() {
        let diags = syntax_errors
            .iter()
            .map(|e| {
                let span = e.span().unwrap_or(0..0);
                Diagnostic::new(format!("TOML syntax error: {}", e.message()), span)
            })
            .collect();
        return Err(SchemaErrors::new(file_name, source, diags));
    }
    let (mut diags, mut warnings) = (Vec::new(), Vec::new());
    let schema =
        read_root(root.get_ref(), root.span(), &mut diags, &mut warnings).map(|schema| Schema {
            file: file_name.to_owned(),
            ..schema
        });
    match schema {
        Some(mut schema) if diags.is_empty() => {
            schema.warnings = SchemaErrors::new(file_name, source, warnings)
                .summary()
                .into_iter()
                .map(|line| match line.split_once(": ") {
                    Some((place, message)) => format!("{place}: warning: {message}"),
                    None => line,
                })
                .collect();
            Ok(schema)
        }
        _ => Err(SchemaErrors::new(file_name, source, diags)),
    }
}

/// `source` with every CRLF and lone CR turned into LF.
fn unix_newlines(source: &str) -> Cow<'_, str> {
    if source.contains('\r') {
        Cow::Owned(source.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(source)
    }
}

fn read_root(
    table: &DeTable<'_>,
    span: Range<usize>,
    diags: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> Option<Schema> {
    let mut root = TableReader::new(table, span, "the schema's top level");
    let struct_name = root.string("struct", true);
    let merge = root
        .string("merge", false)
        .and_then(|s| choose(&s, "op merge policy", &OpMerge::ALL, &mut root))
        .unwrap_or(OpMerge::KeepFirst);
    let groups = root.strings("groups", true);
    let objects = root.strings("objects", false);
    let extra_types = root.strings("extra_types", false);
    let extra_types: Vec<&str> = extra_types
        .iter()
        .filter(|o| check_ident(o, "extra type", &mut root))
        .map(|o| o.value)
        .collect();
    let objects: Vec<String> = objects
        .iter()
        .filter(|o| check_ident(o, "object type", &mut root))
        .map(|o| o.value.to_owned())
        .collect();
    let target = root
        .table("target")
        .map(|t| read_target(&t, &extra_types, diags));
    let (target, c_span) = target.map_or((None, None), |(t, span)| (Some(t), span));
    let workspace: Vec<String> = root
        .strings("workspace", false)
        .iter()
        .filter(|p| relative_path(p, "workspace", &mut root))
        .map(|p| p.value.to_owned())
        .collect();
    let member_tables = tables(&mut root, "member", false);
    let op_tables = tables(&mut root, "op", true);
    let size_tables = tables(&mut root, "obj_size", false);
    root.finish(diags);

    diags.extend(duplicates(
        groups.iter().map(|g| ("group", g.value, g.span.clone())),
    ));
    let group_names: Vec<&str> = groups.iter().map(|g| g.value).collect();

    let members: Vec<Member> = member_tables
        .iter()
        .flat_map(|(tables, _)| tables)
        .filter_map(|t| read_member(t, diags))
        .collect();
    let ops: Vec<(Op, Range<usize>)> = op_tables
        .as_ref()
        .map(|(items, _)| {
            items
                .iter()
                .filter_map(|t| {
                    let op = read_op(t, &group_names, &extra_types, diags, warnings)?;
                    Some((op, t.1.clone()))
                })
                .collect()
        })
        .unwrap_or_default();
    let obj_sizes: Vec<ObjSize> = size_tables
        .iter()
        .flat_map(|(tables, _)| tables)
        .filter_map(|t| read_obj_size(t, diags))
        .collect();
    diags.extend(duplicates(
        size_tables
            .iter()
            .flat_map(|(tables, _)| tables)
            .filter_map(|(table, _)| {
                let (key, span) = table.get("key").and_then(|v| spanned_str(v))?;
                Some(("object size key", key, span))
            }),
    ));
    if let Some((items, span)) = &op_tables
        && items.is_empty()
    {
        diags.push(Diagnostic::new(
            "the schema has no ops: add at least one [[op]]",
            span.clone(),
        ));
    }
    if let Some(target) = &target {
        let spanned: Vec<(&Op, Range<usize>)> =
            ops.iter().map(|(op, span)| (op, span.clone())).collect();
        let c = target.c.as_ref().zip(c_span);
        let op_count = op_tables.as_ref().map_or(0, |(t, _)| t.len());
        c_target::check_ops(c, &spanned, op_count, !obj_sizes.is_empty(), diags);
    }
    check_unique_fields(
        member_tables.as_ref().map_or(&[][..], |(t, _)| t),
        op_tables.as_ref().map_or(&[][..], |(t, _)| t),
        size_tables.as_ref().map_or(&[][..], |(t, _)| t),
        diags,
    );
    Some(Schema {
        file: String::new(),
        struct_name: struct_name?.value.to_owned(),
        merge,
        groups: group_names.iter().map(|g| (*g).to_owned()).collect(),
        objects,
        members,
        ops: ops.into_iter().map(|(op, _)| op).collect(),
        obj_sizes,
        extra_types: extra_types.iter().map(|t| (*t).to_owned()).collect(),
        target: target.unwrap_or_default(),
        workspace,
        warnings: Vec::new(),
    })
}

/// `[target]`: where the schema's outputs go. A schema with `extra_types`
/// names types the runtime lacks, so it can have no Rust target.
fn read_target(
    (table, span): &(&DeTable<'_>, Range<usize>),
    extra_types: &[&str],
    diags: &mut Vec<Diagnostic>,
) -> (Target, Option<Range<usize>>) {
    let mut t = TableReader::new(table, span.clone(), "[target]");
    let path = |t: &mut TableReader<'_, '_>, key: &'static str| {
        let value = t.string(key, false)?;
        relative_path(&value, key, t).then(|| (value.value.to_owned(), value.span))
    };
    let rust_dir = path(&mut t, "rust_dir");
    let derive_table = path(&mut t, "derive_table");
    let c_dir = path(&mut t, "c_dir");
    let c_table = t.table("c");
    let c_span = c_table.as_ref().map(|(_, span)| span.clone());
    let c = c_table.and_then(|c| c_target::read(&c, diags));
    let rust_table = t.table("rust");
    let rust_given = rust_table.is_some();
    let rust = rust_table.and_then(|r| rust_target::read(&r, diags));
    if let Some((_, span)) = rust_dir.iter().chain(&derive_table).next()
        && !rust_given
    {
        t.error(Diagnostic::new(
            "a Rust target needs its names: add a [target.rust] table (see ops.toml's)",
            span.clone(),
        ));
    }
    // `extra_types` are the types a table's own crate defines beyond
    // ibops's: a table generated into ibops itself can name none.
    if let Some((_, span)) = rust_dir.iter().chain(&derive_table).next()
        && !extra_types.is_empty()
        && rust.as_ref().is_some_and(|r| r.crate_name == "ibops")
    {
        t.error(Diagnostic::new(
            "a table generated into ibops has no `extra_types`: its ops name only types ibops exports",
            span.clone(),
        ));
    }
    t.finish(diags);
    let target = Target {
        rust_dir: rust_dir.map(|(p, _)| p),
        derive_table: derive_table.map(|(p, _)| p),
        c_dir: c_dir.map(|(p, _)| p),
        c,
        rust,
    };
    (target, c_span)
}

fn relative_path(path: &SpannedStr<'_>, key: &str, t: &mut TableReader<'_, '_>) -> bool {
    let p = std::path::Path::new(path.value);
    let inside = !path.value.is_empty()
        && p.is_relative()
        && !p
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
    if !inside {
        t.error(Diagnostic::new(
            format!(
                "`{key}` must be a path inside the workspace, relative to its root: `{}`",
                path.value
            ),
            path.span.clone(),
        ));
    }
    inside
}

/// The tables of an array of tables, each with its span.
type Tables<'a, 'i> = Vec<(&'a DeTable<'i>, Range<usize>)>;

/// The tables of an array of tables (`[[op]]`); reports other shapes.
fn tables<'a, 'i>(
    reader: &mut TableReader<'a, 'i>,
    key: &'static str,
    required: bool,
) -> Option<(Tables<'a, 'i>, Range<usize>)> {
    let (items, span) = reader.array(key, required)?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item.get_ref() {
            DeValue::Table(t) => out.push((t, item.span())),
            other => reader.error(Diagnostic::new(
                format!(
                    "`{key}` entries must be tables ([[{key}]]), found {}",
                    other.type_str()
                ),
                item.span(),
            )),
        }
    }
    Some((out, span))
}

fn read_member(
    (table, span): &(&DeTable<'_>, Range<usize>),
    diags: &mut Vec<Diagnostic>,
) -> Option<Member> {
    let mut t = TableReader::new(table, span.clone(), "[[member]]");
    let name = t.string("name", true);
    let ty = t.string("type", true);
    let empty = t.string("empty", true);
    let policy = t.string("policy", true);
    let attr = t.string("attr", true);
    let doc = t.string("doc", true);
    let c = t.string("c", false);
    unfinished(&mut t);
    let name = name.filter(|n| check_ident(n, "member", &mut t));
    let ty = ty.and_then(|s| parse_rust::<syn::Type>(&s, s.value, "type", &mut t));
    let empty = empty.and_then(|s| parse_rust::<syn::Expr>(&s, s.value, "expression", &mut t));
    let policy = policy.and_then(|s| choose(&s, "member merge policy", &MemberPolicy::ALL, &mut t));
    let attr = attr.and_then(|s| choose(&s, "attribute kind", &AttrKind::ALL, &mut t));
    let doc = doc.and_then(|d| non_empty(d, &mut t));
    let c = match (c, &name) {
        (Some(c), Some(name)) => c_decl(&c, name.value, false, &mut t).map(|d| match d {
            CDecl::Field { text, .. } => Some(text),
            // `c_decl` returns only fields for members.
            CDecl::FnPointer(_) | CDecl::ObjSize { .. } => None,
        }),
        _ => Some(None),
    };
    t.finish(diags);
    Some(Member {
        name: name?.value.to_owned(),
        ty: ty?,
        empty: empty?,
        policy: policy?,
        attr: attr?,
        doc: doc?,
        c: c?,
    })
}

fn read_obj_size(
    (table, span): &(&DeTable<'_>, Range<usize>),
    diags: &mut Vec<Diagnostic>,
) -> Option<ObjSize> {
    let mut t = TableReader::new(table, span.clone(), "[[obj_size]]");
    let name = t.string("name", true);
    let key = t.string("key", true);
    let doc = t.string("doc", true);
    unfinished(&mut t);
    let name = name.filter(|n| check_ident(n, "object size", &mut t));
    let key = key.filter(|k| check_ident(k, "object size key", &mut t));
    let doc = doc.and_then(|d| non_empty(d, &mut t));
    t.finish(diags);
    Some(ObjSize {
        name: name?.value.to_owned(),
        key: key?.value.to_owned(),
        doc: doc?,
    })
}

fn read_op(
    (table, span): &(&DeTable<'_>, Range<usize>),
    groups: &[&str],
    extra_types: &[&str],
    diags: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> Option<Op> {
    let mut t = TableReader::new(table, span.clone(), "[[op]]");
    let name = t.string("name", true);
    let group = t.string("group", true);
    let doc = t.string("doc", true);
    let params = t.array("params", true).map(|_| t.strings("params", false));
    let returns = t.string("returns", true);
    let mandatory = t.boolean("mandatory", false);
    let c = t.string("c", false);
    let renamed_from = t.string("renamed_from", false);
    let set = c_target::read_set_line(&mut t);
    let dummy = c_target::read_dummy(&mut t);
    unfinished(&mut t);
    let name = name.filter(|n| check_ident(n, "op", &mut t) && not_reserved(n, &mut t));
    let renamed_from = match renamed_from {
        Some(old) if !check_ident(&old, "renamed_from", &mut t) => None,
        Some(old) if name.as_ref().is_some_and(|n| n.value == old.value) => {
            t.error(Diagnostic::new(
                format!("op `{}` is renamed from its own name", old.value),
                old.span.clone(),
            ));
            None
        }
        other => Some(other.map(|old| old.value.to_owned())),
    };
    let group = group.filter(|g| {
        let known = groups.contains(&g.value);
        if !known {
            t.error(
                Diagnostic::new(format!("unknown group `{}`", g.value), g.span.clone()).with_note(
                    format!("groups are declared at the top: {}", groups.join(", ")),
                ),
            );
        }
        known
    });
    let params = params.and_then(|p| read_params(&p, extra_types, &mut t));
    let returns = returns.and_then(|s| parse_type(&s, s.value, "return type", extra_types, &mut t));
    let doc = doc.and_then(|d| non_empty(d, &mut t));
    let c = match (c, &name) {
        (Some(c), Some(name)) => c_decl(&c, name.value, true, &mut t).map(|d| match d {
            CDecl::FnPointer(f) => Some(f),
            CDecl::Field { .. } | CDecl::ObjSize { .. } => None,
        }),
        _ => Some(None),
    };
    t.finish(diags);
    let name = name?;
    let op = Op {
        name: name.value.to_owned(),
        group: group?.value.to_owned(),
        doc: doc?,
        params: params?,
        returns: returns?,
        mandatory,
        c: c?,
        renamed_from: renamed_from?,
        set: set?,
        dummy: dummy?,
    };
    warnings.extend(shape::mismatches(&op).map(|m| Diagnostic::new(m, name.span.clone())));
    Some(op)
}

/// Parses a `c` declaration and checks that it declares `name`, as a
/// function pointer for an op (`fn_pointer`) or a plain field for a member.
/// `None` means an error was reported.
fn c_decl(
    c: &SpannedStr<'_>,
    name: &str,
    fn_pointer: bool,
    t: &mut TableReader<'_, '_>,
) -> Option<CDecl> {
    let message = match decl::parse(c.value) {
        Ok(parsed) if parsed.name() != name => {
            format!("the C declaration names `{}`, not `{name}`", parsed.name())
        }
        Ok(parsed @ CDecl::FnPointer(_)) if fn_pointer => return Some(parsed),
        Ok(parsed @ CDecl::Field { .. }) if !fn_pointer => return Some(parsed),
        Ok(CDecl::FnPointer(_)) => {
            format!("member `{name}` is declared in C as a function pointer; make it an [[op]]")
        }
        Ok(CDecl::Field { .. }) => {
            format!("op `{name}` is declared in C as a plain field, not `RET (*{name})(PARAMS);`")
        }
        Ok(CDecl::ObjSize { .. }) => {
            format!("`{name}` is declared in C as an object size; make it an [[obj_size]]")
        }
        Err(e) => format!("invalid C declaration: {e}"),
    };
    t.error(Diagnostic::new(message, c.span.clone()));
    None
}

/// Parameters written `"name: Type"`; all of them are checked before failing.
fn read_params(
    items: &[SpannedStr<'_>],
    extra_types: &[&str],
    t: &mut TableReader<'_, '_>,
) -> Option<Vec<Param>> {
    let mut params = Vec::with_capacity(items.len());
    let mut ok = true;
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        let Some((name, ty)) = item.value.split_once(':') else {
            t.error(
                Diagnostic::new(
                    format!("parameter `{}` is not `name: Type`", item.value),
                    item.span.clone(),
                )
                .with_note("write each parameter as \"name: Type\", e.g. \"qp: &Qp\""),
            );
            ok = false;
            continue;
        };
        let name = SpannedStr {
            value: name.trim(),
            span: item.sub_span(name.trim()),
        };
        let ty_text = ty.trim();
        let name_ok = check_ident(&name, "parameter", t);
        if name_ok {
            names.push(("parameter", name.value, name.span.clone()));
        }
        let ty = parse_type(item, ty_text, "type", extra_types, t);
        match (name_ok, ty) {
            (true, Some(ty)) => params.push(Param {
                name: name.value.to_owned(),
                ty,
            }),
            _ => ok = false,
        }
    }
    for diagnostic in duplicates(names) {
        t.error(diagnostic);
        ok = false;
    }
    ok.then_some(params)
}

/// Parses `text` (part of the string `within`) as a Rust type that names
/// only types the generated code can reach (or the schema's
/// `extra_types`); each unknown name is reported at its place with the
/// closest known one.
fn parse_type(
    within: &SpannedStr<'_>,
    text: &str,
    what: &str,
    extra_types: &[&str],
    t: &mut TableReader<'_, '_>,
) -> Option<syn::Type> {
    let ty = parse_rust::<syn::Type>(within, text, what, t)?;
    let mut unknown = known_types::unknown_in(&ty);
    unknown.retain(|name| !extra_types.contains(&name.as_str()));
    for name in &unknown {
        let at = word_at(text, name).map_or(text, |at| &text[at..at + name.len()]);
        t.error(
            Diagnostic::new(
                format!(
                    "unknown type `{name}`: `ibops::prelude` does not export it{}",
                    suggest::did_you_mean(name, known_types::all())
                ),
                within.sub_span(at),
            )
            .with_note(
                "an op's types are ibops's (runtime/src/verbs/, one file per concept) or the language's; add a new one there first",
            ),
        );
    }
    unknown.is_empty().then_some(ty)
}

/// Where `word` first stands in `text` as a whole word.
fn word_at(text: &str, word: &str) -> Option<usize> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).map(|(at, _)| at).find(|&at| {
        !text[..at].chars().next_back().is_some_and(is_word)
            && !text[at + word.len()..].chars().next().is_some_and(is_word)
    })
}

/// Parses `text` (part of the string `within`) as Rust syntax of kind `what`.
fn parse_rust<T: syn::parse::Parse>(
    within: &SpannedStr<'_>,
    text: &str,
    what: &str,
    t: &mut TableReader<'_, '_>,
) -> Option<T> {
    if let Err(problem) = rust_bounds::check(text, rust_bounds::SCHEMA_SNIPPET) {
        t.error(Diagnostic::new(
            format!("this Rust {what} {problem}"),
            within.sub_span(text),
        ));
        return None;
    }
    match syn::parse_str::<T>(text) {
        Ok(value) => Some(value),
        Err(e) => {
            t.error(Diagnostic::new(
                format!("`{text}` is not a valid Rust {what}: {e}"),
                within.sub_span(text),
            ));
            None
        }
    }
}

/// Checks that a name is a plain Rust identifier and not a keyword.
fn check_ident(name: &SpannedStr<'_>, what: &str, t: &mut TableReader<'_, '_>) -> bool {
    let v = name.value;
    let message = if !decl::is_ident(v) || v == "_" {
        format!("{what} name `{v}` is not a Rust identifier")
    } else if syn::parse_str::<syn::Ident>(v).is_err() {
        format!("{what} name `{v}` is a Rust keyword")
    } else {
        return true;
    };
    t.error(Diagnostic::new(message, name.span.clone()));
    false
}

/// Maps a policy or kind name to its value; reports an unknown one.
fn choose<T: Copy>(
    s: &SpannedStr<'_>,
    what: &str,
    choices: &[(&str, T)],
    t: &mut TableReader<'_, '_>,
) -> Option<T> {
    let found = choices
        .iter()
        .find(|(name, _)| *name == s.value)
        .map(|(_, v)| *v);
    if found.is_none() {
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        t.error(
            Diagnostic::new(format!("unknown {what} `{}`", s.value), s.span.clone())
                .with_note(format!("expected one of: {}", names.join(", "))),
        );
    }
    found
}

/// Refuses an entry that still carries the `todo` marker `import-c` puts
/// on every entry of a skeleton: it is valid only once a person filled it
/// in and removed the marker.
fn unfinished(t: &mut TableReader<'_, '_>) {
    if let Some(todo) = t.string("todo", false) {
        t.error(
            Diagnostic::new(
                format!("unfinished entry: {}", todo.value),
                todo.span.clone(),
            )
            .with_note("fill in what it names, then remove the `todo` key"),
        );
    }
}

/// Methods the generated code defines on the ops struct beside one per op:
/// an op of one of these names would make the dispatch fail to compile.
pub(super) const RESERVED_OP_NAMES: [&str; 5] = [
    "merge",
    "retain",
    "implemented",
    "missing_mandatory",
    "is_set",
];

/// Refuses an op name that a generated method already uses.
fn not_reserved(name: &SpannedStr<'_>, t: &mut TableReader<'_, '_>) -> bool {
    let reserved = RESERVED_OP_NAMES.contains(&name.value);
    if reserved {
        t.error(
            Diagnostic::new(
                format!(
                    "op name `{}` is taken by a generated method of the ops struct",
                    name.value
                ),
                name.span.clone(),
            )
            .with_note(format!("reserved: {}", RESERVED_OP_NAMES.join(", "))),
        );
    }
    !reserved
}

/// A doc: not empty, and safe inside the C comment it is emitted in.
fn non_empty(doc: SpannedStr<'_>, t: &mut TableReader<'_, '_>) -> Option<String> {
    let text = doc.value.trim();
    let problem = if text.is_empty() {
        "`doc` must not be empty"
    } else if text.contains("/*") || text.contains("*/") {
        "`doc` must not contain `/*` or `*/`: it is emitted inside a C comment"
    } else {
        return Some(text.to_owned());
    };
    t.error(Diagnostic::new(problem, doc.span.clone()));
    None
}

/// A "duplicate" diagnostic for every `(what, name, span)` whose name was
/// seen before, pointing back at the first definition.
fn duplicates<'s>(
    names: impl IntoIterator<Item = (&'static str, &'s str, Range<usize>)>,
) -> Vec<Diagnostic> {
    let mut seen: HashMap<&str, Range<usize>> = HashMap::new();
    let mut found = Vec::new();
    for (what, name, span) in names {
        if let Some(first) = seen.get(name) {
            found.push(
                Diagnostic::new(format!("duplicate {what} `{name}`"), span)
                    .with_related(first.clone(), format!("`{name}` first defined here")),
            );
        } else {
            seen.insert(name, span);
        }
    }
    found
}

/// Op, member and object-size fields share the struct's field namespace:
/// each appears once (an object size `ib_ah` is the field `size_ib_ah`).
/// Read from the raw tables, so a name is checked even when its table has
/// other errors.
fn check_unique_fields(
    members: &[(&DeTable<'_>, Range<usize>)],
    ops: &[(&DeTable<'_>, Range<usize>)],
    sizes: &[(&DeTable<'_>, Range<usize>)],
    diags: &mut Vec<Diagnostic>,
) {
    let field = |what: &'static str| {
        move |(table, _): &(&DeTable<'_>, Range<usize>)| {
            let (name, span) = table.get("name").and_then(|v| spanned_str(v))?;
            Some((what, name.to_owned(), span))
        }
    };
    let sized = |(table, _): &(&DeTable<'_>, Range<usize>)| {
        let (name, span) = table.get("name").and_then(|v| spanned_str(v))?;
        Some(("object size", format!("size_{name}"), span))
    };
    let names: Vec<(&'static str, String, Range<usize>)> = members
        .iter()
        .filter_map(field("member"))
        .chain(ops.iter().filter_map(field("op")))
        .chain(sizes.iter().filter_map(sized))
        .collect();
    diags.extend(duplicates(
        names
            .iter()
            .map(|(what, name, span)| (*what, name.as_str(), span.clone())),
    ));
}

fn spanned_str<'a>(value: &'a Spanned<DeValue<'_>>) -> Option<(&'a str, Range<usize>)> {
    match value.get_ref() {
        DeValue::String(s) => Some((s.as_ref(), value.span())),
        _ => None,
    }
}
