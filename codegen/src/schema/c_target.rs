//! A table's C side (`[target.c]`): the names `emit-c` writes and `check-c`
//! and `coverage` look for, the merge macros of its merge function, its
//! table of dummy ops and its private ABI symbol; and, per op, its merge
//! line ([`SetLine`]) and its dummy ([`Dummy`]).
//!
//! Two real shapes are covered. The kernel's `ib_set_device_ops()` merges
//! every op with one macro, sorted by name, keep-first. rdma-core's
//! `verbs_set_ops()` merges last-wins with four macros whose lines each op
//! gives itself, in an order of their own, over a positional table of
//! dummies (`verbs_dummy_ops`).

use std::fmt;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::Op;
use super::table::{SpannedStr, TableReader};
use crate::c::decl;
use crate::diagnostic::Diagnostic;
use crate::suggest;

/// The names of a table's C side (`[target.c]`), so that no emitter or C
/// reader holds one table's names. Today's kernel's values are in
/// `ops.toml`, rdma-core's in `schemas/verbs_context_ops.toml`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CNames {
    /// The header the source includes (`rdma/ib_verbs.h`).
    pub include: String,
    /// What the table is, in a sentence's words (`InfiniBand device
    /// operations`).
    pub title: String,
    /// The struct that holds the merged table (`ib_device`).
    pub device: String,
    /// The merge function's parameter naming that struct (`device`).
    pub device_param: String,
    /// Its member holding the table (`ops`), when the merge function
    /// merges into it (`struct ib_device_ops *dev = &device->ops;`).
    pub device_member: Option<String>,
    /// The merge function's local declarations, when they are not the one
    /// `device_member` gives: rdma-core's `priv` and `ctx`.
    pub locals: Vec<String>,
    /// The merge function (`ib_set_device_ops`).
    pub merge_function: String,
    /// The merge macro of an op without a `set` line of its own
    /// (`SET_DEVICE_OP`): the line is `MACRO(dev, name)`, sorted by name.
    pub merge_macro: Option<String>,
    /// The merge macros ops name in their own `set` lines, defined in the
    /// merge function in this order (`[[target.c.macro]]`).
    pub macros: Vec<CMacro>,
    /// The object-size macros, when the table has object sizes.
    pub sizes: Option<SizeNames>,
    /// The mandatory-op check, when the table has mandatory ops.
    pub mandatory: Option<MandatoryNames>,
    /// The table of dummy ops (`verbs_dummy_ops`): a positional initializer
    /// in struct order, one dummy function per op, named after it.
    pub dummy_table: Option<String>,
    /// The private ABI symbol that must change whenever the struct does
    /// (`IBVERBS_PRIVATE_65`).
    pub private_symbol: Option<String>,
}

/// The object-size macros of a table with object sizes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SizeNames {
    /// The merge macro of one object size (`SET_OBJ_SIZE`).
    pub merge: String,
    /// The macro declaring an object size in the struct
    /// (`DECLARE_RDMA_OBJ_SIZE`).
    pub declare: String,
    /// The macro a driver's table sets an object size with
    /// (`INIT_RDMA_OBJ_SIZE`).
    pub init: String,
}

/// The mandatory-op check of a table with mandatory ops.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MandatoryNames {
    /// The function that checks the mandatory ops
    /// (`ib_device_check_mandatory`).
    pub check: String,
    /// The X-macro listing the mandatory ops (`IB_DEVICE_OPS_MANDATORY`).
    pub list: String,
}

/// A merge macro defined in the merge function (`[[target.c.macro]]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CMacro {
    /// `SET_PRIV_OP`.
    pub name: String,
    /// Its parameters: `ptr`, `name`.
    pub params: Vec<String>,
    /// The statements it expands to, one per line, without the
    /// `do { } while (0)` around them and without continuation backslashes.
    pub body: String,
    /// A one-line comment written above its definition, if any.
    pub doc: Option<String>,
}

impl CMacro {
    /// Where the op's own name goes among the arguments: the parameter
    /// called `name`.
    pub fn name_position(&self) -> Option<usize> {
        self.params.iter().position(|p| p == "name")
    }
}

/// An op's line in the merge function: `SET_PRIV_OP(ctx, alloc_pd);`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetLine {
    /// The macro: `SET_PRIV_OP`.
    pub macro_name: String,
    /// Its arguments: `ctx`, `alloc_pd`.
    pub args: Vec<String>,
    /// Where the line stands among the merge lines, from 1.
    pub position: usize,
}

/// `SET_PRIV_OP(ctx, alloc_pd)`, without the `;`.
impl fmt::Display for SetLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.macro_name, self.args.join(", "))
    }
}

impl SetLine {
    /// Reads `MACRO(arg, ...)`: the macro and its arguments, each a C
    /// identifier.
    pub fn parse(text: &str, position: usize) -> Result<SetLine, String> {
        let text = text.trim().trim_end_matches(';').trim_end();
        let shape = || format!("`{text}` is not a merge line `MACRO(arg, ...)`");
        let (name, rest) = text.split_once('(').ok_or_else(shape)?;
        let args = rest.strip_suffix(')').ok_or_else(shape)?;
        let name = name.trim();
        let args: Vec<String> = args.split(',').map(|a| a.trim().to_owned()).collect();
        if !decl::is_ident(name) {
            return Err(shape());
        }
        if let Some(bad) = args.iter().find(|a| !decl::is_ident(a)) {
            return Err(format!("merge line argument `{bad}` is not a C identifier"));
        }
        Ok(SetLine {
            macro_name: name.to_owned(),
            args,
            position,
        })
    }
}

/// What an op's dummy does when a context's table has no op of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dummy {
    /// Sets `errno`, if given, and returns `value` (nothing for a `void` op).
    Returns {
        /// The `errno` value set first: `EOPNOTSUPP`.
        errno: Option<String>,
        /// The C expression returned: `EOPNOTSUPP`, `NULL`, `-1`, `0`.
        value: Option<String>,
    },
    /// A real default, not an error: the dummy passes its arguments to the
    /// library function named (`ibv_default_alloc_buf`), declared with the
    /// op's prototype in the emitted header.
    Default(String),
}

impl Dummy {
    /// The shorthands a schema may write for the common answers.
    pub const SHORTHANDS: [&'static str; 4] =
        ["eopnotsupp", "errno-null", "errno-minus-one", "nothing"];

    /// The dummy a shorthand stands for.
    pub fn shorthand(name: &str) -> Option<Dummy> {
        let returns = |errno: Option<&str>, value: Option<&str>| Dummy::Returns {
            errno: errno.map(str::to_owned),
            value: value.map(str::to_owned),
        };
        Some(match name {
            "eopnotsupp" => returns(None, Some("EOPNOTSUPP")),
            "errno-null" => returns(Some("EOPNOTSUPP"), Some("NULL")),
            "errno-minus-one" => returns(Some("EOPNOTSUPP"), Some("-1")),
            "nothing" => returns(None, None),
            _ => return None,
        })
    }

    /// Whether the dummy returns a value (a `void` op's must not).
    pub fn returns_value(&self) -> Option<bool> {
        match self {
            Dummy::Returns { value, .. } => Some(value.is_some()),
            Dummy::Default(_) => None,
        }
    }
}

/// Reads `[target.c]`.
pub(super) fn read(
    (table, span): &(&DeTable<'_>, Range<usize>),
    diags: &mut Vec<Diagnostic>,
) -> Option<CNames> {
    let mut t = TableReader::new(table, span.clone(), "[target.c]");
    let device = ident(&mut t, "device", true);
    let device_param = ident(&mut t, "device_param", false);
    let device_member = ident(&mut t, "device_member", false);
    let locals: Vec<String> = t
        .strings("locals", false)
        .iter()
        .map(|l| l.value.to_owned())
        .collect();
    let merge_function = ident(&mut t, "merge_function", true);
    let merge_macro = ident(&mut t, "merge_macro", false);
    let size_merge = ident(&mut t, "size_macro", false);
    let size_declare = ident(&mut t, "size_declare", false);
    let size_init = ident(&mut t, "size_init", false);
    let mandatory_check = ident(&mut t, "mandatory_check", false);
    let mandatory_list = ident(&mut t, "mandatory_list", false);
    let dummy_table = ident(&mut t, "dummy_table", false);
    let private_symbol = ident(&mut t, "private_symbol", false);
    let include = t.string("include", true).map(|s| s.value.to_owned());
    let title = t.string("title", true).map(|s| s.value.to_owned());
    let macros = read_macros(&mut t, diags);
    let sizes = all_or_none(
        &mut t,
        span,
        [
            ("size_macro", size_merge),
            ("size_declare", size_declare),
            ("size_init", size_init),
        ],
    )
    .map(|[merge, declare, init]| SizeNames {
        merge,
        declare,
        init,
    });
    let mandatory = all_or_none(
        &mut t,
        span,
        [
            ("mandatory_check", mandatory_check),
            ("mandatory_list", mandatory_list),
        ],
    )
    .map(|[check, list]| MandatoryNames { check, list });
    if device_member.is_none() && locals.is_empty() {
        t.error(Diagnostic::new(
            "[target.c] needs `device_member` (the merge function merges into `&device->MEMBER`) or its `locals`",
            span.clone(),
        ));
    }
    t.finish(diags);
    Some(CNames {
        include: include?,
        title: title?,
        device: device??,
        device_param: device_param?.unwrap_or_else(|| "device".to_owned()),
        device_member: device_member?,
        locals,
        merge_function: merge_function??,
        merge_macro: merge_macro?,
        macros: macros?,
        sizes,
        mandatory,
        dummy_table: dummy_table?,
        private_symbol: private_symbol?,
    })
}

/// `set` and `set_line`: the op's own merge line and its position, both
/// or neither. `None` when invalid (reported), `Some(None)` when absent.
pub(super) fn read_set_line(t: &mut TableReader<'_, '_>) -> Option<Option<SetLine>> {
    let text = t.string("set", false);
    let position = t.count("set_line", false);
    match (text, position) {
        (None, None) => Some(None),
        (Some(text), Some((position, span))) => {
            if position == 0 {
                t.error(Diagnostic::new("`set_line` counts from 1", span));
                return None;
            }
            match SetLine::parse(text.value, position) {
                Ok(line) => Some(Some(line)),
                Err(message) => {
                    t.error(Diagnostic::new(message, text.span.clone()));
                    None
                }
            }
        }
        (Some(text), None) => {
            t.error(Diagnostic::new(
                "`set` needs `set_line`: where the line stands in the merge function",
                text.span.clone(),
            ));
            None
        }
        (None, Some((_, span))) => {
            t.error(Diagnostic::new("`set_line` without `set`", span));
            None
        }
    }
}

/// `dummy`: a shorthand (`"eopnotsupp"`) or a table `{ errno, returns }` or
/// `{ default }`. `None` when invalid (reported), `Some(None)` when absent.
pub(super) fn read_dummy(t: &mut TableReader<'_, '_>) -> Option<Option<Dummy>> {
    let Some(value) = t.get("dummy") else {
        return Some(None);
    };
    let span = value.span();
    let shorthands = Dummy::SHORTHANDS.join(", ");
    match value.get_ref() {
        DeValue::String(s) => match Dummy::shorthand(s) {
            Some(d) => Some(Some(d)),
            None => {
                t.error(
                    Diagnostic::new(
                        format!("unknown dummy `{s}`{}", suggest::did_you_mean(s, Dummy::SHORTHANDS)),
                        span,
                    )
                    .with_note(format!(
                        "a dummy is one of {shorthands}, or {{ errno = \"..\", returns = \"..\" }}, or {{ default = \"function\" }}"
                    )),
                );
                None
            }
        },
        DeValue::Table(table) => {
            let mut d = TableReader::new(table, span.clone(), "a `dummy` table");
            let errno = d.string("errno", false).map(|s| s.value.to_owned());
            let returns = d.string("returns", false).map(|s| s.value.to_owned());
            let default = d.string("default", false);
            let dummy = match (default, errno.is_some() || returns.is_some()) {
                (Some(f), false) if decl::is_ident(f.value) => {
                    Some(Dummy::Default(f.value.to_owned()))
                }
                (Some(f), false) => {
                    d.error(Diagnostic::new(
                        format!("`default` must name a C function, not `{}`", f.value),
                        f.span.clone(),
                    ));
                    None
                }
                (Some(f), true) => {
                    d.error(Diagnostic::new(
                        "a dummy is a `default` function or what it returns, not both",
                        f.span.clone(),
                    ));
                    None
                }
                (None, _) => Some(Dummy::Returns {
                    errno,
                    value: returns,
                }),
            };
            let mut diags = Vec::new();
            d.finish(&mut diags);
            let ok = diags.is_empty();
            for diag in diags {
                t.error(diag);
            }
            ok.then_some(dummy).flatten().map(Some)
        }
        other => {
            t.error(Diagnostic::new(
                format!(
                    "`dummy` must be a string or a table, found {}",
                    other.type_str()
                ),
                span,
            ));
            None
        }
    }
}

/// A C identifier under `key`: `None` when it is invalid (reported),
/// `Some(None)` when it is absent.
fn ident(t: &mut TableReader<'_, '_>, key: &'static str, required: bool) -> Option<Option<String>> {
    t.checked_string(key, required, "a C identifier", decl::is_ident)
}

/// Keys that come together: all given, or none.
fn all_or_none<const N: usize>(
    t: &mut TableReader<'_, '_>,
    span: &Range<usize>,
    keys: [(&str, Option<Option<String>>); N],
) -> Option<[String; N]> {
    let given: Vec<&str> = keys
        .iter()
        .filter(|(_, v)| matches!(v, Some(Some(_))))
        .map(|(k, _)| *k)
        .collect();
    if !given.is_empty() && given.len() < N {
        let all: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
        t.error(Diagnostic::new(
            format!(
                "[target.c] gives {} but not all of {}",
                given.join(", "),
                all.join(", ")
            ),
            span.clone(),
        ));
    }
    let values: Vec<String> = keys.into_iter().filter_map(|(_, v)| v.flatten()).collect();
    values.try_into().ok()
}

/// `[[target.c.macro]]`: `None` when one is invalid (reported).
fn read_macros(t: &mut TableReader<'_, '_>, diags: &mut Vec<Diagnostic>) -> Option<Vec<CMacro>> {
    let Some((items, _)) = t.array("macro", false) else {
        return Some(Vec::new());
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for item in items {
        let DeValue::Table(table) = item.get_ref() else {
            t.error(Diagnostic::new(
                "`macro` entries must be tables ([[target.c.macro]])",
                item.span(),
            ));
            ok = false;
            continue;
        };
        match read_macro(&(table, item.span()), &out, diags) {
            Some(m) => out.push(m),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn read_macro(
    (table, span): &(&DeTable<'_>, Range<usize>),
    earlier: &[CMacro],
    diags: &mut Vec<Diagnostic>,
) -> Option<CMacro> {
    let mut t = TableReader::new(table, span.clone(), "[[target.c.macro]]");
    let name = ident(&mut t, "name", true);
    let params = t.strings("params", true);
    let body = t.string("body", true);
    let doc = t.string("doc", false).map(|d| d.value.trim().to_owned());
    let params_ok = check_params(&params, &mut t);
    if let Some(Some(name)) = &name
        && earlier.iter().any(|m| &m.name == name)
    {
        t.error(Diagnostic::new(
            format!("macro `{name}` is defined twice"),
            span.clone(),
        ));
    }
    let body = body.filter(|b| {
        let empty = b.value.trim().is_empty();
        if empty {
            t.error(Diagnostic::new("`body` must not be empty", b.span.clone()));
        }
        !empty
    });
    t.finish(diags);
    Some(CMacro {
        name: name??,
        params: params_ok.then(|| params.iter().map(|p| p.value.to_owned()).collect())?,
        body: body?.value.trim_matches('\n').to_owned(),
        doc,
    })
}

/// A macro's parameters: C identifiers, one of them `name` (where the op's
/// name goes).
fn check_params(params: &[SpannedStr<'_>], t: &mut TableReader<'_, '_>) -> bool {
    let mut ok = true;
    for p in params.iter().filter(|p| !decl::is_ident(p.value)) {
        t.error(Diagnostic::new(
            format!("macro parameter `{}` is not a C identifier", p.value),
            p.span.clone(),
        ));
        ok = false;
    }
    if ok && !params.iter().any(|p| p.value == "name") {
        let span = params.first().map_or(0..0, |p| p.span.clone());
        t.error(Diagnostic::new(
            "a merge macro needs a parameter called `name`: the op it merges",
            span,
        ));
        ok = false;
    }
    ok
}

/// Checks the ops against the C side: the names a table with object sizes
/// or mandatory ops needs, every op's merge line (all ops give one, or
/// none does and `merge_macro` merges them), and every op's dummy (all
/// have one exactly when there is a dummy table, each answering as its C
/// prototype returns). `op_count` counts the schema's ops, those that did
/// not load included.
pub(super) fn check_ops(
    c: Option<(&CNames, Range<usize>)>,
    ops: &[(&Op, Range<usize>)],
    op_count: usize,
    has_obj_sizes: bool,
    diags: &mut Vec<Diagnostic>,
) {
    let Some((c, c_span)) = c else {
        for (op, span) in ops {
            if op.set.is_some() || op.dummy.is_some() {
                diags.push(Diagnostic::new(
                    format!(
                        "op `{}` gives a C merge line or dummy, but the schema has no [target.c]",
                        op.name
                    ),
                    span.clone(),
                ));
            }
        }
        return;
    };
    let mut need = |missing: bool, message: &str| {
        if missing {
            diags.push(Diagnostic::new(message.to_owned(), c_span.clone()));
        }
    };
    need(
        has_obj_sizes && c.sizes.is_none(),
        "the table has object sizes: [target.c] needs size_macro, size_declare and size_init",
    );
    need(
        ops.iter().any(|(op, _)| op.mandatory) && c.mandatory.is_none(),
        "the table has mandatory ops: [target.c] needs mandatory_check and mandatory_list",
    );
    let with_set = ops.iter().filter(|(op, _)| op.set.is_some()).count();
    need(
        with_set == 0 && c.merge_macro.is_none(),
        "[target.c] needs `merge_macro`, or every op its own `set` line",
    );
    if with_set > 0 {
        check_set_lines(c, ops, op_count, diags);
    }
    for (op, span) in ops {
        check_dummy(c, op, span, diags);
    }
}

fn check_set_lines(
    c: &CNames,
    ops: &[(&Op, Range<usize>)],
    op_count: usize,
    diags: &mut Vec<Diagnostic>,
) {
    let mut at: Vec<Option<&str>> = vec![None; op_count];
    for (op, span) in ops {
        let mut error = |message: String| diags.push(Diagnostic::new(message, span.clone()));
        let Some(line) = &op.set else {
            error(format!(
                "op `{}` has no `set` line, but other ops do: each op of this table gives its own",
                op.name
            ));
            continue;
        };
        match c.macros.iter().find(|m| m.name == line.macro_name) {
            None => error(format!(
                "op `{}`'s merge line uses `{}`, which [[target.c.macro]] does not define{}",
                op.name,
                line.macro_name,
                crate::suggest::did_you_mean(
                    &line.macro_name,
                    c.macros.iter().map(|m| m.name.as_str())
                )
            )),
            Some(m) if m.params.len() != line.args.len() => error(format!(
                "`{line}` gives {} argument{}, but `{}` takes {}",
                line.args.len(),
                crate::diagnostic::plural(line.args.len()),
                m.name,
                m.params.len()
            )),
            Some(m) => {
                if let Some(name_at) = m.name_position()
                    && line.args[name_at] != op.name
                {
                    error(format!(
                        "`{line}` merges `{}`, not op `{}`",
                        line.args[name_at], op.name
                    ));
                }
            }
        }
        match at.get_mut(line.position - 1) {
            Some(slot @ None) => *slot = Some(&op.name),
            Some(Some(other)) => error(format!(
                "`set_line = {}` of `{}` is also `{other}`'s",
                line.position, op.name
            )),
            None => error(format!(
                "`set_line = {}` of `{}` is past the last line: there are {} ops",
                line.position, op.name, op_count
            )),
        }
    }
}

fn check_dummy(c: &CNames, op: &Op, span: &Range<usize>, diags: &mut Vec<Diagnostic>) {
    let mut error = |message: String| diags.push(Diagnostic::new(message, span.clone()));
    match (&c.dummy_table, &op.dummy) {
        (Some(table), None) => error(format!(
            "op `{}` has no `dummy`: every op of a table with a dummy table (`{table}`) needs one",
            op.name
        )),
        (None, Some(_)) => error(format!(
            "op `{}` has a `dummy`, but [target.c] names no `dummy_table`",
            op.name
        )),
        (Some(_), Some(dummy)) => {
            let void = op.c.as_ref().map(|f| f.returns == "void");
            match (void, dummy.returns_value()) {
                (Some(true), Some(true)) => error(format!(
                    "op `{}` returns void in C, but its dummy returns a value",
                    op.name
                )),
                (Some(false), Some(false)) => error(format!(
                    "op `{}` returns a value in C, but its dummy returns none",
                    op.name
                )),
                _ => {}
            }
        }
        (None, None) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_lines_read_back_as_written() {
        let line = SetLine::parse("SET_OP2(vctx, ibv_create_flow, create_flow);", 21);
        assert_eq!(
            line.as_ref().map(ToString::to_string).as_deref(),
            Ok("SET_OP2(vctx, ibv_create_flow, create_flow)")
        );
        assert_eq!(line.map(|l| l.position), Ok(21));
        assert!(SetLine::parse("SET_OP(vctx, a b)", 1).is_err());
        assert!(SetLine::parse("SET_OP vctx, a", 1).is_err());
        assert!(SetLine::parse("(vctx, a)", 1).is_err());
    }

    #[test]
    fn every_shorthand_means_a_dummy() {
        for name in Dummy::SHORTHANDS {
            assert!(Dummy::shorthand(name).is_some(), "{name}");
        }
        assert_eq!(
            Dummy::shorthand("nothing").and_then(|d| d.returns_value()),
            Some(false)
        );
        assert_eq!(Dummy::shorthand("maybe"), None);
    }
}
