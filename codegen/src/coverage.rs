//! `coverage`: which provider implements which op, across drivers.
//!
//! A provider is read from its source: a C driver from its `struct
//! ib_device_ops NAME = { .op = fn, ... };` initializers (all of them in
//! the file, merged as `ib_set_device_ops()` merges them: their union), a
//! Rust provider from its `#[derive(DeviceOps)]` attributes and
//! `#[device_ops]` impl blocks (again the union of the file's tables). The
//! matrix has an op per row and a provider per column, and the report
//! names the ops no provider implements, the mandatory ops a provider
//! lacks, and the names a provider sets that are no field of the schema
//! (typos, or ops of another kernel).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

use syn::punctuated::Punctuated;
use syn::{Item, Token};

use crate::c::lexer::{self, Kind, Token as CToken};
use crate::ctxt::Ctxt;
use crate::derive_attr;
use crate::json;
use crate::rust_bounds;
use crate::schema::Schema;
use crate::suggest;

/// What one provider sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provider {
    /// Its name in the matrix.
    pub name: String,
    /// Every field it sets: ops, members, object sizes (`size_ib_qp`), and
    /// names that are none of these.
    pub fields: BTreeSet<String>,
}

/// Why a provider's source could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError(pub String);

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReadError {}

/// The fields a C source sets in its `struct ib_device_ops` initializers,
/// read from the shared lexer's tokens in one linear pass (a name inside a
/// string or a comment is not code).
///
/// # Errors
/// The text has no such initializer, or one is not closed.
pub fn read_c(
    name: &str,
    text: &str,
    struct_name: &str,
    size_init: &str,
) -> Result<Provider, ReadError> {
    read_c_files(name, &[text], struct_name, size_init)
}

/// [`read_c`] over every file of one provider (rdma-core's `providers/mlx5/`
/// has its tables in several): the union of all their initializers. A
/// file without one is fine as long as some file has one.
///
/// # Errors
/// No file has an initializer, or one is not closed.
pub fn read_c_files(
    name: &str,
    texts: &[&str],
    struct_name: &str,
    size_init: &str,
) -> Result<Provider, ReadError> {
    let mut fields = BTreeSet::new();
    let mut found = 0;
    for text in texts {
        found += initializers(name, text, struct_name, size_init, &mut fields)?;
    }
    if found == 0 {
        return Err(ReadError(format!(
            "{name}: no `struct {struct_name} NAME = {{ ... }};` initializer found"
        )));
    }
    Ok(Provider {
        name: name.to_owned(),
        fields,
    })
}

/// Adds the fields of every `struct STRUCT_NAME NAME = { ... }` of `text`
/// to `fields`; returns how many initializers there were.
fn initializers(
    name: &str,
    text: &str,
    struct_name: &str,
    size_init: &str,
    fields: &mut BTreeSet<String>,
) -> Result<usize, ReadError> {
    let tokens: Vec<CToken<'_>> = lexer::tokens(text)
        .into_iter()
        .filter(CToken::is_code)
        .collect();
    let braces = lexer::matching(&tokens, '{', '}');
    let mut found = 0;
    let mut at = 0;
    while at + 1 < tokens.len() {
        if !(tokens[at].is_ident("struct") && tokens[at + 1].is_ident(struct_name)) {
            at += 1;
            continue;
        }
        // `struct ib_device_ops NAME = {`: an initializer, not a declaration
        // or a parameter. The search goes on after the token that decided,
        // so every token is looked at a bounded number of times.
        let Some(stop) =
            (at + 2..tokens.len()).find(|&i| ['=', ';', '(', ')'].iter().any(|&c| tokens[i].is(c)))
        else {
            break;
        };
        at = stop + 1;
        if !tokens[stop].is('=') || !tokens.get(stop + 1).is_some_and(|t| t.is('{')) {
            continue;
        }
        let Some(close) = braces[stop + 1] else {
            return Err(ReadError(format!("{name}: an initializer is not closed")));
        };
        found += 1;
        for entry in lexer::top_level_entries(&tokens[stop + 2..close]) {
            if let Some(field) = initialized_field(entry, size_init) {
                fields.insert(field);
            }
        }
        at = close + 1;
    }
    Ok(found)
}

/// The field one initializer entry sets: `.name = value`, or the object
/// size `SIZE_INIT(ib_qp, ...)` (the kernel's `INIT_RDMA_OBJ_SIZE`) as
/// `size_ib_qp`.
fn initialized_field(entry: &[CToken<'_>], size_init: &str) -> Option<String> {
    match entry {
        [dot, field, ..] if dot.is('.') && field.kind == Kind::Ident => Some(field.text.to_owned()),
        [init, open, object, ..]
            if init.is_ident(size_init) && open.is('(') && object.kind == Kind::Ident =>
        {
            Some(format!("size_{}", object.text))
        }
        _ => None,
    }
}

/// The fields a Rust source sets through `#[derive(DeviceOps)]` and
/// `#[device_ops]` impl blocks. The text is parsed within the bounds the
/// schema loader also keeps (no input can overflow the parser's stack), on
/// a thread whose stack holds the deepest nesting allowed.
///
/// # Errors
/// The text is too long or too deeply nested, is not Rust, or has no
/// derived table.
pub fn read_rust(name: &str, text: &str, table: &RustTable<'_>) -> Result<Provider, ReadError> {
    rust_bounds::check(text, rust_bounds::SOURCE_FILE)
        .map_err(|problem| ReadError(format!("{name}: {problem}")))?;
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(rust_bounds::PARSER_STACK)
            .spawn_scoped(scope, || read_rust_file(name, text, table))
            .map_err(|e| ReadError(format!("{name}: no thread to parse it: {e}")))?
            .join()
            .unwrap_or_else(|_| Err(ReadError(format!("{name}: the Rust parser failed"))))
    })
}

/// The names a Rust provider's table is written with, from the schema's
/// `[target.rust]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RustTable<'a> {
    /// The derive: `DeviceOps`.
    pub derive: &'a str,
    /// Its attribute, also on impl blocks: `device_ops`.
    pub attribute: &'a str,
}

impl<'a> RustTable<'a> {
    /// The names `schema` gives its Rust side, if it has one.
    pub fn of(schema: &'a Schema) -> Option<RustTable<'a>> {
        schema.target.rust.as_ref().map(|r| RustTable {
            derive: &r.derive,
            attribute: &r.attribute,
        })
    }
}

/// [`read_rust`] once the text is known to be within bounds.
fn read_rust_file(name: &str, text: &str, table: &RustTable<'_>) -> Result<Provider, ReadError> {
    let file = syn::parse_file(text).map_err(|e| ReadError(format!("{name}: not Rust: {e}")))?;
    let mut fields = BTreeSet::new();
    let mut tables = 0;
    for item in &file.items {
        let (attrs, impl_fns) = match item {
            Item::Struct(s) if derives(&s.attrs, table.derive) => (&s.attrs, Vec::new()),
            Item::Enum(e) if derives(&e.attrs, table.derive) => (&e.attrs, Vec::new()),
            Item::Impl(i) if i.attrs.iter().any(|a| is_attribute(a, table.attribute)) => {
                let fns = i
                    .items
                    .iter()
                    .filter_map(|it| match it {
                        syn::ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
                        _ => None,
                    })
                    .collect();
                (&i.attrs, fns)
            }
            _ => continue,
        };
        tables += 1;
        fields.extend(impl_fns);
        // The derive's own parser of `#[device_ops(...)]` entries: what it
        // accepts is what is counted (an entry it refuses is skipped).
        let mut cx = Ctxt::default();
        for attr in attrs.iter().filter(|a| is_attribute(a, table.attribute)) {
            let Ok(list) = attr.meta.require_list() else {
                continue;
            };
            for entry in derive_attr::parse_list(list.tokens.clone(), &mut cx) {
                let key = entry.key.to_string();
                match entry.list {
                    Some(sizes) if key == "obj_size" => {
                        fields.extend(sizes.iter().map(|size| format!("obj_size:{}", size.key)));
                    }
                    _ if key == "mandatory" => {}
                    _ => {
                        fields.insert(key);
                    }
                }
            }
        }
    }
    if tables == 0 {
        return Err(ReadError(format!(
            "{name}: no `#[derive({})]` table or `#[{}]` impl block found",
            table.derive, table.attribute
        )));
    }
    Ok(Provider {
        name: name.to_owned(),
        fields,
    })
}

/// Whether `attr` is the table's attribute (`#[device_ops]`, or a path
/// ending in it).
fn is_attribute(attr: &syn::Attribute, name: &str) -> bool {
    attr.path().segments.last().is_some_and(|s| s.ident == name)
}

/// Whether `attrs` derive the table's derive (`DeviceOps`).
fn derives(attrs: &[syn::Attribute], derive: &str) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("derive")
            && a.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
                .is_ok_and(|paths| {
                    paths
                        .iter()
                        .any(|p| p.segments.last().is_some_and(|s| s.ident == derive))
                })
    })
}

/// The matrix and what it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// The table's C struct (`ib_device_ops`), which the reports name.
    pub table: String,
    /// The providers, in the order given.
    pub providers: Vec<String>,
    /// Each op of the schema (in struct order) with whether it is
    /// mandatory, its group, and which providers implement it.
    pub ops: Vec<OpRow>,
    /// For each provider, the mandatory ops it lacks.
    pub missing_mandatory: Vec<(String, Vec<String>)>,
    /// For each provider, the names it sets that are no field of the schema.
    pub unknown: Vec<(String, Vec<String>)>,
    /// For a name of `unknown` that looks like a typo, the schema's field
    /// it is closest to.
    pub suggestions: BTreeMap<String, String>,
}

/// One row of the matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpRow {
    /// The op.
    pub name: String,
    /// Its group.
    pub group: String,
    /// Whether registration requires it.
    pub mandatory: bool,
    /// For each provider (in [`Coverage::providers`] order), whether it
    /// implements the op.
    pub by: Vec<bool>,
}

impl OpRow {
    /// How many providers implement the op.
    pub fn count(&self) -> usize {
        self.by.iter().filter(|b| **b).count()
    }
}

/// The coverage of `schema`'s ops by `providers`.
pub fn coverage(schema: &Schema, providers: &[Provider]) -> Coverage {
    let ops = schema
        .ops
        .iter()
        .map(|op| OpRow {
            name: op.name.clone(),
            group: op.group.clone(),
            mandatory: op.mandatory,
            by: providers
                .iter()
                .map(|p| p.fields.contains(&op.name))
                .collect(),
        })
        .collect::<Vec<_>>();
    let known = |field: &str| {
        schema.ops.iter().any(|op| op.name == field)
            || schema.members.iter().any(|m| m.name == field)
            || schema.obj_sizes.iter().any(|s| s.field() == field)
            || field
                .strip_prefix("obj_size:")
                .is_some_and(|k| schema.obj_sizes.iter().any(|s| s.key == k))
    };
    let missing_mandatory = providers
        .iter()
        .map(|p| {
            let missing = schema
                .mandatory()
                .filter(|op| !p.fields.contains(&op.name))
                .map(|op| op.name.clone())
                .collect();
            (p.name.clone(), missing)
        })
        .collect();
    let unknown: Vec<(String, Vec<String>)> = providers
        .iter()
        .map(|p| {
            let names = p.fields.iter().filter(|f| !known(f)).cloned().collect();
            (p.name.clone(), names)
        })
        .collect();
    let fields = || {
        let ops = schema.ops.iter().map(|op| op.name.as_str());
        ops.chain(schema.members.iter().map(|m| m.name.as_str()))
    };
    let suggestions = unknown
        .iter()
        .flat_map(|(_, names)| names)
        // As many as a report shows: thousands of strangers stay quick.
        .take(crate::diagnostic::MAX_SHOWN)
        .filter_map(|name| Some((name.clone(), suggest::closest(name, fields())?.to_owned())))
        .collect();
    Coverage {
        table: schema.struct_name.clone(),
        providers: providers.iter().map(|p| p.name.clone()).collect(),
        ops,
        missing_mandatory,
        unknown,
        suggestions,
    }
}

impl Coverage {
    /// The ops no provider implements.
    pub fn unimplemented(&self) -> Vec<&str> {
        self.ops
            .iter()
            .filter(|r| r.count() == 0)
            .map(|r| r.name.as_str())
            .collect()
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        let strings =
            |v: &[String]| json::array(&v.iter().map(|s| json::string(s)).collect::<Vec<_>>());
        let by_provider = |pairs: &[(String, Vec<String>)]| {
            let fields: Vec<(&str, String)> = pairs
                .iter()
                .map(|(p, v)| (p.as_str(), strings(v)))
                .collect();
            json::object(&fields)
        };
        let rows: Vec<String> = self
            .ops
            .iter()
            .map(|r| {
                let by: Vec<String> = self
                    .providers
                    .iter()
                    .zip(&r.by)
                    .filter(|(_, b)| **b)
                    .map(|(p, _)| p.clone())
                    .collect();
                json::object(&[
                    ("op", json::string(&r.name)),
                    ("group", json::string(&r.group)),
                    ("mandatory", r.mandatory.to_string()),
                    ("providers", strings(&by)),
                ])
            })
            .collect();
        let unimplemented: Vec<String> = self
            .unimplemented()
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        json::object(&[
            ("providers", strings(&self.providers)),
            ("ops", json::array(&rows)),
            ("unimplemented", strings(&unimplemented)),
            ("missing_mandatory", by_provider(&self.missing_mandatory)),
            ("unknown", by_provider(&self.unknown)),
            (
                "suggestions",
                json::object(
                    &self
                        .suggestions
                        .iter()
                        .map(|(name, field)| (name.as_str(), json::string(field)))
                        .collect::<Vec<_>>(),
                ),
            ),
        ])
    }

    /// The report as one static HTML page: the matrix, sortable by any
    /// column (a click on its header), then the three lists.
    pub fn to_html(&self) -> String {
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let mut out = HTML_HEAD.replace("{TABLE}", &self.table);
        out.push_str("<table id=\"m\"><thead><tr><th>op</th><th>group</th><th>mandatory</th>");
        for p in &self.providers {
            let _ = write!(out, "<th>{}</th>", esc(p));
        }
        out.push_str("<th>providers</th></tr></thead><tbody>\n");
        for r in &self.ops {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td>",
                esc(&r.name),
                esc(&r.group),
                if r.mandatory { "yes" } else { "" }
            );
            for b in &r.by {
                out.push_str(if *b {
                    "<td class=\"y\">&#x2713;</td>"
                } else {
                    "<td class=\"n\"></td>"
                });
            }
            let _ = writeln!(out, "<td>{}</td></tr>", r.count());
        }
        out.push_str("</tbody></table>\n");
        let list = |out: &mut String, title: &str, items: &[String]| {
            let _ = write!(out, "<h2>{}</h2><p>", esc(title));
            if items.is_empty() {
                out.push_str("none");
            }
            let items: Vec<String> = items
                .iter()
                .map(|i| format!("<code>{}</code>", esc(i)))
                .collect();
            out.push_str(&items.join(", "));
            out.push_str("</p>\n");
        };
        let unimplemented: Vec<String> = self
            .unimplemented()
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        list(&mut out, "Ops no provider implements", &unimplemented);
        for (p, missing) in &self.missing_mandatory {
            list(&mut out, &format!("Mandatory ops {p} lacks"), missing);
        }
        for (p, names) in &self.unknown {
            list(
                &mut out,
                &format!("Names {p} sets that are not in the schema"),
                names,
            );
        }
        out.push_str(HTML_TAIL);
        out
    }
}

/// The matrix as text: a row per op, a column per provider.
impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .providers
            .iter()
            .map(String::len)
            .max()
            .unwrap_or(1)
            .max(3);
        // The longest op (with its mandatory mark) and group set the first
        // two columns, so every table's rows line up.
        let op_width = self
            .ops
            .iter()
            .map(|r| r.name.len() + 1)
            .max()
            .unwrap_or(0)
            .max(24);
        let group_width = self
            .ops
            .iter()
            .map(|r| r.group.len())
            .max()
            .unwrap_or(0)
            .max(9);
        write!(f, "{:<op_width$} {:<group_width$}", "op", "group")?;
        for p in &self.providers {
            write!(f, " {p:>width$}")?;
        }
        writeln!(f)?;
        for r in &self.ops {
            let name = format!("{}{}", r.name, if r.mandatory { "*" } else { "" });
            write!(f, "{name:<op_width$} {:<group_width$}", r.group)?;
            for b in &r.by {
                write!(f, " {:>width$}", if *b { "x" } else { "." })?;
            }
            writeln!(f)?;
        }
        if self.ops.iter().any(|r| r.mandatory) {
            writeln!(f, "(* mandatory)")?;
        }
        let totals: Vec<String> = self
            .providers
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{p} {}", self.ops.iter().filter(|r| r.by[i]).count()))
            .collect();
        writeln!(
            f,
            "ops implemented: {} of {}",
            totals.join(", "),
            self.ops.len()
        )?;
        let unimplemented = self.unimplemented();
        if unimplemented.is_empty() {
            writeln!(f, "every op is implemented by some provider")?;
        } else {
            writeln!(
                f,
                "implemented by no provider ({}): {}",
                unimplemented.len(),
                unimplemented.join(", ")
            )?;
        }
        for (p, missing) in &self.missing_mandatory {
            if !missing.is_empty() {
                writeln!(f, "{p} lacks mandatory: {}", missing.join(", "))?;
            }
        }
        let mut any = false;
        for (p, names) in &self.unknown {
            if !names.is_empty() {
                any = true;
                // As many as a report shows, then a count.
                let shown = crate::diagnostic::MAX_SHOWN;
                let mut listed: Vec<String> = names
                    .iter()
                    .take(shown)
                    .map(|n| match self.suggestions.get(n) {
                        Some(field) => format!("{n} (did you mean {field}?)"),
                        None => n.clone(),
                    })
                    .collect();
                if names.len() > shown {
                    listed.push(format!("... {} more", names.len() - shown));
                }
                writeln!(
                    f,
                    "{p} sets names that are not in the schema: {}",
                    listed.join(", ")
                )?;
            }
        }
        if !any {
            writeln!(f, "no provider sets a name that is not in the schema")?;
        }
        Ok(())
    }
}

const HTML_HEAD: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{TABLE} coverage</title>
<style>
body { font-family: sans-serif; margin: 2em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 2px 8px; }
th { background: #eee; cursor: pointer; position: sticky; top: 0; }
td.y { background: #cfc; text-align: center; }
td.n { background: #fdd; }
</style></head><body>
<h1>Which provider implements which op</h1>
<p>Click a column header to sort by it.</p>
"#;

const HTML_TAIL: &str = r#"<script>
document.querySelectorAll('#m th').forEach((th, col) => th.addEventListener('click', () => {
  const body = document.querySelector('#m tbody');
  const key = tr => tr.children[col].textContent;
  const rows = Array.from(body.rows);
  const asc = th.dataset.asc !== 'true';
  th.dataset.asc = asc;
  rows.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    const n = Number(x) - Number(y);
    const c = isNaN(n) ? x.localeCompare(y) : n;
    return asc ? c : -c;
  });
  rows.forEach(r => body.appendChild(r));
}));
</script>
</body></html>
"#;
