//! `check-c`: audits a hand-written merge function (the kernel's
//! `ib_set_device_ops()`, rdma-core's `verbs_set_ops()`; its name and macros
//! from `[target.c]`) against the schema, the review the kernel's history
//! shows is needed: an op or member without a merge line (its table entry
//! is then silently ignored and the core answers `-EOPNOTSUPP`), a line
//! naming something that is not a member, a duplicated line, a line with
//! another macro or other arguments than the schema's, lines out of their
//! order, a member merged against its policy (a flag ORed with itself), and
//! object sizes without their `SET_OBJ_SIZE`. A table with a dummy table
//! has it checked too (`c/dummy_check.rs`).
//!
//! The text may be a whole `device.c`, a patch or a mail: only the body of
//! the function is read, comments skipped, each finding reported at its
//! line.

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::decl::{self, CDecl};
use super::import::Imported;
use super::lexer::{self, Kind, Token};
use crate::diagnostic::plural;
use crate::schema::{CNames, MemberPolicy, Schema, SetLine};
use crate::suggest;

use super::finding::error;
pub use super::finding::{Finding, Severity};

/// Everything `check-c` found in one text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The file name findings are reported with.
    pub file: String,
    /// Findings in line order.
    pub findings: Vec<Finding>,
    /// How many things were checked: merge lines of the function, or
    /// members of a struct.
    pub checked: usize,
    /// What `checked` counts, singular (`merge line`).
    pub unit: &'static str,
}

impl Report {
    /// The errors as `LINE: message`, in line order.
    pub fn errors(&self) -> Vec<String> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| format!("{}: {}", f.line, f.message))
            .collect()
    }

    /// How many findings have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// `FILE:LINE: error: message` lines, then a count.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines = self.findings.iter().map(|finding| {
            let word = match finding.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            match finding.line {
                // The function or the struct as a whole.
                0 => format!("{}: {word}: {}", self.file, finding.message),
                line => format!("{}:{line}: {word}: {}", self.file, finding.message),
            }
        });
        crate::diagnostic::write_capped(f, lines)?;
        let (errors, warnings) = (self.count(Severity::Error), self.count(Severity::Warning));
        write!(
            f,
            "{}: {} {}{}, {errors} error{}, {warnings} warning{}",
            crate::diagnostic::printable(&self.file),
            self.checked,
            self.unit,
            plural(self.checked),
            plural(errors),
            plural(warnings),
        )
    }
}

/// One statement of the function body: its text (comments removed,
/// whitespace collapsed) and the line it starts on.
struct Statement {
    text: String,
    line: usize,
}

/// The body of the merge function: its statements and the line it starts
/// on (where what is missing from it is reported).
struct Body {
    statements: Vec<Statement>,
    line: usize,
}

/// A `MACRO(ptr, name);` line.
struct MergeLine {
    name: String,
    line: usize,
}

/// Checks the merge function in `text` (reported as `file`) against
/// `schema`.
pub fn check(file: &str, text: &str, schema: &Schema) -> Report {
    let mut report = Report {
        file: file.to_owned(),
        findings: Vec::new(),
        checked: 0,
        unit: "merge line",
    };
    let Some(c) = &schema.target.c else {
        report.findings.push(error(
            0,
            "the schema names no C side: add a [target.c] table (see ops.toml's)".to_owned(),
        ));
        return report;
    };
    // Lexed once, for the merge function and the dummy table alike.
    let tokens: Vec<Token<'_>> = lexer::tokens(text)
        .into_iter()
        .filter(|t| t.kind != Kind::Comment)
        .collect();
    let Some((params, statements, body_line)) = function(&tokens, &c.merge_function) else {
        report.findings.push(error(
            0,
            format!("no definition of `{}()` found", c.merge_function),
        ));
        return report;
    };
    let incoming = incoming_param(&params, &schema.struct_name);
    let mut out = Vec::new();
    let body = Body {
        statements,
        line: body_line,
    };
    report.checked = if schema.ops.iter().any(|op| op.set.is_some()) {
        own_lines(schema, c, &body, &mut out)
    } else {
        default_lines(schema, c, &body, &mut out)
    };
    let Body {
        statements,
        line: body_line,
    } = body;
    for member in schema
        .members
        .iter()
        .filter(|m| !m.policy.merged_like_ops())
    {
        member_merge(
            &member.name,
            member.policy,
            &incoming,
            &statements,
            body_line,
            &mut out,
        );
    }
    if c.dummy_table.is_some() {
        out.extend(super::dummy_check::check(&tokens, schema, c));
    }
    out.sort_by_key(|f| (f.line, f.severity));
    report.findings = out;
    report
}

/// The lines of a table merged by one macro (`SET_DEVICE_OP`), sorted by
/// name, and its object sizes; returns how many lines were read.
fn default_lines(schema: &Schema, c: &CNames, body: &Body, out: &mut Vec<Finding>) -> usize {
    let Body {
        statements,
        line: body_line,
    } = body;
    let (statements, body_line) = (statements.as_slice(), *body_line);
    let mac = c.merge_macro.as_deref().unwrap_or_default();
    let ops = merge_lines(statements, mac);
    let size_mac = c.sizes.as_ref().map_or("", |s| s.merge.as_str());
    let sizes = if size_mac.is_empty() {
        Vec::new()
    } else {
        merge_lines(statements, size_mac)
    };
    let like_ops = schema.set_device_op_fields();
    let by_policy: Vec<&str> = schema
        .members
        .iter()
        .filter(|m| !m.policy.merged_like_ops())
        .map(|m| m.name.as_str())
        .collect();
    lines_against(&ops, mac, &like_ops, &by_policy, body_line, out);
    let size_names: Vec<&str> = schema.obj_sizes.iter().map(|s| s.name.as_str()).collect();
    lines_against(&sizes, size_mac, &size_names, &[], body_line, out);
    ops.len() + sizes.len()
}

/// The lines of a table whose ops give their own (`SET_PRIV_OP(ctx,
/// alloc_pd)`): each op's line once, with the schema's macro and
/// arguments, in the schema's order; returns how many lines were read.
fn own_lines(schema: &Schema, c: &CNames, body: &Body, out: &mut Vec<Finding>) -> usize {
    let (statements, body_line) = (body.statements.as_slice(), body.line);
    let expected: HashMap<&str, &SetLine> = schema
        .ops
        .iter()
        .filter_map(|op| Some((op.name.as_str(), op.set.as_ref()?)))
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut order: Vec<(usize, usize)> = Vec::new();
    let mut read = 0;
    for s in statements {
        let Some(m) = c.macros.iter().find(|m| {
            s.text
                .strip_prefix(m.name.as_str())
                .is_some_and(|rest| rest.trim_start().starts_with('('))
        }) else {
            continue;
        };
        read += 1;
        let Ok(line) = SetLine::parse(&s.text, 0) else {
            out.push(error(
                s.line,
                format!("`{}` is not a merge line `{}(...)`", s.text, m.name),
            ));
            continue;
        };
        let Some(name) = m.name_position().and_then(|at| line.args.get(at)) else {
            out.push(error(
                s.line,
                format!(
                    "`{line}` gives {} arguments, but `{}` takes {}",
                    line.args.len(),
                    m.name,
                    m.params.len()
                ),
            ));
            continue;
        };
        if let Some(first) = seen.get(name) {
            out.push(error(
                s.line,
                format!("`{name}` is merged again (first at line {first})"),
            ));
            continue;
        }
        seen.insert(name.clone(), s.line);
        let Some(want) = expected.get(name.as_str()) else {
            out.push(error(
                s.line,
                format!(
                    "`{line}` names no op of the schema{}",
                    suggest::did_you_mean(name, expected.keys().copied())
                ),
            ));
            continue;
        };
        if want.macro_name != line.macro_name || want.args != line.args {
            out.push(error(
                s.line,
                format!("`{line}` where the schema has `{want}`"),
            ));
        }
        order.push((want.position, s.line));
    }
    for pair in order.windows(2) {
        if pair[1].0 < pair[0].0 {
            out.push(Finding {
                line: pair[1].1,
                severity: Severity::Warning,
                message: format!(
                    "merge line {} of the schema comes after its line {} here",
                    pair[1].0, pair[0].0
                ),
            });
        }
    }
    for op in schema.ops.iter().filter(|op| !seen.contains_key(&op.name)) {
        let want = op
            .set
            .as_ref()
            .map_or_else(String::new, |l| format!(" (`{l}`)"));
        out.push(error(
            body_line,
            format!(
                "no merge line for op `{}`{want}: a provider's `{}` is silently ignored",
                op.name, op.name
            ),
        ));
    }
    read
}

/// Checks the `MACRO(ptr, name)` lines against the names the schema merges
/// with them: each name once, nothing else, in sorted order. `policy_merged`
/// are members the schema merges by policy, which must not have a line.
fn lines_against(
    lines: &[MergeLine],
    mac: &str,
    expected: &[&str],
    policy_merged: &[&str],
    body_line: usize,
    out: &mut Vec<Finding>,
) {
    // Sets, not lists: a text of many lines stays linear.
    let expected_set: HashSet<&str> = expected.iter().copied().collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut strangers = 0;
    for l in lines {
        if let Some(first) = seen.get(l.name.as_str()) {
            out.push(error(
                l.line,
                format!("`{mac}(.., {})` again (first at line {first})", l.name),
            ));
            continue;
        }
        seen.insert(&l.name, l.line);
        if policy_merged.contains(&l.name.as_str()) {
            out.push(error(
                l.line,
                format!(
                    "`{}` has its own merge policy; `{mac}` merges it as an op instead",
                    l.name
                ),
            ));
        } else if !expected_set.contains(l.name.as_str()) {
            // Suggestions for as many names as a report shows: hostile
            // text with thousands of strangers stays linear and quick.
            let hint = if strangers < crate::diagnostic::MAX_SHOWN {
                suggest::did_you_mean(&l.name, expected.iter().copied())
            } else {
                String::new()
            };
            strangers += 1;
            out.push(error(
                l.line,
                format!(
                    "`{mac}(.., {})` names no member of the schema{hint}",
                    l.name
                ),
            ));
        }
    }
    for pair in lines.windows(2) {
        if pair[1].name < pair[0].name {
            out.push(Finding {
                line: pair[1].line,
                severity: Severity::Warning,
                message: format!(
                    "`{}` is out of sorted order (after `{}`); the list is kept sorted",
                    pair[1].name, pair[0].name
                ),
            });
        }
    }
    for name in expected.iter().filter(|n| !seen.contains_key(**n)) {
        out.push(error(
            body_line,
            format!(
                "no `{mac}(.., {name})`: a table's `{name}` is silently ignored (the core then \
                 answers -EOPNOTSUPP or uses no size)"
            ),
        ));
    }
}

/// Checks how a policy-merged member is merged: from the incoming table,
/// with `|=` for `or` and `=` otherwise.
fn member_merge(
    name: &str,
    policy: MemberPolicy,
    incoming: &str,
    statements: &[Statement],
    body_line: usize,
    out: &mut Vec<Finding>,
) {
    let field = format!("->{name}");
    let from_incoming = format!("{incoming}->{name}");
    let mut merged = false;
    for s in statements {
        let Some((lhs, op, rhs)) = assignment(&s.text) else {
            continue;
        };
        if !lhs.ends_with(&field) {
            continue;
        }
        merged = true;
        if !mentions(rhs, &from_incoming) {
            out.push(error(
                s.line,
                format!(
                    "`{name}` is merged with `{rhs}`, not with the incoming `{from_incoming}`{}",
                    if rhs.contains(&field) {
                        " (merged with itself: the incoming value is lost)"
                    } else {
                        ""
                    }
                ),
            ));
        } else if lhs.starts_with(incoming) && lhs[incoming.len()..].starts_with("->") {
            out.push(error(
                s.line,
                format!("`{name}` is written into the incoming table, not the device's"),
            ));
        } else if policy.c_operator() != op {
            out.push(error(
                s.line,
                format!(
                    "`{name}` is merged with `{op}` but its policy is `{}`",
                    policy.name()
                ),
            ));
        }
    }
    if !merged {
        out.push(error(
            body_line,
            format!(
                "no merge of `{name}` (policy `{}`): the table's value is ignored",
                policy.name()
            ),
        ));
    }
}

/// Whether `text` names `path` (`ops->x`) as a whole, not as the end of
/// another name (`dev_ops->x`).
fn mentions(text: &str, path: &str) -> bool {
    text.match_indices(path).any(|(at, _)| {
        !text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// `lhs op rhs` of an assignment statement (`=` or `|=`): the first `=`
/// that is neither part of a comparison (`==`, `!=`, `<=`, `>=`) nor of
/// another compound assignment.
fn assignment(text: &str) -> Option<(&str, &'static str, &str)> {
    let text = text.trim().trim_end_matches(';').trim();
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices('=') {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + 1).copied();
        if after == Some(b'=') || before == Some(b'=') {
            continue;
        }
        let (lhs_end, op) = match before {
            Some(b'|') => (at - 1, "|="),
            Some(b'!' | b'<' | b'>' | b'&' | b'+' | b'-' | b'*' | b'/' | b'^' | b'%') => continue,
            _ => (at, "="),
        };
        let lhs = &text[..lhs_end];
        let lhs = lhs.rsplit([')', '{', '}']).next().unwrap_or(lhs).trim();
        return Some((lhs, op, text[at + 1..].trim()));
    }
    None
}

/// The name of the incoming-table parameter: the last identifier of the
/// parameter that is a pointer to the table's struct `table` (`ops` in the
/// kernel).
fn incoming_param(params: &str, table: &str) -> String {
    params
        .split(',')
        .find(|p| p.contains(table))
        .map(decl::last_ident)
        .filter(|w| !w.is_empty())
        .unwrap_or("ops")
        .to_owned()
}

/// `MACRO(ptr, name)` statements, in order.
fn merge_lines(statements: &[Statement], mac: &str) -> Vec<MergeLine> {
    statements
        .iter()
        .filter_map(|s| {
            let args = s.text.strip_prefix(mac)?.trim_start().strip_prefix('(')?;
            let args = args.split(')').next()?;
            let name = args.split(',').nth(1)?.trim();
            Some(MergeLine {
                name: name.to_owned(),
                line: s.line,
            })
        })
        .collect()
}

/// The parameter list, the body's statements and the body's first line of
/// the definition of `name` in `text`. Read from the shared lexer's tokens
/// with every bracket matched in one pass, so the search is linear however
/// many calls, declarations or stray names come before the definition.
fn function(tokens: &[Token<'_>], name: &str) -> Option<(String, Vec<Statement>, usize)> {
    let parens = lexer::matching(tokens, '(', ')');
    let braces = lexer::matching(tokens, '{', '}');
    (0..tokens.len()).find_map(|at| {
        if !tokens[at].is_ident(name) || !tokens.get(at + 1)?.is('(') {
            return None;
        }
        let close = parens[at + 1]?;
        // A call or a declaration has no body.
        if !tokens.get(close + 1)?.is('{') {
            return None;
        }
        let end = braces[close + 1]?;
        let params = lexer::join(&tokens[at + 2..close]);
        let body = &tokens[close + 2..end];
        Some((params, statements(body), tokens[close + 1].line))
    })
}

/// The statements of a body (ending at `;`, `{` or `}`), preprocessor lines
/// skipped, each with its starting line.
fn statements(body: &[Token<'_>]) -> Vec<Statement> {
    body.split_inclusive(|t| t.is(';') || t.is('{') || t.is('}'))
        .filter_map(|piece| {
            let code: Vec<Token<'_>> = piece.iter().copied().filter(Token::is_code).collect();
            let first = code.first()?;
            // A lone brace is no statement.
            (code.len() > 1).then(|| Statement {
                text: lexer::join(&code),
                line: first.line,
            })
        })
        .collect()
}

/// Compares the struct a header declares (imported) with the schema: the
/// same ops, members and object sizes, in the same order, with the same C
/// prototypes.
pub fn check_struct(file: &str, imported: &Imported, schema: &Schema) -> Report {
    let mut out = Vec::new();
    let schema_names: Vec<(String, &'static str, Option<String>)> = schema
        .members
        .iter()
        .map(|m| (m.name.clone(), "member", None))
        .chain(schema.ops.iter().map(|op| {
            (
                op.name.clone(),
                "op",
                op.c.as_ref().map(ToString::to_string),
            )
        }))
        .chain(
            schema
                .obj_sizes
                .iter()
                .map(|s| (s.name.clone(), "object size", None)),
        )
        .collect();
    for m in &imported.members {
        let name = m.decl.name();
        match schema_names.iter().find(|(n, _, _)| n == name) {
            None => out.push(error(
                m.line,
                format!("`{name}` is in the header's struct but not in the schema"),
            )),
            Some((_, _, Some(c))) => {
                if let CDecl::FnPointer(f) = &m.decl
                    && f.to_string() != *c
                {
                    out.push(Finding {
                        line: m.line,
                        severity: Severity::Warning,
                        message: format!(
                            "the schema's C prototype of `{name}` differs: `{c}` here is `{f}`"
                        ),
                    });
                }
            }
            Some(_) => {}
        }
    }
    for (name, what, _) in &schema_names {
        if !imported.members.iter().any(|m| m.decl.name() == name) {
            out.push(error(
                0,
                format!("the schema's {what} `{name}` is not in the header's struct"),
            ));
        }
    }
    let order: Vec<&str> = imported.members.iter().map(|m| m.decl.name()).collect();
    let ours: Vec<&str> = schema_names
        .iter()
        .map(|(n, _, _)| n.as_str())
        .filter(|n| order.contains(n))
        .collect();
    let theirs: Vec<&str> = order.iter().copied().filter(|n| ours.contains(n)).collect();
    if let Some(at) = ours.iter().zip(&theirs).position(|(a, b)| a != b) {
        let line = imported
            .members
            .iter()
            .find(|m| m.decl.name() == theirs[at])
            .map_or(0, |m| m.line);
        out.push(Finding {
            line,
            severity: Severity::Warning,
            message: format!(
                "the schema's order differs from the struct's from here: `{}` where the schema has `{}`",
                theirs[at], ours[at]
            ),
        });
    }
    out.sort_by_key(|f| (f.line, f.severity));
    Report {
        file: file.to_owned(),
        findings: out,
        checked: imported.members.len(),
        unit: "struct member",
    }
}
